"""``geosoc profile``: build the FB4 locality profile and write it to a folder.

Reads police.uk folders/files (or the demo town when none are given), applies harm weights,
aggregates to a zero-filled H3 cover and to each area layer, runs Gi*, Local Moran and
emerging hot spots, and writes:

- ``profile.gpkg`` (layers ``cells`` and one per area kind) or ``cells.parquet`` and
  ``areas_<kind>.parquet`` (GeoParquet), all EPSG:4326;
- CSV copies without geometry (formulas neutralised), ``monthly.csv``,
  ``hotspot_counts.csv``, ``emerging.csv``, ``lorenz.csv``;
- ``summary.json`` with the headline figures and the protective marking.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc import ingest
from geosoc.assets.files import neutralise_formulas
from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.disclosure.derived import disclose_for
from geosoc.errors import ConfigError, Problem
from geosoc.hotspots.concentration import lorenz_curve
from geosoc.hotspots.profile import LocalityProfile, build_profile
from geosoc.workspace.acting import resolve_actor

#: Protective marking of analyst outputs.
MARKING = "OFFICIAL-SENSITIVE"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``profile`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "profile", help=SUBCOMMANDS["profile"],
        description="Harm-weighted hotspots (Gi* with FDR, Local Moran), emerging hot spots "
        "and concentration for police.uk data, or the demo town when no input is given.")
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="police.uk street CSV files, month folders or .zip archives")
    parser.add_argument("--areas", action="append", default=[], metavar="KIND=PATH",
                        help="area boundaries, e.g. ward=wards.geojson (repeatable)")
    parser.add_argument("--resolution", type=int, default=9, help="H3 resolution (default 9)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--format", choices=("gpkg", "parquet"), default="gpkg",
                        help="GeoPackage (default) or GeoParquet")
    parser.add_argument("--scheme", choices=("harm", "count", "log_harm"), default="harm")
    parser.add_argument("--weights", type=Path, help="harm weights CSV (default: built in)")
    parser.add_argument("--unknown-harm", type=float, metavar="DAYS",
                        help="harm weight for categories missing from the weights table "
                             "(default: stop and list them)")
    parser.add_argument("--from", dest="start", type=month_arg, help="first month YYYY-MM")
    parser.add_argument("--to", dest="end", type=month_arg, help="last month YYYY-MM")
    parser.add_argument("--permutations", type=int, default=0,
                        help="Gi* permutations (default 0: analytic p-values)")
    parser.add_argument("--emerging", choices=("M", "Q", "none"), default="M",
                        help="emerging hot spot periods: monthly, quarterly or none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workspace", type=Path,
                        help="profile this workspace's stored datasets (police and partners)")
    parser.add_argument("--user", default=None,
                        help="who runs it (default $GEOSOC_USER or login): a workspace's "
                             "partner or public user gets disclosed outputs; audited")
    parser.add_argument("--purpose", default="locality profile (geosoc profile)",
                        help="why (recorded in the workspace's audit log)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def _text_progress(fraction: float, message: str) -> None:
    """Draw a progress bar on stderr: redrawn in place on a terminal, one line per step else."""
    filled = round(fraction * 20)
    bar = f"[{'#' * filled}{' ' * (20 - filled)}] {fraction:4.0%} {message:<50}"
    if sys.stderr.isatty():
        print("\r" + bar, end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
    else:
        print(bar.rstrip(), file=sys.stderr, flush=True)


def _load(args: argparse.Namespace) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame]]:
    """Read the inputs and area layers, a workspace's stored datasets, or the demo town."""
    if args.workspace is not None:
        from geosoc.workspace import Workspace
        from geosoc.workspace.study import load_study

        if args.inputs:
            raise ConfigError("give input files or --workspace, not both", [Problem(
                "both INPUT files and --workspace were given", column="--workspace",
                fix="store the files first: geosoc ingest FILE --workspace W --name N")])
        with Workspace.open(args.workspace, create=False) as ws:
            study = load_study(ws)
        layers = {"ward": study.wards, "lsoa": study.lsoas}
        return study.incidents, {k: v for k, v in layers.items() if v is not None}
    if not args.inputs:
        from geosoc.synth.demo import load_demo

        town = load_demo()
        return town.incidents, {"ward": town.wards, "lsoa": town.lsoas}
    problems = [Problem(f"--areas {spec!r} is not KIND=PATH", fix="e.g. --areas ward=wards.json")
                for spec in args.areas if "=" not in spec]
    if problems:
        raise ConfigError("bad --areas option", problems)
    frames = [ingest.read_policeuk(path).data for path in args.inputs]
    incidents = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    areas = {}
    for spec in args.areas:
        kind, path = spec.split("=", 1)
        areas[kind] = ingest.read_boundaries(path, kind=kind).data
    return incidents, areas


