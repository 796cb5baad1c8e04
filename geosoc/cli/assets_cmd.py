"""``geosoc assets``: import, export, list and cover the community asset register."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from geosoc.assets.files import export_assets_csv, export_assets_geojson
from geosoc.assets.importing import FORMATS
from geosoc.assets.model import normalise_categories
from geosoc.cli import SUBCOMMANDS
from geosoc.disclosure.layers import disclose_assets
from geosoc.errors import InputFileError, Problem
from geosoc.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``assets import|export|list|coverage`` to the top-level parser."""
    parser = subparsers.add_parser(
        "assets", help=SUBCOMMANDS["assets"])
    sub = parser.add_subparsers(dest="assets_command", required=True, metavar="ACTION")

    imp = sub.add_parser("import", help="add assets from a partner file or a public register "
                         "(Open Referral UK, Charity Commission extract)")
    imp.add_argument("file", type=Path, help="the file (a folder or .zip of Open Referral UK "
                     "CSV tables)")
    imp.add_argument("--workspace", required=True, type=Path)
    imp.add_argument("--format", choices=FORMATS,
                     help="csv, geojson, osm (OSM-tagged), openreferral or charity "
                     "(default: from the suffix)")
    imp.add_argument("--postcodes", type=Path,
                     help="postcode centroid file (default: the workspace's stored postcodes)")
    imp.add_argument("--classifications", type=Path,
                     help="charity_classification file of the extract (sets categories)")
    imp.add_argument("--map", action="append", default=[], metavar="THEIRS=OURS",
                     help="rename a column, e.g. --map 'Group name=name' (repeatable)")
    imp.add_argument("--match-distance", type=float, default=50.0, metavar="METRES",
                     help="same-name assets this close are duplicates (default 50)")
    imp.add_argument("--keep-duplicates", action="store_true",
                     help="import records that match the register too")
    imp.add_argument("--dry-run", action="store_true", help="check and list, write nothing")
    imp.add_argument("--user", default=None, help="who imports (default: $GEOSOC_USER or login)")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=run_import)

    cov = sub.add_parser("coverage", help="assets by sector, capability and pillar in a site "
                         "and its rings, and the gaps against harm")
    cov.add_argument("--site", required=True, help="site name stored in the workspace")
    cov.add_argument("--workspace", required=True, type=Path)
    cov.add_argument("--bands", default="0,250,500", help="ring bands in metres (0,250,500)")
    cov.add_argument("--user", default=None)
    cov.add_argument("--json", action="store_true")
    cov.set_defaults(func=run_coverage)

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


def _postcodes(ws: Workspace, path: Path | None, role: str) -> pd.DataFrame | None:
    """Return the postcode lookup: a file when given, else the workspace's stored postcodes."""
    if path is not None:
        from geosoc.ingest.postcodes import read_postcodes

        return read_postcodes(path).data
    from geosoc.workspace.dataset_store import load_table

    return load_table(ws, "postcodes", required=False, role=role)


