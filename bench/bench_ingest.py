"""Time read_policeuk on the 24 City of London months and a synthetic 1M-row CSV.

Run: ``.venv/bin/python bench/bench_ingest.py``. The synthetic file is written to a
temporary folder and deleted afterwards (never committed).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.ingest import read_policeuk

CITY = Path(__file__).resolve().parents[2] / "shared" / "data" / "city-of-london" / "crime"


def synthetic_policeuk(path: Path, rows: int, seed: int = 0) -> Path:
    """Write a police.uk-format CSV of ``rows`` crimes around central London."""
    rng = np.random.default_rng(seed)
    crime_type = rng.choice(np.array(schema.POLICEUK_CRIME_TYPES), rows)
    asb = crime_type == "Anti-social behaviour"
    ids = pd.Series(rng.integers(0, 2**63, rows, dtype=np.int64)).map("{:064x}".format)
    lon = np.round(rng.normal(-0.09, 0.02, rows), 6).astype(str)
    lat = np.round(rng.normal(51.515, 0.01, rows), 6).astype(str)
    missing = rng.random(rows) < 0.08
    lon[missing], lat[missing] = "", ""
    frame = pd.DataFrame({
        "Crime ID": ids.where(~asb, ""),
        "Month": rng.choice(pd.period_range("2024-01", "2025-12", freq="M").astype(str), rows),
        "Reported by": "Synthetic Police", "Falls within": "Synthetic Police",
        "Longitude": lon, "Latitude": lat, "Location": "On or near High Street",
        "LSOA code": "E01000001", "LSOA name": "City of London 001A",
        "Crime type": crime_type, "Last outcome category": "Under investigation",
        "Context": "",
    })
    frame.to_csv(path, index=False)
    return path


def timed(path: Path, repeats: int) -> tuple[int, float, float]:
    """Return rows read and the best and median seconds of ``repeats`` runs."""
    times, rows = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        rows = read_policeuk(path).report.rows_read
        times.append(time.perf_counter() - start)
    return rows, min(times), statistics.median(times)


def main() -> None:
    """Print the benchmark table."""
    results = []
    if CITY.is_dir():
        results.append(("City of London, 24 monthly files", *timed(CITY, 5)))
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic_policeuk(Path(tmp) / "synthetic-street.csv", 1_000_000)
        results.append(("synthetic police.uk CSV, one file", *timed(path, 3)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'input':<36} {'rows':>10} {'best s':>8} {'median s':>9} {'best s/100k':>12}")
    for name, rows, best, median in results:
        print(f"{name:<36} {rows:>10,} {best:>8.3f} {median:>9.3f} {best / rows * 1e5:>12.3f}")


if __name__ == "__main__":
    main()
