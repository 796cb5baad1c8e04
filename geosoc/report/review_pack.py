"""The 6-month Home Office review pack of a CHB site: one standalone, printable HTML file.

Sections: the phase plan; harm change and displacement (the verdicts of the phase evaluation,
each with its plain reading and method); the 4P activity and disruption summary (pillar x
phase, police vs partner share, monthly timeline); the MoRiLE trend; community perception
change between waves; community assets engaged; data caveats. Every page carries the role's
protective marking. Role-safe by construction: partner and public packs hold no incident
point, no free-text note and no small count (series through
:func:`geosoc.disclosure.disclose_series`, perception answers under 30 respondents pooled,
unnamed, before any share or test is computed, MoRiLE as a site-level trend without scores or
OCG references: :mod:`geosoc.operations`), and the final text is leak-scanned. Two renders of
the same inputs differ only in the "Produced" line.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.disclosure.layers import guard_payload
from geosoc.disclosure.rules import PROTECTIVE_MARKING, Role, as_role
from geosoc.disclosure.tables import disclosed_series
from geosoc.operations import (
    activity_timeline,
    agency_share,
    compare_waves,
    morile_by_phase,
    morile_for_role,
    phase_of,
    pillar_balance,
    waves_for_role,
)
from geosoc.phases.rings import buffer_rings
from geosoc.phases.site_evaluation import SiteEvaluation
from geosoc.phases.watch import zone_label
from geosoc.report.asset_coverage import coverage_section_html, site_coverage
from geosoc.report.pack_base import PackBase, base_points, site_map_html
from geosoc.report.partner_section import review_partner_html
from geosoc.report.review_figures import phase_series_svg
from geosoc.report.table_labels import column_label
from geosoc.schema import HARM, MONTH

_PHASE_ORDER = ("baseline", "clear", "hold", "build")


@dataclass(frozen=True)
class ReviewInputs:
    """Everything the review pack shows (raw; the pack discloses it for the role).

    Attributes
    ----------
    study : str
        Study or force name for the title.
    site : str
        The site's name.
    as_of : pandas.Period
        The review month (data and log entries after it are left out).
    plan : pandas.DataFrame
        ``phase``, ``start_month``, ``end_month`` (Period[M]; phases may repeat).
    monthly : pandas.DataFrame
        The site's monthly ``month``, ``count``, ``harm`` (days), police activity excluded
        (shown as it is in the analyst copy only).
    site_incidents : pandas.DataFrame
        The incidents behind ``monthly`` (weighted); partner and public copies disclose their
        series from these with the cell key method, never from ``monthly``.
    evaluation : pandas.DataFrame
        One row per verdict: ``phase``, ``measure``, ``verdict`` (the label), ``reading``
        (plain English with figures from raw counts: analyst copy only), ``method``.
    activities, morile, waves : pandas.DataFrame
        The site's activity log, MoRiLE series and perception aggregates.
    assets : geopandas.GeoDataFrame, optional
        The community asset register (points EPSG:4326); the pack shows its coverage of the
        site and rings by sector, 4P pillar and capability, and engagement status.
    site_geometry : shapely geometry, optional
        The site polygon (EPSG:4326), for the asset coverage.
    caveats : list of str
        Data caveats to print (short baseline, trimmed phases, dropped rows...).
    incidents : pandas.DataFrame, optional
        The incidents behind the figures; partner/public packs are leak-scanned against them.
    demo : bool
        Built from the fictional demo town (said on the first page).
    base : PackBase, optional
        The site map's base (embedded tiles, context layers).
    result : SiteEvaluation, optional
        The site's one evaluation (``evaluation`` holds its rows); its verdict leads the
        change section and its Hold watch follows the tests.
    """

    study: str
    site: str
    as_of: pd.Period
    plan: pd.DataFrame
    monthly: pd.DataFrame
    site_incidents: pd.DataFrame
    evaluation: pd.DataFrame
    activities: pd.DataFrame
    morile: pd.DataFrame
    waves: pd.DataFrame
    assets: pd.DataFrame | None = None
    site_geometry: object | None = None
    caveats: list[str] = field(default_factory=list)
    incidents: pd.DataFrame | None = None
    partner_counts: PartnerCounts | None = None
    demo: bool = False
    base: PackBase | None = None
    result: SiteEvaluation | None = None


def _table(frame: pd.DataFrame, *, index: bool = False) -> str:
    """Return an HTML table with every cell escaped."""
    shown = frame.reset_index() if index else frame
    head = "".join(f"<th>{html.escape(column_label(str(c)))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(
        f"<td>{'' if pd.isna(v) else html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def _plan_section(plan: pd.DataFrame) -> str:
    rows = pd.DataFrame({
        "phase": plan["phase"],
        "from": plan["start_month"].astype(str),
        "to": [("still running" if pd.isna(e) else str(e)) for e in plan["end_month"]],
    })
    return f"<section><h2>Phases</h2>{_table(rows)}</section>"


def _shown_series(inputs: ReviewInputs, role: Role) -> pd.DataFrame:
    """Return the site's series as ``role`` may see it: raw for analysts, else disclosed."""
    if role is Role.ANALYST:
        return inputs.monthly
    months = (str(inputs.monthly[MONTH].min()), str(inputs.monthly[MONTH].max()))
    return disclosed_series(inputs.site_incidents, role, months=months)


