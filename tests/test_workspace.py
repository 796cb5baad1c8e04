"""Workspace database: opening, migrations, transactions, backup, sites/phases, analyses."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geosoc.errors import AccessDeniedError, SchemaError, WorkspaceError
from geosoc.workspace import Workspace, db
from geosoc.workspace.migrations import MIGRATIONS
from geosoc.workspace.sites import plan_phases

SITE = shapely.box(-0.10, 51.51, -0.09, 51.52)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws.sqlite") as workspace:
        yield workspace


def test_open_creates_a_migrated_wal_database_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with Workspace.open(path) as ws:
        assert ws.schema_version() == len(MIGRATIONS)
        conn = ws._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
        assert ws.integrity_check() == "ok"
    with Workspace.open(path, create=False) as again:  # reopening migrates nothing twice
        assert again.schema_version() == len(MIGRATIONS)
        rows = again._conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
        assert rows == len(MIGRATIONS)


def test_a_new_migration_applies_once_and_keeps_data(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.sqlite"
    with Workspace.open(path) as ws:
        ws.analyses.save("kept", "k", {}, user="ana", role="analyst")
    monkeypatch.setattr(db, "MIGRATIONS", (*MIGRATIONS, "CREATE TABLE extra (x INTEGER);"))
    with Workspace.open(path) as ws:
        assert ws.schema_version() == len(MIGRATIONS) + 1
        assert ws._conn.execute("SELECT COUNT(*) FROM extra").fetchone()[0] == 0
        assert ws.analyses.get("kept")["name"] == "kept"


def test_a_failing_migration_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "bad.sqlite"
    Workspace.open(path).close()
    broken = "CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(db, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(WorkspaceError, match="cannot be opened"):
        Workspace.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(
        MIGRATIONS)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None
    conn.close()


def test_open_without_create_on_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not found"):
        Workspace.open(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_file_that_is_not_a_database_is_a_workspace_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="cannot be opened"):
        Workspace.open(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    Workspace.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (999, 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="newer geosoc"):
        Workspace.open(path)


def test_transaction_rolls_back_everything_on_error(ws: Workspace) -> None:
    with pytest.raises(RuntimeError), db.transaction(ws._conn):
        ws._conn.execute("INSERT INTO analyses VALUES ('a', 'k', '{}', 'me', 'now')")
        raise RuntimeError("boom")
    assert ws.analyses.list().empty
    assert not ws._conn.in_transaction


def test_a_held_write_lock_gives_a_busy_error_not_a_hang(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "busy.sqlite"
    Workspace.open(path).close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Workspace.open(path) as ws, pytest.raises(WorkspaceError, match="busy"):
            ws.analyses.save("a", "k", {}, user="ana", role="analyst")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Workspace.open(path) as ws:
        assert ws.analyses.list().empty


def test_backup_copies_the_live_database(ws: Workspace, tmp_path: Path) -> None:
    ws.analyses.save("ranking", "site_ranking", {"weights": {"harm": 0.7}}, user="ana",
                     role="analyst")
    copy = ws.backup(tmp_path / "copy.sqlite")
    with Workspace.open(copy, create=False) as restored:
        assert restored.analyses.get("ranking")["parameters"] == {"weights": {"harm": 0.7}}
        assert restored.verify_audit_chain().ok
    with pytest.raises(WorkspaceError, match="overwrite"):
        ws.backup(ws.path)


def test_sites_store_geometry_reason_and_score_snapshot(ws: Workspace) -> None:
    site_id = ws.sites.add("Bradford Moor", SITE, reason="highest harm", chosen_by="Insp X",
                           chosen_on="2025-03-01", score={"harm": 812.5, "rank": 1},
                           user="ana", role="analyst")
    sites = ws.sites.frame()
    assert sites.crs.to_string() == "EPSG:4326"
    assert sites.loc["Bradford Moor", "site_id"] == site_id
    assert sites.loc["Bradford Moor", "score"] == {"harm": 812.5, "rank": 1}
    assert sites.geometry.iloc[0].equals(SITE)
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.sites.add("Bradford Moor", SITE, reason="", chosen_by="", chosen_on="2025-03-01",
                     user="ana", role="analyst")


@pytest.mark.parametrize(("geometry", "message"), [
    (shapely.Point(-0.1, 51.5), "Polygon"),
    (shapely.box(400_000, 400_000, 401_000, 401_000), "EPSG:4326"),
    (shapely.Polygon([(0, 51), (1, 52), (1, 51), (0, 52)]), "invalid"),
])
def test_bad_site_geometry_is_rejected(ws: Workspace, geometry, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        ws.sites.add("x", geometry, reason="", chosen_by="", chosen_on="2025-01-01",
                     user="ana", role="analyst")
    assert ws.sites.frame().empty


def test_site_name_and_date_are_checked_together(ws: Workspace) -> None:
    with pytest.raises(SchemaError) as err:
        ws.sites.add(" ", SITE, reason="", chosen_by="", chosen_on="last Tuesday", user="ana",
                     role="analyst")
    assert {p.column for p in err.value.problems} == {"name", "chosen_on"}


def test_only_analysts_record_sites(ws: Workspace) -> None:
    with pytest.raises(AccessDeniedError):
        ws.sites.add("x", SITE, reason="", chosen_by="", chosen_on="2025-01-01",
                     user="p", role="partner")


def test_baseline_defaults_to_the_twelve_months_before_clear() -> None:
    plan = plan_phases({"clear": ("2025-03", "2025-05"), "hold": ("2025-06", "2025-11"),
                        "build": ("2025-12", None)})
    assert plan["phase"].tolist() == ["baseline", "clear", "hold", "build"]
    assert plan.loc[0, "start_month"] == pd.Period("2024-03", "M")
    assert plan.loc[0, "end_month"] == pd.Period("2025-02", "M")
    assert pd.isna(plan.loc[3, "end_month"])


def test_phase_plan_collects_every_problem() -> None:
    with pytest.raises(SchemaError) as err:
        plan_phases({"clear": ("2025-05", "2025-03"), "hold": (None, "2025-06"),
                     "build": ("2025-13", None), "mop-up": ("2025-01", None)})
    messages = " | ".join(p.message for p in err.value.problems)
    assert "unknown phase 'mop-up'" in messages
    assert "clear ends (2025-03) before it starts (2025-05)" in messages
    assert "hold has no start month" in messages
    assert "'2025-13' is not a month" in messages


@pytest.mark.parametrize("phases", [
    {"clear": ("2025-01", "2025-04"), "hold": ("2025-04", "2025-08")},  # overlap by a month
    {"baseline": ("2024-01", "2025-02"), "clear": ("2025-01", "2025-03")},
    {"clear": ("2025-01", None), "hold": ("2025-04", None)},  # open middle phase
])
def test_overlapping_or_open_middle_phases_are_rejected(phases) -> None:
    with pytest.raises(SchemaError):
        plan_phases(phases)


def test_set_phases_round_trips_and_replaces(ws: Workspace) -> None:
    ws.sites.add("A", SITE, reason="r", chosen_by="c", chosen_on="2025-01-01", user="ana",
                 role="analyst")
    ws.sites.set_phases("A", {"clear": ("2025-01", "2025-03")}, user="ana", role="analyst")
    stored = ws.sites.set_phases("A", {"baseline": ("2024-06", "2024-12"),
                                       "clear": ("2025-01", "2025-02"),
                                       "hold": ("2025-03", None)}, user="ana", role="analyst")
    back = ws.sites.phases("A")
    pd.testing.assert_frame_equal(back, stored)
    assert back["start_month"].tolist() == [pd.Period(m, "M") for m in
                                            ("2024-06", "2025-01", "2025-03")]
    with pytest.raises(WorkspaceError, match="no site named"):
        ws.sites.phases("B")


def test_analyses_keep_parameters_and_refuse_silent_overwrite(ws: Workspace) -> None:
    params = {"weights": {"harm": 0.6, "imd": 0.4}, "resolution": 9}
    ws.analyses.save("r1", "site_ranking", params, user="ana", role="analyst")
    assert ws.analyses.get("r1")["parameters"] == params
    with pytest.raises(WorkspaceError, match="exists"):
        ws.analyses.save("r1", "site_ranking", {}, user="ana", role="analyst")
    ws.analyses.save("r1", "site_ranking", {"weights": {}}, user="ana", role="analyst",
                     replace=True)
    assert ws.analyses.get("r1")["parameters"] == {"weights": {}}
    with pytest.raises(WorkspaceError, match="JSON"):
        ws.analyses.save("r2", "x", {"f": object()}, user="ana", role="analyst")


def test_datasets_record_checksum_and_rows(ws: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "crime.csv"
    data.write_text("a,b\n1,2\n")
    record = ws.datasets.register("police", "incidents", data, rows=1, user="ana",
                                  role="analyst", metadata={"months": ["2024-01"]})
    assert record["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert record["metadata"] == {"months": ["2024-01"]}
    assert ws.datasets.list()["rows"].tolist() == [1]
    assert ws.audit_log(role="analyst")["action"].tolist() == ["dataset.load"]


def test_a_cyclical_plan_resumes_clear_and_round_trips(ws: Workspace) -> None:
    cycle = [("clear", "2024-01", "2024-03"), ("hold", "2024-04", "2024-09"),
             ("clear", "2024-10", "2024-11"), ("hold", "2024-12", "2025-05"),
             ("build", "2025-06", None)]
    plan = plan_phases(cycle)
    assert plan["phase"].tolist() == ["baseline", "clear", "hold", "clear", "hold", "build"]
    assert plan["occurrence"].tolist() == [1, 1, 1, 2, 2, 1]
    ws.sites.add("C", SITE, reason="r", chosen_by="c", chosen_on="2023-12-01", user="ana",
                 role="analyst")
    stored = ws.sites.set_phases("C", cycle, user="ana", role="analyst")
    pd.testing.assert_frame_equal(ws.sites.phases("C"), stored)


@pytest.mark.parametrize("cycle, message", [
    ([("clear", "2024-01", "2024-03"), ("build", "2024-04", None)], "build may not follow clear"),
    ([("hold", "2024-01", "2024-03")], "hold may not follow baseline"),
    ([("clear", "2024-01", "2024-03"), ("hold", "2024-04", "2024-09"),
      ("clear", "2024-09", "2024-10")], "clear starts (2024-09) before hold ends (2024-09)"),
    ([("clear", "2024-01", "2024-03"), ("baseline", "2023-01", "2023-12")],
     "baseline must come first"),
])
def test_bad_cycles_are_refused_with_the_reason(cycle, message: str) -> None:
    with pytest.raises(SchemaError) as err:
        plan_phases(cycle)
    assert message in " | ".join(p.message for p in err.value.problems)
