"""Short-lived sign-in tokens for the command line (``geosoc login``).

A token says "``username`` signed in to workspace ``workspace_id`` until ``expires``", signed
with HMAC-SHA256 under the server key (:func:`geosoc.config.server_key`). The signature also
covers the user's current role and password hash, so a password reset or a role change
ends every token issued before it; the token itself carries no secret but its signature.

Text form: ``gst1.<base64url JSON {"u", "w", "exp"}>.<hex signature>``. Token files are
written readable by their owner only (0600, folder 0700) under
``$XDG_CONFIG_HOME/geosoc/tokens/`` (``~/.config/geosoc/tokens/``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from geosoc.config import config_home, server_key
from geosoc.errors import AuthenticationError, Problem
from geosoc.workspace.signing import get_signed, mac

__all__ = ["DEFAULT_LIFETIME", "MAX_LIFETIME", "Token", "issue_token", "read_token_file",
           "token_file", "verify_token", "workspace_id", "write_token_file"]

#: Tokens last this long unless asked otherwise.
DEFAULT_LIFETIME = timedelta(hours=1)
#: The longest a token may last (one working day).
MAX_LIFETIME = timedelta(hours=12)
_PREFIX = "gst1"


@dataclass(frozen=True)
class Token:
    """A verified token: who, for which workspace, until when (aware UTC)."""

    username: str
    workspace_id: str
    expires: datetime


def workspace_id(conn: sqlite3.Connection) -> str | None:
    """Return the workspace's signed id, or ``None`` when it is absent or does not verify."""
    value, valid = get_signed(conn, server_key(), "workspace_id")
    return value if valid else None


def _user_row(conn: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    return conn.execute("SELECT username, role, password_hash FROM users WHERE username = ?",
                        (username,)).fetchone()


def _signature(row: sqlite3.Row, ws_id: str, expires: str) -> str:
    binding = hashlib.sha256(str(row["password_hash"]).encode()).hexdigest()
    return mac(server_key(), "login-token", row["username"], row["role"], ws_id, expires,
               binding)


def issue_token(conn: sqlite3.Connection, username: str, now: datetime,
                lifetime: timedelta = DEFAULT_LIFETIME) -> tuple[str, Token]:
    """Return a signed token for ``username`` (whose password the caller has checked).

    Raises
    ------
    AuthenticationError
        ``lifetime`` is not positive or longer than :data:`MAX_LIFETIME`, the user is not
        registered, or the workspace has no valid signed id.
    """
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise AuthenticationError("token not issued", [Problem(
            f"a token may last from 1 minute to {MAX_LIFETIME}, not {lifetime}",
            column="--minutes", fix="ask for a shorter token (default 60 minutes)")])
    row, ws_id = _user_row(conn, username), workspace_id(conn)
    if row is None or ws_id is None:
        raise AuthenticationError("token not issued", [Problem(
            "the user is not registered or the workspace's id does not verify",
            fix="run geosoc audit verify --workspace W")])
    expires = (now + lifetime).replace(microsecond=0)
    payload = {"u": username, "w": ws_id, "exp": expires.isoformat()}
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()
    text = f"{_PREFIX}.{body.rstrip('=')}.{_signature(row, ws_id, payload['exp'])}"
    return text, Token(username, ws_id, expires)


def _refused(message: str, fix: str) -> AuthenticationError:
    return AuthenticationError(f"token refused: {message}", [Problem(
        message, column="$GEOSOC_TOKEN", fix=fix)])


def verify_token(conn: sqlite3.Connection, text: str, username: str, now: datetime) -> Token:
    """Return the token when it is ours, for ``username`` on this workspace, and unexpired.

    Raises
    ------
    AuthenticationError
        Malformed, signed with another key, for another user or workspace, issued before a
        password reset or role change, or expired (each said, with the fix).
    """
    again = "sign in again: geosoc login --workspace W --user NAME"
    parts = text.strip().split(".")
    try:
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise ValueError(parts[0])
        body = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
        user, ws_id, expires = str(payload["u"]), str(payload["w"]), str(payload["exp"])
        when = datetime.fromisoformat(expires)
    except (ValueError, KeyError, TypeError) as err:
        raise _refused("it is not a geosoc sign-in token", again) from err
    if user != username:
        raise _refused(f"it was issued to '{user}', not '{username}'",
                       f"act as {user}, or {again}")
    if ws_id != workspace_id(conn):
        raise _refused("it was issued for another workspace", again)
    row = _user_row(conn, username)
    if row is None or not hmac.compare_digest(parts[2], _signature(row, ws_id, expires)):
        raise _refused("its signature does not match (wrong server key, or the password or "
                       "role changed since)", again)
    if when <= now:
        raise _refused(f"it expired at {when.isoformat()}", again)
    return Token(user, ws_id, when)


def token_file(ws_id: str, username: str) -> Path:
    """Return the default token file of ``username`` on workspace ``ws_id``."""
    name = hashlib.sha256(username.encode()).hexdigest()[:16]
    return config_home() / "geosoc" / "tokens" / f"{ws_id}-{name}.token"


def write_token_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` readable by its owner only (0600, folder 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".partial")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    temp.replace(path)
    return path


def read_token_file(path: Path) -> str | None:
    """Return the token in ``path``, or ``None`` when there is no such file."""
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or None
    except FileNotFoundError:
        return None
