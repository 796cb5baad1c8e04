"""Calibrated verdicts and the Hold watch for a site drawn as a polygon on point data.

The shared entry points of ``geosoc phases report``, ``geosoc phases watch`` and the Phases
page. Donors are shifted copies of the site, its rings and each neighbouring area
(:func:`geosoc.phases.controls.translated_donors`), so they have exactly the zone's size and
shape; the statistics are :func:`geosoc.phases.evaluation.evaluate_change`,
:func:`geosoc.phases.verdicts.calibrate` and :func:`geosoc.phases.watch.watch_table`.
Drugs and weapons possession (police activity) are left out, as in the displacement report.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.phases.change import _police_activity
from geosoc.phases.controls import translated_donors, translation_offsets
from geosoc.phases.evaluation import evaluate_change
from geosoc.phases.plan import PhasePlan
from geosoc.phases.verdicts import calibrate, site_verdict
from geosoc.phases.watch import watch_alerts, watch_table
from geosoc.schema import CRS_METRIC, CRS_STORE, HARM, MONTH

__all__ = ["calibrated_verdicts", "displacement_watch"]


def _metric(geoms: list[shapely.Geometry]) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs=CRS_STORE).to_crs(CRS_METRIC).to_numpy()


def _wide(events: gpd.GeoDataFrame, zones: Mapping[str, shapely.Geometry],
          months: pd.PeriodIndex, values: str | None) -> pd.DataFrame:
    """Zone x month totals of ``values`` (counts when None) from points."""
    xy = shapely.get_coordinates(events.geometry.to_numpy())
    idx = pd.Index(months).get_indexer(events[MONTH].to_numpy())
    w = np.ones(len(events)) if values is None else events[values].to_numpy(dtype=float)
    rows = []
    for geom in zones.values():
        hit = (idx >= 0) & shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        rows.append(np.bincount(idx[hit], weights=w[hit], minlength=len(months)))
    return pd.DataFrame(rows, index=list(zones), columns=months)


def _extent(events: gpd.GeoDataFrame) -> shapely.Geometry:
    xy = shapely.get_coordinates(events.geometry.to_crs(CRS_METRIC).to_numpy())
    return shapely.convex_hull(shapely.multipoints(xy))


def _evaluate(events: gpd.GeoDataFrame, zones: Mapping[str, shapely.Geometry],
              plan: PhasePlan, measures: tuple[str, ...], max_copies: int) -> pd.DataFrame:
    """Each zone's donors are its own shifted copies, clear of the whole real footprint."""
    months = plan.span
    metric = dict(zip(zones, _metric(list(zones.values())), strict=True))
    footprint = shapely.union_all(list(metric.values()))
    extent = _extent(events)
    counts = _wide(events, zones, months, None)
    tables = []
    for measure in measures:
        values = None if measure == "count" else HARM
        series = counts if values is None else _wide(events, zones, months, values)
        parts, kms, xys, seps = [], [], [], []
        for name, geom in zones.items():
            shape = metric[name]
            offsets = translation_offsets(shape, extent, avoid=footprint,
                                          max_copies=max_copies)
            donors, km = translated_donors(events, {name: geom}, months, values=values,
                                           offsets=offsets)
            parts.append(donors)
            kms.append(km)
            xys.append(pd.DataFrame(offsets / 1000, index=donors.index,
                                    columns=["x_km", "y_km"]))
            seps.append(2 * np.sqrt(shape.area / np.pi) / 1000)
        tables.append(evaluate_change(
            series, pd.concat(parts), plan, measure=measure, events=counts,
            donor_km=pd.concat(kms), donor_xy=pd.concat(xys), separation_km=float(min(seps))))
    return pd.concat(tables, ignore_index=True)


def _prepare(incidents: gpd.GeoDataFrame, plan: PhasePlan) -> gpd.GeoDataFrame:
    events = incidents[~_police_activity(incidents)]
    events = events[(events[MONTH] >= plan.span[0]) & (events[MONTH] <= plan.span[-1])]
    if HARM not in events.columns:
        events = events.assign(**{HARM: 1.0})
    return events


