"""Summaries of a site's activity log: 4P balance per phase, police vs partner share, timeline."""

from __future__ import annotations

import pandas as pd

from geosoc.operations.activities import PILLARS

#: Agency names counted as police (case-insensitive prefix match).
POLICE_AGENCIES = ("police", "constabulary", "nca", "roct", "rocu")


def is_police(agency: pd.Series) -> pd.Series:
    """Return True where the agency is a police body (police, a constabulary, NCA, ROCU)."""
    text = agency.astype("string").str.lower().fillna("")
    return text.str.contains("|".join(POLICE_AGENCIES), regex=True)


def pillar_balance(activities: pd.DataFrame, phases: list[str] | None = None) -> pd.DataFrame:
    """Activities per 4P pillar (rows) and phase (columns), zeros kept, with totals."""
    order = phases or list(dict.fromkeys(activities["phase"]))
    table = pd.crosstab(pd.Categorical(activities["pillar"], categories=PILLARS),
                        pd.Categorical(activities["phase"], categories=order), dropna=False)
    table.index.name, table.columns.name = "pillar", "phase"
    table["all phases"] = table.sum(axis=1)
    return table


def agency_share(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities by police and by partners, per phase: counts and partner share (0..1)."""
    who = is_police(activities["agency"]).map({True: "police", False: "partners"})
    table = pd.crosstab(activities["phase"], who).reindex(columns=["police", "partners"],
                                                           fill_value=0)
    total = table.sum(axis=1)
    table["partner_share"] = (table["partners"] / total.where(total > 0)).round(3)
    return table


def activity_timeline(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities per month (``Period[M]``) and pillar, every month from first to last."""
    months = activities["date"].dt.to_period("M")
    table = pd.crosstab(months, pd.Categorical(activities["pillar"], categories=PILLARS),
                        dropna=False)
    if len(table):
        full = pd.period_range(table.index.min(), table.index.max(), freq="M")
        table = table.reindex(full, fill_value=0)
    table.index.name = "month"
    return table
