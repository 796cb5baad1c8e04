"""``geosoc activities``: a site's 4P activity and disruption log (import, list, export).

A file with any bad row (unknown pillar, a date outside every phase, a future date, a
repeated id...) is refused whole, listing every problem; the workspace is unchanged.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.cli.site_args import read_site_file, site_options


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc activities`` to the top-level parser."""
    parser = subparsers.add_parser("activities", help=SUBCOMMANDS["activities"])
    sub = parser.add_subparsers(dest="action", required=True)
    common = site_options()
    imp = sub.add_parser("import", parents=[common], help="add activities from a CSV file "
                         "(date, pillar, agency, activity_type; optional activity_id, phase, "
                         "outcome, zone, notes)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=run_import)
    lst = sub.add_parser("list", parents=[common], help="the log as the acting user may see it")
    lst.set_defaults(func=run_list)
    exp = sub.add_parser("export", parents=[common], help="write the log to CSV "
                         "(formulas neutralised)")
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--purpose", required=True, help="why it is exported (audited)")
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    """Validate the whole file, then store every row in one transaction."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    raw = read_site_file(args.file, required=("date", "pillar", "agency", "activity_type"))
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        stored = ws.operations.import_activities(args.site, raw, user=user, role=role,
                                                 source=str(args.file))
    mapped = list(stored.attrs.get("mapped", []))
    summary = {"imported": len(stored), "site": args.site,
               "by_pillar": stored["pillar"].value_counts().to_dict(), "mapped": mapped}
    print(json.dumps(summary) if args.json else
          "\n".join([f"imported {len(stored)} activities for {args.site}",
                     *(f"  activity type {m}" for m in mapped)]))
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the site's activities for the acting user's role."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        rows = ws.operations.activities(args.site, user=user, role=role)
    rows = rows.assign(date=rows["date"].dt.strftime("%Y-%m-%d"))
    print(rows.to_json(orient="records") if args.json else rows.to_string(index=False))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the log as CSV for the acting user's role; audit the export first."""
    from geosoc.assets.files import neutralise_formulas
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace

    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        rows = ws.operations.activities(args.site, user=user, role=role)
        rows = neutralise_formulas(rows.assign(date=rows["date"].dt.strftime("%Y-%m-%d")))
        # audited (with the file's hash) before the file is moved into place
        ws.export(args.out, lambda temp, _anchor: rows.to_csv(temp, index=False), who=user,
                  role=role, action="export.activities", purpose=args.purpose,
                  details={"site": args.site, "rows": len(rows)})
    print(json.dumps({"exported": len(rows), "file": str(args.out)}) if args.json else
          f"wrote {len(rows)} activities to {args.out}")
    return 0
