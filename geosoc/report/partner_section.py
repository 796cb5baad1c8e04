"""Partner area counts and vulnerability signals in the launch pack and the review pack.

Every figure for a partner or public audience is disclosed by
:mod:`geosoc.disclosure.count_tables` (cell key method on count rows, suppression, public
rounding); percentages are computed from the disclosed values. Vulnerability signals get
their own section and are never added to harm.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.count_layers import AREA_KIND, PartnerCounts
from geosoc.disclosure.count_tables import disclosed_count_totals, disclosed_group_totals
from geosoc.disclosure.rules import Role, as_role, months_for
from geosoc.schema import CATEGORY, COUNT, HARM, MONTH, SOURCE

__all__ = ["launch_partner_html", "review_partner_html"]

_TREATMENT = {"harm": "counted in harm (own weight)", "indicator": "separate indicator",
              "signal": "vulnerability signal (never harm)"}


def _fmt(value: object) -> str:
    return "suppressed" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    body = "".join(
        "<tr>" + "".join(
            f"<td>{_fmt(row[c]) if c in (COUNT, HARM) else html.escape(str(row[c]))}</td>"
            for c in columns) + "</tr>"
        for _, row in frame.iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def launch_partner_html(bundle: PartnerCounts | None, role: Role | str, *,
                        months: tuple[str, str] | None = None,
                        secret: bytes | None = None) -> str:
    """Return the launch pack's partner area-count and vulnerability-signal sections.

    Parameters
    ----------
    bundle : PartnerCounts or None
        The study's partner counts (an empty string when None).
    role : Role or str
        Audience (disclosed values for partner and public).
    months : tuple of str, optional
        Month range of the profile.
    secret : bytes, optional
        The server key.
    """
    if bundle is None:
        return ""
    role = as_role(role)
    totals = disclosed_count_totals(bundle, role, months=months, secret=secret).reset_index()
    totals = totals.assign(treatment=totals["treatment"].map(_TREATMENT))
    parts = ["<section><h2>Partner area counts</h2><p>Counts partners share per area and "
             "month, overlaid on the police picture (FB4). Harm sources are weighted with "
             "the source's own weight (days per event).</p>",
             _table(totals, {SOURCE: "Source", "treatment": "Treatment", COUNT: "Events",
                             HARM: "Harm (days)"}), "</section>"]
    signals = bundle.sources("signal")
    if signals:
        rows = bundle.rows(sources=signals, months=months_for(role, months) or None)
        per = disclosed_group_totals(rows, role, by=[SOURCE, CATEGORY], secret=secret)
        parts += ["<section><h2>Vulnerability signals</h2><p>An indicator of its own "
                  "(cuckooing, child criminal exploitation, missing episodes, county lines, "
                  "loan sharks, digital key activations): events, never harm.</p>",
                  _table(per, {SOURCE: "Source", CATEGORY: "Signal", COUNT: "Events"}),
                  "</section>"]
    return "".join(parts)


def _site_rows(bundle: PartnerCounts, site: shapely.Geometry) -> pd.DataFrame:
    """Count rows of the areas whose representative point lies in the site."""
    codes: list[str] = []
    for kind in bundle.counts[AREA_KIND].unique():
        areas = bundle.areas[str(kind)]
        inside = shapely.within(shapely.point_on_surface(areas.geometry.to_numpy()), site)
        codes += areas.index[inside].astype(str).tolist()
    return bundle.counts[bundle.counts["area_code"].isin(codes)]


def review_partner_html(bundle: PartnerCounts | None, role: Role | str,
                        site: shapely.Geometry, plan: pd.DataFrame, *,
                        secret: bytes | None = None) -> str:
    """Return the review pack's partner section: site-area counts per phase, per source.

    Parameters
    ----------
    bundle : PartnerCounts or None
        The study's partner counts.
    role : Role or str
        Audience.
    site : shapely geometry
        The site polygon (EPSG:4326); its areas are those whose representative point is in it.
    plan : pandas.DataFrame
        ``phase``, ``start_month``, ``end_month`` (trimmed to the review month).
    secret : bytes, optional
        The server key.
    """
    if bundle is None or plan.empty:
        return ""
    role = as_role(role)
    rows = _site_rows(bundle, site)
    label = pd.Series(pd.NA, index=rows.index, dtype="string")
    months = pd.Series(0, index=plan.index)
    for i, step in plan.iterrows():  # a handful of phases
        inside = (rows[MONTH] >= step["start_month"]) & (rows[MONTH] <= step["end_month"])
        label = label.where(~inside.to_numpy(), str(step["phase"]))
        months[i] = (step["end_month"] - step["start_month"]).n + 1
    per_month = dict(zip(plan["phase"].astype(str), months, strict=False))
    rows = rows.assign(phase=label).dropna(subset=["phase"])
    table = disclosed_group_totals(rows, role, by=[SOURCE, "phase"], secret=secret)
    table["treatment"] = table[SOURCE].map(bundle.treatment).map(_TREATMENT)
    table["phase"] = table["phase"].astype(str)
    table["per_month"] = (pd.to_numeric(table[COUNT], errors="coerce").astype(float)
                          / table["phase"].map(per_month).astype(float))
    base = table[table["phase"] == "baseline"].set_index(SOURCE)["per_month"]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = ((table["per_month"] / table[SOURCE].map(base).astype(float) - 1) * 100
                  ).to_numpy(float)
    table["change"] = [("" if p == "baseline" or not np.isfinite(c) else f"{c:+.0f}%")
                       for p, c in zip(table["phase"], change, strict=True)]
    return ("<section><h2>Partner area counts in the site</h2><p>Events in the areas of the "
            "site per phase and the change in the monthly rate against the baseline "
            "(computed from the figures shown). Vulnerability signals are counts, never "
            "harm.</p>"
            + _table(table, {SOURCE: "Source", "treatment": "Treatment", "phase": "Phase",
                             COUNT: "Events", "change": "Change per month"})
            + "</section>")
