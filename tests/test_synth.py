"""Tests of the fictional demo town generator (geosoc.synth) against its injected truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from h3ronpy.vector import coordinates_to_cells
from pyproj import Transformer

from geosoc.errors import InputFileError
from geosoc.schema import POLICE_ACTIVITY_CATEGORIES, POLICEUK_COLUMNS, POLICEUK_CRIME_TYPES
from geosoc.synth import DEFAULT_SEED, MANIFEST_NAME, DemoManifest, generate_demo_town
from geosoc.synth.categories import CCHI_DAYS
from geosoc.synth.intensity import seasonality
from geosoc.synth.scenario import PHASES

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("synth") / "demo"
    return out, generate_demo_town(out)


@pytest.fixture(scope="module")
def police(town: tuple[Path, DemoManifest]) -> pd.DataFrame:
    root, _ = town
    files = sorted((root / "police").glob("*/*-demoford-street.csv"))
    return pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True
    )


@pytest.fixture(scope="module")
def zones(town: tuple[Path, DemoManifest], police: pd.DataFrame) -> pd.DataFrame:
    """Police rows with a location, their zone (site/ring/control/other) and harm flag."""
    root, manifest = town
    located = police[police["Longitude"] != ""].copy()
    x, y = TO_BNG.transform(located["Longitude"].astype(float).to_numpy(),
                            located["Latitude"].astype(float).to_numpy())
    site = shapely.from_wkt(manifest.site["geometry_wkt"])
    site_bng = shapely.transform(site, lambda c: np.column_stack(TO_BNG.transform(*c.T)))
    dist = shapely.distance(site_bng, shapely.points(x, y))
    lsoas = gpd.read_file(root / "boundaries" / "lsoas.geojson").set_index("LSOA21CD")
    ward = lsoas["WD24CD"].reindex(located["LSOA code"]).to_numpy()
    control = np.isin(ward, manifest.truth["control_wards"]) & (dist > 500)
    located["zone"] = np.select(
        [dist <= 0.5, dist <= 250, dist <= 500, control],
        ["site", "ring_0_250", "ring_250_500", "control"], default="other",
    )
    located["activity"] = located["Crime type"].isin(POLICE_ACTIVITY_CATEGORIES)
    return located


def phase_rate(frame: pd.DataFrame, manifest: DemoManifest, phase: str) -> float:
    """Events per month in a phase."""
    first, last = manifest.site["phases"][phase]
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    return (frame["Month"].isin(months)).sum() / len(months)


def relative_change(zones: pd.DataFrame, manifest: DemoManifest, zone: str, phase: str,
                    activity: bool = False) -> float:
    """(zone phase / zone baseline) / (control phase / control baseline): seasonality cancels."""
    def ratio(frame: pd.DataFrame) -> float:
        return phase_rate(frame, manifest, phase) / phase_rate(frame, manifest, "baseline")

    chosen = zones[zones["activity"] == activity]
    return ratio(chosen[chosen["zone"] == zone]) / ratio(chosen[chosen["zone"] == "control"])


# --- determinism and size ----------------------------------------------------------------


def test_same_seed_gives_identical_bytes(town, tmp_path: Path) -> None:
    root, manifest = town
    again = generate_demo_town(tmp_path / "again")
    assert again.files == manifest.files
    assert again.to_json() == manifest.to_json()
    assert (tmp_path / "again" / MANIFEST_NAME).read_bytes() == (root / MANIFEST_NAME).read_bytes()


def test_different_seed_gives_different_data(town, tmp_path: Path) -> None:
    _, manifest = town
    other = generate_demo_town(tmp_path / "other", seed=DEFAULT_SEED + 1)
    police = [k for k in manifest.files if k.startswith("police/")]
    assert all(other.files[k]["sha256"] != manifest.files[k]["sha256"] for k in police)


def test_sizes_and_counts(town) -> None:
    root, manifest = town
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total < 15_000_000
    assert 35_000 <= manifest.counts["police"] <= 55_000
    assert manifest.counts["wards"] == 20 and manifest.counts["lsoas"] == 120
    assert 1_900 <= manifest.counts["postcodes"] <= 2_100
    for name, record in manifest.files.items():
        assert (root / name).stat().st_size == record["bytes"]
    assert not list(root.rglob("*.gz"))


def test_refuses_to_overwrite_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(InputFileError) as err:
        generate_demo_town(tmp_path)
    assert err.value.problems[0].file == str(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


# --- manifest ----------------------------------------------------------------------------


def test_manifest_round_trip_and_errors(town) -> None:
    root, manifest = town
    assert DemoManifest.read(root) == manifest
    assert DemoManifest.from_json(manifest.to_json()) == manifest
    with pytest.raises(InputFileError):
        DemoManifest.from_json("{not json", file="m.json")
    broken = json.loads(manifest.to_json())
    del broken["seed"]
    with pytest.raises(InputFileError) as err:
        DemoManifest.from_json(json.dumps(broken))
    assert err.value.problems[0].column == "seed"


def test_manifest_states_the_ground_truth(town) -> None:
    _, manifest = town
    assert "fictional" in manifest.name
    kinds = sorted(h["kind"] for h in manifest.hotspots)
    assert kinds == ["emerging", "fading", "persistent", "persistent", "persistent"]
    assert manifest.hotspots[0]["ward_code"] == manifest.site["ward_code"]
    assert manifest.site["phases"] == {
        "baseline": ["2023-01", "2023-12"], "clear": ["2024-01", "2024-03"],
        "hold": ["2024-04", "2024-09"], "build": ["2024-10", "2025-12"],
    }
    expected = manifest.effects["expected_pct"]
    assert expected["clear"]["site"]["count_pct"] == pytest.approx(-40.0)
    assert expected["clear"]["site"]["activity_pct"] == pytest.approx(100.0)
    assert expected["hold"]["ring_0_250"]["count_pct"] > 5
    assert expected["build"]["ring_0_250"]["count_pct"] < 0
    assert manifest.truth["control_wards"]
    assert manifest.site["ward_code"] not in manifest.truth["control_wards"]
    assert len(manifest.truth["hotspot_lsoas"]) == 6


# --- police.uk files ---------------------------------------------------------------------


def test_police_files_follow_policeuk_layout(town) -> None:
    root, _ = town
    files = sorted((root / "police").glob("*/*.csv"))
    assert len(files) == 36
    assert files[0].relative_to(root).as_posix() == "police/2023-01/2023-01-demoford-street.csv"
    header = files[0].read_bytes().split(b"\r\n", 1)[0].decode()
    assert header == ",".join(POLICEUK_COLUMNS)


def test_police_rows_look_like_policeuk(police: pd.DataFrame, town) -> None:
    _, manifest = town
    asb = police["Crime type"] == "Anti-social behaviour"
    assert (police.loc[asb, "Crime ID"] == "").all()
    assert police.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert police.loc[~asb, "Crime ID"].is_unique
    assert (police["Reported by"] == "Demoford Constabulary (fictional)").all()
    assert (police["Falls within"] == police["Reported by"]).all()
    assert set(police["Crime type"]) == set(POLICEUK_CRIME_TYPES)
    located = police["Longitude"] != ""
    assert police.loc[located, "Longitude"].str.fullmatch(r"-2\.\d{6}").all()
    assert police.loc[located, "Latitude"].str.fullmatch(r"5[23]\.\d{6}").all()
    assert police.loc[located, "Location"].str.startswith("On or near ").all()
    assert police.loc[located, "LSOA code"].str.fullmatch(r"E01999\d{3}").all()
    missing = police.loc[~located]
    assert (missing["Location"] == "No Location").all() and (missing["LSOA code"] == "").all()
    assert len(missing) == manifest.counts["police_no_location"]
    assert 0.01 < len(missing) / len(police) < 0.04
    assert (police.loc[~asb, "Last outcome category"] != "").all()


def test_crime_type_proportions(police: pd.DataFrame, town) -> None:
    _, manifest = town
    observed = police["Crime type"].value_counts(normalize=True)
    for category, share in manifest.truth["category_shares"].items():
        assert observed[category] == pytest.approx(share, abs=0.01), category
    assert 0.26 <= observed["Anti-social behaviour"] <= 0.31
    assert 0.26 <= observed["Violence and sexual offences"] <= 0.31


def test_harm_is_concentrated_in_the_true_hotspots(police: pd.DataFrame, town) -> None:
    _, manifest = town
    located = police[police["LSOA code"] != ""]
    harm = located["Crime type"].map(CCHI_DAYS).groupby(located["LSOA code"]).sum()
    top = harm.sort_values(ascending=False).head(6)
    assert top.sum() / harm.sum() > 0.18  # top 5% of LSOAs hold > 18% of harm
    root, _ = town
    lsoas = gpd.read_file(root / "boundaries" / "lsoas.geojson").set_index("LSOA21CD")
    density = harm / lsoas.to_crs(27700).area.reindex(harm.index)
    densest = density.sort_values(ascending=False).head(6).index
    assert len(set(densest) & set(manifest.truth["hotspot_lsoas"])) >= 4


def test_true_top_cells_are_the_observed_top_cells(police: pd.DataFrame, town) -> None:
    _, manifest = town
    located = police[police["Longitude"] != ""]
    cells = np.asarray(coordinates_to_cells(located["Latitude"].astype(float).to_numpy(),
                                            located["Longitude"].astype(float).to_numpy(), 9))
    harm = located["Crime type"].map(CCHI_DAYS).groupby(cells).sum().nlargest(20)
    observed = {h3.int_to_str(int(c)) for c in harm.index}
    truth = {c["h3"] for c in manifest.truth["top_cells_res9"]}
    assert len(observed & truth) >= 14
    assert manifest.hotspots[0]["h3_res9"] in truth


def test_emerging_and_fading_hotspots_trend(zones: pd.DataFrame, town) -> None:
    _, manifest = town
    x, y = TO_BNG.transform(zones["Longitude"].astype(float).to_numpy(),
                            zones["Latitude"].astype(float).to_numpy())
    year = zones["Month"].str[:4]
    for spot in manifest.hotspots:
        hx, hy = TO_BNG.transform(spot["lon"], spot["lat"])
        near = np.hypot(x - hx, y - hy) < 250
        first, last = (near & (year == "2023")).sum(), (near & (year == "2025")).sum()
        if spot["kind"] == "emerging":
            assert last > 1.6 * first
        elif spot["kind"] == "fading":
            assert first > 1.6 * last
        else:
            assert 0.6 < last / first < 1.4


# --- injected CHB effects, in raw counts ---------------------------------------------------


def test_clear_cuts_site_harm_and_raises_detections(zones: pd.DataFrame, town) -> None:
    _, manifest = town
    change = relative_change(zones, manifest, "site", "clear")
    assert change == pytest.approx(0.60, abs=0.08)
    assert relative_change(zones, manifest, "site", "clear", activity=True) > 1.5


def test_hold_displaces_into_the_rings(zones: pd.DataFrame, town) -> None:
    _, manifest = town
    expected = manifest.effects["expected_pct"]["hold"]
    assert relative_change(zones, manifest, "site", "hold") == pytest.approx(0.65, abs=0.08)
    inner = relative_change(zones, manifest, "ring_0_250", "hold")
    assert inner > 1.05
    assert inner == pytest.approx(1 + expected["ring_0_250"]["count_pct"] / 100, abs=0.08)


def test_build_sustains_the_fall_with_diffusion(zones: pd.DataFrame, town) -> None:
    _, manifest = town
    assert relative_change(zones, manifest, "site", "build") == pytest.approx(0.70, abs=0.06)
    assert relative_change(zones, manifest, "ring_0_250", "build") < 0.97


def test_controls_are_unaffected(zones: pd.DataFrame, town) -> None:
    _, manifest = town
    control = zones[(zones["zone"] == "control") & ~zones["activity"]]
    season = seasonality()
    for phase in ("clear", "hold", "build"):
        first, last = PHASES[phase]
        seasonal = season[first : last + 1].mean() / season[:12].mean()
        observed = phase_rate(control, manifest, phase) / phase_rate(control, manifest, "baseline")
        assert observed == pytest.approx(seasonal, abs=0.08), phase


# --- other files ---------------------------------------------------------------------------


def test_boundaries_nest_and_are_valid(town) -> None:
    root, manifest = town
    wards = gpd.read_file(root / "boundaries" / "wards.geojson")
    lsoas = gpd.read_file(root / "boundaries" / "lsoas.geojson")
    assert wards.crs.to_epsg() == 4326
    assert len(wards) == 20 and len(lsoas) == 120
    assert wards["WD24CD"].str.fullmatch(r"E05999\d{3}").all()
    assert wards.is_valid.all() and lsoas.is_valid.all()
    assert (wards.geom_type == "Polygon").all()  # contiguous wards
    inside = gpd.sjoin(lsoas.set_geometry(lsoas.representative_point()), wards,
                       predicate="within")
    assert (inside["WD24CD_left"] == inside["WD24CD_right"]).all() and len(inside) == 120
    text = (root / "boundaries" / "lsoas.geojson").read_text()
    assert not re.search(r"\d\.\d{7,}", text)
    assert np.allclose(manifest.bounds, lsoas.total_bounds)


def test_postcodes_in_codepoint_layout(town) -> None:
    root, manifest = town
    path = root / "postcodes" / "codepoint_open" / "zz.csv"
    assert path.read_text().startswith('"ZZ')
    frame = pd.read_csv(path, header=None, dtype=str)
    assert frame.shape == (manifest.counts["postcodes"], 10)
    assert frame[0].str.fullmatch(r"ZZ[1-6] [1-4][A-Z]{2}").all() and frame[0].is_unique
    assert (frame[8] == "E06999001").all()
    assert frame[9].str.fullmatch(r"E05999\d{3}").all()


def test_imd_layout_and_correlation_with_harm(town, police: pd.DataFrame) -> None:
    root, _ = town
    imd = pd.read_csv(root / "deprivation" / "imd2019_demoford_lsoa.csv")
    real = "/work/shared/data/city-of-london/deprivation/imd2019_london_lsoa.csv"
    if Path(real).is_file():
        assert list(imd.columns[:7]) == list(pd.read_csv(real, nrows=0).columns[:7])
    assert len(imd) == 120 and imd.iloc[:, 6].between(1, 10).all()
    assert imd.filter(like="population").iloc[:, 0].between(1000, 3000).all()
    located = police[police["LSOA code"] != ""]
    harm = located["Crime type"].map(CCHI_DAYS).groupby(located["LSOA code"]).sum()
    score = imd.set_index("LSOA code (2011)")["Index of Multiple Deprivation (IMD) Score"]
    assert score.corr(harm.reindex(score.index).fillna(0), method="spearman") > 0.3


def test_partner_files_in_three_formats(town) -> None:
    root, manifest = town
    council = pd.read_csv(root / "partners" / "council_asb_reports.csv", dtype=str)
    assert council["Date reported"].str.fullmatch(r"\d{2}/\d{2}/20\d{2}").all()
    assert council["Easting"].astype(int).between(390_000, 405_000).all()
    assert council["Northing"].astype(int).between(335_000, 350_000).all()
    fire = pd.read_csv(root / "partners" / "fire_deliberate_fires.csv", dtype=str)
    assert fire["date"].str.fullmatch(r"20\d{2}-\d{2}-\d{2}").all()
    assert {"lat", "lng"} <= set(fire.columns)
    ae = pd.read_csv(root / "partners" / "ae_assault_attendances.csv", dtype=str)
    assert ae["month"].str.fullmatch(r"20\d{2}-\d{2}").all()
    codes = set(pd.read_csv(root / "postcodes" / "codepoint_open" / "zz.csv", header=None)[0])
    unmatched = int((~ae["postcode"].isin(codes)).sum())
    assert unmatched == manifest.unmatched_postcodes
    assert 0.005 < unmatched / len(ae) < 0.03
    assert [len(council), len(fire), len(ae)] == [
        manifest.counts[s] for s in ("council_asb", "fire", "health_ae")]


def test_assets_cover_sectors_with_a_youth_gap(town) -> None:
    root, manifest = town
    assets = pd.read_csv(root / "assets" / "community_assets.csv", dtype=str)
    required = {"name", "category", "sector", "services", "serves", "opening_times", "contact",
                "source", "last_verified", "lon", "lat", "postcode"}
    assert required <= set(assets.columns)
    assert 140 <= len(assets) <= 160 and assets["name"].is_unique
    assert assets["category"].nunique() >= 11
    assert {"statutory", "voluntary/community", "faith", "private", "third sector"} <= set(
        assets["sector"])
    gap = manifest.truth["youth_gap"]
    spot = next(h for h in manifest.hotspots if h["id"] == gap["hotspot"])
    hx, hy = TO_BNG.transform(spot["lon"], spot["lat"])
    x, y = TO_BNG.transform(assets["lon"].astype(float).to_numpy(),
                            assets["lat"].astype(float).to_numpy())
    dist = np.hypot(x - hx, y - hy)
    youth = (assets["category"] == "youth").to_numpy()
    assert youth.sum() > 5
    assert dist[youth].min() > gap["radius_m"] - 30  # jitter of a few metres
    assert (dist[~youth] < gap["radius_m"]).any()