def _write(profile: LocalityProfile, out: Path, fmt: str, marking: str = MARKING,
           anchor: str | None = None) -> list[Path]:
    """Write layers, CSVs and the summary; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    layers = {"cells": profile.cells, **{f"areas_{k}": v for k, v in profile.areas.items()}}
    written = []
    for name, frame in layers.items():
        if fmt == "gpkg":
            path = out / "profile.gpkg"
            frame.to_file(path, layer=name, driver="GPKG")
        else:
            path = out / f"{name}.parquet"
            frame.to_parquet(path)
        written.append(path)
        table = neutralise_formulas(pd.DataFrame(frame.drop(columns="geometry")).reset_index())
        table.to_csv(out / f"{name}.csv", index=False)  # the area-code index neutralised too
        written.append(out / f"{name}.csv")
    tables = {"monthly": profile.monthly, "hotspot_counts": profile.hotspot_counts,
              "lorenz": lorenz_curve(profile.cells["harm"].fillna(0.0))}
    if profile.emerging is not None:
        tables["emerging"] = profile.emerging
    for name, table in tables.items():
        keep_index = name != "monthly"
        frame = pd.DataFrame(table).reset_index() if keep_index else pd.DataFrame(table)
        neutralise_formulas(frame).to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    summary = {"protective_marking": marking, **profile.summary()}
    if anchor:
        summary["audit_anchor"] = anchor
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    written.append(out / "summary.json")
    return sorted(set(written))


def run(args: argparse.Namespace) -> int:
    """Build the profile, write it to ``args.out`` and print a summary; return 0."""
    actor = resolve_actor(args.workspace, args.user)
    incidents, areas = _load(args)
    months = None
    if args.start or args.end:
        months = (args.start or str(incidents["month"].min()),
                  args.end or str(incidents["month"].max()))
    profile = build_profile(
        incidents, areas, resolution=args.resolution,
        weights=str(args.weights) if args.weights else None, scheme=args.scheme,
        unknown="error" if args.unknown_harm is None else args.unknown_harm,
        months=months, permutations=args.permutations, seed=args.seed,
        emerging_freq=None if args.emerging == "none" else args.emerging,
        progress=None if args.json else _text_progress,
    )
    profile, marking = disclose_for(profile, actor.role, incidents)
    if args.workspace is None:
        written = _write(profile, args.out, args.format, marking)
    else:  # audited before the files are moved into place
        from geosoc.workspace import Workspace

        with Workspace.open(args.workspace, create=False) as ws:
            written = ws.export_folder(
                args.out, lambda temp, anchor: _write(profile, temp, args.format, marking,
                                                      anchor),
                who=actor.username, role=actor.role, action="export.profile_folder",
                purpose=args.purpose, details={"marking": marking, "role": actor.role})
    summary = {"protective_marking": marking, "role": actor.role, **profile.summary(),
               "files": [str(p) for p in written]}
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    counts = profile.hotspot_counts
    print(f"{marking}\nLocality profile: {len(profile.cells):,} H3 res "
          f"{profile.cells.attrs.get('h3_resolution', args.resolution)} "
          f"cells, {summary['incidents']:,} incidents, harm {summary['harm']:,.0f} days")
    for kind, frame in profile.areas.items():
        print(f"  {kind}: {len(frame):,} areas")
    print("Hotspot bins (units):\n" + counts.to_string())
    print(profile.concentration.sentence())
    print(f"Wrote {len(written)} files to {args.out}")
    return 0
