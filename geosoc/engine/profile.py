"""The locality profile from a harm cube, built in memory or on a dask cluster.

The aggregation half of the profile as pure per-partition steps: :func:`profile_part` reduces
one partition of incidents (plain ``lon``/``lat`` columns, no geometry) to a
:class:`ProfilePart` (the harm cube keyed by source and category, and the incident hull
candidates), :func:`combine_parts` adds parts exactly, and :func:`aggregates_from_part`
turns the total into :class:`geosoc.hotspots.profile_result.ProfileAggregates` for the
statistics half. Filters (months, categories, sources) are applied to the cube, so the row
account by reason is exact whatever the partitioning.

:mod:`geosoc.engine.profile_run` runs these steps on a frame in memory or on a partitioned
dataset on dask. Harm is summed as integer micro-days, so every engine gives exactly the
same profile. Coordinates are WGS84
(EPSG:4326) degrees; cell areas are measured in EPSG:27700.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import cell_centres, cover_area, h3_ints_to_str, h3_strs_to_int
from geosoc.aggregate.tables import build_area_index
from geosoc.engine.cube import (
    HARM_SCALE,
    SOURCE_CATEGORY,
    CubeSpec,
    code_months,
    combine_cubes,
    cube_areas,
    cube_cells,
    cube_months,
    cube_unlocated,
    key_parts,
    month_codes,
    partition_cube,
)
from geosoc.errors import AnalysisError, Problem
from geosoc.harm import Scheme, apply_harm_weights
from geosoc.hotspots.profile_result import (
    LocalityProfile,
    ProfileAggregates,
    Progress,
    profile_statistics,
)
from geosoc.hotspots.study_area import (
    areas_in_data_cover,
    data_cover,
    hull_candidates,
    study_area,
)
from geosoc.schema import CATEGORY, COUNT, H3, HARM, LAT, LON, MONTH, SOURCE


@dataclass(frozen=True)
class HullFilter:
    """The profile's filters, applied in each partition to choose the hull's incidents.

    ``months`` holds ``(first, last)`` ``YYYY-MM`` strings, either ``None`` (open).
    """

    months: tuple[str | None, str | None] | None = None
    categories: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` that pass every filter."""
        keep = np.ones(len(frame), dtype=bool)
        if self.months is not None:
            code = month_codes(frame[MONTH])
            first, last = self.months
            if first is not None:
                keep &= code >= month_codes(pd.Series([first]))[0]
            if last is not None:
                keep &= code <= month_codes(pd.Series([last]))[0]
            keep &= code >= 0
        for column, chosen in ((CATEGORY, self.categories), (SOURCE, self.sources)):
            if chosen is not None:
                keep &= frame[column].isin(list(chosen)).to_numpy()
        return keep


@dataclass(frozen=True)
class ProfilePart:
    """One partition's (or several added partitions') share of a profile.

    Attributes
    ----------
    cube : pandas.DataFrame
        Harm cube keyed by ``source`` and ``category`` (:data:`SOURCE_CATEGORY`).
    hull : numpy.ndarray
        Incident hull candidates ``(k, 2)`` lon/lat (empty when areas are given).
    rows : int
        Incidents reduced.
    """

    cube: pd.DataFrame
    hull: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    rows: int = 0


def profile_part(frame: pd.DataFrame, spec: CubeSpec, hull: HullFilter | None) -> ProfilePart:
    """Reduce one partition of incidents to its :class:`ProfilePart` (pure; runs anywhere).

    Parameters
    ----------
    frame : pandas.DataFrame
        Incidents with ``lon``, ``lat`` (EPSG:4326 degrees), ``month``, ``category``,
        ``source``; geometry is not needed.
    spec : CubeSpec
        Cube specification (``by`` must be :data:`SOURCE_CATEGORY`).
    hull : HullFilter or None
        The filters choosing the incidents of the hull; ``None``: no hull (areas given).
    """
    frame = pd.DataFrame(frame)
    points = np.zeros((0, 2))
    if hull is not None and len(frame):
        keep = hull.mask(frame)
        points = hull_candidates(frame[LON].to_numpy(dtype="float64", na_value=np.nan)[keep],
                                 frame[LAT].to_numpy(dtype="float64", na_value=np.nan)[keep])
    return ProfilePart(partition_cube(frame, spec), points, len(frame))


def combine_parts(parts: Sequence[ProfilePart]) -> ProfilePart:
    """Add parts: cubes exactly, hull candidates reduced to the hull of them all."""
    points = np.concatenate([p.hull for p in parts]) if parts else np.zeros((0, 2))
    if len(points):
        points = hull_candidates(points[:, 0], points[:, 1])
    return ProfilePart(combine_cubes([p.cube for p in parts]), points,
                       sum(p.rows for p in parts))


