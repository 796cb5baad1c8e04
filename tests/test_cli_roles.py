"""The CLI role matrix: every command that touches a workspace, as each role and a stranger.

One workspace holds three months of the demo town's police data and its wards, an analyst
(ana), a partner (pat) and a public user (pub). ``zed`` is not registered: once a workspace
has users, a stranger is refused by every command (issue 15, point 4).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geosoc.cli import main
from geosoc.synth.demo import DEFAULT_DEMO_DIR, ensure_demo
from geosoc.workspace import Workspace

ROLES = {"ana": "analyst", "pat": "partner", "pub": "public"}
STRANGER = "zed"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with stored police data and wards, and one user per role."""
    demo = Path(ensure_demo(DEFAULT_DEMO_DIR)) if callable(ensure_demo) else DEFAULT_DEMO_DIR
    folder = tmp_path_factory.mktemp("roles")
    ws_path = folder / "ws.sqlite"
    with Workspace.open(ws_path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.users.create_user("pat", "correct horse battery staple", "partner", by="ana")
        ws.users.create_user("pub", "correct horse battery staple", "public", by="ana")
    police = folder / "police"
    for month in ("2024-01", "2024-02", "2024-03"):
        shutil.copytree(demo / "police" / month, police / month)
    assert main(["ingest", str(police), "--kind", "policeuk", "--workspace", str(ws_path),
                 "--name", "police", "--user", "ana"]) == 0
    assert main(["ingest", str(demo / "boundaries" / "wards.geojson"), "--kind",
                 "boundaries", "--area-kind", "ward", "--workspace", str(ws_path),
                 "--name", "wards", "--user", "ana"]) == 0
    return ws_path


@pytest.fixture
def ws_path(seeded: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded workspace (its datasets folder too) for one test."""
    target = tmp_path / "ws.sqlite"
    shutil.copy(seeded, target)
    shutil.copytree(seeded.with_name("ws.datasets"), tmp_path / "ws.datasets")
    # a copy that lives on separately gets its own identity and checkpoint
    assert main(["audit", "reanchor", "--workspace", str(target), "--user", "ana",
                 "--purpose", "test copy", "--new-identity"]) == 0
    return target


def _audit(ws_path: Path) -> pd.DataFrame:
    with Workspace.open(ws_path) as ws:
        return ws.audit_log(role="analyst")


# --- geosoc profile ------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["ana", "pat", "pub"])
def test_profile_writes_what_the_role_may_see_and_audits_it(ws_path: Path, tmp_path: Path,
                                                            user: str) -> None:
    out = tmp_path / "out"
    assert main(["profile", "--workspace", str(ws_path), "--user", user, "--out", str(out),
                 "--format", "parquet", "--emerging", "none", "--json"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    role = ROLES[user]
    assert summary["protective_marking"] == ("OFFICIAL" if role == "public"
                                             else "OFFICIAL-SENSITIVE")
    cells = gpd.read_parquet(out / "cells.parquet")
    counts = cells["count"].dropna()
    resolution = {"analyst": 9, "partner": 8, "public": 7}[role]
    assert cells.attrs.get("h3_resolution", resolution) == resolution or \
        len(cells.index[0]) == 15
    if role == "analyst":
        assert ((counts > 0) & (counts < 5)).any()  # the analyst sees small counts
    else:
        assert not ((counts > 0) & (counts < (5 if role == "partner" else 10))).any()
        assert cells["suppressed"].any()
        assert "audit_anchor" in summary
        gi = cells.loc[cells["suppressed"].astype(bool), "gi_z"]
        assert gi.isna().all()  # no statistic on a suppressed cell
    if role == "public":
        assert (counts % 5 == 0).all()
        assert not (out / "areas_lsoa.csv").exists()
    log = _audit(ws_path)
    row = log[log["action"] == "export.profile_folder"].iloc[-1]
    assert (row["who"], row["role"]) == (user, role)


def test_profile_refuses_a_stranger(ws_path: Path, tmp_path: Path, capsys) -> None:
    assert main(["profile", "--workspace", str(ws_path), "--user", STRANGER, "--out",
                 str(tmp_path / "o")]) == 2
    assert "not registered" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_profile_csvs_neutralise_the_area_code_index(tmp_path: Path) -> None:
    wards = gpd.read_file(DEFAULT_DEMO_DIR / "boundaries" / "wards.geojson")
    code = next(c for c in wards.columns if c.upper().endswith("CD"))
    wards.loc[0, code] = "=1+1"
    path = tmp_path / "wards.geojson"
    wards.to_file(path)
    police = DEFAULT_DEMO_DIR / "police" / "2024-01"
    out = tmp_path / "out"
    assert main(["profile", str(police), "--areas", f"ward={path}", "--out", str(out),
                 "--emerging", "none", "--json"]) == 0
    text = (out / "areas_ward.csv").read_text()
    assert "\n=1+1" not in text and "'=1+1" in text


# --- refusals: sites, phases, ingest, users, audit, assets, export --------------------------

@pytest.mark.parametrize("user", ["pat", "pub", STRANGER])
def test_sites_rank_is_refused_to_partner_public_and_strangers(ws_path: Path, user: str,
                                                               capsys) -> None:
    assert main(["sites", "rank", "--workspace", str(ws_path), "--user", user]) == 2
    err = capsys.readouterr().err
    assert ("not registered" in err) if user == STRANGER else ("may not" in err)


def test_sites_rank_runs_for_the_analyst(ws_path: Path) -> None:
    assert main(["sites", "rank", "--workspace", str(ws_path), "--user", "ana",
                 "--min-incidents", "1", "--json"]) == 0


@pytest.mark.parametrize("user", ["ana", "pat", "pub", STRANGER])
def test_phases_report_role_check(ws_path: Path, tmp_path: Path, user: str, capsys) -> None:
    code = main(["phases", "report", "--workspace", str(ws_path), "--site", "nowhere",
                 "--user", user, "--out", str(tmp_path / "ph")])
    err = capsys.readouterr().err
    assert code == 2
    if user == "ana":  # past the role check: the site is what is missing
        assert "may not" not in err and "not registered" not in err
    else:
        assert "may not" in err or "not registered" in err


@pytest.mark.parametrize("user, expected", [("ana", 0), ("pat", 2), ("pub", 2),
                                            (STRANGER, 2)])
def test_ingest_stores_only_for_analysts(ws_path: Path, user: str, expected: int) -> None:
    wards = str(DEFAULT_DEMO_DIR / "boundaries" / "wards.geojson")
    assert main(["ingest", wards, "--kind", "boundaries", "--area-kind", "ward",
                 "--workspace", str(ws_path), "--name", f"w_{user}", "--user", user]) \
        == expected


@pytest.mark.parametrize("user, expected", [("ana", 0), ("pat", 2), ("pub", 2),
                                            (STRANGER, 2)])
def test_only_analysts_manage_users(ws_path: Path, user: str, expected: int,
                                    monkeypatch) -> None:
    monkeypatch.setenv("GEOSOC_NEW_PASSWORD", "another long passphrase")
    assert main(["users", "add", "eve", "--role", "analyst", "--workspace", str(ws_path),
                 "--by", user]) == expected
    assert main(["users", "list", "--workspace", str(ws_path), "--user", user]) == expected
    log = _audit(ws_path)
    created = log[log["action"] == "user.create"]
    if expected == 0:
        assert (created.iloc[-1]["who"], created.iloc[-1]["role"]) == (user, "analyst")
    else:
        assert "user:eve" not in set(created["target"])


@pytest.mark.parametrize("user, expected", [("ana", 0), ("pat", 2), ("pub", 2),
                                            (STRANGER, 2)])
def test_audit_list_is_for_analysts(ws_path: Path, user: str, expected: int) -> None:
    assert main(["audit", "list", "--workspace", str(ws_path), "--user", user]) == expected


@pytest.mark.parametrize("user, imported", [("ana", 0), ("pat", 0), ("pub", 2),
                                            (STRANGER, 2)])
def test_assets_by_role(ws_path: Path, tmp_path: Path, user: str, imported: int) -> None:
    assets = DEFAULT_DEMO_DIR / "assets" / "community_assets.csv"
    assert main(["assets", "import", str(assets), "--workspace", str(ws_path),
                 "--user", user]) == imported
    if imported:
        main(["assets", "import", str(assets), "--workspace", str(ws_path), "--user", "ana"])
    out = tmp_path / "assets.csv"
    code = main(["assets", "export", "--workspace", str(ws_path), "--out", str(out),
                 "--purpose", "mapping", "--user", user])
    assert code == (2 if user == STRANGER else 0)
    assert main(["assets", "list", "--workspace", str(ws_path), "--user", user]) == code
    if code == 0:
        header = out.read_text().splitlines()[0]
        assert ("contact" in header) == (user != "pub")


@pytest.mark.parametrize("user, for_role, expected", [
    ("ana", "analyst", 0), ("pat", "partner", 0), ("pat", "analyst", 2),
    ("pub", "public", 0), ("pub", "partner", 2), (STRANGER, "public", 2)])
def test_export_profile_by_role(ws_path: Path, tmp_path: Path, user: str, for_role: str,
                                expected: int) -> None:
    out = tmp_path / "profile.html"
    assert main(["export", "profile", "--role", for_role, "--workspace", str(ws_path),
                 "--user", user, "--purpose", "launch", "--out", str(out)]) == expected
    assert out.exists() == (expected == 0)
    if expected == 0:
        log = _audit(ws_path)
        row = log[log["action"] == "export.profile"].iloc[-1]
        assert (row["who"], row["role"]) == (user, ROLES[user])
        assert "geosoc-audit-anchor: seq=" in out.read_text()
        assert main(["audit", "verify", "--workspace", str(ws_path), "--export",
                     str(out)]) == 0
    else:
        assert not list(tmp_path.glob(".profile.html*"))  # no half-written file either


def test_a_stranger_exporting_is_refused_not_treated_as_analyst(ws_path: Path,
                                                                 tmp_path: Path) -> None:
    """Issue 15, point 4: an unregistered --user exported OFFICIAL-SENSITIVE as analyst."""
    out = tmp_path / "a.html"
    assert main(["export", "profile", "--role", "analyst", "--workspace", str(ws_path),
                 "--user", "somebody", "--purpose", "x", "--out", str(out)]) == 2
    assert not out.exists()
    log = _audit(ws_path)  # only the refused attempt is on record (issue 27), nothing done
    assert set(log.loc[log["who"] == "somebody", "action"]) == {"sign_in.refused"}
