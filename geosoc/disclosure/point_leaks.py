"""Find incident IDs and coordinates in text that is about to leave the server.

:func:`find_point_leaks` is the last check before a partner or public output is released
(see :func:`geosoc.disclosure.guard_payload`) and the tests' check that pages hold no point data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geosoc.schema import INCIDENT_ID, LAT, LON

__all__ = ["coordinate_keys", "find_point_leaks"]


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{7,}")
_PAIR = re.compile(r"(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)")


def coordinate_keys(first: np.ndarray, second: np.ndarray, decimals: int = 5) -> pd.Series:
    """Return ``"first,second"`` text keys of coordinate pairs rounded to ``decimals``.

    Parameters
    ----------
    first, second : numpy.ndarray
        Coordinates in WGS84 degrees (``lon`` then ``lat`` for ``"lon,lat"`` keys).
    decimals : int
        Decimal places kept (maps write 5, about 1 m).

    Returns
    -------
    pandas.Series
        One str key per pair, e.g. ``"-0.10622,51.51828"``.
    """
    fmt = f"{{:.{decimals}f}}".format
    return (pd.Series(np.round(first, decimals)).map(fmt) + ","
            + pd.Series(np.round(second, decimals)).map(fmt))


def find_point_leaks(payload: str, incidents: pd.DataFrame, *, decimals: int = 5) -> list[str]:
    """Return incident IDs or coordinates that appear in ``payload``.

    Used as a last guard before a partner or public output is written, and by the tests.
    The payload is tokenised once (IDs: runs of at least 8 letters, digits, ``_`` or ``-``;
    coordinates: every ``number, number`` pair, in either order, as GeoJSON writes
    ``[lon, lat]`` and Leaflet ``[lat, lon]``) and the tokens are matched against the
    incidents as sets, so a 5 MB page against 100k incidents takes well under a second.
    Coordinates are compared at ``decimals`` decimal places (maps write 5).

    Parameters
    ----------
    payload : str
        The HTML, JSON or CSV text about to leave the server.
    incidents : pandas.DataFrame
        The incidents that must not be disclosed (``incident_id``, ``lon``, ``lat`` in
        WGS84 degrees).
    decimals : int
        Decimal places at which coordinates are compared.

    Returns
    -------
    list of str
        The leaked IDs and ``"lon,lat"`` pairs (empty when the payload is clean).
    """
    leaks: list[str] = []
    if INCIDENT_ID in incidents.columns:
        ids = set(incidents[INCIDENT_ID].astype(str))
        leaks += sorted(ids.intersection(_TOKEN.findall(payload)))
    if LON in incidents.columns and LAT in incidents.columns and len(incidents):
        located = incidents[[LON, LAT]].dropna().to_numpy(dtype=float)
        known = set(coordinate_keys(located[:, 0], located[:, 1], decimals))
        found = np.asarray(_PAIR.findall(payload), dtype=float).reshape(-1, 2)
        if len(found):
            as_lonlat = coordinate_keys(found[:, 0], found[:, 1], decimals)
            as_latlon = coordinate_keys(found[:, 1], found[:, 0], decimals)
            leaks += sorted(known.intersection(as_lonlat) | known.intersection(as_latlon))
    return leaks
