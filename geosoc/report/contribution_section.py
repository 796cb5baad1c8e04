"""Launch pack sections: whose data is in the profile, and rates per 1,000 residents.

Both are built from what the audience may see: the incidents behind the output (already
limited by the widest-role rule) and, for rates, the disclosed area counts.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geosoc.aggregate.rates import SMALL_POPULATION, population_for, with_rates
from geosoc.disclosure.contribution import disclosed_contribution
from geosoc.disclosure.rules import Role

#: Headings of the contribution table.
CONTRIBUTION_HEADINGS = {"agency": "Agency", "source": "Data", "records": "Records",
                         "first_month": "From", "last_month": "To"}


def contribution_section_html(incidents: pd.DataFrame | None, role: Role,
                              owners: Mapping[str, str] | None,
                              table: object, *, partner_counts: object | None = None,
                              months: tuple[str, ...] | None = None) -> str:
    """Return the "Whose data is in this profile" section (empty without incidents).

    ``table`` renders a frame as escaped HTML (the report's own table writer).
    """
    if incidents is None or incidents.empty or "source" not in incidents.columns:
        return ""
    frame = disclosed_contribution(incidents, role, owners=owners,
                                   partner_counts=partner_counts, months=months)
    note = ("" if role is Role.ANALYST else
            " Record counts are disclosed like every figure here (rounded or perturbed; "
            "small totals suppressed).")
    return ("<section><h2>Whose data is in this profile</h2>"
            f"<p>{len(frame)} data source(s) from "
            f"{frame['agency'].nunique()} agenc{'y' if frame['agency'].nunique() == 1 else 'ies'}"
            f".{html.escape(note)}</p>"
            + table(frame, CONTRIBUTION_HEADINGS) + "</section>")


def top_areas_with_rates(top: pd.DataFrame, kind: str, population: pd.DataFrame | None,
                         areas: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Add residents and incidents per 1,000 to the top-areas table; return it and headings.

    ``top`` holds the (disclosed, for partner and public) ``count`` per area code; the
    population is apportioned from LSOAs when the file is not at this ``kind``'s level.
    """
    pop = population_for(kind, areas.get(kind), population, areas.get("lsoa"))
    if pop is None:
        return top, {}
    out = with_rates(top, pop, columns=("count",))
    out["small_note"] = np.where(out["small_population"],
                                 f"under {SMALL_POPULATION} residents: read with care", "")
    known = out["population"].notna().to_numpy()
    counted = out["count"].notna().to_numpy()
    out["population"] = np.where(known, out["population"].map("{:,.0f}".format), "not known")
    rate = out["count_per_1000"]
    out["count_per_1000"] = np.where(~counted, "suppressed", np.where(
        rate.notna().to_numpy(), rate.map("{:,.1f}".format), "n/a"))
    return out, {"population": "Residents", "count_per_1000": "Events per 1,000 residents",
                 "small_note": "Note"}
