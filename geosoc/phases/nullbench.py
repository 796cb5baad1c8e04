"""Null-site calibration on real LSOA x month counts: pseudo-sites with no intervention.

The bench (``bench/bench_null_sites.py``) and an integration test drive this module. It reads
a city's police.uk LSOA x category x month counts (the ``../shared/data`` parquet layout:
``lsoa_code, category, year, month, crime_count``, absent row = 0) and LSOA 2011 polygons,
builds **units** (wards: the LSOAs whose representative point lies in a ward; and LSOA
clusters: an LSOA and its 3 nearest neighbours, CHB-site sized), each with two rings (the
LSOAs touching it, and those touching that ring), and runs pseudo-sites with random phase
dates through the very functions ``geosoc phases report`` uses
(:func:`geosoc.phases.evaluation.evaluate_change`, :func:`geosoc.phases.verdicts.calibrate`,
:func:`geosoc.phases.watch.watch_table`). Donors of a unit's zone are the same zone of every
other unit of the same kind whose footprint (unit plus rings) does not overlap it.

LSOA 2021 codes with no 2011 polygon (splits and merges, a few percent of crime) are left
out and counted in :attr:`City.dropped_share`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from geosoc.harm import load_harm_weights
from geosoc.phases.evaluation import evaluate_change
from geosoc.phases.plan import PhasePlan
from geosoc.phases.verdicts import SIG_FALL, calibrate
from geosoc.phases.watch import watch_alerts, watch_table
from geosoc.schema import CRS_METRIC, POLICE_ACTIVITY_CATEGORIES

#: Complete months of the shared counts (2023-05..09 are incomplete upstream).
FIRST, LAST = "2023-10", "2026-03"
ZONES = ("site", "inner ring", "outer ring")


@dataclass(frozen=True)
class Units:
    """One kind of pseudo-site unit: membership of site and rings, series, geometry."""

    kind: str
    names: np.ndarray
    series: dict[str, dict[str, np.ndarray]]  # measure -> zone -> (n_units, months)
    footprint: sparse.csr_matrix  # (n_units, n_lsoa) unit + rings
    ring1: sparse.csr_matrix
    xy: np.ndarray  # unit centroids, EPSG:27700 metres
    separation_km: float  # centroids this close mean footprints overlap (2 x median reach)


@dataclass(frozen=True)
class City:
    """A city's LSOA series and the units built on them."""

    name: str
    months: pd.PeriodIndex
    lsoa: pd.Index
    lsoa_series: dict[str, np.ndarray]  # measure -> (n_lsoa, months)
    lsoa_xy: np.ndarray
    units: dict[str, Units]
    dropped_share: float


def _read_polygons(folder: Path) -> gpd.GeoDataFrame:
    frames = [gpd.read_file(p) for p in sorted(folder.glob("*.json"))]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def _adjacency(geoms: gpd.GeoSeries) -> sparse.csr_matrix:
    left, right = geoms.sindex.query(geoms.buffer(5.0).to_numpy(), predicate="intersects")
    n = len(geoms)
    return sparse.csr_matrix((np.ones(len(left)), (left, right)), shape=(n, n))


