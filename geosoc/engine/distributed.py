"""The distributed engine: build the harm cube from a partitioned Parquet dataset with dask.

Each partition is reduced by the same pure function as in memory
(:func:`geosoc.engine.cube.partition_cube`); the partial cubes are added by dask's tree
reduction. Only the cube (cells x months x keys x areas) comes back to this process, so the
input can be far larger than memory. Runs on a ``dask.distributed`` LocalCluster on this
machine (loopback only) or on any scheduler address given (``tcp://host:8786``).

Input: a folder (or glob, or list) of Parquet or GeoParquet files. Plain Parquet with ``lon``
and ``lat`` columns is read without decoding geometry; GeoParquet without them is read with
dask-geopandas and its point coordinates are used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from geosoc.engine.cube import CubeSpec, combine_cubes, empty_cube, partition_cube
from geosoc.errors import InputFileError, Problem
from geosoc.schema import CATEGORY, LAT, LON, MONTH, SOURCE

NEEDED = (LON, LAT, MONTH, CATEGORY, SOURCE)


@contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int = 2,
                memory_limit: str = "4GB") -> Iterator[object]:
    """Yield a ``distributed.Client``: to ``scheduler``, or to a new loopback LocalCluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a LocalCluster.
    n_workers : int
        Worker processes of the LocalCluster (one thread each).
    memory_limit : str
        Memory limit per LocalCluster worker.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      memory_limit=memory_limit) as cluster, Client(cluster) as client:
        yield client


def _schema_names(source: str | Path | Sequence[str]) -> list[str]:
    first = source[0] if isinstance(source, list | tuple) else source
    path = Path(first)
    if path.is_dir():
        files = sorted(path.rglob("*.parquet"))
        if not files:
            raise InputFileError(f"no Parquet files in {path}", [Problem(
                "the folder holds no *.parquet file", file=str(path),
                fix="point at a folder of Parquet/GeoParquet partitions")])
        path = files[0]
    return list(pq.read_schema(path).names)


def _with_lonlat(frame: pd.DataFrame) -> pd.DataFrame:
    """Partition step for GeoParquet: point coordinates to ``lon``/``lat`` (EPSG:4326)."""
    geometry = frame.geometry
    if geometry.crs is not None and geometry.crs.to_epsg() != 4326:
        geometry = geometry.to_crs(4326)
    return pd.DataFrame({LON: geometry.x.to_numpy(), LAT: geometry.y.to_numpy(),
                         MONTH: frame[MONTH].to_numpy(), CATEGORY: frame[CATEGORY].to_numpy(),
                         SOURCE: frame[SOURCE].to_numpy()})


def build_cube_dask(source: str | Path | Sequence[str], spec: CubeSpec, *,
                    scheduler: str | None = None, n_workers: int = 2,
                    client: object | None = None) -> pd.DataFrame:
    """Reduce a partitioned Parquet/GeoParquet dataset to the harm cube of ``spec``.

    Parameters
    ----------
    source : path, glob or list of paths
        Parquet files or a folder of them, one or more partitions each.
    spec : CubeSpec
        Resolution, weighting, key column and optional area index (shipped to workers).
    scheduler : str, optional
        Scheduler address; ``None`` starts a loopback LocalCluster with ``n_workers``.
    n_workers : int
        LocalCluster workers when no scheduler is given.
    client : distributed.Client, optional
        An open client to use instead of starting one.

    Returns
    -------
    pandas.DataFrame
        The cube, equal to :func:`geosoc.engine.local.build_cube` on the same rows.
    """
    if client is None:
        with dask_client(scheduler, n_workers=n_workers) as own:
            return build_cube_dask(source, spec, client=own)
    import dask.dataframe as dd
    from dask import delayed

    names = _schema_names(source)
    if LON in names and LAT in names:
        frame = dd.read_parquet(source, columns=list(NEEDED))
    else:
        import dask_geopandas

        geo = dask_geopandas.read_parquet(source, columns=[MONTH, CATEGORY, SOURCE, "geometry"])
        frame = geo.map_partitions(_with_lonlat, meta=pd.DataFrame(
            {LON: [], LAT: [], MONTH: [], CATEGORY: [], SOURCE: []}))
    # The spec (with its area index, which can be tens of MB) goes to each worker once.
    shared = client.scatter(spec, broadcast=True)  # type: ignore[attr-defined]
    partial = frame.map_partitions(partition_cube, shared, meta=empty_cube())
    # Tree reduction with the same exact function as in memory (8 partial cubes per step).
    level = partial.to_delayed()
    while len(level) > 1:
        level = [delayed(combine_cubes)(level[i:i + 8]) for i in range(0, len(level), 8)]
    if not level:
        return empty_cube()
    result = client.compute(level[0]).result()  # type: ignore[attr-defined]
    return combine_cubes([result])
