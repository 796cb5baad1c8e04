"""Candidate CHB sites at ward, postcode-sector and H3-region scale, and their components.

The pipeline is: candidates (:func:`ward_candidates`, :func:`sector_candidates`, or
:func:`geosoc.sites.regions.grow_regions` passed through :func:`as_candidates`) →
:func:`candidate_components` (raw evidence per candidate, by point-in-polygon) →
:func:`geosoc.sites.scoring.score_candidates` (weighted, explainable rank) →
:func:`compare_candidates` / :func:`explain` / :func:`score_site` for a drawn boundary.

The components are computed in :mod:`geosoc.sites.components`, the weights live in
:mod:`geosoc.sites.weights` and the scoring in :mod:`geosoc.sites.scoring`; this module
re-exports their public names so callers import from one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.errors import AnalysisError, Problem
from geosoc.schema import (
    AREA_CODE,
    CRS_METRIC,
    CRS_STORE,
    HARM,
    KIND,
    MONTH,
    NAME,
    POLICE_SOURCE,
    SOURCE,
    require_columns,
    validate_areas,
)
from geosoc.sites.components import (
    EMERGING_HOT_CLASSES,
    area_vulnerability,
    candidate_components,
    locate_points,
    monthly_panel,
    monthly_slope,
)
from geosoc.sites.regions import grow_regions
from geosoc.sites.scoring import explain, score_candidates
from geosoc.sites.weights import DEFAULT_WEIGHTS, PARTNER_PREFIX, ScoreWeights, component_columns

__all__ = [
    "DEFAULT_WEIGHTS",
    "EMERGING_HOT_CLASSES",
    "Comparison",
    "ScoreWeights",
    "area_vulnerability",
    "as_candidates",
    "candidate_components",
    "compare_candidates",
    "explain",
    "grow_regions",
    "monthly_slope",
    "score_candidates",
    "score_site",
    "sector_candidates",
    "site_snapshot",
    "ward_candidates",
]


def as_candidates(areas: gpd.GeoDataFrame, scale: str) -> gpd.GeoDataFrame:
    """Return a copy of an Areas frame shaped as candidates of ``scale``.

    Aggregated columns are renamed to components: ``harm``/``count`` become
    ``police_harm``/``police_count``; when per-source columns exist (``harm__police``,
    ``harm__<partner>`` from ``harm_by_area(..., by="source")``) police columns come from
    ``harm__police``/``count__police`` and each partner's harm becomes
    ``partner_harm__<partner>``. Columns already named as components are kept.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas contract (index ``area_code``, ``name``, ``kind``, geometry EPSG:4326).
    scale : str
        ``"ward"``, ``"sector"`` or ``"h3"``; stored in a ``scale`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Same index, plus ``scale`` and ``area_km2`` (km², measured in EPSG:27700).
    """
    validate_areas(areas)
    out = areas.copy()
    renames = {}
    if f"{HARM}__{POLICE_SOURCE}" in out.columns:
        renames |= {f"{HARM}__{POLICE_SOURCE}": "police_harm",
                    f"count__{POLICE_SOURCE}": "police_count"}
        renames |= {c: PARTNER_PREFIX + c.removeprefix(f"{HARM}__") for c in out.columns
                    if c.startswith(f"{HARM}__") and c != f"{HARM}__{POLICE_SOURCE}"}
    else:
        renames |= {HARM: "police_harm", "count": "police_count"}
    renames = {k: v for k, v in renames.items() if k in out.columns and v not in out.columns}
    out = out.rename(columns=renames)
    out["scale"] = scale
    out["area_km2"] = out.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6
    return out


def ward_candidates(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return wards (Areas contract, optionally with harm/count) as candidates.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Index ``area_code`` (``E05…``), ``name``, ``kind``, geometry EPSG:4326; optional
        ``harm``/``count`` (or per-source) columns from :func:`geosoc.aggregate.harm_by_area`
        and any component columns already computed.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`as_candidates`; ``scale == "ward"``.
    """
    return as_candidates(wards, "ward")


def sector_candidates(
    sectors: pd.DataFrame, *, clip_to: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Return postcode sectors as candidates.

    Parameters
    ----------
    sectors : geopandas.GeoDataFrame or pandas.DataFrame
        Either sector polygons (Areas contract, ``kind == "postcode_sector"``, EPSG:4326),
        or a Postcodes frame, from which polygons are built with
        :func:`geosoc.ingest.build_postcode_areas` (Voronoi of unit centroids).
    clip_to : geopandas.GeoDataFrame, optional
        Study area (EPSG:4326) to clip built polygons to (only used with a Postcodes
        frame).

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`as_candidates`; ``scale == "sector"``.
    """
    if not isinstance(sectors, gpd.GeoDataFrame):
        from geosoc.ingest import build_postcode_areas

        sectors = build_postcode_areas(sectors, level="sector", clip_to=clip_to)
    return as_candidates(sectors, "sector")


@dataclass(frozen=True)
class Comparison:
    """Side-by-side figures for 2-4 candidates.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows are figures (``name``, ``rank``, ``score``, ``area_km2``, then per component
        raw / normalised / contribution), columns the candidate codes.
    monthly : pandas.DataFrame
        Police harm per month (rows ``month``, columns codes); empty without incidents.
    """

    table: pd.DataFrame
    monthly: pd.DataFrame


def compare_candidates(ranked: gpd.GeoDataFrame, codes: Sequence[str],
                       incidents: gpd.GeoDataFrame | None = None) -> Comparison:
    """Put 2-4 ranked candidates side by side, with their monthly police harm.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        Output of :func:`score_candidates` (geometry EPSG:4326).
    codes : sequence of str
        2 to 4 candidate codes.
    incidents : geopandas.GeoDataFrame, optional
        Incidents with ``harm``, ``source``, ``month`` for the monthly trend.

    Returns
    -------
    Comparison
    """
    codes = list(codes)
    problems = [Problem(f"no candidate {c!r} in the ranking", column=AREA_CODE)
                for c in codes if c not in ranked.index]
    if not 2 <= len(codes) <= 4:
        problems.append(Problem(f"compare 2 to 4 candidates, got {len(codes)}"))
    if problems:
        raise AnalysisError("cannot compare these candidates", problems)
    comps = ranked.attrs.get("components") or component_columns(ranked)
    rows = [c for c in (NAME, "rank", "score", "area_km2", "missing") if c in ranked.columns]
    rows += [f"{c}{suffix}" for c in comps for suffix in ("", "__norm", "__contrib")]
    # vulnerability signals: shown as counts and per km², never scored
    rows += [c for c in ranked.columns if isinstance(c, str) and c.startswith("signal")]
    table = ranked.loc[codes, rows].T
    table.index.name = "figure"
    monthly = pd.DataFrame()
    if incidents is not None:
        require_columns(incidents, [SOURCE, MONTH, HARM], what="incidents")
        subset = ranked.loc[codes]
        points = incidents.geometry.to_numpy()
        # only the points in the candidates' bounding box are located (a force's million
        # points against two wards): the same points are found, in a fraction of the time
        west, south, east, north = subset.total_bounds
        x, y = shapely.get_x(points), shapely.get_y(points)
        near = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))
        pts, cand = locate_points(points[near], subset.geometry)
        pts = near[pts]
        police = incidents[SOURCE].iloc[pts].astype(str).to_numpy() == POLICE_SOURCE
        monthly = monthly_panel(incidents[MONTH].iloc[pts[police]], cand[police],
                                 incidents[HARM].to_numpy(float)[pts[police]], subset.index).T
        monthly.index.name = MONTH
    return Comparison(table=table, monthly=monthly)


def site_snapshot(ranked: pd.DataFrame, code: str) -> dict[str, object]:
    """Return a JSON-ready record of why a candidate was chosen (saved with the site).

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`score_candidates`.
    code : str
        The chosen candidate.

    Returns
    -------
    dict
        ``code``, ``name``, ``scale``, ``rank``, ``score``, ``weights``, ``period`` and per
        component ``raw`` value and ``contribution``; for the workspace's
        ``sites.add(..., score=...)``.
    """
    if code not in ranked.index:
        raise AnalysisError("cannot record the site", [Problem(
            f"{code!r} is not a candidate", column=AREA_CODE, fix="use a code from the ranking")])
    row = ranked.loc[code]
    comps = ranked.attrs.get("components") or component_columns(ranked)
    raw = pd.to_numeric(row[comps], errors="coerce").astype(float)
    return {
        "code": str(code),
        "name": str(row[NAME]) if NAME in ranked.columns else str(code),
        "scale": str(row["scale"]) if "scale" in ranked.columns else None,
        "rank": int(row["rank"]),
        "score": float(row["score"]),
        "weights": dict(ranked.attrs.get("weights", {})),
        "period": ranked.attrs.get("period"),
        "raw": {c: (None if np.isnan(v) else float(v)) for c, v in raw.items()},
        "contributions": {c: float(row[f"{c}__contrib"]) for c in comps},
    }


def score_site(
    geometry: shapely.Geometry | gpd.GeoSeries | gpd.GeoDataFrame,
    ranked: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    name: str = "Drawn site",
    weights: ScoreWeights | None = None,
    higher_is_worse: dict[str, bool] | None = None,
    **inputs: pd.DataFrame | None,
) -> gpd.GeoDataFrame:
    """Score a user-drawn or uploaded boundary exactly as the ranked candidates were.

    Parameters
    ----------
    geometry : shapely geometry (EPSG:4326), GeoSeries or GeoDataFrame
        The boundary; several features are unioned; reprojected to EPSG:4326.
    ranked : geopandas.GeoDataFrame
        Output of :func:`score_candidates`; its raw components define the normalisation.
    incidents : geopandas.GeoDataFrame
        The same (period-filtered) incidents the candidates were computed from.
    name : str
        Label of the site.
    weights : ScoreWeights, optional
        Default: the weights stored in ``ranked.attrs["weights"]``.
    higher_is_worse : dict, optional
        As in :func:`score_candidates` (use the same as for ``ranked``).
    **inputs
        ``imd``, ``lsoas``, ``assets``, ``hotspots``, ``emerging`` as given to
        :func:`candidate_components` for the candidates.

    Returns
    -------
    geopandas.GeoDataFrame
        One row (index ``"site"``) with the components, ``__norm``/``__contrib``,
        ``score``, ``missing`` and ``would_rank`` (its place among the candidates: one plus
        how many score strictly higher).
    """
    if isinstance(geometry, gpd.GeoDataFrame | gpd.GeoSeries):
        geom = geometry.to_crs(CRS_STORE).union_all()
    else:
        geom = geometry
    if geom is None or shapely.is_empty(geom) or shapely.get_dimensions(geom) != 2:
        raise AnalysisError("the site boundary is not an area", [Problem(
            "the geometry is empty or not a polygon", fix="draw or upload a polygon")])
    site = gpd.GeoDataFrame({NAME: [name], KIND: ["site"]}, geometry=[shapely.make_valid(geom)],
                            crs=CRS_STORE, index=pd.Index(["site"], name=AREA_CODE))
    site = candidate_components(as_candidates(site, "site"), incidents, **inputs)
    comps = ranked.attrs.get("components") or component_columns(ranked)
    extra = [c for c in component_columns(site) if c not in comps]
    site = site.drop(columns=extra)
    for comp in comps:
        if comp not in site.columns:
            site[comp] = np.nan
    w = weights or ScoreWeights.from_dict(ranked.attrs.get("weights", {}))
    scored = score_candidates(site, w, higher_is_worse=higher_is_worse, reference=ranked)
    scored["would_rank"] = int((ranked["score"] > float(scored["score"].iloc[0])).sum()) + 1
    return scored.drop(columns=["rank"])
