"""Unit tests for candidate scoring, ranking, explanation and components (sites)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.errors import AnalysisError, ConfigError, SchemaError
from geosoc.sites.candidates import (
    area_vulnerability,
    candidate_components,
    compare_candidates,
    monthly_slope,
    score_site,
    sector_candidates,
    site_snapshot,
    ward_candidates,
)
from geosoc.sites.scoring import (
    DEFAULT_WEIGHTS,
    ScoreWeights,
    contribution_differences,
    explain,
    normalise,
    score_candidates,
)

LON0, LAT0, STEP = -0.10, 51.50, 0.01


def squares(n: int) -> gpd.GeoDataFrame:
    """Return ``n`` adjacent 0.01° squares in a row as Areas (W0, W1, ...)."""
    geoms = [shapely.box(LON0 + i * STEP, LAT0, LON0 + (i + 1) * STEP, LAT0 + STEP)
             for i in range(n)]
    return gpd.GeoDataFrame(
        {"name": [f"Ward {i}" for i in range(n)], "kind": "ward"}, geometry=geoms,
        crs="EPSG:4326", index=pd.Index([f"W{i}" for i in range(n)], name="area_code"))


def incidents(rows: list[tuple[int, str, str, float]]) -> gpd.GeoDataFrame:
    """Incidents at the centre of square i: (i, month, source, harm)."""
    idx, month, source, harm = zip(*rows, strict=True)
    lon = LON0 + (np.array(idx) + 0.5) * STEP
    lat = np.full(len(rows), LAT0 + STEP / 2)
    return gpd.GeoDataFrame(
        {"incident_id": [str(k) for k in range(len(rows))],
         "month": pd.PeriodIndex(list(month), freq="M"), "category": "Robbery",
         "source": list(source), "lon": lon, "lat": lat, "harm": np.array(harm, float)},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def frame(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.Index([f"C{i}" for i in range(n)], name="area_code"))


def test_contributions_sum_to_score_and_rank_is_by_score() -> None:
    cands = frame(police_harm=[10.0, 50.0, 30.0, 5.0], vulnerability=[40.0, 10.0, 20.0, 30.0],
                  assets=[1.0, 0.0, 5.0, 2.0])
    ranked = score_candidates(cands)
    contrib = ranked.filter(like="__contrib").sum(axis=1)
    np.testing.assert_allclose(contrib, ranked["score"])
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert ranked["score"].is_monotonic_decreasing
    # weights 1.0, 0.5, 0.25 -> denominator 1.75; C1 has the top police harm (norm 7/8)
    assert ranked.loc["C1", "police_harm__contrib"] == pytest.approx(1.0 * 0.875 / 1.75)
    assert ranked.attrs["weights"]["police_harm"] == 1.0


def test_input_not_mutated_and_index_kept() -> None:
    cands = frame(police_harm=[1.0, 2.0])
    before = cands.copy()
    ranked = score_candidates(cands)
    pd.testing.assert_frame_equal(cands, before)
    assert set(ranked.index) == {"C0", "C1"} and ranked.index.name == "area_code"


def test_weights_change_ranks_predictably() -> None:
    cands = frame(police_harm=[100.0, 10.0], vulnerability=[10.0, 60.0])
    assert score_candidates(cands, {"vulnerability": 0.1}).index[0] == "C0"
    assert score_candidates(cands, {"police_harm": 0.1, "vulnerability": 1.0}).index[0] == "C1"
    # switching police harm off leaves vulnerability alone to decide
    assert score_candidates(cands, {"police_harm": 0}).index[0] == "C1"


def test_ties_broken_by_police_harm_then_code() -> None:
    cands = frame(police_harm=[5.0, 5.0, 9.0], vulnerability=[20.0, 20.0, 1.0])
    ranked = score_candidates(cands, {"police_harm": 1.0, "vulnerability": 1.0})
    # C2: harm top (5/6) + vuln bottom (1/6) = C0 = C1: (2/6 + 4/6); tie -> police harm, code
    assert ranked["score"].nunique() == 1
    assert ranked.index.tolist() == ["C2", "C0", "C1"]
    assert explain(ranked, "C0", "C1").endswith("only on the tie-break (police harm, then code).")


def test_missing_component_gets_zero_and_is_listed() -> None:
    cands = frame(police_harm=[1.0, 2.0, 3.0], vulnerability=[np.nan, 10.0, 20.0])
    ranked = score_candidates(cands)
    assert ranked.loc["C0", "missing"] == "vulnerability"
    assert ranked.loc["C1", "missing"] == ""
    assert ranked.loc["C0", "vulnerability__contrib"] == 0.0
    assert not ranked["score"].isna().any() and not ranked["rank"].isna().any()
    # normalisation ignores the missing value: two candidates -> 0.25 and 0.75
    assert ranked.loc["C2", "vulnerability__norm"] == pytest.approx(0.75)


def test_one_candidate_normalises_to_half() -> None:
    ranked = score_candidates(frame(police_harm=[7.0], trend=[0.3]))
    assert ranked["police_harm__norm"].iloc[0] == 0.5
    assert ranked["score"].iloc[0] == pytest.approx(0.5)
    assert ranked["rank"].iloc[0] == 1


def test_normalise_rank_and_minmax() -> None:
    v = pd.Series([1.0, 2.0, 2.0, 10.0])
    np.testing.assert_allclose(normalise(v), [0.125, 0.5, 0.5, 0.875])
    np.testing.assert_allclose(normalise(v, method="minmax"), [0.0, 1 / 9, 1 / 9, 1.0])
    ref = pd.Series([1.0, 2.0, 3.0])
    np.testing.assert_allclose(normalise(pd.Series([0.0, 2.0, 99.0]), ref), [0, 0.5, 1])


def test_lower_is_worse_and_negative_weight_flip_direction() -> None:
    cands = frame(police_harm=[1.0, 1.0], assets=[0.0, 9.0])
    assert score_candidates(cands).index[0] == "C1"
    assert score_candidates(cands, higher_is_worse={"assets": False}).index[0] == "C0"
    assert score_candidates(cands, {"assets": -0.5}).index[0] == "C0"


def test_weights_roundtrip_and_problems() -> None:
    w = ScoreWeights.from_dict({"police_harm": "2", "partner_harm__fire": 0.1,
                                "normalisation": "minmax"})
    assert w.weight("partner_harm__fire") == 0.1 and w.weight("partner_harm__ae") == 0.5
    assert ScoreWeights.from_dict(w.to_dict()) == w
    assert ScoreWeights.from_dict({}) == DEFAULT_WEIGHTS
    with pytest.raises(ConfigError) as err:
        ScoreWeights.from_dict({"polise_harm": 1, "trend": "lots"})
    assert len(err.value.problems) == 2
    with pytest.raises(ConfigError):
        ScoreWeights(normalisation="zscore")


def test_no_components_is_a_schema_error() -> None:
    with pytest.raises(SchemaError):
        score_candidates(frame(other=[1.0]))


def test_explain_names_the_leading_components() -> None:
    cands = frame(police_harm=[100.0, 10.0, 50.0], vulnerability=[30.0, 10.0, 40.0],
                  assets=[0.0, 3.0, 1.0])
    ranked = score_candidates(cands)
    diff = contribution_differences(ranked, "C0", "C1")
    assert diff.sum() == pytest.approx(ranked.loc["C0", "score"] - ranked.loc["C1", "score"])
    text = explain(ranked, "C0", "C1")
    # denominator 1.75; police harm 5/6 vs 1/6, IMD 1/2 vs 1/6, assets 1/6 vs 5/6
    assert text == ("C0 ranks above C1 (score 0.64 vs 0.26) mainly because of police harm "
                    "(+0.38) and vulnerability (IMD) (+0.10); C1 scores higher on community "
                    "asset capacity (-0.10).")
    assert explain(ranked, "C1", "C0").startswith("C0 ranks above C1")
    with pytest.raises(AnalysisError):
        explain(ranked, "C0", "nope")


def test_candidate_components_by_point_in_polygon() -> None:
    wards = ward_candidates(squares(3))
    inc = incidents([(0, "2024-01", "police", 10.0), (0, "2024-02", "police", 20.0),
                     (0, "2024-03", "police", 30.0), (1, "2024-01", "police", 5.0),
                     (1, "2024-03", "fire", 4.0), (2, "2024-02", "council_asb", 1.0)])
    out = candidate_components(wards, inc)
    assert out["police_harm"].tolist() == [60.0, 5.0, 0.0]
    assert out["police_count"].tolist() == [3, 1, 0]
    assert out["partner_harm__fire"].tolist() == [0.0, 4.0, 0.0]
    assert out["partner_harm__council_asb"].tolist() == [0.0, 0.0, 1.0]
    # monthly police harm W0: 10, 20, 30 -> slope 10/month; W1: 5, 0, 0 -> -2.5
    np.testing.assert_allclose(out["trend"], [10.0, -2.5, 0.0])
    assert out["area_km2"].between(0.7, 0.8).all()  # 0.01° x 0.01° at 51.5°N ~ 0.77 km2
    assert "police_harm" not in wards.columns


def test_components_hotspots_assets_vulnerability() -> None:
    wards = ward_candidates(squares(2))
    inc = incidents([(0, "2024-01", "police", 1.0)])
    cells = gpd.GeoDataFrame(
        {"gi_z": [3.0, 1.0, -1.0], "emerging_class": ["New Hot Spot", "No Pattern Detected",
                                                       "Intensifying Hot Spot"]},
        geometry=gpd.points_from_xy([-0.097, -0.094, -0.085], [51.505] * 3).buffer(1e-4),
        crs="EPSG:4326", index=pd.Index(["a", "b", "c"], name="h3"))
    assets = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-0.095, -0.099], [51.505] * 2),
                              crs="EPSG:4326")
    # one LSOA exactly W0, one covering the left half of W1
    lsoas = gpd.GeoDataFrame(
        {"name": ["L0", "L1"], "kind": "lsoa"},
        geometry=[wards.geometry.iloc[0], shapely.box(-0.09, 51.5, -0.085, 51.51)],
        crs="EPSG:4326", index=pd.Index(["E01A", "E01B"], name="area_code"))
    imd = pd.DataFrame({"imd_score": [10.0, 40.0], "population": [100, 300]},
                       index=pd.Index(["E01A", "E01B"], name="lsoa_code"))
    out = candidate_components(wards, inc, hotspots=cells, emerging=cells, assets=assets,
                               imd=imd, lsoas=lsoas)
    assert out["hotspot"].tolist() == [2.0, -1.0]
    assert out["emerging"].tolist() == [0.5, 1.0]
    assert out["assets"].tolist() == [2, 0]
    np.testing.assert_allclose(out["vulnerability"], [10.0, 40.0], rtol=1e-6)


def test_area_vulnerability_population_weighted() -> None:
    imd = pd.DataFrame({"imd_score": [10.0, 40.0, 20.0], "population": [100, 300, 50]},
                       index=pd.Index(["A", "B", "C"], name="lsoa_code"))
    lookup = pd.DataFrame({"lsoa_code": ["A", "B", "C", "D"],
                           "ward_code": ["W1", "W1", "W2", "W3"]})
    v = area_vulnerability(imd, lookup)
    assert v.to_dict() == {"W1": pytest.approx(32.5), "W2": 20.0}


def test_monthly_slope_known_values() -> None:
    panel = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [4.0, 4.0, 4.0, 4.0], [0.0, 0.0, 0.0, 8.0]])
    np.testing.assert_allclose(monthly_slope(panel), [1.0, 0.0, 2.4])
    assert monthly_slope(panel.iloc[:, :1]).isna().all()


def test_compare_and_score_site() -> None:
    wards = ward_candidates(squares(3))
    inc = incidents([(0, "2024-01", "police", 10.0), (0, "2024-02", "police", 30.0),
                     (1, "2024-01", "police", 5.0), (2, "2024-02", "police", 1.0)])
    ranked = score_candidates(candidate_components(wards, inc))
    cmp = compare_candidates(ranked, ["W0", "W1"], inc)
    assert cmp.table.loc["police_harm"].tolist() == [40.0, 5.0]
    assert cmp.monthly.loc[pd.Period("2024-02", "M")].tolist() == [30.0, 0.0]
    with pytest.raises(AnalysisError):
        compare_candidates(ranked, ["W0"])
    # a site equal to W0 scores exactly like W0 against the candidate set
    site = score_site(wards.geometry.iloc[0], ranked, inc, name="Mine")
    assert site["score"].iloc[0] == pytest.approx(ranked.loc["W0", "score"])
    assert site["would_rank"].iloc[0] == 1 and site["name"].iloc[0] == "Mine"
    with pytest.raises(AnalysisError):
        score_site(shapely.Point(0, 51), ranked, inc)


def test_site_snapshot_is_json_ready() -> None:
    import json

    ranked = score_candidates(frame(police_harm=[3.0, 1.0], vulnerability=[np.nan, 2.0]))
    snap = site_snapshot(ranked, "C0")
    assert json.loads(json.dumps(snap)) == snap
    assert snap["rank"] == 1 and snap["raw"]["vulnerability"] is None
    assert sum(snap["contributions"].values()) == pytest.approx(snap["score"])
    with pytest.raises(AnalysisError):
        site_snapshot(ranked, "C9")


def test_as_candidates_maps_per_source_aggregates() -> None:
    wards = squares(2).assign(harm__police=[5.0, 1.0], count__police=[2, 1],
                              harm__fire=[3.0, 0.0], count__fire=[1, 0], harm=[8.0, 1.0])
    out = ward_candidates(wards)
    assert out["police_harm"].tolist() == [5.0, 1.0]
    assert out["police_count"].tolist() == [2, 1]
    assert out["partner_harm__fire"].tolist() == [3.0, 0.0]
    assert (out["scale"] == "ward").all() and "harm__police" in wards.columns


def test_sector_candidates_built_from_postcodes() -> None:
    from pyproj import Transformer

    lon = LON0 + np.array([0.2, 0.8, 1.2, 1.8, 2.2, 2.8]) * STEP
    lat = np.full(6, LAT0 + STEP / 2)
    east, north = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    sectors = ["ZZ1 1", "ZZ1 1", "ZZ1 2", "ZZ1 2", "ZZ1 3", "ZZ1 3"]
    postcodes = pd.DataFrame({
        "postcode": [f"{s}A{k}" for k, s in enumerate(sectors)], "sector": sectors,
        "district": "ZZ1", "lon": lon, "lat": lat, "easting": east, "northing": north})
    out = sector_candidates(postcodes, clip_to=squares(3))
    assert sorted(out.index) == ["ZZ1 1", "ZZ1 2", "ZZ1 3"]
    assert (out["scale"] == "sector").all()
    assert out["area_km2"].sum() == pytest.approx(3 * 0.77, rel=0.02)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 12))
def test_scoring_properties(data: st.DataObject, n: int) -> None:
    value = st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)).map(
        lambda v: np.nan if v is None else v)
    cands = frame(police_harm=data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n)),
                  trend=data.draw(st.lists(value, min_size=n, max_size=n)),
                  vulnerability=data.draw(st.lists(value, min_size=n, max_size=n)))
    weights = {c: data.draw(st.floats(0.01, 5)) for c in ("police_harm", "trend",
                                                         "vulnerability")}
    ranked = score_candidates(cands, weights)
    np.testing.assert_allclose(ranked.filter(like="__contrib").sum(axis=1), ranked["score"])
    assert sorted(ranked["rank"]) == list(range(1, n + 1))
    assert ranked["score"].between(0, 1).all()
    # row order changes nothing; scaling every weight changes nothing
    shuffled = cands.sample(frac=1.0, random_state=data.draw(st.integers(0, 99)))
    assert score_candidates(shuffled, weights).index.tolist() == ranked.index.tolist()
    scaled = score_candidates(cands, {k: 3 * v for k, v in weights.items()})
    np.testing.assert_allclose(scaled.loc[ranked.index, "score"], ranked["score"])
