"""How long the command line takes before doing any work (``geosoc --help`` and one command).

Run: ``.venv/bin/python bench/bench_cli_startup.py``. Prints the median of 5 runs of each.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

GEOSOC = str(Path(sys.executable).with_name("geosoc"))
COMMANDS = {
    "geosoc --help": [GEOSOC, "--help"],
    "geosoc users --help": [GEOSOC, "users", "--help"],
    "geosoc profile --help": [GEOSOC, "profile", "--help"],
    "geosoc phases --help": [GEOSOC, "phases", "--help"],
}


def median_seconds(argv: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print(f"{'command':<26} {'median s':>9}")
    for label, argv in COMMANDS.items():
        print(f"{label:<26} {median_seconds(argv):>9.2f}")


if __name__ == "__main__":
    main()
