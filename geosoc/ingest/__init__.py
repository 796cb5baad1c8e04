"""Read police.uk, partner, boundary, postcode and deprivation files with clear errors.

Every reader returns :class:`Ingested` ``(data, report)``; ``data`` follows the contracts in
``docs/architecture.md`` and ``report`` (:class:`IngestReport`) says what was read, kept,
dropped and why. User-caused problems raise :class:`geosoc.errors.GeosocError` subclasses
that name the file, row and column and say how to fix them.
"""

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
