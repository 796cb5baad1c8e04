"""Comparable control (donor) areas for calibrated phase tests: features, matching, copies.

A site's change is only meaningful against the change in areas that were *not* treated but
are like it. This module describes each series by three baseline features and picks the
closest donors:

* **level**: ``log(mean monthly value + 0.5)`` over the baseline (sets how noisy a change is);
* **trend**: least-squares slope of ``log(value + 0.5)`` per 12 baseline months;
* **seasonality**: the baseline series divided by its own mean (its month-to-month shape).

The matching distance is ``2 (dlevel/s_level)^2 + (dtrend/s_trend)^2 + (rmse_shape/s_shape)^2
+ (km/scale_km)^2`` with the ``s`` robust spreads (MAD) of the donor features, so nearby
areas are preferred among equally similar ones. Donors more than ``caliper`` (a factor of 3
by default) away in level are never used: their change is not comparable.

:func:`translated_donors` makes donors for a site drawn as a polygon on point data: copies of
the site (and of its rings) shifted across the study area, each counted like the real zones
(placebo-in-space with donors of exactly the site's size and shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.schema import CRS_METRIC, CRS_STORE, MONTH

#: Donors further than this factor from the site's baseline level are not comparable.
LEVEL_CALIPER = 3.0


@dataclass(frozen=True)
class Features:
    """Baseline features of several series (arrays of the same length)."""

    level: np.ndarray
    trend: np.ndarray
    shape: np.ndarray  # (n, months) mean-normalised baseline series


def baseline_features(values: np.ndarray) -> Features:
    """Level, trend and seasonal shape of baseline series.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n, months)`` baseline monthly values (counts or harm), non-negative.

    Returns
    -------
    Features
        ``level`` (log of the monthly mean + 0.5), ``trend`` (slope of log values per 12
        months) and ``shape`` (``(values + 0.5) / (mean + 0.5)``).
    """
    v = np.atleast_2d(np.asarray(values, dtype=float))
    mean = v.mean(axis=1)
    logs = np.log(v + 0.5)
    t = np.arange(v.shape[1], dtype=float)
    tc = t - t.mean()
    denom = (tc**2).sum()
    trend = (logs - logs.mean(axis=1, keepdims=True)) @ tc / denom * 12 if denom > 0 else (
        np.zeros(len(v)))
    return Features(np.log(mean + 0.5), trend, (v + 0.5) / (mean[:, None] + 0.5))


def _spread(x: np.ndarray, floor: float) -> float:
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return floor
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    return float(max(mad, floor))


def match_donors(
    target: Features, donors: Features, *, k: int = 40, distance_km: np.ndarray | None = None,
    scale_km: float = 10.0, allowed: np.ndarray | None = None, caliper: float = LEVEL_CALIPER,
) -> np.ndarray:
    """Return the indices of the ``k`` donors closest to each target in baseline features.

    Parameters
    ----------
    target : Features
        Features of ``m`` target series.
    donors : Features
        Features of ``n`` donor series (same number of baseline months).
    k : int
        Donors to pick per target.
    distance_km : numpy.ndarray, optional
        ``(m, n)`` or ``(n,)`` distance of each donor from the target in km (preferred near).
    scale_km : float
        Distance that counts as much as one spread of difference in a feature.
    allowed : numpy.ndarray of bool, optional
        ``(m, n)`` or ``(n,)``: donors a target may use (e.g. not overlapping it).
    caliper : float
        Largest ratio between donor and target baseline level.

    Returns
    -------
    numpy.ndarray
        ``(m, k)`` int donor indices, ``-1`` where fewer than ``k`` donors qualify (closest
        first).
    """
    m, n = len(target.level), len(donors.level)
    if n == 0:
        return np.full((m, k), -1)
    s_level = _spread(donors.level, 0.1)
    s_trend = _spread(donors.trend, 0.05)
    dl = target.level[:, None] - donors.level[None, :]
    dt = target.trend[:, None] - donors.trend[None, :]
    months = target.shape.shape[1]
    # squared RMSE of shapes through the dot-product expansion (no (m, n, months) array)
    sq = ((target.shape**2).sum(1)[:, None] + (donors.shape**2).sum(1)[None, :]
          - 2 * target.shape @ donors.shape.T) / max(months, 1)
    rmse = np.sqrt(np.clip(sq, 0, None))
    s_shape = _spread(np.sqrt(((donors.shape - 1) ** 2).mean(1)), 0.05)
    d2 = 2 * (dl / s_level) ** 2 + (dt / s_trend) ** 2 + (rmse / s_shape) ** 2
    if distance_km is not None:
        d2 = d2 + (np.broadcast_to(distance_km, (m, n)) / scale_km) ** 2
    ok = np.abs(dl) <= np.log(caliper)
    if allowed is not None:
        ok &= np.broadcast_to(allowed, (m, n))
    d2 = np.where(ok, d2, np.inf)
    kk = min(k, n)
    if kk < n:  # the k smallest without a full sort, then order them
        part = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
        order = np.take_along_axis(part, np.argsort(
            np.take_along_axis(d2, part, axis=1), axis=1, kind="stable"), axis=1)
    else:
        order = np.argsort(d2, axis=1, kind="stable")[:, :kk]
    picked = np.where(np.isfinite(np.take_along_axis(d2, order, axis=1)), order, -1)
    if kk < k:
        picked = np.hstack([picked, np.full((m, k - kk), -1)])
    return picked


def translation_offsets(
    footprint: shapely.Geometry, extent: shapely.Geometry, *, step_m: float | None = None,
    max_copies: int = 400, avoid: shapely.Geometry | None = None, coverage: float = 0.8,
) -> np.ndarray:
    """Grid of (dx, dy) shifts in metres that keep ``footprint`` inside ``extent``, clear of it.

    Parameters
    ----------
    footprint : shapely geometry
        The real site plus rings (EPSG:27700 metres).
    extent : shapely geometry
        Where data exist (EPSG:27700), e.g. the convex hull of the incidents.
    step_m : float, optional
        Grid spacing; default a quarter of the footprint's equivalent diameter.
    max_copies : int
        Keep at most this many shifts (the nearest ones).
    avoid : shapely geometry, optional
        Another zone (EPSG:27700) no copy may touch, e.g. the site and its rings when the
        footprint is a neighbouring area.
    coverage : float
        Least share of a copy's area that must lie inside ``extent``.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` shifts, nearest first; copies never overlap the real footprint (nor
        ``avoid``).
    """
    x0, y0, x1, y1 = extent.bounds
    diameter = 2 * np.sqrt(footprint.area / np.pi)
    step = step_m or max(diameter / 4, 50.0)
    # Only the nearest max_copies shifts are kept, so search a window around the footprint
    # (4 x sqrt(max_copies) steps each way plus its own size), not the whole extent: a few
    # stray points far away (police.uk has some) would otherwise make millions of copies.
    reach = 4 * np.sqrt(max_copies) * step + diameter
    cx, cy = footprint.centroid.x, footprint.centroid.y
    x0, x1 = max(x0, cx - reach), min(x1, cx + reach)
    y0, y1 = max(y0, cy - reach), min(y1, cy + reach)
    xs = np.arange(x0 - footprint.centroid.x, x1 - footprint.centroid.x + step, step)
    ys = np.arange(y0 - footprint.centroid.y, y1 - footprint.centroid.y + step, step)
    grid = np.array(np.meshgrid(xs, ys)).reshape(2, -1).T
    grid = grid[np.hypot(grid[:, 0], grid[:, 1]) > diameter]
    # nearest first (stable, as the result is ordered), tested in chunks until enough qualify
    grid = grid[np.argsort(np.hypot(grid[:, 0], grid[:, 1]), kind="stable")]
    kept: list[np.ndarray] = []
    found = 0
    for start in range(0, len(grid), _CHUNK):
        part = grid[start:start + _CHUNK]
        copies = _translated(footprint, part)
        inside = shapely.area(shapely.intersection(copies, extent)) / footprint.area
        keep = (inside >= coverage) & ~shapely.intersects(copies, footprint)
        if avoid is not None:
            keep &= ~shapely.intersects(copies, avoid)
        kept.append(part[keep])
        found += int(keep.sum())
        if found >= max_copies:
            break
    return np.concatenate(kept)[:max_copies] if kept else np.zeros((0, 2))


#: Candidate shifts tested at once by :func:`translation_offsets`.
_CHUNK = 1024


def _translated(shape: shapely.Geometry, offsets: np.ndarray) -> np.ndarray:
    """Return copies of ``shape`` shifted by each ``(dx, dy)`` (vectorised, no Python loop)."""
    copies = np.full(len(offsets), shape, dtype=object)
    copies = shapely.transform(copies, lambda xy: xy) if len(offsets) else copies
    n = len(shapely.get_coordinates(shape))
    coords = np.tile(shapely.get_coordinates(shape), (len(offsets), 1)) + np.repeat(
        offsets, n, axis=0)
    return shapely.set_coordinates(copies, coords)


def translated_donors(
    events: gpd.GeoDataFrame, zones: Mapping[str, shapely.Geometry], months: pd.PeriodIndex,
    *, values: str | None = None, step_m: float | None = None, max_copies: int = 400,
    offsets: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Monthly totals in shifted copies of each zone (site, rings) as placebo donors.

    Parameters
    ----------
    events : geopandas.GeoDataFrame
        Points (EPSG:4326) with ``month``; ``values`` names a column to sum (default: count).
    zones : mapping of str to shapely geometry
        Zone name to polygon in EPSG:4326 (the site first, then its rings).
    months : pandas.PeriodIndex
        Months to report.
    values : str, optional
        Column to sum per point (e.g. ``"harm"``); counts when ``None``.
    step_m, max_copies : float, int
        As in :func:`translation_offsets`.
    offsets : numpy.ndarray, optional
        Shifts (metres) to use instead of computing them.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        Wide donor frame, index ``(zone, donor)`` and one column per month; and the distance
        of each donor from the real site in km (same index).
    """
    pts = events.geometry.to_crs(CRS_METRIC)
    x, y = shapely.get_coordinates(pts.to_numpy()).T
    metric = gpd.GeoSeries(list(zones.values()), crs=CRS_STORE).to_crs(CRS_METRIC).to_numpy()
    footprint = shapely.union_all(metric)
    if offsets is None:
        extent = shapely.convex_hull(shapely.multipoints(np.c_[x, y]))
        offsets = translation_offsets(footprint, extent, step_m=step_m, max_copies=max_copies)
    month_idx = pd.Index(months).get_indexer(events[MONTH].to_numpy())
    w = np.ones(len(x)) if values is None else events[values].to_numpy(dtype=float)
    inside = month_idx >= 0
    tree = shapely.STRtree(shapely.points(x[inside], y[inside]))
    month_in, w_in = month_idx[inside], w[inside]
    rows, keys = [], []
    n_m = len(months)
    for name, geom in zip(zones, metric, strict=True):
        # every copy against every point in one spatial-index query (no loop over copies)
        copies = _translated(geom, offsets) if len(offsets) else np.zeros(0, dtype=object)
        copy_i, point_i = (tree.query(copies, predicate="contains") if len(copies)
                           else (np.zeros(0, int), np.zeros(0, int)))
        cells = np.bincount(copy_i * n_m + month_in[point_i], weights=w_in[point_i],
                            minlength=len(offsets) * n_m)
        rows.append(cells.reshape(len(offsets), n_m))
        keys += [(name, f"copy {j + 1}") for j in range(len(offsets))]
    index = pd.MultiIndex.from_tuples(keys, names=["zone", "donor"])
    wide = pd.DataFrame(np.vstack(rows) if rows else np.zeros((0, n_m)), index=index,
                        columns=months)
    km = np.hypot(offsets[:, 0], offsets[:, 1]) / 1000 if len(offsets) else np.zeros(0)
    return wide, pd.Series(np.tile(km, len(zones)), index=index, name="distance_km")
