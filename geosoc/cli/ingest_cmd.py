"""``geosoc ingest PATH --kind ...``: read a file, print what was read (or the error).

With ``--workspace W --name NAME`` a successful ingest is stored in the workspace
(:func:`geosoc.workspace.dataset_store.store_dataset`); a rejected file stores nothing and leaves
the workspace, its dataset folder and its audit log exactly as they were. Incidents are
stored with their harm cube (:func:`geosoc.engine.stored.stored_harm_cube`), and partitioned
by month with ``--partitioned`` or when over 2,000,000 rows (``--no-partition``: one file).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from geosoc.cli import SUBCOMMANDS
from geosoc.errors import ConfigError, Problem

if TYPE_CHECKING:  # the readers (pandas, GDAL) are imported once the input passed precheck
    from geosoc.ingest import Ingested

KINDS = ("policeuk", "points", "counts", "boundaries", "postcodes", "imd", "population")
#: :data:`geosoc.schema.AREA_KINDS` (not imported here: ``geosoc.schema`` loads geopandas,
#: and a refused ingest should answer at once; a test keeps the two equal).
AREA_KINDS = ("ward", "lsoa", "lad", "postcode_sector", "postcode_district", "site", "custom")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "ingest", help=SUBCOMMANDS["ingest"],
        description="Read a police.uk, partner, boundary, postcode, counts or IMD file and "
        "report rows read, kept and dropped. Exit code 2 and a list of problems (file, row, "
        "column, fix) when the file cannot be used.")
    parser.add_argument("path", help="file, folder or .zip to read")
    parser.add_argument("--kind", required=True, choices=KINDS, help="what the file holds")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 2, nothing stored) when more than --max-drop of the "
                             "rows are dropped")
    parser.add_argument("--max-drop", type=float, default=0.05, metavar="SHARE",
                        help="share of rows dropped that warns (default 0.05)")
    store = parser.add_argument_group("keep the data in a workspace")
    store.add_argument("--workspace", type=Path, help="workspace to store the dataset in")
    store.add_argument("--name", help="dataset name in the workspace (e.g. police, wards)")
    store.add_argument("--user", default=None,
                       help="who stores it (default: $GEOSOC_USER/login; analysts only)")
    store.add_argument("--replace", action="store_true",
                       help="replace a stored dataset of the same name")
    split = store.add_mutually_exclusive_group()
    split.add_argument("--partitioned", action="store_true", default=None,
                       help="policeuk/points: store one Parquet file per month in a folder "
                            "(fast to load, months read on their own); incidents over "
                            "2,000,000 rows are stored so without this flag")
    split.add_argument("--no-partition", dest="partitioned", action="store_false", default=None,
                       help="store the incidents as one file, however many rows")
    from geosoc.cli.datasets_cmd import add_sharing_flags

    add_sharing_flags(parser.add_argument_group(
        "data-sharing record (with --workspace; all but --dpia/--sharing-notes together)"))
    layout = parser.add_argument_group("file layout")
    layout.add_argument("--delimiter", metavar="CHAR",
                        help="field delimiter: tab, comma, semicolon, pipe or one character "
                             "(default: comma, or tab when the header is tab-separated)")
    layout.add_argument("--sheet", help=".xlsx workbooks: the sheet to read (default: the "
                                        "sheet whose header names the needed columns)")
    points = parser.add_argument_group(
        "column mapping (points; policeuk: --id --date --lon --lat --category --lsoa; counts: "
        "--area-code --area-name --date --category --count)")
    for name in ("lon", "lat", "easting", "northing", "postcode", "date", "category", "id",
                 "lsoa"):
        points.add_argument(f"--{name}", metavar="COLUMN", help=f"column holding the {name}")
    for name in ("area-code", "area-name", "count"):
        points.add_argument(f"--{name}", metavar="COLUMN",
                            help=f"counts: column holding the {name.replace('-', ' ')}")
    points.add_argument("--crime-type", metavar="TYPE",
                        help="policeuk: an extract without a crime type column; the one "
                             "police.uk crime type of every row (e.g. 'Anti-social behaviour')")
    points.add_argument("--date-format", help="strftime format of --date (e.g. %%d/%%m/%%Y)")
    points.add_argument("--category-value", help="fixed category for every row")
    points.add_argument("--source", default=None,
                        help="source name (points: required, e.g. council_asb; counts: "
                        "default police)")
    points.add_argument("--postcodes", metavar="PATH",
                        help="postcode file/folder for postcode-located points")
    parser.add_argument("--area-kind", default="ward", choices=AREA_KINDS,
                        help="boundaries: what the areas are (default ward)")
    parser.add_argument("--code-field", metavar="FIELD",
                        help="boundaries: attribute holding the area code (default: detected, "
                             "e.g. WD22CD)")
    parser.add_argument("--name-field", metavar="FIELD",
                        help="boundaries: attribute holding the area name (default: detected)")
    parser.add_argument("--population", metavar="PATH",
                        help="imd: LSOA population file (ONS .xlsx or CSV) to join")
    parser.add_argument("--level", choices=("lsoa", "ward"),
                        help="population: which areas the file holds (default: detected)")
    parser.add_argument("--within", metavar="BOUNDARIES",
                        help="points: refuse a file whose points mostly fall outside these "
                             "boundaries (catches swapped eastings/northings); default: the "
                             "wards stored in --workspace, when any")
    parser.set_defaults(func=run)


def _unused_flags(args: argparse.Namespace) -> None:
    """Refuse mapping flags the chosen --kind does not read (never ignore a flag silently)."""
    used = {"points": {"lon", "lat", "easting", "northing", "postcode", "date", "category",
                       "id", "date_format", "category_value", "source", "postcodes", "within"},
            "policeuk": {"id", "date", "lon", "lat", "category", "lsoa", "crime_type"},
            "counts": {"area_code", "area_name", "date", "category", "count", "source"},
            "boundaries": {"code_field", "name_field"},
            "imd": {"population"}, "postcodes": set(), "population": {"level"}}[args.kind]
    every = {"lon", "lat", "easting", "northing", "postcode", "date", "category", "id",
             "date_format", "category_value", "source", "postcodes", "lsoa", "area_code",
             "area_name", "count", "code_field", "name_field", "population", "within",
             "level", "crime_type"}
    wasted = sorted(f"--{n.replace('_', '-')}" for n in every - used if getattr(args, n, None))
    if wasted:
        raise ConfigError(f"{', '.join(wasted)} not used with --kind {args.kind}", [Problem(
            f"--kind {args.kind} does not read {', '.join(wasted)}", column=wasted[0],
            fix="remove the flag, or choose the --kind that reads it (see geosoc ingest -h)")])


def _within(args: argparse.Namespace) -> tuple[float, float, float, float] | None:
    """Bounds (lon/lat) of --within boundaries, or of the workspace's stored wards."""
    if args.within:
        import geopandas as gpd

        from geosoc.ingest.vector import check_vector_file
        from geosoc.schema import CRS_STORE

        check_vector_file(Path(args.within))  # allow-listed formats only
        frame = gpd.read_file(args.within, engine="pyogrio")
        return tuple(frame.to_crs(CRS_STORE).total_bounds)
    if args.workspace is not None and args.workspace.is_file():
        from geosoc.workspace import Workspace
        from geosoc.workspace.dataset_store import load_areas

        with Workspace.open(args.workspace, create=False) as ws:
            wards = load_areas(ws, "ward", required=False)
        if wards is not None and len(wards):
            return tuple(wards.total_bounds)
    return None


