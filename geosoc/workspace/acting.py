"""Who is acting, and how they prove it: the one rule every entry point (CLI, library) applies.

* A workspace **with users**: the acting name must be a registered user, and they must prove
  it the way the app's sign-in does: their password (``$GEOSOC_PASSWORD``, ``--password-stdin``
  or a prompt on a terminal), checked against its argon2id hash, or a short-lived token from
  ``geosoc login`` (:mod:`geosoc.workspace.tokens`). Their signed role is the role. A name
  alone, a wrong password or a bad token is refused and audited; an unregistered name is
  refused, never treated as an analyst.
* A workspace **without users** (a single analyst's own file): whoever can open the file acts
  as an analyst.
* **No workspace** (files given on the command line, or the demo town): the person running
  the command has the files, so acts as an analyst unless they ask for a narrower ``role``.

Whoever can read the workspace's files on disk holds analyst-level data whatever this module
says: the files and the server key are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from geosoc.errors import AccessDeniedError, AuthenticationError, Problem
from geosoc.workspace import tokens
from geosoc.workspace.db import connect, utc_now
from geosoc.workspace.roles import ANALYSTS, ROLES, require_role
from geosoc.workspace.users import User, UserStore

__all__ = ["Actor", "Credential", "acting_user", "authorise", "default_name",
           "require_analyst", "resolve_actor", "supplied_credential"]

#: Environment variable naming the acting user of the command line.
USER_ENV = "GEOSOC_USER"
#: Environment variable holding the acting user's password.
PASSWORD_ENV = "GEOSOC_PASSWORD"  # noqa: S105 - the variable's name, not a password
#: Environment variable holding a token from ``geosoc login``.
TOKEN_ENV = "GEOSOC_TOKEN"  # noqa: S105 - the variable's name, not a token
_HOW = (f"set ${PASSWORD_ENV}, pipe it with --password-stdin, run the command in a terminal "
        "to be asked, or sign in once with geosoc login --workspace W --user NAME (a token "
        f"saved for you, or ${TOKEN_ENV})")


@dataclass
class Credential:
    """How the acting user proves who they are (one per command).

    Parameters
    ----------
    password : str, optional
        The user's password.
    token : str, optional
        A token from ``geosoc login`` given explicitly (``$GEOSOC_TOKEN``).
    prompt : callable, optional
        Asks for the password on a terminal (``getpass.getpass``); ``None`` when there is
        no terminal.
    saved_tokens : bool
        Look for the token ``geosoc login`` saved for this user and workspace.
    """

    password: str | None = None
    token: str | None = None
    prompt: Callable[[str], str] | None = None
    saved_tokens: bool = True
    _verified: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environment(cls, password_stdin: bool = False) -> Credential:
        """Read ``$GEOSOC_PASSWORD`` (or one line of stdin), ``$GEOSOC_TOKEN`` and the TTY."""
        password = os.environ.get(PASSWORD_ENV) or None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n") or None
        interactive = not password_stdin and sys.stdin is not None and sys.stdin.isatty()
        return cls(password=password, token=os.environ.get(TOKEN_ENV) or None,
                   prompt=getpass.getpass if interactive else None)


#: The credential of the command being run (set by the CLI for one command).
_SUPPLIED: ContextVar[Credential | None] = ContextVar("geosoc_credential", default=None)


@contextlib.contextmanager
def supplied_credential(credential: Credential) -> Iterator[Credential]:
    """Use ``credential`` for every identity check made inside the ``with`` block."""
    token = _SUPPLIED.set(credential)
    try:
        yield credential
    finally:
        _SUPPLIED.reset(token)


def current_credential() -> Credential:
    """Return the command's credential, else one read from the environment."""
    return _SUPPLIED.get() or Credential.from_environment()


@dataclass(frozen=True)
class Actor:
    """The acting user: ``username``, ``role`` and whether the name is registered."""

    username: str
    role: str
    registered: bool


def default_name(name: str | None) -> str:
    """Return ``name``, else ``$GEOSOC_USER``, else the login name."""
    return name or os.environ.get(USER_ENV) or getpass.getuser()


def acting_user(users: UserStore, name: str | None,
                credential: Credential | None = None) -> Actor:
    """Return the acting user of a workspace, once they have proved who they are.

    Parameters
    ----------
    users : UserStore
        The workspace's users.
    name : str, optional
        The name given (``--user``); ``$GEOSOC_USER`` or the login name otherwise.
    credential : Credential, optional
        Their password or token (default: the command's, see :func:`supplied_credential`,
        else the environment). Not needed in a workspace without users.

    Raises
    ------
    AccessDeniedError
        The workspace has users and ``name`` is not one of them, or their role was edited.
    AuthenticationError
        No password or token, a wrong password, a locked account, or a bad or expired
        token (each audited).
    """
    username = default_name(name)
    user: User | None = users.get(username)
    if user is None:
        if users.count() == 0:
            return Actor(username, "analyst", False)
        users.log_refusal(username, "public", "unregistered name")
        raise AccessDeniedError(f"user '{username}' is not registered in this workspace", [
            Problem(f"'{username}' is not a user of this workspace", column="--user",
                    fix="pass --user NAME (or set $GEOSOC_USER) with your registered name, or "
                        "ask an analyst to add you: geosoc users add NAME --role ROLE --by "
                        "ANALYST")])
    _prove(users, user, credential or current_credential())
    return Actor(user.username, user.role, True)


