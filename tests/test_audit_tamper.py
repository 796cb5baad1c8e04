"""Tampering with a workspace file is caught by ``geosoc audit verify`` (exit 3).

The attacker here can write the SQLite file (drop the triggers, rewrite rows, re-hash) but
has neither the server key (outside the workspace) nor the checkpoint folder beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import pytest

from geosoc.cli import main
from geosoc.config import server_key
from geosoc.errors import AccessDeniedError, AuthenticationError, WorkspaceError
from geosoc.workspace import Workspace
from geosoc.workspace.audit import GENESIS_HASH, canonical_json

PASSWORD = "correct horse battery staple"  # $GEOSOC_PASSWORD of the test run


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "ws.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        ws.users.create_user("pat", PASSWORD, "partner", by="ana")
        for page in ("hotspots", "sites", "assets"):
            ws.record(who="pat", role="partner", action="page.view", target=f"page:{page}")
        ws.record(who="ana", role="analyst", action="export.csv", target="export:cells.csv",
                  purpose="tasking", details={"rows": 3})
    return path


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def _rehash(conn: sqlite3.Connection, digest) -> None:
    """Recompute every row's chain the way an attacker would, with ``digest(payload)``."""
    prev = GENESIS_HASH
    rows = conn.execute("SELECT seq, who, role, at, action, target, purpose, details "
                        "FROM audit_log ORDER BY seq").fetchall()
    for new_seq, row in enumerate(rows, start=1):
        fields = {"seq": new_seq, "who": row[1], "role": row[2], "at": row[3],
                  "action": row[4], "target": row[5], "purpose": row[6],
                  "details": json.loads(row[7])}
        value = digest(canonical_json({**fields, "prev_hash": prev}).encode())
        conn.execute("UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (new_seq, prev, value, row[0]))
        prev = value


def _verify(path: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--workspace", str(path), *extra])
    return code, capsys.readouterr().out


def test_an_untouched_workspace_verifies_with_its_checkpoint(ws_path, capsys) -> None:
    code, out = _verify(ws_path, capsys)
    assert code == 0 and "intact" in out and "matches" in out


def test_the_key_is_not_in_the_workspace_file(ws_path) -> None:
    data = ws_path.read_bytes()
    key = server_key()
    assert key not in data and key.hex().encode() not in data


@pytest.mark.parametrize("digest", ["sha256", "guessed key"])
def test_deleting_rows_and_rehashing_is_detected(ws_path, capsys, digest) -> None:
    conn = _raw(ws_path)
    conn.execute("DELETE FROM audit_log WHERE action = 'export.csv'")
    hasher = ((lambda b: hashlib.sha256(b).hexdigest()) if digest == "sha256"
              else (lambda b: hmac.new(b"0" * 32, b, hashlib.sha256).hexdigest()))
    _rehash(conn, hasher)
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and "BROKEN" in out and "re-hashed" in out


def test_truncating_the_tail_is_detected_by_the_checkpoint(ws_path, capsys) -> None:
    conn = _raw(ws_path)
    last = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq >= ?", (last - 1,))
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and "checkpoint" in out and "truncated" in out


def test_emptying_the_log_is_detected(ws_path, capsys) -> None:
    conn = _raw(ws_path)
    conn.execute("DELETE FROM audit_log")
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and "checkpoint" in out


def test_truncation_is_detected_by_an_export_anchor_without_the_checkpoint(
        ws_path, tmp_path, capsys, monkeypatch) -> None:
    with Workspace.open(ws_path) as ws:
        out = ws.export(tmp_path / "x.html",
                        lambda temp, anchor: temp.write_text(f"<p>x</p><!-- {anchor} -->"),
                        who="ana", role="analyst", action="export.profile", purpose="launch")
        ws.record(who="ana", role="analyst", action="page.view", target="page:x")
    conn = _raw(ws_path)
    last = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq >= ?", (last - 2,))
    conn.close()
    # another server (no checkpoint here): the export still names an entry that is gone
    monkeypatch.setenv("GEOSOC_AUDIT_KEY", server_key().hex())
    monkeypatch.setenv("GEOSOC_AUDIT_KEY_FILE", str(tmp_path / "elsewhere" / "audit.key"))
    code, text = _verify(ws_path, capsys, "--export", str(out))
    assert code == 3 and "export" in text and "not in the log" in text


def test_editing_a_role_in_sqlite_is_detected_and_refused(ws_path, capsys) -> None:
    conn = sqlite3.connect(ws_path)
    conn.execute("UPDATE users SET role = 'analyst' WHERE username = 'pat'")
    conn.commit()
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and "users.role was edited" in out
    with Workspace.open(ws_path) as ws:
        with pytest.raises(AccessDeniedError, match="tampered"):
            ws.users.authenticate("pat", PASSWORD)  # sign-in no longer returns analyst
        with pytest.raises(AccessDeniedError, match="tampered"):
            ws.acting("pat")
        with pytest.raises(AccessDeniedError):
            ws.record(who="pat", role="analyst", action="page.view", target="page:x")
    assert main(["users", "list", "--workspace", str(ws_path), "--user", "pat"]) == 2


def test_copying_a_role_signature_between_users_does_not_help(ws_path) -> None:
    conn = sqlite3.connect(ws_path)
    mac = conn.execute("SELECT role_mac FROM users WHERE username = 'ana'").fetchone()[0]
    conn.execute("UPDATE users SET role = 'analyst', role_mac = ? WHERE username = 'pat'",
                 (mac,))
    conn.commit()
    conn.close()
    with Workspace.open(ws_path) as ws, pytest.raises(AccessDeniedError):
        ws.users.authenticate("pat", PASSWORD)


def test_removing_the_signed_settings_is_detected(ws_path, capsys) -> None:
    conn = sqlite3.connect(ws_path)
    conn.execute("UPDATE settings SET value = 'abc|def' WHERE name = 'workspace_id'")
    conn.commit()
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and "signature" in out


def test_a_dropped_audit_table_is_a_clear_error(ws_path, capsys) -> None:
    conn = sqlite3.connect(ws_path)
    conn.execute("DROP TABLE audit_log")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="damaged") as err:
        Workspace.open(ws_path)
    assert "audit_log" in str(err.value.problems[0])
    assert main(["audit", "verify", "--workspace", str(ws_path)]) == 2
    assert "audit_log is missing" in capsys.readouterr().err


def test_an_export_is_audited_before_it_exists(ws_path, tmp_path) -> None:
    seen = {}
    with Workspace.open(ws_path) as ws:
        original = ws.record

        def record(**kwargs):
            seen["file_existed"] = (tmp_path / "p.html").exists()
            return original(**kwargs)

        ws.record = record
        ws.export(tmp_path / "p.html", lambda temp, anchor: temp.write_text("x"),
                  who="ana", role="analyst", action="export.profile", purpose="launch")
    assert seen == {"file_existed": False}
    assert (tmp_path / "p.html").exists()


def test_a_failed_audit_leaves_no_exported_file(ws_path, tmp_path) -> None:
    with Workspace.open(ws_path) as ws, pytest.raises(AccessDeniedError):
        ws.export(tmp_path / "p.html", lambda temp, anchor: temp.write_text("x"),
                  who="mallory", role="analyst", action="export.profile", purpose="x")
    assert list(tmp_path.glob("*p.html*")) == []


def test_audit_list_strips_terminal_escapes(ws_path, capsys) -> None:
    with Workspace.open(ws_path) as ws:
        ws.record(who="ana", role="analyst", action="export.csv", target="export:e.csv",
                  purpose="\x1b[2J\x1b]0;owned\x07 tasking \x1b[31mred\x9b")
    assert main(["audit", "list", "--workspace", str(ws_path), "--user", "ana"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "tasking red" in out


def test_reanchor_is_for_analysts_and_audited(ws_path, capsys) -> None:
    conn = _raw(ws_path)
    conn.execute("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    conn.close()
    assert _verify(ws_path, capsys)[0] == 3
    assert main(["audit", "reanchor", "--workspace", str(ws_path), "--user", "pat",
                 "--purpose", "x"]) == 2
    assert main(["audit", "reanchor", "--workspace", str(ws_path), "--user", "ana",
                 "--purpose", "restored the 1 May backup"]) == 0
    code, _ = _verify(ws_path, capsys)
    assert code == 0
    with Workspace.open(ws_path) as ws:
        last = ws.audit_log(role="analyst").iloc[-1]
    assert last["action"] == "audit.reanchor" and last["details"]["previous_checkpoint"]


def test_signing_in_with_an_unknown_name_is_refused(ws_path) -> None:
    with Workspace.open(ws_path) as ws, pytest.raises(AuthenticationError):
        ws.users.authenticate("somebody", PASSWORD)


def test_a_workspace_from_before_the_keyed_chain_upgrades_and_verifies(tmp_path,
                                                                        capsys) -> None:
    from datetime import UTC, datetime

    from geosoc.workspace import db
    from geosoc.workspace.audit import row_hash
    from geosoc.workspace.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in db._split_sql(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES "
                 "('ana', 'analyst', 'x', '2025-01-01'), ('pat', 'partner', 'x', '2025-01-01')")
    prev, at = GENESIS_HASH, datetime(2025, 1, 1, tzinfo=UTC).isoformat()
    for seq, (who, target, details) in enumerate([
            ("system", "user:ana", {"role": "analyst"}), ("ana", "user:pat", {"role": "partner"}),
            ("pat", "page:x", {})], start=1):
        fields = {"seq": seq, "who": who, "role": "analyst" if who != "pat" else "partner",
                  "at": at, "action": "user.create" if target.startswith("user") else "page.view",
                  "target": target, "purpose": None, "details": details}
        digest = row_hash(fields, prev)  # the old, unkeyed SHA-256 chain
        conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq, fields["who"], fields["role"], at, fields["action"], target, None,
                      canonical_json(details), prev, digest))
        prev = digest
    conn.close()
    with Workspace.open(path) as ws:
        assert ws.users.get("pat").role == "partner"  # legacy roles signed from their entries
        ws.record(who="ana", role="analyst", action="page.view", target="page:y")
    assert _verify(path, capsys)[0] == 0
    conn = _raw(path)
    conn.execute("UPDATE audit_log SET who = 'mallory' WHERE seq = 3")
    conn.close()
    assert _verify(path, capsys)[0] == 3


def test_resetting_the_identity_to_pass_a_rewrite_as_legacy_is_detected(ws_path,
                                                                         capsys) -> None:
    """Delete the signed settings and re-hash everything the old, unkeyed way."""
    conn = _raw(ws_path)
    conn.execute("DELETE FROM settings")
    conn.execute("DELETE FROM audit_log WHERE action = 'export.csv'")
    _rehash(conn, lambda b: hashlib.sha256(b).hexdigest())
    conn.close()
    code, out = _verify(ws_path, capsys)
    assert code == 3 and ("reset" in out or "no signed id" in out)


def test_the_server_key_file_is_created_private_outside_the_workspace(tmp_path,
                                                                      monkeypatch) -> None:
    key_file = tmp_path / "config" / "geosoc" / "audit.key"
    monkeypatch.setenv("GEOSOC_AUDIT_KEY_FILE", str(key_file))
    key = server_key()
    assert len(key) == 32 and key_file.stat().st_mode & 0o077 == 0
    assert server_key() == key  # read back, not regenerated
