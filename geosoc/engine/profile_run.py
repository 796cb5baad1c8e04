"""Run the locality profile on an engine: a frame in memory, or a dataset on dask.

:func:`profile_incidents` reduces a frame in memory (in row chunks) with the pure steps of
:mod:`geosoc.engine.profile`; :func:`profile_from_source` a partitioned Parquet/GeoParquet
dataset (or a frame), in this process or with ``engine="dask"`` on a ``dask.distributed``
LocalCluster or any scheduler address, where only the harm cube comes back. The statistics
then run on the small aggregates, and every engine gives exactly the same profile.
Coordinates are WGS84 (EPSG:4326) degrees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from geosoc.engine.cube import CubeSpec
from geosoc.engine.profile import (
    HullFilter,
    ProfilePart,
    combine_parts,
    cube_spec,
    profile_from_part,
    profile_part,
)
from geosoc.errors import AnalysisError, Problem
from geosoc.harm import Scheme
from geosoc.hotspots.profile_result import LocalityProfile, Progress

Engine = Literal["memory", "dask"]
#: Rows reduced at a time by the in-memory engine.
CHUNK_ROWS = 5_000_000


def _hull_filter(areas: Mapping[str, gpd.GeoDataFrame] | None,
                 months: tuple[str | None, str | None] | None,
                 categories: Sequence[str] | None, sources: Sequence[str] | None
                 ) -> HullFilter | None:
    if areas:
        return None
    return HullFilter(months=None if months is None else tuple(months),  # type: ignore[arg-type]
                      categories=None if categories is None else tuple(categories),
                      sources=None if sources is None else tuple(sources))


def build_part(incidents: pd.DataFrame, spec: CubeSpec, hull: HullFilter | None, *,
               chunk_rows: int = CHUNK_ROWS) -> ProfilePart:
    """Run :func:`profile_part` over row chunks in memory and combine the parts."""
    step = max(1, int(chunk_rows))
    return combine_parts([profile_part(incidents.iloc[i:i + step], spec, hull)
                          for i in range(0, len(incidents), step)])


def profile_incidents(
    incidents: pd.DataFrame,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    resolution: int = 9,
    weights: pd.DataFrame | str | None = None,
    scheme: Scheme = "harm",
    unknown: str | float = "error",
    months: tuple[str | None, str | None] | None = None,
    categories: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    progress: Progress | None = None,
    **statistics: object,
) -> LocalityProfile:
    """Build the locality profile of incidents in memory, through the harm cube.

    Same parameters and result as :func:`geosoc.hotspots.profile.build_profile`, but the
    incidents need only ``lon``/``lat`` columns (EPSG:4326; no geometry, so a plain
    DataFrame read without building points will do) and harm is summed exactly (integer
    micro-days), equal to :func:`profile_from_source` with ``engine="dask"``. ``months``
    may leave either end ``None`` (the data's first or last month). ``statistics``:
    ``permutations``, ``lisa_permutations``, ``emerging_freq``, ``seed``.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, f"harm, H3 cells and areas of {len(incidents):,} incidents")
    spec = cube_spec(areas, resolution=resolution, weights=weights, scheme=scheme,
                     unknown=unknown)
    part = build_part(incidents, spec, _hull_filter(areas, months, categories, sources))
    report(0.15, f"covering the study area with H3 resolution {resolution} cells")
    return profile_from_part(part, spec, areas, unknown=unknown, months=months,
                             categories=categories, sources=sources, progress=report,
                             **statistics)  # type: ignore[arg-type]


def profile_from_source(
    source: str | Path | Sequence[str] | pd.DataFrame,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    engine: Engine = "memory",
    scheduler: str | None = None,
    n_workers: int = 2,
    client: object | None = None,
    resolution: int = 9,
    weights: pd.DataFrame | str | None = None,
    scheme: Scheme = "harm",
    unknown: str | float = "error",
    months: tuple[str | None, str | None] | None = None,
    categories: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    progress: Progress | None = None,
    **statistics: object,
) -> LocalityProfile:
    """Build the locality profile of a partitioned Parquet/GeoParquet incident dataset.

    Parameters
    ----------
    source : path, glob, list of paths or pandas.DataFrame
        Parquet files, or a folder of them, with ``lon``, ``lat`` (or point geometry, read
        with dask-geopandas), ``month``, ``category``, ``source``; or incidents already in
        memory (sent to the cluster in partitions).
    areas : dict of str to geopandas.GeoDataFrame, optional
        Area layers (EPSG:4326); their indexes are built here and shipped to the workers.
    engine : {"memory", "dask"}
        Read it all into this process, or reduce each partition on a dask cluster (only
        the cube comes back: the dataset may be far larger than memory).
    scheduler : str, optional
        Scheduler address (``tcp://host:8786``); ``None`` starts a loopback LocalCluster.
    n_workers : int
        LocalCluster workers when no scheduler (or client) is given.
    client : distributed.Client, optional
        An open client to use.
    resolution, weights, scheme, unknown, months, categories, sources, progress, **statistics
        As :func:`profile_incidents`.

    Returns
    -------
    LocalityProfile
        Identical whichever engine ran it.
    """
    report = progress or (lambda fraction, message: None)
    options = {"resolution": resolution, "weights": weights, "scheme": scheme,
               "unknown": unknown, "months": months, "categories": categories,
               "sources": sources, "progress": report, **statistics}
    if engine == "memory":
        from geosoc.engine.distributed import read_partitions

        frame = read_partitions(source).compute(scheduler="synchronous")
        return profile_incidents(frame.reset_index(drop=True), areas, **options)
    if engine != "dask":
        raise AnalysisError(f"unknown engine {engine!r}", [Problem(
            f"engine={engine!r}", column="--engine", fix="use 'memory' or 'dask'")])
    from geosoc.engine.distributed import dask_client, reduce_partitions

    if client is None:
        with dask_client(scheduler, n_workers=n_workers) as own:
            return profile_from_source(source, areas, engine="dask", client=own, **options)
    shown = f"{len(source):,} incidents" if isinstance(source, pd.DataFrame) else str(source)
    report(0.0, f"reducing the partitions of {shown} on the dask cluster")
    spec = cube_spec(areas, resolution=resolution, weights=weights, scheme=scheme,
                     unknown=unknown)
    part = reduce_partitions(source, profile_part, combine_parts, spec,
                             _hull_filter(areas, months, categories, sources), client=client)
    part = combine_parts([part] if part is not None else [])
    report(0.15, f"covering the study area with H3 resolution {resolution} cells")
    return profile_from_part(part, spec, areas, unknown=unknown, months=months,
                             categories=categories, sources=sources, progress=report,
                             **statistics)  # type: ignore[arg-type]
