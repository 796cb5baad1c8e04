"""Read postcode centroid tables: OS Code-Point Open (no header) and ONSPD-style files.

Code-Point Open ships one header-less CSV per postcode area with the columns in
:data:`CODEPOINT_COLUMNS`; ONSPD and similar files have a header (``pcds``, ``oseast1m``,
``osnrth1m``, ``lat``, ``long``, ``osward``, ``oslaua``...). Both become the postcodes
contract: ``postcode`` (``"EC1A 1BB"``), ``sector``, ``district``, ``lon``/``lat`` (WGS84),
``easting``/``northing`` (EPSG:27700 metres), ``ward_code``, ``lad_code``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.errors import InputFileError, Problem, SchemaError
from geosoc.ingest.archives import local_input
from geosoc.ingest.checks import FILE, ROW, bng_to_lonlat, lonlat_to_bng, numeric, row_problems
from geosoc.ingest.compressed import is_csv_name, plain_text
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.geocode import normalise_postcodes
from geosoc.ingest.report import Ingested, IngestReport
from geosoc.ingest.sniff import sniff_text, split_line

#: Column order of OS Code-Point Open CSVs (from Code-Point_Open_Column_Headers.csv).
CODEPOINT_COLUMNS = (
    "Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
    "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
    "Admin_ward_code",
)
_POSTCODE = ("pcds", "pcd", "pcd2", "postcode")
_METRES = (("oseast1m", "osnrth1m"), ("eastings", "northings"), ("easting", "northing"))
_DEGREES = (("long", "lat"), ("longitude", "latitude"), ("lon", "lat"))
_WARD = ("osward", "admin_ward_code", "ward_code", "wd22cd", "wd13cd")
_LAD = ("oslaua", "admin_district_code", "lad_code", "lad22cd")


def _first_fields(path: Path) -> list[str]:
    with plain_text(path) as plain:  # a .csv.gz is read decompressed
        head = sniff_text(plain)
    line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return [f.strip() for f in split_line(line)]


def _pick(columns: dict[str, str], options: tuple) -> object:
    """Return the first option whose (lower-case) names are all columns, mapped to real names."""
    for option in options:
        names = option if isinstance(option, tuple) else (option,)
        if all(n in columns for n in names):
            real = tuple(columns[n] for n in names)
            return real if isinstance(option, tuple) else real[0]
    return None


def _read_one(path: Path, shown: str, notes: list[str]) -> tuple[pd.DataFrame, bool] | None:
    """Read one postcode file into raw standard columns, or None if it is not one.

    Returns the frame (``postcode``, ``_x``, ``_y`` and optional codes) and whether
    ``_x``/``_y`` are metres (EPSG:27700) rather than degrees.
    """
    fields = _first_fields(path)
    lower = {f.lower(): f for f in fields}
    if _pick(lower, _POSTCODE) is None:
        first = fields[0] if fields else ""
        if not normalise_postcodes(pd.Series([first]))[1][0]:
            notes.append(f"skipped {path.name}: not a postcode file (no postcode in row 1)")
            return None
        raw = read_csv_checked(path, header=False, names=CODEPOINT_COLUMNS, notes=notes)
        first_row = 1
        lower = {c.lower(): c for c in CODEPOINT_COLUMNS}
    else:
        raw = read_csv_checked(path, notes=notes)
        first_row = 2
    raw[FILE] = shown
    raw[ROW] = np.arange(first_row, len(raw) + first_row)
    metres, degrees = _pick(lower, _METRES), _pick(lower, _DEGREES)
    if metres is None and degrees is None:
        raise SchemaError(f"{path.name}: no coordinate columns", [Problem(
            "found neither eastings/northings (oseast1m/osnrth1m) nor lat/long columns",
            file=shown, row=1, fix="use a Code-Point Open or ONSPD file")])
    out = pd.DataFrame({FILE: raw[FILE], ROW: raw[ROW], "postcode": raw[_pick(lower, _POSTCODE)]})
    for name, options in (("ward_code", _WARD), ("lad_code", _LAD)):
        col = _pick(lower, options)
        if col is not None:
            out[name] = raw[col].str.strip()
    out["_x"], out["_y"] = raw[(metres or degrees)[0]], raw[(metres or degrees)[1]]
    return out, metres is not None


def read_postcodes(path: str | Path) -> Ingested:
    """Read postcode centroids (OS Code-Point Open or ONSPD layout) into the postcodes contract.

    Parameters
    ----------
    path : str or pathlib.Path
        One CSV, a folder of them (non-postcode CSVs such as the Code-Point column-header
        file are skipped with a note), or a ``.zip``.

    Returns
    -------
    Ingested
        ``data``: DataFrame with ``postcode`` (``"EC1A 1BB"``), ``sector`` (``"EC1A 1"``),
        ``district`` (``"EC1A"``), ``lon``/``lat`` (WGS84 degrees), ``easting``/``northing``
        (EPSG:27700 metres), and ``ward_code``/``lad_code`` when the file has them. Rows
        without coordinates (Code-Point quality 90 has 0,0), with malformed postcodes or
        repeating an earlier postcode are dropped and counted in ``report``.

    Raises
    ------
    InputFileError
        No postcode files found, or unreadable files.
    SchemaError
        Non-numeric coordinates (listed by file and row).
    """
    given = Path(path)
    report = IngestReport(source=str(path), kind="postcodes")
    with local_input(given) as root:
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and is_csv_name(p)
        )
        frames = [f for f in (_read_one(p, str(p if root == given else p.name), report.notes)
                              for p in files) if f is not None]
    if not frames:
        raise InputFileError(f"no postcode files in {given}", [Problem(
            "no CSV with postcodes in the first column or a pcds/postcode header",
            file=str(given), fix="point at Code-Point Open CSVs or an ONSPD extract")])
    raw = pd.concat([f.assign(_metres=m) for f, m in frames], ignore_index=True)
    x, x_blank, x_bad = numeric(raw["_x"])
    y, y_blank, y_bad = numeric(raw["_y"])
    problems = row_problems(raw, x_bad | y_bad, column="coordinates",
                            message="coordinates are not numbers",
                            fix="re-download the postcode file; it appears corrupted")
    if problems:
        raise SchemaError(f"{given.name}: {len(problems)} problem(s) in postcode data", problems)
    metres = raw["_metres"].to_numpy(dtype=bool)
    lon, lat = np.where(metres, np.nan, x), np.where(metres, np.nan, y)
    east, north = np.where(metres, x, np.nan), np.where(metres, y, np.nan)
    if metres.any():
        lon[metres], lat[metres] = bng_to_lonlat(x[metres], y[metres])
    if not metres.all():
        east[~metres], north[~metres] = lonlat_to_bng(x[~metres], y[~metres])
    missing = x_blank | y_blank | np.isnan(x) | np.isnan(y) | ((x == 0) & (y == 0))
    raw = raw.drop(columns=["_x", "_y", "_metres"]).assign(
        lon=lon, lat=lat, easting=east, northing=north, _missing=missing)
    report.rows_read = len(raw)
    return Ingested(_finish(raw, report), report)


def _finish(raw: pd.DataFrame, report: IngestReport) -> pd.DataFrame:
    """Normalise postcodes, drop unusable rows (counted) and add sector/district."""
    postcode, valid = normalise_postcodes(raw["postcode"])
    missing = raw["_missing"].to_numpy()
    report.drop("no coordinates", int((missing & valid).sum()))
    report.drop("malformed postcode", int((~valid).sum()))
    keep = valid & ~missing
    out = raw.loc[keep].drop(columns=[FILE, ROW, "_missing"]).assign(postcode=postcode[keep])
    duplicated = out["postcode"].duplicated().to_numpy()
    report.drop("duplicate postcode", int(duplicated.sum()))
    out = out.loc[~duplicated].reset_index(drop=True)
    out.insert(1, "sector", out["postcode"].str[:-2])
    out.insert(2, "district", out["postcode"].str.replace(r" .*$", "", regex=True))
    order = ["postcode", "sector", "district", schema.LON, schema.LAT, "easting", "northing"]
    order += [c for c in ("ward_code", "lad_code") if c in out.columns]
    report.rows_kept = len(out)
    return out[order]
