"""Find incoming asset records that are already in the register (or repeated in the file).

Two records match when they share an ``external_id`` (a charity number, an Open Referral
service id) or when their normalised names are equal and they lie within ``distance_m``
metres of each other, measured in EPSG:27700 (British National Grid). Names are normalised
by :func:`normalise_name`: lower case, ``&`` as ``and``, punctuation dropped, a leading
``the`` and trailing legal forms (``ltd``, ``limited``, ``cio``, ``charity``) removed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.schema import CRS_METRIC, CRS_STORE

#: Default distance within which two same-named assets are the same asset (metres).
MATCH_DISTANCE_M = 50.0
MATCH_COLUMNS = ("record", "row", "incoming_name", "asset_id", "register_name", "reason",
                 "distance_m")


def normalise_name(names: pd.Series) -> pd.Series:
    """Return comparable names: ``"The Hub Youth Club Ltd."`` -> ``"hub youth club"``."""
    text = (names.fillna("").astype(str).str.lower().str.replace("&", " and ", regex=False)
            .str.replace(r"[^\w\s]", " ", regex=True).str.replace(r"\s+", " ", regex=True)
            .str.strip())
    text = text.str.replace(r"^the ", "", regex=True)
    return text.str.replace(r"( (ltd|limited|cio|charity|cic|plc))+$", "", regex=True)


def _xy(frame: pd.DataFrame) -> np.ndarray:
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"].astype(float),
                                              frame["lat"].astype(float)), crs=CRS_STORE)
    metric = points.to_crs(CRS_METRIC)
    return np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])


def _pairs(left: pd.DataFrame, right: pd.DataFrame, distance_m: float,
           same: bool) -> pd.DataFrame:
    """Return (left position, right position, reason, distance) pairs that match."""
    lk = pd.DataFrame({"l": np.arange(len(left)), "name": normalise_name(left["name"]),
                       "ext": left.get("external_id", pd.Series("", index=left.index))
                       .fillna("").astype(str).to_numpy()})
    rk = pd.DataFrame({"r": np.arange(len(right)), "name": normalise_name(right["name"]),
                       "ext": right.get("external_id", pd.Series("", index=right.index))
                       .fillna("").astype(str).to_numpy()})
    by_ext = lk[lk["ext"].ne("")].merge(rk[rk["ext"].ne("")], on="ext")[["l", "r"]]
    by_name = lk[lk["name"].ne("")].merge(rk[rk["name"].ne("")], on="name")[["l", "r"]]
    if same:  # within one file: each unordered pair once, never a record with itself
        by_ext = by_ext[by_ext["l"] > by_ext["r"]]
        by_name = by_name[by_name["l"] > by_name["r"]]
    lxy, rxy = _xy(left), _xy(right)
    pairs = pd.concat([by_ext.assign(reason="same external id"),
                       by_name.assign(reason="same name within distance")], ignore_index=True)
    pl, pr = pairs["l"].to_numpy(), pairs["r"].to_numpy()
    pairs["distance_m"] = np.hypot(*(lxy[pl] - rxy[pr]).T) if len(pairs) else []
    keep = pairs["reason"].eq("same external id") | (pairs["distance_m"] <= distance_m)
    return pairs[keep].drop_duplicates(["l", "r"], keep="first")


def find_duplicates(incoming: pd.DataFrame, register: pd.DataFrame, *,
                    distance_m: float = MATCH_DISTANCE_M,
                    rows: np.ndarray | None = None) -> pd.DataFrame:
    """List incoming records that match a register asset or an earlier incoming record.

    Parameters
    ----------
    incoming : pandas.DataFrame
        Validated records (``name``, ``lon``, ``lat`` WGS84 degrees, optional
        ``external_id``), in file order.
    register : pandas.DataFrame
        The current register (``asset_id``, ``name``, ``lon``, ``lat``, ``external_id``).
    distance_m : float
        Same-name records closer than this (metres, EPSG:27700) are the same asset.
    rows : numpy.ndarray, optional
        Row number of each incoming record as a person counts it (default 2, 3, ... as in
        a CSV under its header).

    Returns
    -------
    pandas.DataFrame
        :data:`MATCH_COLUMNS`: the incoming ``record`` (0-based position), its ``row``
        and name, the matched ``asset_id``
        (``"row N"`` for an earlier record of the same file) and name, the ``reason``
        and the ``distance_m`` (metres). Sorted by row; one row per match.
    """
    rows = np.arange(len(incoming)) + 2 if rows is None else np.asarray(rows)
    incoming = incoming.reset_index(drop=True)
    parts = []
    if len(incoming) and len(register):
        register = register.reset_index(drop=True)
        pairs = _pairs(incoming, register, distance_m, same=False)
        parts.append(pd.DataFrame({
            "record": pairs["l"].to_numpy(), "row": rows[pairs["l"]],
            "incoming_name": incoming["name"].to_numpy()[pairs["l"]],
            "asset_id": register["asset_id"].to_numpy()[pairs["r"]],
            "register_name": register["name"].to_numpy()[pairs["r"]],
            "reason": pairs["reason"].to_numpy(), "distance_m": pairs["distance_m"].to_numpy()}))
    if len(incoming) > 1:
        pairs = _pairs(incoming, incoming, distance_m, same=True)
        parts.append(pd.DataFrame({
            "record": pairs["l"].to_numpy(), "row": rows[pairs["l"]],
            "incoming_name": incoming["name"].to_numpy()[pairs["l"]],
            "asset_id": ["row " + str(r) for r in rows[pairs["r"]]],
            "register_name": incoming["name"].to_numpy()[pairs["r"]],
            "reason": pairs["reason"].to_numpy() + " (repeated in the file)",
            "distance_m": pairs["distance_m"].to_numpy()}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype={"distance_m": "float64", "record": "int64"}
                                          .get(c, "object")) for c in MATCH_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["record", "distance_m"], kind="stable").reset_index(drop=True)


def drop_duplicates(incoming: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """Return ``incoming`` without the records listed in ``matches`` (same index kept)."""
    keep = ~np.isin(np.arange(len(incoming)), matches["record"].to_numpy())
    return incoming[keep]
