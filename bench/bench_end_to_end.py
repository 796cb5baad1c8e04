"""Benchmark: 10M points in memory -> harm -> H3 cells + 7,000 wards -> Gi*, end to end.

Run:  .venv/bin/python bench/bench_end_to_end.py [--points 10000000] [--resolution 9]

The issue's target on this 2-core machine: <= 10 s with peak memory <= 6 GB. Points and
polygons are the synthetic ones of ``bench_aggregate.py`` (half uniform, half clustered over
a ~50 x 50 km box; Voronoi "wards"). Incidents are a plain DataFrame with ``lon``/``lat``
(building 10M shapely points costs ~5 s and 2.3 GB and no step needs them). Prints one
table; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from bench_aggregate import BOX, N_POLYGONS, points, voronoi

from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.tables import build_area_index, harm_by_area, harm_by_cell
from geosoc.harm import apply_harm_weights
from geosoc.hotspots.local_stats import gi_star
from geosoc.hotspots.weights import h3_graph
from geosoc.schema import POLICEUK_CRIME_TYPES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--resolution", type=int, default=9)
    args = parser.parse_args()
    lon, lat = points(args.points)
    rng = np.random.default_rng(2)
    incidents = pd.DataFrame({
        "incident_id": "", "month": pd.Period("2025-01", freq="M"),
        "category": pd.Categorical(rng.choice(POLICEUK_CRIME_TYPES, args.points)),
        "source": "police", "lon": lon, "lat": lat})
    wards = gpd.GeoDataFrame(
        {"name": [f"W{i}" for i in range(N_POLYGONS)], "kind": "ward"},
        index=pd.Index([f"E05{i:06d}" for i in range(N_POLYGONS)], name="area_code"),
        geometry=voronoi(N_POLYGONS), crs="EPSG:4326")
    print(f"{args.points:,} points, {len(wards):,} wards, box {BOX}")
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()

    def step(label: str, began: float) -> float:
        now = time.perf_counter()
        steps.append((label, now - began))
        return now

    t = time.perf_counter()
    weighted = apply_harm_weights(incidents)
    t = step("harm weights (CCHI)", t)
    cover = cover_area(wards, args.resolution)
    t = step(f"zero-filled H3 res {args.resolution} cover", t)
    cells = harm_by_cell(weighted, args.resolution, cover=cover)
    t = step("points -> H3 cells (count, harm)", t)
    index = build_area_index(wards)
    t = step("ward raster index build", t)
    by_ward = harm_by_area(weighted, wards, index=index)
    t = step("points -> wards (count, harm)", t)
    graph = h3_graph(cells.index)
    hot = gi_star(cells, "harm", graph)
    t = step(f"Gi* (analytic, FDR) on {len(cells):,} cells", t)
    total = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"{'step':<44} {'seconds':>8}")
    for label, seconds in steps:
        print(f"{label:<44} {seconds:8.2f}")
    print(f"{'end to end':<44} {total:8.2f}   (target <= 10 s)")
    print(f"peak RSS {peak_gb:.2f} GB (target <= 6 GB); "
          f"{int(by_ward['count'].sum()):,} points in wards, "
          f"{int((hot['hotspot_bin'] == 3).sum()):,} cells in bin +3")


if __name__ == "__main__":
    main()
