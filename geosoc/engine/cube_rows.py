"""A stored cube read back as incident rows, each standing for its ``events``.

The app's layers, series and headlines aggregate incidents by month, category, source and
H3 cell; the stored cube (:mod:`geosoc.engine.stored`) holds exactly those totals. Read back
as rows, one per (month, source + category, resolution-10 cell and its coarser
point-holding cells), with ``events`` (how many incidents), ``harm`` (their total under the
configured weights), ``record_key`` (the sum of their record keys) and ``h3_10`` ... ``h3_7``,
the same aggregation functions (:mod:`geosoc.aggregate.tables`, :mod:`geosoc.disclosure`)
give the same tables as from the points, without reading a point.

Harm is re-weighted here rather than read from ``harm_micro`` (default weights): harm
depends only on source and category (:func:`geosoc.harm.apply_harm_weights`), so each
row's harm is its events times its key's weight under whatever weights the installation
configured. Rows carry no ``lon``/``lat``: views by area (wards, LSOAs) are served only for
the boundary layers the cube was located in (``area_<kind>``); others need the points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.aggregate.tables import UNLOCATED_AREA
from geosoc.disclosure.cell_key import RECORD_KEY
from geosoc.engine.cube import NO_MONTH, key_parts
from geosoc.engine.stored import (
    AREA_PREFIX,
    KEY_SUM,
    STORED_RESOLUTION,
    VIEW_RESOLUTIONS,
    cell_column,
)
from geosoc.harm import apply_harm_weights
from geosoc.schema import CATEGORY, COUNT, EVENTS, HARM, MONTH, SOURCE

#: App resolutions served from a stored cube, finest first.
CUBE_RESOLUTIONS = (STORED_RESOLUTION, *VIEW_RESOLUTIONS)
#: First month code of the Unix epoch: ``Period`` ordinals count months from 1970-01.
_EPOCH_MONTH = 1970 * 12


def rows_column(resolution: int) -> str:
    """Return the column of :func:`cube_incidents` holding the cells at ``resolution``."""
    return f"h3_{resolution}"


def serves_views(cube: pd.DataFrame) -> bool:
    """Whether ``cube`` has what :func:`cube_incidents` needs (cubes stored since views)."""
    return {cell_column(r) for r in CUBE_RESOLUTIONS} | {KEY_SUM} <= set(cube.columns)


def cube_incidents(cube: pd.DataFrame, *, weights: pd.DataFrame | None = None,
                   asb_weight: float | None = None) -> pd.DataFrame:
    """Return the rows of a stored cube as incidents standing for ``events`` each.

    Parameters
    ----------
    cube : pandas.DataFrame
        A stored cube (:func:`geosoc.workspace.cubes.workspace_cube`) with the view columns
        (:func:`serves_views`).
    weights : pandas.DataFrame, optional
        Harm weight table (:func:`geosoc.harm.load_harm_weights`); default: the package's.
    asb_weight : float, optional
        Anti-social behaviour weight override, as in :func:`geosoc.harm.apply_harm_weights`.

    Returns
    -------
    pandas.DataFrame
        ``month`` (Period[M]; NaT: none), ``category``, ``source`` (categoricals),
        ``events`` (int64), ``harm`` (float64 days: events x weight; unlisted categories 1
        day each, as the app weighs points), ``police_activity`` (bool), ``record_key``
        (int64 sum), ``h3_10``, ``h3_9``, ``h3_8``, ``h3_7`` (uint64; 0: no location) and
        the cube's ``area_<kind>`` positions (-1: outside every area, ``-2``: no location;
        the ``area_position`` convention of :func:`geosoc.aggregate.harm_by_area`).
        ``attrs["h3_resolution"]`` is not set: pick a column with :func:`rows_column`.
    """
    codes = cube["key"].cat.codes.to_numpy()
    sources, categories = key_parts(cube["key"].cat.categories)
    distinct = pd.DataFrame({SOURCE: sources, CATEGORY: categories})
    weighted = apply_harm_weights(distinct, weights, unknown=1.0, asb_weight=asb_weight)
    events = cube[COUNT].to_numpy(dtype=np.int64)
    source_code, source_values = pd.factorize(pd.Series(sources, dtype=object), sort=True)
    category_code, category_values = pd.factorize(pd.Series(categories, dtype=object),
                                                  sort=True)
    month = cube["month"].to_numpy(dtype=np.int64)
    ordinal = np.where(month == NO_MONTH, np.iinfo(np.int64).min, month - _EPOCH_MONTH)
    rows = pd.DataFrame({
        MONTH: pd.PeriodIndex.from_ordinals(ordinal, freq="M"),
        CATEGORY: pd.Categorical.from_codes(category_code[codes],
                                            categories=pd.Index(category_values, dtype=object)),
        SOURCE: pd.Categorical.from_codes(source_code[codes],
                                          categories=pd.Index(source_values, dtype=object)),
        EVENTS: events,
        HARM: events * weighted[HARM].to_numpy(dtype="float64")[codes],
        "police_activity": weighted["police_activity"].to_numpy(dtype=bool)[codes],
        RECORD_KEY: cube[KEY_SUM].to_numpy(dtype=np.int64),
        **{rows_column(r): cube[cell_column(r)].to_numpy(dtype=np.uint64)
           for r in CUBE_RESOLUTIONS}})
    unlocated = rows[rows_column(STORED_RESOLUTION)].to_numpy() == 0
    for column in (c for c in cube.columns if c.startswith(AREA_PREFIX)):
        position = cube[column].to_numpy(dtype=np.int64)
        rows[column] = np.where(unlocated, UNLOCATED_AREA, position)
    return rows
