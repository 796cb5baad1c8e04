"""Change between two periods for every area or cell (ArcGIS "Summarize Percent Change").

For each unit: the current count, the previous count, their difference and the percent
change ``(C - P) / P * 100``, empty where the previous count is 0 (as ArcGIS defines it).
Pass layers that are already disclosed for the audience: a suppressed value (NaN) makes
every derived value of that unit empty too, so the change layer never reveals what the
two period layers hide.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError

#: Output columns, named as the ArcGIS tool names them (lower case).
CHANGE_COLUMNS = ("cur_cnt", "prev_cnt", "diff_cnt", "perc")


def percent_change(current: pd.DataFrame, previous: pd.DataFrame, *, value: str = "count",
                   current_months: int, previous_months: int) -> pd.DataFrame:
    """Return current, previous, difference and percent change of ``value`` per unit.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        The same units (index: area code or H3 cell) for the two periods, with ``value``;
        NaN where a value is suppressed. Units missing from one period count as 0 there.
    value : str
        The column compared (``count`` or ``harm``).
    current_months, previous_months : int
        Lengths of the two periods. Equal lengths compare totals (as ArcGIS requires);
        unequal lengths compare monthly averages, which the result's ``attrs`` say.

    Returns
    -------
    pandas.DataFrame
        Index of both inputs; ``cur_cnt``, ``prev_cnt``, ``diff_cnt``, ``perc`` (float; NaN
        where an input is suppressed, and ``perc`` NaN where the previous value is 0).
    """
    missing = [name for name, frame in (("current", current), ("previous", previous))
               if value not in frame.columns]
    if missing:
        raise SchemaError(f"no '{value}' column to compare", [
            Problem(f"the {name} layer has no '{value}' column", column=value,
                    fix="compare layers from harm_by_area/harm_by_cell") for name in missing])
    if current_months < 1 or previous_months < 1:
        raise SchemaError("a period has no months", [Problem(
            f"periods of {current_months} and {previous_months} months",
            fix="choose two periods of at least one month")])
    index = current.index.union(previous.index)
    cur = current[value].reindex(index, fill_value=0).astype("float64")
    prev = previous[value].reindex(index, fill_value=0).astype("float64")
    per_month = current_months != previous_months
    if per_month:
        cur, prev = cur / current_months, prev / previous_months
    with np.errstate(divide="ignore", invalid="ignore"):
        perc = np.where(prev > 0, (cur - prev) / prev * 100.0, np.nan)
    out = pd.DataFrame({"cur_cnt": cur, "prev_cnt": prev, "diff_cnt": cur - prev,
                        "perc": perc}, index=index)
    out.loc[cur.isna() | prev.isna(), list(CHANGE_COLUMNS)] = np.nan
    out.attrs.update(value=value, per_month=per_month, current_months=current_months,
                     previous_months=previous_months)
    return out


def month_count(months: tuple[str, str]) -> int:
    """Return the number of months from ``months[0]`` to ``months[1]`` (``YYYY-MM``), inclusive."""
    first, last = (pd.Period(str(m), freq="M") for m in months)
    return (last - first).n + 1


def change_by_unit(current: gpd.GeoDataFrame, previous: pd.DataFrame, *, value: str = "count",
                   current_months: int, previous_months: int) -> gpd.GeoDataFrame:
    """Return the change layer: ``current``'s shapes (and ``name``) with the change columns.

    Parameters are those of :func:`percent_change`; ``current`` carries the geometry
    (EPSG:4326) of every unit, as a disclosed layer from ``disclosed_cells``/``areas`` does.

    Returns
    -------
    geopandas.GeoDataFrame
        ``geometry``, ``name`` (when present), ``cur_cnt``, ``prev_cnt``, ``diff_cnt``,
        ``perc``; ``attrs`` as :func:`percent_change` sets them.
    """
    change = percent_change(current, previous, value=value, current_months=current_months,
                            previous_months=previous_months)
    keep = ["geometry", *(["name"] if "name" in current.columns else [])]
    out = gpd.GeoDataFrame(current[keep].join(change, how="left"), crs=current.crs)
    out.attrs.update(change.attrs)
    return out
