"""Utility of the disclosure release on real data: how far partner and public figures are
from the truth, and whether the partner's hot spots are the analyst's.

City of London police.uk street crime (``../shared/data/city-of-london``, 24 months, 25
wards). For each period (one month, one quarter, a year, two years) and role it prints:

* ward totals and H3 totals (partner resolution 8, public 7): the median and 90th percentile
  of ``|shown - true| / true`` over the units with at least 10 true events that are shown,
  pooled over five releases (five server keys), and the share of units suppressed;
* the whole-study total's relative error (mean over the five);
* Gi* on the partner's disclosed values against the analyst's Gi* on raw values, City wards
  and (the City has ~10 resolution-8 cells, none hot) the demo town's resolution-8 cells: the
  share of units whose hot spot class (``hotspot_bin``, -3..3) agrees, and the share of the
  analyst's hot units (bin 2 or 3) the partner also marks hot;
* for comparison, the same ward errors under a differentially private alternative: two-sided
  geometric noise on every base cell, zeros included (epsilon 1 per base cell).

The public sees whole quarters: its "one month" row is the quarter holding that month,
against that quarter's truth.

Run: ``.venv/bin/python bench/bench_release_utility.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

import numpy as np
import pandas as pd

from geosoc import ingest
from geosoc.aggregate import cover_area
from geosoc.disclosure.cell_key import attach_record_keys
from geosoc.disclosure.rules import months_for
from geosoc.disclosure.tables import disclosed_areas, disclosed_cells, disclosed_totals
from geosoc.harm import apply_harm_weights

CITY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "city-of-london"
SECRET = b"bench-release-utility-key-0123456789abcdef"
#: Server keys the errors are pooled over (each gives an independent release).
SECRETS = tuple(SECRET + bytes([i]) for i in range(5))


def _errors(pairs: list[tuple[pd.Series, pd.Series]]) -> tuple[float, float, float]:
    """Median and p90 relative error over shown units with >= 10 true events (pooled over
    the releases), and the share of units suppressed."""
    rel, hidden = [], []
    for shown, true in pairs:
        big = (true >= 10) & shown.notna()
        rel.append(((shown[big] - true[big]).abs() / true[big]).to_numpy())
        hidden.append(float(shown.isna().mean()))
    pooled = np.concatenate(rel)
    if not len(pooled):
        return float("nan"), float("nan"), float(np.mean(hidden))
    return float(np.median(pooled)), float(np.quantile(pooled, 0.9)), float(np.mean(hidden))


def _dp_ward_errors(incidents: pd.DataFrame, wards, months: tuple[str, str],
                    epsilon: float = 1.0) -> tuple[float, float]:
    """Ward relative errors when every base cell (zeros too) gets two-sided geometric noise."""
    start, end = (pd.Period(m, "M") for m in months)
    rows = incidents[(incidents["month"] >= start) & (incidents["month"] <= end)]
    truth = disclosed_areas(rows, wards, "analyst")["count"]
    n_months = len(pd.period_range(start, end, freq="M"))
    n_cells = n_months * incidents["category"].nunique() * incidents["source"].nunique()
    rng = np.random.default_rng(0)
    alpha = np.exp(-epsilon)
    # two-sided geometric = difference of two geometric draws (failures before a success)
    noise = (rng.geometric(1 - alpha, (len(wards), n_cells)) -
             rng.geometric(1 - alpha, (len(wards), n_cells))).sum(axis=1)
    shown = truth + noise
    big = truth >= 10
    rel = ((shown[big] - truth[big]).abs() / truth[big]).to_numpy()
    return float(np.median(rel)), float(np.quantile(rel, 0.9))


def _hotspot_agreement(layer_of) -> tuple[float, float, int, float]:
    """Class agreement, share of the analyst's hot units kept hot, their number, r(Gi* z)."""
    analyst, partner = layer_of("analyst"), layer_of("partner")
    a = analyst["hotspot_bin"]
    p = partner["hotspot_bin"].reindex(a.index)
    hot = a >= 2
    caught = float((p[hot] >= 2).mean()) if hot.any() else float("nan")
    z = pd.concat([analyst["gi_z"], partner["gi_z"].reindex(a.index)], axis=1).dropna()
    r = float(np.corrcoef(z.iloc[:, 0], z.iloc[:, 1])[0, 1]) if len(z) > 2 else float("nan")
    return float((a == p).mean()), caught, int(hot.sum()), r


