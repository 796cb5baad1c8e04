"""Time storing and loading large incident datasets: one GeoParquet file vs monthly parts.

Run: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_partitioned_store.py [SCALE ...]``
(default ``1m 3m``). Reads the synthetic police.uk folders ``/work/scale/<scale>/police``
(36 monthly folders of London points; read only), stores each both ways (with the harm cube,
as ``geosoc ingest --workspace`` does) in workspaces under ``/tmp/partbench`` (deleted at the
end), and prints a markdown table:

- ingest s: read the CSVs (once, shown in ``read s``) + store (write, checksums, harm cube);
- cube s: the harm cube alone (:func:`geosoc.engine.stored.stored_harm_cube`);
- stored MB: the data file or folder; cube rows / MB: the stored cube;
- load s: :func:`load_dataset` cold (memo cleared; best of 2), SHA-256 checks included;
- subset s: ``load_incidents(months=6 months, bbox=2 km box)`` around the data's median point.

2 cores are shared: the load average is printed before and after.
"""

from __future__ import annotations

import gc
import math
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from geosoc.engine.stored import stored_harm_cube
from geosoc.ingest import read_policeuk
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import (
    _READ_FRAMES,
    datasets_dir,
    load_dataset,
    load_incidents,
    store_dataset,
)
from geosoc.workspace.partitioned import month_groups

SCALE_ROOT = Path("/work/scale")
OUT = Path("/tmp/partbench")
MONTHS = ("2024-01", "2024-06")
KM_LAT = 1 / 111.32  # degrees of latitude per km


def size_mb(path: Path) -> float:
    """Size of a file or folder in MB."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def seconds(step: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = step()  # type: ignore[operator]
    return time.perf_counter() - start, result


def cube_seconds(data: pd.DataFrame) -> float:
    """Seconds to build the stored harm cube of ``data`` from its monthly parts."""
    plain = pd.DataFrame(data[["lon", "lat", "month", "category", "source"]])
    monthly = [plain.iloc[positions] for _, positions in month_groups(plain)]
    return seconds(lambda: stored_harm_cube(monthly))[0]


def bench_scale(scale: str) -> list[dict[str, object]]:
    """Read one scale's CSVs, store and load them both ways; one row per layout."""
    folder = SCALE_ROOT / scale / "police"
    t_read, ingested = seconds(lambda: read_policeuk(folder))
    data = ingested.data
    lon, lat = float(data["lon"].median()), float(data["lat"].median())
    dlon = KM_LAT / math.cos(math.radians(lat))
    box = (lon - dlon, lat - KM_LAT, lon + dlon, lat + KM_LAT)  # 2 km x 2 km
    t_cube = cube_seconds(data)
    rows = []
    for layout, split in (("single file", False), ("partitioned", True)):
        ws_path = OUT / f"{scale}-{'parts' if split else 'file'}.sqlite"
        with Workspace.open(ws_path) as ws:
            t_store, record = seconds(lambda ws=ws, split=split: store_dataset(
                ws, ingested, name="police", kind="incidents", user="bench", role="analyst",
                partitioned=split, cube=stored_harm_cube))
            meta = record["metadata"]
            stored = datasets_dir(ws) / meta["file"]
            cube_file = datasets_dir(ws) / meta["cube"]["file"]
            loads = []
            for _ in range(2):
                _READ_FRAMES.clear()
                gc.collect()
                t_load, frame = seconds(lambda ws=ws: load_dataset(ws, "police"))
                loads.append(t_load)
                n_rows = len(frame)
                del frame
            _READ_FRAMES.clear()
            t_subset, subset = seconds(lambda ws=ws: load_incidents(
                ws, role="analyst", months=MONTHS, bbox=box))
        rows.append({"rows": f"{n_rows:,}", "layout": layout, "read s": f"{t_read:.1f}",
                     "ingest s": f"{t_read + t_store:.1f}", "store s": f"{t_store:.1f}",
                     "cube s": f"{t_cube:.1f}", "stored MB": f"{size_mb(stored):.0f}",
                     "load s": f"{min(loads):.2f}", "subset s": f"{t_subset:.2f}",
                     "subset rows": f"{len(subset):,}",
                     "cube rows": f"{meta['cube']['rows']:,}",
                     "cube MB": f"{size_mb(cube_file):.1f}"})
        del subset
    return rows


def main() -> None:
    """Print the benchmark table (markdown)."""
    scales = sys.argv[1:] or ["1m", "3m"]
    missing = [s for s in scales if not (SCALE_ROOT / s / "police").is_dir()]
    if missing:
        print(f"skipped: no police.uk folders for {missing} under {SCALE_ROOT}")
        scales = [s for s in scales if s not in missing]
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        rows = [row for scale in scales for row in bench_scale(scale)]
    finally:
        shutil.rmtree(OUT, ignore_errors=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    if rows:
        table = pd.DataFrame(rows)
        print("| " + " | ".join(table.columns) + " |")
        print("|" + "---|" * len(table.columns))
        for values in table.itertuples(index=False):
            print("| " + " | ".join(str(v) for v in values) + " |")


if __name__ == "__main__":
    main()
