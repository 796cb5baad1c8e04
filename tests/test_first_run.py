"""Issue 15, points 1, 2 and 5: a first run on a force's own data.

1. No silent demo: without data every command stops (exit 2) and names what to pass; given
   boundary files are used; demo outputs say so.
2. No silent loss: rows read, kept and dropped by reason are printed and written, every table
   of a run counts the same incidents (or says what it counts), more than 5% lost warns on
   stderr and ``--strict`` refuses.
5. Outputs say what they show: study-name titles, a site section, a real rank period, H3
   regions named by wards, one hotspot measure explained, raw values beside scores and a
   magnitude-preserving scaling, truthful harm units.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from own_force_data import (
    WARD_CODES,
    write_police_download,
    write_wards_gpkg,
    write_wd13_geojson,
)

from geosoc.cli import main
from geosoc.harm import harm_unit
from geosoc.sites.scoring import normalise

FIELDS = ["--code-field", "ward=ward_ref", "--name-field", "ward=ward_label"]


@pytest.mark.parametrize("args", [
    ["profile", "--out", "OUT"],
    ["profile", "--areas", "ward=WARDS", "--out", "OUT"],
    ["sites", "rank"],
    ["phases", "report", "--out", "OUT"],
    ["export", "profile", "--role", "analyst", "--out", "OUT/x.html"],
])
def test_no_data_is_an_error_naming_the_flags(args: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    wards = write_wd13_geojson(tmp_path / "w.geojson")
    args = [str(tmp_path / "out") if a == "OUT" else a.replace("OUT", str(tmp_path))
            .replace("WARDS", str(wards)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--demo" in err and "--workspace" in err
    assert not (tmp_path / "out").exists()


def test_given_boundaries_are_used_and_demo_is_marked(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    police = write_police_download(tmp_path / "police", n=200)
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    out = tmp_path / "p"
    assert main(["profile", str(police), "--areas", f"ward={wards}", *FIELDS, "--out",
                 str(out), "--json", "--emerging", "none"]) == 0
    areas = pd.read_csv(out / "areas_ward.csv", dtype={"area_code": str})
    assert sorted(areas["area_code"]) == sorted(WARD_CODES)
    summary = json.loads(capsys.readouterr().out)
    assert summary["protective_marking"] == "OFFICIAL-SENSITIVE" and not summary["demo"]
    demo = tmp_path / "demo"
    assert main(["profile", "--demo", "--out", str(demo), "--json", "--emerging", "none",
                 "--resolution", "8", "--unknown-harm", "1"]) == 0
    marked = json.loads((demo / "summary.json").read_text())
    assert marked["demo"] and marked["protective_marking"] == "DEMO — fictional data"
    assert marked["title"].startswith("DEMO — fictional data")


def test_drops_are_reported_everywhere_and_totals_agree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # wards cover only the western half of the incidents: about half fall outside
    police = write_police_download(tmp_path / "police", n=300, width=4000.0)
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    out = tmp_path / "p"
    code = main(["profile", str(police), "--areas", f"ward={wards}", *FIELDS, "--out",
                 str(out), "--emerging", "none"])
    captured = capsys.readouterr()
    assert code == 0
    assert "WARNING" in captured.err and "outside the boundary cover" in captured.err
    assert "rows read 300" in captured.out and "outside the boundary cover" in captured.out
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["rows"]
    reasons = {d["reason"]: d["rows"] for d in rows["dropped"]}
    assert rows["rows_read"] == 300 and reasons["no location"] == 5
    assert reasons["outside the boundary cover"] > 0.2 * 300
    assert rows["rows_kept"] == 300 - sum(reasons.values())
    monthly = pd.read_csv(out / "monthly.csv")
    cells = pd.read_csv(out / "cells.csv")
    assert monthly["count"].sum() == cells["count"].sum() == rows["rows_kept"]
    assert summary["table_totals"]["monthly"] == summary["table_totals"]["cells"]
    drops = pd.read_csv(out / "drops.csv")
    assert drops.iloc[-1]["rows"] == rows["rows_kept"]
    assert drops.iloc[0]["rows"] + drops.iloc[1:-1]["rows"].sum() == drops.iloc[-1]["rows"]
    assert main(["profile", str(police), "--areas", f"ward={wards}", *FIELDS, "--out",
                 str(tmp_path / "strict"), "--emerging", "none", "--strict"]) == 2
    assert "--strict" in capsys.readouterr().err


def test_a_chosen_period_is_reported_but_not_a_loss(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    police = write_police_download(tmp_path / "police", n=200, blanks=0)
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    assert main(["profile", str(police), "--areas", f"ward={wards}", *FIELDS, "--out",
                 str(tmp_path / "p"), "--emerging", "none", "--from", "2025-05",
                 "--strict"]) == 0
    captured = capsys.readouterr()
    assert "outside the month range" in captured.out and "WARNING" not in captured.err


def _workspace(tmp_path: Path, n: int = 400) -> Path:
    police = write_police_download(tmp_path / "police", n=n)
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    ws = tmp_path / "chb.sqlite"
    for args in (["workspace", "init", "--workspace", str(ws), "--name", "Northtown CHB"],
                 ["ingest", str(police), "--kind", "policeuk", "--workspace", str(ws),
                  "--name", "police"],
                 ["ingest", str(wards), "--kind", "boundaries", "--code-field", "ward_ref",
                  "--name-field", "ward_label", "--workspace", str(ws), "--name", "wards"]):
        assert main([*args, "--user", "ana"]) == 0
    return ws


def test_rank_prints_the_period_raw_values_and_scaling(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    ws = _workspace(tmp_path)
    capsys.readouterr()
    assert main(["sites", "rank", "--workspace", str(ws), "--min-incidents", "5",
                 "--scaling", "max", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "2025-04 to 2025-06" in out and "start to end" not in out
    assert "scaling: max" in out and "rows read 400" in out
    assert "cell hot spot score = mean Gi* z of the H3 cells inside" in out
    table = pd.read_csv(tmp_path / "r" / "site_ranking_ward.csv")
    top = table["police_harm"].max()
    assert table["police_harm__norm"].to_numpy() == pytest.approx(
        (table["police_harm"] / top).to_numpy())
    meta = json.loads((tmp_path / "r" / "site_ranking_ward.json").read_text())
    assert meta["scaling"] == "max" and meta["rows"]["rows_read"] == 400
    assert main(["sites", "rank", "--workspace", str(ws), "--scale", "h3", "--min-incidents",
                 "5", "--target-km2", "0.5", "--max-regions", "3", "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)["ranking"]
    assert all("H3 region" in r["name"]
               and any(w in r["name"] for w in ("Alder", "Birch", "Cedar", "Damson"))
               for r in ranked)
    assert all(r["covers"] for r in ranked)


def test_export_title_and_site_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    ws = _workspace(tmp_path)
    assert main(["sites", "rank", "--workspace", str(ws), "--min-incidents", "5",
                 "--save-site", "Alder", "--user", "ana"]) == 0
    page = tmp_path / "p.html"
    assert main(["export", "profile", "--workspace", str(ws), "--site", "Alder", "--role",
                 "analyst", "--purpose", "test", "--out", str(page), "--user", "ana"]) == 0
    text = page.read_text()
    assert "<h1>Northtown CHB: locality profile</h1>" in text
    assert "chb: locality profile" not in text
    assert "Site: Alder" in text and "would rank" in text and "trend:" in text


def test_units_are_truthful_and_max_scaling_keeps_magnitude() -> None:
    assert harm_unit(["Anti-social behaviour"]) .startswith("ASB weight units")
    assert harm_unit(["Burglary", "Robbery"]) == "days (CCHI)"
    assert "nominal" in harm_unit(["Burglary", "Anti-social behaviour"])
    assert harm_unit(["x"], ["council_asb"]).startswith("ASB weight units")
    assert harm_unit(["Burglary"], scheme="count") == "incidents"
    values = pd.Series([95_600.0, 56_800.0, 1_000.0])
    assert normalise(values, method="max").round(3).tolist() == [1.0, 0.594, 0.01]
    assert normalise(values, method="rank").tolist() == pytest.approx([5 / 6, 0.5, 1 / 6])


def test_profile_summary_explains_the_hotspot_measures(tmp_path: Path) -> None:
    police = write_police_download(tmp_path / "police", n=120)
    wards = write_wards_gpkg(tmp_path / "wards.gpkg")
    assert main(["profile", str(police), "--areas", f"ward={wards}", *FIELDS, "--out",
                 str(tmp_path / "p"), "--emerging", "none", "--json"]) == 0
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert "not the 'hotspot' component" in summary["measures"]["gi_z"]
