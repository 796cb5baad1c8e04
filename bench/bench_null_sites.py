"""Null-site calibration of the phase verdicts on real London and Liverpool LSOA counts.

Pseudo-sites (wards and LSOA clusters) get random CHB phase dates although nothing was done
there; each runs through the same functions as ``geosoc phases report``
(:mod:`geosoc.phases.nullbench`). Prints, per test, the share called "significant", the line
``site-level null claim rate: N%``, the watch false-alarm rate per area-month, and the power
with an injected 20% and 40% fall in the site from Clear on.

Usage: ``.venv/bin/python bench/bench_null_sites.py [--sites 240] [--seed 1]``
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
    args = parser.parse_args()
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
    for fall in (0.2, 0.4):
        hits = []
        for city, kind, i, plan, seed in draw(args.power_sites):
            table, _ = run_site(city, kind, i, plan, fall=fall, seed=seed)
            hits.append(null_claims(table)["site fall detected (Holm)"])
        print(f"power, injected {fall:.0%} fall in the site: {_ci(sum(hits), len(hits))}")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
