"""``geosoc profile``: build the FB4 locality profile and write it to a folder.

Reads police.uk folders/files, a workspace's stored datasets (``--workspace``) or, only when
asked with ``--demo``, the fictional demo town; boundary files given with ``--areas`` are
always used (added to, or replacing, the workspace's or demo's layers of the same kind).
Applies harm weights, aggregates to a zero-filled H3 cover and to each area layer, runs Gi*,
Local Moran and emerging hot spots, and writes:

- ``profile.gpkg`` (layers ``cells`` and one per area kind) or ``cells.parquet`` and
  ``areas_<kind>.parquet`` (GeoParquet), all EPSG:4326;
- CSV copies without geometry (formulas neutralised), ``monthly.csv``,
  ``hotspot_counts.csv``, ``emerging.csv``, ``lorenz.csv``;
- ``drops.csv``: rows read, dropped by stage and reason, kept;
- ``summary.json`` with the headline figures, the row account, what each table counts and
  the protective marking (``DEMO — fictional data`` for the demo town).

Rows read, kept and dropped are printed; above ``--max-drop`` (5%) dropped a warning goes to
stderr, and ``--strict`` turns it into an error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from geosoc.cli import SUBCOMMANDS, month_arg
from geosoc.cli.partner_args import add_partner_flags
from geosoc.errors import ConfigError, Problem

if TYPE_CHECKING:  # the analysis modules are imported when the command runs, not for --help
    import geopandas as gpd
    import pandas as pd

    from geosoc.hotspots.profile import LocalityProfile
    from geosoc.ingest.accounting import RowAccount

#: Default ``--max-drop``: :data:`geosoc.ingest.accounting.WARN_SHARE` (not imported here, so
#: that ``geosoc profile --help`` loads no pandas; a test keeps the two equal).
WARN_SHARE = 0.05
#: Protective marking of analyst outputs.
MARKING = "OFFICIAL-SENSITIVE"
#: Marking of every output built from the fictional demo town.
DEMO_MARKING = "DEMO — fictional data"
def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``profile`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "profile", help=SUBCOMMANDS["profile"],
        description="Harm-weighted hotspots (Gi* with FDR, Local Moran), emerging hot spots "
        "and concentration for police.uk data, a workspace, or (--demo) the demo town.")
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="police.uk street CSV files, month folders or .zip archives")
    add_data_flags(parser)
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
    parser.add_argument("--user", default=None,
                        help="who runs it (default $GEOSOC_USER or login): a workspace's "
                             "partner or public user gets disclosed outputs; audited")
    parser.add_argument("--purpose", default="locality profile (geosoc profile)",
                        help="why (recorded in the workspace's audit log)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--engine", choices=("memory", "dask"), default="memory",
                        help="memory (default): this process; dask: reduce each partition "
                             "of a Parquet/GeoParquet dataset (INPUT folders of *.parquet) "
                             "or of the police.uk files on a dask.distributed cluster; "
                             "identical results")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="--engine dask: scheduler address (tcp://host:8786); default "
                             "a LocalCluster on this machine")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="--engine dask: LocalCluster worker processes (default 2)")
    add_partner_flags(parser)
    parser.set_defaults(func=run)


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """Add the flags shared by the commands that read police.uk files and boundaries."""
    parser.add_argument("--areas", action="append", default=[], metavar="KIND=PATH",
                        help="area boundaries, e.g. ward=wards.gpkg (repeatable); always used")
    parser.add_argument("--code-field", action="append", default=[], metavar="[KIND=]FIELD",
                        help="attribute holding the area code when not detected (e.g. "
                             "ward=ward_id; repeatable)")
    parser.add_argument("--name-field", action="append", default=[], metavar="[KIND=]FIELD",
                        help="attribute holding the area name when not detected")
    parser.add_argument("--delimiter", metavar="CHAR",
                        help="police.uk files: field delimiter (default comma, tab detected)")
    for name in ("id", "date", "lon", "lat", "category", "lsoa"):
        parser.add_argument(f"--{name}", metavar="COLUMN",
                            help=f"police.uk files: column holding the {name} when not named "
                                 "as police.uk names it")
    parser.add_argument("--crime-type", metavar="TYPE",
                        help="police.uk files without a crime type column (a reduced "
                             "extract): the one crime type of every row, e.g. "
                             "'Anti-social behaviour'")
    parser.add_argument("--workspace", type=Path,
                        help="use this workspace's stored datasets (police and partners)")
    parser.add_argument("--demo", action="store_true",
                        help="use the fictional demo town (outputs are marked DEMO)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 2) when more than --max-drop of the rows are dropped")
    parser.add_argument("--max-drop", type=float, default=WARN_SHARE, metavar="SHARE",
                        help=f"share of rows dropped that warns (default {WARN_SHARE})")


def _per_kind(values: list[str], flag: str) -> dict[str | None, str]:
    """Parse ``[KIND=]FIELD`` values into kind -> field (``None``: every kind)."""
    out: dict[str | None, str] = {}
    for value in values:
        kind, sep, name = value.partition("=")
        if not sep:
            kind, name = None, value
        if not name:
            raise ConfigError(f"bad {flag}", [Problem(f"{flag} {value!r} names no field",
                                                      column=flag, fix=f"e.g. {flag} ward=code")])
        out[kind] = name
    return out


def read_areas(args: argparse.Namespace) -> dict[str, gpd.GeoDataFrame]:
    """Read every ``--areas KIND=PATH`` with its ``--code-field``/``--name-field``."""
    from geosoc import ingest

    problems = [Problem(f"--areas {spec!r} is not KIND=PATH", column="--areas",
                        fix="e.g. --areas ward=wards.gpkg") for spec in args.areas
                if "=" not in spec]
    if problems:
        raise ConfigError("bad --areas option", problems)
    codes = _per_kind(args.code_field, "--code-field")
    names = _per_kind(args.name_field, "--name-field")
    areas = {}
    for spec in args.areas:
        kind, path = spec.split("=", 1)
        areas[kind] = ingest.read_boundaries(
            path, kind=kind, code_field=codes.get(kind, codes.get(None)),
            name_field=names.get(kind, names.get(None))).data
    return areas


def parquet_inputs(inputs: list[str]) -> bool:
    """Return True when every INPUT is a Parquet file or a folder holding Parquet files."""
    def is_parquet(text: str) -> bool:
        path = Path(text)
        if path.is_dir():
            return next(path.rglob("*.parquet"), None) is not None
        return path.suffix.lower() in (".parquet", ".geoparquet")

    return bool(inputs) and all(is_parquet(p) for p in inputs)


def load_data(args: argparse.Namespace, account: RowAccount, *, geometry: bool = True,
              role: str = "analyst"
              ) -> tuple[pd.DataFrame | None, dict[str, gpd.GeoDataFrame], dict[str, object]]:
    """Read the incidents and area layers; return them with a description of the data.

    From a workspace (and the demo town) only the datasets ``role`` may see are read (the
    widest-role rule of :mod:`geosoc.workspace.sharing`).

    The description holds ``demo`` (bool), ``title`` (the study name) and ``source``.
    ``account`` receives the rows read and the ingest drops. Parquet INPUTs are not read
    here (the engine reads them): the incidents are then ``None``. ``geometry=False`` reads
    police.uk files as plain lon/lat frames (no Point per incident).
    """
    import geopandas as gpd
    import pandas as pd

    from geosoc import ingest
    from geosoc.cli.profile_checks import check_sources

    check_sources(args)
    areas = read_areas(args)
    if args.workspace is not None:
        from geosoc.ingest.accounting import add_stored_reports
        from geosoc.workspace import Workspace
        from geosoc.workspace.study import load_study
        from geosoc.workspace.study_name import study_title

        with Workspace.open(args.workspace, create=False) as ws:
            study = load_study(ws, role=role)
            title = study_title(ws)
            add_stored_reports(account, stored_reports(ws), len(study.incidents))
        layers = {"ward": study.wards, "lsoa": study.lsoas}
        stored = {k: v for k, v in layers.items() if v is not None}
        return study.incidents, {**stored, **areas}, {"demo": False, "title": title,
                                                      "source": str(args.workspace),
                                                      "study": study,
                                                      "population": study.population,
                                                      "owners": study.owners}
    if args.demo:
        from geosoc.synth.demo import load_demo
        from geosoc.workspace.sharing import restrict_by_source

        town = load_demo()
        incidents = town.incidents
        if town.sharing is not None:  # the demo's analyst-only A&E data stays with analysts
            incidents = restrict_by_source(incidents, town.sharing, role).reset_index(drop=True)
        account.rows_read = len(incidents)
        account.notes.append("the fictional demo town (every row fictional)")
        layers = {"ward": town.wards, "lsoa": town.lsoas, **areas}
        owners = None if town.sharing is None else dict(
            zip(town.sharing["dataset"], town.sharing["owner_agency"], strict=True))
        return incidents, layers, {"demo": True, "source": "demo", "study": town,
                                   "title": f"{DEMO_MARKING}: {town.manifest.name}",
                                   "population": town.population, "owners": owners}
    if parquet_inputs(args.inputs):
        account.notes.append("Parquet dataset read by the engine (no police.uk checks)")
        return None, areas, {"demo": False, "title": None, "source": ", ".join(args.inputs)}
    from geosoc.ingest.sniff import parse_delimiter

    columns = {k: getattr(args, k) for k in ("id", "date", "lon", "lat", "category", "lsoa")
               if getattr(args, k)}
    delimiter = parse_delimiter(args.delimiter)
    frames = []
    for path in args.inputs:
        result = ingest.read_policeuk(path, columns=columns, delimiter=delimiter,
                                      geometry=geometry, crime_type=args.crime_type)
        account.add_report(result.report)
        frames.append(result.data)
    incidents = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if geometry:
        incidents = gpd.GeoDataFrame(incidents, crs=frames[0].crs)
    return incidents, areas, {"demo": False, "title": None, "source": ", ".join(args.inputs)}


def stored_reports(ws: object) -> list[dict[str, object]]:
    """Return the ingest reports kept with the workspace's stored incident datasets."""
    listed = ws.datasets.list()
    reports = []
    for name in listed.loc[listed["kind"] == "incidents", "name"]:
        meta = ws.datasets.get(name)["metadata"]
        if isinstance(meta, dict) and isinstance(meta.get("report"), dict):
            reports.append(meta["report"])
    return reports


