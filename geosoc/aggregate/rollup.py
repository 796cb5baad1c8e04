"""Roll area counts up a geography lookup (LSOA -> ward) and turn totals into rates.

Both report what they cannot use instead of dropping it quietly: unmatched codes go to
``attrs["unmatched_codes"]`` / ``attrs["unmatched_count"]``; missing denominators give NaN
rates (never ``inf``) listed in ``attrs["rates_missing"]`` with a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError
from geosoc.schema import AREA_CODE, CATEGORY, COUNT, HARM, MONTH, SOURCE, require_columns

_GROUP = (AREA_CODE, MONTH, CATEGORY, SOURCE)


def roll_up_counts(counts: pd.DataFrame, lookup: pd.DataFrame, *,
                   from_column: str = "lsoa_code", to_column: str = "ward_code") -> pd.DataFrame:
    """Sum area counts into larger areas through a best-fit lookup (e.g. LSOA -> ward).

    Parameters
    ----------
    counts : pandas.DataFrame
        Area counts contract: ``area_code``, ``month``, ``category``, ``source``, ``count``
        (and optionally ``harm``).
    lookup : pandas.DataFrame
        Columns ``from_column`` and ``to_column``, one target per source code
        (e.g. ``lookups/lsoa_to_ward.csv``).
    from_column, to_column : str
        Lookup column names.

    Returns
    -------
    pandas.DataFrame
        Area counts with ``area_code`` = target code, summed over the grouping columns
        present; ``attrs["unmatched_codes"]`` (sorted list) and ``attrs["unmatched_count"]``
        (their total count) report rows whose code is not in the lookup.

    Raises
    ------
    SchemaError
        Missing columns or a source code mapped to two different targets.
    """
    require_columns(counts, (AREA_CODE, COUNT), what="area counts")
    require_columns(lookup, (from_column, to_column), what="lookup")
    pairs = lookup[[from_column, to_column]].astype("str").drop_duplicates()
    clash = pairs[pairs[from_column].duplicated(keep=False)]
    if len(clash):
        raise SchemaError(f"lookup maps {clash[from_column].nunique()} code(s) to several targets",
                          [Problem(f"{code} maps to {', '.join(sorted(group[to_column]))}",
                                   column=from_column, fix="keep one best-fit target per code")
                           for code, group in clash.groupby(from_column)][:50])
    target = counts[AREA_CODE].astype("str").map(pairs.set_index(from_column)[to_column])
    matched = target.notna().to_numpy()
    unmatched = counts.loc[~matched]
    keys = [c for c in _GROUP if c in counts.columns]
    values = [c for c in (COUNT, HARM) if c in counts.columns]
    rolled = (counts.loc[matched, [c for c in keys if c != AREA_CODE] + values]
              .assign(**{AREA_CODE: target[matched].astype("str")})
              .groupby(keys, sort=True, observed=True, dropna=False)[values].sum()
              .reset_index())
    rolled[COUNT] = rolled[COUNT].astype("int64")
    rolled.attrs.update(
        unmatched_codes=sorted(unmatched[AREA_CODE].astype("str").unique().tolist()),
        unmatched_count=int(unmatched[COUNT].sum()),
    )
    return rolled


def add_rates(frame: pd.DataFrame, denominator: pd.Series | str, per: float = 1000, *,
              columns: tuple[str, ...] = (COUNT, HARM)) -> pd.DataFrame:
    """Add ``<column>_per_<per>`` rates (e.g. ``count_per_1000``) for each total column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Totals, e.g. an Areas frame indexed by ``area_code`` or area counts with an
        ``area_code`` column.
    denominator : pandas.Series or str
        Population or households: a column of ``frame``, or a Series indexed by area code
        (aligned on ``frame["area_code"]`` if that column exists, else on the index).
    per : float
        Rate base (1000 gives "per 1,000 residents").
    columns : tuple of str
        Total columns to turn into rates (those absent are skipped).

    Returns
    -------
    pandas.DataFrame
        A copy with rate columns; rows with a missing, zero or negative denominator get NaN
        and are listed in ``attrs["rates_missing"]`` with ``attrs["rates_note"]``.
    """
    if isinstance(denominator, str):
        require_columns(frame, (denominator,), what="frame")
        base = frame[denominator].to_numpy(dtype="float64", na_value=np.nan)
    elif AREA_CODE in frame.columns:
        base = frame[AREA_CODE].map(denominator).to_numpy(dtype="float64", na_value=np.nan)
    else:
        base = denominator.reindex(frame.index).to_numpy(dtype="float64", na_value=np.nan)
    usable = np.isfinite(base) & (base > 0)
    out = frame.copy()
    label = f"{per:g}".replace("+", "")
    for column in (c for c in columns if c in frame.columns):
        value = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        rate = np.full(len(frame), np.nan)
        np.divide(value * per, base, out=rate, where=usable)
        out[f"{column}_per_{label}"] = rate
    missing = frame.index[~usable]
    if AREA_CODE in frame.columns:
        missing = pd.Index(frame[AREA_CODE].to_numpy()[~usable]).unique()
    out.attrs.update(
        rates_missing=[str(m) for m in missing],
        rates_note=(f"{len(missing)} row(s) have no usable denominator: their rates are NaN"
                    if len(missing) else ""),
    )
    return out
