"""``geosoc export profile``: the locality profile as one standalone, printable HTML file.

The fictional demo town is used only with ``--demo``. With a workspace, the profile is built
from the datasets stored in it (:func:`geosoc.workspace.study.load_study`: incidents, wards and
LSOAs), the CHB site (``--site``) and the community asset register come from it, and the
export is written to its audit log with the stated purpose (DPA 2018 s62). ``--demo`` builds
the demo town's profile while still auditing the export in the workspace.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

if TYPE_CHECKING:
    import pandas as pd

    from geosoc.hotspots.profile import LocalityProfile
    from geosoc.ingest.accounting import RowAccount

from geosoc.cli import SUBCOMMANDS
from geosoc.cli.partner_args import partner_counts_for
from geosoc.disclosure.rules import PROTECTIVE_MARKING, as_role
from geosoc.errors import AccessDeniedError, GeosocError, Problem
from geosoc.schema import CRS_STORE


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc export profile`` to the top-level parser."""
    parser = subparsers.add_parser(
        "export", help=SUBCOMMANDS["export"])
    sub = parser.add_subparsers(dest="export_what", required=True, metavar="WHAT")
    profile = sub.add_parser("profile", help="standalone HTML locality profile (A4 landscape)")
    profile.add_argument("--role", choices=("analyst", "partner", "public"), required=True,
                         help="who the file is for: decides disclosure and marking")
    profile.add_argument("--out", type=Path, required=True, help="the .html file to write")
    profile.add_argument("--workspace", type=Path, help="workspace with the site and assets")
    profile.add_argument("--site", help="CHB site name in the workspace")
    profile.add_argument("--demo", action="store_true",
                         help="profile the fictional demo town (with --workspace: audited there)")
    profile.add_argument("--user", default=None,
                         help="who exports (for the audit log; default $GEOSOC_USER or login)")
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


@dataclass(frozen=True)
class ProfileData:
    """What a profile export is built from: a place name, areas, incidents, site, assets."""

    name: str
    areas: dict[str, gpd.GeoDataFrame]
    incidents: gpd.GeoDataFrame
    site: gpd.GeoDataFrame | None
    assets: gpd.GeoDataFrame
    partner: object | None = None  # PartnerCounts of the study (launch pack sections)
    owners: dict[str, str] | None = None
    population: pd.DataFrame | None = None


def _demo_data(role: str) -> ProfileData:
    """Return the demo town's areas, incidents ``role`` may see, site and assets."""
    from geosoc.synth.demo import load_demo
    from geosoc.workspace.sharing import restrict_by_source

    town = load_demo()
    site = gpd.GeoDataFrame({"name": [town.site.name]}, geometry=[town.site.geometry],
                            crs=CRS_STORE)
    incidents = town.incidents
    owners = None
    if town.sharing is not None:  # the demo's analyst-only A&E data stays with analysts
        incidents = restrict_by_source(incidents, town.sharing, role).reset_index(drop=True)
        owners = dict(zip(town.sharing["dataset"], town.sharing["owner_agency"], strict=True))
    return ProfileData(town.manifest.name, {"ward": town.wards, "lsoa": town.lsoas},
                       incidents, site, town.assets,
                       partner_counts_for(town, argparse.Namespace(), role=role), owners,
                       town.population)


def _workspace_data(workspace: Path, site_name: str | None, role: str) -> ProfileData:
    """Return the stored areas and incidents ``role`` may see, chosen site and asset register.

    A dataset whose sharing record limits it to a narrower role than the export's audience
    is not loaded at all (:func:`geosoc.workspace.study.load_study`).
    """
    from geosoc.workspace import Workspace
    from geosoc.workspace.study import load_study

    with Workspace.open(workspace, create=False) as ws:
        study = load_study(ws, role=role)
    areas = {"ward": study.wards}
    if study.lsoas is not None:
        areas["lsoa"] = study.lsoas
    site = _site_from_workspace(workspace, site_name) if site_name else None
    return ProfileData(workspace.stem, areas, study.incidents, site, study.assets,
                       partner_counts_for(study, argparse.Namespace(), role=role),
                       study.owners, study.population)


def _require_export_role(workspace: Path, username: str, wanted: str) -> None:
    """Refuse an export for a wider audience than the registered user's own role.

    A partner may export for partners or the public, a public user only for the public;
    once the workspace has users an unregistered name is refused
    (:mod:`geosoc.workspace.acting`).
    """
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace
    from geosoc.workspace.roles import ROLES

    with Workspace.open(workspace, create=False) as ws:
        _, own = acting_user(ws, username)
    if ROLES.index(own) > ROLES.index(wanted):
        allowed = ", ".join(ROLES[ROLES.index(own):])
        raise AccessDeniedError(f"role '{own}' may not export for the {wanted} role", [Problem(
            f"user '{username}' is registered as {own}", column="--role",
            fix=f"export with --role {allowed}, or ask an analyst to export this")])


