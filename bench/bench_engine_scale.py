"""Scale-out: the harm cube of a 200M-row partitioned Parquet dataset on a dask LocalCluster.

Generates synthetic police-like incidents (lon/lat around one town, 14 categories, 120
months) as Parquet partitions in a temporary folder (about 1.7 GB for 200M rows; removed at
the end), then reports:

1. the 2-worker speed-up over 1 worker on 10M rows (dask engine, same data), beside the
   in-memory engine on the same 10M rows;
2. the 200M-row cube on 2 workers: wall time, rows/s and peak memory of this process and
   all workers together (sampled every 0.2 s with psutil);
3. with ``--profile``, the whole locality profile of the same datasets through
   :func:`geosoc.engine.profile_from_source` (cube on the cluster, then Gi*, Local Moran,
   emerging hot spots and concentration on the aggregates): 10M rows on 1 and 2 workers
   (identical profiles asserted) and 200M rows on 2 workers, with peak memory.

Run: ``.venv/bin/python bench/bench_engine_scale.py [--rows 200_000_000] [--keep DIR]
[--profile]``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from geosoc.engine import CubeSpec, build_cube, profile_from_source
from geosoc.engine.distributed import build_cube_dask, dask_client

CATEGORIES = ["Violence and sexual offences", "Anti-social behaviour", "Shoplifting",
              "Other theft", "Vehicle crime", "Criminal damage and arson", "Burglary",
              "Public order", "Drugs", "Robbery", "Theft from the person", "Bicycle theft",
              "Possession of weapons", "Other crime"]
MONTHS = [str(p) for p in pd.period_range("2016-01", periods=120, freq="M")]
PART_ROWS = 5_000_000


def write_partitions(folder: Path, rows: int, seed: int = 0) -> list[Path]:
    """Write ``rows`` synthetic incidents as Parquet files of ``PART_ROWS`` rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = []
    for i, start in enumerate(range(0, rows, PART_ROWS)):
        n = min(PART_ROWS, rows - start)
        frame = pd.DataFrame({
            "lon": (-2.10 + rng.normal(0, 0.03, n)).astype("float32"),
            "lat": (52.80 + rng.normal(0, 0.02, n)).astype("float32"),
            "month": pd.Categorical.from_codes(rng.integers(0, len(MONTHS), n), MONTHS),
            "category": pd.Categorical.from_codes(rng.integers(0, len(CATEGORIES), n),
                                                  CATEGORIES),
            "source": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), ["police"]),
        })
        path = folder / f"part-{i:04d}.parquet"
        frame.to_parquet(path, index=False)
        files.append(path)
    return files


class PeakMemory:
    """Sample the RSS of this process and its children (the dask workers)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_dask(source: Path, spec: CubeSpec, workers: int) -> tuple[float, int, pd.DataFrame]:
    with dask_client(n_workers=workers) as client, PeakMemory() as memory:
        start = time.perf_counter()
        cube = build_cube_dask(source, spec, client=client)
        return time.perf_counter() - start, memory.peak, cube


def timed_profile(source: Path, workers: int) -> tuple[float, int, object]:
    """The locality profile of ``source`` on a LocalCluster (wall s, peak bytes, profile)."""
    with dask_client(n_workers=workers) as client, PeakMemory() as memory:
        start = time.perf_counter()
        profile = profile_from_source(source, None, engine="dask", client=client,
                                      lisa_permutations=999)
        return time.perf_counter() - start, memory.peak, profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000_000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--profile", action="store_true",
                        help="also time the whole locality profile (profile_from_source)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="geosoc-bench-"))
    spec = CubeSpec(resolution=9)
    try:
        start = time.perf_counter()
        small = write_partitions(root / "10m", 10_000_000, seed=1)
        print(f"generated 10M rows in {time.perf_counter() - start:.1f} s")
        frame = pd.concat([pd.read_parquet(p) for p in small], ignore_index=True)
        with PeakMemory() as memory:
            start = time.perf_counter()
            local = build_cube(frame, spec)
            local_s = time.perf_counter() - start
        del frame
        one_s, one_mem, one = timed_dask(root / "10m", spec, 1)
        two_s, two_mem, two = timed_dask(root / "10m", spec, 2)
        assert one.equals(local) and two.equals(local), "engines disagree"
        print("\n10M rows -> H3 res 9 x month x category cube "
              f"({len(local):,} cube rows; all three results identical)")
        print(f"{'engine':<28} {'wall s':>8} {'peak GB':>8}")
        print(f"{'in-memory (1 process)':<28} {local_s:>8.1f} {memory.peak / 1e9:>8.2f}")
        print(f"{'dask LocalCluster, 1 worker':<28} {one_s:>8.1f} {one_mem / 1e9:>8.2f}")
        print(f"{'dask LocalCluster, 2 workers':<28} {two_s:>8.1f} {two_mem / 1e9:>8.2f}")
        print(f"speed-up 2 workers over 1: {one_s / two_s:.2f}x")
        if args.profile:
            p1_s, p1_mem, p1 = timed_profile(root / "10m", 1)
            p2_s, p2_mem, p2 = timed_profile(root / "10m", 2)
            assert p1.summary() == p2.summary(), "profiles differ between 1 and 2 workers"
            print(f"locality profile, 10M rows ({len(p2.cells):,} cells; identical on 1 and 2 "
                  f"workers): 1 worker {p1_s:.1f} s ({p1_mem / 1e9:.2f} GB), 2 workers "
                  f"{p2_s:.1f} s ({p2_mem / 1e9:.2f} GB), speed-up {p1_s / p2_s:.2f}x")
        shutil.rmtree(root / "10m")

        start = time.perf_counter()
        write_partitions(root / "big", args.rows, seed=2)
        size = sum(p.stat().st_size for p in (root / "big").glob("*.parquet"))
        print(f"\ngenerated {args.rows:,} rows in {time.perf_counter() - start:.0f} s "
              f"({size / 1e9:.2f} GB of Parquet)")
        big_s, big_mem, big = timed_dask(root / "big", spec, 2)
        print(f"{args.rows:,} rows, dask LocalCluster 2 workers: {big_s:.0f} s "
              f"({args.rows / big_s / 1e6:.2f} M rows/s), peak memory {big_mem / 1e9:.2f} GB "
              f"(all processes), cube {len(big):,} rows, {big['count'].sum():,} events")
        if args.profile:
            prof_s, prof_mem, prof = timed_profile(root / "big", 2)
            print(f"{args.rows:,} rows, locality profile on 2 workers: {prof_s:.0f} s, peak "
                  f"memory {prof_mem / 1e9:.2f} GB (all processes), {len(prof.cells):,} "
                  f"cells, {prof.summary()['incidents']:,} incidents")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
