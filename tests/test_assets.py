"""Asset records: validation, CSV/GeoJSON/OSM import, export safety, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.assets.files import (
    export_assets_csv,
    export_assets_geojson,
    neutralise_formulas,
    read_assets,
    validate_assets,
)
from geosoc.assets.osm import assets_from_osm
from geosoc.cli import main
from geosoc.errors import GeocodeError, InputFileError, SchemaError
from geosoc.workspace import Workspace

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`rm -rf`", "C:\\path\\x",
           "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR",
           "Zoë's Café \u202e"]


def _csv(tmp_path: Path, text: str, name: str = "assets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_csv_reads_with_synonyms_dates_and_new_ids(tmp_path: Path) -> None:
    path = _csv(tmp_path, "Name,Type,Sector,Longitude,Latitude,Last Verified\n"
                          "Hub,Youth Club,VCS,-0.09,51.515,2025-02-01\n"
                          "St Bride,Church,religious,-0.105,51.514,03/04/2024\n")
    assets = read_assets(path)
    assert assets["category"].tolist() == ["youth", "faith"]
    assert assets["sector"].tolist() == ["voluntary/community", "faith"]
    assert assets["last_verified"].tolist() == ["2025-02-01", "2024-04-03"]
    assert assets["status"].tolist() == ["active", "active"]
    assert assets["asset_id"].str.len().eq(36).all() and assets["asset_id"].is_unique
    assert assets.crs.to_string() == "EPSG:4326"
    assert assets.geometry.x.tolist() == [-0.09, -0.105]


def test_every_problem_is_reported_with_row_and_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "name,category,sector,lon,lat,last_verified,asset_id\n"
                          ",youth,,-0.1,51.5,,\n"                 # row 2: no name
                          "B,yuoth,,-0.1,51.5,,\n"                # row 3: typo
                          "C,sport,privat,2.35,48.85,,\n"         # row 4: Paris, bad sector
                          "D,library,,-0.1,51.5,31/02/2024,\n"    # row 5: impossible date
                          "E,library,,abc,51.5,,not an id!\n"     # row 6
                          "F,library,,-0.1,,,\n")                 # row 7: lat missing
    with pytest.raises(SchemaError) as err:
        read_assets(path)
    found = {(p.row, p.column) for p in err.value.problems}
    assert {(2, "name"), (3, "category"), (4, "lon"), (4, "sector"), (5, "last_verified"),
            (6, "lon"), (6, "asset_id"), (7, "lat")} <= found
    assert (7, "lon") not in found
    assert all(p.file == str(path) for p in err.value.problems)
    typo = next(p for p in err.value.problems if p.row == 3)
    assert "'youth'" in typo.fix
    sector = next(p for p in err.value.problems if p.column == "sector")
    assert "'private'" in sector.fix


def test_postcodes_are_geocoded_and_unmatched_ones_reported() -> None:
    postcodes = pd.DataFrame({"postcode": ["EC1A 1BB", "E1 6AN"], "lon": [-0.0977, -0.0729],
                              "lat": [51.5202, 51.5168]})
    raw = pd.DataFrame({"name": ["A", "B"], "category": ["food", "health"],
                        "postcode": ["ec1a1bb", "E1 6AN"]})
    assets = validate_assets(raw, postcodes=postcodes)
    assert assets["postcode"].tolist() == ["EC1A 1BB", "E1 6AN"]
    assert assets["lon"].tolist() == [-0.0977, -0.0729]
    bad = pd.DataFrame({"name": ["A", "B"], "category": ["food", "food"],
                        "postcode": ["ZZ9 9ZZ", "EC1A 1BB"]})
    with pytest.raises(GeocodeError) as err:
        validate_assets(bad, postcodes=postcodes, file="x.csv")
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "postcode")]
    with pytest.raises(GeocodeError, match="no postcode lookup"):
        validate_assets(raw)


def test_hostile_text_is_stored_verbatim(tmp_path: Path) -> None:
    raw = pd.DataFrame({"name": HOSTILE, "category": "other", "lon": "-0.1", "lat": "51.5",
                        "contact": HOSTILE})
    assets = validate_assets(raw)
    assert assets["contact"].tolist() == HOSTILE
    assert assets["name"].tolist() == [h.strip() for h in HOSTILE]
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        ws.assets.import_frame(assets, user="ana", role="analyst", source="hostile")
        stored = ws.assets.frame()
    assert sorted(stored["contact"]) == sorted(HOSTILE)


def test_csv_export_neutralises_formulas_but_not_numbers(tmp_path: Path) -> None:
    assets = validate_assets(pd.DataFrame({"name": HOSTILE, "category": "other",
                                           "lon": "-0.1", "lat": "51.5", "contact": HOSTILE}))
    out = export_assets_csv(assets, tmp_path / "out.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    risky = {"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR"}
    for original, written in zip(HOSTILE, back["contact"], strict=True):
        assert written == ("'" + original if original in risky else original)
    assert back["lon"].eq("-0.1").all()  # negative numbers are numbers, not formulas
    assert not back.drop(columns=["lon", "lat"]).map(
        lambda v: v[:1] in "=+-@\t\r" if v else False).any().any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_neutralised_text_never_starts_a_formula_and_loses_nothing(texts) -> None:
    out = neutralise_formulas(pd.DataFrame({"t": texts}))["t"].tolist()
    for original, safe in zip(texts, out, strict=True):
        assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert safe in (original, "'" + original)


def test_neutralise_formulas_returns_a_new_frame() -> None:
    frame = pd.DataFrame({"a": ["=1", "ok", None], "n": [-1, 2, 3]})
    out = neutralise_formulas(frame)
    assert out["a"].tolist()[:2] == ["'=1", "ok"] and out["a"].isna().iloc[2]
    assert out["n"].tolist() == [-1, 2, 3]
    assert frame["a"].iloc[0] == "=1"


def test_geojson_round_trip_keeps_text_verbatim(tmp_path: Path) -> None:
    assets = validate_assets(pd.DataFrame({"name": HOSTILE[:3], "category": "youth",
                                           "lon": ["-0.1", "-0.2", "-0.3"], "lat": "51.5"}))
    path = export_assets_geojson(assets, tmp_path / "a.geojson")
    assert json.loads(path.read_text())["features"][0]["properties"]["name"] == HOSTILE[0]
    back = read_assets(path)
    assert back["name"].tolist() == HOSTILE[:3]
    assert back["asset_id"].tolist() == assets["asset_id"].tolist()
    assert back["lon"].tolist() == pytest.approx([-0.1, -0.2, -0.3])


def test_geojson_in_british_national_grid_is_reprojected(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"name": ["Hall"], "category": ["community centre"]},
                             geometry=[shapely.Point(532_000, 181_000)], crs="EPSG:27700")
    path = tmp_path / "bng.geojson"
    frame.to_file(path, driver="GeoJSON")
    back = read_assets(path)
    expected = frame.to_crs("EPSG:4326").geometry.iloc[0]
    assert back["lon"].iloc[0] == pytest.approx(expected.x)
    assert back["lat"].iloc[0] == pytest.approx(expected.y)


def test_osm_tags_follow_the_documented_table() -> None:
    osm = pd.DataFrame({
        "amenity": ["community_centre", "place_of_worship", "library", None, None, None,
                    "bench", "social_facility", None],
        "leisure": [None, None, None, "sports_centre", "pitch", None, None, None, None],
        "shop": [None] * 5 + ["charity", None, None, "bakery"],
        "social_facility": [None] * 7 + ["outreach", None],
        "religion": [None, "christian", None, None, None, None, None, None, None],
        "operator:type": [None, None, None, "public", None, None, None, None, None],
        "name": ["Hall", "St Mary", "Lib", "Gym", None, "Oxfam", "Bench", "Outreach", "Bakery"],
        "lon": "-0.1", "lat": "51.5", "opening_hours": "Mo-Fr 09:00-17:00",
        "contact:phone": ["020 1", None, None, None, None, None, None, None, None],
        "website": ["https://hall.example", "https://st.example"] + [None] * 7,
    })
    raw = assets_from_osm(osm)
    got = list(zip(raw["category"], raw["sector"], strict=True))
    assert got == [("community centre", "voluntary/community"), ("faith", "faith"),
                   ("library", "statutory"), ("sport", "statutory"), ("sport", ""),
                   ("business", "third sector"), ("advice/debt", "voluntary/community"),
                   ("business", "private")]
    assert raw.attrs["osm_unmatched"] == 1  # the bench
    assert raw.loc[4, "name"] == "Unnamed sport"
    assert raw.loc[0, "services"] == "amenity=community_centre"
    assert raw["contact"].tolist()[:3] == ["020 1 https://hall.example", "https://st.example",
                                           ""]
    assert validate_assets(raw)["opening_times"].iloc[0] == "Mo-Fr 09:00-17:00"


def test_osm_problems_name_the_feature_in_the_file(tmp_path: Path) -> None:
    features = gpd.GeoDataFrame(
        {"amenity": ["bench", "library", "community_centre"], "name": ["x", "Lib", "Hall"]},
        geometry=[shapely.Point(-0.1, 51.5), shapely.Point(-0.1, 51.5),
                  shapely.Point(2.35, 48.85)], crs="EPSG:4326")
    path = tmp_path / "osm.geojson"
    features.to_file(path, driver="GeoJSON")
    with pytest.raises(SchemaError) as err:
        read_assets(path, format="osm")
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "lon")]  # 3rd feature


def test_ids_and_extra_categories_and_reexports() -> None:
    import geosoc.assets

    upper = "A1B2C3D4-0000-4000-8000-00000000000F"
    assets = geosoc.assets.validate_assets(pd.DataFrame(
        {"asset_id": [upper, "", "DEMO-A001", "osm:node/42"], "name": "x",
         "category": ["food", "recovery service", "family hub", "library"], "lon": "-1",
         "lat": "53"}))
    assert assets["asset_id"].iloc[0] == upper.lower()
    assert len(assets["asset_id"].iloc[1]) == 36
    assert assets["asset_id"].iloc[2:].tolist() == ["DEMO-A001", "osm:node/42"]  # kept as given
    assert assets["category"].tolist() == ["food", "substance misuse", "family support",
                                           "library"]
    with pytest.raises(AttributeError):
        geosoc.assets.no_such_name  # noqa: B018


def test_unknown_format_and_empty_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="format"):
        read_assets(_csv(tmp_path, "x", "assets.xlsx"))
    with pytest.raises(InputFileError, match="empty"):
        read_assets(_csv(tmp_path, ""))


def test_cli_import_list_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws.sqlite")
    good = _csv(tmp_path, "name,category,lon,lat,contact\nHub,youth,-0.09,51.51,=cmd|x\n"
                          "Pitch,sport,-0.08,51.52,\n")
    assert main(["assets", "import", str(good), "--workspace", ws, "--user", "ana"]) == 0
    assert "imported 2 assets" in capsys.readouterr().out
    bad = _csv(tmp_path, "name,category,lon,lat\nOk,youth,-0.1,51.5\n,youth,-0.1,51.5\n",
               "bad.csv")
    assert main(["assets", "import", str(bad), "--workspace", ws, "--json"]) == 2
    error = json.loads(capsys.readouterr().out)
    assert error["problems"][0]["row"] == 3 and error["problems"][0]["column"] == "name"
    assert main(["assets", "list", "--workspace", ws, "--category", "sports", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["Pitch"]
    out = tmp_path / "out.csv"
    assert main(["assets", "export", "--workspace", ws, "--out", str(out),
                 "--purpose", "partner board"]) == 0
    assert "'=cmd|x" in out.read_text()
    with Workspace.open(ws) as opened:
        log = opened.audit_log(role="analyst")
    assert log["action"].tolist() == ["asset.import", "export.assets.csv"]
    assert log["purpose"].iloc[1] == "partner board"