def _change_section(inputs: ReviewInputs, role: Role) -> str:
    series = _shown_series(inputs, role)
    period = "quarter" if "quarter" in series.columns else MONTH
    chart = phase_series_svg(series, inputs.plan, period=period, value=HARM,
                             label=f"Harm (days) per {period}")
    evaluation = inputs.evaluation
    head = evaluation[evaluation["measure"] == "site verdict"]
    lead = (f"<p class='verdict'><strong>Verdict:</strong> "
            f"{html.escape(str(head['reading'].iloc[0]))}</p>" if len(head) else "")
    tests = evaluation[evaluation["measure"] != "site verdict"]
    verdicts = tests.assign(reading=tests["reading" if role is Role.ANALYST else "verdict"])
    described = (phase_change_rows(series, inputs.plan) if period == MONTH
                 else pd.DataFrame(columns=["phase", "measure", "reading", "method"]))
    rows = verdicts[["phase", "measure", "reading", "method"]]
    note = ("" if role is Role.ANALYST else
            "<p>Figures are disclosed for this audience (small counts suppressed, values "
            "perturbed with the cell key method"
            + (" and rounded, by quarter" if role is Role.PUBLIC else "")
            + "); the verdicts come from the full data.</p>")
    return ("<section><h2>Harm change and displacement</h2>"
            f"{lead}<div class='figure'>{chart}</div>{note}<h3>The calibrated tests</h3>"
            f"{_table(rows)}{_watch_html(inputs, role)}"
            "<h3>Harm per month against the baseline (descriptive, no verdict)</h3>"
            f"{_table(described)}</section>")


def _watch_html(inputs: ReviewInputs, role: Role) -> str:
    """Render the Hold watch: every reading for analysts; alerts by month and zone for others."""
    watch = inputs.result.watch if inputs.result is not None else pd.DataFrame()
    if watch.empty:
        return ""
    alerts = watch[watch["alert"]]
    if role is Role.ANALYST:
        items = watch["reading"].tolist()
    else:  # no counts: the alert's month and zone only
        items = [f"{m}, {zone_label(z, k)}: displacement alert" for m, z, k in zip(
            alerts["month"], alerts["zone"], alerts.get("kind", [None] * len(alerts)),
            strict=True)] or [f"no displacement alert in {watch['month'].min()} to "
                              f"{watch['month'].max()} ({watch['zone'].nunique()} zones)"]
    body = "".join(f"<li>{html.escape(t)}</li>" for t in items)
    return (f"<h3>The Hold watch ({len(alerts)} alert(s), family-wise over every zone and "
            f"Hold month)</h3><ul>{body}</ul>")


