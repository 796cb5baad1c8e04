"""Timings of the governance steps: role-limited loads, retention, population, rates.

Run ``python bench/bench_governance.py`` (generates the demo town in a temporary folder).
Prints a table of medians over ``REPEATS`` runs; the real-data rows need
``../shared/data/city-of-london``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from geosoc.aggregate.rates import apportion_population, population_for, with_rates
from geosoc.ingest import (
    read_boundaries,
    read_points,
    read_policeuk,
    read_population,
    read_postcodes,
)
from geosoc.synth import writer
from geosoc.synth.demo import PARTNER_MAPPINGS, ensure_demo, load_demo
from geosoc.ui.study import load_workspace_study
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import store_dataset
from geosoc.workspace.retention import apply_retention
from geosoc.workspace.sharing import SharingRecord

REPEATS = 3
CITY = Path(__file__).resolve().parents[2] / "shared" / "data" / "city-of-london"


def median_s(step: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def workspace(demo: Path, path: Path, delete_by: str) -> Path:
    record = SharingRecord("Trust", "ISA-1", "Crime and Disorder Act 1998 s115",
                           "OFFICIAL-SENSITIVE", "analyst", delete_by)
    with Workspace.open(path) as ws:
        postcodes = read_postcodes(demo / writer.POSTCODE_FILE).data
        store_dataset(ws, read_policeuk(demo / writer.POLICE_DIR), name="police",
                      kind="incidents", user="ana", role="analyst")
        health = read_points(demo / writer.PARTNER_FILES["health_ae"],
                             PARTNER_MAPPINGS["health_ae"], source="health_ae",
                             postcodes=postcodes)
        store_dataset(ws, health, name="health_ae", kind="incidents", user="ana",
                      role="analyst", sharing=record)
        store_dataset(ws, read_boundaries(demo / writer.BOUNDARY_FILES["wards"], kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
    return path


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = ensure_demo(root / "demo")
        path = workspace(demo, root / "w.sqlite", "2030-01-01")
        for role in ("analyst", "partner"):
            study = load_workspace_study(path, role=role)
            rows.append((f"load_workspace_study, {role} ({len(study.incidents):,} incidents)",
                         median_s(lambda role=role: load_workspace_study(path, role=role))))

        def retention() -> None:
            target = workspace(demo, root / f"r{time.perf_counter_ns()}.sqlite", "2024-01-01")
            with Workspace.open(target) as ws:
                start = time.perf_counter()
                apply_retention(ws, on=date(2024, 1, 2))
                timings.append(time.perf_counter() - start)

        timings: list[float] = []
        for _ in range(REPEATS):
            retention()
        rows.append(("apply_retention, one expired dataset (file + row + audit)",
                     statistics.median(timings)))
        town = load_demo(demo)
        sectors = town.postcode_sectors
        lsoa_pop = town.population.query("kind == 'lsoa'")["population"]
        rows.append((f"apportion_population, {len(town.lsoas)} LSOAs -> {len(sectors)} sectors",
                     median_s(lambda: apportion_population(sectors, town.lsoas, lsoa_pop))))
        if CITY.is_dir():
            book = CITY / "deprivation" / "london_lsoa_deprivation.xlsx"
            rows.append(("read_population, real IoD2019 workbook (4,835 LSOAs, sheet search)",
                         median_s(lambda: read_population(book))))
            pop = read_population(book).data
            wards = read_boundaries(CITY / "boundaries" / "wards_by_lad" / "E09000001.json",
                                    kind="ward").data
            lsoas = read_boundaries(CITY / "boundaries" / "lsoa_by_lad" / "E09000001.json",
                                    kind="lsoa").data
            residents = population_for("ward", wards, pop, lsoas)
            frame = wards.assign(count=1.0)
            rows.append(("population_for + with_rates, 25 City wards from 6 LSOAs",
                         median_s(lambda: with_rates(
                             frame, population_for("ward", wards, pop, lsoas)))))
            small = with_rates(frame, residents)["small_population"].sum()
            print(f"City of London wards under 100 residents: {small} of {len(wards)}")
    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  median s")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:8.3f}")


if __name__ == "__main__":
    main()
