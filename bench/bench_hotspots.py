"""Benchmark hotspot statistics: graph build, Gi* (analytic / permutations), LISA, emerging.

Run: ``.venv/bin/python bench/bench_hotspots.py [--quick]``. Prints a table of median wall
times (3 repeats, after one warm run) and the peak traced memory of each step, and compares
geosoc's vectorised permutation inference with esda's (numba) on the same data.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable

import esda
import h3
import numpy as np
import pandas as pd

from geosoc.hotspots.emerging import emerging_hotspots
from geosoc.hotspots.local_stats import gi_star, local_moran, warm_up
from geosoc.hotspots.weights import h3_graph

ROWS: list[tuple[str, str, float, float]] = []


def _cells(n_target: int) -> pd.Index:
    k = 1
    while 3 * k * (k + 1) + 1 < n_target:
        k += 1
    centre = h3.latlng_to_cell(51.5, -0.12, 9)
    return pd.Index(sorted(h3.grid_disk(centre, k)), name="h3")


def _values(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.gamma(0.4, 50.0, n)
    y[rng.random(n) < 0.5] = 0.0
    return y


def measure(step: str, size: str, func: Callable[[], object], repeats: int = 3) -> object:
    """Time ``func`` (median of ``repeats`` after one warm run) and trace its peak memory."""
    result = func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ROWS.append((step, size, statistics.median(times), peak / 2**20))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10k cells only, fewer steps")
    args = parser.parse_args()
    start = time.perf_counter()
    warm = warm_up()
    print(f"warm_up(): {warm:.2f} s (first call in process, {time.perf_counter() - start:.2f} s "
          "incl. imports); geosoc's permutations need no numba JIT")
    start = time.perf_counter()
    tiny = _cells(50)
    esda.G_Local(_values(len(tiny)), h3_graph(tiny), transform="B", star=True,
                 permutations=9, seed=0, n_jobs=1, keep_simulations=False)
    print(f"esda numba JIT on first permutation call: {time.perf_counter() - start:.1f} s")

    sizes = (10_000,) if args.quick else (10_000, 50_000)
    for n_target in sizes:
        ids = _cells(n_target)
        n = len(ids)
        label = f"{n:,} cells"
        graph = measure("h3_graph (k=1)", label, lambda ids=ids: h3_graph(ids))
        frame = pd.DataFrame({"harm": _values(n)}, index=ids)
        y = frame["harm"].to_numpy()
        measure("Gi* analytic, geosoc", label, lambda f=frame, g=graph: gi_star(f, "harm", g))
        measure("Gi* analytic, esda", label,
                lambda y=y, g=graph: esda.G_Local(y, g, transform="B", star=True,
                                                  permutations=0))
        mine = measure("Gi* 999 perms, geosoc", label,
                       lambda f=frame, g=graph: gi_star(f, "harm", g, permutations=999))
        ref = measure("Gi* 999 perms, esda (numba, warm)", label,
                      lambda y=y, g=graph: esda.G_Local(
                          y, g, transform="B", star=True, permutations=999, seed=1,
                          n_jobs=1, keep_simulations=False), repeats=1)
        measure("Gi* 9,999 perms, geosoc", label,
                lambda f=frame, g=graph: gi_star(f, "harm", g, permutations=9_999))
        measure("Local Moran 9,999 perms, geosoc", label,
                lambda f=frame, g=graph: local_moran(f, "harm", g, permutations=9_999))
        p_esda = np.minimum(1, 2 * ref.p_sim)
        p_mine = mine["gi_p"].to_numpy()
        print(f"{label}: 999-permutation p, geosoc vs esda: mean |diff| "
              f"{np.abs(p_mine - p_esda).mean():.4f}; same p<0.05 call "
              f"{((p_mine < 0.05) == (p_esda < 0.05)).mean():.1%}")

    ids = _cells(5_000)
    graph = h3_graph(ids)
    rng = np.random.default_rng(3)
    periods = pd.period_range("2023-01", periods=36, freq="M")
    panel = pd.DataFrame(
        {"period": np.tile(periods, len(ids)), "harm": rng.gamma(0.3, 30.0, len(ids) * 36)},
        index=pd.Index(np.repeat(ids.to_numpy(), 36), name="h3"),
    )
    label = f"{len(ids):,} cells x 36 months"
    measure("emerging hot spots, analytic", label,
            lambda: emerging_hotspots(panel, graph))
    measure("emerging hot spots, 999 perms", label,
            lambda: emerging_hotspots(panel, graph, permutations=999), repeats=1)

    print(f"\n{'step':<36} {'size':<24} {'median s':>9} {'peak MiB':>9}")
    for step, size, seconds, peak in ROWS:
        print(f"{step:<36} {size:<24} {seconds:>9.3f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
