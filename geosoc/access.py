"""Roles and statistical disclosure control, applied in the library before anything renders.

Three roles (``../shared/DOMAIN.md`` section 6):

========  ================  ==============  =====================  =========  ============
role      point data        min count       rounding               finest     time grain
========  ================  ==============  =====================  =========  ============
analyst   yes               none            none                   any        month
partner   never             suppress 1–4    none                   H3 res 8   month
public    never             suppress 1–9    nearest 5 (ONS 10-5)   H3 res 7,  quarter
                                                                   ward
========  ================  ==============  =====================  =========  ============

Zero counts are shown as zero (absence of recorded crime identifies nobody); counts from 1 to
``min_count - 1`` are suppressed (``NaN``) together with their harm, because harm divided by
a known weight would give the count back.

**Secondary suppression.** A suppressed value must not be recoverable by subtraction:

* *from a total*: within every group whose total is published (the whole layer, and each
  parent cell or area of an overlapping coarser layer), the suppressed values of that group
  are either none, or at least two values whose sum is itself at least ``min_count``.
  Otherwise the next smallest non-zero value of the group (or, when none is left, a zero)
  is suppressed too, repeated until the rule holds or the whole group is hidden.
* *across columns*: a row whose per-category columns (``count__<key>``) sum to the row
  total gets the same rule across its columns.

The public role's values are rounded to the nearest 5 after suppression (so a total of
rounded values is not the rounded total; headline figures are rounded separately).

This module holds the rules and applies them per layer; the suppression mechanics are in
:mod:`geosoc.suppression` and the point-leak scan behind :func:`guard_payload` in
:mod:`geosoc.point_leaks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc import cells as h3cells
from geosoc.errors import AccessDeniedError, Problem
from geosoc.point_leaks import coordinate_keys, find_point_leaks
from geosoc.schema import COUNT, HARM, LAT, LON, MONTH
from geosoc.suppression import suppress


class Role(StrEnum):
    """Who is looking: decides what may be disclosed."""

    ANALYST = "analyst"
    PARTNER = "partner"
    PUBLIC = "public"


@dataclass(frozen=True)
class DisclosureRules:
    """What a role may see.

    Parameters
    ----------
    role : Role
        The role these rules are for.
    point_data : bool
        Whether point-level incidents (coordinates, IDs) may be disclosed.
    min_count : int
        Counts ``1 .. min_count - 1`` are suppressed; 0 disables suppression.
    rounding_base : int
        Disclosed counts are rounded to a multiple of this (1 = no rounding).
    finest_h3_resolution : int
        The finest H3 resolution that may be shown; finer cells are merged to parents.
    area_kinds : tuple of str
        Area kinds that may be shown.
    time_grain : {"M", "Q"}
        Finest time period that may be shown (month or quarter).
    """

    role: Role
    point_data: bool
    min_count: int
    rounding_base: int
    finest_h3_resolution: int
    area_kinds: tuple[str, ...]
    time_grain: str


ALL_AREA_KINDS = ("ward", "lsoa", "lad", "postcode_sector", "postcode_district", "site", "custom")

DEFAULT_RULES: dict[Role, DisclosureRules] = {
    Role.ANALYST: DisclosureRules(Role.ANALYST, True, 0, 1, 15, ALL_AREA_KINDS, "M"),
    Role.PARTNER: DisclosureRules(Role.PARTNER, False, 5, 1, 8, ALL_AREA_KINDS, "M"),
    Role.PUBLIC: DisclosureRules(Role.PUBLIC, False, 10, 5, 7, ("ward", "lad", "site"), "Q"),
}

#: Marking carried by outputs for each role (Government Security Classifications).
PROTECTIVE_MARKING: dict[Role, str] = {
    Role.ANALYST: "OFFICIAL-SENSITIVE",
    Role.PARTNER: "OFFICIAL-SENSITIVE",
    Role.PUBLIC: "OFFICIAL",
}


def as_role(value: Role | str) -> Role:
    """Return ``value`` as a :class:`Role`.

    Parameters
    ----------
    value : Role or str
        A role or its name, any case (``"Analyst"``, ``"partner"``...).

    Returns
    -------
    Role
        The role.

    Raises
    ------
    AccessDeniedError
        When ``value`` names no role.
    """
    try:
        return Role(str(value).lower())
    except ValueError:
        raise AccessDeniedError(
            f"unknown role {value!r}",
            [Problem(f"role {value!r} is not one of analyst, partner, public",
                     fix="sign in with an analyst, partner or public account")],
        ) from None


def rules_for(role: Role | str, *, min_count: int | None = None) -> DisclosureRules:
    """Return the disclosure rules for ``role``, optionally with a stricter ``min_count``.

    Parameters
    ----------
    role : Role or str
        The role.
    min_count : int, optional
        Override of the suppression threshold. It may only make the rules stricter for
        partner and public roles.

    Returns
    -------
    DisclosureRules
        The role's rules, with ``min_count`` replaced when given.

    Raises
    ------
    AccessDeniedError
        When the role is unknown, or ``min_count`` would loosen a partner or public rule.
    """
    rules = DEFAULT_RULES[as_role(role)]
    if min_count is not None:
        if rules.role is not Role.ANALYST and min_count < rules.min_count:
            raise AccessDeniedError(
                "suppression threshold cannot be lowered",
                [Problem(f"min_count {min_count} is below the {rules.role} minimum "
                         f"{rules.min_count}", fix=f"use {rules.min_count} or more")],
            )
        rules = replace(rules, min_count=min_count)
    return rules


def require_point_access(role: Role | str, what: str = "point-level incident data") -> None:
    """Refuse point-level data to every role but the analyst.

    Parameters
    ----------
    role : Role or str
        Who is asking.
    what : str
        What was asked for, for the message.

    Raises
    ------
    AccessDeniedError
        When ``role`` may not see point-level data.
    """
    rules = rules_for(role)
    if not rules.point_data:
        raise AccessDeniedError(
            f"the {rules.role} role may not see {what}",
            [Problem(f"{what} is restricted to analysts",
                     fix="use the aggregated views (H3 cells or areas) instead")],
        )


def allowed_resolution(role: Role | str, resolution: int) -> int:
    """Return the finest H3 resolution ``role`` may see, no finer than ``resolution``.

    Parameters
    ----------
    role : Role or str
        Who will see the cells.
    resolution : int
        Resolution asked for (0-15).

    Returns
    -------
    int
        ``min(resolution, finest allowed)``: 15 for analysts, 8 for partners, 7 for public.
    """
    return min(int(resolution), rules_for(role).finest_h3_resolution)


def require_area_kind(role: Role | str, kind: str) -> None:
    """Refuse area kinds too small for ``role`` (the public may not see LSOAs).

    Parameters
    ----------
    role : Role or str
        Who will see the areas.
    kind : str
        Area kind (``"ward"``, ``"lsoa"``, ``"postcode_sector"``...).

    Raises
    ------
    AccessDeniedError
        When ``role`` may not see areas of ``kind``.
    """
    rules = rules_for(role)
    if kind not in rules.area_kinds:
        raise AccessDeniedError(
            f"the {rules.role} role may not see {kind} areas",
            [Problem(f"{kind} areas are too small for the {rules.role} view",
                     fix=f"use one of: {', '.join(rules.area_kinds)}")],
        )


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
