"""Read, validate and export community asset registers (CSV and GeoJSON).

Validation collects every problem with its file, row and column: missing name, unknown
category or sector (with the nearest allowed value), coordinates outside the UK, postcodes
that cannot be geocoded, bad dates and duplicate ids. Text is stored verbatim (escaping
happens when rendering); CSV export neutralises spreadsheet formulas.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely.errors

from geosoc.assets.capabilities import normalise_structured
from geosoc.assets.model import (
    ASSET_COLUMNS,
    CATEGORY_LOOKUP,
    RECORD_COLUMNS,
    SECTOR_LOOKUP,
    STATUSES,
    TEXT_COLUMNS,
    normalise_categories,
    normalise_sectors,
    vocabulary_problems,
)
from geosoc.assets.osm import assets_from_osm
from geosoc.errors import GeocodeError, InputFileError, Problem, SchemaError
from geosoc.ingest.compressed import plain_name, plain_text
from geosoc.schema import CRS_STORE, UK_BOUNDS_LONLAT

#: Header spellings accepted for each record column.
COLUMN_ALIASES = {
    "id": "asset_id", "uuid": "asset_id", "asset": "name", "asset_name": "name",
    "type": "category", "longitude": "lon", "long": "lon", "lng": "lon", "x": "lon",
    "latitude": "lat", "y": "lat", "post_code": "postcode", "opening_hours": "opening_times",
    "verified": "last_verified", "last_checked": "last_verified",
    "skills": "capabilities", "capability": "capabilities", "pillar": "pillars",
    "4p": "pillars", "4p_pillars": "pillars", "engagement_status": "engagement",
    "owner": "contact_owner", "relationship_owner": "contact_owner",
    "other_capabilities": "capabilities_other", "skills_other": "capabilities_other",
}
#: A hyphenated UUID (stored lower-case); ids geosoc makes are UUID4s.
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: Other ids a partner's register may already use (``DEMO-A001``, ``osm:node/123``).
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}"
#: Leading characters a spreadsheet reads as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _canonical_headers(frame: pd.DataFrame) -> pd.DataFrame:
    names = (frame.columns.astype(str).str.strip().str.lower()
             .str.replace(r"[\s\-]+", "_", regex=True))
    return frame.set_axis([COLUMN_ALIASES.get(n, n) for n in names], axis=1)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="object")
    return frame[column].astype("object").where(frame[column].notna(), "").astype(str)


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Upper-case postcodes with one space before the inward code.

    ``"ec1a1bb"`` becomes ``"EC1A 1BB"``.

    Empty values stay empty; values under five characters are only upper-cased.
    """
    compact = values.fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)
    return compact.where(compact.str.len() < 5, compact.str[:-3] + " " + compact.str[-3:])


