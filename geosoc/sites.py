"""Candidate CHB sites at ward, postcode-sector and H3-region scale, and their components.

The pipeline is: candidates (:func:`ward_candidates`, :func:`sector_candidates`, or
:func:`geosoc.regions.grow_regions` passed through :func:`as_candidates`) →
:func:`candidate_components` (raw evidence per candidate, by point-in-polygon) →
:func:`geosoc.site_scoring.score_candidates` (weighted, explainable rank) →
:func:`compare_candidates` / :func:`explain` / :func:`score_site` for a drawn boundary.

Points are matched to candidates with a shapely STRtree ``intersects`` query (vectorised);
a point on a shared boundary goes to the first candidate in frame order, so counts and harm
are conserved over a partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geosoc.errors import AnalysisError, Problem, SchemaError
from geosoc.regions import grow_regions
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
    require_crs,
    validate_areas,
)
from geosoc.site_scoring import (
    DEFAULT_WEIGHTS,
    PARTNER_PREFIX,
    ScoreWeights,
    component_columns,
    explain,
    score_candidates,
)

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
    "ward_candidates",
]

#: Emerging hot spot classes that count as "emerging" for the ``emerging`` component.
EMERGING_HOT_CLASSES = ("New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot")


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
        Either sector polygons (Areas contract, ``kind == "postcode_sector"``), or a
        Postcodes frame, from which polygons are built with
        :func:`geosoc.ingest.build_postcode_areas` (Voronoi of unit centroids).
    clip_to : geopandas.GeoDataFrame, optional
        Study area to clip built polygons to (only used with a Postcodes frame).

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`as_candidates`; ``scale == "sector"``.
    """
    if not isinstance(sectors, gpd.GeoDataFrame):
        from geosoc.ingest import build_postcode_areas

        sectors = build_postcode_areas(sectors, level="sector", clip_to=clip_to)
    return as_candidates(sectors, "sector")


