"""Null-site calibration of the phase verdicts and the Hold watch on real data.

``--part counts``: pseudo-sites (wards and LSOA clusters) on the London and Liverpool LSOA
counts get random CHB phase dates although nothing was done there; each runs through the
same functions as ``geosoc phases report`` (:mod:`geosoc.phases.nullbench`). Prints, per
test, the share called "significant", the line ``site-level null claim rate: N%``, the
share of null Holds with any watch alert (site and rings, family-wise), also with a
town-wide step in the baseline year, and the power with an injected 20% and 40% fall.

``--part points``: City of London police.uk points (the shared 24 months) and the demo
town: every City ward (and every demo ward clear of the demo site) is a null site through
:func:`geosoc.phases.site_evaluation.evaluate_site` (:mod:`geosoc.phases.nullbench_points`;
tests and the watch over the site, rings and neighbouring wards), as the data are and with
an unusual baseline year shared town-wide (a 30% lower baseline; a 30% rising trend).
Prints the site-level claim rate and the share of Holds with any watch alert per scenario.

Usage: ``.venv/bin/python bench/bench_null_sites.py [--part counts|points|all] [--sites 240]``
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.phases.nullbench import load_city, null_claims, random_plan, run_site

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _ci(k: int, n: int) -> str:
    p = k / n if n else math.nan
    return f"{100 * p:5.1f}% (+/- {196 * math.sqrt(max(p * (1 - p), 1e-9) / max(n, 1)):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=240, help="null pseudo-sites in all")
    parser.add_argument("--power-sites", type=int, default=80, help="sites per injected fall")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--part", choices=("counts", "points", "all"), default="all")
    parser.add_argument("--point-sites", type=int, default=25, help="City wards per scenario")
    args = parser.parse_args()
    if args.part in ("points", "all"):
        points(args.point_sites, args.seed)
    if args.part in ("counts", "all"):
        counts(args)


def _share(flags: list[bool]) -> str:
    return _ci(sum(flags), len(flags))


def points(n_sites: int, seed: int) -> None:
    """City of London and demo wards as null sites on point data, three baseline scenarios."""
    import geopandas as gpd

    from geosoc.cli.phase_dates import plan_within_data
    from geosoc.ingest import read_policeuk
    from geosoc.phases.nullbench_points import (
        random_point_plan,
        run_null_hold,
        unusual_baseline,
    )
    from geosoc.synth.demo import load_demo

    t0 = time.perf_counter()
    city = SHARED / "city-of-london"
    if not (city / "crime").exists():
        print(f"City of London data not found at {city}: skipped")
        return
    incidents = read_policeuk(city / "crime").data
    files = sorted((city / "boundaries" / "wards_by_lad").glob("*.json"))
    wards = pd.concat([gpd.read_file(p) for p in files], ignore_index=True)
    wards = (wards.rename(columns={"WD13NM": "name", "WD13CD": "area_code"})
             .drop_duplicates("area_code").set_index("area_code").assign(kind="ward")
             [["name", "kind", "geometry"]])
    sites = wards[wards.index.isin(gpd.read_file(files[0])["WD13CD"])]
    months = pd.period_range(incidents["month"].min(), incidents["month"].max(), freq="M")
    rng = np.random.default_rng(seed)
    plans = [random_point_plan(months, rng) for _ in range(len(sites))]
    print(f"City of London: {len(incidents):,} located incidents, {months[0]} to {months[-1]};"
          f" {len(sites)} City wards as null sites, neighbours among {len(wards)} wards")
    for scenario in ("as published", "step", "trend"):
        claims, alerts = [], []
        for j, (geom, plan) in enumerate(zip(sites.geometry[:n_sites], plans, strict=False)):
            data = incidents if scenario == "as published" else unusual_baseline(
                incidents, plan, scenario, size=0.3, seed=seed + j)
            out = run_null_hold(data, geom, plan, wards)
            claims.append(out["claim"])
            alerts.append(out["alert"])
        print(f"  City of London, baseline {scenario:<12}: {len(claims)} null Holds; "
              f"site-level claim rate {_share(claims)}; Holds with any watch alert "
              f"{_share(alerts)} ({time.perf_counter() - t0:.0f} s)")
    demo = load_demo()
    police = demo.incidents[demo.incidents["source"] == "police"]
    plan = plan_within_data(demo.site.plan_frame(), police["month"])
    from geosoc.phases.rings import buffer_rings

    clear_of = buffer_rings(demo.site.geometry, (0, 1000)).union_all()
    far = demo.wards[~demo.wards.intersects(clear_of)]
    for scenario in ("as published", "step"):
        claims, alerts = [], []
        for j, geom in enumerate(far.geometry):
            data = police if scenario == "as published" else unusual_baseline(
                police, plan, scenario, size=0.3, seed=seed + j)
            out = run_null_hold(data, geom, plan, demo.wards)
            claims.append(out["claim"])
            alerts.append(out["alert"])
        print(f"  demo town, baseline {scenario:<12}: {len(claims)} null Holds (wards 1 km "
              f"clear of the site); site-level claim rate {_share(claims)}; Holds with any "
              f"watch alert {_share(alerts)} ({time.perf_counter() - t0:.0f} s)")


def counts(args: argparse.Namespace) -> None:
    """The London and Liverpool LSOA-count bench."""
    t0 = time.perf_counter()
    cities = []
    for name, share in (("london", 0.75), ("liverpool", 0.25)):
        d = SHARED / name
        city = load_city(d / "policeuk_lsoa_month_counts_2023-05_2026-03.parquet",
                         d / "lsoa_by_lad", d / "wards_by_lad", name=name)
        cities.append((city, share))
        print(f"{name}: {len(city.lsoa)} LSOAs, {len(city.units['ward'].names)} wards, "
              f"{city.dropped_share:.1%} of crime in 2021-only LSOAs left out")
    rng = np.random.default_rng(args.seed)
    claims, rows, watches = [], [], []

    def draw(n: int):
        for city, share in cities:
            for j in range(round(n * share)):
                kind = ("ward", "cluster")[j % 2]
                i = int(rng.integers(len(city.units[kind].names)))
                yield city, kind, i, random_plan(city.months, rng), int(rng.integers(1 << 30))

    for city, kind, i, plan, seed in draw(args.sites):
        table, watched = run_site(city, kind, i, plan, seed=seed, watch=True)
        claims.append(null_claims(table))
        rows.append(table.assign(kind=kind, city=city.name))
        watches.append(watched)
    n = len(claims)
    print(f"\n{n} null pseudo-sites ({time.perf_counter() - t0:.0f} s so far)")
    allrows = pd.concat(rows, ignore_index=True)
    tested = allrows[allrows["status"] == "tested"]
    print(f"cannot evaluate yet: {(allrows['status'] != 'tested').mean():.1%} of tests")
    print("\nper test (share of tested rows with raw p < 0.05; nominal 5%):")
    per = tested.assign(sig=tested["p"] < 0.05).groupby(["zone", "phase", "measure"])["sig"]
    for key, s in per:
        print(f"  {' / '.join(key):<32} {_ci(int(s.sum()), len(s))}  (n={len(s)})")
    print("\nper site (share of null sites):")
    for key in claims[0]:
        k = sum(c[key] for c in claims)
        print(f"  {key:<48} {_ci(k, n)}")
    site_rate = sum(c["site-level verdict (Holm)"] for c in claims) / n
    print(f"\nsite-level null claim rate: {100 * site_rate:.1f}%")
    w = pd.concat(watches, ignore_index=True)
    wt = w[w["status"] == "tested"]
    print(f"watch false-alarm rate per area-month: {_ci(int(wt['alert'].sum()), len(wt))} "
          f"(n={len(wt)} area-months; {(w['status'] != 'tested').mean():.1%} cannot evaluate)")
    holds = [bool(x["alert"].any()) for x in watches if x is not None and len(x)]
    print(f"null Holds with any watch alert (site and rings, family-wise): {_share(holds)} "
          f"(n={len(holds)})")
    stepped = []
    for city, kind, i, plan, seed in draw(max(args.sites // 3, 1)):
        _, watched = run_site(city, kind, i, plan, seed=seed, watch=True, step=0.3)
        if watched is not None and len(watched):
            stepped.append(bool(watched["alert"].any()))
    print(f"null Holds with any watch alert, baseline year 30% lower town-wide: "
          f"{_share(stepped)} (n={len(stepped)})")
    # the power stated beside "no evidence" (a 40% fall), against the measured detection
    stated = []
    for table in rows:
        site_rows = table[(table["zone"] == "site") & (table["status"] == "tested")]
        if len(site_rows):
            stated.append(float(site_rows["power"].iloc[0]))
    for fall in (0.2, 0.4):
        hits = []
        for city, kind, i, plan, seed in draw(args.power_sites):
            table, _ = run_site(city, kind, i, plan, fall=fall, seed=seed)
            hits.append(null_claims(table)["site fall detected (Holm)"])
        print(f"power, injected {fall:.0%} fall in the site: {_ci(sum(hits), len(hits))}")
    print(f"stated power for a 40% fall (mean over null sites' first site test): "
          f"{100 * np.mean(stated):.1f}% (a lower bound: first Holm step, one phase)")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