def _mapping(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise InputFileError("invalid --map", [Problem(
            f"{p!r} is not THEIRS=OURS", column="--map",
            fix="write e.g. --map 'Group name=name'") for p in bad])
    return dict(p.split("=", 1) for p in pairs)


def run_import(args: argparse.Namespace) -> int:
    """Check the whole file, list duplicates, then add the new assets in one transaction."""
    from geosoc.assets.importing import map_columns, plan_import, read_register_file
    from geosoc.errors import SchemaError

    fmt = args.format or {".csv": "csv", ".geojson": "geojson", ".json": "geojson",
                          ".zip": "openreferral"}.get(args.file.suffix.lower(), "csv")
    with Workspace.open(args.workspace) as ws:
        user, role = acting_user(ws, args.user)
        postcodes = _postcodes(ws, args.postcodes, role)
        raw = map_columns(read_register_file(args.file, format=fmt, postcodes=postcodes,
                                             classifications=args.classifications),
                          _mapping(args.map))
        plan = plan_import(raw, file=str(args.file), register=ws.assets.frame(),
                           postcodes=postcodes, distance_m=args.match_distance)
        if not plan.ok:
            raise SchemaError(f"{args.file}: {len(plan.problems)} problem(s); nothing imported",
                              plan.problems)
        chosen = plan.records if args.keep_duplicates else plan.new
        added = 0
        if not args.dry_run and len(chosen):
            added = ws.assets.import_frame(chosen, user=user, role=role, source=str(args.file))
    matches = plan.matches.drop(columns="record")
    result = {"imported": added, "file": str(args.file), "format": fmt,
              "checked": len(plan.records), "duplicates": len(matches),
              "skipped": plan.skipped, "dry_run": bool(args.dry_run),
              "osm_unmatched": raw.attrs.get("osm_unmatched", 0),
              "matches": matches.to_dict(orient="records")}
    if args.json:
        print(json.dumps(result, default=str))
        return 0
    print(f"imported {added} assets from {args.file}" + (" (dry run)" if args.dry_run else ""))
    for reason, n in plan.skipped.items():
        print(f"skipped {n}: {reason}")
    if len(matches):
        print(f"{len(matches)} already in the register or repeated"
              + (" (imported anyway)" if args.keep_duplicates else " (not imported)") + ":")
        print(matches.to_string(index=False))
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    """Print a site's asset coverage (site and rings) and the gaps against harm."""
    from geosoc.report.asset_coverage import coverage_pivot, site_coverage

    with Workspace.open(args.workspace, create=False) as ws:
        user, role = acting_user(ws, args.user)
        sites = ws.sites.frame()
        if args.site not in sites.index:
            raise InputFileError("unknown site", [Problem(
                f"no site named {args.site!r} in {args.workspace}", column="--site",
                fix="choose one of: " + (", ".join(sites.index) or "(none: save a site)"))])
        assets = ws.assets.frame(role=role)
        harm = _harm_points(ws) if role == "analyst" else None
        ws.record(who=user, role=role, action="assets.coverage", target=f"site:{args.site}")
    coverage = site_coverage(assets, sites.geometry.loc[args.site], site=args.site,
                             harm_layer=harm, bands_m=_bands(args.bands))
    gaps = coverage.gaps
    if args.json:
        print(json.dumps({"site": args.site, "gaps": gaps.reset_index().to_dict("records"),
                          "coverage": coverage.table.to_dict("records")}, default=str))
        return 0
    print(f"Asset coverage of {args.site}")
    print(gaps.to_string())
    for dimension in ("sector", "pillar", "capability"):
        pivot = coverage_pivot(coverage, dimension)
        if len(pivot):
            print(f"\nby {dimension}\n{pivot.to_string()}")
    return 0


def _bands(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError as err:
        raise InputFileError("invalid --bands", [Problem(
            f"{text!r} is not a list of metres", column="--bands",
            fix="write e.g. 0,250,500")]) from err


def _harm_points(ws: Workspace) -> pd.DataFrame | None:
    """Harm-weighted incident points of the workspace (analysts only), or None."""
    from geosoc.errors import WorkspaceError
    from geosoc.harm import apply_harm_weights
    from geosoc.workspace.dataset_store import load_incidents

    try:
        incidents = load_incidents(ws, role="analyst")
    except WorkspaceError:
        return None
    located = incidents.dropna(subset=["lon", "lat"])
    return located if "harm" in located.columns else apply_harm_weights(located)


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
        frame = disclose_assets(ws.assets.frame(include_retired=args.include_retired,
                                                role=role), role)
        ws.export(args.out, lambda temp, _anchor: writers[suffix](frame, temp), who=user,
                  role=role, action=f"export.assets{suffix}", purpose=args.purpose,
                  details={"rows": len(frame), "columns": [str(c) for c in frame.columns]})
    print(f"wrote {len(frame)} assets to {args.out}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the register as a table or JSON records."""
    with Workspace.open(args.workspace, create=False) as ws:
        _, role = acting_user(ws, args.user)
        frame = disclose_assets(ws.assets.frame(include_retired=args.include_retired,
                                                role=role), role)
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
