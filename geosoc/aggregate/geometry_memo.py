"""Memo of structures derived from the same boundaries again and again (H3 covers, indexes).

A force's wards give the same H3 cover and the same point-in-area index on every call:
building them takes seconds (the cover of the 654 London wards at resolution 9 is ~18,000
cells found by polyfill; a raster index of a few thousand areas is rasterised edge by edge),
while recognising the same boundaries again takes milliseconds. Entries are keyed by a
SHA-256 digest of the geometries' WKB (in row order) and the build's parameters, so an
edited or re-ordered boundary set never gets a stale structure. Entries are read-only: the
callers hand out copies of frames and never mutate indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import shapely

from geosoc.memo import Memo

T = TypeVar("T")

#: Covers and indexes kept: a few boundary sets x resolutions.
GEOMETRY_MEMO = Memo(max_entries=24)


def geometry_digest(geometries: np.ndarray) -> str:
    """Return a SHA-256 hex digest of ``geometries`` (WKB, row order; any CRS, as stored)."""
    digest = hashlib.sha256()
    digest.update(str(len(geometries)).encode())
    for wkb in shapely.to_wkb(np.asarray(geometries, dtype=object)):
        digest.update(b"\0" if wkb is None else wkb)
    return digest.hexdigest()


def remembered(key: Hashable, build: Callable[[], T]) -> T:
    """Return the structure of ``key`` from :data:`GEOMETRY_MEMO`, building it if absent."""
    return GEOMETRY_MEMO.get(key, build)
