"""Null-site calibration on real London counts (small run of bench/bench_null_sites.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def london(shared_data):
    from geosoc.phases.nullbench import load_city

    d = shared_data / "london"
    path = d / "policeuk_lsoa_month_counts_2023-05_2026-03.parquet"
    if not path.exists():
        pytest.skip(f"London counts not found at {path}")
    return load_city(path, d / "lsoa_by_lad", d / "wards_by_lad", name="london")


def test_null_sites_rarely_claim_an_effect(london):
    from geosoc.phases.nullbench import null_claims, random_plan, run_site

    rng = np.random.default_rng(7)
    claims, rows, watches = [], [], []
    for j in range(40):
        kind = ("ward", "cluster")[j % 2]
        i = int(rng.integers(len(london.units[kind].names)))
        table, watched = run_site(london, kind, i, random_plan(london.months, rng), seed=j,
                                  watch=j < 10)
        claims.append(null_claims(table))
        rows.append(table)
        if watched is not None:
            watches.append(watched)
    site_rate = np.mean([c["site-level verdict (Holm)"] for c in claims])
    assert site_rate <= 0.15  # target 5%; 40 sites give a standard error of ~3.5%
    tested = pd.concat(rows)
    tested = tested[tested["status"] == "tested"]
    assert len(tested) > 500
    assert (tested["p"] < 0.05).mean() <= 0.09  # each test nominal 5%
    w = pd.concat(watches)
    assert w.loc[w["status"] == "tested", "alert"].mean() <= 0.08  # per area-month


def test_an_injected_fall_is_found(london):
    from geosoc.phases.nullbench import null_claims, random_plan, run_site

    rng = np.random.default_rng(11)
    hits = []
    for j in range(8):
        i = int(rng.integers(len(london.units["ward"].names)))
        table, _ = run_site(london, "ward", i, random_plan(london.months, rng), fall=0.6,
                            seed=j)
        hits.append(null_claims(table)["site fall detected (Holm)"])
    assert np.mean(hits) >= 0.75