def cube_spec(areas: Mapping[str, gpd.GeoDataFrame] | None, *, resolution: int = 9,
              weights: pd.DataFrame | str | None = None, scheme: Scheme = "harm",
              unknown: str | float = "error") -> CubeSpec:
    """Return the cube specification of a profile (area indexes built here, once)."""
    from geosoc.harm import load_harm_weights

    table = weights if isinstance(weights, pd.DataFrame) else load_harm_weights(weights)
    return CubeSpec(resolution=resolution, weights=table, scheme=scheme,
                    unknown=0.0 if unknown == "error" else unknown, by=SOURCE_CATEGORY,
                    areas=tuple(build_area_index(frame) for frame in (areas or {}).values()))


def _check_weights(cube: pd.DataFrame, spec: CubeSpec, unknown: str | float) -> None:
    """Raise the harm module's error when chosen incidents have no weight (as in memory)."""
    if unknown != "error" or spec.scheme == "count" or cube.empty:
        return
    counts = cube.groupby("key", observed=True)[COUNT].sum()
    sources, categories = key_parts(counts.index)
    distinct = pd.DataFrame({SOURCE: sources, CATEGORY: categories})
    try:
        apply_harm_weights(distinct, spec.weights, scheme=spec.scheme, unknown="error")
    except Exception:  # same error, with the number of rows of each missing key
        rows = distinct.loc[np.repeat(np.arange(len(distinct)), counts.to_numpy())]
        apply_harm_weights(rows, spec.weights, scheme=spec.scheme, unknown="error")
        raise


