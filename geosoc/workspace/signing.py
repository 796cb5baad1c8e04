"""Keyed signatures of workspace facts, with the server key kept outside the workspace.

Whoever can write the SQLite file can rewrite any plain hash in it. Facts that decide access
or prove history are therefore signed with HMAC-SHA256 under the server key
(:func:`geosoc.config.server_key`, a file beside the server configuration or
``$GEOSOC_AUDIT_KEY``): each audit row, each user's role (``users.role_mac``) and the
signed settings (``settings`` table: the workspace id and where the keyed chain starts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3

from geosoc.errors import AccessDeniedError, ConfigError, GeosocError, Problem

__all__ = ["get_signed", "mac", "role_mac", "set_signed", "tampered_role_error"]


def mac(key: bytes, *parts: object) -> str:
    """Return the hex HMAC-SHA256 of ``parts`` (canonical JSON) under ``key``."""
    payload = json.dumps(list(parts), sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False, default=str)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def role_mac(key: bytes, username: str, role: str) -> str:
    """Return the signature binding ``username`` to ``role``."""
    return mac(key, "user-role", username, role)


def get_signed(conn: sqlite3.Connection, key: bytes, name: str) -> tuple[str | None, bool]:
    """Return ``(value, valid)`` of a signed setting; ``(None, True)`` when it is absent."""
    row = conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None, True
    value, _, signature = str(row[0]).rpartition("|")
    return value, hmac.compare_digest(signature, mac(key, "setting", name, value))


def set_signed(conn: sqlite3.Connection, key: bytes, name: str, value: str) -> None:
    """Store a signed setting (call inside a transaction)."""
    conn.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                 (name, f"{value}|{mac(key, 'setting', name, value)}"))


def tampered_role_error(conn: sqlite3.Connection, key: bytes, username: str) -> GeosocError:
    """Return the error for a user whose role signature does not verify under ``key``.

    When the workspace's signed id does not verify either, the key is the likelier cause
    (the key file was lost and recreated, or this shell resolves another key file): that is
    said, naming where the key was read from, rather than blaming the users table.
    """
    from geosoc.config import key_source

    _, id_valid = get_signed(conn, key, "workspace_id")
    if not id_valid:
        return ConfigError("the server key does not match this workspace", [Problem(
            "neither the workspace's id nor the role of "
            f"'{username}' verifies under this key", file=key_source(),
            fix="use the key the workspace was created with: restore the key file from the "
                "server's backup, or point $GEOSOC_AUDIT_KEY_FILE (or audit_key_file in "
                "$GEOSOC_CONFIG) at it; if the key is right, the workspace was edited "
                "outside geosoc: run geosoc audit verify")])
    return AccessDeniedError(f"user '{username}' has a tampered role", [Problem(
        f"the stored role of '{username}' does not carry a valid signature", column="role",
        fix="the users table was edited outside geosoc: run geosoc audit verify and "
            "restore the workspace from a backup")])
