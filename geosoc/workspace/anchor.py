"""Anchors of the audit chain outside the workspace, and the workspace's signed identity.

A keyed chain cannot be re-hashed without the server key, but it can still be cut short or
emptied. Two anchors catch that:

* a **checkpoint file** per workspace, ``<server config>/checkpoints/<workspace id>.json``
  (:func:`geosoc.config.checkpoint_dir`, beside the key file), holding the ``seq`` and
  ``hash`` of the newest entry seen; it is advanced every time a workspace handle closes
  or records an entry, and only ever forward along the same chain;
* the **chain head** written into every export (:func:`export_anchor`); an export names an
  entry that must still be in the log.

:func:`verify_workspace` checks the chain, the checkpoint, every export anchor given, the
signed settings and each user's signed role.
"""

from __future__ import annotations

import hmac
import json
import os
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from geosoc.config import checkpoint_dir, server_key
from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace.audit import GENESIS_HASH, row_hash, verify_audit_chain
from geosoc.workspace.db import transaction
from geosoc.workspace.signing import get_signed, role_mac, set_signed

__all__ = ["Verdict", "chain_head", "ensure_identity", "export_anchor", "read_export_anchor",
           "verify_workspace", "write_checkpoint"]

#: Marker of the chain head inside an exported file.
ANCHOR_MARK = "geosoc-audit-anchor:"


@dataclass(frozen=True)
class Verdict:
    """The result of :func:`verify_workspace` (``ok``, with every failure in ``problems``)."""

    ok: bool
    rows_checked: int
    first_broken_seq: int | None
    reason: str
    head_hash: str
    head_seq: int = 0
    checkpoint: str = "none"
    problems: list[str] = field(default_factory=list)


def chain_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """Return ``(seq, hash)`` of the newest audit entry (``(0, GENESIS_HASH)`` when empty)."""
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def ensure_identity(conn: sqlite3.Connection) -> str | None:
    """Give the workspace a signed id (and sign legacy data) on first open; return the id.

    A workspace written before the chain was keyed records where keyed rows start; its
    users' roles are signed when they match the role their creation entry recorded.
    Returns ``None`` when the stored id's signature is broken (``verify`` reports it).
    """
    key = server_key()
    value, valid = get_signed(conn, key, "workspace_id")
    if value is not None:
        return value if valid else None
    with transaction(conn):
        value, _ = get_signed(conn, key, "workspace_id")
        if value is not None:
            return value
        if not _legacy_or_empty(conn, key):
            return None  # a keyed log without its signed settings: verify reports it
        value = uuid.uuid4().hex
        seq, _ = chain_head(conn)
        set_signed(conn, key, "workspace_id", value)
        set_signed(conn, key, "audit_keyed_from", str(seq + 1))
        for row in conn.execute("SELECT username, role FROM users WHERE role_mac IS NULL "
                                "").fetchall():
            created = conn.execute(
                "SELECT details FROM audit_log WHERE action = 'user.create' AND target = ? "
                "ORDER BY seq DESC LIMIT 1", (f"user:{row[0]}",)).fetchone()
            if created and json.loads(created[0]).get("role") == row[1]:
                conn.execute("UPDATE users SET role_mac = ? WHERE username = ?",
                             (role_mac(key, row[0], row[1]), row[0]))
    return value


def new_identity(conn: sqlite3.Connection) -> str:
    """Give the workspace a new signed id (a copy that lives on separately); return it."""
    value = uuid.uuid4().hex
    with transaction(conn):
        set_signed(conn, server_key(), "workspace_id", value)
    return value


def _legacy_or_empty(conn: sqlite3.Connection, key: bytes) -> bool:
    """Return whether the log is empty or its newest entry is an unkeyed (legacy) one."""
    row = conn.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return True
    fields = {k: row[k] for k in ("seq", "who", "role", "at", "action", "target", "purpose")}
    fields["details"] = json.loads(row["details"])
    return (row_hash(fields, row["prev_hash"]) == row["hash"]
            and row_hash(fields, row["prev_hash"], key) != row["hash"])


def _checkpoint_path(workspace_id: str) -> Path:
    return checkpoint_dir() / f"{workspace_id}.json"