def _rings(unit: sparse.csr_matrix, adj: sparse.csr_matrix
           ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    one = ((unit @ adj) > 0).astype(float) - unit
    one = (one > 0).astype(float)
    two = (((one @ adj) > 0).astype(float) - unit - one > 0).astype(float)
    return sparse.csr_matrix(one), sparse.csr_matrix(two)


def _units(kind: str, names: np.ndarray, unit: sparse.csr_matrix, adj: sparse.csr_matrix,
           series: dict[str, np.ndarray], lsoa_xy: np.ndarray) -> Units:
    one, two = _rings(unit, adj)
    sizes = np.asarray(unit.sum(axis=1)).ravel()
    xy = (unit @ lsoa_xy) / sizes[:, None]
    zones = {"site": unit, "inner ring": one, "outer ring": two}
    per = {m: {z: np.asarray(mat @ v) for z, mat in zones.items()} for m, v in series.items()}
    foot = sparse.csr_matrix(((unit + one + two) > 0).astype(float))
    coo = foot.tocoo()
    reach = np.zeros(foot.shape[0])
    np.maximum.at(reach, coo.row, np.hypot(*(lsoa_xy[coo.col] - xy[coo.row]).T))
    return Units(kind, names, per, foot, one, xy, float(2 * np.median(reach) / 1000))


def load_city(counts_path: Path, lsoa_dir: Path, ward_dir: Path, *, name: str = "") -> City:
    """Read one city's counts and boundaries and build ward and LSOA-cluster units.

    Parameters
    ----------
    counts_path : pathlib.Path
        The LSOA x category x month parquet (``crime_count``; absent row = 0).
    lsoa_dir, ward_dir : pathlib.Path
        Folders of LSOA 2011 and ward GeoJSON files (CRS84).
    name : str
        City label.

    Returns
    -------
    City
        Series per measure (``count`` and ``harm`` in days, police-activity types left out,
        months 2023-10 to 2026-03) and the units.
    """
    raw = pd.read_parquet(counts_path)
    raw = raw[raw["year"] >= 2023]
    months = pd.period_range(FIRST, LAST, freq="M")
    raw = raw.assign(period=pd.PeriodIndex.from_fields(year=raw["year"], month=raw["month"],
                                                       freq="M"))
    raw = raw[raw["period"].isin(months) & ~raw["category"].isin(POLICE_ACTIVITY_CATEGORIES)]
    weights = load_harm_weights()
    w = weights[weights["source"] == "police"].set_index("category")["weight"]
    raw = raw.assign(harm=raw["crime_count"] * raw["category"].map(w).fillna(1.0))
    polys = _read_polygons(lsoa_dir).to_crs(CRS_METRIC)
    polys = polys.drop_duplicates("LSOA11CD").set_index("LSOA11CD")
    have = raw["lsoa_code"].isin(polys.index)
    dropped = 1 - raw.loc[have, "crime_count"].sum() / raw["crime_count"].sum()
    polys = polys[polys.index.isin(raw["lsoa_code"])]
    lsoa = polys.index
    raw = raw[have]
    series = {}
    for measure, col in (("count", "crime_count"), ("harm", "harm")):
        wide = raw.pivot_table(index="lsoa_code", columns="period", values=col,
                               aggfunc="sum", fill_value=0)
        series[measure] = wide.reindex(index=lsoa, columns=months, fill_value=0).to_numpy(float)
    adj = _adjacency(polys.geometry)
    reps = polys.geometry.representative_point()
    lsoa_xy = np.c_[reps.x.to_numpy(), reps.y.to_numpy()]
    wards = _read_polygons(ward_dir).to_crs(CRS_METRIC)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=reps.to_numpy(), crs=CRS_METRIC),
                       wards[["WD13CD", "geometry"]], predicate="within", how="inner")
    joined = joined[~joined.index.duplicated()]
    codes, ward_idx = np.unique(joined["WD13CD"].to_numpy(), return_inverse=True)
    ward_m = sparse.csr_matrix((np.ones(len(joined)), (ward_idx, joined.index.to_numpy())),
                               shape=(len(codes), len(lsoa)))
    _, nn = cKDTree(lsoa_xy).query(lsoa_xy, k=4)
    clus_m = sparse.csr_matrix((np.ones(nn.size), (np.repeat(np.arange(len(lsoa)), 4),
                                                   nn.ravel())), shape=(len(lsoa), len(lsoa)))
    units = {"ward": _units("ward", codes, ward_m, adj, series, lsoa_xy),
             "cluster": _units("cluster", lsoa.to_numpy(), clus_m, adj, series, lsoa_xy)}
    return City(name, months, lsoa, series, lsoa_xy, units, float(dropped))


def random_plan(months: pd.PeriodIndex, rng: np.random.Generator) -> PhasePlan:
    """Draw a random CHB plan: 12 baseline months, Clear 3, Hold 6, Build up to 6 months."""
    start = int(rng.integers(12, len(months) - 9 + 1))
    build_end = min(start + 9 + 5, len(months) - 1)
    spans = {"baseline": (months[start - 12], months[start - 1]),
             "clear": (months[start], months[start + 2]),
             "hold": (months[start + 3], months[start + 8])}
    if start + 9 <= build_end:
        spans["build"] = (months[start + 9], months[build_end])
    return PhasePlan.from_dates(**spans)  # type: ignore[arg-type]


def _stepped(values: np.ndarray, months: pd.PeriodIndex, plan: PhasePlan, step: float,
             rng: np.random.Generator, *, counts: bool) -> np.ndarray:
    """Baseline months lowered by ``step`` (binomial thinning of counts; harm scaled)."""
    if step <= 0:
        return values
    base = (months >= plan.phases[0].start) & (months <= plan.phases[0].end)
    out = np.array(values, dtype=float, copy=True)
    out[..., base] = (rng.binomial(out[..., base].astype(int), 1 - step) if counts
                      else out[..., base] * (1 - step))
    return out


