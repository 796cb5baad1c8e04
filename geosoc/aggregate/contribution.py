"""Per-agency contribution: whose data a profile holds, how many records, which months.

A launch audience should see the totality of what the locality profile rests on (CHB FB4:
police *and partner* data), and every agency sees its own part acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geosoc.schema import HARM, MONTH, SOURCE

#: Columns of :func:`contribution_table`.
CONTRIBUTION_COLUMNS = ("source", "agency", "records", "harm", "first_month", "last_month")


def contribution_table(incidents: pd.DataFrame, owners: Mapping[str, str] | None = None
                       ) -> pd.DataFrame:
    """Return one row per source: owner agency, records, harm (days), first and last month.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents contract (``source``, ``month`` Period[M], ``harm`` in days if weighted);
        any CRS, geometry not used.
    owners : mapping, optional
        Owner agency per source (from the data-sharing records); a source without one is
        named by itself.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONTRIBUTION_COLUMNS`, most records first; ``records`` int64,
        ``harm`` float (NaN when the incidents carry no harm), months ``YYYY-MM`` text.
    """
    owners = dict(owners or {})
    if incidents.empty:
        return pd.DataFrame(columns=list(CONTRIBUTION_COLUMNS))
    harm = (incidents[HARM].astype(float) if HARM in incidents.columns
            else pd.Series(float("nan"), index=incidents.index))
    frame = pd.DataFrame({"source": incidents[SOURCE].astype(str).to_numpy(),
                          "month": incidents[MONTH].to_numpy(), "harm": harm.to_numpy()})
    grouped = frame.groupby("source", sort=True)
    out = pd.DataFrame({
        "records": grouped.size().astype("int64"),
        "harm": grouped["harm"].sum(min_count=1),
        "first_month": grouped["month"].min().astype(str),
        "last_month": grouped["month"].max().astype(str),
    })
    out.insert(0, "agency", [owners.get(s, s) for s in out.index])
    out = out.reset_index().sort_values(["records", "source"], ascending=[False, True])
    return out[list(CONTRIBUTION_COLUMNS)].reset_index(drop=True)
