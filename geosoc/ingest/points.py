"""Read partner point files (council ASB, fire, A&E...) into the incidents contract.

A :class:`PointMapping` says which columns hold the date, category, id and location. The
location is lon/lat degrees, British National Grid eastings/northings, or a postcode looked
up in a postcode table (:func:`geosoc.ingest.read_postcodes`). Unlike police.uk files, a
partner file's coordinates are under the partner's control, so points outside the UK are
errors (listed by row), as are unparseable dates and numbers. Blank locations are dropped
and counted (``"no location"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.errors import ConfigError, Problem, SchemaError
from geosoc.ingest.checks import (
    FILE,
    ROW,
    bng_to_lonlat,
    duplicate_ids,
    future_months,
    numeric,
    outside_uk,
    parse_months,
    row_problems,
)
from geosoc.ingest.coords import coordinate_layout_problem
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.geocode import geocode_postcodes
from geosoc.ingest.report import Ingested, IngestReport


@dataclass(frozen=True, kw_only=True)
class PointMapping:
    """Which columns of a partner CSV hold each incidents field.

    Give exactly one location: ``lon`` and ``lat`` (WGS84 degrees), ``easting`` and
    ``northing`` (EPSG:27700 metres), or ``postcode``. Give ``category`` (a column) or
    ``category_value`` (the same category for every row).

    Parameters
    ----------
    date : str
        Column with the event date (or ``YYYY-MM`` month).
    date_format : str, optional
        ``strftime`` format of ``date``; when omitted ISO and UK day-first dates are tried.
    id : str, optional
        Column with the partner's record id (``""`` when omitted).
    category : str, optional
        Column with the category.
    category_value : str, optional
        Fixed category for every row.
    lon, lat : str, optional
        Columns with WGS84 longitude / latitude in degrees.
    easting, northing : str, optional
        Columns with British National Grid coordinates in metres.
    postcode : str, optional
        Column with a full postcode.
    """

    date: str
    date_format: str | None = None
    id: str | None = None
    category: str | None = None
    category_value: str | None = None
    lon: str | None = None
    lat: str | None = None
    easting: str | None = None
    northing: str | None = None
    postcode: str | None = None

    def __post_init__(self) -> None:
        problems = []
        options = [
            (self.lon, self.lat), (self.easting, self.northing), (self.postcode, self.postcode)
        ]
        given = [pair for pair in options if any(pair)]
        if len(given) != 1 or not all(given[0]):
            problems.append(Problem(
                "give exactly one location: lon+lat, easting+northing, or postcode",
                fix="e.g. PointMapping(date='Date', category='Type', lon='Longitude', "
                "lat='Latitude')"))
        if (self.category is None) == (self.category_value is None):
            problems.append(Problem("give either a category column or a fixed category_value",
                                    fix="e.g. category='Incident type' or category_value='ASB'"))
        if problems:
            raise ConfigError("invalid point column mapping", problems)

    @property
    def location_kind(self) -> str:
        """``"lonlat"``, ``"bng"`` or ``"postcode"``."""
        if self.lon:
            return "lonlat"
        return "bng" if self.easting else "postcode"

    def flags(self) -> dict[str, str]:
        """Return the file column -> CLI flag that maps it (for error messages)."""
        pairs = {"date": self.date, "id": self.id, "category": self.category,
                 "lon": self.lon, "lat": self.lat, "easting": self.easting,
                 "northing": self.northing, "postcode": self.postcode}
        return {col: f"--{name}" for name, col in pairs.items() if col}

    def columns(self) -> list[str]:
        """Return the file columns this mapping reads."""
        names = [self.date, self.id, self.category, self.lon, self.lat, self.easting,
                 self.northing, self.postcode]
        return [n for n in names if n]


def _locate(path: Path, raw: pd.DataFrame, m: PointMapping, postcodes: pd.DataFrame | None,
            report: IngestReport, bounds: tuple[float, float, float, float] | None = None
            ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Return lon, lat (NaN where missing) and location problems.

    When most points fall outside the UK (or outside ``bounds``, lon/lat degrees of the
    study area) the columns are read every other common way (swapped, BNG in lon/lat,
    swapped easting/northing, Web Mercator) and the problem names the one that fits.

    For postcode mappings the normalised postcodes replace the raw column in ``raw``.
    """
    if m.location_kind == "postcode":
        if postcodes is None:
            raise ConfigError("postcode locations need a postcode table", [Problem(
                f"mapping uses postcode column '{m.postcode}' but no postcodes were given",
                file=str(path), fix="pass postcodes=read_postcodes(...).data")])
        lon, lat, normalised = geocode_postcodes(raw, m.postcode, postcodes, report)
        raw[m.postcode] = normalised
        return lon, lat, []
    xcol, ycol = (m.lon, m.lat) if m.location_kind == "lonlat" else (m.easting, m.northing)
    x, _, x_bad = numeric(raw[xcol])
    y, _, y_bad = numeric(raw[ycol])
    problems = []
    for col, bad in ((xcol, x_bad), (ycol, y_bad)):
        problems += row_problems(raw, bad, column=col, value_column=col,
                                 message="'{value}' is not a number",
                                 fix=f"put a plain number in '{col}', or leave it blank")
    kind = m.location_kind
    flags = ("--lon", "--lat") if kind == "lonlat" else ("--easting", "--northing")
    for extent, where in ((None, "the UK"), (bounds, "the study area")):
        if extent is None and where != "the UK":
            continue
        layout = coordinate_layout_problem(x, y, kind=kind, file=str(path), xcol=xcol,
                                           ycol=ycol, xflag=flags[0], yflag=flags[1],
                                           bounds=extent, where=where)
        if layout is not None:
            return x, y, [*problems, layout]
    if kind == "lonlat":
        lon, lat = x, y
    else:
        lon, lat = bng_to_lonlat(x, y)
    far = ~np.isnan(lon) & ~np.isnan(lat) & outside_uk(lon, lat)
    problems += row_problems(
        raw.assign(_xy=raw[xcol] + ", " + raw[ycol]), far, column=f"{xcol}/{ycol}",
        value_column="_xy", message="point ({value}) lies outside the UK",
        fix="correct the coordinates (check the sign of the longitude and the column order)")
    return lon, lat, problems


