"""Per-layer disclosure: cells, areas, series and headlines made fit for a role.

See :mod:`geosoc.disclosure` for the rules table and the secondary suppression design.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate import cells as h3cells
from geosoc.config import server_key
from geosoc.disclosure.cell_key import KEY_RANGE, KEY_SUM, cell_keys, content_keys, noise_for
from geosoc.disclosure.point_leaks import coordinate_keys, find_point_leaks
from geosoc.disclosure.rules import (
    DEFAULT_RULES,
    DisclosureRules,
    Role,
    allowed_resolution,
    require_area_kind,
    rules_for,
)
from geosoc.disclosure.suppression import suppress
from geosoc.errors import AccessDeniedError, Problem
from geosoc.schema import COUNT, HARM, LAT, LON, MONTH

#: Columns of statistics computed from raw values; never passed to partner or public.
STATISTIC_PREFIXES = ("gi_", "lisa_", "trend_", "hotspot_bin", "emerging_class", "rate")


def _is_key_sum(column: str) -> bool:
    return column == KEY_SUM or column.startswith(f"{KEY_SUM}__")


def _without_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop record-key sums (they never leave the library)."""
    return frame.drop(columns=[c for c in frame.columns if _is_key_sum(c)])


def _without_statistics(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop statistics derived from raw values (recompute them from disclosed values)."""
    return frame.drop(columns=[c for c in frame.columns
                               if isinstance(c, str) and c.startswith(STATISTIC_PREFIXES)])


def _secret(rules: DisclosureRules, secret: bytes | None) -> bytes | None:
    return (secret or server_key()) if rules.perturb else secret


def _display_rules(rules: DisclosureRules, released: bool) -> DisclosureRules:
    """Return the rules for released values (suppress and round only), else ``rules``."""
    return replace(rules, perturb=False) if released else rules


def disclose_cells(cells: gpd.GeoDataFrame, role: Role | str, *,
                   min_count: int | None = None, secret: bytes | None = None,
                   released: bool = False) -> gpd.GeoDataFrame:
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
    secret : bytes, optional
        Server key for fallback cell keys (:func:`geosoc.config.server_key` by default).
    released : bool
        The values are sums of released base values already
        (:mod:`geosoc.disclosure.release`): suppress and round only, add no noise.

    Returns
    -------
    geopandas.GeoDataFrame
        Cells at ``min(resolution, finest allowed)``. For partner and public, counts and harm
        are perturbed by the cell key method (record-key sums from ``keysum`` columns when
        present, see :func:`geosoc.disclosure.cell_key.add_key_sums`), suppressed and
        rounded, and statistics computed from raw values (``gi_*``, ``lisa_*``...) are
        dropped: compute them from the disclosed values
        (:func:`geosoc.disclosure.derived.hotspots_on_disclosed`). Suppression groups are the
        whole layer and each resolution-7 parent (the public layer).
    """
    rules = rules_for(role, min_count=min_count)
    resolution = _resolution_of(cells)
    target = allowed_resolution(rules.role, resolution)
    layer = cells if target == resolution else _merge_to_parent(cells, target)
    attrs = {**layer.attrs, "h3_resolution": target}
    if rules.role is Role.ANALYST:
        out = _without_keys(layer)
        out.attrs = attrs
        return out
    layer = _without_statistics(layer)
    groups = []
    public_res = DEFAULT_RULES[Role.PUBLIC].finest_h3_resolution
    if target > public_res:
        ids = h3cells.h3_strs_to_int(layer.index.to_numpy())
        groups.append(pd.Series(h3cells.parent_cells(ids, public_res), index=layer.index))
    display = _display_rules(rules, released)
    out = gpd.GeoDataFrame(suppress(layer, display, groups=groups,
                                    secret=_secret(display, secret)),
                           geometry="geometry", crs=cells.crs)
    out.attrs = {**attrs, "role": str(rules.role), "min_count": rules.min_count,
                 "perturbed": rules.perturb, "released": released}
    return out


def _resolution_of(cells: pd.DataFrame) -> int:
    """H3 resolution from ``attrs`` or, when an operation dropped them, from the ids."""
    if "h3_resolution" in cells.attrs:
        return int(cells.attrs["h3_resolution"])
    ids = h3cells.h3_strs_to_int(cells.index.to_numpy()[:1])
    return int(h3cells.cell_resolution(ids)[0])


def _merge_to_parent(cells: gpd.GeoDataFrame, resolution: int) -> gpd.GeoDataFrame:
    """Sum counts and harm of ``cells`` into their parents at ``resolution``."""
    sums = [c for c in cells.columns
            if c in (COUNT, HARM) or c.startswith(("count__", "harm__")) or _is_key_sum(c)]
    ids = h3cells.h3_strs_to_int(cells.index.to_numpy())
    parents = h3cells.h3_ints_to_str(h3cells.parent_cells(ids, resolution))
    merged = cells[sums].groupby(pd.Index(parents, name=cells.index.name)).sum()
    geometry = h3cells.cell_polygons(merged.index.to_numpy())
    out = gpd.GeoDataFrame(merged, geometry=np.asarray(geometry), crs=cells.crs)
    out.attrs = {**cells.attrs, "h3_resolution": resolution}
    return out


def disclose_areas(areas: gpd.GeoDataFrame, role: Role | str, *,
                   parent: pd.Series | None = None,
                   min_count: int | None = None,
                   secret: bytes | None = None, released: bool = False) -> gpd.GeoDataFrame:
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
    secret : bytes, optional
        Server key for fallback cell keys (:func:`geosoc.config.server_key` by default).
    released : bool
        The values are released sums already: suppress and round only.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in the input CRS (EPSG:4326), unchanged for analysts. For partner and
        public: counts perturbed by the cell key method (harm scaled alike), raw-value
        statistics dropped, counts of 1 to ``min_count - 1`` and their harm (days) suppressed to
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
        return _without_keys(areas)
    groups = [parent.reindex(areas.index)] if parent is not None else []
    display = _display_rules(rules, released)
    out = gpd.GeoDataFrame(suppress(_without_statistics(areas), display, groups=groups,
                                    secret=_secret(display, secret)),
                           geometry="geometry", crs=areas.crs)
    out.attrs = {**areas.attrs, "role": str(rules.role), "min_count": rules.min_count,
                 "perturbed": rules.perturb, "released": released}
    return out


def disclose_series(series: pd.DataFrame, role: Role | str, *, by: Iterable[str] = (),
                    min_count: int | None = None,
                    secret: bytes | None = None, released: bool = False) -> pd.DataFrame:
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
    secret : bytes, optional
        Server key for fallback cell keys (:func:`geosoc.config.server_key` by default).
    released : bool
        The values are released sums already: suppress and round only.

    Returns
    -------
    pandas.DataFrame
        A new table per month (analyst, partner) or per ``quarter`` (public, enforced here:
        months are always summed to quarters, never passed through); for partner and
        public, counts and harm (days) perturbed, suppressed and rounded as for layers, with
        a boolean ``suppressed`` column.
    """
    rules = rules_for(role, min_count=min_count)
    keys = list(by)
    table = series.copy()
    if rules.time_grain == "Q":
        table["quarter"] = table[MONTH].dt.asfreq("Q")
        value_cols = [c for c in table.columns
                      if c in (COUNT, HARM) or c.startswith(("count__", "harm__"))
                      or _is_key_sum(c)]
        table = table.groupby([*keys, "quarter"], as_index=False)[value_cols].sum()
    if rules.role is Role.ANALYST:
        return _without_keys(table)
    table = _without_statistics(table)
    groups = [table[k] for k in keys]
    display = _display_rules(rules, released)
    return suppress(table, display, groups=groups,
                    secret=_secret(display, secret)).reset_index(drop=True)


def disclose_totals(count: float, harm: float, role: Role | str, *,
                    key_sum: float | None = None, label: str = "total",
                    secret: bytes | None = None,
                    released: bool = False) -> tuple[float | None, float | None]:
    """Return a published total count and harm (days) for ``role``, perturbed together.

    Parameters
    ----------
    count, harm : float
        The true number of events and their harm in days.
    role : Role or str
        Who will see them.
    key_sum : float, optional
        Sum of the record keys of the events counted (the cell key method); without it a
        keyed hash of ``label`` and the count stands in.
    label : str
        Names the figure for the fallback key.
    secret : bytes, optional
        Server key for the fallback key.
    released : bool
        ``count`` and ``harm`` are sums of released base values
        (:mod:`geosoc.disclosure.release`): suppressed when the count is from 1 to
        ``min_count - 1``, rounded for the public, never perturbed again.

    Returns
    -------
    tuple of (float or None)
        Count and harm, perturbed (harm scaled by the same ratio), suppressed (``None``)
        when the true or perturbed count is from 1 to ``min_count - 1``, and rounded to
        the nearest 5 for the public.
    """
    rules = rules_for(role)
    if rules.role is Role.ANALYST:
        return float(count), float(harm)
    if released:
        if 0 < round(count) < rules.min_count:
            return None, None
        base = rules.rounding_base
        if base > 1:
            return float(round(count / base) * base), float(round(harm / base) * base)
        return float(count), float(harm)
    if key_sum is not None:
        keys = cell_keys(np.array([key_sum]))
    else:
        frame = pd.DataFrame({COUNT: [count]}, index=[label])
        keys = content_keys(frame, COUNT, _secret(rules, secret) or b"")
    raw = round(count)
    shown = raw + int(noise_for(np.array([raw]), keys % KEY_RANGE)[0])
    if 0 < min(raw, shown if raw else 0) < rules.min_count or 0 < raw < rules.min_count:
        return None, None
    disclosed_harm = float(harm) * shown / raw if raw else float(harm)
    if rules.rounding_base > 1:
        base = rules.rounding_base
        return float(round(shown / base) * base), float(round(disclosed_harm / base) * base)
    return float(shown), disclosed_harm


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
        ``None`` for values above 0 and below ``min_count``; otherwise the value, perturbed
        for partner and public (a keyed hash of the value stands in for the cell key; use
        :func:`disclose_totals` with the records' key sum where they are at hand), rounded to
        the nearest 5 for the public.
    """
    rules = rules_for(role)
    if 0 < value < rules.min_count:
        return None
    if rules.perturb:
        count, _ = disclose_totals(value, value, rules.role, label="headline")
        return count
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


#: Asset register columns withheld from each role's exports (public: no contact details).
ASSET_WITHHELD: dict[Role, tuple[str, ...]] = {
    Role.ANALYST: (), Role.PARTNER: ("contact_owner",),
    Role.PUBLIC: ("contact", "contact_owner", "updated_by"),
}


def disclose_assets(assets: pd.DataFrame, role: Role | str) -> pd.DataFrame:
    """Return the asset register fit for ``role``: the public gets no contact details.

    The contact owner (who in the CHB team holds the relationship) is analyst-only.

    Parameters
    ----------
    assets : pandas.DataFrame
        Asset register rows (WGS84 ``lon``/``lat``; assets are published on purpose).
    role : Role or str
        Who the export is for.
    """
    rules = rules_for(role)
    return assets.drop(columns=[c for c in ASSET_WITHHELD[rules.role] if c in assets.columns])
