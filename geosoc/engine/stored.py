"""The harm cube stored with every incidents dataset: how it is built.

:func:`stored_harm_cube` is the cube builder the CLI and the app hand to
:func:`geosoc.workspace.dataset_store.store_dataset` (the workspace stage may not import the
engine, so it is passed in): :func:`~geosoc.engine.cube.partition_cube` on each monthly part
with ``CubeSpec(resolution=10, by=SOURCE_CATEGORY)`` and the default harm weights
(``geosoc/resources/harm_weights.csv``, as ``geosoc profile`` uses), no areas (boundaries may
be stored later), combined with :func:`~geosoc.engine.cube.combine_cubes`. Coordinates are
WGS84 degrees (EPSG:4326); harm is in days, as integer micro-days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from geosoc.engine.cube import SOURCE_CATEGORY, CubeSpec, combine_cubes, partition_cube
from geosoc.harm import DEFAULT_WEIGHTS_PATH

#: Finest H3 resolution of the stored cube (coarser cells are its parents).
STORED_RESOLUTION = 10
#: Threads reducing batches at once (H3 and the harm lookup release the GIL in part).
CUBE_THREADS = 2
#: Consecutive monthly parts are reduced together up to this many rows: each
#: :func:`~geosoc.engine.cube.partition_cube` call has ~0.1 s of fixed pandas cost, so 36
#: small monthly calls cost twice one call on the whole frame (measured at 1M rows).
BATCH_ROWS = 1_500_000


def default_weights_sha256() -> str:
    """SHA-256 of the default harm weights table the stored cube is weighted with."""
    return hashlib.sha256(DEFAULT_WEIGHTS_PATH.read_bytes()).hexdigest()


def stored_cube_spec() -> CubeSpec:
    """Return the spec of every stored cube: resolution 10, keyed by source and category."""
    return CubeSpec(resolution=STORED_RESOLUTION, by=SOURCE_CATEGORY)


def stored_harm_cube(parts: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, object]]:
    """Reduce an incidents dataset's monthly parts to its harm cube, and describe it.

    Parameters
    ----------
    parts : sequence of pandas.DataFrame
        Incidents with ``lon``, ``lat`` (EPSG:4326 degrees), ``month``, ``category`` and
        ``source``, one frame per month (any split gives the same cube: consecutive parts
        are reduced in batches of up to :data:`BATCH_ROWS` rows).

    Returns
    -------
    (pandas.DataFrame, dict)
        The cube (:func:`~geosoc.engine.cube.combine_cubes`) and what it holds:
        ``resolution``, ``by``, ``scheme`` ("harm"), ``weights`` ("default") and
        ``weights_sha256``.

    Raises
    ------
    SchemaError
        A category without a default harm weight (the store checks this first).
    """
    spec = stored_cube_spec()
    with ThreadPoolExecutor(max_workers=CUBE_THREADS) as pool:
        cubes = list(pool.map(lambda batch: partition_cube(batch, spec), _batches(parts)))
    info: dict[str, object] = {"resolution": STORED_RESOLUTION, "by": SOURCE_CATEGORY,
                               "scheme": spec.scheme, "weights": "default",
                               "weights_sha256": default_weights_sha256()}
    # one batch is already reduced and sorted as combine_cubes leaves it
    return (cubes[0] if len(cubes) == 1 else combine_cubes(cubes)), info


def _batches(parts: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """Concatenate consecutive parts into frames of at most :data:`BATCH_ROWS` rows."""
    batches: list[list[pd.DataFrame]] = [[]]
    size = 0
    for part in parts:
        if size and size + len(part) > BATCH_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(part)
        size += len(part)
    return [pd.concat(b, ignore_index=True) if len(b) > 1 else b[0] for b in batches if b]
