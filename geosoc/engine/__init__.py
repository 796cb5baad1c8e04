"""Execution engines: the same pure per-partition steps in memory or on a dask cluster.

``cube`` (incidents → exact (cell, month, key, area) totals, and the views of it),
``local`` (one machine, chunked) and ``distributed`` (partitioned Parquet on
``dask.distributed``: a loopback LocalCluster or any scheduler address); ``profile`` (the
locality profile's aggregation half as pure per-partition steps) and ``profile_run``
(:func:`profile_incidents`, :func:`profile_from_source`: the profile on either engine).
"""

from geosoc.engine.cube import (
    CubeSpec,
    combine_cubes,
    cube_areas,
    cube_cells,
    cube_months,
    cube_panel,
    cube_unlocated,
    partition_cube,
    select,
)
from geosoc.engine.local import build_cube
from geosoc.engine.profile_run import profile_from_source, profile_incidents

__all__ = [
    "CubeSpec", "build_cube", "combine_cubes", "cube_areas", "cube_cells", "cube_months",
    "cube_panel", "cube_unlocated", "partition_cube", "profile_from_source",
    "profile_incidents", "select",
]
