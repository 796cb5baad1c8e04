"""Workspace users: salted argon2id password hashes, sign-in and lockout.

A wrong password increments ``failed_attempts``; at ``max_attempts`` the account is locked for
``lockout`` (5 and 15 minutes by default). Unknown user names cost the same argon2 work as a
real check and give the same message, so sign-in does not reveal which names exist.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geosoc.config import server_key
from geosoc.errors import AccessDeniedError, AuthenticationError, Problem, WorkspaceError
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, ROLES, require_role
from geosoc.workspace.signing import role_mac, tampered_role_error
from geosoc.workspace.tokens import DEFAULT_LIFETIME, Token, issue_token, verify_token
from geosoc.workspace.tokens import workspace_id as token_workspace_id

#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 12
_SIGN_IN_FAILED = "sign-in failed: unknown user name or wrong password"


@dataclass(frozen=True)
class User:
    """A signed-in (or listed) user: ``username`` and ``role``."""

    username: str
    role: str


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures lock an account, and for how long."""

    max_attempts: int = 5
    lockout: timedelta = timedelta(minutes=15)


def _check_signed(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """Refuse a user whose role is not the one geosoc signed (or a key that is not ours)."""
    import hmac

    key = server_key()
    if not hmac.compare_digest(row["role_mac"] or "", role_mac(key, row["username"],
                                                               row["role"])):
        raise tampered_role_error(conn, key, row["username"])


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WorkspaceError("password rejected", [Problem(
            f"password is shorter than {MIN_PASSWORD_LENGTH} characters", column="password",
            fix="choose a longer passphrase")])


class UserStore:
    """Users of one workspace.

    Parameters
    ----------
    conn : sqlite3.Connection
        The workspace connection.
    clock : callable
        Returns the current aware UTC datetime (injectable for tests).
    hasher : argon2.PasswordHasher, optional
        argon2id parameters (the library defaults when omitted).
    policy : LockoutPolicy, optional
        Lockout threshold and duration.
    """

    def __init__(self, conn: sqlite3.Connection, clock: Clock,
                 hasher: PasswordHasher | None = None, policy: LockoutPolicy | None = None):
        self._conn = conn
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._policy = policy or LockoutPolicy()

    @cached_property
    def _dummy_hash(self) -> str:
        """An argon2id hash string with the store's cost parameters and random bytes.

        Verifying against it costs exactly what a real check costs (argon2 reads its
        parameters from the string) and never succeeds; building it costs nothing.
        """
        h = self._hasher
        salt, digest = (base64.b64encode(os.urandom(n)).decode().rstrip("=")
                        for n in (h.salt_len, h.hash_len))
        return (f"$argon2id$v=19$m={h.memory_cost},t={h.time_cost},p={h.parallelism}"
                f"${salt}${digest}")

    def create_user(self, username: str, password: str, role: str, *,
                    by: str = "system", by_role: str = "analyst") -> User:
        """Add a user with a freshly salted argon2id hash of ``password``.

        The first user of a workspace must be an analyst (anyone with the file may create
        it); after that only a registered analyst (``by``, with their signed role) may add
        users. The role is signed with the server key (``users.role_mac``).

        Raises
        ------
        WorkspaceError
            Bad name, unknown role, short password or the name is taken.
        AccessDeniedError
            ``by_role`` is not an analyst, ``by`` is not a registered analyst once users
            exist, or the first user would not be an analyst.
        """
        require_role(by_role, ANALYSTS, "add users")
        if self.count() == 0 and role != "analyst":
            raise AccessDeniedError("the first user must be an analyst", [Problem(
                f"'{username}' would be the workspace's first user, as {role}",
                column="role", fix="add an analyst first: geosoc users add NAME --role analyst")])
        problems = []
        if not username.strip() or username != username.strip():
            problems.append(Problem("user name is empty or has surrounding spaces",
                                    column="username", fix="use a plain name"))
        if role not in ROLES:
            problems.append(Problem(f"role '{role}' is unknown", column="role",
                                    fix=f"use one of {', '.join(ROLES)}"))
        try:
            _check_password(password)
        except WorkspaceError as err:
            problems += err.problems
        if problems:
            raise WorkspaceError("user not created", problems)
        now = self._clock()
        with transaction(self._conn):
            taken = self._conn.execute("SELECT 1 FROM users WHERE username = ?",
                                       (username,)).fetchone()
            if taken:
                raise WorkspaceError("user not created", [Problem(
                    f"user '{username}' already exists", column="username",
                    fix="choose another name")])
            # Audited first, so the actor is checked against the users before this one.
            audit.record(self._conn, who=by, role=by_role, at=now, action="user.create",
                         target=f"user:{username}", details={"role": role})
            self._conn.execute(
                "INSERT INTO users (username, role, password_hash, created_at, role_mac) "
                "VALUES (?, ?, ?, ?, ?)",
                (username, role, self._hasher.hash(password), now.isoformat(),
                 role_mac(server_key(), username, role)),
            )
        return User(username, role)

    def reset_password(self, username: str, password: str, *, by: str,
                       by_role: str) -> None:
        """Set a new password (freshly salted) and lift any lockout; analysts only."""
        require_role(by_role, ANALYSTS, "reset passwords")
        _check_password(password)
        with transaction(self._conn):
            cursor = self._conn.execute(
                "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL "
                "WHERE username = ?", (self._hasher.hash(password), username))
            if cursor.rowcount != 1:
                raise WorkspaceError("password not reset", [Problem(
                    f"no user named '{username}'", column="username")])
            audit.record(self._conn, who=by, role=by_role, at=self._clock(),
                         action="user.reset_password", target=f"user:{username}")

    def authenticate(self, username: str, password: str) -> User:
        """Return the user when ``password`` is right, else raise :class:`AuthenticationError`.

        Failures (and lockouts) are counted, committed and audited before raising.
        """
        now = self._clock()
        row = self._conn.execute("SELECT * FROM users WHERE username = ?",
                                 (username,)).fetchone()
        if row is None:
            self._verify(self._dummy_hash, password)
            self._log_attempt(username, "public", "sign_in.failed", {"reason": "unknown"})
            raise AuthenticationError(_SIGN_IN_FAILED)
        locked_until = row["locked_until"] and datetime.fromisoformat(row["locked_until"])
        if locked_until and locked_until > now:
            self._verify(self._dummy_hash, password)
            self._log_attempt(username, row["role"], "sign_in.locked", {})
            raise AuthenticationError(
                "account locked",
                [Problem(f"too many failed sign-ins; locked until {locked_until.isoformat()}",
                         fix="wait, or ask an analyst to reset the password")],
            )
        if not self._verify(row["password_hash"], password):
            self._record_failure(row, now)
            raise AuthenticationError(_SIGN_IN_FAILED)
        _check_signed(self._conn, row)
        new_hash = (self._hasher.hash(password)
                    if self._hasher.check_needs_rehash(row["password_hash"])
                    else row["password_hash"])
        with transaction(self._conn):
            cursor = self._conn.execute(  # unless another process locked it meanwhile
                "UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = ? "
                "WHERE username = ? AND (locked_until IS NULL OR locked_until <= ?)",
                (new_hash, username, now.isoformat()))
            if cursor.rowcount == 1:
                audit.record(self._conn, who=username, role=row["role"], at=now,
                             action="sign_in.ok", target=f"user:{username}")
        if cursor.rowcount != 1:
            raise AuthenticationError("account locked")
        return User(username, row["role"])

    def issue_token(self, username: str, password: str,
                    lifetime: timedelta | None = None) -> tuple[str, Token]:
        """Check ``password`` (as :meth:`authenticate`), then return a signed login token.

        See :mod:`geosoc.workspace.tokens`; the issue is audited (``sign_in.token_issued``).
        """
        user = self.authenticate(username, password)
        now = self._clock()
        text, token = issue_token(self._conn, user.username, now,
                                  lifetime or DEFAULT_LIFETIME)
        self._log_attempt(user.username, user.role, "sign_in.token_issued",
                          {"expires": token.expires.isoformat()})
        return text, token

    def check_token(self, text: str, username: str, *, audit_refusal: bool = True) -> Token:
        """Return the verified token of ``username``; a refusal is audited and raised.

        Raises
        ------
        AuthenticationError
            See :func:`geosoc.workspace.tokens.verify_token`.
        """
        try:
            return verify_token(self._conn, text, username, self._clock())
        except AuthenticationError as err:
            if audit_refusal:
                row = self.get(username)
                self.log_refusal(username, row.role if row else "public", str(err))
            raise

    def log_refusal(self, username: str, role: str, reason: str) -> None:
        """Audit a refused attempt to act as ``username`` (``sign_in.refused``)."""
        self._log_attempt(username, role, "sign_in.refused", {"reason": reason, "via": "cli"})

    def log_access_refused(self, username: str, role: str, action: str) -> None:
        """Audit that ``username`` (signed in, with ``role``) was refused ``action``."""
        with transaction(self._conn):
            audit.record(self._conn, who=username, role=role, at=self._clock(),
                         action="access.refused", target=f"user:{username}",
                         details={"refused": action})

    def workspace_id(self) -> str | None:
        """Return the workspace's signed id (tokens are bound to it), or ``None``."""
        return token_workspace_id(self._conn)

    def database(self) -> str:
        """Return the path of the database file (identifies the workspace in one process)."""
        row = self._conn.execute("PRAGMA database_list").fetchone()
        return str(row[2])

    def get(self, username: str) -> User | None:
        """Return the user named ``username``, or ``None``.

        Raises
        ------
        AccessDeniedError
            The user's stored role does not carry geosoc's signature (it was edited).
        """
        row = self._conn.execute("SELECT username, role, role_mac FROM users "
                                 "WHERE username = ?", (username,)).fetchone()
        if row is None:
            return None
        _check_signed(self._conn, row)
        return User(row["username"], row["role"])

    def count(self) -> int:
        """Return how many users the workspace has."""
        return int(self._conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def list(self, *, role: str) -> pd.DataFrame:
        """Return users (never hashes): username, role, failed_attempts, locked_until.

        ``role`` is the reader's: only analysts may list users (AccessDeniedError).
        """
        require_role(role, ANALYSTS, "list users")
        return pd.read_sql_query(
            "SELECT username, role, failed_attempts, locked_until, created_at FROM users "
            "ORDER BY username", self._conn)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _record_failure(self, row: sqlite3.Row, now: datetime) -> None:
        """Count a failure atomically (two processes cannot lose one) and lock at the limit."""
        with transaction(self._conn):
            attempts = self._conn.execute(
                "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = ? "
                "RETURNING failed_attempts", (row["username"],)).fetchone()[0]
            locked = attempts >= self._policy.max_attempts
            if locked:
                self._conn.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = ? WHERE username = ?",
                    ((now + self._policy.lockout).isoformat(), row["username"]))
            audit.record(self._conn, who=row["username"], role=row["role"], at=now,
                         action="sign_in.failed", target=f"user:{row['username']}",
                         details={"attempt": attempts, "locked": locked})

    def _log_attempt(self, username: str, role: str, action: str,
                     details: dict[str, object]) -> None:
        with transaction(self._conn):
            audit.record(self._conn, who=username, role=role, at=self._clock(),
                         action=action, target=f"user:{username}", details=details)
