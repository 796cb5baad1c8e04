"""``geosoc review``: the 6-month Home Office review pack of a site, as one offline HTML file.

``--demo`` builds it for the fictional demo site; ``--workspace W --site S`` for a stored
site, from the workspace's incidents, phase dates and operations record. The pack is
written for ``--role`` (never wider than the acting user's own role), audited with its
purpose before the file is moved into place.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.errors import AccessDeniedError, ConfigError, Problem

if TYPE_CHECKING:
    from geosoc.report.review_pack import ReviewInputs


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc review`` to the top-level parser."""
    parser = subparsers.add_parser(
        "review", help=SUBCOMMANDS["review"],
        description="Write the 6-month CHB review pack (phase change, 4P activity, MoRiLE, "
        "perception, assets, caveats) as one standalone, printable HTML file.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="the fictional demo site")
    source.add_argument("--workspace", type=Path, help="workspace .sqlite file")
    parser.add_argument("--site", help="the site's name (with --workspace)")
    parser.add_argument("--as-of", required=True, type=month_arg, dest="as_of",
                        help="review month YYYY-MM (later data are left out)")
    parser.add_argument("--role", required=True, choices=("analyst", "partner", "public"),
                        help="audience of the pack")
    parser.add_argument("--out", required=True, type=Path, help="the .html file to write")
    parser.add_argument("--purpose", default=None,
                        help="why it is exported (required with --workspace; audited)")
    parser.add_argument("--user", default=None, help="acting user (default $GEOSOC_USER)")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Gather the inputs, render the pack for the role, audit, write; return 0."""
    import pandas as pd

    from geosoc.report.review_pack import render_review_pack, write_review_pack

    as_of = pd.Period(args.as_of, freq="M")
    now = datetime.now(UTC)
    if args.demo:
        from geosoc.report.review_inputs import demo_review_inputs
        from geosoc.synth.demo import load_demo

        # the demo's sharing records apply: its analyst-only A&E data stays with analysts
        inputs = _with_base(demo_review_inputs(load_demo(), as_of, role=args.role), demo=True)
        document = render_review_pack(inputs, role=args.role, generated_at=now)
        path = write_review_pack(document, args.out)
    else:
        path = _workspace_pack(args, as_of, now)
    summary = {"file": str(path), "role": args.role, "as_of": str(as_of),
               "bytes": path.stat().st_size}
    print(json.dumps(summary) if args.json else f"wrote {path} ({args.role}, as of {as_of})")
    return 0


def _workspace_pack(args: argparse.Namespace, as_of: object, now: datetime) -> Path:
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.report.review_inputs import workspace_review_inputs
    from geosoc.report.review_pack import render_review_pack
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import load_incidents
    from geosoc.workspace.roles import ROLES

    missing = [Problem(f"{flag} is required with --workspace", column=flag, fix=fix)
               for flag, value, fix in (("--site", args.site, "add --site NAME"),
                                        ("--purpose", args.purpose,
                                         "say why, e.g. --purpose 'Home Office 6-month review'"))
               if not value]
    if missing:
        raise ConfigError("review needs a site and a purpose", missing)
    with Workspace.open(args.workspace, create=False) as ws:
        user, own = acting_user(ws, args.user)
        if ROLES.index(own) > ROLES.index(args.role):
            raise AccessDeniedError(f"role '{own}' may not export for the {args.role} role", [
                Problem(f"user '{user}' is registered as {own}", column="--role",
                        fix=f"use --role {', '.join(ROLES[ROLES.index(own):])}")])
        incidents = load_incidents(ws, role=args.role)  # only datasets shared that widely
        inputs = workspace_review_inputs(ws, args.site, as_of, incidents=incidents,
                                         user=user, role=args.role)
        document = render_review_pack(_with_base(inputs, demo=False), role=args.role,
                                      generated_at=now)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # audited (with the file's hash) before the file is moved into place; the pack
        # carries the audit chain head like every export
        ws.export(out, lambda temp, anchor: temp.write_text(
            f"{document}\n<!-- {anchor} -->\n", encoding="utf-8"), who=user, role=own,
            action="export.review", purpose=args.purpose,
            details={"site": args.site, "audience": args.role, "as_of": str(as_of)})
    return out


def _with_base(inputs: ReviewInputs, *, demo: bool) -> ReviewInputs:
    """Return ``inputs`` with the configured pack base around the site (about 1 km)."""
    from dataclasses import replace

    import shapely

    from geosoc.cli.pack_base_args import configured_pack_base

    if inputs.site_geometry is None:
        return inputs
    west, south, east, north = shapely.bounds(inputs.site_geometry)
    bounds = (west - 0.015, south - 0.01, east + 0.015, north + 0.01)
    return replace(inputs, base=configured_pack_base(bounds, demo=demo))
