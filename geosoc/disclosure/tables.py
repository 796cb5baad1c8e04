"""Role-aware tables straight from incidents: the one path every shell uses to disclose.

Each function aggregates the incidents it is given (after the role's time grain is applied
to ``months``). For analysts that is the table. For partner and public every value is a sum
of **released base values** (:mod:`geosoc.disclosure.release`): the incidents are split into
base cells (unit x month x category x source), each perturbed once by the cell key method,
and the layer, series or total adds them up; display suppression and (public) rounding are
then applied to those sums. Statistics (Gi*, Local Moran) are computed from the disclosed
values for partner and public, from the raw values for analysts.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate import AreaIndex, harm_by_area, harm_by_cell, harm_by_month
from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.aggregate.rates import with_rates
from geosoc.aggregate.tables import event_total
from geosoc.disclosure.consistency import parent_codes
from geosoc.disclosure.derived import hotspots_on_disclosed
from geosoc.disclosure.layers import (
    disclose_areas,
    disclose_cells,
    disclose_series,
    disclose_totals,
)
from geosoc.disclosure.release import (
    released_areas,
    released_base,
    released_cells,
    released_series,
    released_total,
    released_whole,
)
from geosoc.disclosure.rules import Role, months_for, rules_for
from geosoc.hotspots import find_hotspots
from geosoc.schema import H3, HARM, LAT, LON, MONTH

__all__ = ["disclosed_areas", "disclosed_cells", "disclosed_series", "disclosed_totals",
           "in_months", "released_areas", "released_base", "released_cells", "released_whole"]

By = Literal["category", "source"] | None


def in_months(incidents: pd.DataFrame, role: Role | str,
              months: tuple[str, str] | tuple[()] | None) -> pd.DataFrame:
    """Return the incidents of ``months``, widened to whole quarters for the public."""
    months = months_for(role, months)
    if not months:
        return incidents
    start, end = (pd.Period(str(m), freq="M") for m in months)
    return incidents[(incidents[MONTH] >= start) & (incidents[MONTH] <= end)]


def _placed(incidents: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """``incidents`` with uint64 ``h3`` ids at ``resolution`` (kept when already finer)."""
    stored = incidents.attrs.get("h3_resolution")
    if H3 in incidents.columns and stored is not None and stored >= resolution:
        return incidents
    ids = lonlat_to_cells(incidents[LON].to_numpy(dtype="float64", na_value=np.nan),
                          incidents[LAT].to_numpy(dtype="float64", na_value=np.nan), resolution)
    out = incidents.assign(**{H3: np.asarray(ids, dtype=np.uint64)})
    out.attrs = {**incidents.attrs, "h3_resolution": int(resolution)}
    return out


def disclosed_cells(incidents: pd.DataFrame, role: Role | str, *, resolution: int,
                    cover: gpd.GeoDataFrame, by: By = None,
                    months: tuple[str, str] | None = None, hotspots: bool = True,
                    transform_value: Literal["log1p"] | None = "log1p",
                    lisa_permutations: int = 99, min_count: int | None = None,
                    secret: bytes | None = None) -> gpd.GeoDataFrame:
    """Return harm and counts per H3 cell of ``incidents`` (harm in days), fit for ``role``.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``harm`` (WGS84 ``lon``/``lat``).
    role : Role or str
        Who will see the layer.
    resolution : int
        H3 resolution asked for (coarsened to the role's finest).
    cover : geopandas.GeoDataFrame
        Zero-filled cover at ``resolution`` (EPSG:4326).
    by : {"category", "source"}, optional
        Breakdown columns.
    months : tuple of str, optional
        Month range; whole quarters for the public.
    hotspots : bool
        Add Gi* and Local Moran columns.
    transform_value : {"log1p"}, optional
        Transform of harm for the statistics.
    lisa_permutations : int
        Local Moran permutations (seeded with 0).
    min_count : int, optional
        Stricter threshold.
    secret : bytes, optional
        The server key.
    """
    rules = rules_for(role, min_count=min_count)
    chosen = in_months(incidents, rules.role, months)
    if rules.role is not Role.ANALYST:  # place each point once, for the layer and its release
        chosen = _placed(chosen, resolution)
    cells = harm_by_cell(chosen, resolution, cover=cover, by=by)
    if rules.role is Role.ANALYST:
        if hotspots and len(cells) > 2:
            cells = find_hotspots(cells, HARM, lisa_permutations=lisa_permutations,
                                  transform_value=transform_value)
        return disclose_cells(cells, rules.role)
    layer = disclose_cells(released_cells(cells, chosen, rules.role, by=by, secret=secret),
                           rules.role, min_count=min_count, released=True)
    if hotspots and len(layer) > 2:
        layer = hotspots_on_disclosed(layer, transform_value=transform_value,
                                      lisa_permutations=lisa_permutations)
    return layer


def disclosed_areas(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, role: Role | str, *,
                    by: By = None, months: tuple[str, str] | None = None,
                    index: AreaIndex | None = None, hotspots: bool = False,
                    parents: gpd.GeoDataFrame | None = None,
                    min_count: int | None = None,
                    secret: bytes | None = None,
                    population: pd.Series | None = None) -> gpd.GeoDataFrame:
    """Return harm (days) and counts per area of ``incidents``, fit for ``role``.

    Parameters are those of :func:`disclosed_cells`; ``areas`` is an Areas frame
    (EPSG:4326) and ``index`` its prebuilt point-in-polygon index. ``parents`` is the
    coarser layer published beside it (wards for LSOAs): each parent then counts as a
    secondary-suppression group (:mod:`geosoc.disclosure.consistency`). With
    ``population`` (residents per area code) the layer gets ``population``,
    ``count_per_1000``, ``harm_per_1000`` and ``small_population``, computed from the
    disclosed counts (:func:`geosoc.aggregate.rates.with_rates`).
    """
    layer = _disclosed_areas(incidents, areas, role, by=by, months=months, index=index,
                             hotspots=hotspots, parents=parents, min_count=min_count,
                             secret=secret)
    return layer if population is None else with_rates(layer, population)


def _disclosed_areas(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, role: Role | str, *,
                     by: By, months: tuple[str, str] | None, index: AreaIndex | None,
                     hotspots: bool, parents: gpd.GeoDataFrame | None,
                     min_count: int | None, secret: bytes | None) -> gpd.GeoDataFrame:
    rules = rules_for(role, min_count=min_count)
    chosen = in_months(incidents, rules.role, months)
    totals = harm_by_area(chosen, areas, by=by, index=index)
    if rules.role is Role.ANALYST:
        if hotspots and len(totals) > 2:
            totals = find_hotspots(totals, HARM, lisa_permutations=99)
        return disclose_areas(totals, rules.role)
    parent = parent_codes(areas, parents) if parents is not None else None
    layer = disclose_areas(released_areas(totals, chosen, index=index, by=by, secret=secret),
                           rules.role, parent=parent, min_count=min_count, released=True)
    if hotspots and len(layer) > 2:
        layer = hotspots_on_disclosed(layer, lisa_permutations=99)
    return layer


def disclosed_series(incidents: pd.DataFrame, role: Role | str, *, by: By = None,
                     months: tuple[str, str] | None = None, min_count: int | None = None,
                     secret: bytes | None = None) -> pd.DataFrame:
    """Return monthly (public: quarterly) counts and harm (days) of ``incidents`` for ``role``."""
    rules = rules_for(role, min_count=min_count)
    chosen = in_months(incidents, rules.role, months)
    table = harm_by_month(chosen, by=by)
    if rules.role is Role.ANALYST:
        return disclose_series(table, rules.role, by=[by] if by else [])
    return disclose_series(released_series(released_whole(chosen, secret), table, by), rules.role,
                           by=[by] if by else [], min_count=min_count, released=True)


def disclosed_totals(incidents: pd.DataFrame, role: Role | str, *,
                     months: tuple[str, str] | None = None,
                     secret: bytes | None = None) -> tuple[float | None, float | None]:
    """Return the number of events and their harm (days), disclosed once for ``role``."""
    rules = rules_for(role)
    chosen = in_months(incidents, rules.role, months)
    count, harm = float(event_total(chosen)), float(chosen[HARM].sum())
    if rules.role is Role.ANALYST:
        return count, harm
    count, harm = released_total(released_whole(chosen, secret))
    return disclose_totals(count, harm, rules.role, released=True)