def _locate(points: np.ndarray, candidates: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Return (point positions, candidate positions) for points inside candidates.

    A point touching several candidates is kept once, with the first candidate.
    """
    valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
    tree = shapely.STRtree(candidates.to_numpy())
    pts, cand = tree.query(points[valid], predicate="intersects")
    pts = np.flatnonzero(valid)[pts]
    order = np.lexsort((cand, pts))
    pts, cand = pts[order], cand[order]
    first = np.r_[True, pts[1:] != pts[:-1]] if pts.size else np.zeros(0, bool)
    return pts[first], cand[first]


def _cell_points(cells: pd.DataFrame) -> np.ndarray:
    """Return the cells' centre points (EPSG:4326) from geometry, or from the h3 index."""
    if isinstance(cells, gpd.GeoDataFrame) and cells.geometry.notna().all():
        return shapely.centroid(cells.geometry.to_crs(CRS_STORE).to_numpy())
    latlng = np.array([h3.cell_to_latlng(str(c)) for c in cells.index], dtype=float)
    return shapely.points(latlng[:, 1], latlng[:, 0])


def monthly_slope(panel: pd.DataFrame) -> pd.Series:
    """Return the least-squares slope of each row of a candidate × month panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        Rows are candidates, columns consecutive months in order (missing months as 0),
        values harm (days) or counts.

    Returns
    -------
    pandas.Series
        Slope in value units per month; NaN for every row when there are fewer than two
        months.
    """
    y = panel.to_numpy(dtype=float)
    if y.shape[1] < 2:
        return pd.Series(np.nan, index=panel.index, dtype=float)
    t = np.arange(y.shape[1], dtype=float)
    t -= t.mean()
    slope = (y - y.mean(axis=1, keepdims=True)) @ t / (t @ t)
    return pd.Series(slope, index=panel.index, dtype=float)


def _monthly_panel(months: pd.Series, cand: np.ndarray, values: np.ndarray,
                   index: pd.Index) -> pd.DataFrame:
    """Sum ``values`` per (candidate position, month) over every month in range."""
    ords = pd.PeriodIndex(months, freq="M").asi8
    if ords.size == 0:
        return pd.DataFrame(index=index, dtype=float)
    lo, n_months = ords.min(), ords.max() - ords.min() + 1
    flat = np.bincount(cand * n_months + (ords - lo), weights=values,
                       minlength=len(index) * n_months)
    columns = pd.period_range(pd.Period(ordinal=int(lo), freq="M"), periods=int(n_months),
                              freq="M")
    return pd.DataFrame(flat.reshape(len(index), n_months), index=index, columns=columns)


def area_vulnerability(imd: pd.DataFrame, lookup: pd.DataFrame, *,
                       lsoa_col: str = "lsoa_code", area_col: str = "ward_code") -> pd.Series:
    """Return the population-weighted mean IMD score per area from an LSOA → area lookup.

    Parameters
    ----------
    imd : pandas.DataFrame
        IMD contract: index ``lsoa_code``, ``imd_score``; optional ``population``
        (without it every LSOA weighs the same).
    lookup : pandas.DataFrame
        Best-fit lookup with ``lsoa_col`` and ``area_col``.

    Returns
    -------
    pandas.Series
        ``vulnerability`` indexed by area code; areas with no LSOA in ``imd`` are absent.
    """
    require_columns(imd, ["imd_score"], what="IMD")
    require_columns(lookup, [lsoa_col, area_col], what="lookup")
    pop = imd["population"] if "population" in imd.columns else pd.Series(1.0, index=imd.index)
    joined = lookup[[lsoa_col, area_col]].join(
        pd.DataFrame({"score": imd["imd_score"], "w": pop}), on=lsoa_col, how="inner")
    joined["sw"] = joined["score"] * joined["w"]
    sums = joined.groupby(area_col)[["sw", "w"]].sum()
    out = (sums["sw"] / sums["w"].where(sums["w"] > 0)).dropna()
    out.index.name = AREA_CODE
    return out.rename("vulnerability")


def _overlay_vulnerability(candidates: gpd.GeoDataFrame, imd: pd.DataFrame,
                           lsoas: gpd.GeoDataFrame) -> np.ndarray:
    """Return the population × overlap-share weighted mean IMD score per candidate (NaN: none)."""
    require_columns(imd, ["imd_score"], what="IMD")
    lsoa = lsoas.join(imd[["imd_score"] + (["population"] if "population" in imd else [])],
                      how="inner")
    result = np.full(len(candidates), np.nan)
    if lsoa.empty:
        return result
    lg = lsoa.geometry.to_crs(CRS_METRIC).to_numpy()
    cg = candidates.geometry.to_crs(CRS_METRIC).to_numpy()
    li, ci = shapely.STRtree(lg).query(cg, predicate="intersects")[::-1]
    share = shapely.area(shapely.intersection(lg[li], cg[ci])) / shapely.area(lg[li])
    pop = lsoa["population"].to_numpy(float) if "population" in lsoa else np.ones(len(lsoa))
    w = share * pop[li]
    score = lsoa["imd_score"].to_numpy(float)[li]
    ok = np.isfinite(score) & (w > 0)
    wsum = np.bincount(ci[ok], weights=w[ok], minlength=len(candidates))
    swsum = np.bincount(ci[ok], weights=(w * score)[ok], minlength=len(candidates))
    np.divide(swsum, wsum, out=result, where=wsum > 0)
    return result


def candidate_components(
    candidates: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    imd: pd.DataFrame | None = None,
    lsoas: gpd.GeoDataFrame | None = None,
    assets: gpd.GeoDataFrame | None = None,
    hotspots: pd.DataFrame | None = None,
    emerging: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Compute the raw score components of each candidate by point-in-polygon.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Candidates (index ``area_code``, geometry EPSG:4326).
    incidents : geopandas.GeoDataFrame
        Incidents with ``harm`` (after :func:`geosoc.harm.apply_harm_weights`), ``source``,
        ``month``, Point geometry EPSG:4326. Filter to the baseline period first.
    imd, lsoas : optional
        IMD frame (index ``lsoa_code``, ``imd_score``, optional ``population``) and LSOA
        polygons (Areas, index ``area_code`` = LSOA code). Vulnerability is the mean IMD
        score weighted by population × the share of each LSOA's area inside the candidate.
    assets : geopandas.GeoDataFrame, optional
        Community asset points (EPSG:4326); ``assets`` = how many lie inside.
    hotspots : pandas.DataFrame, optional
        Cells with ``gi_z`` (index ``h3``; geometry optional); ``hotspot`` = mean ``gi_z``
        of the cells whose centre lies inside.
    emerging : pandas.DataFrame, optional
        Cells with ``emerging_class``; ``emerging`` = share of the cells inside in
        :data:`EMERGING_HOT_CLASSES`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``candidates`` with ``police_harm`` (days), ``police_count``,
        ``partner_harm__<source>`` per partner source, ``trend`` (slope of monthly police
        harm, days/month), and ``hotspot``/``emerging``/``vulnerability``/``assets`` when
        their inputs are given. NaN marks a component with no evidence for a candidate
        (no cells or LSOAs inside); counts and harm are 0 where nothing happened.
    """
    require_crs(candidates, what="candidates")
    require_columns(incidents, [SOURCE, MONTH, HARM], what="incidents")
    require_crs(incidents, what="incidents")
    out = candidates.copy()
    n = len(out)
    pts, cand = _locate(incidents.geometry.to_numpy(), out.geometry)
    source = incidents[SOURCE].astype(str).to_numpy()[pts]
    harm = incidents[HARM].to_numpy(dtype=float)[pts]
    police = source == POLICE_SOURCE
    out["police_harm"] = np.bincount(cand[police], weights=harm[police], minlength=n)
    out["police_count"] = np.bincount(cand[police], minlength=n).astype(np.int64)
    for partner in sorted(set(incidents[SOURCE].astype(str)) - {POLICE_SOURCE}):
        mine = source == partner
        out[PARTNER_PREFIX + partner] = np.bincount(cand[mine], weights=harm[mine], minlength=n)
    panel = _monthly_panel(incidents[MONTH].iloc[pts[police]], cand[police], harm[police],
                           out.index)
    out["trend"] = monthly_slope(panel).to_numpy()
    if hotspots is not None:
        require_columns(hotspots, ["gi_z"], what="hotspot cells")
        hp, c = _locate(_cell_points(hotspots), out.geometry)
        z = hotspots["gi_z"].to_numpy(dtype=float)[hp]
        counts = np.bincount(c, minlength=n)
        out["hotspot"] = np.where(counts > 0, np.bincount(c, weights=z, minlength=n)
                                  / np.maximum(counts, 1), np.nan)
    if emerging is not None:
        require_columns(emerging, ["emerging_class"], what="emerging hot spot cells")
        ep, c = _locate(_cell_points(emerging), out.geometry)
        hot = emerging["emerging_class"].astype(str).isin(EMERGING_HOT_CLASSES).to_numpy()[ep]
        counts = np.bincount(c, minlength=n)
        out["emerging"] = np.where(counts > 0, np.bincount(c, weights=hot.astype(float),
                                                           minlength=n) / np.maximum(counts, 1),
                                   np.nan)
    if imd is not None:
        if lsoas is None:
            raise SchemaError("vulnerability needs LSOA polygons", [Problem(
                "imd was given without lsoas", fix="pass lsoas=<LSOA Areas frame>")])
        out["vulnerability"] = _overlay_vulnerability(out, imd, lsoas)
    if assets is not None:
        require_crs(assets, what="assets")
        _, c = _locate(assets.geometry.to_numpy(), out.geometry)
        out["assets"] = np.bincount(c, minlength=n).astype(np.int64)
    return out


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
    table = ranked.loc[codes, rows].T
    table.index.name = "figure"
    monthly = pd.DataFrame()
    if incidents is not None:
        require_columns(incidents, [SOURCE, MONTH, HARM], what="incidents")
        subset = ranked.loc[codes]
        pts, cand = _locate(incidents.geometry.to_numpy(), subset.geometry)
        police = incidents[SOURCE].astype(str).to_numpy()[pts] == POLICE_SOURCE
        monthly = _monthly_panel(incidents[MONTH].iloc[pts[police]], cand[police],
                                 incidents[HARM].to_numpy(float)[pts[police]], subset.index).T
        monthly.index.name = MONTH
    return Comparison(table=table, monthly=monthly)


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
