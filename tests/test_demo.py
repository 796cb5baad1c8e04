"""Tests of geosoc.synth.demo (ensure/load the demo town through the ingest readers) and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geosoc.cli import main
from geosoc.ingest import read_policeuk
from geosoc.schema import POLICEUK_CRIME_TYPES, validate_areas, validate_incidents
from geosoc.synth import DEFAULT_SEED, MANIFEST_NAME, DemoManifest
from geosoc.synth.demo import DemoTown, ensure_demo, load_demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="module")
def town(demo_dir: Path) -> DemoTown:
    return load_demo(demo_dir)


def test_incidents_follow_the_contract(town: DemoTown) -> None:
    incidents = validate_incidents(town.incidents)
    assert isinstance(incidents.index, pd.RangeIndex)
    counts = incidents["source"].value_counts()
    manifest = town.manifest.counts
    assert counts["police"] == manifest["police"] - manifest["police_no_location"]
    assert counts["council_asb"] == manifest["council_asb"]
    assert counts["fire"] == manifest["fire"]
    assert counts["health_ae"] == manifest["health_ae"] - town.manifest.unmatched_postcodes
    assert town.reports["health_ae"].dropped == {
        "unmatched postcode": town.manifest.unmatched_postcodes}
    months = incidents["month"]
    assert (str(months.min()), str(months.max())) == town.manifest.months
    assert set(incidents.loc[incidents["source"] == "police", "category"]) == set(
        POLICEUK_CRIME_TYPES)


def test_police_files_parse_back_with_read_policeuk(demo_dir: Path) -> None:
    police = read_policeuk(demo_dir / "police" / "2024-02")
    assert len(police.data) == police.report.rows_kept > 800
    assert police.report.dropped.get("no location", 0) > 0
    assert (police.data["month"].astype(str) == "2024-02").all()


def test_areas_follow_the_contract(town: DemoTown) -> None:
    for frame, kind, n in ((town.wards, "ward", 20), (town.lsoas, "lsoa", 120)):
        validate_areas(frame)
        assert len(frame) == n and (frame["kind"] == kind).all()
        assert frame.is_valid.all()
    validate_areas(town.postcode_sectors)
    assert len(town.postcode_sectors) >= 20
    assert town.postcode_sectors.index.str.fullmatch(r"ZZ[1-6] [1-4]").all()


def test_postcodes_imd_and_assets(town: DemoTown) -> None:
    assert len(town.postcodes) == town.manifest.counts["postcodes"]
    assert town.postcodes["postcode"].str.startswith("ZZ").all()
    assert town.imd.index.name == "lsoa_code" and len(town.imd) == 120
    assert {"imd_score", "imd_rank", "imd_decile", "population"} <= set(town.imd.columns)
    assert set(town.imd.index) == set(town.lsoas.index)
    assert len(town.assets) == town.manifest.counts["assets"]
    assert town.assets.crs.to_epsg() == 4326


def test_site_is_the_manifest_ward_with_phases(town: DemoTown) -> None:
    site = town.site
    ward = town.wards.loc[site.ward_code].geometry
    assert site.geometry.symmetric_difference(ward).area < 1e-9
    assert site.phases["clear"] == (pd.Period("2024-01", "M"), pd.Period("2024-03", "M"))
    assert set(site.phases) == {
        "baseline", "clear", "hold", "build"}
    assert "fictional" in town.manifest.name


def test_ensure_demo_regenerates_only_when_stale(tmp_path: Path) -> None:
    target = ensure_demo(tmp_path / "demo")
    manifest_path = target / MANIFEST_NAME
    first = manifest_path.stat().st_mtime_ns
    (target / "demo-workspace.sqlite").write_text("user data")
    assert ensure_demo(target) == target
    assert manifest_path.stat().st_mtime_ns == first  # up to date: not regenerated

    stale = json.loads(manifest_path.read_text())
    stale["generator_version"] = "0.0.0"
    manifest_path.write_text(json.dumps(stale))
    ensure_demo(target)
    assert DemoManifest.read(target).generator_version != "0.0.0"
    assert (target / "demo-workspace.sqlite").read_text() == "user data"

    ensure_demo(target, seed=DEFAULT_SEED + 3)
    assert DemoManifest.read(target).seed == DEFAULT_SEED + 3


def test_cli_demo_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli-demo"
    assert main(["demo", "--out", str(out), "--seed", "7"]) == 0
    text = capsys.readouterr().out
    assert "fictional" in text and "police incidents" in text and str(out) in text
    assert DemoManifest.read(out).seed == 7
    assert main(["demo", "--out", str(out), "--seed", "7", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == len(DemoManifest.read(out).files)
    assert summary["counts"]["police"] > 30_000
