"""Per-agency contribution: whose data a profile holds, how many records, which months.

A launch audience should see the totality of what the locality profile rests on (CHB FB4:
police *and partner* data), and every agency sees its own part acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geosoc.aggregate.tables import event_weights
from geosoc.schema import HARM, MONTH, SOURCE

#: Columns of :func:`contribution_table`.
CONTRIBUTION_COLUMNS = ("source", "agency", "records", "harm", "first_month", "last_month")


def contribution_table(incidents: pd.DataFrame, owners: Mapping[str, str] | None = None
                       ) -> pd.DataFrame:
    """Return one row per source: owner agency, records, harm (days), first and last month.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents contract (``source``, ``month`` Period[M], ``harm`` in days if weighted;
        rows with ``events`` stand for that many); any CRS, geometry not used.
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
    # group on codes: a million Period objects or source strings cost seconds to build
    source_code, sources = pd.factorize(incidents[SOURCE].astype("string"), sort=True)
    month = pd.PeriodIndex(incidents[MONTH], freq="M")
    ordinals = np.where(month.isna(), np.nan, month.asi8.astype("float64"))
    events = event_weights(incidents)
    frame = pd.DataFrame({"source": source_code, "month": ordinals,
                          "harm": harm.to_numpy(dtype="float64"),
                          "events": np.ones(len(incidents), dtype=np.int64)
                          if events is None else events})
    grouped = frame[frame["source"] >= 0].groupby("source", sort=True)
    out = pd.DataFrame({
        "records": grouped["events"].sum().astype("int64"),
        "harm": grouped["harm"].sum(min_count=1),
        "first_month": _month_text(grouped["month"].min()),
        "last_month": _month_text(grouped["month"].max()),
    })
    out.index = pd.Index(np.asarray(sources, dtype=object)[out.index], name="source")
    out.insert(0, "agency", [owners.get(s, s) for s in out.index])
    out = out.reset_index().sort_values(["records", "source"], ascending=[False, True])
    return out[list(CONTRIBUTION_COLUMNS)].reset_index(drop=True)


def _month_text(ordinals: pd.Series) -> pd.Series:
    """``YYYY-MM`` text of float month ordinals (``NaT`` where missing)."""
    valid = ordinals.notna()
    text = pd.Series("NaT", index=ordinals.index, dtype=object)
    text[valid] = pd.PeriodIndex.from_ordinals(ordinals[valid].astype("int64"), freq="M"
                                               ).astype(str)
    return text
