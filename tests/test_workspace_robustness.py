"""Issue 14 point 5: foreign files, races, crashes, a full disk and bad input, each clearly.

Also the unregistered-user rule at the library and app entry points (issue 15, point 4).
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geosoc.cli import main
from geosoc.errors import AccessDeniedError, WorkspaceError
from geosoc.ingest import Ingested, read_policeuk
from geosoc.workspace import Workspace
from geosoc.workspace.acting import resolve_actor
from geosoc.workspace.dataset_store import datasets_dir, store_dataset

ANALYST = {"user": "ana", "role": "analyst"}
POLICE = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n"
          "c1,2024-01,F,F,-0.0915,51.5141,On or near X,E01000001,A,Burglary,,\n"
          "c2,2024-02,F,F,-0.0930,51.5160,On or near Z,E01000002,B,Drugs,,\n")


@pytest.fixture
def police(tmp_path: Path) -> Ingested:
    path = tmp_path / "2024-01-f-street.csv"
    path.write_text(POLICE)
    return read_policeuk(path)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "chb.sqlite") as opened:
        yield opened


# --- a foreign SQLite file -------------------------------------------------------------------

def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "patients.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE patients (nhs_number TEXT, name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(WorkspaceError, match="not a geosoc workspace"):
        Workspace.open(path)
    with pytest.raises(WorkspaceError, match="not a geosoc workspace"):
        Workspace.open(path, create=False)
    assert path.read_bytes() == before
    tables = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"patients"}


def test_the_app_sign_in_refuses_a_foreign_file(tmp_path: Path) -> None:
    from geosoc.ui.caching import studies

    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="not a geosoc workspace"):
        studies.authenticate(str(path), "ana", "whatever password")
    assert {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master")} == {"t"}


# --- concurrent ingests, crashes, a full disk -------------------------------------------------

def test_two_ingests_of_the_same_new_name_one_fails_clearly(ws, police, monkeypatch) -> None:
    """The second ingest passed the name check before the first registered its dataset."""
    import geosoc.workspace.dataset_store as store

    real_write = store.write_parquet_atomically

    def first_one_wins(frame, folder, name):
        monkeypatch.setattr(store, "write_parquet_atomically", real_write)
        with Workspace.open(ws.path) as other:  # the other process finishes first
            store_dataset(other, police, name="police", kind="incidents", **ANALYST)
        return real_write(frame, folder, name)

    monkeypatch.setattr(store, "write_parquet_atomically", first_one_wins)
    with pytest.raises(WorkspaceError, match="was stored by ana"):
        store_dataset(ws, police, name="police", kind="incidents", **ANALYST)
    listed = ws.datasets.list()
    assert listed["name"].tolist() == ["police"]
    files = sorted(p.name for p in datasets_dir(ws).iterdir())
    assert files == [Path(listed["path"].iloc[0]).name]  # the loser's file was removed


def test_orphans_of_a_killed_ingest_are_removed_on_the_next_store(ws, police) -> None:
    folder = datasets_dir(ws)
    folder.mkdir()
    old = time.time() - 3600
    orphans = [folder / ".incoming-abc.parquet", folder / "police-0123456789abcdef.parquet"]
    for path in orphans:
        path.write_bytes(b"\0" * 100)
        os.utime(path, (old, old))
    young = folder / ".incoming-running.parquet"  # an ingest still writing
    young.write_bytes(b"")
    store_dataset(ws, police, name="police", kind="incidents", **ANALYST)
    assert not any(p.exists() for p in orphans)
    assert young.exists()
    assert len(list(folder.glob("police-*.parquet"))) == 1


def test_a_full_disk_while_storing_is_a_clear_error(ws, police, monkeypatch) -> None:
    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", full)
    with pytest.raises(WorkspaceError, match="not stored") as err:
        store_dataset(ws, police, name="police", kind="incidents", **ANALYST)
    assert "No space left" in str(err.value) and "free disk space" in str(err.value)
    folder = datasets_dir(ws)  # a failed first store leaves no folder, or an empty one
    assert not folder.exists() or list(folder.iterdir()) == []
    assert ws.datasets.list().empty


def test_a_full_disk_while_exporting_leaves_no_file_and_no_entry(ws, tmp_path) -> None:
    def full(temp: Path, anchor: str) -> None:
        temp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    before = len(ws.audit_log(role="analyst"))
    with pytest.raises(WorkspaceError, match="export not written") as err:
        ws.export(tmp_path / "x.html", full, who="ana", role="analyst",
                  action="export.profile", purpose="launch")
    assert "free disk space" in str(err.value)
    assert list(tmp_path.glob("*x.html*")) == []
    assert len(ws.audit_log(role="analyst")) == before


def test_a_full_disk_in_a_command_is_not_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "x.csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    code = main(["profile", str(Path(__file__).parent / "nothing"), "--out",
                 str(tmp_path / "o")])
    assert code == 2  # the missing input is reported first; now with real input:
    police = tmp_path / "2024-01-f-street.csv"
    police.write_text(POLICE)
    assert main(["profile", str(police), "--out", str(tmp_path / "o"),
                 "--emerging", "none"]) == 2
    assert "disk is full" in capsys.readouterr().err


# --- bad input files ----------------------------------------------------------------------------

def test_an_unclosed_polygon_ring_is_a_clear_error(tmp_path, capsys) -> None:
    path = tmp_path / "wards.geojson"
    ring = [[-0.1, 51.5], [-0.09, 51.5], [-0.09, 51.51], [-0.1, 51.51]]  # not closed
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"WD23CD": "E05000001", "WD23NM": "A"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    assert main(["ingest", str(path), "--kind", "boundaries", "--area-kind", "ward"]) == 2
    err = capsys.readouterr().err
    assert "closed" in err and "Traceback" not in err


def test_a_deeply_nested_geojson_asset_file_is_a_clear_error(tmp_path, capsys) -> None:
    path = tmp_path / "assets.geojson"
    path.write_text('{"type":"FeatureCollection","features":' + "[" * 5000 + "]" * 5000 + "}")
    assert main(["assets", "import", str(path), "--workspace",
                 str(tmp_path / "w.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "GeoJSON" in err and "nested" in err


def test_a_partner_dataset_without_harm_weights_is_rejected_when_stored(ws) -> None:
    frame = gpd.GeoDataFrame(
        {"incident_id": ["y1", "y2"], "month": pd.PeriodIndex(["2024-01", "2024-01"],
                                                              freq="M"),
         "category": ["Loitering", "Loitering"], "source": ["youth_service"] * 2,
         "lon": [-0.1, -0.09], "lat": [51.5, 51.51]},
        geometry=[Point(-0.1, 51.5), Point(-0.09, 51.51)], crs="EPSG:4326")
    from geosoc.ingest import IngestReport

    ingested = Ingested(frame, IngestReport(source="youth.csv", kind="points", rows_read=2,
                                            rows_kept=2))
    with pytest.raises(WorkspaceError, match="harm weight") as err:
        store_dataset(ws, ingested, name="youth", kind="incidents", **ANALYST)
    assert "Loitering" in str(err.value)
    assert ws.datasets.list().empty


# --- an unregistered user at every library and app entry point -------------------------------

@pytest.fixture
def staffed(tmp_path: Path) -> Path:
    path = tmp_path / "staffed.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
    return path


def test_a_stranger_is_refused_by_the_library(staffed, police) -> None:
    with Workspace.open(staffed) as ws:
        with pytest.raises(AccessDeniedError, match="not registered"):
            ws.acting("zed")
        with pytest.raises(AccessDeniedError, match="not registered"):
            ws.record(who="zed", role="analyst", action="page.view", target="page:x")
        with pytest.raises(AccessDeniedError, match="not registered"):
            ws.assets.add({"name": "Hub", "category": "community centre", "lon": -0.1,
                           "lat": 51.5}, user="zed", role="analyst")
        with pytest.raises(AccessDeniedError, match="not registered"):
            store_dataset(ws, police, name="police", kind="incidents", user="zed",
                          role="analyst")
        with pytest.raises(AccessDeniedError, match="registered as analyst"):
            ws.record(who="ana", role="partner", action="page.view", target="page:x")
        assert ws.datasets.list().empty
    with pytest.raises(AccessDeniedError, match="not registered"):
        resolve_actor(staffed, "zed")
    assert resolve_actor(staffed, "ana").role == "analyst"


def test_a_workspace_without_users_is_its_analyst_s_own_file(tmp_path) -> None:
    path = tmp_path / "mine.sqlite"
    with Workspace.open(path) as ws:
        assert ws.acting("whoever").role == "analyst"
        with pytest.raises(AccessDeniedError, match="first user must be an analyst"):
            ws.users.create_user("pat", "correct horse battery staple", "partner")


def test_the_app_records_page_views_under_the_user_s_real_role(staffed, monkeypatch) -> None:
    from geosoc.disclosure import Role
    from geosoc.ui import state

    fake_session: dict = {}
    monkeypatch.setattr(state.st, "session_state", fake_session)
    user = state.SessionUser("ana", Role.ANALYST, demo=False, workspace=str(staffed))
    state.sign_in(user)
    fake_session[state.VIEW_ROLE_KEY] = "partner"  # an analyst previewing the partner view
    state.record_page_view(user, "profile")
    with Workspace.open(staffed) as ws:
        last = ws.audit_log(role="analyst").iloc[-1]
    assert (last["who"], last["role"], last["details"]) == (
        "ana", "analyst", {"view_role": "partner"})
    stranger = state.SessionUser("zed", Role.ANALYST, demo=False, workspace=str(staffed))
    with pytest.raises(AccessDeniedError):
        state.record_page_view(stranger, "sites")
