"""``geosoc morile``: a site's MoRiLE score series (import, list with a per-phase summary)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.cli.site_args import read_site_file, site_options


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc morile`` to the top-level parser."""
    parser = subparsers.add_parser("morile", help=SUBCOMMANDS["morile"])
    sub = parser.add_subparsers(dest="action", required=True)
    common = site_options()
    imp = sub.add_parser("import", parents=[common],
                         help="add scores from a CSV (date, score, optional ocg_ref)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=run_import)
    add = sub.add_parser("add", parents=[common], help="enter one assessment by hand")
    add.add_argument("--date", required=True, help="assessment date YYYY-MM-DD")
    add.add_argument("--score", required=True, help="the MoRiLE score")
    add.add_argument("--ocg-ref", default="", dest="ocg_ref",
                     help="opaque OCG reference (never a name); blank for the site as a whole")
    add.set_defaults(func=run_add)
    lst = sub.add_parser("list", parents=[common], help="the series and its phase summary")
    lst.set_defaults(func=run_list)


def run_import(args: argparse.Namespace) -> int:
    """Validate and store the scores (analysts only)."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    raw = read_site_file(args.file, required=("date", "score"))
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        stored = ws.operations.import_morile(args.site, raw, user=user, role=role,
                                             source=str(args.file))
    print(json.dumps({"imported": len(stored)}) if args.json else
          f"imported {len(stored)} MoRiLE scores for {args.site}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    """Validate and store one hand-entered score (the same checks as a file row)."""
    import pandas as pd

    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    raw = pd.DataFrame([{"date": args.date, "score": args.score, "ocg_ref": args.ocg_ref}])
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        ws.operations.import_morile(args.site, raw, user=user, role=role, source="--score")
    print(json.dumps({"added": 1}) if args.json else
          f"added a MoRiLE score of {args.score} on {args.date} for {args.site}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the summary the acting user may see (audited).

    Analysts: first, last and median score per OCG reference and phase, and the series.
    Partners and the public: the site-level trend per phase only
    (:func:`geosoc.operations.morile_for_role`), never a score or an OCG reference.
    """
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.operations import morile_for_role, phase_of
    from geosoc.workspace import Workspace

    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        series = ws.operations.morile(args.site)
        plan = ws.sites.phases(args.site)
        ws.record(who=user, role=role, action="morile.list", target=f"site:{args.site}")
    summary = morile_for_role(series, phase_of(series["date"], plan), role)
    if args.json:
        shown = {"by_phase": json.loads(summary.to_json(orient="records"))}
        if role == "analyst":
            shown["series"] = json.loads(series.assign(
                date=series["date"].dt.strftime("%Y-%m-%d")).to_json(orient="records"))
        print(json.dumps(shown))
    else:
        print(summary.to_string(index=False))
    return 0
