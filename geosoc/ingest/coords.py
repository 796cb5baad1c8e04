"""Recognise coordinate columns that hold something else than they claim.

A file whose points mostly fall outside the UK (or outside the study area, when its bounds
are known) was almost always mapped wrongly: longitude and latitude swapped, British National
Grid metres in the lon/lat columns, easting and northing swapped, or another CRS (Web
Mercator). :func:`coordinate_layout_problem` tries each reading of the two columns and names
the one that puts most points in the expected place, with the flag that fixes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from geosoc import schema
from geosoc.errors import Problem
from geosoc.ingest.checks import bng_to_lonlat
from geosoc.ingest.report import IngestReport
from geosoc.schema import CRS_STORE, UK_BOUNDS_LONLAT

#: Share of located points that must lie in the expected place for a layout to be accepted.
MAJORITY = 0.5


def _share_inside(lon: np.ndarray, lat: np.ndarray,
                  bounds: tuple[float, float, float, float]) -> float:
    """Share of finite points inside ``bounds`` (lon/lat degrees)."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return 0.0
    x0, y0, x1, y1 = bounds
    inside = (lon[ok] >= x0) & (lon[ok] <= x1) & (lat[ok] >= y0) & (lat[ok] <= y1)
    return float(inside.mean())


def _mercator_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs("EPSG:3857", CRS_STORE, always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def mapping_text(*pairs: tuple[str, str]) -> str:
    """Say a column mapping as CLI flags and as library arguments.

    ``mapping_text(("--lon", "lat"), ("--lat", "lon"))`` gives
    ``"--lon 'lat' --lat 'lon' (library: lon='lat', lat='lon')"``.
    """
    flags = " ".join(f"{flag} '{col}'" for flag, col in pairs)
    args = ", ".join(f"{flag.lstrip('-').replace('-', '_')}='{col}'" for flag, col in pairs)
    return f"{flags} (library: {args})"


def _readings(x: np.ndarray, y: np.ndarray, kind: str, flags: dict[str, str]
              ) -> list[tuple[str, str, tuple[np.ndarray, np.ndarray]]]:
    """Alternative readings of the two columns: (what it looks like, fix, lon/lat)."""
    xcol, ycol = flags["x"], flags["y"]
    xflag, yflag = flags["xflag"], flags["yflag"]
    efl, nfl = flags.get("eflag", "--easting"), flags.get("nflag", "--northing")
    lfl, afl = flags.get("lonflag", "--lon"), flags.get("latflag", "--lat")
    big = np.nanmax(np.abs(np.concatenate([x, y]))) > 360 if x.size else False
    out = []
    if kind == "lonlat":
        out.append(("longitude and latitude swapped: '{x}' holds latitudes and '{y}' "
                    "longitudes", "swap them: " + mapping_text((xflag, ycol), (yflag, xcol)),
                    (y, x)))
    else:
        out.append(("easting and northing swapped: '{x}' holds northings and '{y}' eastings",
                    "swap them: " + mapping_text((xflag, ycol), (yflag, xcol)),
                    bng_to_lonlat(y, x) if big else (y, x)))
    if big:
        if kind == "lonlat":
            out.append(("British National Grid eastings/northings (EPSG:27700, metres) in "
                        "the longitude/latitude columns",
                        "map them as " + mapping_text((efl, xcol), (nfl, ycol)),
                        bng_to_lonlat(x, y)))
            out.append(("British National Grid metres (EPSG:27700) with easting and northing "
                        "swapped", "map them as " + mapping_text((efl, ycol), (nfl, xcol)),
                        bng_to_lonlat(y, x)))
        out.append(("Web Mercator metres (EPSG:3857, as used by web maps), not "
                    + ("degrees" if kind == "lonlat" else "British National Grid"),
                    "convert the coordinates to WGS84 degrees (EPSG:4326) or British National "
                    "Grid (EPSG:27700) in a GIS and read the file again",
                    _mercator_to_lonlat(x, y)))
    elif kind == "bng":
        out.append(("longitude/latitude degrees (WGS84), not British National Grid metres",
                    "map them as " + mapping_text((lfl, xcol), (afl, ycol)), (x, y)))
        out.append(("longitude/latitude degrees with the columns swapped",
                    "map them as " + mapping_text((lfl, ycol), (afl, xcol)), (y, x)))
    return out


def coordinate_layout_problem(
    x: np.ndarray, y: np.ndarray, *, kind: str, file: str, xcol: str, ycol: str,
    xflag: str, yflag: str, bounds: tuple[float, float, float, float] | None = None,
    where: str = "the UK",
) -> Problem | None:
    """Return a problem naming the likely mix-up when most points are out of place.

    Parameters
    ----------
    x, y : numpy.ndarray of float64
        The two coordinate columns as read (NaN for blanks).
    kind : {"lonlat", "bng"}
        What the mapping says they are: WGS84 degrees or EPSG:27700 metres.
    file, xcol, ycol : str
        The file and its column names (for the message).
    xflag, yflag : str
        The CLI flags that map the columns (``--lon``/``--lat`` or ``--easting``/``--northing``).
    bounds : tuple of float, optional
        Expected extent in lon/lat degrees (the study area's); default the UK.
    where : str
        Name of that extent in the message.

    Returns
    -------
    Problem or None
        None when at least :data:`MAJORITY` of the located points lie inside ``bounds``.
    """
    bounds = bounds or UK_BOUNDS_LONLAT
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    lon, lat = bng_to_lonlat(x, y) if kind == "bng" else (x, y)
    share = _share_inside(lon, lat, bounds)
    if share >= MAJORITY:
        return None
    n_out = round((1 - share) * len(x))
    flags = {"x": xcol, "y": ycol, "xflag": xflag, "yflag": yflag}
    head = (f"{n_out:,} of {len(x):,} located points ({1 - share:.0%}) lie outside {where} "
            f"when '{xcol}'/'{ycol}' are read as "
            + ("longitude/latitude degrees" if kind == "lonlat"
               else "British National Grid eastings/northings")
            + f" (medians {np.median(x):,.4g}, {np.median(y):,.4g})")
    for looks, fix, (alon, alat) in _readings(x, y, kind, flags):
        if _share_inside(alon, alat, bounds) >= MAJORITY:
            return Problem(f"{head}: they look like {looks.format(x=xcol, y=ycol)}",
                           file=file, column=f"{xflag}/{yflag}", fix=fix)
    return Problem(f"{head}; no swap or common CRS puts them in {where}", file=file,
                   column=f"{xflag}/{yflag}",
                   fix=f"check which columns {xflag} and {yflag} name, the sign of the "
                   "longitude, and the CRS the partner exported")


def note_far_points(out: pd.DataFrame, report: IngestReport, far_m: float) -> None:
    """Note points kept but more than ``far_m`` metres from the median location.

    Distances use an equirectangular approximation (metres), ample for a 50 km threshold.
    """
    if out.empty:
        return
    lon, lat = out[schema.LON].to_numpy(), out[schema.LAT].to_numpy()
    lon0, lat0 = np.median(lon), np.median(lat)
    dx = (lon - lon0) * 111_320.0 * np.cos(np.radians(lat0))
    dy = (lat - lat0) * 110_540.0
    n = int((np.hypot(dx, dy) > far_m).sum())
    if n:
        report.note(f"{n} point(s) lie more than {far_m / 1000:.0f} km from the median "
                    "location (kept; police.uk snaps some locations far away)")
