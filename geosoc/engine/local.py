"""The in-memory engine: build the harm cube from a frame on this machine.

Runs the same pure step as the distributed engine (:func:`geosoc.engine.cube.partition_cube`)
over row chunks of one frame, so memory stays bounded by the chunk while results are
identical to the distributed path (integer harm sums are exact).
"""

from __future__ import annotations

import pandas as pd

from geosoc.engine.cube import CubeSpec, combine_cubes, partition_cube

#: Rows per chunk: bounds the temporary arrays of one step (about 0.5 GB at 5M rows).
DEFAULT_CHUNK_ROWS = 5_000_000


def build_cube(incidents: pd.DataFrame, spec: CubeSpec, *,
               chunk_rows: int = DEFAULT_CHUNK_ROWS) -> pd.DataFrame:
    """Reduce ``incidents`` to the harm cube of ``spec``.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``lon``, ``lat`` (EPSG:4326 degrees), ``month``, ``category``,
        ``source``.
    spec : CubeSpec
        Resolution, weighting, key column and optional area index.
    chunk_rows : int
        Rows reduced at a time.

    Returns
    -------
    pandas.DataFrame
        The cube (see :func:`geosoc.engine.cube.partition_cube`).
    """
    step = max(1, int(chunk_rows))
    parts = [partition_cube(pd.DataFrame(incidents.iloc[i:i + step]), spec)
             for i in range(0, len(incidents), step)]
    return combine_cubes(parts)
