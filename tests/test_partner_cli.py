"""CLI: partner area counts stored with ``geosoc ingest --kind counts`` reach ``geosoc profile``
(disclosed for a partner user) and ``geosoc sites rank`` (one component per source)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from geosoc.cli import main
from geosoc.synth.demo import ensure_demo

SOURCES = ("health", "housing", "youth", "vulnerability")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def workspace(demo: Path, tmp_path_factory) -> Path:
    from geosoc.workspace import Workspace

    folder = tmp_path_factory.mktemp("partner_ws")
    ws_path = folder / "ws.sqlite"
    with Workspace.open(ws_path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.users.create_user("pat", "correct horse battery staple", "partner", by="ana")
    police = folder / "police"
    for month in ("2024-01", "2024-02", "2024-03"):
        shutil.copytree(demo / "police" / month, police / month)
    steps = [[str(police), "--kind", "policeuk", "--name", "police"],
             [str(demo / "boundaries" / "wards.geojson"), "--kind", "boundaries",
              "--area-kind", "ward", "--name", "wards"],
             [str(demo / "boundaries" / "lsoas.geojson"), "--kind", "boundaries",
              "--area-kind", "lsoa", "--name", "lsoas"]]
    steps += [[str(demo / "partners" / f"{s}_area_counts.csv"), "--kind", "counts",
               "--source", s, "--name", f"{s}_counts"] for s in SOURCES]
    for step in steps:
        assert main(["ingest", *step, "--workspace", str(ws_path), "--user", "ana"]) == 0
    return ws_path


def test_profile_writes_partner_tables_disclosed_for_a_partner(workspace, tmp_path):
    from geosoc.aggregate.count_layers import PartnerCounts
    from geosoc.disclosure.count_tables import disclosed_count_totals
    from geosoc.workspace import Workspace
    from geosoc.workspace.study import load_study

    outs = {}
    for user in ("ana", "pat"):
        out = outs[user] = tmp_path / user
        assert main(["profile", "--workspace", str(workspace), "--user", user, "--out",
                     str(out), "--format", "parquet", "--emerging", "none",
                     "--resolution", "8", "--json"]) == 0
        for source in SOURCES:
            assert (out / f"partner_{source}_areas.csv").is_file()
        assert (out / "vulnerability_signals.csv").is_file()
    with Workspace.open(workspace) as ws:
        data = load_study(ws, role="analyst")
    bundle = PartnerCounts.build(data.area_counts, {"lsoa": data.lsoas, "ward": data.wards})
    raw = pd.read_csv(outs["ana"] / "partner_totals.csv").set_index("source")
    shown = pd.read_csv(outs["pat"] / "partner_totals.csv").set_index("source")
    disclosed = disclosed_count_totals(bundle, "partner")
    assert raw["count"].to_dict() == data.area_counts.groupby("source")["count"].sum().to_dict()
    assert shown["count"].to_dict() == disclosed["count"].to_dict()
    assert shown["count"].to_dict() != raw["count"].to_dict()  # perturbed
    areas = pd.read_csv(outs["pat"] / "partner_vulnerability_areas.csv")["count"].dropna()
    assert ((areas == 0) | (areas >= 5)).all()
    assert pd.isna(shown.loc["vulnerability", "harm"])  # signals are never harm
    cells = pd.read_csv(outs["pat"] / "partner_housing_cells.csv")
    assert set(cells["method"]) == {"apportioned by area share"}
    assert cells["h3"].str.startswith("88").all()  # resolution 8 at most for partners


def test_sites_rank_takes_partner_treatment(demo, monkeypatch, capsys):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo))
    assert main(["sites", "rank", "--demo", "--demo-dir", str(demo), "--json",
                 "--partner-treatment", "youth=indicator", "--apportion", "population"]) == 0
    result = json.loads(capsys.readouterr().out)
    first = result["ranking"][0]
    assert "partner_count__youth" in first and "partner_harm__youth" not in first
    assert "partner_harm__housing" in first and "signals_per_km2" in first
    assert "signal__Cuckooing" in first
    assert main(["sites", "rank", "--demo", "--demo-dir", str(demo),
                 "--partner-treatment", "vulnerability=harm"]) == 2
    assert "never harm" in capsys.readouterr().err


def test_review_pack_from_a_workspace_carries_partner_counts(workspace, demo, tmp_path):
    from geosoc.synth.demo import load_demo
    from geosoc.workspace import Workspace

    path = tmp_path / "ws.sqlite"
    shutil.copy(workspace, path)
    shutil.copytree(workspace.with_name("ws.datasets"), tmp_path / "ws.datasets")
    town = load_demo(demo)
    with Workspace.open(path) as ws:
        ws.sites.add("Market Square", town.site.geometry, reason="demo", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Market Square", dict(town.site.phases.items()), user="ana",
                            role="analyst")
    out = tmp_path / "review.html"
    assert main(["review", "--workspace", str(path), "--site", "Market Square", "--as-of",
                 "2024-03", "--out", str(out), "--purpose", "test", "--role", "partner",
                 "--user", "ana"]) == 0
    page = out.read_text()
    assert "<h2>Partner area counts in the site</h2>" in page
    for source in SOURCES:
        assert f"<td>{source}</td>" in page
