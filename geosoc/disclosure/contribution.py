"""The per-agency contribution table as a role may see it.

Record counts and harm per agency are disclosed like any other total (cell key perturbation
for partners, the 10-5 rule for the public: :func:`geosoc.disclosure.tables.disclosed_totals`),
each from that agency's own records, so the table agrees with itself on every page and a
suppressed agency total says "suppressed". Months are not sensitive: an agency's first and
last month are shown (whole quarters for the public).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geosoc.aggregate.contribution import CONTRIBUTION_COLUMNS, contribution_table
from geosoc.aggregate.count_layers import AREA_KIND, PartnerCounts
from geosoc.disclosure.count_tables import disclosed_count_totals
from geosoc.disclosure.rules import Role, months_for, rules_for
from geosoc.disclosure.tables import disclosed_totals
from geosoc.schema import COUNT, HARM, MONTH, SOURCE


def disclosed_contribution(incidents: pd.DataFrame, role: Role | str, *,
                           owners: Mapping[str, str] | None = None,
                           partner_counts: PartnerCounts | None = None,
                           months: tuple[str, ...] | None = None,
                           secret: bytes | None = None) -> pd.DataFrame:
    """Return :func:`geosoc.aggregate.contribution.contribution_table` fit for ``role``.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The incidents behind the output, already limited to the datasets ``role`` may see
        (the loaders' widest-role rule); ``harm`` in days.
    role : Role or str
        The audience.
    owners : mapping, optional
        Owner agency per source.
    partner_counts : PartnerCounts, optional
        Partner area counts behind the output (already limited to what ``role`` may see):
        one row each, ``records`` = its events (disclosed once, as every partner total).
    months : tuple of str, optional
        Month range of the output (for the partner counts; incidents come filtered).
    secret : bytes, optional
        The cell key secret (default: the server key).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``agency``, ``records`` and ``harm`` (float; NaN = suppressed),
        ``first_month``, ``last_month`` (quarters ``YYYYQn`` for the public).
    """
    rules = rules_for(role)
    table = contribution_table(incidents, owners)
    counted = count_contribution(partner_counts, rules.role, owners=owners, months=months,
                                 secret=secret)
    if rules.role is Role.ANALYST or table.empty:
        table = table.assign(records=table["records"].astype(float))
        return _with_counts(table, counted)
    weighted = HARM in incidents.columns
    frame = incidents if weighted else incidents.assign(**{HARM: 0.0})
    totals = [disclosed_totals(frame[frame[SOURCE].astype(str) == source], rules.role,
                               secret=secret) for source in table["source"]]
    out = table.assign(records=[float("nan") if c is None else c for c, _ in totals],
                       harm=[float("nan") if h is None or not weighted else h
                             for _, h in totals])
    out = _with_counts(out, counted)
    if rules.role is Role.PUBLIC:
        for column in ("first_month", "last_month"):
            out[column] = pd.PeriodIndex(out[column], freq="M").asfreq("Q").astype(str)
    return out


def _with_counts(table: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    if counted.empty:
        return table
    if table.empty:
        return counted.reset_index(drop=True)
    return pd.concat([table, counted], ignore_index=True)


def count_contribution(bundle: PartnerCounts | None, role: Role | str, *,
                       owners: Mapping[str, str] | None = None,
                       months: tuple[str, ...] | None = None,
                       secret: bytes | None = None) -> pd.DataFrame:
    """Return one contribution row per partner area-count source, disclosed for ``role``.

    Parameters
    ----------
    bundle : PartnerCounts or None
        Partner area counts the output uses (limited to what ``role`` may see).
    role : Role or str
        The audience.
    owners : mapping, optional
        Owner agency per source (sharing records); a source without one is named by itself.
    months : tuple of str, optional
        First and last month of the output (None: all).
    secret : bytes, optional
        The cell key secret (default: the server key).

    Returns
    -------
    pandas.DataFrame
        :data:`~geosoc.aggregate.contribution.CONTRIBUTION_COLUMNS`; ``source`` names the
        geography (``"housing (area counts by lsoa)"``), ``records`` the events counted
        (disclosed by :func:`~geosoc.disclosure.count_tables.disclosed_count_totals`, NaN when
        suppressed), ``harm`` days for sources weighed into harm, months ``YYYY-MM``.
    """
    if bundle is None or not bundle.sources():
        return pd.DataFrame(columns=list(CONTRIBUTION_COLUMNS))
    rules = rules_for(role)
    window = (months[0], months[-1]) if months else None
    totals = disclosed_count_totals(bundle, rules.role, months=window, secret=secret)
    rows = bundle.counts
    asked = months_for(rules.role, window)
    if asked:
        first, last = (pd.Period(str(m), freq="M") for m in (asked[0], asked[-1]))
        rows = rows[((rows[MONTH] >= first) & (rows[MONTH] <= last)).to_numpy()]
    grouped = rows.groupby(rows[SOURCE].astype(str))
    owners = dict(owners or {})
    out = pd.DataFrame({
        "source": [f"{s} (area counts by {', '.join(sorted(map(str, set(g[AREA_KIND]))))})"
                   for s, g in grouped],
        "agency": [owners.get(s, s) for s, _ in grouped],
        "records": [float("nan") if pd.isna(totals.loc[s, COUNT]) else float(
            totals.loc[s, COUNT]) for s, _ in grouped],
        "harm": [float(totals.loc[s, HARM]) if pd.notna(totals.loc[s, HARM]) else float("nan")
                 for s, _ in grouped],
        "first_month": [str(g[MONTH].min()) for _, g in grouped],
        "last_month": [str(g[MONTH].max()) for _, g in grouped],
    })
    return out[list(CONTRIBUTION_COLUMNS)]
