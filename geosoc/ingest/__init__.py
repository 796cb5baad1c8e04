"""Read police.uk, partner, boundary, postcode and deprivation files with clear errors.

Every reader returns :class:`Ingested` ``(data, report)``; ``data`` follows the contracts in
``docs/architecture.md`` and ``report`` (:class:`IngestReport`) says what was read, kept,
dropped and why. User-caused problems raise :class:`geosoc.errors.GeosocError` subclasses
that name the file, row and column and say how to fix them.
"""

from geosoc.ingest.policeuk import read_policeuk
from geosoc.ingest.report import Ingested, IngestReport

__all__ = [
    "IngestReport",
    "Ingested",
    "read_policeuk",
]
