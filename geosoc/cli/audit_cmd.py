"""``geosoc audit``: verify the keyed audit chain and its anchors, and list entries."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from geosoc.cli import SUBCOMMANDS
from geosoc.cli.assets_cmd import acting_user
from geosoc.workspace import Workspace

#: Exit code when the audit chain is broken.
EXIT_TAMPERED = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``audit verify|list`` to the top-level parser."""
    parser = subparsers.add_parser(
        "audit", help=SUBCOMMANDS["audit"])
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = sub.add_parser(
        "verify", help="check the keyed chain, the checkpoint outside the workspace, export "
                       "anchors and signed roles; exit 3 if tampered")
    verify.add_argument("--workspace", required=True, type=Path)
    verify.add_argument("--export", action="append", default=[], type=Path, metavar="FILE",
                        help="an exported file whose audit anchor must be in the log "
                             "(repeatable)")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=run_verify)
    anchor = sub.add_parser("reanchor", help="accept the log as it is as the new checkpoint "
                            "(after restoring a backup); analysts only, audited")
    anchor.add_argument("--workspace", required=True, type=Path)
    anchor.add_argument("--user", default=None, help="the analyst (default $GEOSOC_USER)")
    anchor.add_argument("--purpose", required=True, help="why (e.g. restored backup of 1 May)")
    anchor.add_argument("--new-identity", action="store_true",
                        help="this file is a copy that lives on separately: give it its own "
                             "checkpoint")
    anchor.set_defaults(func=run_reanchor)
    lst = sub.add_parser("list", help="print the audit log")
    lst.add_argument("--workspace", required=True, type=Path)
    lst.add_argument("--user", default=None,
                     help="who reads it (default $GEOSOC_USER or login; analysts only)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)


def run_verify(args: argparse.Namespace) -> int:
    """Print the verdict; 0 when intact, :data:`EXIT_TAMPERED` when broken."""
    with Workspace.open(args.workspace, create=False) as ws:
        result = ws.verify_audit_chain(exports=args.export)
    if args.json:
        print(json.dumps(asdict(result)))
    elif result.ok:
        print(f"audit log intact: {result.rows_checked} entries, head {result.head_hash}; "
              f"checkpoint: {result.checkpoint}")
    else:
        print(f"audit log BROKEN: {len(result.problems)} problem(s)")
        for problem in result.problems:
            print(f"  - {problem}")
    return 0 if result.ok else EXIT_TAMPERED


#: Terminal control sequences (CSI, OSC, other ESC sequences) and C0/C1 control characters.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> object:
    """Return ``value`` with terminal escape sequences and control characters removed."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def run_reanchor(args: argparse.Namespace) -> int:
    """Move the checkpoint to the current head (audited, with the previous checkpoint)."""
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        ws.reanchor(who=user, role=role, purpose=args.purpose, new_identity=args.new_identity)
    print("audit checkpoint moved to the current head")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every entry, oldest first."""
    from geosoc.workspace.acting import authorise
    from geosoc.workspace.roles import ANALYSTS

    with Workspace.open(args.workspace, create=False) as ws:
        actor = authorise(ws.acting(args.user), ANALYSTS, "review the audit log", ws.users)
        log = ws.audit_log(role=actor.role)
    if args.json:  # JSON escapes control characters itself
        print(log.to_json(orient="records", force_ascii=False))
    else:
        table = pd.DataFrame({c: log[c].map(printable) for c in
                              ("seq", "at", "who", "role", "action", "target", "purpose")})
        print(table.to_string(index=False) if len(log) else "audit log is empty")
    return 0
