"""The append-only, keyed, hash-chained audit log (DPA 2018 s62: who consulted or disclosed what).

Each row stores ``prev_hash`` (the previous row's ``hash``; 64 zeros for the first row) and
``hash = HMAC-SHA256(server key, canonical JSON of the row's fields + prev_hash)``. The key
lives outside the workspace (:func:`geosoc.config.server_key`), so whoever can write the
SQLite file cannot re-hash a rewritten log. SQLite triggers abort any ``UPDATE`` or
``DELETE``; if someone bypasses them, :func:`verify_audit_chain` names the first row whose
hash or link no longer matches. Truncating the newest rows or emptying the log is caught
against the anchors kept outside the workspace (:mod:`geosoc.workspace.anchor`: a checkpoint
file and the chain head carried by every export).

Every entry is checked against the registered users: once a workspace has users, an entry
for an unregistered name, or with a role other than the user's signed role, is refused
(only failed sign-ins of unknown names are recorded as such).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from geosoc.config import server_key
from geosoc.errors import AccessDeniedError, Problem, WorkspaceError
from geosoc.workspace.signing import get_signed, role_mac, tampered_role_error

#: ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64
#: Allowed kinds of audit target; a target is written ``"<kind>:<identifier>"``.
TARGET_KINDS = ("dataset", "site", "page", "export", "asset", "user", "analysis", "workspace")
#: Who the audit log names for deletions geosoc makes on its own (retention on app start).
SYSTEM_ACTOR = "geosoc:retention"
#: Actions :data:`SYSTEM_ACTOR` may record without being a registered user.
SYSTEM_ACTIONS = ("dataset.delete",)
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


def row_hash(fields: dict[str, object], prev_hash: str, key: bytes | None = None) -> str:
    """Return the hex digest chaining ``fields`` to ``prev_hash``.

    HMAC-SHA256 under ``key``; plain SHA-256 (rows written before the chain was keyed)
    when ``key`` is ``None``.
    """
    payload = canonical_json({**fields, "prev_hash": prev_hash}).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _table_missing(err: sqlite3.OperationalError) -> WorkspaceError:
    return WorkspaceError("the workspace's audit log is missing", [Problem(
        f"{err}: the audit_log table was removed from the workspace",
        fix="the workspace was tampered with or damaged: restore it from a backup and "
            "report it")])


def check_actor(conn: sqlite3.Connection, who: str, role: str, action: str,
                key: bytes) -> None:
    """Refuse an entry for an unregistered user, or with a role not the user's signed one.

    Raises
    ------
    AccessDeniedError
        Once the workspace has users: ``who`` is not one of them, or ``role`` differs from
        their role, or their role's signature does not match (``users.role`` was edited).
    """
    if action.startswith("sign_in.") or (who == SYSTEM_ACTOR and action in SYSTEM_ACTIONS):
        return
    has_users = conn.execute("SELECT 1 FROM users LIMIT 1").fetchone()
    if not has_users:
        return
    row = conn.execute("SELECT role, role_mac FROM users WHERE username = ?",
                       (who,)).fetchone()
    if row is None:
        raise AccessDeniedError(f"user '{who}' is not registered in this workspace", [Problem(
            f"'{who}' is not a user of this workspace", column="user",
            fix="act as a registered user (--user NAME or $GEOSOC_USER), or ask an analyst to "
                "add you with geosoc users add")])
    if not hmac.compare_digest(row["role_mac"] or "", role_mac(key, who, row["role"])):
        raise tampered_role_error(conn, key, who)
    if row["role"] != role:
        raise AccessDeniedError(f"user '{who}' is registered as {row['role']}, not {role}", [
            Problem(f"'{who}' acts with role {role!r} but is registered as {row['role']!r}",
                    column="role", fix="act with your own role")])


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
    key = server_key()
    try:
        check_actor(conn, who, role, action, key)
        last = conn.execute(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as err:
        raise _table_missing(err) from err
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS_HASH)
    fields = {"seq": seq, "who": who, "role": role, "at": at.isoformat(), "action": action,
              "target": target, "purpose": purpose, "details": details or {}}
    digest = row_hash(fields, prev, key)
    conn.execute(
        "INSERT INTO audit_log (seq, who, role, at, action, target, purpose, details, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, who, role, fields["at"], action, target, purpose,
         canonical_json(fields["details"]), prev, digest),
    )
    return digest


def keyed_from(conn: sqlite3.Connection, key: bytes) -> int:
    """Return the first ``seq`` hashed with the key (1 unless the workspace predates keying).

    Raises
    ------
    WorkspaceError
        The signed boundary was edited.
    """
    try:
        value, valid = get_signed(conn, key, "audit_keyed_from")
    except sqlite3.OperationalError:
        return 1
    if not valid:
        raise WorkspaceError("audit settings were tampered with", [Problem(
            "the signed start of the keyed audit chain does not verify", column="settings",
            fix="restore the workspace from a backup")])
    return int(value) if value is not None else 1


def verify_audit_chain(conn: sqlite3.Connection) -> ChainVerification:
    """Recompute every keyed hash and link of the audit log, oldest first.

    The walk is sequential by nature (each hash depends on the one before). Rows written
    before the workspace's chain was keyed (legacy SHA-256 rows, below the signed
    ``audit_keyed_from``) are checked with the plain hash.

    Returns
    -------
    ChainVerification
        ``ok`` and, when broken, the ``seq`` of the first bad row and why.
    """
    key = server_key()
    try:
        first_keyed = keyed_from(conn, key)
    except WorkspaceError as err:
        return ChainVerification(False, 0, None, str(err), GENESIS_HASH)
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    try:
        rows = conn.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    except sqlite3.OperationalError as err:
        return ChainVerification(False, 0, None, str(_table_missing(err).problems[0].message),
                                 GENESIS_HASH)
    for row in rows:
        checked += 1
        reason = None
        if row["seq"] != expected_seq:
            reason = f"row {expected_seq} is missing (next row is {row['seq']})"
        elif row["prev_hash"] != prev:
            reason = "prev_hash does not match the previous row's hash (a row was removed)"
        elif not _hash_matches(row, prev, key if row["seq"] >= first_keyed else None):
            reason = ("hash does not match the row's contents and the server key (the row "
                      "was altered or re-hashed)")
        if reason:
            return ChainVerification(False, checked, row["seq"], reason, prev)
        prev, expected_seq = row["hash"], expected_seq + 1
    return ChainVerification(True, checked, None, "intact", prev)


def _hash_matches(row: sqlite3.Row, prev: str, key: bytes | None) -> bool:
    """Return whether ``row`` still hashes to its stored ``hash`` (details byte-exact)."""
    try:
        details = json.loads(row["details"])
    except json.JSONDecodeError:
        return False
    if canonical_json(details) != row["details"]:
        return False
    fields = {k: row[k] for k in ("seq", "who", "role", "at", "action", "target", "purpose")}
    return hmac.compare_digest(row_hash({**fields, "details": details}, prev, key), row["hash"])


def audit_entries(conn: sqlite3.Connection) -> pd.DataFrame:
    """Return the audit log as a frame, oldest first (``details`` parsed to dicts)."""
    try:
        frame = pd.read_sql_query("SELECT * FROM audit_log ORDER BY seq", conn)
    except (sqlite3.OperationalError, pd.errors.DatabaseError) as err:
        raise _table_missing(sqlite3.OperationalError(str(err))) from err
    frame = frame.reindex(columns=list(AUDIT_COLUMNS))
    frame["details"] = frame["details"].map(json.loads)
    return frame