def calibrated_verdicts(
    incidents: gpd.GeoDataFrame, site_geometry: shapely.Geometry,
    rings: Mapping[str, shapely.Geometry], plan: PhasePlan, *,
    measures: tuple[str, ...] = ("count", "harm"), max_copies: int = 300,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Calibrated change and displacement verdicts for every phase x zone x measure.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (Points, EPSG:4326, ``month``); ``harm`` used when present.
    site_geometry : shapely geometry
        Site polygon, EPSG:4326.
    rings : mapping of str to shapely geometry
        Ring name to polygon (EPSG:4326), innermost first.
    plan : PhasePlan
        Dated phases trimmed to the data.
    measures : tuple of str
        ``"count"`` and/or ``"harm"``.
    max_copies : int
        Most shifted copies used as donors.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        :func:`geosoc.phases.verdicts.calibrate` rows and the :func:`site_verdict`.
    """
    events = _prepare(incidents, plan)
    zones = {"site": site_geometry, **dict(rings)}
    rows = calibrate(_evaluate(events, zones, plan, measures, max_copies))
    return rows, site_verdict(rows)


def displacement_watch(
    incidents: gpd.GeoDataFrame, site_geometry: shapely.Geometry,
    rings: Mapping[str, shapely.Geometry], plan: PhasePlan, *,
    neighbours: gpd.GeoDataFrame | None = None, max_copies: int = 300,
) -> pd.DataFrame:
    """Hold-month watch for the site, each ring and each neighbouring area (counts).

    Parameters
    ----------
    incidents, site_geometry, rings, plan, max_copies
        As in :func:`calibrated_verdicts`.
    neighbours : geopandas.GeoDataFrame, optional
        Neighbouring areas (areas contract, EPSG:4326; ``name`` used as the zone label),
        e.g. :func:`geosoc.phases.rings.adjacent_areas` of the wards.

    Returns
    -------
    pandas.DataFrame
        :func:`geosoc.phases.watch.watch_alerts` rows (family-wise control over every zone
        x Hold month) plus ``kind`` (``"site"``, ``"ring"`` or ``"neighbour"``) and
        ``area_code`` (neighbours only).
    """
    events = _prepare(incidents, plan)
    zones = {"site": site_geometry, **dict(rings)}
    footprint = shapely.union_all(_metric(list(zones.values())))
    extent = _extent(events)
    parts = []
    for name, geom in zones.items():
        own = translation_offsets(_metric([geom])[0], extent, avoid=footprint,
                                  max_copies=max_copies)
        parts.append(_watch(events, {name: geom}, plan, own).assign(
            kind="site" if name == "site" else "ring", area_code=None))
    if neighbours is not None and len(neighbours):
        names = neighbours["name"].astype(str) if "name" in neighbours else neighbours.index
        for code, name, geom in zip(neighbours.index, names, neighbours.geometry, strict=True):
            shape = _metric([geom])[0]
            own = translation_offsets(shape, extent, avoid=footprint, max_copies=max_copies)
            table = _watch(events, {str(name): geom}, plan, own)
            parts.append(table.assign(kind="neighbour", area_code=str(code)))
    hold = plan.hold.months if plan.hold is not None else None
    return watch_alerts(pd.concat(parts, ignore_index=True), hold_months=hold)


def _watch(events: gpd.GeoDataFrame, zones: Mapping[str, shapely.Geometry], plan: PhasePlan,
           offsets: np.ndarray) -> pd.DataFrame:
    months = plan.span
    series = _wide(events, zones, months, None)
    donors, km = translated_donors(events, zones, months, offsets=offsets)
    return watch_table(series, donors, plan, donor_km=km)


def sppt_report(
    incidents: gpd.GeoDataFrame, site_geometry: shapely.Geometry,
    rings: Mapping[str, shapely.Geometry], plan: PhasePlan, *, resolution: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Andresen's SPPT of each phase against the baseline inside the site and each ring.

    Units of analysis are the H3 cells (``resolution``, 10 is ~0.015 km²) clipped to each
    zone: a cell cut by a zone edge gives one unit per zone.

    Parameters
    ----------
    incidents, site_geometry, rings, plan
        As in :func:`calibrated_verdicts`.
    resolution : int
        H3 resolution of the units.
    seed : int
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        :func:`geosoc.phases.sppt.sppt_phases` rows.
    """
    from geosoc.aggregate.cells import lonlat_to_cells
    from geosoc.phases.sppt import sppt_phases

    events = _prepare(incidents, plan)
    xy = shapely.get_coordinates(events.geometry.to_numpy())
    zone = np.full(len(events), None, dtype=object)
    for name, geom in reversed(list({"site": site_geometry, **dict(rings)}.items())):
        zone[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])] = name
    keep = zone != None  # noqa: E711 (element-wise)
    cells = lonlat_to_cells(xy[keep, 0], xy[keep, 1], resolution)
    frame = pd.DataFrame({"unit": [f"{z}|{c}" for z, c in zip(zone[keep], cells, strict=True)],
                          MONTH: events[MONTH].to_numpy()[keep]})
    counts = frame.groupby(["unit", MONTH]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=plan.span, fill_value=0)
    zone_of = pd.Series(counts.index.str.split("|").str[0], index=counts.index)
    return sppt_phases(counts, zone_of, plan, seed=seed)