def phase_change_rows(series: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Descriptive change of each phase against the baseline: harm per month, % change.

    Descriptive figures, not significance tests, from the series the audience sees (the
    disclosed series for a partner; suppressed months left out of the means).
    """
    phases = phase_of(series[MONTH].dt.to_timestamp(), plan)
    per_month = series.assign(phase=phases.to_numpy()).dropna(subset=["phase"]).groupby(
        "phase", sort=False)[[HARM, "count"]].mean()
    base = per_month.loc["baseline"] if "baseline" in per_month.index else None
    rows = []
    for phase, values in per_month.iterrows():
        if phase == "baseline" or base is None:
            continue
        change = (100 * (values[HARM] - base[HARM]) / base[HARM]) if base[HARM] > 0 else None
        reading = (f"Harm per month in {phase}: {values[HARM]:,.0f} days against "
                   f"{base[HARM]:,.0f} in the baseline"
                   + (f" ({change:+.0f}%)." if change is not None else "."))
        rows.append({"phase": phase, "measure": "harm per month (site)", "reading": reading,
                     "method": "descriptive: mean monthly harm against the baseline mean"})
    return pd.DataFrame(rows, columns=["phase", "measure", "reading", "method"])



def _activity_section(inputs: ReviewInputs, role: Role) -> str:
    acts = inputs.activities
    if acts.empty:
        return "<section><h2>Activity and disruption (4P)</h2><p>No activity recorded.</p>" \
               "</section>"
    phases = [p for p in _PHASE_ORDER if p in set(acts["phase"])]
    balance = pillar_balance(acts, phases)
    share = agency_share(acts).reindex(phases)
    timeline = activity_timeline(acts)
    noun = "activity" if len(acts) == 1 else "activities"
    body = (f"<p>{len(acts)} {noun} recorded up to {inputs.as_of}.</p>"
            "<h3>By 4P pillar and phase</h3>" + _table(balance, index=True)
            + "<h3>Police and partner activity</h3>" + _table(share, index=True))
    if role is not Role.PUBLIC:
        body += "<h3>Activities per month</h3>" + _table(timeline, index=True)
        kinds = (acts.assign(phase=pd.Categorical(acts["phase"], categories=phases))
                 .groupby(["phase", "activity_type"], observed=True).size()
                 .rename("activities").reset_index())
        body += "<h3>What was done</h3>" + _table(kinds)
    if role is Role.ANALYST:
        notes = acts.loc[acts["notes"].astype(str) != "", ["date", "agency", "activity_type",
                                                             "outcome", "notes"]]
        notes = notes.assign(date=notes["date"].dt.strftime("%Y-%m-%d"))
        body += "<h3>Notes (analyst copy only)</h3>" + _table(notes)
    return f"<section><h2>Activity and disruption (4P)</h2>{body}</section>"


def _morile_section(inputs: ReviewInputs, role: Role) -> str:
    series = inputs.morile
    if series.empty:
        return "<section><h2>MoRiLE</h2><p>No MoRiLE scores recorded.</p></section>"
    phases = phase_of(series["date"], inputs.plan)
    if role is not Role.ANALYST:  # a site-level trend only: no score, no OCG reference
        return ("<section><h2>MoRiLE threat trend</h2><p>The site's threat assessments, all "
                "groups together, per phase against the phase before; scores and group "
                f"references stay in the police copy.</p>"
                f"{_table(morile_for_role(series, phases, role.value))}</section>")
    chart = phase_series_svg(series.assign(month=series["date"].dt.to_period("M")),
                             inputs.plan, period=MONTH, value="score", label="MoRiLE score",
                             groups="ocg_ref")
    return ("<section><h2>MoRiLE threat scores</h2><p>Groups are named by opaque reference "
            f"only.</p><div class='figure'>{chart}</div>"
            f"{_table(morile_by_phase(series, phases).round(1))}</section>")


def _perception_section(inputs: ReviewInputs, role: Role) -> str:
    waves = inputs.waves
    labels = list(dict.fromkeys(waves["wave"])) if len(waves) else []
    if len(labels) < 2:
        return ("<section><h2>Community perception</h2><p>Fewer than two survey waves: "
                "change cannot be shown yet.</p></section>")
    result = compare_waves(waves_for_role(waves, role.value), labels[0], labels[-1])
    table = result[["question", "response", "share_before", "share_after", "change_pts",
                    "verdict"]].round(3)
    if role is not Role.ANALYST:  # answers from too few respondents are pooled, unnamed
        shares = ["share_before", "share_after", "change_pts"]
        table[shares] = table[shares].astype(object).where(table[shares].notna(),
                                                           "not known (suppressed)")
    return (f"<section><h2>Community perception</h2><p>From {html.escape(labels[0])} to "
            f"{html.escape(labels[-1])}. Shares of respondents; outside the police copy, "
            f"answers from fewer than 30 respondents are pooled, unnamed.</p>"
            f"{_table(table)}</section>")


def _assets_section(inputs: ReviewInputs, role: Role) -> str:
    if inputs.assets is None or inputs.assets.empty or inputs.site_geometry is None:
        return ("<section><h2>Community assets</h2><p>No asset register for this site."
                "</p></section>")
    coverage = site_coverage(inputs.assets, inputs.site_geometry, site=inputs.site,
                             as_of=inputs.as_of.to_timestamp(how="end").date())
    section = coverage_section_html(coverage)
    if role is Role.PUBLIC or "engagement" not in inputs.assets.columns:
        return section
    engaged = inputs.assets[inputs.assets["engagement"].isin(["engaged", "delivering"])]
    columns = [c for c in ("name", "category", "sector", "engagement", "pillars")
               if c in engaged.columns]
    listing = (_table(pd.DataFrame(engaged[columns])) if len(engaged) else
               "<p>No asset is recorded as engaged with the site yet.</p>")
    return section + f"<section><h3>Assets engaged with the site</h3>{listing}</section>"


_CSS = """
@page { size: A4 portrait; margin: 14mm 12mm; }
body { font-family: Arial, Helvetica, sans-serif; margin: 0 auto; max-width: 800px;
       color: #222; padding: 2.5em 1em; }
.marking { position: fixed; left: 0; right: 0; text-align: center; font-weight: bold;
           letter-spacing: .1em; background: #fff; padding: 2px; }
.marking.top { top: 0; } .marking.bottom { bottom: 0; }
h2 { border-bottom: 2px solid #1f4e79; padding-bottom: 2px; }
section { break-inside: avoid; page-break-inside: avoid; margin-bottom: 1.2em; }
table { border-collapse: collapse; margin: .4em 0; font-size: 11px; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: left; }
.figure svg { width: 100%; height: auto; } .demo { color: #b2182b; font-weight: bold; }
"""


def render_review_pack(inputs: ReviewInputs, *, role: Role | str,
                       generated_at: datetime) -> str:
    """Return the review pack for ``role`` as one standalone HTML document.

    Parameters
    ----------
    inputs : ReviewInputs
        The site's data (raw: disclosure happens here).
    role : Role or str
        Audience: ``analyst`` (OFFICIAL-SENSITIVE, notes included), ``partner`` or ``public``.
    generated_at : datetime
        Printed on the first page (the only line that differs between two runs).

    Raises
    ------
    AccessDeniedError
        When a partner/public pack would contain incident coordinates (leak scan).
    """
    role = as_role(role)
    mark = html.escape(PROTECTIVE_MARKING[role])
    title = f"{inputs.study}: {inputs.site} — 6-month CHB review, {inputs.as_of}"
    demo = ("<p class='demo'>Built from the fictional Demoford demo town: not real data.</p>"
            if inputs.demo else "")
    caveats = "".join(f"<li>{html.escape(c)}</li>" for c in inputs.caveats) or \
        "<li>None recorded.</li>"
    body = "".join([
        _plan_section(inputs.plan), _site_map_section(inputs), _change_section(inputs, role),
        review_partner_html(inputs.partner_counts, role, inputs.site_geometry, inputs.plan)
        if inputs.site_geometry is not None else "",
        _activity_section(inputs, role), _morile_section(inputs, role),
        _perception_section(inputs, role), _assets_section(inputs, role),
        f"<section><h2>Data caveats</h2><ul>{caveats}</ul></section>",
    ])
    document = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} ({mark})</title><style>{_CSS}</style></head><body>"
        f"<div class='marking top'>{mark}</div><h1>{html.escape(title)}</h1>"
        f"<p>Audience: {html.escape(role.value)}. Produced "
        f"{generated_at:%Y-%m-%d %H:%M UTC} by geosoc.</p>{demo}{body}"
        f"<div class='marking bottom'>{mark}</div></body></html>")
    if inputs.incidents is not None:
        guard_payload(document, inputs.incidents, role, published_points=_map_points(inputs))
    return document


def _site_rings(inputs: ReviewInputs) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    site = gpd.GeoDataFrame({"name": [inputs.site]}, geometry=[inputs.site_geometry],
                            crs="EPSG:4326")
    return site, buffer_rings(inputs.site_geometry, (0.0, 250.0, 500.0))


def _site_map_section(inputs: ReviewInputs) -> str:
    """Return the map of the site and its 250/500 m rings on the base (no incident data)."""
    if inputs.site_geometry is None:
        return ""
    site, rings = _site_rings(inputs)
    return site_map_html(site, inputs.base, rings=rings)


def _map_points(inputs: ReviewInputs) -> pd.DataFrame | None:
    """Coordinates the site map publishes on purpose (context, site and ring vertices)."""
    if inputs.site_geometry is None:
        return None
    site, rings = _site_rings(inputs)
    xy = shapely.get_coordinates(np.concatenate([site.geometry.to_numpy(),
                                                 rings.geometry.to_numpy()]))
    shapes = pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1]})
    return pd.concat([shapes, base_points(inputs.base)], ignore_index=True)


def write_review_pack(document: str, out: str | Path) -> Path:
    """Write the pack to ``out`` (UTF-8) and return the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
