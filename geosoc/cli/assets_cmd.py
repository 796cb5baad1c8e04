"""``geosoc assets``: import, export and list the community asset register."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from geosoc.assets.files import export_assets_csv, export_assets_geojson, read_assets
from geosoc.assets.model import normalise_categories
from geosoc.cli import SUBCOMMANDS
from geosoc.disclosure.layers import disclose_assets
from geosoc.errors import InputFileError, Problem
from geosoc.ingest.postcodes import read_postcodes
from geosoc.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``assets import|export|list`` to the top-level parser."""
    parser = subparsers.add_parser(
        "assets", help=SUBCOMMANDS["assets"])
    sub = parser.add_subparsers(dest="assets_command", required=True, metavar="ACTION")

    imp = sub.add_parser("import", help="add assets from a CSV, GeoJSON or OSM-tagged file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--workspace", required=True, type=Path)
    imp.add_argument("--format", choices=("csv", "geojson", "osm"))
    imp.add_argument("--postcodes", type=Path,
                     help="postcode centroid file, to place assets given only a postcode")
    imp.add_argument("--user", default=None, help="who imports (default: $GEOSOC_USER or login)")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=run_import)

    exp = sub.add_parser("export", help="write the register to .csv or .geojson")
    exp.add_argument("--workspace", required=True, type=Path)
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--include-retired", action="store_true")
    exp.add_argument("--purpose", required=True, help="why it is exported (audited)")
    exp.add_argument("--user", default=None)
    exp.set_defaults(func=run_export)

    lst = sub.add_parser("list", help="show the register")
    lst.add_argument("--workspace", required=True, type=Path)
    lst.add_argument("--category", help="only this category")
    lst.add_argument("--include-retired", action="store_true")
    lst.add_argument("--user", default=None, help="who reads it (default: $GEOSOC_USER or login)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)


def acting_user(ws: Workspace, name: str | None) -> tuple[str, str]:
    """Return ``(username, role)`` of the acting user (:mod:`geosoc.workspace.acting`).

    A registered user acts with their signed role; once the workspace has users an
    unregistered name is refused; a workspace without users is its analyst's own file.
    """
    actor = ws.acting(name)
    return actor.username, actor.role


def run_import(args: argparse.Namespace) -> int:
    """Validate the whole file, then add every asset in one transaction."""
    postcodes = read_postcodes(args.postcodes).data if args.postcodes else None
    records = read_assets(args.file, format=args.format, postcodes=postcodes)
    with Workspace.open(args.workspace) as ws:
        user, role = acting_user(ws, args.user)
        added = ws.assets.import_frame(records, user=user, role=role, source=str(args.file))
    result = {"imported": added, "file": str(args.file),
              "osm_unmatched": records.attrs.get("osm_unmatched", 0)}
    print(json.dumps(result) if args.json else f"imported {added} assets from {args.file}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the register (formulas neutralised in CSV) and audit the export."""
    suffix = args.out.suffix.lower()
    writers = {".csv": export_assets_csv, ".geojson": export_assets_geojson,
               ".json": export_assets_geojson}
    if suffix not in writers:
        raise InputFileError("unknown export format", [Problem(
            f"cannot write '{args.out.name}'", file=str(args.out),
            fix="use a .csv or .geojson file name")])
    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        frame = disclose_assets(ws.assets.frame(include_retired=args.include_retired), role)
        ws.export(args.out, lambda temp, _anchor: writers[suffix](frame, temp), who=user,
                  role=role, action=f"export.assets{suffix}", purpose=args.purpose,
                  details={"rows": len(frame), "columns": [str(c) for c in frame.columns]})
    print(f"wrote {len(frame)} assets to {args.out}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the register as a table or JSON records."""
    with Workspace.open(args.workspace, create=False) as ws:
        acting_user(ws, args.user)
        frame = ws.assets.frame(include_retired=args.include_retired)
    if args.category:
        wanted = normalise_categories(pd.Series([args.category])).iloc[0]
        frame = frame[frame["category"] == wanted]
    table = frame.drop(columns=frame.geometry.name)
    if args.json:
        print(table.to_json(orient="records", force_ascii=False))
    else:
        print(table[["asset_id", "name", "category", "sector", "status", "version"]]
              .to_string(index=False) if len(table) else "no assets")
    return 0
