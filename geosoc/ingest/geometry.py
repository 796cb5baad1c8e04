"""Geometry clean-up shared by the boundary readers."""

from __future__ import annotations

import numpy as np
import shapely


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Any geometries (e.g. ``make_valid`` or intersection results, which may be
        GeometryCollections holding lines and points).

    Returns
    -------
    numpy.ndarray of shapely geometries
        Same length: a MultiPolygon of the parts with area, or ``None`` where nothing
        polygonal is left.
    """
    geoms = np.asarray(geoms, dtype=object)
    outer, outer_index = shapely.get_parts(geoms, return_index=True)
    parts, inner_index = shapely.get_parts(outer, return_index=True)
    owner = outer_index[inner_index]
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        owners = np.unique(owner[keep])
        out[owners] = shapely.multipolygons(parts[keep], indices=np.searchsorted(owners,
                                                                                 owner[keep]))
    return out
