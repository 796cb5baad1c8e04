"""Read police.uk street-level crime CSVs into the incidents contract.

Decisions (documented for users in the report):

- Rows without coordinates ("No location") are dropped and counted as ``"no location"``.
- Anti-social behaviour rows (no Crime ID) are kept with ``incident_id == ""``.
- Points outside the UK box (``schema.UK_BOUNDS_LONLAT``) are **dropped and reported**, not
  errors: police.uk itself publishes them (it snaps anonymised locations to map points), so
  the user cannot fix the file. Points inside the UK but over 50 km from the median location
  are kept and mentioned in a note.
- A Crime ID repeated *within one monthly file* is normal police.uk output (one crime
  listed at several locations or with several outcomes): every row is kept and counted. A
  Crime ID listed in *another month* is normal too (police.uk re-lists some crimes in a
  later month): every row is kept as published, counted in the report and named in a note.
  Two files listing mostly the same Crime IDs for the same month, or two identical files,
  are an error: the same month was read twice (:mod:`geosoc.ingest.repeats`).
- Unknown crime types, a month read twice, unreadable coordinates, bad or future months
  are errors: they mean the file is not what it claims to be.
- When *most* located points fall outside the UK, the columns are mis-mapped (swapped, or
  metres in degree columns): that is an error naming the likely mix-up
  (:mod:`geosoc.ingest.coords`), not a drop.
- Reduced extracts are accepted: column names are matched ignoring case, spaces and
  underscores (``crime_type`` is ``Crime type``), any column can be named with a mapping
  (``--date``, ``--lon``, ``--lat``, ``--category``, ``--id``, ``--lsoa`` on the command
  line), ``Crime ID`` may be absent (every id then ``""``), crime types are matched ignoring
  case, and a tab-separated file is read as such. An extract without a crime type column
  (month, longitude, latitude, maybe location and LSOA code) names its one type for the
  whole file with ``crime_type=`` (``--crime-type "Anti-social behaviour"``).
- Files may be gzip or bzip2 compressed (``.csv.gz``, ``.csv.bz2``), inside a folder or zip
  too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.errors import (
    ConfigError,
    CRSError,
    GeosocError,
    InputFileError,
    Problem,
    SchemaError,
)
from geosoc.ingest.archives import local_input
from geosoc.ingest.checks import (
    FILE,
    ROW,
    future_months,
    numeric,
    outside_uk,
    parse_months,
    row_problems,
)
from geosoc.ingest.compressed import is_csv_name, plain_name, renamed
from geosoc.ingest.coords import coordinate_layout_problem, note_far_points
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.repeats import (
    OTHER_MONTH,
    SAME_FILE,
    SAME_MONTH,
    copied_files,
    id_repeats,
    identical_files,
    other_month_note,
)
from geosoc.ingest.report import Ingested, IngestReport

REQUIRED = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")
#: Mapping key (library) / CLI flag for each police.uk column that can be renamed.
MAPPABLE = {"id": "Crime ID", "date": "Month", "lon": "Longitude", "lat": "Latitude",
            "category": "Crime type", "lsoa": "LSOA code"}
_FLAG = {col: f"--{key}" for key, col in MAPPABLE.items()}
#: Other names a reduced extract commonly uses (compared lower-case, letters and digits only).
_ALIASES = {"Longitude": ("lon", "long", "lng"), "Latitude": ("lat",),
            "Month": ("date", "period"), "Crime type": ("category", "offence", "type"),
            "Crime ID": ("id", "crimeref", "reference"), "LSOA code": ("lsoa", "lsoa11cd",
                                                                        "lsoa21cd")}
_OPTIONAL = {
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Location": "location",
    "Last outcome category": "outcome",
}
_FILE_NUMBER = "_file_number"
#: police.uk columns not read by ``read_policeuk(..., geometry=False)`` (descriptive text
#: the analysis never uses; most of a file's bytes).
LEAN_SKIPPED = frozenset({"Reported by", "Falls within", "Location", "LSOA name",
                          "Last outcome category", "Context"})
#: Points further than this from the median location get a note (kept, not dropped).
FAR_AWAY_M = 50_000.0


def _csv_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Return the street CSVs under ``root`` and the other CSVs that were skipped."""
    if root.is_file():
        return [root], []
    every = sorted(p for p in root.rglob("*") if p.is_file() and is_csv_name(p))
    street = [p for p in every if plain_name(p).lower().endswith("-street.csv")]
    if street:
        return street, [p for p in every if p not in set(street)]
    return every, []


