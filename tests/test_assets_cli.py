"""``geosoc assets import --format openreferral|charity|csv`` and ``geosoc assets coverage``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_asset_registers import CHARITY_HEADER, CHARITY_ROWS, SERVICES

from geosoc.cli import main
from geosoc.synth.demo import load_demo
from geosoc.workspace import Workspace


def _stored_postcodes(tmp_path: Path, ws: Path) -> None:
    path = tmp_path / "onspd.csv"
    path.write_text("pcds,lat,long\nEC1A 1BB,51.5201,-0.0977\nEC1A 9HP,51.515,-0.092\n"
                    "E1 6AN,51.519,-0.0729\n", encoding="utf-8")
    assert main(["ingest", str(path), "--kind", "postcodes", "--workspace", str(ws),
                 "--name", "postcodes", "--user", "ana"]) == 0


def test_charity_extract_is_located_by_the_stored_postcodes(tmp_path: Path, capsys) -> None:
    ws = tmp_path / "chb.sqlite"
    _stored_postcodes(tmp_path, ws)
    extract = tmp_path / "publicextract.charity.txt"
    extract.write_text("\n".join([CHARITY_HEADER, *CHARITY_ROWS]) + "\n", encoding="utf-8")
    capsys.readouterr()
    args = ["assets", "import", str(extract), "--format", "charity", "--workspace", str(ws),
            "--user", "ana", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["imported"], result["duplicates"]) == (2, 0)
    assert result["skipped"]["postcode outside the stored postcodes"] == 1
    assert main(args) == 0  # again: every charity is already there
    again = json.loads(capsys.readouterr().out)
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert {m["reason"] for m in again["matches"]} == {"same external id"}
    with Workspace.open(ws) as handle:
        assert sorted(handle.assets.frame()["external_id"]) == ["charity:1100001",
                                                                "charity:1100005"]


def test_openreferral_import_and_a_bad_mapped_csv_change_nothing(tmp_path: Path,
                                                                 capsys) -> None:
    ws = tmp_path / "chb.sqlite"
    services = tmp_path / "directory.json"
    services.write_text(json.dumps(SERVICES), encoding="utf-8")
    assert main(["assets", "import", str(services), "--format", "openreferral",
                 "--workspace", str(ws), "--user", "ana", "--postcodes",
                 str(_postcode_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "imported 2 assets" in out and "skipped 1: service without a location" in out
    bad = tmp_path / "partner.csv"
    bad.write_text("Group,Kind,lon,lat\nOK club,youth,-0.09,51.5\nBad,nonsense,-0.09,51.5\n"
                   ",youth,-0.09,51.5\n", encoding="utf-8")
    assert main(["assets", "import", str(bad), "--workspace", str(ws), "--user", "ana",
                 "--map", "Group=name", "--map", "Kind=category"]) == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "category" in err and "row 4" in err
    with Workspace.open(ws) as handle:
        assert len(handle.assets.frame()) == 2


def _postcode_file(tmp_path: Path) -> Path:
    path = tmp_path / "pc.csv"
    path.write_text("pcds,lat,long\nEC1A 1BB,51.5201,-0.0977\n", encoding="utf-8")
    return path


def test_coverage_of_a_stored_site(tmp_path: Path, capsys) -> None:
    demo = load_demo()
    ws = tmp_path / "chb.sqlite"
    with Workspace.open(ws) as handle:
        handle.sites.add("Market Square", demo.site.geometry, reason="test",
                         chosen_by="ana", chosen_on="2023-12-01", user="ana", role="analyst")
        handle.assets.import_frame(demo.assets, user="ana", role="analyst", source="demo")
    assert main(["assets", "coverage", "--site", "Market Square", "--workspace", str(ws),
                 "--user", "ana", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    zones = [g["zone"] for g in result["gaps"]]
    assert zones == ["site", "0-250 m ring", "250-500 m ring"]
    assert sum(g["assets"] for g in result["gaps"]) > 0
    assert main(["assets", "coverage", "--site", "Nowhere", "--workspace", str(ws)]) == 2
    assert "Market Square" in capsys.readouterr().err


@pytest.mark.parametrize("bands", ["0,x"])
def test_coverage_rejects_bad_bands(tmp_path: Path, bands: str, capsys) -> None:
    ws = tmp_path / "chb.sqlite"
    demo = load_demo()
    with Workspace.open(ws) as handle:
        handle.sites.add("S", demo.site.geometry, reason="t", chosen_by="ana",
                         chosen_on="2023-12-01", user="ana", role="analyst")
    assert main(["assets", "coverage", "--site", "S", "--workspace", str(ws),
                 "--bands", bands]) == 2
    assert "--bands" in capsys.readouterr().err
