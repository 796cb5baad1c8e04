"""The append-only, hash-chained audit log (DPA 2018 s62: who consulted or disclosed what).

Each row stores ``prev_hash`` (the previous row's ``hash``; 64 zeros for the first row) and
``hash = sha256(canonical JSON of the row's fields + prev_hash)``. SQLite triggers abort any
``UPDATE`` or ``DELETE`` on the table; if someone bypasses them (drops the triggers, edits the
file), :func:`verify_audit_chain` names the first row whose hash or link no longer matches.
Truncating the newest rows cannot be seen from the chain alone: keep the head hash reported
by ``geosoc audit verify`` somewhere else (a ticket, an email) to detect that.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from geosoc.errors import Problem, WorkspaceError

#: ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64
#: Allowed kinds of audit target; a target is written ``"<kind>:<identifier>"``.
TARGET_KINDS = ("dataset", "site", "page", "export", "asset", "user", "analysis", "workspace")
#: Columns of :func:`audit_entries`.
AUDIT_COLUMNS = ("seq", "who", "role", "at", "action", "target", "purpose", "details",
                 "prev_hash", "hash")


@dataclass(frozen=True)
class ChainVerification:
    """The verdict of :func:`verify_audit_chain`.

    Attributes
    ----------
    ok : bool
        True when every row's hash and link match.
    rows_checked : int
        Rows read.
    first_broken_seq : int or None
        ``seq`` of the first row that fails, ``None`` when intact.
    reason : str
        What failed (or ``"intact"``).
    head_hash : str
        Hash of the last row (``GENESIS_HASH`` for an empty log).
    """

    ok: bool
    rows_checked: int
    first_broken_seq: int | None
    reason: str
    head_hash: str


def canonical_json(value: object) -> str:
    """Return the canonical JSON text of ``value`` (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(fields: dict[str, object], prev_hash: str) -> str:
    """Return the SHA-256 hex digest chaining ``fields`` to ``prev_hash``."""
    payload = canonical_json({**fields, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    conn: sqlite3.Connection,
    *,
    who: str,
    role: str,
    at: datetime,
    action: str,
    target: str,
    purpose: str | None = None,
    details: dict[str, object] | None = None,
) -> str:
    """Append one audit row; call inside the transaction of the action it records.

    Parameters
    ----------
    conn : sqlite3.Connection
        Workspace connection, inside :func:`geosoc.workspace.db.transaction`.
    who, role : str
        The acting user and their role.
    at : datetime
        When (aware UTC); stored as ISO 8601.
    action : str
        What was done (``"asset.edit"``, ``"page.view"``, ``"export.csv"``...).
    target : str
        ``"<kind>:<identifier>"`` with ``kind`` in :data:`TARGET_KINDS`.
    purpose : str, optional
        Why; required when the target kind is ``export``.
    details : dict, optional
        JSON-ready extra facts.

    Returns
    -------
    str
        The new row's hash.
    """
    kind = target.split(":", 1)[0]
    problems = []
    if kind not in TARGET_KINDS:
        problems.append(Problem(f"audit target kind '{kind}' is unknown", column="target",
                                fix=f"write '<kind>:<id>' with kind in {', '.join(TARGET_KINDS)}"))
    if kind == "export" and not (purpose or "").strip():
        problems.append(Problem("an export must state its purpose", column="purpose",
                                fix="say why the data is being exported and for whom"))
    if problems:
        raise WorkspaceError("audit entry rejected", problems)
    if not conn.in_transaction:
        raise WorkspaceError("audit entries must be written inside the action's transaction")
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS_HASH)
    fields = {"seq": seq, "who": who, "role": role, "at": at.isoformat(), "action": action,
              "target": target, "purpose": purpose, "details": details or {}}
    digest = row_hash(fields, prev)
    conn.execute(
        "INSERT INTO audit_log (seq, who, role, at, action, target, purpose, details, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, who, role, fields["at"], action, target, purpose,
         canonical_json(fields["details"]), prev, digest),
    )
    return digest


def verify_audit_chain(conn: sqlite3.Connection) -> ChainVerification:
    """Recompute every hash and link of the audit log, oldest first.

    The walk is sequential by nature (each hash depends on the one before).

    Returns
    -------
    ChainVerification
        ``ok`` and, when broken, the ``seq`` of the first bad row and why.
    """
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for row in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        checked += 1
        reason = None
        if row["seq"] != expected_seq:
            reason = f"row {expected_seq} is missing (next row is {row['seq']})"
        elif row["prev_hash"] != prev:
            reason = "prev_hash does not match the previous row's hash (a row was removed)"
        elif not _hash_matches(row, prev):
            reason = "hash does not match the row's contents (the row was altered)"
        if reason:
            return ChainVerification(False, checked, row["seq"], reason, prev)
        prev, expected_seq = row["hash"], expected_seq + 1
    return ChainVerification(True, checked, None, "intact", prev)


def _hash_matches(row: sqlite3.Row, prev: str) -> bool:
    """Return whether ``row`` still hashes to its stored ``hash`` (details byte-exact)."""
    try:
        details = json.loads(row["details"])
    except json.JSONDecodeError:
        return False
    if canonical_json(details) != row["details"]:
        return False
    fields = {k: row[k] for k in ("seq", "who", "role", "at", "action", "target", "purpose")}
    return row_hash({**fields, "details": details}, prev) == row["hash"]


def audit_entries(conn: sqlite3.Connection) -> pd.DataFrame:
    """Return the audit log as a frame, oldest first (``details`` parsed to dicts)."""
    frame = pd.read_sql_query("SELECT * FROM audit_log ORDER BY seq", conn)
    frame = frame.reindex(columns=list(AUDIT_COLUMNS))
    frame["details"] = frame["details"].map(json.loads)
    return frame
