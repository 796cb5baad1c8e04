"""Integration: rank London wards from real police.uk LSOA counts and IMD 2019.

Police harm = counts x the default CCHI weights (``geosoc/resources/harm_weights.csv``) over
2024-2025,
rolled up from LSOAs to wards with the best-fit lookup; vulnerability = mean IMD 2019 score of
the ward's LSOAs; trend = slope of monthly ward harm. The ranking must be stable to small
weight changes: each weight moved by ±10% keeps the top 50 wards' ranks correlated: Spearman
> 0.9 (Kendall's tau, always the smaller of the two, > 0.85).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, spearmanr

from geosoc.harm import load_harm_weights
from geosoc.sites.candidates import area_vulnerability, monthly_slope
from geosoc.sites.scoring import DEFAULT_WEIGHTS, ScoreWeights, explain, score_candidates

pytestmark = pytest.mark.integration

COUNTS = "london/policeuk_lsoa_month_counts_2023-05_2026-03.parquet"
LOOKUP = "city-of-london/lookups/lsoa_to_ward.csv"
IMD = "city-of-london/deprivation/imd2019_london_lsoa.csv"


@pytest.fixture(scope="module")
def wards(shared_data: Path) -> pd.DataFrame:
    counts = pd.read_parquet(shared_data / COUNTS, filters=[("year", "in", [2024, 2025])],
                             columns=["lsoa_code", "category", "year", "month", "crime_count"])
    counts = counts[counts["category"] != "other-crime"]
    weights = load_harm_weights()
    police = weights[weights["source"] == "police"].set_index("category")["weight"]
    unweighted = set(counts["category"].unique()) - set(police.index)
    assert not unweighted, f"categories without a CCHI weight: {unweighted}"
    lookup = pd.read_csv(shared_data / LOOKUP, dtype=str)
    counts = counts.merge(lookup, on="lsoa_code", how="inner")
    counts["harm"] = counts["crime_count"] * counts["category"].map(police).to_numpy(float)
    counts["period"] = pd.PeriodIndex.from_fields(year=counts["year"], month=counts["month"],
                                                  freq="M")
    monthly = counts.pivot_table(index="ward_code", columns="period", values="harm",
                                 aggfunc="sum", fill_value=0.0)
    totals = counts.groupby("ward_code")[["harm", "crime_count"]].sum()
    raw = pd.read_csv(shared_data / IMD)
    imd = pd.DataFrame({"imd_score": raw["Index of Multiple Deprivation (IMD) Score"].to_numpy()},
                       index=pd.Index(raw["LSOA code (2011)"], name="lsoa_code"))
    frame = pd.DataFrame({
        "name": totals.index.to_numpy(),
        "police_harm": totals["harm"],
        "police_count": totals["crime_count"].astype("int64"),
        "trend": monthly_slope(monthly.reindex(totals.index)),
        "vulnerability": area_vulnerability(imd, lookup).reindex(totals.index),
    })
    frame.index.name = "area_code"
    return frame


def test_roll_up_conserves_known_totals(wards: pd.DataFrame) -> None:
    assert len(wards) > 600  # London has ~680 wards
    assert wards["police_count"].sum() > 1_900_000  # ~90k crimes a month for 24 months
    # violence carries most harm, so harm per crime is far above 1 day
    assert 30 < wards["police_harm"].sum() / wards["police_count"].sum() < 200
    assert wards["vulnerability"].notna().mean() > 0.95


def test_ranking_is_stable_to_ten_percent_weight_changes(wards: pd.DataFrame) -> None:
    base = score_candidates(wards)
    assert not base["rank"].isna().any()
    assert base["missing"].isin(["", "vulnerability"]).all()
    top = base.index[:50]
    lines, worst_rho, worst_tau = [], 1.0, 1.0
    for comp in base.attrs["components"]:
        for factor in (0.9, 1.1):
            weights = ScoreWeights.from_dict(
                {comp: DEFAULT_WEIGHTS.weight(comp) * factor})
            moved = score_candidates(wards, weights)
            rho = spearmanr(base.loc[top, "rank"], moved.loc[top, "rank"]).statistic
            tau = kendalltau(base.loc[top, "rank"], moved.loc[top, "rank"]).statistic
            worst_rho, worst_tau = min(worst_rho, rho), min(worst_tau, tau)
            lines.append(f"{comp:>14} x{factor:.1f}: spearman {rho:.4f} kendall {tau:.4f}")
    print("\nTop-50 ward rank correlation under ±10% weight changes\n" + "\n".join(lines))
    assert worst_rho > 0.9, "\n".join(lines)
    assert worst_tau > 0.85, "\n".join(lines)


def test_top_ward_explained_against_tenth(wards: pd.DataFrame) -> None:
    ranked = score_candidates(wards)
    first, tenth = ranked.index[0], ranked.index[9]
    text = explain(ranked, first, tenth)
    print("\n" + text)
    assert text.startswith(f"{first} ranks above {tenth}")
    np.testing.assert_allclose(ranked.filter(like="__contrib").sum(axis=1), ranked["score"])
