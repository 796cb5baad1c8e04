"""Time a 1,000-row asset import end to end (the issue asks for under 2 s).

Run: ``.venv/bin/python bench/bench_asset_import.py [rows ...]``. For each size, a partner
CSV (a tenth located only by postcode, capabilities, pillars, engagement, dates) is written
to a temporary folder, then read, validated, de-duplicated against a register already
holding as many assets, and written in one transaction to a fresh workspace. Also times an
Open Referral UK JSON directory of the same size. Prints the median of three runs.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.assets.importing import plan_import, read_register_file
from geosoc.workspace import Workspace

CAPS = np.array(["mentoring", "youth work; sport", "food bank", "diversion; safe space", ""])
PILLARS = np.array(["prevent", "prevent; protect", "all", "", "pursue"])


def partner_csv(path: Path, rows: int, seed: int = 0) -> pd.DataFrame:
    """Write a partner register CSV of ``rows`` assets around central London; return it."""
    rng = np.random.default_rng(seed)
    lon = np.round(rng.normal(-0.09, 0.02, rows), 6).astype(str)
    lat = np.round(rng.normal(51.515, 0.01, rows), 6).astype(str)
    by_postcode = rng.random(rows) < 0.1
    lon[by_postcode], lat[by_postcode] = "", ""
    frame = pd.DataFrame({
        "Name": [f"Group {seed}-{i}" for i in range(rows)],
        "Type": rng.choice(["youth club", "church", "food bank", "gym", "library"], rows),
        "Sector": rng.choice(["vcs", "faith", "council", "charity"], rows),
        "Longitude": lon, "Latitude": lat,
        "Postcode": np.where(by_postcode, "EC1A 1BB", ""),
        "Skills": rng.choice(CAPS, rows), "4P": rng.choice(PILLARS, rows),
        "Engagement status": rng.choice(["", "engaged", "delivering"], rows),
        "Last verified": rng.choice(["2025-01-31", "2026-06-01", ""], rows),
        "Contact": "<b>call</b> 0207 000 0000",
    })
    frame.to_csv(path, index=False)
    return frame


def oruk_json(path: Path, rows: int) -> None:
    """Write an Open Referral UK /services page with ``rows`` located services."""
    rng = np.random.default_rng(1)
    services = [{"id": f"s{i}", "name": f"Service {i}", "description": "help",
                 "organization": {"id": "o1", "name": "Org"},
                 "service_at_locations": [{"id": f"x{i}", "location": {
                     "id": f"l{i}", "latitude": float(51.515 + rng.normal(0, 0.01)),
                     "longitude": float(-0.09 + rng.normal(0, 0.02)),
                     "physical_addresses": [{"postal_code": "EC1A 1BB"}]}}]}
                for i in range(rows)]
    path.write_text(json.dumps({"content": services}), encoding="utf-8")


POSTCODES = pd.DataFrame({"postcode": ["EC1A 1BB"], "lon": [-0.0977], "lat": [51.5201]})


def one_import(folder: Path, file: Path, fmt: str, run: int) -> tuple[float, float, int]:
    """Return (plan seconds, write seconds, rows written) for one import."""
    with Workspace.open(folder / f"ws-{fmt}-{run}.sqlite") as ws:
        existing = read_register_file(folder / "existing.csv", format="csv")
        base = plan_import(existing, file="existing", postcodes=POSTCODES)
        ws.assets.import_frame(base.records, user="bench", role="analyst", source="existing")
        start = time.perf_counter()
        raw = read_register_file(file, format=fmt, postcodes=POSTCODES)
        plan = plan_import(raw, file=str(file), register=ws.assets.frame(),
                           postcodes=POSTCODES)
        planned = time.perf_counter()
        assert plan.ok, plan.problems[:3]
        written = ws.assets.import_frame(plan.new, user="bench", role="analyst",
                                         source=str(file))
        return planned - start, time.perf_counter() - planned, written


def main(sizes: list[int]) -> None:
    print(f"{'format':<13}{'rows':>7}{'read+check+dedupe s':>22}{'write s':>10}"
          f"{'total s':>10}{'written':>9}")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            partner_csv(folder / "existing.csv", rows, seed=99)
            partner_csv(folder / "partner.csv", rows, seed=0)
            oruk_json(folder / "directory.json", rows)
            for fmt, file in (("csv", folder / "partner.csv"),
                              ("openreferral", folder / "directory.json")):
                runs = [one_import(folder, file, fmt, r) for r in range(3)]
                plan_s = statistics.median(r[0] for r in runs)
                write_s = statistics.median(r[1] for r in runs)
                total = statistics.median(r[0] + r[1] for r in runs)
                print(f"{fmt:<13}{rows:>7}{plan_s:>22.3f}{write_s:>10.3f}{total:>10.3f}"
                      f"{runs[0][2]:>9}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
