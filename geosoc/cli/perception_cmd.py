"""``geosoc perception``: community perception survey waves (import, compare two waves)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.cli.site_args import read_site_file, site_options


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc perception`` to the top-level parser."""
    parser = subparsers.add_parser("perception", help=SUBCOMMANDS["perception"])
    sub = parser.add_subparsers(dest="action", required=True)
    common = site_options()
    imp = sub.add_parser("import", parents=[common], help="store survey aggregates from a CSV "
                         "(wave, question, response, respondents)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=run_import)
    cmp_ = sub.add_parser("compare", parents=[common], help="test the change between two waves")
    cmp_.add_argument("before", help="the earlier wave's label")
    cmp_.add_argument("after", help="the later wave's label")
    cmp_.set_defaults(func=run_compare)


def run_import(args: argparse.Namespace) -> int:
    """Validate and store the waves in the file (analysts only)."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    raw = read_site_file(args.file, required=("wave", "question", "response", "respondents"))
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        stored = ws.operations.import_waves(args.site, raw, user=user, role=role,
                                            source=str(args.file))
    waves = sorted(stored["wave"].unique())
    print(json.dumps({"imported": len(stored), "waves": waves}) if args.json else
          f"stored {len(stored)} rows of waves {', '.join(waves)} for {args.site}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Compare two waves; partners and the public see small answers pooled, unnamed."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.operations import compare_waves, waves_for_role
    from geosoc.workspace import Workspace

    with Workspace.open(args.workspace, create=False) as ws:
        _, role = acting_user(ws, args.user)
        waves = ws.operations.waves(args.site)
    result = compare_waves(waves_for_role(waves, role), args.before, args.after)
    print(result.to_json(orient="records") if args.json else result.to_string(index=False))
    return 0
