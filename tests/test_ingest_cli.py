"""``geosoc ingest`` prints the report, or the error with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geosoc.cli import main


def test_ingest_points_prints_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "fire.csv"
    path.write_text("when,x,y\n2024-01-02,-0.1,51.5\n2024-01-03,,\n")
    code = main(["ingest", str(path), "--kind", "points", "--date", "when", "--lon", "x",
                 "--lat", "y", "--category-value", "Fire", "--source", "fire", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    assert out["report"]["rows_kept"] == 1
    assert out["report"]["dropped"] == {"no location": 1}


def test_ingest_error_gives_exit_2_and_json(tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "imd.csv"
    path.write_text("")
    assert main(["ingest", str(path), "--kind", "imd", "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["error"] == "InputFileError"
    assert out["problems"][0]["file"] == str(path)


def test_ingest_text_output(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "c.csv"
    path.write_text("area_code,month,category,count\nE05000001,2024-01,Noise,4\n")
    assert main(["ingest", str(path), "--kind", "counts", "--source", "council"]) == 0
    assert "1 rows read, 1 kept" in capsys.readouterr().out


def test_points_without_date_is_a_clear_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "p.csv"
    path.write_text("a\n1\n")
    assert main(["ingest", str(path), "--kind", "points", "--lon", "a", "--lat", "a"]) == 2
    assert "--date and --source" in capsys.readouterr().err


@pytest.mark.integration
def test_ingest_real_boundaries_and_policeuk(city_of_london: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    lsoas = city_of_london / "boundaries" / "lsoa_by_lad"
    assert main(["ingest", str(lsoas), "--kind", "boundaries", "--area-kind", "lsoa"]) == 0
    assert "844 rows read, 844 kept" in capsys.readouterr().out
    assert main(["ingest", str(city_of_london / "crime"), "--kind", "policeuk", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["report"]
    assert report["dropped"] == {"no location": 1589}


def test_ingest_into_workspace_text_output_and_replace(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    path, ws = tmp_path / "c.csv", tmp_path / "chb.sqlite"
    path.write_text("area_code,month,category,count\nE05000001,2024-01,Noise,4\n")
    args = ["ingest", str(path), "--kind", "counts", "--source", "council", "--workspace",
            str(ws), "--name", "noise", "--user", "ana"]
    assert main(args) == 0
    assert f"stored 1 rows as area_counts dataset 'noise' in {ws}" in capsys.readouterr().out
    assert main(args) == 2
    assert "--replace" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0
    assert len(list((tmp_path / "chb.datasets").iterdir())) == 1