def _filter_cube(cube: pd.DataFrame, months: tuple[str, str] | None,
                 categories: Sequence[str] | None, sources: Sequence[str] | None
                 ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Cube rows passing the filters, and the incidents each filter dropped (in order)."""
    count = cube[COUNT].to_numpy()
    source, category = key_parts(cube["key"].cat.categories)
    code = cube["key"].cat.codes.to_numpy()
    steps = []
    if months is not None:
        lo, hi = month_codes(pd.Series(list(months)))
        month = cube["month"].to_numpy()
        steps.append(("outside the month range", (month >= lo) & (month <= hi)))
    if categories is not None:
        steps.append(("not in the chosen categories",
                      np.isin(category, list(categories))[code]))
    if sources is not None:
        steps.append(("not in the chosen sources", np.isin(source, list(sources))[code]))
    keep = np.ones(len(cube), dtype=bool)
    dropped: dict[str, int] = {}
    for reason, mask in steps:
        n = int(count[keep & ~mask].sum())
        if n:
            dropped[reason] = n
        keep &= mask
    if not count[keep].sum():
        raise AnalysisError("no incidents left after filtering", [Problem(
            f"months={months}, categories={categories}, sources={sources} match nothing",
            fix="widen the month range or choose other categories/sources")])
    return cube[keep], dropped


def _positions(cover_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Row of each id in the sorted ``cover_ids``, ``-1`` where absent."""
    if len(cover_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    slot = np.minimum(np.searchsorted(cover_ids, ids), len(cover_ids) - 1)
    return np.where(cover_ids[slot] == ids, slot, -1).astype(np.int64)


def _panel(in_cover: pd.DataFrame, ids: pd.Index, freq: str) -> pd.DataFrame:
    """Cell x period harm (exact integer sums), zero-filled, in ``to_panel`` form."""
    dated = in_cover[in_cover["month"].to_numpy() >= 0]
    period = code_months(dated["month"].to_numpy())
    if freq != "M":
        period = period.asfreq(freq)
    sums = (pd.DataFrame({H3: h3_ints_to_str(dated["h3"].to_numpy()), "period": period,
                          "micro": dated["harm_micro"].to_numpy()})
            .groupby([H3, "period"], sort=False)["micro"].sum() / HARM_SCALE)
    periods = pd.period_range(period.min(), period.max(), freq=freq)
    full = pd.MultiIndex.from_product([pd.Index(ids), periods], names=[H3, "period"])
    return sums.reindex(full, fill_value=0.0).rename(HARM).reset_index(level="period")


def aggregates_from_part(part: ProfilePart, spec: CubeSpec,
                         areas: Mapping[str, gpd.GeoDataFrame] | None = None, *,
                         unknown: str | float = "error",
                         months: tuple[str, str] | None = None,
                         categories: Sequence[str] | None = None,
                         sources: Sequence[str] | None = None) -> ProfileAggregates:
    """Turn a combined :class:`ProfilePart` into the statistics' aggregates.

    Cells are the zero-filled cover (EPSG:4326) of the areas' union, or of the incident hull
    buffered by 1e-3 degrees; areas are zero-filled per layer, keeping only the areas in the
    data's cover (:func:`geosoc.hotspots.study_area.areas_in_data_cover`, computed from the
    chosen incidents' cells); the monthly totals and the panel count the incidents inside
    the cover, as the in-memory profile does.
    """
    areas = dict(areas or {})
    chosen, dropped = _filter_cube(part.cube, months, categories, sources)
    _check_weights(chosen, spec, unknown)
    resolution = spec.resolution
    sums = cube_cells(chosen, resolution)
    layer_sums = {kind: cube_areas(chosen, spec.layer_sizes(), layer)
                  for layer, kind in enumerate(areas)}
    rule = areas_in_data_cover(areas, {k: v[COUNT].to_numpy() for k, v in layer_sums.items()},
                               data_cover(*cell_centres(sums.index.to_numpy(dtype=np.uint64)),
                                          sums[COUNT].to_numpy()) if areas else None)
    cover = cover_area(study_area(rule.apply(areas), None if areas else part.hull), resolution)
    cover_ids = h3_strs_to_int(cover.index.to_numpy())
    at = _positions(cover_ids, sums.index.to_numpy(dtype=np.uint64))
    inside = at >= 0
    cells = cover.copy()
    count = np.zeros(len(cover), dtype="int64")
    harm = np.zeros(len(cover), dtype="float64")
    count[at[inside]] = sums[COUNT].to_numpy()[inside]
    harm[at[inside]] = sums[HARM].to_numpy()[inside]
    cells[COUNT], cells[HARM] = count, harm
    lost = {"outside_cover": int(sums[COUNT].to_numpy()[~inside].sum()),
            "unlocated": cube_unlocated(chosen)}
    cells.attrs.update(h3_resolution=int(resolution), outside_count=lost["outside_cover"],
                       unlocated_count=lost["unlocated"])
    for reason, n in (("no location", lost["unlocated"]),
                      ("outside the boundary cover", lost["outside_cover"])):
        if n:
            dropped[reason] = n
    in_cover = chosen[_positions(cover_ids, chosen["h3"].to_numpy(dtype=np.uint64)) >= 0]
    totals = {}
    for kind, frame in areas.items():
        out = frame.copy()
        out[COUNT] = layer_sums[kind][COUNT].to_numpy()
        out[HARM] = layer_sums[kind][HARM].to_numpy()
        totals[kind] = out if rule.keep[kind].all() else out[rule.keep[kind]]
    monthly = cube_months(in_cover)
    return ProfileAggregates(
        cells=cells, areas=totals, monthly=monthly,
        panel=lambda freq: _panel(in_cover, cells.index, freq), dropped=dropped, lost=lost,
        incidents_in=part.rows, incidents_used=int(chosen[COUNT].sum()),
        notes=tuple(rule.notes))


def profile_from_part(part: ProfilePart, spec: CubeSpec,
                      areas: Mapping[str, gpd.GeoDataFrame] | None = None, *,
                      unknown: str | float = "error",
                      months: tuple[str | None, str | None] | None = None,
                      categories: Sequence[str] | None = None,
                      sources: Sequence[str] | None = None, permutations: int = 0,
                      lisa_permutations: int = 9_999,
                      emerging_freq: Literal["M", "Q"] | None = "M", seed: int = 0,
                      progress: Progress | None = None) -> LocalityProfile:
    """Run the statistics on a combined part (a ``None`` month end: the data's first/last)."""
    if months is not None and None in months:
        valid = part.cube["month"].to_numpy()
        valid = valid[valid >= 0]
        first, last = (str(p) for p in code_months([valid.min(), valid.max()]))
        months = (months[0] or first, months[1] or last)
    aggregates = aggregates_from_part(part, spec, areas, unknown=unknown, months=months,
                                      categories=categories, sources=sources)
    parameters = {"resolution": spec.resolution, "scheme": spec.scheme, "months": months,
                  "categories": categories, "sources": sources}
    profile = profile_statistics(aggregates, permutations=permutations,
                                 lisa_permutations=lisa_permutations,
                                 emerging_freq=emerging_freq, seed=seed,
                                 parameters=parameters, progress=progress)
    counts = part.cube.groupby("key", observed=True)[COUNT].sum()
    source, category = key_parts(counts.index)
    keys = pd.DataFrame({SOURCE: source, CATEGORY: category, COUNT: counts.to_numpy()})
    return replace(profile, keys=keys)

