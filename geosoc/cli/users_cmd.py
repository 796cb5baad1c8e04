"""``geosoc users``: add, list and place workspace users in agencies (no passwords in argv)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import Workspace
from geosoc.workspace.acting import authorise
from geosoc.workspace.roles import ANALYSTS, ROLES

#: Environment variable holding the new user's password (else the next line of stdin).
NEW_PASSWORD_ENV = "GEOSOC_NEW_PASSWORD"  # noqa: S105 - the variable's name, not a password
#: The acting user's password; also the first user's own when the workspace has no users.
PASSWORD_ENV = "GEOSOC_PASSWORD"  # noqa: S105 - the variable's name, not a password


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``users add|list`` to the top-level parser."""
    parser = subparsers.add_parser(
        "users", help=SUBCOMMANDS["users"])
    sub = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help=f"add a user; their password from ${NEW_PASSWORD_ENV} "
                         "or stdin (the first user's may be $GEOSOC_PASSWORD)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--workspace", required=True, type=Path)
    add.add_argument("--by", default=None,
                     help="the registered analyst adding the user (default $GEOSOC_USER or "
                          "login; audited); the first user of a workspace must be an analyst")
    add.add_argument("--agency", default="",
                     help="the user's agency (partners record their own agency's activities)")
    add.set_defaults(func=run_add)
    agency = sub.add_parser("agency", help="set the agency a user belongs to (analysts only)")
    agency.add_argument("username")
    agency.add_argument("agency_name", metavar="AGENCY")
    agency.add_argument("--workspace", required=True, type=Path)
    agency.add_argument("--by", default=None, help="the registered analyst (audited)")
    agency.set_defaults(func=run_agency)
    lst = sub.add_parser("list", help="list users (no hashes); analysts only")
    lst.add_argument("--workspace", required=True, type=Path)
    lst.add_argument("--user", default=None,
                     help="who lists them (default $GEOSOC_USER or login; analysts only)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)


def read_password(first_user: bool = False) -> str:
    """Return the new user's password.

    ``$GEOSOC_NEW_PASSWORD``, else (for the first user of a workspace, who has no one to
    prove themselves to) ``$GEOSOC_PASSWORD``, else the next line of stdin.
    """
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is None and first_user:
        password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise WorkspaceError("no password given", [Problem(
            "the new user's password is empty", column="password",
            fix=f"pipe it on stdin or set {NEW_PASSWORD_ENV} (never pass it as an argument)")])
    return password


def run_add(args: argparse.Namespace) -> int:
    """Create the user with a salted argon2id hash; only a registered analyst may."""
    with Workspace.open(args.workspace) as ws:
        actor = authorise(ws.acting(args.by), ANALYSTS, "add users", ws.users)
        user = ws.users.create_user(args.username, read_password(not actor.registered),
                                    args.role,
                                    by=actor.username, by_role=actor.role)
        if args.agency:
            ws.operations.set_agency(user.username, args.agency, by=actor.username
                                     if ws.users.count() > 1 else user.username,
                                     role="analyst")
    print(f"added {user.username} ({user.role})" + (f", {args.agency}" if args.agency else ""))
    return 0


def run_agency(args: argparse.Namespace) -> int:
    """Record which agency a user belongs to."""
    with Workspace.open(args.workspace, create=False) as ws:
        actor = authorise(ws.acting(args.by), ANALYSTS, "set a user's agency", ws.users)
        ws.operations.set_agency(args.username, args.agency_name, by=actor.username,
                                 role=actor.role)
    print(f"{args.username}: {args.agency_name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the users."""
    with Workspace.open(args.workspace, create=False) as ws:
        actor = authorise(ws.acting(args.user), ANALYSTS, "list users", ws.users)
        table = ws.users.list(role=actor.role)
    print(table.to_json(orient="records") if args.json
          else table.to_string(index=False) if len(table) else "no users")
    return 0
