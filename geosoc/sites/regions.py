"""Grow compact, contiguous candidate regions of H3 cells from hotspot seeds.

A CHB site should be ward- or postcode-sized. Where wards are too coarse (or cut a hotspot
in two) a region of H3 cells of a chosen size is a better candidate. :func:`grow_regions`
starts at the hottest unused cell and greedily adds the neighbouring cell with the highest
value, subject to a compactness rule, until the region reaches the target size.

Rules (all deterministic, no randomness):

* **Seeds**: unless given, cells in descending ``gi_z`` order when the cells carry ``gi_z``,
  otherwise descending ``value``; ties broken by the H3 id. Only cells with a positive value
  seed a region, and a seed already inside a region is skipped.
* **Growth**: the frontier is every unused cover cell sharing an edge with the region. The
  frontier cell with the highest ``value`` (ties: the H3 id) whose centre lies within
  ``compactness * sqrt(target_area / pi)`` metres of the region centroid joins next. This
  radius rule keeps regions round, not snakes.
* **Size tolerance**: growth stops at the first cell that makes the size reach the target,
  so a complete region's size ``s`` satisfies ``target <= s < target + one cell`` (one cell's
  area in km², or that cell's population). A region that runs out of admissible frontier
  cells first is kept with ``complete = False``.
* **No overlaps**: a cell belongs to at most one region.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import h3ronpy
import numpy as np
import pandas as pd
from pyproj import Transformer

from geosoc.aggregate.cells import as_cell_ids, cell_centres, cell_polygons
from geosoc.errors import AnalysisError, Problem, SchemaError
from geosoc.hotspots.weights import h3_neighbour_pairs
from geosoc.schema import AREA_CODE, CRS_METRIC, CRS_STORE, H3, KIND, NAME, require_columns

__all__ = ["cell_areas_km2", "grow_regions", "h3_cells_adjacency", "name_regions_by_areas"]


def cell_areas_km2(h3_ids: Sequence[str]) -> np.ndarray:
    """Return the exact area of each H3 cell in km² (spherical, h3's own formula).

    Parameters
    ----------
    h3_ids : sequence of str
        H3 cell ids as hex strings.

    Returns
    -------
    numpy.ndarray
        float64 areas in square kilometres, in the input order.
    """
    cells = as_cell_ids(h3_ids)
    if cells.size == 0:
        return np.zeros(0)
    return np.asarray(h3ronpy.cells_area_km2(cells), dtype="float64")


def h3_cells_adjacency(h3_ids: Sequence[str]) -> dict[str, set[str]]:
    """Return each cell's edge neighbours that are also in ``h3_ids``.

    Parameters
    ----------
    h3_ids : sequence of str
        Unique H3 cell ids (one resolution).

    Returns
    -------
    dict of str to set of str
        For every cell, the set of its ring-1 neighbours present in ``h3_ids``.
    """
    ids = np.asarray(h3_ids, dtype=object)
    if ids.size == 0:
        return {}
    focal, neighbour = h3_neighbour_pairs(ids, 1)
    starts = np.cumsum(np.bincount(focal, minlength=len(ids)))[:-1]
    return {c: set(nb) for c, nb in zip(ids, np.split(ids[neighbour], starts), strict=True)}


def _metric_centres(h3_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return cell-centre eastings and northings (EPSG:27700, metres)."""
    lon, lat = cell_centres(h3_ids)
    to_metric = Transformer.from_crs(CRS_STORE, CRS_METRIC, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _check_inputs(
    cells: pd.DataFrame,
    value: str,
    target_km2: float | None,
    target_population: float | None,
    population_col: str | None,
    max_regions: int,
    compactness: float,
) -> None:
    """Collect every problem with the arguments of :func:`grow_regions` and raise once."""
    require_columns(cells, [value] + ([population_col] if population_col else []), what="cells")
    problems = []
    if (target_km2 is None) == (target_population is None):
        problems.append(Problem("give exactly one of target_km2 or target_population",
                                fix="e.g. target_km2=1.0 for a ward-sized region"))
    for name, target in (("target_km2", target_km2), ("target_population", target_population)):
        if target is not None and not (np.isfinite(target) and target > 0):
            problems.append(Problem(f"{name} must be a positive number, got {target!r}",
                                    fix="pass a size greater than zero"))
    if target_population is not None and population_col is None:
        problems.append(Problem("target_population needs population_col",
                                fix="name the cells column holding population or households"))
    if max_regions < 1:
        problems.append(Problem(f"max_regions must be at least 1, got {max_regions}"))
    if not compactness > 0:
        problems.append(Problem(f"compactness must be positive, got {compactness}",
                                fix="use about 1.0-2.0; larger allows less round regions"))
    if cells.index.name != H3 or not cells.index.is_unique:
        problems.append(Problem("cells must be indexed by unique 'h3' ids", column=H3,
                                fix="use the frame from geosoc.aggregate.harm_by_cell"))
    if problems:
        raise SchemaError("cannot grow regions from these arguments", problems)


def grow_regions(
    cells: pd.DataFrame,
    *,
    seeds: Sequence[str] | None = None,
    target_km2: float | None = None,
    target_population: float | None = None,
    population_col: str | None = None,
    max_regions: int = 10,
    compactness: float = 1.5,
    value: str = "harm",
) -> gpd.GeoDataFrame:
    """Grow up to ``max_regions`` non-overlapping contiguous regions of H3 cells.

    Parameters
    ----------
    cells : pandas.DataFrame or geopandas.GeoDataFrame
        Cells contract: index ``h3`` (str ids, one resolution), a ``value`` column and
        optionally ``gi_z`` (used to order default seeds) and ``population_col``. The
        zero-filled study-area cover; regions only use cells present here.
    seeds : sequence of str, optional
        H3 ids to start regions from, in order. Default: see the module docstring.
    target_km2 : float, optional
        Target region area in km² (spherical cell areas).
    target_population : float, optional
        Target population (or household count) summed from ``population_col``; the
        compactness radius then uses the area implied by the cover's mean density.
    population_col : str, optional
        Cells column with the population or household count.
    max_regions : int
        Most regions to return.
    compactness : float
        Radius factor: a cell joins only if its centre is within
        ``compactness * sqrt(target_area / pi)`` of the region's centroid (metres,
        EPSG:27700). About 1.5 gives round regions.
    value : str
        Column whose highest values are added first (default ``"harm"``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per region, index ``area_code`` (``"H3R01"``...), columns ``name``,
        ``kind`` (``"custom"``), ``seed`` (h3 id), ``h3_cells`` (comma-joined h3 ids),
        ``n_cells``, ``area_km2``, ``population`` (when asked), ``<value>`` (sum),
        ``complete`` (bool: reached the target) and geometry (union of the cells,
        EPSG:4326). Empty (same columns) when no cell has a positive value.

    Raises
    ------
    SchemaError
        When the arguments are inconsistent (all problems listed).
    AnalysisError
        When a given seed is not a cell of ``cells``.
    """
    _check_inputs(cells, value, target_km2, target_population, population_col,
                  max_regions, compactness)
    ids = cells.index.astype(str).to_numpy()
    pos = {c: i for i, c in enumerate(ids)}
    vals = cells[value].to_numpy(dtype=float)
    areas = cell_areas_km2(ids)
    if target_km2 is not None:
        size, target, implied_km2 = areas, float(target_km2), float(target_km2)
    else:
        size = cells[population_col].to_numpy(dtype=float)
        target = float(target_population)
        density = size.sum() / areas.sum() if size.sum() > 0 else 1.0
        implied_km2 = target / density
    radius_m = compactness * np.sqrt(implied_km2 * 1e6 / np.pi)
    cx, cy = _metric_centres(ids)
    adjacency = h3_cells_adjacency(ids)

    if seeds is None:
        key = cells["gi_z"].to_numpy(dtype=float) if "gi_z" in cells.columns else vals
        order = np.lexsort((ids, -np.nan_to_num(key, nan=-np.inf)))
        seeds = [ids[i] for i in order if vals[i] > 0]
    else:
        unknown = [s for s in seeds if s not in pos]
        if unknown:
            raise AnalysisError("seed cells are not in the cover", [
                Problem(f"seed {s} is not a cell of the cover", column=H3,
                        fix="pick seeds from the cells frame index") for s in unknown])

    used: set[str] = set()
    regions: list[dict[str, object]] = []
    for seed in seeds:
        if len(regions) >= max_regions:
            break
        if seed in used:
            continue
        members = _grow_one(seed, pos, vals, size, target, radius_m, cx, cy, adjacency, used, ids)
        used.update(members)
        idx = np.array([pos[c] for c in members])
        regions.append({
            "seed": seed,
            "h3_cells": ",".join(members),
            "n_cells": len(members),
            "area_km2": float(areas[idx].sum()),
            **({"population": float(size[idx].sum())} if target_population is not None else {}),
            value: float(vals[idx].sum()),
            "complete": bool(size[idx].sum() >= target),
        })
    return _regions_frame(regions, value, target_population is not None)


def _grow_one(
    seed: str,
    pos: dict[str, int],
    vals: np.ndarray,
    size: np.ndarray,
    target: float,
    radius_m: float,
    cx: np.ndarray,
    cy: np.ndarray,
    adjacency: dict[str, set[str]],
    used: set[str],
    ids: np.ndarray,
) -> list[str]:
    """Grow one region from ``seed`` and return its cells in the order they joined."""
    members = [seed]
    member_set = {seed}
    i = pos[seed]
    total, wx, wy, wsum = size[i], cx[i], cy[i], 1.0
    frontier = adjacency[seed] - used
    while total < target:
        candidates = sorted(frontier - member_set)
        if not candidates:
            break
        cidx = np.array([pos[c] for c in candidates])
        dist = np.hypot(cx[cidx] - wx / wsum, cy[cidx] - wy / wsum)
        ok = dist <= radius_m
        if not ok.any():
            break
        admissible = cidx[ok]
        # Highest value first; ties go to the smaller h3 id (candidates are sorted by id).
        best = admissible[np.argmax(vals[admissible])]
        cell = ids[best]
        members.append(cell)
        member_set.add(cell)
        total += size[best]
        wx, wy, wsum = wx + cx[best], wy + cy[best], wsum + 1.0
        frontier |= adjacency[cell] - used
        frontier -= member_set
    return members


def _regions_frame(
    regions: list[dict[str, object]], value: str, with_population: bool
) -> gpd.GeoDataFrame:
    """Assemble the regions list into the Areas-contract GeoDataFrame."""
    columns = ["seed", "h3_cells", "n_cells", "area_km2"]
    columns += ["population"] if with_population else []
    columns += [value, "complete"]
    frame = pd.DataFrame(regions, columns=columns)
    codes = pd.Index([f"H3R{k + 1:02d}" for k in range(len(frame))], name=AREA_CODE)
    frame.index = codes
    members = frame["h3_cells"].str.split(",").explode()
    hexagons = gpd.GeoDataFrame({AREA_CODE: members.index.to_numpy()},
                                geometry=cell_polygons(members.to_numpy(dtype=str)).to_numpy(),
                                crs=CRS_STORE)
    unions = hexagons.dissolve(AREA_CODE).geometry
    frame["geometry"] = unions.reindex(codes).to_numpy() if len(frame) else []
    frame.insert(0, NAME, [f"H3 region {k + 1}" for k in range(len(frame))])
    frame.insert(1, KIND, "custom")
    frame[NAME] = frame[NAME].astype(str)
    frame[KIND] = frame[KIND].astype(str)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS_STORE)


def name_regions_by_areas(regions: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *,
                          column: str = "covers", top: int = 2) -> gpd.GeoDataFrame:
    """Name H3 regions after the areas (wards, LSOAs) they cover.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Output of :func:`grow_regions` (EPSG:4326).
    areas : geopandas.GeoDataFrame
        Areas contract (index ``area_code``, ``name``; EPSG:4326), e.g. wards.
    column : str
        Column to write: every covered area with its share of the region's area, largest
        first (``"Alpha (70%), Beta (30%)"``).
    top : int
        Areas named in ``name`` (``"Alpha / Beta (H3 region 1)"``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``name`` replaced and ``column`` added. Shares are measured in
        EPSG:27700 square metres.
    """
    out = regions.copy()
    if out.empty:
        out[column] = pd.Series(dtype=str)
        return out
    label = areas[NAME].astype(str).where(areas[NAME].astype(str) != "",
                                          areas.index.astype(str))
    left = gpd.GeoDataFrame({"_region": out.index.to_numpy()},
                            geometry=out.geometry.to_numpy(), crs=CRS_STORE).to_crs(CRS_METRIC)
    right = gpd.GeoDataFrame({"_area": label.to_numpy()}, geometry=areas.geometry.to_numpy(),
                             crs=CRS_STORE).to_crs(CRS_METRIC)
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces["_m2"] = pieces.geometry.area
    shares = pieces.groupby(["_region", "_area"])["_m2"].sum()
    shares = (shares / shares.groupby(level=0).transform("sum")).sort_values(ascending=False)
    covers, names = {}, {}
    for position, code in enumerate(out.index):  # one row per region (at most a few dozen)
        mine = shares.xs(code, level=0) if code in shares.index.get_level_values(0) else None
        plain = f"H3 region {position + 1}"
        if mine is None or mine.empty:
            covers[code], names[code] = "", plain
            continue
        covers[code] = ", ".join(f"{a} ({s:.0%})" for a, s in mine.items())
        names[code] = " / ".join(mine.index[:top]) + f" ({plain})"
    out[NAME] = [names[c] for c in out.index]
    out[column] = [covers[c] for c in out.index]
    return out
