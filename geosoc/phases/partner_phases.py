"""Phase tracking on partner area counts: before/after per phase and displacement (WDQ/WDD).

Area counts cannot be cut by a 250 m ring, so a site drawn as a polygon is translated into
groups of the source's own areas (:func:`zone_area_codes`):

- **site**: areas whose representative point lies in the site;
- **buffer**: other areas with at least ``min_share`` of their surface inside the rings
  (for ward-level data these are the wards next to the site);
- **control**: areas whose representative point lies in the control polygon.

Then :func:`geosoc.phases.change.compare_phases_counts` and
:func:`geosoc.phases.displacement.displacement_report_counts` run on each source's counts
(harm = counts x the source's own weight; vulnerability signals on counts only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.aggregate.count_layers import AREA_KIND, PartnerCounts
from geosoc.errors import GeosocError
from geosoc.phases.change import PhasePlan, compare_phases_counts
from geosoc.phases.displacement import displacement_report_counts
from geosoc.schema import CATEGORY, COUNT, CRS_METRIC, SOURCE

__all__ = ["PartnerPhases", "partner_phase_report", "zone_area_codes"]

BUFFER = "buffer (areas touching the rings)"


def zone_area_codes(areas: gpd.GeoDataFrame, site: shapely.Geometry,
                    rings: shapely.Geometry, control: shapely.Geometry, *,
                    min_share: float = 0.1) -> dict[str, list[str]]:
    """Return the area codes of the site, its buffer and the control (EPSG:4326 inputs).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The source's areas (index area code), EPSG:4326.
    site, rings, control : shapely geometry
        Site polygon, union of its buffer rings, control polygon (EPSG:4326).
    min_share : float
        Smallest share of an area's surface inside the rings for it to join the buffer.

    Returns
    -------
    dict
        ``{"site": [...], BUFFER: [...], "control": [...]}`` (disjoint lists).
    """
    points = shapely.point_on_surface(areas.geometry.to_numpy())
    codes = areas.index.astype(str).to_numpy()
    in_site = shapely.within(points, site)
    in_control = shapely.within(points, control) & ~in_site
    metric = areas.geometry.to_crs(CRS_METRIC)
    ring_metric = gpd.GeoSeries([rings], crs=areas.crs).to_crs(CRS_METRIC).iloc[0]
    share = (shapely.area(shapely.intersection(metric.to_numpy(), ring_metric))
             / shapely.area(metric.to_numpy()))
    in_buffer = (share >= min_share) & ~in_site & ~in_control
    return {"site": codes[in_site].tolist(), BUFFER: codes[in_buffer].tolist(),
            "control": codes[in_control].tolist()}


@dataclass(frozen=True)
class PartnerPhases:
    """Phase change and displacement of every partner count source around one site.

    Attributes
    ----------
    change : pandas.DataFrame
        :func:`compare_phases_counts` rows with ``source`` and ``treatment`` columns
        (``category`` ``"all"`` rows are each source's totals).
    displacement : pandas.DataFrame
        :func:`displacement_report_counts` rows with ``source`` (sources whose zones hold
        no events are left out and named in ``notes``).
    zones : dict of str to dict
        Per area kind, the area codes of site, buffer and control.
    notes : list of str
        What could not be computed, in plain English.
    """

    change: pd.DataFrame
    displacement: pd.DataFrame
    zones: dict[str, dict[str, list[str]]]
    notes: list[str]


def partner_phase_report(bundle: PartnerCounts, site: shapely.Geometry,
                         rings: shapely.Geometry, control: shapely.Geometry,
                         plan: PhasePlan, *, measure: str = COUNT,
                         treatments: Mapping[str, str] | None = None) -> PartnerPhases:
    """Before/after per phase and WDQ/WDD for each partner count source (analyst view).

    Parameters
    ----------
    bundle : PartnerCounts
        The study's partner counts.
    site, rings, control : shapely geometry
        EPSG:4326 polygons (rings: the union of the displacement rings).
    plan : PhasePlan
        Dated phases (within the data's months).
    measure : {"count", "harm"}
        Displacement measure; vulnerability signals always use counts.
    treatments : mapping, optional
        Only these treatments (default every source).

    Returns
    -------
    PartnerPhases
    """
    zones = {str(kind): zone_area_codes(bundle.areas[str(kind)], site, rings, control)
             for kind in bundle.counts[AREA_KIND].unique()}
    changes, reports, notes = [], [], []
    for source in bundle.sources():  # a handful of sources
        mode = bundle.treatment[source]
        if treatments is not None and mode not in treatments:
            continue
        rows = bundle.rows(sources=[source], months=(str(plan.span[0]), str(plan.span[-1])))
        kind = str(rows[AREA_KIND].iloc[0]) if len(rows) else None
        if kind is None or not zones[kind]["site"]:
            notes.append(f"{source}: no {kind or 'area'} of its data lies in the site")
            continue
        groups = zones[kind]
        table = compare_phases_counts(rows, groups["site"], plan, by=(CATEGORY,),
                                      police_activity_separate=False)
        changes.append(table.assign(**{SOURCE: source, "treatment": mode}))
        if not groups[BUFFER] or not groups["control"]:
            notes.append(f"{source}: no buffer or control {kind}s; displacement not computed")
            continue
        try:
            report = displacement_report_counts(
                rows, plan, site_codes=groups["site"], ring_codes={BUFFER: groups[BUFFER]},
                control_codes=groups["control"],
                measure=COUNT if mode == "signal" else measure,
                exclude_police_activity=False)
        except GeosocError as error:
            notes.append(f"{source}: {error.summary}")
            continue
        reports.append(report.assign(**{SOURCE: source, "treatment": mode}))
    change = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    displacement = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame()
    return PartnerPhases(change, displacement, zones, notes)