def _title(args: argparse.Namespace, name: str, demo: bool) -> str:
    """Report title: the demo marking, else the study name stored in the workspace."""
    if demo:
        return f"DEMO — fictional data: {name} locality profile"
    from geosoc.workspace import Workspace
    from geosoc.workspace.study_name import study_title

    with Workspace.open(args.workspace, create=False) as ws:
        return study_title(ws)


def _row_account(incidents: pd.DataFrame, profile: LocalityProfile) -> RowAccount:
    """Rows read and left out by the profile behind the export (warns loudly on stderr)."""
    import sys

    from geosoc.cli.profile_cmd import profile_account
    from geosoc.ingest.accounting import RowAccount

    account = RowAccount(rows_read=len(incidents))
    profile_account(account, profile)
    warning = account.warning()
    if warning:
        print(f"\n{'!' * 72}\n{warning}\n{'!' * 72}\n", file=sys.stderr, flush=True)
    return account


def run_profile(args: argparse.Namespace) -> int:
    """Build the profile, write the HTML for the role, audit it; return 0."""
    from geosoc.hotspots.profile import build_profile
    from geosoc.report.profile_report import ReportInputs, export_profile, render_profile_report

    role = as_role(args.role)
    if args.workspace is not None and not args.purpose:
        raise GeosocError("an export needs a stated purpose", [
            Problem("--purpose is missing", column="--purpose",
                    fix='say why, e.g. --purpose "multi-agency launch, 3 March"')])
    if args.workspace is not None:
        from geosoc.cli.assets_cmd import acting_user
        from geosoc.workspace import Workspace

        with Workspace.open(args.workspace, create=False) as ws:
            args.user, own_role = acting_user(ws, args.user)
        _require_export_role(args.workspace, args.user, str(role))
    if args.workspace is None and not args.demo:
        raise GeosocError("no data given: geosoc does not fall back to the demo town", [
            Problem("neither --workspace nor --demo was given", column="--workspace",
                    fix="pass --workspace W --purpose WHY (datasets stored with geosoc ingest)"
                        ", or --demo for the fictional demo town")])
    demo = args.demo
    data = _demo_data(str(role)) if demo else _workspace_data(args.workspace, args.site, str(role))
    if demo and args.workspace is not None:
        from geosoc.workspace import Workspace

        site = _site_from_workspace(args.workspace, args.site) if args.site else data.site
        with Workspace.open(args.workspace, create=False) as ws:
            register = ws.assets.frame()
        data = replace(data, site=site, assets=register if len(register) else data.assets)
    profile = build_profile(data.incidents, data.areas, resolution=args.resolution,
                            lisa_permutations=999)
    account = _row_account(data.incidents, profile)
    from geosoc.cli.pack_base_args import configured_pack_base

    bounds = tuple(float(v) for v in data.areas["ward"].total_bounds)
    inputs = ReportInputs(title=args.title or _title(args, data.name, demo),
                          site=data.site, assets=data.assets, incidents=data.incidents,
                          demo=demo, partner_counts=data.partner, owners=data.owners,
                          population=data.population,
                          base=configured_pack_base(bounds, demo=demo))
    if args.workspace is None:
        path = export_profile(profile, role=role, out=args.out, inputs=inputs)
    else:  # written to a temporary name, audited (with the chain head inside), then renamed
        from geosoc.workspace import Workspace

        document = render_profile_report(profile, role=role, inputs=inputs)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with Workspace.open(args.workspace, create=False) as ws:
            path = ws.export(
                args.out,
                lambda temp, anchor: temp.write_text(f"{document}\n<!-- {anchor} -->\n",
                                                     encoding="utf-8"),
                who=args.user, role=own_role, action="export.profile", purpose=args.purpose,
                details={"for_role": str(role), "marking": PROTECTIVE_MARKING[role],
                         "data": "demo" if demo else "workspace"})
    summary = {"out": str(path), "role": str(role), "marking": PROTECTIVE_MARKING[role],
               "bytes": path.stat().st_size, "audited": args.workspace is not None,
               "data": "demo" if demo else "workspace", "rows": account.to_dict()}
    if not args.json:
        print(account.sentence())
    print(json.dumps(summary, indent=2) if args.json else
          f"wrote {path} ({summary['bytes']:,} bytes, {summary['marking']}, for {role})")
    return 0
