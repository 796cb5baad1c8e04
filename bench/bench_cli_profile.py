"""``geosoc profile`` on a 1M-row police.uk CSV against the read + bin floor, in the same run.

Generates a police.uk-format street CSV (all 12 columns, 14 crime types at police.uk-like
shares, 24 months, anonymised map points snapped to a lattice as police.uk does, about 6% of
rows without a location) over the City of London and its neighbours (about 1,200 H3 res 9
cells), then times, 3 runs each (median):

- ``floor``: ``pandas.read_csv`` of the whole file (pyarrow engine) + ``np.bincount`` of the
  points on a regular grid, in this process (nothing real gets near it);
- ``geosoc profile FILE --out DIR`` as a subprocess (start-up, read, checks, harm, H3 cover,
  Gi*, Local Moran, emerging hot spots, writing GeoParquet + CSVs);
- ``geosoc profile --help`` (start-up and imports only).

and prints the ratio profile / floor (the issue #20 target is 10x or less).

Run: ``.venv/bin/python bench/bench_cli_profile.py [--rows 1_000_000] [--runs 3]
[--areas ward=PATH] [--baseline ../main]``; the CSV and outputs go to a temporary folder,
removed at the end. CPU seconds are printed beside wall seconds: on a shared machine the
wall times of both sides stretch with the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GEOSOC = [sys.executable, "-m", "geosoc"]
#: This checkout (its ``geosoc`` is the one timed).
REPO = Path(__file__).resolve().parents[1]
#: police.uk crime types with roughly their national shares.
TYPES = {
    "Violence and sexual offences": 0.33, "Anti-social behaviour": 0.15, "Shoplifting": 0.08,
    "Other theft": 0.07, "Vehicle crime": 0.06, "Criminal damage and arson": 0.07,
    "Burglary": 0.05, "Public order": 0.07, "Drugs": 0.03, "Robbery": 0.01,
    "Theft from the person": 0.02, "Bicycle theft": 0.01, "Possession of weapons": 0.01,
    "Other crime": 0.03,
}
#: lon/lat box of the City of London and the edges of its neighbours (EPSG:4326).
BOX = (-0.135, 51.500, -0.060, 51.530)


def write_policeuk_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """Write ``rows`` synthetic police.uk street-level rows to ``path`` (one CSV)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    # police.uk snaps incidents to anonymous map points: 20,000 points, a few busy ones
    points = np.column_stack([rng.uniform(x0, x1, 20_000), rng.uniform(y0, y1, 20_000)])
    pick = np.minimum(rng.zipf(1.3, rows) - 1, len(points) - 1)
    pick = rng.permutation(len(points))[pick]
    lon, lat = points[pick, 0], points[pick, 1]
    months = pd.period_range("2024-01", periods=24, freq="M").astype(str).to_numpy()
    types = np.array(list(TYPES), dtype=object)
    share = np.array(list(TYPES.values()))
    crime = types[rng.choice(len(types), rows, p=share / share.sum())]
    ids = np.char.mod("%064x", rng.integers(0, 2**62, rows, dtype=np.int64)).astype(object)
    asb = crime == "Anti-social behaviour"
    ids[asb] = ""
    located = rng.random(rows) > 0.06
    frame = pd.DataFrame({
        "Crime ID": ids,
        "Month": months[rng.integers(0, len(months), rows)],
        "Reported by": "City of London Police",
        "Falls within": "City of London Police",
        "Longitude": np.where(located, np.round(lon, 6), np.nan),
        "Latitude": np.where(located, np.round(lat, 6), np.nan),
        "Location": np.where(located, "On or near Street " + (pick % 997).astype(str),
                             "No location"),
        "LSOA code": np.where(located, "E0100" + (4000 + pick % 300).astype(str), ""),
        "LSOA name": np.where(located, "City of London 001" + (pick % 9).astype(str), ""),
        "Crime type": crime,
        "Last outcome category": np.where(asb, "", "Investigation complete; no suspect "
                                                   "identified"),
        "Context": "",
    })
    frame.to_csv(path, index=False, float_format="%.6f")
    return path


