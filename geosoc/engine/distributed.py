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

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow.parquet as pq

from geosoc.engine.cube import CubeSpec, combine_cubes, empty_cube, partition_cube
from geosoc.errors import InputFileError, Problem
from geosoc.schema import CATEGORY, LAT, LON, MONTH, SOURCE

NEEDED = (LON, LAT, MONTH, CATEGORY, SOURCE)
T = TypeVar("T")
#: Rows per partition when a frame in memory is sent to the cluster.
PARTITION_ROWS = 1_000_000


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
    result = reduce_partitions(source, partition_cube, combine_cubes, spec, client=client)
    return empty_cube() if result is None else combine_cubes([result])


def read_partitions(source: str | Path | Sequence[str] | pd.DataFrame) -> object:
    """Return the dataset as a dask DataFrame of lon, lat, month, category and source.

    Plain Parquet with ``lon``/``lat`` columns is read without geometry; GeoParquet without
    them through dask-geopandas, taking the point coordinates (in EPSG:4326). A frame
    already in memory is split into partitions of :data:`PARTITION_ROWS` rows.
    """
    import dask.dataframe as dd

    if isinstance(source, pd.DataFrame):  # incidents already read (police.uk CSVs)
        return dd.from_pandas(pd.DataFrame(source[list(NEEDED)]), chunksize=PARTITION_ROWS,
                              sort=False)
    names = _schema_names(source)
    if LON in names and LAT in names:
        return dd.read_parquet(source, columns=list(NEEDED))
    import dask_geopandas

    geo = dask_geopandas.read_parquet(source, columns=[MONTH, CATEGORY, SOURCE, "geometry"])
    return geo.map_partitions(_with_lonlat, meta=pd.DataFrame(
        {LON: [], LAT: [], MONTH: [], CATEGORY: [], SOURCE: []}))


def reduce_partitions(source: str | Path | Sequence[str] | pd.DataFrame, step: Callable[..., T],
                      combine: Callable[[list[T]], T], *args: object, client: object
                      ) -> T | None:
    """Run ``step(partition, *args)`` on every partition and reduce with ``combine``.

    ``args`` are scattered to every worker once (an area index can be tens of MB); the
    partial results are added by a tree reduction (8 per step), so only the final, small
    result comes back to this process. ``None`` when the dataset has no partition.
    """
    from dask import delayed

    frame = read_partitions(source)
    shared = [client.scatter(a, broadcast=True) for a in args]  # type: ignore[attr-defined]
    level = [delayed(step)(part, *shared) for part in frame.to_delayed()]
    while len(level) > 1:
        level = [delayed(combine)(level[i:i + 8]) for i in range(0, len(level), 8)]
    if not level:
        return None
    return client.compute(level[0]).result()  # type: ignore[attr-defined]
