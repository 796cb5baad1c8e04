"""``geosoc login``: prove who you are once, then act with a short-lived signed token.

The password is read as for any command (``$GEOSOC_PASSWORD``, ``--password-stdin`` or a
prompt on a terminal) and checked like the app's sign-in (argon2id, lockout, audited). The
token (:mod:`geosoc.workspace.tokens`) is bound to the user and the workspace, lasts
``--minutes`` (60 by default, 720 at most) and is saved readable by you only; commands on
that workspace as that user use it until it expires. ``--print`` prints it instead, for
``$GEOSOC_TOKEN``; ``--logout`` deletes the saved token.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc login`` to the top-level parser."""
    parser = subparsers.add_parser("login", help=SUBCOMMANDS["login"])
    parser.add_argument("--workspace", type=Path, required=True, help="the .sqlite file")
    parser.add_argument("--user", default=None,
                        help="who signs in (default $GEOSOC_USER or login name)")
    parser.add_argument("--minutes", type=int, default=60,
                        help="how long the token lasts (default 60, at most 720)")
    parser.add_argument("--print", action="store_true", dest="print_token",
                        help="print the token (for $GEOSOC_TOKEN) instead of saving it")
    parser.add_argument("--logout", action="store_true", help="delete the saved token")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the password, then save (or print) a token; 0."""
    from datetime import timedelta

    from geosoc.errors import AuthenticationError, Problem
    from geosoc.workspace import Workspace
    from geosoc.workspace.acting import current_credential, default_name
    from geosoc.workspace.tokens import token_file, write_token_file

    username = default_name(args.user)
    with Workspace.open(args.workspace, create=False) as ws:
        ws_id = ws.users.workspace_id()
        if args.logout:
            path = token_file(ws_id or "none", username)
            path.unlink(missing_ok=True)
            print(f"signed out: {path} deleted")
            return 0
        credential = current_credential()
        password = credential.password
        if password is None and credential.prompt is not None:
            password = credential.prompt(f"geosoc password for {username}: ")
        if password is None:
            ws.users.log_refusal(username, "public", "login without a password")
            raise AuthenticationError("geosoc login needs your password", [Problem(
                f"no password was given for '{username}' (a token cannot make another)",
                column="password", fix="set $GEOSOC_PASSWORD, pipe it with --password-stdin, "
                                       "or run in a terminal to be asked")])
        try:
            text, token = ws.users.issue_token(username, password,
                                               timedelta(minutes=args.minutes))
        except AuthenticationError as err:
            raise AuthenticationError(str(err), err.problems or [Problem(
                f"the password given for '{username}' is not theirs, or no such user",
                column="password", fix="check the name and give your own password; after 5 "
                "failures the account locks for 15 minutes")]) from None
    until = token.expires.strftime("%Y-%m-%d %H:%M UTC")
    if args.print_token:
        print(json.dumps({"token": text, "expires": token.expires.isoformat()})
              if args.json else text)
        return 0
    path = write_token_file(token_file(token.workspace_id, username), text)
    print(json.dumps({"token_file": str(path), "expires": token.expires.isoformat()})
          if args.json else
          f"signed in to {args.workspace} as {username} until {until}; token saved to {path} "
          "(readable by you only). Commands on this workspace as this user use it until "
          "then; geosoc login --logout deletes it.")
    return 0
