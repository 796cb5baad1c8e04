"""How long a refused ``geosoc ingest``/``profile`` takes (bench_cli_startup.py style).

Run: ``.venv/bin/python bench/bench_cli_refusals.py``. Prints the median of 5 runs of each
(``python -m geosoc`` from the repository root, so this checkout's code is timed).
"""

from __future__ import annotations

import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(argv: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "empty.csv").write_bytes(b"")
        (folder / "binary.csv").write_bytes(b"\x00\x01" * 500)
        (folder / "cut.csv.gz").write_bytes(gzip.compress(b"Month,Longitude\n" * 999)[:40])
        geosoc = [sys.executable, "-m", "geosoc"]
        commands = {
            "ingest missing file": [*geosoc, "ingest", str(folder / "no.csv"), "--kind",
                                    "policeuk"],
            "ingest empty file": [*geosoc, "ingest", str(folder / "empty.csv"), "--kind",
                                  "policeuk"],
            "ingest binary file": [*geosoc, "ingest", str(folder / "binary.csv"), "--kind",
                                   "points", "--date", "d", "--source", "s",
                                   "--category-value", "x"],
            "ingest cut-short gzip": [*geosoc, "ingest", str(folder / "cut.csv.gz"),
                                      "--kind", "policeuk"],
            "ingest unused flag": [*geosoc, "ingest", str(folder / "empty.csv"), "--kind",
                                   "boundaries", "--lon", "x"],
            "profile without data": [*geosoc, "profile", "--out", str(folder / "p")],
            "profile missing input": [*geosoc, "profile", str(folder / "no/"), "--out",
                                      str(folder / "p")],
        }
        print(f"{'command':<26} {'median s':>9}")
        for label, argv in commands.items():
            print(f"{label:<26} {median_seconds(argv):>9.2f}")


if __name__ == "__main__":
    main()
