"""Canonical column names, CRS constants and frame validators shared by every stage.

The data contracts (see ``docs/architecture.md``):

Incidents
    one row per event: ``incident_id`` (str, may be empty for ASB), ``month``
    (``Period[M]``), ``category`` (str), ``source`` (str, ``"police"`` or a partner name),
    ``lon``/``lat`` (float64, WGS84 degrees), geometry ``Point`` in EPSG:4326; optional
    ``lsoa_code``, ``postcode``, ``location``, ``outcome``; ``harm`` (float64, days) once
    :func:`geosoc.harm.apply_harm_weights` has run.
Cells
    index ``h3`` (str, resolution in ``frame.attrs["h3_resolution"]``), ``count``, ``harm``,
    geometry hexagon EPSG:4326; zero-filled over the study area.
Areas
    index ``area_code`` (``E05…``, ``E01…``, postcode sector), ``name``, ``kind``,
    geometry EPSG:4326; ``count``, ``harm`` after aggregation.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from geosoc.errors import CRSError, Problem, SchemaError

#: Storage CRS: WGS84 longitude/latitude (what H3 and Leaflet want).
CRS_STORE = "EPSG:4326"
#: Measuring CRS: British National Grid, metres.
CRS_METRIC = "EPSG:27700"

#: Bounding box of the United Kingdom and Channel Islands in WGS84 (lon_min, lat_min,
#: lon_max, lat_max), generous by a few km; points outside it are rejected or dropped.
UK_BOUNDS_LONLAT = (-8.75, 49.8, 1.95, 60.95)
#: The same extent in British National Grid metres (easting_min, northing_min, ...).
UK_BOUNDS_BNG = (-10_000.0, 0.0, 700_000.0, 1_250_000.0)

# Incident columns
INCIDENT_ID = "incident_id"
MONTH = "month"
CATEGORY = "category"
SOURCE = "source"
HARM = "harm"
COUNT = "count"
LON = "lon"
LAT = "lat"
LSOA_CODE = "lsoa_code"
POSTCODE = "postcode"
H3 = "h3"
#: Optional incidents column: how many identical events a row stands for (a stored
#: aggregate read back as rows, :mod:`geosoc.engine.cube_rows`); absent means one each.
EVENTS = "events"
AREA_CODE = "area_code"
NAME = "name"
KIND = "kind"
POLICE_SOURCE = "police"

INCIDENT_COLUMNS = (INCIDENT_ID, MONTH, CATEGORY, SOURCE, LON, LAT)

#: Area kinds understood everywhere.
AREA_KINDS = ("ward", "lsoa", "lad", "postcode_sector", "postcode_district", "site", "custom")

#: The 14 police.uk crime types (street-level CSV ``Crime type`` values).
POLICEUK_CRIME_TYPES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: Categories that police activity generates (they rise when police go looking).
POLICE_ACTIVITY_CATEGORIES = ("Drugs", "Possession of weapons")

#: police.uk street-level CSV header, in order.
POLICEUK_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, what: str = "frame", file: str | None = None
) -> None:
    """Raise :class:`SchemaError` listing every required column that is missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to check.
    columns : iterable of str
        Column names that must be present.
    what : str
        What the frame is, for the message (``"incidents"``, ``"areas"``...).
    file : str, optional
        The file the frame came from, for the message.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems = [
            Problem(
                f"required column '{c}' is missing from the {what}",
                file=file,
                column=c,
                fix=f"add a '{c}' column or map an existing column to it",
            )
            for c in missing
        ]
        raise SchemaError(f"{what} is missing {len(missing)} required column(s)", problems)


def require_crs(frame: gpd.GeoDataFrame, crs: str = CRS_STORE, *, what: str = "frame") -> None:
    """Raise :class:`CRSError` unless ``frame`` is a GeoDataFrame in exactly ``crs``.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The frame to check.
    crs : str
        The CRS it must carry (default EPSG:4326).
    what : str
        What the frame is, for the message.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise CRSError(
            f"{what} has no CRS",
            [Problem(f"{what} carries no coordinate reference system", fix=f"set it to {crs}")],
        )
    if not frame.crs.equals(crs):
        raise CRSError(
            f"{what} is in {frame.crs.to_string()}, expected {crs}",
            [Problem(f"{what} CRS is {frame.crs.to_string()}",
                     fix=f"reproject with to_crs('{crs}')")],
        )


def validate_incidents(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check that ``frame`` follows the incidents contract and return it unchanged.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Incidents, geometry Points in EPSG:4326 with ``lon``/``lat`` in degrees.

    Returns
    -------
    geopandas.GeoDataFrame
        The same frame.
    """
    require_columns(frame, INCIDENT_COLUMNS, what="incidents")
    require_crs(frame, CRS_STORE, what="incidents")
    if not isinstance(frame[MONTH].dtype, pd.PeriodDtype):
        raise SchemaError(
            "incidents 'month' must be a monthly Period",
            [Problem("'month' has dtype " + str(frame[MONTH].dtype), column=MONTH,
                     fix="convert with pd.PeriodIndex(values, freq='M')")],
        )
    return frame


def validate_areas(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check that ``frame`` follows the areas contract and return it unchanged.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas indexed by ``area_code`` with ``name`` and ``kind``, polygons in EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        The same frame.
    """
    require_columns(frame, (NAME, KIND), what="areas")
    require_crs(frame, CRS_STORE, what="areas")
    if frame.index.name != AREA_CODE:
        raise SchemaError(
            "areas must be indexed by 'area_code'",
            [Problem(f"index is named {frame.index.name!r}", fix="set_index('area_code')")],
        )
    if not frame.index.is_unique:
        dupes = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise SchemaError(
            "area codes must be unique",
            [Problem(f"duplicate area code {d}", column=AREA_CODE) for d in dupes],
        )
    return frame
