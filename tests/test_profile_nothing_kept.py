"""A profile that keeps no incident is an error (exit 2, with why), never a profile of 0."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from own_force_data import police_rows, ward_grid, write_ward_gpkg_plain

from geosoc.cli import main


def _no_location(path: Path) -> Path:
    rows = police_rows(50, seed=3)
    rows["Longitude"], rows["Latitude"] = "", ""
    rows.to_csv(path, index=False)
    return path


def test_every_row_without_location_is_an_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = _no_location(tmp_path / "m-street.csv")
    assert main(["profile", str(path), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "no incidents kept of 50 rows read: nothing to profile" in err
    assert "50 no location" in err and "--lon/--lat" in err
    assert not (tmp_path / "p").exists()


def test_months_outside_the_data_are_an_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m-street.csv"
    police_rows(50, seed=3).to_csv(path, index=False)
    assert main(["profile", str(path), "--from", "2020-01", "--to", "2020-02",
                 "--out", str(tmp_path / "p")]) == 2
    assert "no incidents left" in capsys.readouterr().err


def test_the_cli_says_which_areas_were_left_out(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m-street.csv"
    police_rows(300, seed=3).to_csv(path, index=False)
    wards = write_ward_gpkg_plain(tmp_path / "force.gpkg")
    far = ward_grid(3, 1000.0, east_m=40_000.0, prefix="E058").reset_index()
    force = gpd.read_file(wards).to_crs("EPSG:4326").rename(
        columns={"ward_code": "area_code", "ward_name": "name"})
    both = pd.concat([force, far[["area_code", "name", "geometry"]]])
    both.to_file(tmp_path / "wide.gpkg", driver="GPKG")
    assert main(["profile", str(path), "--areas", f"ward={tmp_path / 'wide.gpkg'}", "--out",
                 str(tmp_path / "p"), "--emerging", "none"]) == 0
    out = capsys.readouterr().out
    assert "ward: 4 areas" in out
    assert "note: 9 of 13 ward areas left out of the study area" in out
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["parameters"]["study_area"].startswith("9 of 13 ward areas left out")
