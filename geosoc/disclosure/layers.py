"""Per-layer disclosure: cells, areas, series and headlines made fit for a role.

See :mod:`geosoc.disclosure` for the rules table and the secondary suppression design.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate import cells as h3cells
from geosoc.disclosure.point_leaks import coordinate_keys, find_point_leaks
from geosoc.disclosure.rules import (
    DEFAULT_RULES,
    Role,
    allowed_resolution,
    require_area_kind,
    rules_for,
)
from geosoc.disclosure.suppression import suppress
from geosoc.errors import AccessDeniedError, Problem
from geosoc.schema import COUNT, HARM, LAT, LON, MONTH


def disclose_cells(cells: gpd.GeoDataFrame, role: Role | str, *,
                   min_count: int | None = None) -> gpd.GeoDataFrame:
    """Return an H3 cell layer fit for ``role``: coarsened, suppressed and rounded.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Cells contract (index ``h3`` str, ``attrs["h3_resolution"]``, ``count``, ``harm``,
        optional ``count__<key>``/``harm__<key>``), geometry EPSG:4326.
    role : Role or str
        Who will see the result.
    min_count : int, optional
        Stricter suppression threshold.

    Returns
    -------
    geopandas.GeoDataFrame
        Cells at ``min(resolution, finest allowed)``; statistics columns other than counts
        and harm (e.g. ``gi_z``) are dropped when cells are merged, as they no longer apply.
        Suppression groups are the whole layer and each resolution-7 parent (the public
        layer), so the two layers cannot be differenced.
    """
    rules = rules_for(role, min_count=min_count)
    resolution = _resolution_of(cells)
    target = allowed_resolution(rules.role, resolution)
    layer = cells if target == resolution else _merge_to_parent(cells, target)
    attrs = {**layer.attrs, "h3_resolution": target}
    if rules.role is Role.ANALYST:
        out = layer.copy()
        out.attrs = attrs
        return out
    groups = []
    public_res = DEFAULT_RULES[Role.PUBLIC].finest_h3_resolution
    if target > public_res:
        ids = h3cells.h3_strs_to_int(layer.index.to_numpy())
        groups.append(pd.Series(h3cells.parent_cells(ids, public_res), index=layer.index))
    out = gpd.GeoDataFrame(suppress(layer, rules, groups=groups), geometry="geometry",
                           crs=cells.crs)
    out.attrs = {**attrs, "role": str(rules.role), "min_count": rules.min_count}
    return out


def _resolution_of(cells: pd.DataFrame) -> int:
    """H3 resolution from ``attrs`` or, when an operation dropped them, from the ids."""
    if "h3_resolution" in cells.attrs:
        return int(cells.attrs["h3_resolution"])
    ids = h3cells.h3_strs_to_int(cells.index.to_numpy()[:1])
    return int(h3cells.cell_resolution(ids)[0])


def _merge_to_parent(cells: gpd.GeoDataFrame, resolution: int) -> gpd.GeoDataFrame:
    """Sum counts and harm of ``cells`` into their parents at ``resolution``."""
    sums = [c for c in cells.columns if c in (COUNT, HARM) or c.startswith(("count__", "harm__"))]
    ids = h3cells.h3_strs_to_int(cells.index.to_numpy())
    parents = h3cells.h3_ints_to_str(h3cells.parent_cells(ids, resolution))
    merged = cells[sums].groupby(pd.Index(parents, name=cells.index.name)).sum()
    geometry = h3cells.cell_polygons(merged.index.to_numpy())
    out = gpd.GeoDataFrame(merged, geometry=np.asarray(geometry), crs=cells.crs)
    out.attrs = {**cells.attrs, "h3_resolution": resolution}
    return out


def disclose_areas(areas: gpd.GeoDataFrame, role: Role | str, *,
                   parent: pd.Series | None = None,
                   min_count: int | None = None) -> gpd.GeoDataFrame:
    """Return an area layer fit for ``role``.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas contract with ``count``/``harm`` (index ``area_code``), EPSG:4326.
    role : Role or str
        Who will see the result.
    parent : pandas.Series, optional
        Parent area code per area (e.g. LSOA -> ward) when the parent layer is published
        too; its totals then count as groups for secondary suppression.
    min_count : int, optional
        Stricter suppression threshold.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in the input CRS (EPSG:4326), unchanged for analysts. For partner and
        public: counts of 1 to ``min_count - 1`` and their harm (days) suppressed to
        ``NaN`` with secondary suppression, public values rounded to the nearest 5, a
        boolean ``suppressed`` column, and ``role``/``min_count`` in ``attrs``.

    Raises
    ------
    AccessDeniedError
        When the layer holds an area ``kind`` the role may not see.
    """
    rules = rules_for(role, min_count=min_count)
    kinds = set(areas["kind"].unique()) if "kind" in areas.columns else set()
    for kind in kinds:
        require_area_kind(rules.role, kind)
    if rules.role is Role.ANALYST:
        return areas.copy()
    groups = [parent.reindex(areas.index)] if parent is not None else []
    out = gpd.GeoDataFrame(suppress(areas, rules, groups=groups), geometry="geometry",
                           crs=areas.crs)
    out.attrs = {**areas.attrs, "role": str(rules.role), "min_count": rules.min_count}
    return out


def disclose_series(series: pd.DataFrame, role: Role | str, *, by: Iterable[str] = (),
                    min_count: int | None = None) -> pd.DataFrame:
    """Return a monthly table (``month``, ``count``, ``harm``...) fit for ``role``.

    The public role gets quarters (``month`` replaced by ``quarter`` Period[Q]); partner and
    public counts are suppressed and rounded like layers, each period being one row.

    Parameters
    ----------
    series : pandas.DataFrame
        Tidy table with a ``month`` Period[M] column, ``count`` and ``harm``.
    role : Role or str
        Who will see the result.
    by : iterable of str
        Extra key columns kept in the grouping (e.g. ``zone``, ``category``).
    min_count : int, optional
        Stricter suppression threshold.

    Returns
    -------
    pandas.DataFrame
        A new table per month (analyst, partner) or per ``quarter`` (public); for partner
        and public, counts and harm (days) suppressed and rounded as for layers, with a
        boolean ``suppressed`` column.
    """
    rules = rules_for(role, min_count=min_count)
    keys = list(by)
    table = series.copy()
    if rules.time_grain == "Q":
        table["quarter"] = table[MONTH].dt.asfreq("Q")
        value_cols = [c for c in table.columns if c in (COUNT, HARM)]
        table = table.groupby([*keys, "quarter"], as_index=False)[value_cols].sum()
    if rules.role is Role.ANALYST:
        return table
    groups = [table[k] for k in keys]
    return suppress(table, rules, groups=groups).reset_index(drop=True)


def disclose_headline(value: float, role: Role | str) -> float | None:
    """Return a single published figure for ``role``: suppressed (``None``) or rounded.

    Parameters
    ----------
    value : float
        A count (or harm in days) about to be shown on its own.
    role : Role or str
        Who will see it.

    Returns
    -------
    float or None
        ``None`` for values above 0 and below ``min_count``; otherwise the value, rounded to
        the nearest 5 for the public.
    """
    rules = rules_for(role)
    if 0 < value < rules.min_count:
        return None
    if rules.rounding_base > 1:
        return float(round(value / rules.rounding_base) * rules.rounding_base)
    return float(value)


def guard_payload(payload: str, incidents: pd.DataFrame, role: Role | str, *,
                  published_points: pd.DataFrame | None = None) -> str:
    """Return ``payload`` unchanged, or raise if a non-analyst payload holds point data.

    Parameters
    ----------
    payload : str
        The text about to leave the server.
    incidents : pandas.DataFrame
        Incidents that must not be disclosed (``incident_id``, ``lon``, ``lat``).
    role : Role or str
        Who receives the payload; analysts may receive point data.
    published_points : pandas.DataFrame, optional
        Points the output publishes on purpose (community assets, with ``lon``/``lat``).
        Their coordinates are not leaks even where an incident geocoded to the same
        postcode centroid shares them.

    Returns
    -------
    str
        ``payload`` itself, when the role may see point data or no leak was found.

    Raises
    ------
    AccessDeniedError
        When a partner or public payload holds an incident ID or ``lon,lat`` pair
        (WGS84, compared at 5 decimal places).
    """
    rules = rules_for(role)
    if rules.point_data:
        return payload
    leaks = find_point_leaks(payload, incidents)
    if leaks and published_points is not None and len(published_points):
        xy = published_points[[LON, LAT]].dropna().to_numpy(dtype=float)
        allowed = set(coordinate_keys(xy[:, 0], xy[:, 1], 5))
        leaks = [leak for leak in leaks if leak not in allowed]
    if leaks:
        raise AccessDeniedError(
            f"refusing to release a {rules.role} output that contains point-level data",
            [Problem(f"found incident identifier or coordinates {leak!r}") for leak in leaks[:5]],
        )
    return payload