def report_account(account: RowAccount, args: argparse.Namespace, *, quiet: bool) -> None:
    """Print the row account (stdout), warn loudly on stderr, enforce ``--strict``."""
    if not quiet:
        print(account.sentence())
    warning = account.warning(args.max_drop)
    if warning:
        print(f"\n{'!' * 72}\n{warning}\n{'!' * 72}\n", file=sys.stderr, flush=True)
    account.enforce(args.strict, args.max_drop)


def _text_progress(fraction: float, message: str) -> None:
    """Draw a progress bar on stderr: redrawn in place on a terminal, one line per step else."""
    filled = round(fraction * 20)
    bar = f"[{'#' * filled}{' ' * (20 - filled)}] {fraction:4.0%} {message:<50}"
    if sys.stderr.isatty():
        print("\r" + bar, end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
    else:
        print(bar.rstrip(), file=sys.stderr, flush=True)


def profile_account(account: RowAccount, profile: LocalityProfile) -> None:
    """Add the profile's own drops (months, categories, location, cover) to ``account``."""
    for reason, n in dict(profile.parameters.get("dropped", {})).items():
        account.drop("profile", reason, int(n))


def build(args: argparse.Namespace, incidents: pd.DataFrame | None,
          areas: dict[str, gpd.GeoDataFrame]) -> LocalityProfile:
    """Build the profile with the engine asked for (``--engine``), from frames or Parquet."""
    from geosoc.engine.profile_run import profile_from_source, profile_incidents

    options = {
        "resolution": args.resolution, "weights": str(args.weights) if args.weights else None,
        "scheme": args.scheme,
        "unknown": "error" if args.unknown_harm is None else args.unknown_harm,
        "months": (args.start, args.end) if args.start or args.end else None,
        "permutations": args.permutations, "seed": args.seed,
        "emerging_freq": None if args.emerging == "none" else args.emerging,
        "progress": None if args.json else _text_progress,
    }
    if args.engine == "memory" and incidents is not None:
        return profile_incidents(incidents, areas, **options)
    source = args.inputs if incidents is None else incidents
    return profile_from_source(source, areas, engine=args.engine, scheduler=args.scheduler,
                               n_workers=args.workers, **options)


def _import_analysis() -> None:
    """Import the analysis modules (libpysal, scipy.stats: seconds) ahead of their use.

    Run in a background thread while the input files are parsed (pyarrow's parser releases
    the GIL), so the imports overlap the reading instead of following it. A failing import
    is ignored here: it is raised again, with its traceback, where the module is used.
    """
    import importlib

    for name in ("geosoc.engine.profile_run", "geosoc.hotspots.local_stats",
                 "geosoc.hotspots.emerging", "geosoc.disclosure.derived"):
        try:
            importlib.import_module(name)
        except Exception:
            return


def run(args: argparse.Namespace) -> int:
    """Build the profile, write it to ``args.out`` and print a summary; return 0."""
    import threading

    if args.engine != "dask" and args.scheduler:
        raise ConfigError("--scheduler is for the dask engine", [Problem(
            f"--scheduler {args.scheduler} was given with --engine {args.engine}",
            column="--scheduler", fix="add --engine dask, or leave out --scheduler")])
    from geosoc.cli.profile_checks import check_sources

    check_sources(args)  # a refusal answers before the analysis modules load
    warm = threading.Thread(target=_import_analysis, name="geosoc-imports", daemon=True)
    warm.start()
    from geosoc.ingest.accounting import RowAccount
    from geosoc.workspace.acting import resolve_actor

    actor = resolve_actor(args.workspace, args.user)
    account = RowAccount()
    incidents, areas, data = load_data(args, account, geometry=False, role=actor.role)
    from geosoc.cli.profile_checks import nothing_kept

    if incidents is not None and len(incidents) == 0:
        raise nothing_kept(account)
    warm.join()
    from geosoc.cli.partner_outputs import partner_lines
    from geosoc.cli.profile_outputs import months_asked, partner_and_contribution, write_profile
    from geosoc.disclosure.derived import disclose_for
    from geosoc.harm import harm_unit

    profile = build(args, incidents, areas)
    if incidents is None:  # a Parquet dataset: every row was read by the engine
        account.rows_read = int(profile.parameters.get("incidents_in", 0))
    profile_account(account, profile)
    if int(profile.cells["count"].sum()) == 0:
        raise nothing_kept(account)
    report_account(account, args, quiet=args.json)
    keys = profile.keys
    profile, marking = disclose_for(profile, actor.role, incidents)
    from geosoc.aggregate.rates import areas_with_rates

    # rates per 1,000 residents from the (disclosed) area counts, when population is stored
    profile = replace(profile, areas=areas_with_rates(profile.areas, data.get("population")))
    if data["demo"]:
        marking = DEMO_MARKING
    title = data["title"] or "Locality profile"
    if keys is not None:
        unit = harm_unit(keys["category"], keys["source"], scheme=args.scheme)
    else:
        sources = incidents["source"] if "source" in incidents.columns else None
        unit = harm_unit(incidents["category"], sources, scheme=args.scheme)
    head = {"protective_marking": marking, "title": title, "demo": bool(data["demo"]),
            "data": data["source"], "harm_unit": unit, "role": actor.role}
    contribution, partner, partner_files = partner_and_contribution(
        args, incidents, areas, data, actor.role)
    if args.workspace is None:
        written = write_profile(profile, args.out, args.format, head, account,
                         contribution=contribution)
        written += partner_files(args.out)
    else:  # audited before the files are moved into place
        from geosoc.workspace import Workspace

        with Workspace.open(args.workspace, create=False) as ws:
            written = ws.export_folder(
                args.out, lambda temp, anchor: write_profile(profile, temp, args.format, head,
                                                      account, anchor, contribution)
                                               + partner_files(temp),
                who=actor.username, role=actor.role, action="export.profile_folder",
                purpose=args.purpose, details={"marking": marking, "role": actor.role})
    summary = {**head, **profile.summary(), "rows": account.to_dict(),
               "files": [str(p) for p in written]}
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    counts = profile.hotspot_counts
    print(f"{marking}\n{title}\nLocality profile: {len(profile.cells):,} H3 res "
          f"{profile.cells.attrs.get('h3_resolution', args.resolution)} cells, "
          f"{summary['incidents']:,} incidents, harm {summary['harm']:,.0f} {unit}")
    for kind, frame in profile.areas.items():
        print(f"  {kind}: {len(frame):,} areas holding "
              f"{profile.table_totals.get(f'areas_{kind}', 0):,} incidents")
    if profile.parameters.get("study_area"):
        print(f"  note: {profile.parameters['study_area']}")
    for line in partner_lines(partner, actor.role, months_asked(args, incidents)):
        print(line)
    print("Hotspot bins (units):\n" + counts.to_string())
    print(profile.concentration.sentence())
    print(f"Wrote {len(written)} files to {args.out}")
    return 0