def main() -> int:
    if not CITY.is_dir():
        print(f"real data not found at {CITY}")
        return 1
    started = time.perf_counter()
    raw = apply_harm_weights(ingest.read_policeuk(CITY / "crime").data)
    incidents = attach_record_keys(raw, SECRET)
    wards = ingest.read_boundaries(CITY / "boundaries/wards_by_lad/E09000001.json",
                                   kind="ward").data
    covers = {8: cover_area(wards, 8), 7: cover_area(wards, 7)}
    months = sorted(incidents["month"].astype(str).unique())
    periods = {"one month": (months[-1], months[-1]), "one quarter": (months[-3], months[-1]),
               "a year": (months[-12], months[-1]), "two years": (months[0], months[-1])}
    print(f"City of London: {len(incidents):,} incidents, {len(months)} months "
          f"({months[0]}..{months[-1]}), {len(wards)} wards\n")
    head = (f"{'period':<12} {'role':<8} {'ward med':>8} {'ward p90':>8} {'ward hid':>8} "
            f"{'H3 med':>7} {'H3 p90':>7} {'H3 hid':>7} {'total err':>9}")
    print(head)
    print("-" * len(head))
    for label, asked in periods.items():
        for role, resolution in (("partner", 8), ("public", 7)):
            window = months_for(role, asked)
            true_wards = disclosed_areas(incidents, wards, "analyst", months=window)["count"]
            true_total, _ = disclosed_totals(incidents, "analyst", months=window)
            true_cells = disclosed_cells(incidents, "analyst", resolution=resolution,
                                         cover=covers[resolution], months=window,
                                         hotspots=False)["count"]
            ward_pairs, cell_pairs, totals = [], [], []
            for key in SECRETS:
                keyed = attach_record_keys(raw, key)
                ward_pairs.append((disclosed_areas(keyed, wards, role, months=window,
                                                   secret=key)["count"], true_wards))
                shown = disclosed_cells(keyed, role, resolution=resolution,
                                        cover=covers[resolution], months=window,
                                        hotspots=False, secret=key)["count"]
                cell_pairs.append((shown, true_cells.reindex(shown.index)))
                totals.append(disclosed_totals(keyed, role, months=window, secret=key)[0])
            wm, w9, wh = _errors(ward_pairs)
            hm, h9, hh = _errors(cell_pairs)
            err = float(np.mean([abs((t or 0) - true_total) / true_total for t in totals]))
            print(f"{label:<12} {role:<8} {wm:>8.1%} {w9:>8.1%} {wh:>8.0%} {hm:>7.1%} "
                  f"{h9:>7.1%} {hh:>7.0%} {err:>9.2%}")
    print("\nGi* hot spot class (hotspot_bin), partner (from disclosed values) against "
          "analyst (raw):")
    from geosoc.synth.demo import load_demo

    demo = load_demo()
    town = attach_record_keys(apply_harm_weights(demo.incidents), SECRET)
    town_cover = cover_area(demo.wards, 8)
    for label, window in periods.items():
        agree, caught, n_hot, r = _hotspot_agreement(
            lambda role, w=window: disclosed_areas(incidents, wards, role, months=w,
                                                   hotspots=True, secret=SECRET))
        print(f"  City wards, {label:<12} class agrees in {agree:.0%} of 25 wards; analyst "
              f"hot wards also hot: {caught:.0%} of {n_hot}; r(Gi* z) = {r:.3f}")
    town_months = sorted(town["month"].astype(str).unique())
    for label, window in (("one month", (town_months[-1],) * 2),
                          ("a year", (town_months[-12], town_months[-1])),
                          ("all", (town_months[0], town_months[-1]))):
        agree, caught, n_hot, r = _hotspot_agreement(
            lambda role, w=window: disclosed_cells(town, role, resolution=8, cover=town_cover,
                                                   months=w, lisa_permutations=9,
                                                   secret=SECRET))
        print(f"  demo town H3 res 8, {label:<10} class agrees in {agree:.0%} of "
              f"{len(town_cover)} cells; analyst hot cells also hot: {caught:.0%} of "
              f"{n_hot}; r(Gi* z) = {r:.3f}")
    print("\nWard totals under a DP alternative (two-sided geometric, epsilon 1 per base cell, "
          "zeros perturbed):")
    for label, window in periods.items():
        med, p90 = _dp_ward_errors(incidents, wards, window)
        print(f"  {label:<12} median {med:.1%}, p90 {p90:.1%}")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
