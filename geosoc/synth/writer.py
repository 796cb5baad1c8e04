"""Write the demo town's files in the layouts real sources use.

Every writer produces byte-identical output for identical input (fixed column order,
fixed float formats, LF line ends except the CRLF of police.uk), so the same seed gives
the same file hashes.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely

from geosoc.schema import CRS_STORE

#: Relative paths of the files the generator writes (police files are per month).
BOUNDARY_FILES = {
    "lad": "boundaries/lad.geojson",
    "wards": "boundaries/wards.geojson",
    "lsoas": "boundaries/lsoas.geojson",
    "site": "boundaries/site.geojson",
}
POSTCODE_FILE = "postcodes/codepoint_open/zz.csv"
IMD_FILE = "deprivation/imd2019_demoford_lsoa.csv"
PARTNER_FILES = {
    "council_asb": "partners/council_asb_reports.csv",
    "fire": "partners/fire_deliberate_fires.csv",
    "health_ae": "partners/ae_assault_attendances.csv",
}
ASSETS_FILE = "assets/community_assets.csv"
#: Map context layers (one GeoJSON per layer, EPSG:4326), read by geosoc.ingest.read_context.
CONTEXT_DIR = "context"
#: The demo site's running record: activity log, MoRiLE scores, perception survey waves.
OPERATIONS_FILES = {
    "activities": "operations/activity_log.csv",
    "morile": "operations/morile_scores.csv",
    "perception": "operations/perception_waves.csv",
}
POLICE_DIR = "police"
FORCE_SLUG = "demoford"


def round_geometries(geoms: np.ndarray, decimals: int = 6) -> np.ndarray:
    """Round every coordinate of ``geoms`` (any CRS) to ``decimals`` places."""
    return shapely.transform(geoms, lambda coords: np.round(coords, decimals))


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write an EPSG:4326 GeoDataFrame as GeoJSON with coordinates rounded to 6 dp.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Features; the index is written as a column only if it is named.
    path : Path
        Output file.
    """
    out = frame.to_crs(CRS_STORE)
    if out.index.name:
        out = out.reset_index()
    out = out.set_geometry(round_geometries(out.geometry.to_numpy()), crs=CRS_STORE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.to_json(drop_id=True) + "\n", encoding="utf-8", newline="\n")


def write_police(rows: pd.DataFrame, root: Path) -> list[Path]:
    """Write police.uk street-level CSVs, one per month, in ``YYYY-MM/`` folders.

    Written with pyarrow, unquoted and with CRLF line ends as police.uk ships them; a value
    holding a comma or quote would raise rather than be written ambiguously.

    Parameters
    ----------
    rows : pandas.DataFrame
        police.uk columns in order; ``Month`` as ``YYYY-MM``; ``Longitude``/``Latitude``
        float degrees (NaN without a location), written with 6 decimals.
    root : Path
        Folder to hold the month folders.

    Returns
    -------
    list of Path
        The files written, in month order.
    """
    coords = {
        column: np.where(np.isnan(values), "", np.char.mod("%.6f", values))
        for column in ("Longitude", "Latitude")
        for values in [rows[column].to_numpy(dtype=float)]
    }
    text = rows.assign(**coords)
    options = pa_csv.WriteOptions(
        quoting_style="none", quoting_header="none", eol="\r\n", null_string=""
    )
    written = []
    for month, chunk in text.groupby("Month", sort=True):
        path = root / str(month) / f"{month}-{FORCE_SLUG}-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        pa_csv.write_csv(table, str(path), write_options=options)
        written.append(path)
    return written


def write_codepoint(postcodes: pd.DataFrame, path: Path) -> None:
    """Write postcode units in OS Code-Point Open layout (no header row, strings quoted).

    Columns: postcode, positional quality (10), easting, northing (EPSG:27700 m), country,
    NHS region, NHS health authority, county, district (LAD) and ward codes.
    """
    frame = pd.DataFrame(
        {
            "PC": postcodes["postcode"],
            "PQ": 10,
            "EA": postcodes["easting"],
            "NO": postcodes["northing"],
            "CY": "E92000001",
            "RH": "",
            "LH": "",
            "CC": "",
            "DC": postcodes["lad_code"],
            "WC": postcodes["ward_code"],
        }
    )
    write_csv(frame, path, header=False, quoting=csv.QUOTE_NONNUMERIC)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs: object) -> None:
    """Write a plain CSV (no index, LF line ends), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", **kwargs)


def file_record(path: Path) -> dict[str, object]:
    """Return ``{"bytes", "sha256"}`` of a file."""
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