def _prove(users: UserStore, user: User, credential: Credential) -> None:
    """Check ``credential`` for ``user``: password, given token, saved token, then prompt."""
    key = (users.database(), user.username)
    if credential._verified.get(key) == user.role:  # proved once in this command
        return
    if credential.password is not None:
        _check_password(users, user.username, credential.password)
    elif credential.token is not None:
        users.check_token(credential.token, user.username)
    else:
        saved = _saved_token(users, user.username) if credential.saved_tokens else None
        if saved is not None and credential.prompt is None:
            users.check_token(saved, user.username)  # an expired one is refused, with the fix
        elif saved is None or not _quietly_valid(users, saved, user.username):
            if credential.prompt is None:
                users.log_refusal(user.username, user.role, "no password or token")
                raise AuthenticationError(
                    f"'{user.username}' must prove who they are: a name alone is not enough",
                    [Problem(f"no password or token was given for '{user.username}'",
                             column="--user", fix=_HOW)])
            credential.password = credential.prompt(f"geosoc password for {user.username}: ")
            _check_password(users, user.username, credential.password)
    credential._verified[key] = user.role


def _check_password(users: UserStore, username: str, password: str) -> None:
    """Check the password as the app's sign-in does; say how to fix a refusal."""
    try:
        users.authenticate(username, password)
    except AuthenticationError as err:
        raise AuthenticationError(str(err), err.problems or [Problem(
            f"the password given for '{username}' is not theirs", column="password",
            fix="give your own password ($GEOSOC_PASSWORD, --password-stdin or the prompt); "
                "after 5 failures the account locks for 15 minutes; an analyst can reset it")]
        ) from None


def _saved_token(users: UserStore, username: str) -> str | None:
    """Return the token ``geosoc login`` saved for ``username`` on this workspace, if any."""
    ws_id = users.workspace_id()
    return None if ws_id is None else tokens.read_token_file(tokens.token_file(ws_id, username))


def _quietly_valid(users: UserStore, text: str, username: str) -> bool:
    """Return whether a saved token is still good (a stale one leads to the prompt)."""
    try:
        users.check_token(text, username, audit_refusal=False)
    except AuthenticationError:
        return False
    return True


def resolve_actor(workspace: str | Path | None, name: str | None,
                  role: str | None = None, credential: Credential | None = None) -> Actor:
    """Return the acting user of a command, with or without a workspace.

    Parameters
    ----------
    workspace : path, optional
        The workspace file; ``None`` for commands on files or the demo town.
    name : str, optional
        ``--user``.
    role : str, optional
        A narrower role asked for (``--as-role``); never wider than the user's own.
    credential : Credential, optional
        See :func:`acting_user`.

    Raises
    ------
    AccessDeniedError
        Unregistered name in a workspace with users, or a wider role than the user's.
    AuthenticationError
        See :func:`acting_user`.
    """
    if workspace is None or not Path(workspace).exists():  # no workspace (yet): own files
        actor = Actor(default_name(name), "analyst", False)
    else:
        from geosoc.config import server_key

        server_key(create=False)  # an existing workspace needs its key (never replaced)
        conn = connect(workspace, create=False)
        try:
            actor = acting_user(UserStore(conn, utc_now), name, credential)
        finally:
            conn.close()
    if role is not None and role != actor.role:
        if ROLES.index(role) < ROLES.index(actor.role):
            raise AccessDeniedError(f"role '{actor.role}' may not act as {role}", [Problem(
                f"'{actor.username}' is {actor.role}", column="--as-role",
                fix=f"use one of {', '.join(ROLES[ROLES.index(actor.role):])}")])
        actor = Actor(actor.username, role, actor.registered)
    return actor


def authorise(actor: Actor, allowed: tuple[str, ...], action: str,
              users: UserStore | None = None) -> Actor:
    """Return ``actor`` when their role is one of ``allowed``, else raise AccessDeniedError.

    With ``users`` (the workspace's), a refusal is audited first (``access.refused``).
    """
    if actor.role not in allowed and users is not None:
        users.log_access_refused(actor.username, actor.role, action)
    require_role(actor.role, allowed, action)
    return actor


def require_analyst(workspace: str | Path | None, name: str | None, action: str) -> Actor:
    """Resolve the acting user of a command and refuse anyone but an analyst.

    For commands whose outputs are built from point-level police data and have no
    disclosed form (site ranking, phase reports): a partner or public user is refused with
    a pointer to what they may run instead.

    Raises
    ------
    AccessDeniedError
        Unregistered name (workspace with users) or a partner or public user.
    """
    actor = resolve_actor(workspace, name)
    if actor.role not in ANALYSTS:
        conn = connect(workspace, create=False)  # resolved, so the workspace exists
        try:
            UserStore(conn, utc_now).log_access_refused(actor.username, actor.role, action)
        finally:
            conn.close()
        raise AccessDeniedError(f"role '{actor.role}' may not {action}", [Problem(
            f"'{actor.username}' is {actor.role}; {action} is analyst work on point-level "
            "police data", column="--user",
            fix="ask an analyst, or use the disclosed outputs: geosoc profile --workspace W "
                "--user NAME, or geosoc export profile --role partner")])
    return actor
