"""The hash-chained, append-only audit log and ``geosoc audit verify``."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.cli import main
from geosoc.config import server_key
from geosoc.errors import AccessDeniedError, WorkspaceError
from geosoc.workspace import Workspace, audit, db
from geosoc.workspace.audit import GENESIS_HASH

WHEN = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "ws.sqlite"
    with Workspace.open(path, clock=lambda: WHEN) as ws:
        ws.record(who="ana", role="analyst", action="page.view", target="page:hotspots")
        ws.record(who="ana", role="analyst", action="export.csv", target="export:cells.csv",
                  purpose="tasking meeting", details={"rows": 12})
        ws.record(who="pat", role="partner", action="page.view", target="page:assets",
                  details={"note": "<script>alert(1)</script> ${x}"})
    return path


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    return conn


def test_each_row_hash_is_hmac_of_its_canonical_json_and_prev_hash(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        log = ws.audit_log(role="analyst")
    assert log["seq"].tolist() == [1, 2, 3]
    assert log.loc[0, "prev_hash"] == GENESIS_HASH
    assert log["prev_hash"].iloc[1:].tolist() == log["hash"].iloc[:-1].tolist()
    first = log.iloc[0]
    payload = ('{"action":"page.view","at":"2025-04-01T09:30:00+00:00","details":{},'
               f'"prev_hash":"{GENESIS_HASH}","purpose":null,"role":"analyst","seq":1,'
               '"target":"page:hotspots","who":"ana"}')
    key = server_key()
    assert first["hash"] == hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    assert first["hash"] != hashlib.sha256(payload.encode()).hexdigest()  # keyed, not plain
    assert log.loc[2, "details"] == {"note": "<script>alert(1)</script> ${x}"}  # verbatim


def test_update_and_delete_are_refused_by_triggers(ws_path: Path) -> None:
    conn = sqlite3.connect(ws_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET who = 'mallory' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.close()
    with Workspace.open(ws_path) as ws:
        assert ws.verify_audit_chain().ok


def test_an_altered_row_is_named(ws_path: Path) -> None:
    conn = _raw(ws_path)
    conn.execute("UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 2")
    conn.close()
    with Workspace.open(ws_path) as ws:
        result = ws.verify_audit_chain()
    assert not result.ok
    assert result.first_broken_seq == 2
    assert "altered" in result.reason


def test_a_deleted_row_is_named(ws_path: Path) -> None:
    conn = _raw(ws_path)
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.close()
    with Workspace.open(ws_path) as ws:
        result = ws.verify_audit_chain()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_a_rewritten_tail_with_renumbered_rows_is_caught(ws_path: Path) -> None:
    conn = _raw(ws_path)
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.close()
    with Workspace.open(ws_path) as ws:
        result = ws.verify_audit_chain()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert "removed" in result.reason


def test_exports_need_a_purpose_and_targets_a_known_kind(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        with pytest.raises(WorkspaceError, match="purpose"):
            ws.record(who="ana", role="analyst", action="export.csv", target="export:x.csv")
        with pytest.raises(WorkspaceError, match="unknown"):
            ws.record(who="ana", role="analyst", action="x", target="spaceship:1")
        assert len(ws.audit_log(role="analyst")) == 3


def test_cli_verify_exit_codes(ws_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--workspace", str(ws_path)]) == 0
    assert "intact: 3 entries" in capsys.readouterr().out
    conn = _raw(ws_path)
    conn.execute("UPDATE audit_log SET who = 'mallory' WHERE seq = 1")
    conn.close()
    assert main(["audit", "verify", "--workspace", str(ws_path), "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["first_broken_seq"] == 1


def test_cli_list_json(ws_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "list", "--workspace", str(ws_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in rows] == ["page.view", "export.csv", "page.view"]
    assert rows[1]["purpose"] == "tasking meeting"


def test_cli_verify_on_a_missing_workspace_fails(tmp_path: Path) -> None:
    assert main(["audit", "verify", "--workspace", str(tmp_path / "none.sqlite")]) == 2


@settings(max_examples=25, deadline=None)
@given(entries=st.lists(st.tuples(st.text(min_size=1, max_size=12),
                                  st.dictionaries(st.text(max_size=6),
                                                  st.one_of(st.integers(), st.text(max_size=8),
                                                            st.floats(allow_nan=False)),
                                                  max_size=3)),
                        min_size=1, max_size=8),
       data=st.data())
def test_any_log_verifies_and_any_single_edit_is_located(entries, data) -> None:
    conn = db.connect(":memory:")
    with db.transaction(conn):
        for who, details in entries:
            audit.record(conn, who=who, role="analyst", at=WHEN, action="page.view",
                         target="page:x", details=details)
    assert audit.verify_audit_chain(conn).ok
    seq = data.draw(st.integers(1, len(entries)))
    column = data.draw(st.sampled_from(["who", "role", "at", "action", "target", "details"]))
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute(f"UPDATE audit_log SET {column} = {column} || ' ' WHERE seq = ?", (seq,))
    result = audit.verify_audit_chain(conn)
    conn.close()
    assert (result.ok, result.first_broken_seq) == (False, seq)


def test_only_analysts_may_review_the_audit_log(tmp_path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        for role in ("partner", "public"):
            with pytest.raises(AccessDeniedError, match="review the audit log"):
                ws.audit_log(role=role)
        assert ws.audit_log(role="analyst").empty