def _parse_dates(raw: pd.Series) -> pd.Series:
    iso = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    british = pd.to_datetime(raw, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(british)


def validate_assets(frame: pd.DataFrame, *, file: str | None = None,
                    postcodes: pd.DataFrame | None = None, first_row: int = 2,
                    row_numbers: np.ndarray | None = None,
                    new_ids: bool = True) -> gpd.GeoDataFrame:
    """Check and clean raw asset records, collecting every problem.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw records, headers as in :data:`geosoc.assets.RECORD_COLUMNS` (or
        :data:`COLUMN_ALIASES`); only ``name``, ``category`` and a location are required.
    file : str, optional
        Source name, for problems.
    postcodes : pandas.DataFrame, optional
        Postcode centroids (``postcode``, ``lon``, ``lat`` WGS84, as from
        ``geosoc.ingest.read_postcodes``) to place records that have no coordinates.
    first_row : int
        Row number of the first record as a person counts it (2 for a CSV under its header,
        1 for the first GeoJSON feature).
    row_numbers : numpy.ndarray, optional
        The row number of each record, when records were dropped before validation (OSM
        features no rule matched); overrides ``first_row``.
    new_ids : bool
        Give records without ``asset_id`` a new UUID (otherwise the id is left empty).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~geosoc.assets.RECORD_COLUMNS` with ``lon``/``lat`` float64, RangeIndex,
        point geometry EPSG:4326.

    Raises
    ------
    SchemaError
        Listing every problem (or :class:`GeocodeError` when only postcodes failed).
    """
    raw = _canonical_headers(frame).reset_index(drop=True)
    rows = pd.Series(np.arange(len(raw)) + first_row if row_numbers is None
                     else np.asarray(row_numbers), index=raw.index)
    problems: list[Problem] = []

    def flag(mask: pd.Series, column: str, message: str, fix: str) -> None:
        problems.extend(Problem(message, file=file, row=int(r), column=column, fix=fix)
                        for r in rows[mask])

    out = pd.DataFrame({c: _text(raw, c).str.strip() for c in RECORD_COLUMNS}, index=raw.index)
    for column in TEXT_COLUMNS:  # verbatim apart from surrounding spaces on the name
        out[column] = _text(raw, column) if column != "name" else out[column]
    flag(out["name"].eq(""), "name", "name is missing", "give every asset a name")

    category = normalise_categories(out["category"])
    flag(out["category"].eq(""), "category", "category is missing",
         "give a category such as 'youth' or 'community centre'")
    problems += vocabulary_problems(out["category"], category, "category", CATEGORY_LOOKUP,
                                file, rows)
    sector = normalise_sectors(out["sector"])
    problems += vocabulary_problems(out["sector"], sector, "sector", SECTOR_LOOKUP, file, rows)
    out["category"], out["sector"] = category.fillna(""), sector.fillna("")

    out, structured_problems = normalise_structured(out, rows, file)
    problems += structured_problems

    status = out["status"].str.lower().replace("", "active")
    flag(~status.isin(STATUSES), "status", "status must be 'active' or 'retired'",
         "leave empty for active")
    out["status"] = status

    dates = _parse_dates(out["last_verified"])
    flag(dates.isna() & out["last_verified"].ne(""), "last_verified",
         "last_verified is not a date", "write dates as YYYY-MM-DD (or DD/MM/YYYY)")
    out["last_verified"] = dates.dt.strftime("%Y-%m-%d").astype("object").where(dates.notna())

    ids = out["asset_id"]
    is_uuid = ids.str.fullmatch(UUID_PATTERN)
    ids = ids.where(~is_uuid, ids.str.lower())
    flag(ids.ne("") & ~ids.str.fullmatch(ID_PATTERN), "asset_id",
         "asset_id is not a UUID or a plain id (letters, digits, . _ : / -, up to 64)",
         "leave it empty to have a UUID made")
    flag(ids.ne("") & ids.duplicated(keep="first"), "asset_id", "asset_id appears twice",
         "give each asset its own id")
    out["asset_id"] = ids
    if new_ids:
        missing = ids.eq("")
        out.loc[missing, "asset_id"] = [str(uuid.uuid4()) for _ in range(int(missing.sum()))]

    out["postcode"] = normalise_postcodes(out["postcode"])
    lon, lat = _locate(out, flag)
    geocode_problems = _geocode(out, postcodes, lon, lat, file, rows)
    problems += geocode_problems
    if problems:
        kind = GeocodeError if len(problems) == len(geocode_problems) else SchemaError
        raise kind(f"{file or 'asset records'}: {len(problems)} problem(s); nothing imported",
                   problems)
    out["lon"], out["lat"] = lon, lat
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs=CRS_STORE)


def _locate(out: pd.DataFrame,
            flag: Callable[[pd.Series, str, str, str], None]) -> tuple[pd.Series, pd.Series]:
    """Parse ``lon``/``lat`` and flag unparseable, half-given and non-UK coordinates."""
    lon = pd.to_numeric(out["lon"].replace("", None), errors="coerce").astype("float64")
    lat = pd.to_numeric(out["lat"].replace("", None), errors="coerce").astype("float64")
    for column, parsed, other in (("lon", lon, "lat"), ("lat", lat, "lon")):
        flag(parsed.isna() & out[column].ne(""), column, f"{column} is not a number",
             "write decimal degrees (WGS84)")
        flag(out[column].eq("") & out[other].ne(""), column, f"{column} is missing",
             "give both lon and lat, or neither and a postcode")
    west, south, east, north = UK_BOUNDS_LONLAT
    has_xy = lon.notna() & lat.notna()
    flag(has_xy & ~(lon.between(west, east) & lat.between(south, north)), "lon",
         "coordinates are outside the UK", "check lon/lat are WGS84 degrees and not swapped")
    flag(out["lon"].eq("") & out["lat"].eq("") & out["postcode"].eq(""), "lon",
         "asset has no location", "give lon/lat or a postcode")
    return lon, lat


def _geocode(out: pd.DataFrame, postcodes: pd.DataFrame | None, lon: pd.Series,
             lat: pd.Series, file: str | None, rows: pd.Series) -> list[Problem]:
    """Fill ``lon``/``lat`` in place from postcode centroids where both are blank.

    Returns a problem for each postcode not in the lookup (or for each such row when no
    lookup was supplied).
    """
    needed = out["lon"].eq("") & out["lat"].eq("") & out["postcode"].ne("")
    if not needed.any():
        return []
    if postcodes is None:
        return [Problem("postcode given without coordinates, and no postcode lookup supplied",
                        file=file, row=int(r), column="postcode",
                        fix="supply a postcode file (geosoc.ingest.read_postcodes)")
                for r in rows[needed]]
    table = postcodes.assign(postcode=normalise_postcodes(postcodes["postcode"]))
    table = table.drop_duplicates("postcode").set_index("postcode")
    found = out.loc[needed, "postcode"].map(table["lon"])
    lon.loc[found.index] = found.astype("float64")
    lat.loc[found.index] = out.loc[needed, "postcode"].map(table["lat"]).astype("float64")
    unmatched = found.isna()
    return [Problem(f"postcode '{pc}' not found in the postcode lookup", file=file,
                    row=int(r), column="postcode", fix="check the postcode or give lon/lat")
            for pc, r in zip(out.loc[needed, "postcode"][unmatched],
                             rows[needed][unmatched], strict=True)]


