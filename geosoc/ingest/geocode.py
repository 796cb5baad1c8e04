"""Look up postcodes in a postcodes-contract table (vectorised, with a report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.errors import GeocodeError
from geosoc.ingest.checks import FILE, row_problems
from geosoc.ingest.report import IngestReport

#: How many unmatched postcodes a report note names.
NOTE_LIMIT = 10


def normalise_postcodes(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Upper-case postcodes and write them with one space before the inward code.

    Parameters
    ----------
    values : pandas.Series of str
        Postcodes as typed (``"ec1a1bb"``, ``"EC1A  1BB"``...).

    Returns
    -------
    normalised : pandas.Series of str
        ``"EC1A 1BB"``; same index.
    valid : numpy.ndarray of bool
        True where the result has the shape of a UK postcode.
    """
    compact = values.astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    normalised = compact.str[:-3] + " " + compact.str[-3:]
    valid = normalised.str.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}").to_numpy()
    return normalised.where(valid, compact), valid


def geocode_postcodes(
    raw: pd.DataFrame, column: str, postcodes: pd.DataFrame, report: IngestReport
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Return lon/lat (WGS84 degrees, NaN when blank or unmatched) for a postcode column.

    Parameters
    ----------
    raw : pandas.DataFrame
        Working frame with ``_file``/``_row`` columns and the postcode column.
    column : str
        The postcode column.
    postcodes : pandas.DataFrame
        Postcodes contract (``postcode``, ``lon``, ``lat``).
    report : IngestReport
        Receives the ``"unmatched postcode"`` count and a note naming the commonest ones.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
    normalised : pandas.Series of str

    Raises
    ------
    GeocodeError
        When no non-blank postcode matches (listing the rows).
    """
    normalised, _ = normalise_postcodes(raw[column])
    blank = (raw[column].astype(str).str.strip() == "").to_numpy()
    table = postcodes.drop_duplicates(schema.POSTCODE)
    position = pd.Index(table[schema.POSTCODE]).get_indexer(normalised)
    unmatched = ~blank & (position < 0)
    found = position >= 0
    lon = np.full(len(raw), np.nan)
    lat = np.full(len(raw), np.nan)
    lon[found] = table[schema.LON].to_numpy()[position[found]]
    lat[found] = table[schema.LAT].to_numpy()[position[found]]
    if unmatched.any() and not found.any():
        raise GeocodeError(
            f"{Path(str(raw[FILE].iloc[0])).name}: none of the {int(unmatched.sum()):,} "
            "postcodes matched the postcode table",
            row_problems(raw, unmatched, column=column, value_column=column,
                         message="postcode '{value}' is not in the postcode table",
                         fix="check the postcode table covers this area (and is recent), "
                         "and that the column really holds postcodes"),
        )
    report.drop("unmatched postcode", int(unmatched.sum()))
    if unmatched.any():
        top = normalised[unmatched].value_counts().head(NOTE_LIMIT)
        listed = ", ".join(f"{pc} ({n})" for pc, n in top.items())
        report.note(f"{int(unmatched.sum()):,} rows have postcodes not in the postcode table "
                    f"and were dropped; commonest: {listed}")
    return lon, lat, normalised
