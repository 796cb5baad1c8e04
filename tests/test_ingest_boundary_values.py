"""Boundary checks that look at the values: swapped fields, names as codes, area kind
against the codes, one code on different areas, plain ``ward_code``/``ward_name`` fields."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from own_force_data import WARD_CODES, WARD_NAMES, ward_squares, write_ward_gpkg_plain

from geosoc.cli import main
from geosoc.errors import SchemaError
from geosoc.ingest import read_boundaries


def _write(tmp_path: Path, frame: gpd.GeoDataFrame, name: str = "w.gpkg") -> Path:
    path = tmp_path / name
    frame.to_file(path, driver="GPKG" if name.endswith(".gpkg") else "GeoJSON")
    return path


def test_ward_code_and_ward_name_are_detected(tmp_path: Path) -> None:
    result = read_boundaries(write_ward_gpkg_plain(tmp_path / "w.gpkg"), kind="ward")
    assert result.data.index.tolist() == list(WARD_CODES)
    assert result.data["name"].tolist() == list(WARD_NAMES)
    assert any("code field 'ward_code', name field 'ward_name'" in n
               for n in result.report.notes)


@pytest.mark.parametrize(("code", "name"), [("WD22CD", "WD22NM"), ("LSOA21CD", "LSOA21NM"),
                                            ("lsoa11cd", "lsoa11nm")])
def test_ons_fields_are_detected(tmp_path: Path, code: str, name: str) -> None:
    kind = "ward" if code.startswith("WD") else "lsoa"
    frame = ward_squares().rename(columns={"code": code, "name": name})
    if kind == "lsoa":
        frame[code] = [f"E0100000{i}" for i in range(1, 5)]
    areas = read_boundaries(_write(tmp_path, frame, "a.geojson"), kind=kind).data
    assert len(areas) == 4 and areas.index[0].startswith("E05" if kind == "ward" else "E01")


def test_swapped_code_and_name_fields_are_refused_with_the_fix(tmp_path: Path) -> None:
    # the fields' labels are swapped: 'code' holds the names, 'name' the GSS codes
    frame = ward_squares().rename(columns={"code": "ward_name", "name": "ward_code"})
    path = _write(tmp_path, frame)
    with pytest.raises(SchemaError, match="look swapped") as err:
        read_boundaries(path, kind="ward")
    fix = err.value.problems[0].fix
    assert "--code-field ward_name --name-field ward_code" in fix
    areas = read_boundaries(path, kind="ward", code_field="ward_name",
                            name_field="ward_code").data  # following the fix works
    assert areas.index.tolist() == list(WARD_CODES)


def test_names_as_codes_never_dissolve_wards_sharing_a_name(tmp_path: Path) -> None:
    frame = ward_squares()
    frame["label"] = ["Park", "Park", "Park", "Central"]  # three different wards named Park
    path = _write(tmp_path, frame[["label", "code", "geometry"]].rename(
        columns={"code": "gss"}))
    with pytest.raises(SchemaError, match="look like names") as err:
        read_boundaries(path, kind="ward", code_field="label", name_field="label")
    assert "--code-field gss" in err.value.problems[0].fix


def test_one_code_on_differently_named_areas_is_an_error(tmp_path: Path) -> None:
    frame = ward_squares()
    frame.loc[1, "code"] = WARD_CODES[0]  # Birch given Alder's code
    with pytest.raises(SchemaError, match="name different areas") as err:
        read_boundaries(_write(tmp_path, frame), kind="ward", code_field="code",
                        name_field="name")
    assert {p.row for p in err.value.problems} == {1, 2}
    frame.loc[1, "name"] = "ALDER "  # two parts of one ward: dissolved, noted
    result = read_boundaries(_write(tmp_path, frame, "b.gpkg"), kind="ward",
                             code_field="code", name_field="name")
    assert len(result.data) == 3
    assert any("dissolved" in n for n in result.report.notes)


def test_a_ward_file_stored_as_lsoas_is_refused_with_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_ward_gpkg_plain(tmp_path / "w.gpkg")
    assert main(["ingest", str(path), "--kind", "boundaries", "--area-kind", "lsoa"]) == 2
    err = capsys.readouterr().err
    assert "ward codes, not lsoa codes" in err and "--area-kind ward" in err
    frame = ward_squares()
    frame["code"] = [f"E0200000{i}" for i in range(1, 5)]  # MSOAs
    with pytest.raises(SchemaError, match="MSOA codes") as info:
        read_boundaries(_write(tmp_path, frame, "m.gpkg"), kind="lsoa", code_field="code",
                        name_field="name")
    assert "--area-kind custom" in info.value.problems[0].fix


def test_own_codes_are_kept_with_a_note(tmp_path: Path) -> None:
    frame = ward_squares()
    frame["code"] = ["B1", "B2", "B3", "B4"]  # a force's own beat codes
    result = read_boundaries(_write(tmp_path, frame), kind="ward", code_field="code",
                             name_field="name")
    assert result.data.index.tolist() == ["B1", "B2", "B3", "B4"]
    assert any("not GSS codes" in n for n in result.report.notes)


def test_a_mixture_of_kinds_is_noted(tmp_path: Path) -> None:
    frame = ward_squares()
    frame.loc[3, "code"] = "E01000009"  # one LSOA among three wards
    result = read_boundaries(_write(tmp_path, frame), kind="ward", code_field="code",
                             name_field="name")
    assert any("besides 3 ward codes the file holds 1 lsoa codes" in n
               for n in result.report.notes)
