"""Bad-input corpus: every broken file gives the right error type and a helpful message.

Each case builds (or picks from ``tests/bad_inputs/``) one broken input, runs the reader
and checks the error class and that the message names the file and, where it applies,
the row and column, and says how to fix it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geosoc.errors import CRSError, GeocodeError, GeosocError, InputFileError, SchemaError
from geosoc.ingest import (
    PointMapping,
    read_area_counts,
    read_boundaries,
    read_imd,
    read_points,
    read_policeuk,
    read_postcodes,
)

CORPUS = Path(__file__).parent / "bad_inputs"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")
LONLAT = PointMapping(date="date", category="type", id="ref", lon="lon", lat="lat")


def police_row(crime_id: str = "id1", month: str = "2024-01", lon: str = "-0.1062",
               lat: str = "51.5182", crime_type: str = "Burglary") -> str:
    return (f"{crime_id},{month},City of London Police,City of London Police,{lon},{lat},"
            f"On or near B500,E01000916,Camden 027B,{crime_type},Under investigation,")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def police(tmp: Path, rows: list[str], name: str = "2024-01-city-of-london-street.csv") -> Path:
    return write(tmp / name, [HEADER, *rows])


def partner(tmp: Path, rows: list[str], cols: str = "ref,date,type,lon,lat") -> Path:
    return write(tmp / "partner.csv", [cols, *rows])


def postcode_table(tmp: Path) -> pd.DataFrame:
    path = write(tmp / "ec.csv", [
        '"EC1A1AA",10,531131,182382,"E92000001","E19000003","E18000007","","E09000019",'
        '"E05000370"'])
    return read_postcodes(path).data


def zipped(tmp: Path, members: dict[str, bytes], name: str = "data.zip") -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def mixed_crs_folder(tmp: Path) -> Path:
    folder = tmp / "wards"
    folder.mkdir()
    a = gpd.GeoDataFrame({"WD22CD": ["E05000001"], "WD22NM": ["A"]},
                         geometry=[box(-0.1, 51.5, -0.09, 51.51)], crs="EPSG:4326")
    a.to_file(folder / "a.geojson", driver="GeoJSON")
    b = a.assign(WD22CD=["E05000002"]).to_crs("EPSG:27700")
    b.to_file(folder / "b.gpkg", driver="GPKG")
    return folder


def shapefile_without_prj(tmp: Path) -> Path:
    frame = gpd.GeoDataFrame({"GSS_CODE": ["E05000001"], "NAME": ["A"]},
                             geometry=[box(530000, 180000, 531000, 181000)], crs="EPSG:27700")
    frame.to_file(tmp / "wards.shp")
    (tmp / "wards.prj").unlink()
    return tmp / "wards.shp"


def counts(tmp: Path, rows: list[str]) -> Path:
    return write(tmp / "counts.csv", ["area_code,month,category,count", *rows])


Case = tuple[Callable[[Path], object], type[GeosocError], list[str]]

CASES: dict[str, Case] = {
    "empty file": (
        lambda t: read_policeuk(write(t / "empty.csv", [""]).write_bytes(b"") or t / "empty.csv"),
        InputFileError, ["empty.csv", "empty", "Fix:"]),
    "header only": (
        lambda t: read_policeuk(police(t, [])), InputFileError,
        ["2024-01-city-of-london-street.csv", "no data rows"]),
    "wrong delimiter (semicolon)": (
        lambda t: read_policeuk(CORPUS / "semicolon.csv"), InputFileError,
        ["semicolon.csv", "row 1", "semicolon", "comma"]),
    "pipe-delimited IMD file": (
        lambda t: read_imd(write(t / "imd.txt", ["lsoa_code|imd_score|imd_rank|imd_decile",
                                                 "E01000001|6.2|29199|9"])),
        InputFileError, ["imd.txt", "row 1", "pipe", "--delimiter"]),
    "UTF-16 encoding": (
        lambda t: read_policeuk(_utf16(t)), InputFileError, ["utf16.csv", "UTF-16", "UTF-8"]),
    "UTF-16 without byte-order mark": (
        lambda t: read_policeuk(_utf16(t, "utf-16-be")), InputFileError, ["utf16.csv", "UTF-16"]),
    "missing required column": (
        lambda t: read_policeuk(write(t / "x.csv", [HEADER.replace(",Crime type", ""),
                                                      "a,2024-01,p,p,-0.1,51.5,l,c,n,o,"])),
        SchemaError, ["x.csv", "row 1", "column 'Crime type'", "missing"]),
    "non-numeric coordinates": (
        lambda t: read_policeuk(police(t, [police_row(), police_row("id2", lon="west")])),
        SchemaError, ["row 3", "column 'Longitude'", "'west' is not a number"]),
    "lat/lon swapped (partner)": (
        lambda t: read_points(partner(t, ["a,2024-01-02,Fire,51.51,-0.1",
                                          "b,2024-01-03,Fire,51.52,-0.11"]), LONLAT,
                              source="fire"),
        SchemaError, ["partner.csv", "swapped", "lon='lat', lat='lon'"]),
    "BNG in lat/lon columns": (
        lambda t: read_points(partner(t, ["a,2024-01-02,Fire,531131,182382"]), LONLAT,
                              source="fire"),
        SchemaError, ["partner.csv", "British National Grid", "easting='lon'"]),
    "points outside the UK (partner)": (
        lambda t: read_points(partner(t, ["a,2024-01-02,Fire,-0.1,51.5",
                                          "b,2024-01-02,Fire,2.35,48.85"]), LONLAT,
                              source="fire"),
        SchemaError, ["partner.csv", "row 3", "outside the UK"]),
    "bad month strings": (
        lambda t: read_policeuk(CORPUS / "bad_months.csv"), SchemaError,
        ["bad_months.csv", "row 3", "row 4", "column 'Month'", "Jan 2024", "2024-13"]),
    "future months": (
        lambda t: read_policeuk(police(t, [police_row(month="2999-01")])), SchemaError,
        ["row 2", "column 'Month'", "future"]),
    "the same month file twice (identical copies)": (
        lambda t: read_policeuk(_duplicated_month(t)), InputFileError,
        ["copy", "byte-for-byte identical", "2024-01", "remove one copy"]),
    "the same month twice (a Crime ID listed for one month in two files)": (
        lambda t: read_policeuk(_duplicated_month(t, edited=True)), SchemaError,
        ["row 2", "column 'Crime ID'", "same month in another file", "read twice"]),
    "zip with path traversal": (
        lambda t: read_policeuk(zipped(t, {"../evil.csv": b"x\n"})), InputFileError,
        ["data.zip", "../evil.csv", "path traversal"]),
    "zip bomb": (
        lambda t: read_policeuk(zipped(t, {"big.csv": b"0" * 20_000_000})), InputFileError,
        ["data.zip", "big.csv", "zip bomb"]),
    "zip of many mid-size one-line members (was an unhandled _csv.Error)": (
        lambda t: read_policeuk(zipped(t, {f"m{i}.csv": b"%d" % i * 300_000
                                           for i in range(12)})), InputFileError,
        ["data.zip!m0.csv", "row 1", "300,000 bytes long", "header of column names"]),
    "a 200 KB first line in a postcode folder": (
        lambda t: read_postcodes(write(t / "pc.csv", ["x" * 200_000])),
        InputFileError, ["pc.csv", "row 1", "200,000 bytes long"]),
    "VRT disguised as GeoJSON": (
        lambda t: read_boundaries(CORPUS / "disguised_vrt.geojson", kind="ward"),
        InputFileError, ["disguised_vrt.geojson", "VRT", "not opened"]),
    "KML disguised as GeoJSON": (
        lambda t: read_boundaries(CORPUS / "kml_as.geojson", kind="ward"), InputFileError,
        ["kml_as.geojson", "KML"]),
    "disallowed driver by extension": (
        lambda t: read_boundaries(write(t / "wards.gml", ["<gml/>"]), kind="ward"),
        InputFileError, ["wards.gml", "not accepted", "GeoJSON"]),
    "unrepairable (zero-area) polygon": (
        lambda t: read_boundaries(CORPUS / "zero_area_polygon.geojson", kind="ward"),
        SchemaError, ["zero_area_polygon.geojson", "row 1", "E05000001", "no area left"]),
    "mixed CRS in a boundary folder": (
        lambda t: read_boundaries(mixed_crs_folder(t), kind="ward"), CRSError,
        ["a.geojson", "b.gpkg", "EPSG:27700", "EPSG:4326"]),
    "shapefile without .prj": (
        lambda t: read_boundaries(shapefile_without_prj(t), kind="ward"), CRSError,
        ["wards.shp", ".prj"]),
    "unknown crime types": (
        lambda t: read_policeuk(CORPUS / "unknown_crime_types.csv"), SchemaError,
        ["unknown_crime_types.csv", "row 3", "'Knife crime'", "'Bike theft'",
         "column 'Crime type'", "14 police.uk crime types", "Shoplifting"]),
    "unmatched postcodes": (
        lambda t: read_points(
            write(t / "ae.csv", ["date,pc", "2024-01-02,ZZ9 9ZZ", "2024-01-03,XX1 1XX"]),
            PointMapping(date="date", category_value="A&E", postcode="pc"),
            source="health_ae", postcodes=postcode_table(t)),
        GeocodeError, ["ae.csv", "row 2", "row 3", "ZZ9 9ZZ", "column 'pc'"]),
    "8 MB single-line file": (
        lambda t: read_policeuk(_one_line(t)), InputFileError, ["one_line.csv", "line break"]),
    "binary file renamed .csv": (
        lambda t: read_policeuk(_binary(t)), InputFileError, ["binary.csv", "binary"]),
    "Excel workbook renamed .csv": (
        lambda t: read_policeuk(zipped(t, {"xl/workbook.xml": b"<x/>"}, "book.csv")),
        InputFileError, ["book.csv", "Excel"]),
    "ragged row": (
        lambda t: read_policeuk(police(t, [police_row(), police_row("id2") + ",extra,more"])),
        InputFileError, ["malformed", "row 3", "Expected 12 fields"]),
    "negative counts": (
        lambda t: read_area_counts(counts(t, ["E01000001,2024-01,Burglary,3",
                                               "E01000001,2024-02,Burglary,-2"])),
        SchemaError, ["counts.csv", "row 3", "column 'count'", "negative"]),
    "fractional counts": (
        lambda t: read_area_counts(counts(t, ["E01000001,2024-01,Burglary,2.5"])),
        SchemaError, ["counts.csv", "row 2", "whole number"]),
    "bad partner dates": (
        lambda t: read_points(partner(t, ["a,2024-01-02,Fire,-0.1,51.5",
                                          "b,32/13/2024,Fire,-0.1,51.5"]), LONLAT,
                              source="fire"),
        SchemaError, ["partner.csv", "row 3", "column 'date'", "32/13/2024"]),
    "degrees in easting/northing columns": (
        lambda t: read_points(partner(t, ["a,2024-01-02,ASB,-0.1,51.5"],
                                      cols="ref,date,type,e,n"),
                              PointMapping(date="date", category="type", easting="e",
                                           northing="n"), source="council_asb"),
        SchemaError, ["partner.csv", "look like longitude/latitude degrees", "--lon 'e'",
                      "lon='e'"]),
}


def _utf16(tmp: Path, encoding: str = "utf-16") -> Path:
    path = tmp / "utf16.csv"
    path.write_text(HEADER + "\n" + police_row() + "\n", encoding=encoding)
    return path


def _duplicated_month(tmp: Path, edited: bool = False) -> Path:
    for folder in ("2024-01", "copy"):
        (tmp / folder).mkdir()
        extra = [police_row("other")] if edited and folder == "copy" else []
        police(tmp / folder, [police_row("dup1"), police_row("", crime_type="Anti-social "
                                                             "behaviour"), *extra])
    return tmp


def _one_line(tmp: Path) -> Path:
    path = tmp / "one_line.csv"
    path.write_bytes(b"a," * 4_200_000)
    return path


def _binary(tmp: Path) -> Path:
    path = tmp / "binary.csv"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def test_corpus_has_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_clear_error(case: str, tmp_path: Path) -> None:
    run, error, expected = CASES[case]
    with pytest.raises(error) as info:
        run(tmp_path)
    text = str(info.value)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in error:\n{text}"
    assert info.value.problems, "every error carries Problem records"
    assert all(p.fix for p in info.value.problems), "every problem says how to fix it"
    assert all(p.file for p in info.value.problems), "every problem names the file"


def test_self_intersecting_polygon_is_repaired_and_reported() -> None:
    result = read_boundaries(CORPUS / "self_intersecting.geojson", kind="ward")
    areas = result.data
    assert areas.is_valid.all()
    assert list(areas.index) == ["E05000001", "E05000002"]
    assert any("repaired 1 invalid" in n and "E05000001" in n for n in result.report.notes)
    # The bow-tie's two triangles keep their area: 2 x 1/4 of the 0.01 x 0.01 degree square.
    assert areas.loc["E05000001"].geometry.area == pytest.approx(0.5e-4, rel=1e-9)


def test_error_lists_are_capped(tmp_path: Path) -> None:
    rows = [police_row(f"id{i}", lon="x") for i in range(200)]
    with pytest.raises(SchemaError) as info:
        read_policeuk(police(tmp_path, rows))
    problems = info.value.problems
    assert len(problems) < 60
    assert any("more rows with the same problem" in p.message for p in problems)


def test_utf16_detection_does_not_flag_plain_ascii(tmp_path: Path) -> None:
    data = io.StringIO(HEADER + "\n" + police_row() + "\n").getvalue()
    (tmp_path / "ok.csv").write_text(data, encoding="utf-8")
    assert len(read_policeuk(tmp_path / "ok.csv").data) == 1