def read_raw_assets(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read an asset file as raw text records, before validation.

    Parameters
    ----------
    path : str or Path
        The file.
    format : {"csv", "geojson", "osm"}, optional
        Taken from the suffix when omitted.

    Returns
    -------
    pandas.DataFrame
        The file's columns as text (GeoJSON: properties plus ``lon``/``lat`` WGS84);
        ``attrs["row_numbers"]`` holds each record's row (CSV) or feature number.
    """
    path = Path(path)
    suffix = Path(plain_name(path)).suffix.lower()  # rows.csv.gz is a CSV
    fmt = (format or {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
           .get(suffix, "")).lower()
    if fmt not in ("csv", "geojson", "osm"):
        raise InputFileError("unknown asset file format", [Problem(
            f"cannot tell the format of '{path.name}'", file=str(path),
            fix="use a .csv or .geojson file, or pass format='csv'|'geojson'|'osm'")])
    if not path.is_file() or path.stat().st_size == 0:
        raise InputFileError("asset file is missing or empty",
                             [Problem("file is missing or empty", file=str(path))])
    is_csv = suffix == ".csv"
    try:
        with plain_text(path) as plain:  # gzip/bzip2 read decompressed
            frame = (pd.read_csv(plain, dtype=str, keep_default_na=False,
                                 encoding="utf-8-sig") if is_csv else _read_geojson(plain))
    except (UnicodeDecodeError, ValueError, OSError) as err:
        raise InputFileError("asset file cannot be read",
                             [Problem(str(err), file=str(path),
                                      fix="save it as UTF-8 CSV or GeoJSON")]) from err
    first_row = 2 if is_csv else 1
    frame = frame.reset_index(drop=True)
    if fmt == "osm":
        frame = assets_from_osm(frame)
    frame.attrs["row_numbers"] = frame.index.to_numpy() + first_row
    return frame




def read_assets(path: str | Path, *, format: str | None = None,
                postcodes: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Read and validate an asset file: CSV, GeoJSON, or OpenStreetMap-tagged GeoJSON/CSV.

    Parameters
    ----------
    path : str or Path
        The file.
    format : {"csv", "geojson", "osm"}, optional
        Taken from the suffix when omitted (``.csv``; ``.geojson``/``.json``).
    postcodes : pandas.DataFrame, optional
        Postcode centroids for records located only by postcode.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated records (see :func:`validate_assets`), EPSG:4326.
    """
    frame = read_raw_assets(path, format=format)
    return validate_assets(frame, file=str(path), postcodes=postcodes,
                           row_numbers=frame.attrs["row_numbers"])


def _read_geojson(path: Path) -> pd.DataFrame:
    """Return the feature properties as text plus ``lon``/``lat`` of each point (WGS84)."""
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            shapely.errors.GEOSException, RecursionError) as err:
        raise InputFileError("asset file cannot be read as GeoJSON", [Problem(
            str(err).splitlines()[0][:300], file=str(path),
            fix="check the file is a GeoJSON FeatureCollection of points (not deeply nested, "
                "polygons closed); or export the register as CSV")]) from None
    if frame.crs is not None and not frame.crs.equals(CRS_STORE):
        frame = frame.to_crs(CRS_STORE)
    points = frame.geometry.representative_point()
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype("object")
    props = props.where(props.notna(), "").astype(str)
    return props.assign(lon=points.x.astype(str).replace("nan", ""),
                        lat=points.y.astype(str).replace("nan", ""))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix a single quote to every text cell a spreadsheet would run as a formula.

    Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are affected;
    numeric columns are left alone. Returns a new frame.
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]):
            continue
        text = out[column].astype("object")
        as_str = text.where(text.notna(), "").astype(str)
        risky = as_str.str.startswith(FORMULA_PREFIXES) & text.notna()
        out[column] = text.where(~risky, "'" + as_str)
    return out


def export_assets_csv(assets: pd.DataFrame, path: str | Path) -> Path:
    """Write the register to CSV (no geometry column) with formulas neutralised."""
    columns = [c for c in ASSET_COLUMNS if c in assets.columns]
    path = Path(path)
    # CRLF line ends (RFC 4180) make the writer quote cells holding a bare CR
    neutralise_formulas(pd.DataFrame(assets[columns])).to_csv(path, index=False,
                                                              lineterminator="\r\n")
    return path


def export_assets_geojson(assets: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write the register to GeoJSON (EPSG:4326 points, text verbatim)."""
    columns = [c for c in ASSET_COLUMNS if c in assets.columns]
    path = Path(path)
    path.write_text(assets[[*columns, assets.geometry.name]].to_crs(CRS_STORE).to_json(
        drop_id=True, ensure_ascii=False), encoding="utf-8")
    return path