def _frames(units: Units, i: int, months: pd.PeriodIndex, measure: str,
            fall: float, plan: PhasePlan, rng: np.random.Generator, step: float = 0.0
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame, pd.DataFrame]:
    """Target, donor and distance frames of unit ``i`` (site thinned by ``fall`` after Clear).

    ``step`` lowers every area's baseline year alike (a town-wide step the donors share).
    """
    overlap = np.asarray((units.footprint[i] @ units.footprint.T).todense()).ravel() > 0
    donors = np.flatnonzero(~overlap)
    km = np.hypot(*(units.xy[donors] - units.xy[i]).T) / 1000
    is_count = measure == "count"
    target = {z: _stepped(units.series[measure][z][i], months, plan, step, rng,
                          counts=is_count) for z in ZONES}
    counts = {z: target[z].copy() if is_count else units.series["count"][z][i].copy()
              for z in ZONES}
    if fall > 0:
        after = months >= plan.clear.start
        kept = rng.binomial(counts["site"][after].astype(int), 1 - fall)
        ratio = np.where(counts["site"][after] > 0, kept / np.maximum(counts["site"][after], 1),
                         1 - fall)
        target["site"][after] *= ratio
        counts["site"][after] = kept
    series = pd.DataFrame([target[z] for z in ZONES], index=list(ZONES), columns=months)
    events = pd.DataFrame([counts[z] for z in ZONES], index=list(ZONES), columns=months)
    index = pd.MultiIndex.from_product([list(ZONES), units.names[donors]])
    values = np.vstack([_stepped(units.series[measure][z][donors], months, plan, step, rng,
                                 counts=is_count) for z in ZONES])
    donor = pd.DataFrame(values, index=index, columns=months)
    xy = pd.DataFrame(np.tile(units.xy[donors] / 1000, (len(ZONES), 1)), index=index,
                      columns=["x_km", "y_km"])
    return series, donor, pd.Series(np.tile(km, len(ZONES)), index=index), events, xy


def run_site(city: City, kind: str, i: int, plan: PhasePlan, *, fall: float = 0.0,
             seed: int = 0, watch: bool = False, step: float = 0.0
             ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Evaluate one pseudo-site exactly as the report does; return its calibrated rows.

    Parameters
    ----------
    city : City
        From :func:`load_city`.
    kind : {"ward", "cluster"}
        Unit kind.
    i : int
        Unit position.
    plan : PhasePlan
        Phase dates (no intervention happened).
    fall : float
        Injected fall in the site from Clear on (0.2 = 20%, binomial thinning of counts).
    seed : int
        Seed of the thinning.
    watch : bool
        Also run the Hold-phase watch (count measure, site and rings).
    step : float
        Lower every area's baseline year by this share (an unusual baseline year shared
        town-wide, e.g. 0.3).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame or None)
        :func:`calibrate` rows (both measures) and the watch table.
    """
    units = city.units[kind]
    tables, watched = [], None
    for measure in ("count", "harm"):
        rng = np.random.default_rng(seed)
        series, donors, km, events, xy = _frames(units, i, city.months, measure, fall, plan,
                                                 rng, step)
        tables.append(evaluate_change(series, donors, plan, measure=measure, events=events,
                                      donor_km=km, donor_xy=xy,
                                      separation_km=units.separation_km))
        if watch and measure == "count":
            watched = watch_alerts(watch_table(series, donors, plan, donor_km=km),
                                   hold_months=plan.hold.months if plan.hold else None)
    return calibrate(pd.concat(tables, ignore_index=True)), watched


def null_claims(rows: pd.DataFrame) -> dict[str, bool]:
    """Per-test "significant" flags of one site (raw p < 0.05 per test; Holm for the site)."""
    tested = rows[rows["status"] == "tested"]
    site = tested[tested["zone"] == "site"]
    rings = tested[tested["zone"] != "site"]
    return {
        "site change, any phase (raw p<0.05)": bool((site["p"] < 0.05).any()),
        "ring displacement, any ring/phase (raw p<0.05)": bool((rings["p"] < 0.05).any()),
        "site-level verdict (Holm)": bool((tested["p_adjusted"] < 0.05).any()),
        "site fall detected (Holm)": bool(((site["p_adjusted"] < 0.05)
                                           & (site["verdict"] == SIG_FALL)).any()),
    }
