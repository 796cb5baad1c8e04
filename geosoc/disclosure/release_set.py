"""The whole release of a study as one table: every geography's base cells, released once.

:mod:`geosoc.disclosure.release` computes base cells lazily for each output; because a base
cell's noise depends only on its own records, that is the same as reading them from this
table. :func:`build_release` materialises it (a pure function of the incidents, the
boundaries and the server key) so the workspace can keep it
(:mod:`geosoc.workspace.releases`): a new release when the data change, earlier ones kept
with their figures unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import h3_ints_to_str, lonlat_to_cells
from geosoc.config import server_key
from geosoc.disclosure.cell_key import (
    NOISE_PROBABILITIES,
    NOISE_PROBABILITIES_ONE,
    TABLE_SEED,
    attach_record_keys,
)
from geosoc.disclosure.release import WHOLE_STUDY, area_units, base_cells, release
from geosoc.disclosure.rules import DEFAULT_RULES, Role
from geosoc.schema import CATEGORY, LAT, LON, MONTH, SOURCE

__all__ = ["RELEASE_COLUMNS", "STUDY", "build_release", "release_rules_digest"]

#: Columns of a release table.
RELEASE_COLUMNS = ("geography", "unit", MONTH, CATEGORY, SOURCE, "released", "released_harm")
#: Geography name (and unit code) of the whole study: series, totals, contribution table.
STUDY = "study"


def _named(released: pd.DataFrame, geography: str, codes: np.ndarray) -> pd.DataFrame:
    out = released.assign(geography=geography,
                          unit=codes[released["unit"].to_numpy(dtype=np.int64)])
    return out[list(RELEASE_COLUMNS)]


def build_release(incidents: pd.DataFrame, areas: Mapping[str, gpd.GeoDataFrame], *,
                  resolutions: Sequence[int] = (7, 8),
                  secret: bytes | None = None) -> pd.DataFrame:
    """Return every released base value of ``incidents`` in one long table.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``harm`` (days), ``month``, ``category``, ``source`` and WGS84
        ``lon``/``lat`` (record keys are attached when missing).
    areas : mapping of str to geopandas.GeoDataFrame
        Boundary layers by kind (``ward``, ``lsoa``...; EPSG:4326, index ``area_code``).
    resolutions : sequence of int
        H3 resolutions released (the partner's finest is 8, the public's 7).
    secret : bytes, optional
        The server key (:func:`geosoc.config.server_key` by default).

    Returns
    -------
    pandas.DataFrame
        :data:`RELEASE_COLUMNS`: ``geography`` (``study``, an area kind, or ``h3_<res>``),
        ``unit`` (area code, H3 cell id or ``study``), ``month``, ``category``,
        ``source``, ``released`` (events) and ``released_harm`` (days). No true count, no
        key sum: only what partners and the public may be given.
    """
    keyed = attach_record_keys(incidents, secret or server_key()) \
        if "record_key" not in incidents.columns else incidents
    parts = [_named(release(base_cells(keyed, np.full(len(keyed), WHOLE_STUDY))), STUDY,
                    np.array([STUDY], dtype=object))]
    for kind, frame in sorted(areas.items()):
        parts.append(_named(release(base_cells(keyed, area_units(keyed, frame))), kind,
                            frame.index.to_numpy(dtype=object)))
    lon = keyed[LON].to_numpy(dtype="float64", na_value=np.nan)
    lat = keyed[LAT].to_numpy(dtype="float64", na_value=np.nan)
    for resolution in resolutions:
        ids = np.asarray(lonlat_to_cells(lon, lat, resolution), dtype=np.uint64)
        code, distinct = pd.factorize(ids)
        unit = np.where(ids == 0, -1, code)
        parts.append(_named(release(base_cells(keyed, unit)), f"h3_{resolution}",
                            np.asarray(h3_ints_to_str(np.asarray(distinct, dtype=np.uint64)),
                                       dtype=object)))
    return pd.concat(parts, ignore_index=True)


def release_rules_digest(secret: bytes | None = None) -> str:
    """Return a digest of everything a release depends on besides the data.

    The roles' rules, the perturbation table and its layout seed, and a keyed fingerprint
    of the server key (never the key itself): a change of any of them makes a new release.
    """
    key = secret or server_key()
    rules = {str(role): repr(DEFAULT_RULES[role]) for role in Role}
    described = json.dumps({"rules": rules, "noise": NOISE_PROBABILITIES,
                            "noise_one": NOISE_PROBABILITIES_ONE, "seed": TABLE_SEED,
                            "key": hmac.new(key, b"release-fingerprint",
                                            hashlib.sha256).hexdigest()[:16]},
                           sort_keys=True, default=str)
    return hashlib.sha256(described.encode()).hexdigest()
