"""Who is acting: the one rule every entry point (CLI, app, library) applies.

* A workspace **with users**: the acting name must be a registered user; their signed role
  is the role (an unregistered name is refused, never treated as an analyst).
* A workspace **without users** (a single analyst's own file): whoever can open the file acts
  as an analyst.
* **No workspace** (files given on the command line, or the demo town): the person running
  the command has the files, so acts as an analyst unless they ask for a narrower ``role``.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from geosoc.errors import AccessDeniedError, Problem
from geosoc.workspace.db import connect, utc_now
from geosoc.workspace.roles import ANALYSTS, ROLES, require_role
from geosoc.workspace.users import User, UserStore

__all__ = ["Actor", "acting_user", "authorise", "default_name", "require_analyst",
           "resolve_actor"]

#: Environment variable naming the acting user of the command line.
USER_ENV = "GEOSOC_USER"


@dataclass(frozen=True)
class Actor:
    """The acting user: ``username``, ``role`` and whether the name is registered."""

    username: str
    role: str
    registered: bool


def default_name(name: str | None) -> str:
    """Return ``name``, else ``$GEOSOC_USER``, else the login name."""
    return name or os.environ.get(USER_ENV) or getpass.getuser()


def acting_user(users: UserStore, name: str | None) -> Actor:
    """Return the acting user of a workspace.

    Parameters
    ----------
    users : UserStore
        The workspace's users.
    name : str, optional
        The name given (``--user``); ``$GEOSOC_USER`` or the login name otherwise.

    Raises
    ------
    AccessDeniedError
        The workspace has users and ``name`` is not one of them, or their role was edited.
    """
    username = default_name(name)
    user: User | None = users.get(username)
    if user is not None:
        return Actor(user.username, user.role, True)
    if users.count() == 0:
        return Actor(username, "analyst", False)
    raise AccessDeniedError(f"user '{username}' is not registered in this workspace", [Problem(
        f"'{username}' is not a user of this workspace", column="--user",
        fix="pass --user NAME (or set $GEOSOC_USER) with your registered name, or ask an "
            "analyst to add you: geosoc users add NAME --role ROLE --by ANALYST")])


def resolve_actor(workspace: str | Path | None, name: str | None,
                  role: str | None = None) -> Actor:
    """Return the acting user of a command, with or without a workspace.

    Parameters
    ----------
    workspace : path, optional
        The workspace file; ``None`` for commands on files or the demo town.
    name : str, optional
        ``--user``.
    role : str, optional
        A narrower role asked for (``--as-role``); never wider than the user's own.

    Raises
    ------
    AccessDeniedError
        Unregistered name in a workspace with users, or a wider role than the user's.
    """
    if workspace is None or not Path(workspace).exists():  # no workspace (yet): own files
        actor = Actor(default_name(name), "analyst", False)
    else:
        conn = connect(workspace, create=False)
        try:
            actor = acting_user(UserStore(conn, utc_now), name)
        finally:
            conn.close()
    if role is not None and role != actor.role:
        if ROLES.index(role) < ROLES.index(actor.role):
            raise AccessDeniedError(f"role '{actor.role}' may not act as {role}", [Problem(
                f"'{actor.username}' is {actor.role}", column="--as-role",
                fix=f"use one of {', '.join(ROLES[ROLES.index(actor.role):])}")])
        actor = Actor(actor.username, role, actor.registered)
    return actor


def authorise(actor: Actor, allowed: tuple[str, ...], action: str) -> Actor:
    """Return ``actor`` when their role is one of ``allowed``, else raise AccessDeniedError."""
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
        raise AccessDeniedError(f"role '{actor.role}' may not {action}", [Problem(
            f"'{actor.username}' is {actor.role}; {action} is analyst work on point-level "
            "police data", column="--user",
            fix="ask an analyst, or use the disclosed outputs: geosoc profile --workspace W "
                "--user NAME, or geosoc export profile --role partner")])
    return actor
