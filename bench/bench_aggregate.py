"""Benchmark: points to H3 cells and to ~7,000 polygons, beside the naive paths and the floor.

Run:  .venv/bin/python bench/bench_aggregate.py [--sizes 1000000 10000000] [--repeat 3]

Synthetic points: half uniform, half clustered (Gaussian, 300 m) over a ~50 x 50 km box in
West Yorkshire; polygons are Voronoi cells of random seeds clipped to the box. Prints a table
(median wall and CPU seconds of --repeat runs for the fast paths, one run for the slow
references; CPU time sums threads and is less hurt by a busy machine) and the
process peak RSS after each step (``ru_maxrss``, cumulative). PERF_NOTES.md figures are shown
beside ours. Not a test: nothing is asserted except that the exact paths agree.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.tables import harm_by_area, harm_by_cell
from geosoc.harm import apply_harm_weights
from geosoc.schema import POLICEUK_CRIME_TYPES

BOX = (-1.95, 53.65, -1.20, 54.10)  # lon/lat, about 49 x 50 km
LONDON_LSOA = Path(__file__).resolve().parents[2] / "shared/data/london/lsoa_by_lad"
N_POLYGONS = 7000
ROWS: list[tuple[str, str, float, float, str]] = []


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, size: str, fn: Callable[[], object], repeat: int = 1,
          reference: str = "") -> object:
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    wall, used = statistics.median(times), statistics.median(cpu)
    ROWS.append((label, size, wall, used, reference))
    print(f"  {label:<52} {size:>5} {wall:8.3f} s  cpu {used:8.3f} s  peak RSS "
          f"{peak_mb():7.0f} MB", flush=True)
    return result


def points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    half = n // 2
    lon = rng.uniform(BOX[0], BOX[2], n)
    lat = rng.uniform(BOX[1], BOX[3], n)
    centres = rng.integers(0, 200, n - half)
    cx = rng.uniform(BOX[0], BOX[2], 200)[centres]
    cy = rng.uniform(BOX[1], BOX[3], 200)[centres]
    lon[half:] = np.clip(cx + rng.normal(0, 0.0045, n - half), BOX[0], BOX[2])
    lat[half:] = np.clip(cy + rng.normal(0, 0.0027, n - half), BOX[1], BOX[3])
    return lon, lat


def voronoi(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(np.column_stack([rng.uniform(BOX[0], BOX[2], n),
                                                 rng.uniform(BOX[1], BOX[3], n)]))
    box = shapely.box(*BOX)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    return shapely.intersection(cells, box)


def grid_floor(lon: np.ndarray, lat: np.ndarray, n_side: int = 1000) -> np.ndarray:
    col = ((lon - BOX[0]) * (n_side / (BOX[2] - BOX[0]))).astype(np.int64)
    row = ((lat - BOX[1]) * (n_side / (BOX[3] - BOX[1]))).astype(np.int64)
    return np.bincount(np.clip(row, 0, n_side - 1) * n_side + np.clip(col, 0, n_side - 1),
                       minlength=n_side * n_side)


def h3_scalar(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    to_cell = h3.api.basic_int.latlng_to_cell
    return np.fromiter((to_cell(y, x, 9) for x, y in zip(lon, lat, strict=True)),
                       dtype=np.uint64, count=len(lon))


def sjoin_positions(lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    right = gpd.GeoDataFrame(geometry=polygons, crs="EPSG:4326")
    joined = gpd.sjoin(pts, right, predicate="intersects", how="left")
    best = joined["index_right"].fillna(-1).astype("int64").groupby(level=0).min()
    return best.sort_index().to_numpy()


def run_size(n: int, index: AreaIndex, areas: gpd.GeoDataFrame, repeat: int) -> None:
    size = f"{n / 1e6:g}M"
    print(f"{size} points", flush=True)
    lon, lat = points(n)
    timed("floor: grid cell by integer maths + np.bincount", size,
          lambda: grid_floor(lon, lat), repeat, "0.047 s @10M")
    ids = timed("H3 res 9: lonlat_to_cells (h3ronpy)", size,
                lambda: lonlat_to_cells(lon, lat, 9), repeat, "2.2 s @10M 2 thr")
    timed("group-by count per cell: np.unique", size,
          lambda: np.unique(ids, return_counts=True), 1, "")
    timed("group-by count per cell: pandas value_counts", size,
          lambda: pd.Series(ids).value_counts(), 1, "0.25 s @10M")
    pos = timed("-> polygons: raster index locate (built)", size,
                lambda: index.locate(lon, lat), repeat, "2.4 s @10M incl. build")
    categories = np.array(POLICEUK_CRIME_TYPES, dtype=object)[np.arange(n) % 14]
    frame = pd.DataFrame({"source": "police", "category": categories, "lon": lon, "lat": lat})
    frame = timed("apply_harm_weights (default CCHI table)", size,
                  lambda: apply_harm_weights(frame), 1, "")
    timed("harm_by_cell res 9 (assign + bin + hexagons)", size,
          lambda: harm_by_cell(frame, 9), 1, "")
    timed("harm_by_area (prebuilt index)", size,
          lambda: harm_by_area(frame, areas, index=index), 1, "")
    if n <= 1_000_000:
        scalar = timed("H3 res 9: h3-py scalar loop", size, lambda: h3_scalar(lon, lat),
                       1, "5.2 s @10M")
        assert (scalar == ids).all(), "h3ronpy and h3-py disagree"
        ref = timed("-> polygons: gpd.sjoin(predicate='intersects')", size,
                    lambda: sjoin_positions(lon, lat, areas.geometry.to_numpy()), 1,
                    "9.3 s @10M")
        assert (ref == pos).all(), "raster index and sjoin disagree"
        print("  exact: raster index == sjoin, h3ronpy == h3-py on all points", flush=True)


def run_london(n: int, repeat: int) -> None:
    """Real shapes: the 4,835 London LSOA 2011 polygons (made valid), points over London."""
    frames = [gpd.read_file(f) for f in sorted(LONDON_LSOA.glob("*.json"))]
    geoms = pd.concat(frames).to_crs("EPSG:4326").geometry.to_numpy()
    geoms = np.where(shapely.is_valid(geoms), geoms, shapely.make_valid(geoms))
    size = f"{n / 1e6:g}M"
    print(f"London LSOAs: {len(geoms):,} polygons, "
          f"{shapely.get_num_coordinates(geoms).mean():.0f} vertices on average", flush=True)
    index = timed(f"build raster index, {len(geoms):,} London LSOAs", "-",
                  lambda: AreaIndex.build(geoms), 1, "")
    rng = np.random.default_rng(5)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    lon, lat = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    timed("-> London LSOAs: raster index locate (built)", size, lambda: index.locate(lon, lat),
          repeat, "4.4 s @10M, 154-vertex shapes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    polygons = voronoi(N_POLYGONS)
    index = timed(f"build raster index, {N_POLYGONS:,} Voronoi polygons", "-",
                  lambda: AreaIndex.build(polygons), reference="3.5-4.7 s")
    areas = gpd.GeoDataFrame({"name": "v", "kind": "custom"}, geometry=polygons,
                             index=pd.Index([f"V{i}" for i in range(len(polygons))],
                                            name="area_code"), crs="EPSG:4326")
    for n in args.sizes:
        run_size(n, index, areas, args.repeat)
    if LONDON_LSOA.is_dir():
        run_london(max(args.sizes), args.repeat)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    print("| step | points | wall s | cpu s | PERF_NOTES |\n|---|---:|---:|---:|---|")
    for label, size, seconds, used, ref in ROWS:
        print(f"| {label} | {size} | {seconds:.3f} | {used:.3f} | {ref} |")
    print(f"\npeak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