def _fields(raw: pd.DataFrame, m: PointMapping
            ) -> tuple[pd.Series, pd.Series, pd.Series, list[Problem]]:
    """Parse month, category and id columns; return them with their problems."""
    months, bad_month = parse_months(raw[m.date], date_format=m.date_format)
    fmt = m.date_format or "YYYY-MM-DD or DD/MM/YYYY"
    problems = row_problems(raw, bad_month, column=m.date, value_column=m.date,
                            message="'{value}' is not a date",
                            fix=f"write dates as {fmt}, or set date_format in the mapping")
    problems += row_problems(raw, future_months(months), column=m.date,
                             value_column=m.date, message="date '{value}' is in the future",
                             fix="correct the date (day and month swapped?)")
    if m.category:
        category = raw[m.category].str.strip()
        problems += row_problems(raw, (category == "").to_numpy(), column=m.category,
                                 message="the category is blank",
                                 fix="fill in the category, or map a fixed category_value")
    else:
        category = pd.Series(m.category_value, index=raw.index, dtype="str")
    ids = raw[m.id].str.strip() if m.id else pd.Series("", index=raw.index, dtype="str")
    if m.id:
        problems += row_problems(raw, duplicate_ids(ids), column=m.id,
                                 value_column=m.id,
                                 message="id '{value}' appears more than once",
                                 fix="remove the duplicated rows or make the ids unique")
    return months, category, ids, problems


def read_points(
    path: str | Path,
    mapping: PointMapping,
    *,
    source: str,
    postcodes: pd.DataFrame | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> Ingested:
    """Read a partner CSV (or ``.xlsx`` sheet) of point events into the incidents contract.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file (header in row 1).
    mapping : PointMapping
        Which columns hold date, category, id and location.
    source : str
        The partner's source name for the ``source`` column (``"council_asb"``, ``"fire"``...).
    postcodes : pandas.DataFrame, optional
        Postcodes contract frame (from :func:`read_postcodes`); needed when the mapping
        locates rows by postcode.
    delimiter : str, optional
        Field delimiter (default comma, or tab when the header is tab-separated).
    sheet : str, optional
        Sheet of an ``.xlsx`` workbook.
    bounds : tuple of float, optional
        ``(min_lon, min_lat, max_lon, max_lat)`` of the study area (WGS84 degrees). When
        most points fall outside it but a swapped reading of the columns puts them inside,
        the file is refused (catches swapped eastings/northings that still land in the UK).

    Returns
    -------
    Ingested
        ``data``: GeoDataFrame (RangeIndex): ``incident_id``, ``month`` (Period[M]),
        ``category``, ``source``, ``lon``/``lat`` (WGS84 degrees; converted from EPSG:27700
        with pyproj ``always_xy=True`` when given as eastings/northings), plus ``postcode``
        for postcode-located files, Point geometry in EPSG:4326. ``report``: counts of rows
        dropped for ``"no location"`` and ``"unmatched postcode"``, notes.

    Raises
    ------
    SchemaError
        Missing columns, bad or future dates, blank categories, duplicate ids, non-numeric
        coordinates, swapped lat/lon, metres in degree columns, points outside the UK.
    geosoc.errors.GeocodeError
        No postcode matched the postcode table.
    ConfigError
        A postcode mapping without a postcode table.
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="points")
    raw = read_csv_checked(path, required=mapping.columns(), notes=report.notes,
                           delimiter=delimiter, sheet=sheet, flags=mapping.flags())
    raw[FILE] = str(path)
    raw[ROW] = np.arange(2, len(raw) + 2)
    report.rows_read = len(raw)

    months, category, ids, problems = _fields(raw, mapping)
    lon, lat, located = _locate(path, raw, mapping, postcodes, report, bounds)
    problems += located
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in {source} data", problems)

    keep = ~(np.isnan(lon) | np.isnan(lat))
    unmatched = report.dropped.get("unmatched postcode", 0)
    report.drop("no location", int((~keep).sum()) - unmatched)
    out = pd.DataFrame({
        schema.INCIDENT_ID: ids.array[keep],
        schema.MONTH: months.array[keep],
        schema.CATEGORY: category.array[keep],
        schema.SOURCE: source,
        schema.LON: lon[keep],
        schema.LAT: lat[keep],
    })
    if mapping.postcode:
        out[schema.POSTCODE] = raw[mapping.postcode].array[keep]
    report.rows_kept = len(out)
    geometry = gpd.points_from_xy(out[schema.LON], out[schema.LAT], crs=schema.CRS_STORE)
    return Ingested(gpd.GeoDataFrame(out, geometry=geometry), report)