def floor_seconds(path: Path) -> tuple[float, float]:
    """Read the whole CSV with pandas and bin the points on a 1,000 x 1,000 grid.

    Returns wall and CPU seconds (pyarrow parses on every core, so CPU exceeds wall).
    """
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, engine="pyarrow")
    lon = frame["Longitude"].to_numpy(dtype="float64")
    lat = frame["Latitude"].to_numpy(dtype="float64")
    ok = np.isfinite(lon) & np.isfinite(lat)
    x0, y0, x1, y1 = BOX
    col = np.clip(((lon[ok] - x0) / (x1 - x0) * 1000).astype(np.int64), 0, 999)
    row = np.clip(((lat[ok] - y0) / (y1 - y0) * 1000).astype(np.int64), 0, 999)
    counts = np.bincount(row * 1000 + col, minlength=1_000_000)
    assert counts.sum() == ok.sum()
    return time.perf_counter() - start, time.process_time() - cpu


def run_seconds(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one subprocess run (raises when it fails)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # run outside any checkout: ``python -m`` puts the working folder first on sys.path
    done = subprocess.run(argv, capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--areas", action="append", default=[], metavar="KIND=PATH",
                        help="passed to geosoc profile (default: none, incident hull)")
    parser.add_argument("--keep", type=Path, help="keep the CSV and outputs in this folder")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="also time geosoc profile with this checkout's code on "
                             "PYTHONPATH (e.g. the main branch), interleaved")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="geosoc-cli-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        csv = root / "2024-01-synthetic-street.csv"
        start = time.perf_counter()
        if not csv.exists():
            write_policeuk_csv(csv, args.rows)
        print(f"{args.rows:,}-row police.uk CSV ({csv.stat().st_size / 1e6:.0f} MB) ready in "
              f"{time.perf_counter() - start:.1f} s")
        areas = [a for spec in args.areas for a in ("--areas", spec)]
        command = [*GEOSOC, "profile", str(csv), *areas, "--out", str(root / "out"),
                   "--format", "parquet", "--json"]
        runs: dict[str, list[tuple[float, float]]] = {"floor": [], "help": [], "profile": [],
                                                      "baseline": []}
        own_env = {**os.environ, "PYTHONPATH": str(REPO)}
        baseline_env = ({**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
                        if args.baseline else None)
        for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
            runs["floor"].append(floor_seconds(csv))
            runs["profile"].append(run_seconds(command, env=own_env))
            runs["help"].append(run_seconds([*GEOSOC, "profile", "--help"], env=own_env))
            if baseline_env:
                runs["baseline"].append(run_seconds(command, env=baseline_env))
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
               for k, v in runs.items() if v}
        print(f"\n{'step (median of ' + str(args.runs) + ')':<46} {'wall s':>7} {'CPU s':>7}")
        labels = {"floor": "floor: pandas read_csv + np.bincount",
                  "help": "geosoc profile --help (start-up)",
                  "profile": "geosoc profile (subprocess, end to end)",
                  "baseline": f"  same, code of {args.baseline}"}
        for key, label in labels.items():
            if key in med:
                print(f"{label:<46} {med[key][0]:>7.2f} {med[key][1]:>7.2f}")
        floor, profile = med["floor"], med["profile"]
        print(f"{'ratio profile / floor (wall)':<46} {profile[0] / floor[0]:>6.1f}x  "
              "(target <= 10x)")
        print(f"{'ratio profile / floor (CPU seconds)':<46} {profile[1] / floor[1]:>6.1f}x")
        if "baseline" in med:
            print(f"{'ratio baseline / floor (wall)':<46} {med['baseline'][0] / floor[0]:>6.1f}x")
            print(f"{'ratio baseline / floor (CPU seconds)':<46} "
                  f"{med['baseline'][1] / floor[1]:>6.1f}x")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
        for key, values in runs.items():
            if values:
                print(f"runs {key}: " + ", ".join(f"{w:.2f}" for w, _ in values))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