def _read_checkpoint(workspace_id: str) -> dict | None:
    path = _checkpoint_path(workspace_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise WorkspaceError("audit checkpoint unreadable", [Problem(
            str(err), file=str(path), fix="restore the checkpoint file from a backup")]) from err


def _on_chain(conn: sqlite3.Connection, seq: int, digest: str) -> bool:
    if seq == 0:
        return True
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return row is not None and hmac.compare_digest(str(row[0]), digest)


def read_checkpoint(workspace_id: str | None) -> dict | None:
    """Return the checkpoint kept for ``workspace_id`` (``seq``, ``hash``), or ``None``."""
    return None if workspace_id is None else _read_checkpoint(workspace_id)


def write_checkpoint(conn: sqlite3.Connection, workspace_id: str | None, *,
                     force: bool = False) -> None:
    """Advance the checkpoint to the newest entry, only forward along the same chain.

    A checkpoint that the log no longer contains is left as it is (it is the evidence).
    Failing to write it (read-only config folder) is not an error: verify reports it.
    """
    if workspace_id is None:
        return
    seq, digest = chain_head(conn)
    old = _read_checkpoint(workspace_id)
    if not force and old is not None and (
            int(old["seq"]) >= seq or not _on_chain(conn, int(old["seq"]), str(old["hash"]))):
        return
    path = _checkpoint_path(workspace_id)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps({"workspace_id": workspace_id, "seq": seq, "hash": digest,
                                    "path": _db_path(conn)}), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        return


def _db_path(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(Path(row[2]).resolve()) if row and row[2] else ""


def _previous_identity(conn: sqlite3.Connection, workspace_id: str) -> str | None:
    """Return another workspace id whose checkpoint was written for this same file."""
    here = _db_path(conn)
    if not here:
        return None
    for path in checkpoint_dir().glob("*.json"):
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if saved.get("path") == here and saved.get("workspace_id") != workspace_id:
            return str(saved.get("workspace_id"))
    return None


def export_anchor(conn: sqlite3.Connection) -> str:
    """Return the text an export carries: the marker, chain head ``seq`` and ``hash``."""
    seq, digest = chain_head(conn)
    return f"{ANCHOR_MARK} seq={seq} hash={digest}"


def read_export_anchor(path: str | Path) -> tuple[int, str] | None:
    """Return the ``(seq, hash)`` anchor carried by an exported file, or ``None``."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    at = text.rfind(ANCHOR_MARK)
    if at < 0:
        return None
    fields = dict(part.split("=", 1) for part in text[at + len(ANCHOR_MARK):].split()[:2]
                  if "=" in part)
    try:
        return int(fields["seq"]), fields["hash"][:64]
    except (KeyError, ValueError):
        return None


def verify_workspace(conn: sqlite3.Connection,
                     exports: list[str | Path] = ()) -> Verdict:
    """Check the keyed chain, the checkpoint, export anchors, signed settings and roles.

    Parameters
    ----------
    conn : sqlite3.Connection
        The workspace connection.
    exports : list of path
        Exported files whose anchors must still be on the chain.

    Returns
    -------
    Verdict
        ``ok`` only when every check passes; ``problems`` lists each failure.
    """
    key = server_key()
    chain = verify_audit_chain(conn)
    problems = [] if chain.ok else [f"chain: {chain.reason} (entry {chain.first_broken_seq})"]
    try:
        seq, _ = chain_head(conn)
    except sqlite3.OperationalError:
        seq = 0
    workspace_id, valid = get_signed(conn, key, "workspace_id")
    checkpoint = "none"
    if not valid:
        problems.append("settings: the workspace id's signature does not verify")
    elif workspace_id is None:
        problems.append("settings: the workspace has no signed id (the settings were "
                        "emptied)")
    else:
        saved = _read_checkpoint(workspace_id)
        previous = _previous_identity(conn, workspace_id) if saved is None else None
        if previous is not None:
            checkpoint = "broken"
            problems.append(f"checkpoint: this file was workspace {previous}; its identity was "
                            "reset (signed settings removed) so its log cannot be trusted")
        elif saved is None:
            checkpoint = "no checkpoint file on this server (truncation not checkable)"
        elif chain.ok and not (int(saved["seq"]) <= seq
                               and _on_chain(conn, int(saved["seq"]), str(saved["hash"]))):
            checkpoint = "broken"
            problems.append(f"checkpoint: entry {saved['seq']} recorded outside the workspace "
                            f"is no longer in the log (the log was truncated, emptied or "
                            f"rewritten; it now ends at entry {seq})")
        else:
            checkpoint = f"entry {saved['seq']} matches"
    for path in exports:
        anchor = read_export_anchor(path)
        if anchor is None:
            problems.append(f"export {path}: carries no audit anchor")
        elif not _on_chain(conn, *anchor):
            problems.append(f"export {path}: its audit entry {anchor[0]} is not in the log")
    for row in conn.execute("SELECT username, role, role_mac FROM users ORDER BY username"):
        if not hmac.compare_digest(row[2] or "", role_mac(key, row[0], row[1])):
            problems.append(f"users: the role of '{row[0]}' ({row[1]}) is not the role "
                            "geosoc signed (users.role was edited)")
    reason = "intact" if not problems else problems[0]
    return Verdict(not problems, chain.rows_checked, chain.first_broken_seq, reason,
                   chain.head_hash, seq, checkpoint, problems)