def _read(args: argparse.Namespace) -> Ingested:
    from geosoc import ingest
    from geosoc.ingest.sniff import parse_delimiter

    delimiter = parse_delimiter(args.delimiter)
    if args.kind == "points":
        missing = [f"--{n}" for n in ("date", "source") if not getattr(args, n)]
        if missing:
            raise ConfigError("points need " + " and ".join(missing), [Problem(
                f"{' and '.join(missing)} not given", file=args.path,
                fix="e.g. --date Date --source council_asb --category Type "
                "--easting Easting --northing Northing")])
        if not args.category and not args.category_value:
            raise ConfigError("points need a category", [Problem(
                "neither --category nor --category-value given", file=args.path,
                fix="name the category column (e.g. --category Type), or give one category "
                "for every row (e.g. --category-value 'Deliberate fire')")])
        if args.postcode and not args.postcodes:
            raise ConfigError("postcode-located points need a postcode file", [Problem(
                f"--postcode {args.postcode} given without --postcodes", file=args.path,
                fix="add --postcodes PATH (a Code-Point Open folder or a postcode CSV), "
                "or locate the points with --lon/--lat or --easting/--northing")])
        mapping = ingest.PointMapping(
            date=args.date, date_format=args.date_format, id=args.id, category=args.category,
            category_value=args.category_value, lon=args.lon, lat=args.lat,
            easting=args.easting, northing=args.northing, postcode=args.postcode)
        postcodes = ingest.read_postcodes(args.postcodes).data if args.postcodes else None
        return ingest.read_points(args.path, mapping, source=args.source,
                                  postcodes=postcodes, delimiter=delimiter, sheet=args.sheet,
                                  bounds=_within(args))
    if args.kind == "counts":
        mapping = {k: getattr(args, a) for k, a in (
            ("area_code", "area_code"), ("area_name", "area_name"), ("month", "date"),
            ("category", "category"), ("count", "count")) if getattr(args, a)}
        return ingest.read_area_counts(args.path, source=args.source or "police",
                                       mapping=mapping or None, delimiter=delimiter,
                                       sheet=args.sheet)
    if args.kind == "boundaries":
        return ingest.read_boundaries(args.path, kind=args.area_kind,
                                      code_field=args.code_field, name_field=args.name_field)
    if args.kind == "policeuk":
        columns = {k: getattr(args, k) for k in ("id", "date", "lon", "lat", "category",
                                                 "lsoa") if getattr(args, k)}
        return ingest.read_policeuk(args.path, columns=columns, delimiter=delimiter,
                                    crime_type=args.crime_type)
    if args.kind == "imd":
        return ingest.read_imd(args.path, delimiter=delimiter, sheet=args.sheet,
                               population=args.population)
    if args.kind == "population":
        return ingest.read_population(args.path, level=args.level, sheet=args.sheet,
                                      delimiter=delimiter)
    return ingest.read_postcodes(args.path)


