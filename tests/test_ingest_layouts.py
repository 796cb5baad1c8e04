"""Point 3 of issue 15: every file layout a force has is readable, from the CLI too.

Tab-separated files (detected, or ``--delimiter``), police.uk column mappings for reduced
extracts, boundary ``--code-field``/``--name-field`` (errors name the flag), ``.xlsx``
workbooks as ONS publishes them, and coordinates that are swapped or in another CRS refused
with the columns or CRS named.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_force_data import (
    police_rows,
    write_fires_bng,
    write_imd,
    write_population_xlsx,
    write_reduced_extract,
    write_wards_gpkg,
)

from geosoc.cli import main
from geosoc.errors import ConfigError, CRSError, SchemaError
from geosoc.ingest import PointMapping, read_points, read_policeuk, read_population
from geosoc.ingest.sniff import parse_delimiter


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_tab_extract_with_lower_case_columns_through_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_reduced_extract(tmp_path / "asb.tsv", n=50)
    code, out = run_json(["ingest", str(path), "--kind", "policeuk", "--date", "date",
                          "--lon", "long", "--lat", "lat", "--category", "offence",
                          "--lsoa", "lsoa"], capsys)
    assert code == 0 and out["report"]["rows_kept"] == 50
    assert any("tab-separated" in n for n in out["report"]["notes"])
    data = read_policeuk(path, columns={"date": "date", "lon": "long", "lat": "lat",
                                        "category": "offence", "lsoa": "lsoa"},
                         delimiter="\t").data
    assert set(data["category"]) == {"Anti-social behaviour"}  # case restored
    assert (data["incident_id"] == "").all() and data["lsoa_code"].eq("E01900001").all()


def test_policeuk_mapping_flags_are_honoured_and_named_in_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = police_rows(30, seed=5).rename(columns={"Longitude": "x_deg", "Latitude": "y_deg"})
    path = tmp_path / "extract.csv"
    rows.to_csv(path, index=False)
    code, err = run_json(["ingest", str(path), "--kind", "policeuk"], capsys)
    assert code == 2
    text = json.dumps(err)
    assert "--lon" in text and "--lat" in text and "column mapping" not in text
    code, out = run_json(["ingest", str(path), "--kind", "policeuk", "--lon", "x_deg",
                          "--lat", "y_deg"], capsys)
    assert code == 0 and out["report"]["rows_kept"] == 30
    code, err = run_json(["ingest", str(path), "--kind", "policeuk", "--lon", "nope",
                          "--lat", "y_deg"], capsys)
    assert code == 2 and "--lon names column 'nope'" in json.dumps(err)


def test_semicolon_needs_delimiter_and_the_error_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "semi.csv"
    police_rows(20, seed=6).to_csv(path, sep=";", index=False)
    code, err = run_json(["ingest", str(path), "--kind", "policeuk"], capsys)
    assert code == 2 and "--delimiter" in json.dumps(err)
    code, out = run_json(["ingest", str(path), "--kind", "policeuk", "--delimiter", ";"],
                         capsys)
    assert code == 0 and out["report"]["rows_kept"] == 20
    assert parse_delimiter("tab") == "\t" and parse_delimiter(None) is None
    with pytest.raises(ConfigError, match="delimiter"):
        parse_delimiter("ab")


def test_boundary_fields_are_flags_and_errors_name_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wards_gpkg(tmp_path / "wards.gpkg")
    code, err = run_json(["ingest", str(path), "--kind", "boundaries"], capsys)
    text = json.dumps(err)
    assert code == 2 and "--code-field" in text and "ward_ref" in text
    code, out = run_json(["ingest", str(path), "--kind", "boundaries", "--code-field",
                          "ward_ref", "--name-field", "ward_label"], capsys)
    assert code == 0 and out["report"]["rows_kept"] == 4
    assert any("EPSG:27700" in n for n in out["report"]["notes"])


def test_flags_the_kind_does_not_read_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wards_gpkg(tmp_path / "wards.gpkg")
    code, err = run_json(["ingest", str(path), "--kind", "boundaries", "--lon", "x"], capsys)
    assert code == 2 and "--lon" in json.dumps(err)


def test_ons_population_workbook_and_imd_join(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    book = write_population_xlsx(tmp_path / "pop.xlsx")
    pop = read_population(book)
    assert pop.data["population"].tolist() == [1501, 1502, 1503]
    assert any("Mid-2022 LSOA 2021" in n and "row 4" in n for n in pop.report.notes)
    imd = write_imd(tmp_path / "imd.csv")
    code, out = run_json(["ingest", str(imd), "--kind", "imd", "--population", str(book)],
                         capsys)
    assert code == 0 and out["report"]["rows_kept"] == 3


def test_partner_points_from_a_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Fire incidents, fictional"])
    sheet.append(["ref", "lon", "lat", "date"])
    sheet.append(["a", -1.54, 53.80, "2025-04-02"])
    sheet.append(["b", -1.53, 53.79, "2025-05-02"])
    book.save(tmp_path / "fires.xlsx")
    result = read_points(tmp_path / "fires.xlsx",
                         PointMapping(date="date", id="ref", lon="lon", lat="lat",
                                      category_value="Deliberate fire"), source="fire")
    assert len(result.data) == 2 and result.data["lon"].iloc[0] == pytest.approx(-1.54)


@pytest.mark.parametrize(("transform", "expected"), [
    (lambda lon, lat, e, n: (lat, lon), ["longitude and latitude swapped", "--lon 'Latitude'"]),
    (lambda lon, lat, e, n: (e, n), ["British National Grid", "--easting 'Longitude'"]),
])
def test_most_points_outside_the_uk_name_the_mix_up(tmp_path: Path, transform, expected
                                                    ) -> None:
    rows = police_rows(40, seed=7)
    from pyproj import Transformer

    e, n = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        rows["Longitude"].to_numpy(), rows["Latitude"].to_numpy())
    lon, lat = transform(rows["Longitude"].to_numpy(), rows["Latitude"].to_numpy(),
                         np.round(e), np.round(n))
    rows["Longitude"], rows["Latitude"] = lon, lat
    path = tmp_path / "2025-04-x-street.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(CRSError) as info:
        read_policeuk(path)
    for fragment in expected:
        assert fragment in str(info.value)


def test_web_mercator_is_recognised(tmp_path: Path) -> None:
    from pyproj import Transformer

    rows = police_rows(20, seed=8)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(
        rows["Longitude"].to_numpy(), rows["Latitude"].to_numpy())
    frame = pd.DataFrame({"date": "2025-04-01", "lon": x, "lat": y})
    frame.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(SchemaError, match="Web Mercator"):
        read_points(tmp_path / "p.csv", PointMapping(date="date", lon="lon", lat="lat",
                                                     category_value="x"), source="x")


def test_swapped_eastings_northings_caught_against_the_study_area(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = PointMapping(date="date", id="ref", easting="x", northing="y",
                           category_value="Deliberate fire")
    swapped = write_fires_bng(tmp_path / "fires.csv", swap=True)
    # swapped, the points still land inside the UK box ...
    assert len(read_points(swapped, mapping, source="fire").data) == 30
    # ... but not in the study area: refused with the swap named
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    code, err = run_json(["ingest", str(swapped), "--kind", "points", "--easting", "x",
                          "--northing", "y", "--date", "date", "--id", "ref",
                          "--category-value", "Deliberate fire", "--source", "fire",
                          "--within", str(wards)], capsys)
    text = json.dumps(err)
    assert code == 2, text
    assert "easting and northing swapped" in text and "--easting 'y' --northing 'x'" in text
    good = write_fires_bng(tmp_path / "good.csv")
    bounds = (-1.56, 53.79, -1.51, 53.82)
    assert len(read_points(good, mapping, source="fire", bounds=bounds).data) == 30


def test_ingest_warns_on_heavy_drops_and_strict_stores_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from own_force_data import write_police_download

    police = write_police_download(tmp_path / "police", n=40, blanks=10)  # 25% no location
    assert main(["ingest", str(police), "--kind", "policeuk"]) == 0
    captured = capsys.readouterr()
    assert "WARNING" in captured.err and "no location" in captured.err
    assert "dropped 10: no location" in captured.out
    ws = tmp_path / "w.sqlite"
    assert main(["ingest", str(police), "--kind", "policeuk", "--strict", "--workspace",
                 str(ws), "--name", "police"]) == 2
    assert not ws.exists()
