"""Read police.uk, partner, boundary, postcode and deprivation files with clear errors.

Every reader returns :class:`Ingested` ``(data, report)``; ``data`` follows the contracts in
``docs/architecture.md`` and ``report`` (:class:`IngestReport`) says what was read, kept,
dropped and why. User-caused problems raise :class:`geosoc.errors.GeosocError` subclasses
that name the file, row and column and say how to fix them.

The readers are imported when first used (``from geosoc.ingest import read_policeuk`` works
as usual): a command that refuses its input in :mod:`geosoc.ingest.sniff` never loads
pandas or GDAL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name -> the module defining it.
_WHERE = {
    "IngestReport": "report", "Ingested": "report", "PointMapping": "points",
    "build_postcode_areas": "postcode_areas", "normalise_postcodes": "geocode",
    "read_area_counts": "counts", "read_boundaries": "boundaries", "read_imd": "imd",
    "read_points": "points", "read_policeuk": "policeuk", "read_population": "population",
    "read_postcodes": "postcodes",
}

__all__ = [
    "IngestReport",
    "Ingested",
    "PointMapping",
    "build_postcode_areas",
    "normalise_postcodes",
    "read_area_counts",
    "read_boundaries",
    "read_imd",
    "read_points",
    "read_policeuk",
    "read_population",
    "read_postcodes",
]

if TYPE_CHECKING:
    from geosoc.ingest.boundaries import read_boundaries
    from geosoc.ingest.counts import read_area_counts
    from geosoc.ingest.geocode import normalise_postcodes
    from geosoc.ingest.imd import read_imd
    from geosoc.ingest.points import PointMapping, read_points
    from geosoc.ingest.policeuk import read_policeuk
    from geosoc.ingest.population import read_population
    from geosoc.ingest.postcode_areas import build_postcode_areas
    from geosoc.ingest.postcodes import read_postcodes
    from geosoc.ingest.report import Ingested, IngestReport


def __getattr__(name: str) -> object:
    """Import a reader's module when the reader is first asked for (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module 'geosoc.ingest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"geosoc.ingest.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module's names, the readers not yet imported included."""
    return sorted([*globals(), *_WHERE])