def _check_store_args(args: argparse.Namespace) -> object | None:
    """Refuse inconsistent store flags; return the sharing record the flags give (or None)."""
    from geosoc.cli.datasets_cmd import sharing_from_args

    sharing = sharing_from_args(args)  # checked before the (long) read
    if sharing is not None and args.workspace is None:
        raise ConfigError("a sharing record needs --workspace", [Problem(
            "sharing flags given without --workspace/--name", column="--workspace",
            fix="add --workspace W --name NAME, or drop the sharing flags")])
    if args.partitioned is not None and args.kind not in ("policeuk", "points"):
        flag = "--partitioned" if args.partitioned else "--no-partition"
        raise ConfigError(f"{flag} is for incidents", [Problem(
            f"--kind {args.kind} is never stored partitioned", column=flag,
            fix=f"drop {flag}")])
    if args.partitioned is not None and args.workspace is None:
        raise ConfigError("--partitioned/--no-partition need --workspace", [Problem(
            "nothing is stored without --workspace", column="--workspace",
            fix="add --workspace W --name NAME")])
    if (args.workspace is None) != (args.name is None):
        given, missing = ("--workspace", "--name") if args.name is None else ("--name",
                                                                            "--workspace")
        raise ConfigError(f"{given} needs {missing}", [Problem(
            f"{missing} not given", column=missing,
            fix="pass both, e.g. --workspace chb.sqlite --name police")])
    if args.workspace is not None and args.workspace.is_file() and not args.replace:
        from geosoc.workspace import Workspace

        with Workspace.open(args.workspace, create=False) as ws:  # before a long read
            taken = args.name in set(ws.datasets.list()["name"])
        if taken:
            raise ConfigError(f"dataset {args.name!r} already exists", [Problem(
                f"{args.workspace} already holds a dataset named {args.name!r}",
                column="--name", fix="choose another --name, or add --replace")])
    return sharing


def _store(args: argparse.Namespace, result: Ingested, sharing: object | None = None
           ) -> dict[str, object]:
    """Store a successful ingest in the workspace; return its record (without the report)."""
    from geosoc.cli.assets_cmd import acting_user
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import KIND_BY_READER, store_dataset

    kind = KIND_BY_READER[args.kind]
    with Workspace.open(args.workspace) as ws:
        user, role = acting_user(ws, args.user)
        cube = None
        if kind == "incidents":  # the cube beside the points, located in the boundaries
            from geosoc.engine.stored import CUBE_AREA_KINDS, stored_cube_builder
            from geosoc.workspace.dataset_store import load_areas

            cube = stored_cube_builder({k: load_areas(ws, k, required=False)
                                        for k in CUBE_AREA_KINDS})
        record = store_dataset(ws, result, name=args.name, kind=kind, user=user, role=role,
                               source=str(args.path), replace=args.replace, sharing=sharing,
                               partitioned=args.partitioned, cube=cube)
        release = _release(ws, user, role) if kind in ("incidents", "boundaries") else None
    meta = record["metadata"]
    return {**{k: record[k] for k in ("name", "kind", "rows", "sha256", "path", "loaded_by")},
            "partitioned": bool(meta.get("partitioned")), "parts": len(meta.get("parts", [])),
            "cube_rows": meta["cube"]["rows"] if "cube" in meta else None,
            "release": release}


