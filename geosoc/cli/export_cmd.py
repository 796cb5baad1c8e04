"""``geosoc export profile``: the locality profile as one standalone, printable HTML file.

Without ``--workspace`` the fictional demo town is used. With a workspace, the CHB site and
the community asset register come from it and the export is written to its audit log with
the stated purpose (DPA 2018 s62).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd

from geosoc.access import PROTECTIVE_MARKING, as_role
from geosoc.errors import GeosocError, Problem
from geosoc.schema import CRS_STORE


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc export profile`` to the top-level parser."""
    parser = subparsers.add_parser("export", help="export the locality profile for a role")
    sub = parser.add_subparsers(dest="export_what", required=True, metavar="WHAT")
    profile = sub.add_parser("profile", help="standalone HTML locality profile (A4 landscape)")
    profile.add_argument("--role", choices=("analyst", "partner", "public"), required=True,
                         help="who the file is for: decides disclosure and marking")
    profile.add_argument("--out", type=Path, required=True, help="the .html file to write")
    profile.add_argument("--workspace", type=Path, help="workspace with the site and assets")
    profile.add_argument("--site", help="CHB site name in the workspace")
    profile.add_argument("--user", default="cli", help="who exports (for the audit log)")
    profile.add_argument("--purpose", help="why (required with --workspace; audited)")
    profile.add_argument("--resolution", type=int, default=9, choices=(7, 8, 9, 10),
                         help="H3 resolution of the analysis (disclosure may coarsen it)")
    profile.add_argument("--title", default=None, help="report title")
    profile.add_argument("--json", action="store_true", help="print the summary as JSON")
    profile.set_defaults(func=run_profile)


def _site_from_workspace(workspace: Path, name: str) -> gpd.GeoDataFrame:
    from geosoc.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        sites = ws.sites.frame()
    if name not in sites.index:
        raise GeosocError(f"no site named {name!r} in {workspace}", [
            Problem(f"site {name!r} not found", file=str(workspace),
                    fix="choose one of: " + (", ".join(sites.index) or "(no sites saved)"))])
    row = sites.loc[[name]]
    return gpd.GeoDataFrame({"name": [name]}, geometry=row.geometry.to_numpy(), crs=CRS_STORE)


def run_profile(args: argparse.Namespace) -> int:
    """Build the profile, write the HTML for the role, audit it; return 0."""
    from geosoc.demo import load_demo
    from geosoc.profile import build_profile
    from geosoc.report import ReportInputs, export_profile

    role = as_role(args.role)
    if args.workspace is not None and not args.purpose:
        raise GeosocError("an export needs a stated purpose", [
            Problem("--purpose is missing", column="--purpose",
                    fix='say why, e.g. --purpose "multi-agency launch, 3 March"')])
    town = load_demo()
    site = gpd.GeoDataFrame({"name": [town.site.name]}, geometry=[town.site.geometry],
                            crs=CRS_STORE)
    assets = town.assets
    if args.workspace is not None:
        from geosoc.workspace import Workspace

        if args.site:
            site = _site_from_workspace(args.workspace, args.site)
        with Workspace.open(args.workspace, create=False) as ws:
            register = ws.assets.frame()
        if len(register):
            assets = register
    profile = build_profile(town.incidents, {"ward": town.wards, "lsoa": town.lsoas},
                            resolution=args.resolution, lisa_permutations=999)
    inputs = ReportInputs(title=args.title or f"{town.manifest.name}: locality profile",
                          site=site, assets=assets, incidents=town.incidents, demo=True)
    path = export_profile(profile, role=role, out=args.out, inputs=inputs)
    if args.workspace is not None:
        from geosoc.workspace import Workspace

        with Workspace.open(args.workspace, create=False) as ws:
            ws.record(who=args.user, role=str(role), action="export.profile",
                      target=f"export:{path.name}", purpose=args.purpose,
                      details={"marking": PROTECTIVE_MARKING[role], "bytes": path.stat().st_size})
    summary = {"out": str(path), "role": str(role), "marking": PROTECTIVE_MARKING[role],
               "bytes": path.stat().st_size, "audited": args.workspace is not None}
    print(json.dumps(summary, indent=2) if args.json else
          f"wrote {path} ({summary['bytes']:,} bytes, {summary['marking']}, for {role})")
    return 0
