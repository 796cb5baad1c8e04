"""Rates per 1,000 residents beside counts, with small-population areas flagged.

A count says where most happens; a rate says where residents are most affected. Rates on a
few hundred residents swing wildly (one burglary in a 90-person LSOA is 11 per 1,000), so
every area under :data:`SMALL_POPULATION` residents is flagged ``small_population`` and
should be read with care. Population comes from ONS mid-year estimates
(:func:`geosoc.ingest.read_population`): per LSOA or ward directly, or apportioned from LSOAs
to any other polygons (postcode sectors, candidate sites) by the share of each LSOA's area
inside them (:func:`apportion_population`).

For partner and public outputs the counts passed in must already be the disclosed ones
(:mod:`geosoc.disclosure`): a rate is then a derived value of a disclosed count and a
public population figure, and gives nothing back. A suppressed count gives no rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.rollup import add_rates
from geosoc.errors import Problem, SchemaError
from geosoc.schema import CRS_METRIC

#: Areas with fewer residents than this are flagged ``small_population`` (rates unstable).
SMALL_POPULATION = 100
#: Column names written by :func:`with_rates`.
POPULATION, SMALL = "population", "small_population"


def rate_per_1000(counts: pd.Series | np.ndarray, population: pd.Series | np.ndarray
                  ) -> np.ndarray:
    """Return ``counts`` per 1,000 residents (NaN where the population is unknown or zero).

    >>> rate_per_1000(np.array([5.0, 1.0, np.nan]), np.array([2500, 0, 400])).tolist()
    [2.0, nan, nan]
    """
    counts = np.asarray(counts, dtype=float)
    population = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(population > 0, counts / population * 1000.0, np.nan)


def with_rates(frame: pd.DataFrame, population: pd.Series, *,
               columns: Sequence[str] = ("count", "harm"),
               small_population: int = SMALL_POPULATION) -> pd.DataFrame:
    """Return ``frame`` with population, ``<column>_per_1000`` and a small-population flag.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Indexed by area code (wards, LSOAs, sectors, candidate sites), with the count
        columns (events ``count``, harm days ``harm``, per-source ``count__<source>``...).
        For partner and public: the disclosed frame (suppressed counts NaN).
    population : pandas.Series
        Residents per area code (persons), e.g. ``read_population(...).data["population"]``
        or :func:`apportion_population`.
    columns : sequence of str
        Count columns to give a rate; those absent from ``frame`` are skipped.
    small_population : int
        Residents below which an area is flagged (default :data:`SMALL_POPULATION`).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A new frame, same index and CRS: ``population`` (float, NaN where unknown),
        ``<column>_per_1000`` (per 1,000 residents; harm in days per 1,000) and
        ``small_population`` (True under ``small_population`` residents; False where the
        population is not known: such an area reads "population not known", NaN
        ``population``, not "under 100 residents").
    """
    pop = pd.to_numeric(population, errors="coerce")
    pop.index = pop.index.astype(str)
    values = pop.reindex(frame.index.astype(str)).to_numpy(dtype=float)
    out = add_rates(frame.assign(**{POPULATION: values}), POPULATION, per=1000,
                    columns=tuple(columns))
    out[SMALL] = values < small_population  # NaN (not known) is not small
    return out


def apportion_population(targets: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame,
                         population: pd.Series) -> pd.Series:
    """Share LSOA populations out to other polygons by area overlap.

    Parameters
    ----------
    targets : geopandas.GeoDataFrame
        Polygons (postcode sectors, candidate sites, wards without ward estimates), any CRS,
        indexed by their code or name.
    lsoas : geopandas.GeoDataFrame
        LSOA polygons indexed by LSOA code (the edition the population file uses).
    population : pandas.Series
        Residents per LSOA code.

    Returns
    -------
    pandas.Series
        Residents per target (float; 0 where no LSOA overlaps), index of ``targets``:
        each LSOA's residents times the share of its area (EPSG:27700) inside the target,
        assuming residents spread evenly over an LSOA.

    Raises
    ------
    SchemaError
        A frame without a CRS.
    """
    if targets.crs is None or lsoas.crs is None:
        raise SchemaError("population cannot be apportioned", [Problem(
            "a frame has no CRS", fix="set the CRS (EPSG:4326 for stored boundaries)")])
    pop = pd.to_numeric(population, errors="coerce").reindex(lsoas.index.astype(str))
    source = lsoas.to_crs(CRS_METRIC)
    source = gpd.GeoDataFrame({"pop": pop.fillna(0.0).to_numpy(),
                               "lsoa_area": source.area.to_numpy()},
                              geometry=source.geometry.to_numpy(), crs=CRS_METRIC)
    target = gpd.GeoDataFrame({"target": np.arange(len(targets))},
                              geometry=targets.to_crs(CRS_METRIC).geometry.to_numpy(),
                              crs=CRS_METRIC)
    pieces = gpd.overlay(source, target, how="intersection", keep_geom_type=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(pieces["lsoa_area"] > 0, pieces.area / pieces["lsoa_area"], 0.0)
    summed = pd.Series(pieces["pop"].to_numpy() * share).groupby(
        pieces["target"].to_numpy()).sum()
    out = summed.reindex(np.arange(len(targets)), fill_value=0.0)
    return pd.Series(out.to_numpy(), index=targets.index, name=POPULATION)


def population_for(kind: str, areas: gpd.GeoDataFrame | None, population: pd.DataFrame | None,
                   lsoas: gpd.GeoDataFrame | None = None) -> pd.Series | None:
    """Return residents per area of ``kind``: the file's own level, else apportioned LSOAs.

    Parameters
    ----------
    kind : str
        ``"ward"``, ``"lsoa"``, ``"postcode_sector"``...
    areas : geopandas.GeoDataFrame or None
        The areas (index ``area_code``), needed to apportion.
    population : pandas.DataFrame or None
        :func:`geosoc.ingest.read_population` output (``population``, ``kind``) of one or
        both levels.
    lsoas : geopandas.GeoDataFrame, optional
        LSOA polygons, to apportion LSOA populations to other kinds.

    Returns
    -------
    pandas.Series or None
        Residents per area code; None when there is no population for this kind.
    """
    if population is None or population.empty:
        return None
    kinds = population["kind"] if "kind" in population.columns else pd.Series(
        "lsoa", index=population.index)
    own = population.loc[kinds == kind, "population"]
    if len(own):
        return own.astype(float)
    lsoa_pop = population.loc[kinds == "lsoa", "population"]
    if areas is None or lsoas is None or lsoa_pop.empty:
        return None
    return apportion_population(areas, lsoas, lsoa_pop)


def areas_with_rates(areas: dict[str, gpd.GeoDataFrame], population: pd.DataFrame | None
                     ) -> dict[str, gpd.GeoDataFrame]:
    """Return each area layer with rates per 1,000 residents where a population fits it.

    Parameters
    ----------
    areas : dict of str to geopandas.GeoDataFrame
        Area layers by kind (``"ward"``, ``"lsoa"``...), each with ``count``/``harm``; for
        partner and public the disclosed layers.
    population : pandas.DataFrame or None
        :func:`geosoc.ingest.read_population` output; None returns ``areas`` unchanged.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        New frames (see :func:`with_rates`); a kind with no population is left as it was.
    """
    out = {}
    for kind, frame in areas.items():
        residents = population_for(kind, frame, population, areas.get("lsoa"))
        out[kind] = frame if residents is None else with_rates(frame, residents)
    return out