def _release(ws: object, user: str, role: str) -> str | None:
    """Make (or find) the disclosure release of the workspace's data as it now stands.

    Partners and the public see only values of a release; a new one is made when the data
    change and earlier ones are kept (:mod:`geosoc.workspace.release_making`). Returns its
    id, or None while the workspace has no incidents or no ward boundaries yet.
    """
    from geosoc.engine.stored import CUBE_AREA_KINDS
    from geosoc.errors import GeosocError
    from geosoc.harm import apply_harm_weights
    from geosoc.workspace.dataset_store import load_areas, load_incidents
    from geosoc.workspace.release_making import ensure_release

    areas = {k: a for k in CUBE_AREA_KINDS
             if (a := load_areas(ws, k, required=False)) is not None and len(a)}
    if "ward" not in areas:
        return None
    try:
        incidents = load_incidents(ws, role="analyst")
    except GeosocError:  # boundaries stored before any incidents: nothing to release yet
        return None
    if incidents.empty:
        return None
    if "harm" not in incidents.columns:
        incidents = apply_harm_weights(incidents)
    found = ensure_release(ws, incidents, areas, user=user, role=role)
    return str(found.get("release_id", found.get("id", "")))


def _population_gaps(args: argparse.Namespace, result: Ingested) -> None:
    """Warn (stderr and a report note) when stored areas have no population in the file."""
    if args.workspace is None or not args.workspace.is_file():
        return
    import sys

    from geosoc.ingest.population import population_gaps
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import load_areas

    with Workspace.open(args.workspace, create=False) as ws:
        layers = {k: load_areas(ws, k, required=False) for k in ("ward", "lsoa")}
    for kind, areas in layers.items():
        gap = None if areas is None else population_gaps(result.data, areas, kind)
        if gap:
            result.report.note(gap)
            print(f"warning: {gap}", file=sys.stderr, flush=True)


def _check_drops(args: argparse.Namespace, result: Ingested) -> None:
    """Warn loudly on stderr above --max-drop rows dropped; refuse with --strict."""
    import sys

    from geosoc.ingest.accounting import RowAccount

    account = RowAccount()
    account.add_report(result.report)
    warning = account.warning(args.max_drop)
    if warning:
        print(f"\n{'!' * 72}\n{warning}\n{'!' * 72}\n", file=sys.stderr, flush=True)
    account.enforce(args.strict, args.max_drop)


def run(args: argparse.Namespace) -> int:
    """Read ``args.path`` as ``args.kind``, store it if asked, print the report; return 0."""
    if args.workspace is not None:  # refuse before reading: only analysts store data
        from geosoc.workspace.acting import require_analyst

        require_analyst(args.workspace, args.user, "store datasets")
    from geosoc.ingest.sniff import parse_delimiter, precheck

    _unused_flags(args)
    parse_delimiter(args.delimiter)
    precheck(args.path)  # a missing, empty or binary file is refused before pandas loads
    sharing = _check_store_args(args)
    result = _read(args)  # a rejected file raises here, before the workspace is touched
    if args.kind == "population":
        _population_gaps(args, result)
    _check_drops(args, result)
    stored = _store(args, result, sharing) if args.workspace is not None else None
    if args.json:
        print(json.dumps({"ok": True, "report": result.report.to_dict(), "stored": stored},
                         indent=2))
        return 0
    print(result.report.summary())
    if stored:
        how = (f", partitioned into {stored['parts']} monthly files"
               + (" (over 2,000,000 rows)" if args.partitioned is None else "")
               if stored["partitioned"] else "")
        cube = (f"; harm cube of {stored['cube_rows']:,} rows stored beside it"
                if stored["cube_rows"] is not None else "")
        print(f"stored {stored['rows']:,} rows as {stored['kind']} dataset "
              f"{stored['name']!r} in {args.workspace}{how}{cube}")
        if stored.get("release"):
            print(f"partners and the public now see release {stored['release']} "
                  "(made once for this data; earlier releases are kept)")
    return 0