def _display(file: Path, root: Path, given: Path) -> str:
    """Name a file for messages: the path given, or ``archive.zip!member`` inside a zip."""
    if given.is_file() and given.suffix.lower() == ".zip":
        return f"{given}!{file.relative_to(root).as_posix()}"
    return str(file)


def _squash(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _standard_columns(frame: pd.DataFrame, file: Path, shown: str,
                      columns: Mapping[str, str], notes: list[str],
                      crime_type: str | None = None) -> pd.DataFrame:
    """Rename the file's columns to the police.uk names (mapping, then loose match).

    ``crime_type`` fills a missing ``Crime type`` column (a reduced extract of one type).
    """
    fields = [str(c) for c in frame.columns]
    loose = {_squash(f): f for f in fields}
    renames, problems = {}, []
    for std in (*REQUIRED, "LSOA code", *_OPTIONAL):
        key = next((k for k, v in MAPPABLE.items() if v == std), None)
        given = columns.get(key) if key else None
        if given is not None:
            if given not in fields:
                problems.append(Problem(
                    f"{_FLAG[std]} names column '{given}', which is not in the header; the "
                    "header has: " + ", ".join(f"'{f}'" for f in fields[:20]), file=shown,
                    row=1, column=_FLAG[std], fix=f"give {_FLAG[std]} one of the columns above"))
                continue
            found = given
        else:
            found = std if std in fields else next(
                (loose[a] for a in (_squash(std), *_ALIASES.get(std, ())) if a in loose), None)
        if found is not None and std == "Crime type" and crime_type is not None:
            problems.append(Problem(
                f"--crime-type '{crime_type}' was given but the file has a crime type column "
                f"'{found}'", file=shown, row=1, column=found,
                fix="drop --crime-type (the column is read), or give the column with "
                "--category"))
            continue
        if found is None:
            if std == "Crime type" and crime_type is not None:
                continue
            if std in REQUIRED and std != "Crime ID":
                flag = _FLAG.get(std)
                fix = (f"name the file's {std.lower()} column with {flag} (e.g. {flag} "
                       f"'{std.lower()}'), or rename it to '{std}'")
                if std == "Crime type":
                    fix = ("a reduced extract of one type: give it once for the file with "
                           "--crime-type (e.g. --crime-type 'Anti-social behaviour'; library: "
                           f"crime_type=...); or {fix}")
                problems.append(Problem(
                    f"required column '{std}' is missing; the header has: "
                    + ", ".join(f"'{f}'" for f in fields[:20]), file=shown, row=1, column=std,
                    fix=fix))
            continue
        if found != std:
            renames[found] = std
    if problems:
        raise SchemaError(f"{file.name}: {len(problems)} required column(s) missing", problems)
    if renames:
        notes.append(f"{file.name}: read columns " + ", ".join(
            f"'{a}' as '{b}'" for a, b in renames.items()))
    shadowed = [c for c in renames.values() if c in fields and c not in renames]
    out = frame.drop(columns=shadowed).rename(columns=renames)
    if "Crime ID" not in out.columns:
        out["Crime ID"] = ""
        notes.append(f"{file.name} has no Crime ID column: every incident id is blank")
    if "Crime type" not in out.columns:
        out["Crime type"] = crime_type
        notes.append(f"{file.name} has no crime type column: every row is '{crime_type}' "
                     "(--crime-type)")
    return out


def _read_all(files: Sequence[Path], root: Path, given: Path, notes: list[str],
              columns: Mapping[str, str], delimiter: str | None, lean: bool = False,
              crime_type: str | None = None) -> pd.DataFrame:
    skip = LEAN_SKIPPED - set(columns.values()) if lean else ()
    frames = []
    for number, file in enumerate(files):
        shown = _display(file, root, given)
        try:
            frame = read_csv_checked(file, notes=notes, delimiter=delimiter, skip=skip)
        except GeosocError as err:  # name archive members as archive.zip!member
            raise renamed(err, file, shown) from err
        frame = _standard_columns(frame, file, shown, columns, notes, crime_type)
        frame[FILE] = shown
        frame[_FILE_NUMBER] = number
        frame[ROW] = np.arange(2, len(frame) + 2)
        frames.append(frame)
    identical_files(files, [_display(f, root, given) for f in files])
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _problems(raw: pd.DataFrame, months: pd.Series, bad_month: np.ndarray,
              lon_bad: np.ndarray, lat_bad: np.ndarray) -> list[Problem]:
    problems = row_problems(
        raw, bad_month, column="Month", value_column="Month",
        message="month '{value}' is not in YYYY-MM form",
        fix="police.uk months look like 2024-01; re-download the file from data.police.uk",
    )
    problems += row_problems(
        raw, future_months(months), column="Month", value_column="Month",
        message="month '{value}' is in the future",
        fix="check the Month column; police.uk only publishes past months",
    )
    for col, bad in (("Longitude", lon_bad), ("Latitude", lat_bad)):
        problems += row_problems(
            raw, bad, column=col, value_column=col, message="'{value}' is not a number",
            fix=f"{col} must be decimal degrees such as -0.1062 or blank for no location",
        )
    types = raw["Crime type"]
    unknown = ~types.isin(schema.POLICEUK_CRIME_TYPES)
    if unknown.any():  # a reduced extract may change the case: match ignoring it
        canonical = {t.lower(): t for t in schema.POLICEUK_CRIME_TYPES}
        fixed = types.str.strip().str.lower().map(canonical)
        types = types.where(fixed.isna(), fixed)
        raw["Crime type"] = types
        unknown = ~types.isin(schema.POLICEUK_CRIME_TYPES)
    if unknown.any():
        valid = ", ".join(schema.POLICEUK_CRIME_TYPES)
        firsts = raw.loc[unknown].drop_duplicates("Crime type").head(25)
        counts = types[unknown].value_counts()
        problems += [
            Problem(f"unknown crime type '{t}' ({counts[t]:,} rows, first here)", file=f,
                    row=int(r), column="Crime type",
                    fix=f"use one of the 14 police.uk crime types: {valid}; for a force's "
                    "own categories read the file with --kind points --category COLUMN")
            for t, f, r in zip(firsts["Crime type"], firsts[FILE], firsts[ROW], strict=True)
        ]
    return problems


def _repeats(raw: pd.DataFrame, months: pd.Series, report: IngestReport) -> None:
    """Refuse a month read twice; count (and keep) Crime IDs repeated across months."""
    codes = np.asarray(months.array.asi8, dtype=np.int64)
    files = raw[_FILE_NUMBER].to_numpy(dtype=np.int64)
    flags = id_repeats(raw["Crime ID"], codes, files)
    twice = flags["same_month_other_file"]
    copied = twice & copied_files(twice, files, (raw["Crime ID"] != "").to_numpy())
    if copied.any():
        names = ", ".join(pd.unique(raw.loc[copied, FILE]))
        raise SchemaError(f"a month was read twice: these files list the same crimes for the "
                          f"same month: {names}", row_problems(
            raw, copied, column="Crime ID", value_column="Crime ID",
            message="Crime ID '{value}' is listed for the same month in another file too",
            fix="remove the duplicated file: police.uk publishes one street file per force "
            "and month, so the same month was read twice"))
    report.count(SAME_MONTH, int(twice.sum()))
    if twice.any():
        report.note(f"{int(twice.sum()):,} rows carry a Crime ID another file lists for the "
                    "same month (a few, as between two forces' files: kept)")
    report.count(SAME_FILE, int((flags["same_file"] & ~flags["other_month"]).sum()))
    other = flags["other_month"]
    report.count(OTHER_MONTH, int(other.sum()))
    if other.any():
        report.note(other_month_note(raw["Crime ID"], months, other))


def read_policeuk(path: str | Path, *, columns: Mapping[str, str] | None = None,
                  delimiter: str | None = None, geometry: bool = True,
                  crime_type: str | None = None) -> Ingested:
    """Read police.uk street-level crime (or a reduced extract of it) into incidents.

    Parameters
    ----------
    path : str or pathlib.Path
        One ``*-street.csv``, a folder tree of monthly ``YYYY-MM/YYYY-MM-<force>-street.csv``
        files (as unpacked from data.police.uk), or a ``.zip`` of them. Months are merged.
    columns : mapping of str to str, optional
        The file's column for ``"id"``, ``"date"`` (the month), ``"lon"``, ``"lat"``,
        ``"category"`` or ``"lsoa"`` when not named as police.uk names them (the CLI flags
        ``--id``, ``--date``, ``--lon``, ``--lat``, ``--category``, ``--lsoa``).
    delimiter : str, optional
        Field delimiter (default comma, or tab when the header is tab-separated).
    geometry : bool
        Build the Point geometry (default). ``False`` is the lean read for analysis: a plain
        DataFrame without geometry (a shapely Point per incident costs about 1 s per
        million rows) and without the descriptive columns of :data:`LEAN_SKIPPED`, which
        are not parsed (``location``, ``lsoa_name`` and ``outcome`` are left out).
    crime_type : str, optional
        The one police.uk crime type of every row, for an extract without a crime type
        column (CLI ``--crime-type``; matched ignoring case). An error when the file has
        the column.

    Returns
    -------
    Ingested
        ``data``: GeoDataFrame (RangeIndex) with ``incident_id`` (``""`` for ASB),
        ``month`` (Period[M]), ``category`` (police.uk crime type), ``source``
        (``"police"``), ``lon``/``lat`` (WGS84 degrees), ``lsoa_code``, ``lsoa_name``,
        ``location``, ``outcome`` and Point geometry in EPSG:4326. ``report``: rows read
        and kept, ``"no location"`` and ``"outside the UK"`` drops, notes, and
        ``counted`` rows kept whose Crime ID repeats (in its file, or in another month).

    Raises
    ------
    InputFileError
        Unreadable, empty or unsafe files (see :mod:`geosoc.ingest.files`).
    SchemaError
        Missing columns, unknown crime types, a month read twice (a Crime ID listed for the
        same month in two files; identical files are an InputFileError), bad or future
        months, non-numeric coordinates; every problem is listed with file, row and column.
    """
    given = Path(path)
    crime_type = _known_type(crime_type)
    report = IngestReport(source=str(path), kind="policeuk")
    with local_input(given) as root:
        files, skipped = _csv_files(root)
        if not files:
            raise InputFileError(
                f"no CSV files in {given}",
                [Problem("the folder or archive holds no .csv files", file=str(given),
                         fix="point at a police.uk download (YYYY-MM folders of *-street.csv)")],
            )
        if skipped:
            report.note(f"skipped {len(skipped)} non-street CSV(s) (outcomes, stop and search)")
        raw = _read_all(files, root, given, report.notes, dict(columns or {}), delimiter,
                        lean=not geometry, crime_type=crime_type)
    report.rows_read = len(raw)
    months, bad_month = parse_months(raw["Month"], date_format="%Y-%m")
    if bad_month.any():  # extracts may give dates (2025-04-15, 15/04/2025): take their month
        months, bad_month = parse_months(raw["Month"])
    lon, lon_blank, lon_bad = numeric(raw["Longitude"])
    lat, lat_blank, lat_bad = numeric(raw["Latitude"])
    problems = _problems(raw, months, bad_month, lon_bad, lat_bad)
    if problems:
        raise SchemaError(f"{given.name}: {len(problems)} problem(s) in police.uk data", problems)

    _repeats(raw, months, report)
    if report.counted.get(SAME_FILE):
        report.note(f"{report.counted[SAME_FILE]:,} rows share a Crime ID with another row of "
                    "the same month file (police.uk lists some crimes more than once); all kept")
    no_location = lon_blank | lat_blank
    names = {k: (columns or {}).get(k) or v for k, v in MAPPABLE.items()}
    layout = coordinate_layout_problem(lon, lat, kind="lonlat", file=str(given),
                                       xcol=names["lon"], ycol=names["lat"], xflag="--lon",
                                       yflag="--lat")
    if layout is not None:
        if "--easting" in layout.fix:
            layout = Problem(layout.message, file=layout.file, column=layout.column,
                             fix=layout.fix + "; eastings/northings are read with --kind "
                             "points (PointMapping)")
        raise CRSError(f"{given.name}: the coordinates are not WGS84 longitude/latitude",
                       [layout])
    far = ~no_location & outside_uk(lon, lat)
    report.drop("no location", int(no_location.sum()))
    report.drop("outside the UK", int(far.sum()))
    if far.any():
        report.note(f"{int(far.sum())} point(s) lie outside the UK and were dropped "
                    "(police.uk sometimes places anonymised locations far away)")
    keep = ~(no_location | far)
    out = _incidents(raw, months, lon, lat, keep, optional=geometry)
    note_far_points(out, report, FAR_AWAY_M)
    report.rows_kept = len(out)
    asb = raw["Crime type"] == "Anti-social behaviour"
    if asb.any():
        report.note(f"{int(asb.sum()):,} anti-social behaviour rows accepted without a Crime ID; "
                    f"{int((asb.to_numpy() & keep).sum()):,} kept after location checks")
    if not geometry:
        return Ingested(out, report)
    points = gpd.points_from_xy(out[schema.LON], out[schema.LAT], crs=schema.CRS_STORE)
    return Ingested(gpd.GeoDataFrame(out, geometry=points), report)


def _known_type(crime_type: str | None) -> str | None:
    """Return the police.uk spelling of ``crime_type`` (any case); else a ConfigError."""
    if crime_type is None:
        return None
    canonical = {t.lower(): t for t in schema.POLICEUK_CRIME_TYPES}
    found = canonical.get(str(crime_type).strip().lower())
    if found is None:
        raise ConfigError(f"--crime-type {crime_type!r} is not a police.uk crime type", [
            Problem(f"'{crime_type}' is not one of the 14 police.uk crime types",
                    column="--crime-type", fix="give one of: "
                    + ", ".join(schema.POLICEUK_CRIME_TYPES))])
    return found


def _incidents(raw: pd.DataFrame, months: pd.Series, lon: np.ndarray, lat: np.ndarray,
               keep: np.ndarray, optional: bool = True) -> pd.DataFrame:
    """Build the incidents columns (without geometry) for the rows in ``keep``.

    ``optional=False`` leaves out the optional columns that were not read.
    """
    wanted = ["Crime ID", "Crime type", *(c for c in _OPTIONAL if c in raw.columns)]
    kept = raw[wanted] if keep.all() else raw.loc[keep, wanted]
    out = pd.DataFrame({
        schema.INCIDENT_ID: kept["Crime ID"].array,
        schema.MONTH: months.array[keep],
        schema.CATEGORY: kept["Crime type"].array,
        schema.SOURCE: schema.POLICE_SOURCE,
        schema.LON: lon[keep],
        schema.LAT: lat[keep],
    })
    for col, name in _OPTIONAL.items():
        if col in raw.columns:
            out[name] = kept[col].array
        elif optional:
            out[name] = ""
    return out
