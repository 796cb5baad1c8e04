"""Harm weights: the Cambridge Crime Harm Index table and how it is applied to incidents.

The weights are **data, not code**: ``geosoc/resources/harm_weights.csv`` (installed with the
package) holds one row per ``(source, category)`` with ``weight`` in days of imprisonment, a
``police_activity`` flag and a
``note`` giving the source of each number (see ``harm_weights.md`` beside it). Users edit the table
or pass their own; a category ``"*"`` row is the fallback for every other category of that
source. Categories without a weight are an error listing each one with its count, never a
silent zero.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geosoc.errors import InputFileError, Problem, SchemaError
from geosoc.schema import CATEGORY, HARM, SOURCE, require_columns

#: Default weights table shipped with the project.
DEFAULT_WEIGHTS_PATH = Path(__file__).resolve().parent / "resources" / "harm_weights.csv"
#: Column names of a weights table.
WEIGHT_COLUMNS = ("source", "category", "weight", "police_activity", "note")
#: The category value that matches any category of its source.
ANY_CATEGORY = "*"
#: Categories treated as anti-social behaviour by ``asb_weight`` (any source), plus every row
#: whose source is ``"council_asb"``.
ASB_CATEGORY = "Anti-social behaviour"
ASB_SOURCE = "council_asb"
POLICE_ACTIVITY = "police_activity"

Scheme = Literal["harm", "count", "log_harm"]
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def load_harm_weights(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read and validate a harm weights table.

    Parameters
    ----------
    path : str or path-like, optional
        CSV with columns ``source, category, weight`` and optionally ``police_activity``
        (true/false) and ``note``. Defaults to the project's ``geosoc/resources/harm_weights.csv``
        (installed with the package).

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` (str), ``category`` (str), ``weight`` (float64, days of
        imprisonment, >= 0), ``police_activity`` (bool), ``note`` (str); RangeIndex.

    Raises
    ------
    InputFileError
        The file cannot be read.
    SchemaError
        Missing columns, non-numeric/negative weights, bad flags or duplicate keys; every
        problem is listed with its row (the header is row 1) and column.
    """
    file = Path(path) if path is not None else DEFAULT_WEIGHTS_PATH
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"cannot read harm weights {file}",
            [Problem(str(exc), file=str(file), fix="pass a readable UTF-8 CSV file")],
        ) from exc
    return validate_harm_weights(raw, file=str(file))


def validate_harm_weights(frame: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a weights table (from a file or built in code) and return a clean copy.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``source``, ``category``, ``weight``; optional ``police_activity``, ``note``.
    file : str, optional
        Where the table came from, for the messages.

    Returns
    -------
    pandas.DataFrame
        The normalised table (see :func:`load_harm_weights`).
    """
    require_columns(frame, ("source", "category", "weight"), what="harm weights", file=file)
    table = frame.reset_index(drop=True)
    rows = np.arange(len(table)) + 2  # header is row 1
    problems: list[Problem] = []

    source = table["source"].astype("string").str.strip()
    category = table["category"].astype("string").str.strip()
    for column, values in (("source", source), ("category", category)):
        for row in rows[(values.isna() | (values == "")).to_numpy()]:
            problems.append(Problem(f"empty {column}", file=file, row=int(row), column=column,
                                    fix=f"give every row a {column} ('*' matches any category)"))

    weight = pd.to_numeric(table["weight"], errors="coerce").astype("float64")
    bad = ~np.isfinite(weight.to_numpy()) | (weight.to_numpy() < 0)
    for row, value in zip(rows[bad], table["weight"].to_numpy()[bad], strict=True):
        problems.append(Problem(f"weight {value!r} is not a number >= 0", file=file,
                                row=int(row), column="weight",
                                fix="use days of imprisonment, e.g. 194 (0 to ignore)"))

    if POLICE_ACTIVITY in table.columns:
        flag_text = table[POLICE_ACTIVITY].astype("string").fillna("").str.strip().str.lower()
        bad_flag = ~flag_text.isin(_TRUE | _FALSE).to_numpy()
        for row, value in zip(rows[bad_flag], table[POLICE_ACTIVITY].to_numpy()[bad_flag],
                              strict=True):
            problems.append(Problem(f"police_activity {value!r} is not true/false", file=file,
                                    row=int(row), column=POLICE_ACTIVITY,
                                    fix="write true or false"))
        activity = flag_text.isin(_TRUE).to_numpy()
    else:
        activity = np.zeros(len(table), dtype=bool)

    key = pd.DataFrame({"source": source, "category": category})
    dup = key.duplicated(keep="first").to_numpy()
    for row, s, c in zip(rows[dup], source.to_numpy()[dup], category.to_numpy()[dup],
                         strict=True):
        problems.append(Problem(f"duplicate weight for ({s!r}, {c!r})", file=file, row=int(row),
                                column="category", fix="keep one row per source and category"))
    if problems:
        raise SchemaError(f"harm weights table has {len(problems)} problem(s)", problems)

    note = (table["note"].astype("string").fillna("") if "note" in table.columns
            else pd.Series("", index=table.index, dtype="string"))
    return pd.DataFrame({
        "source": source.astype(str), "category": category.astype(str),
        "weight": weight, POLICE_ACTIVITY: activity, "note": note.astype(str),
    })


def apply_harm_weights(
    incidents: pd.DataFrame,
    weights: pd.DataFrame | str | PathLike[str] | None = None,
    *,
    scheme: Scheme = "harm",
    unknown: Literal["error"] | float = "error",
    asb_weight: float | None = None,
) -> pd.DataFrame:
    """Return a copy of ``incidents`` with ``harm`` and ``police_activity`` columns.

    Each row is looked up by ``(source, category)``, falling back to the source's ``"*"``
    row. Vectorised: the lookup runs once per distinct key.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``source`` and ``category`` columns (geometry, CRS and index kept).
    weights : DataFrame, path or None
        A weights table (see :func:`load_harm_weights`); ``None`` uses the default table.
    scheme : {"harm", "count", "log_harm"}
        ``"harm"``: the weight in days; ``"count"``: 1.0 per event; ``"log_harm"``:
        ``ln(1 + weight)``, for hotspot statistics less dominated by violence.
    unknown : "error" or float
        What to do with categories that have no weight: raise (default) or use this weight
        in days for them (their ``police_activity`` is False). Ignored by ``"count"``.
    asb_weight : float, optional
        Weight in days for anti-social behaviour (category ``"Anti-social behaviour"`` of any
        source, and every ``"council_asb"`` row), typically 0 or 1. Under ``"count"`` it is
        the count weight, so 0 leaves ASB out of the totals.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        New frame: ``harm`` (float64) and ``police_activity`` (bool) added or replaced.

    Raises
    ------
    SchemaError
        Missing columns, or categories without a weight (each listed with its count).
    """
    if scheme not in ("harm", "count", "log_harm"):
        raise SchemaError(f"unknown harm scheme {scheme!r}",
                          [Problem(f"scheme {scheme!r}", fix="use 'harm', 'count' or 'log_harm'")])
    require_columns(incidents, (SOURCE, CATEGORY), what="incidents")
    table = (load_harm_weights(weights) if weights is None or isinstance(weights, str | PathLike)
             else validate_harm_weights(weights))

    codes, sources, categories = _distinct_keys(incidents[SOURCE], incidents[CATEGORY])
    weight, activity = _lookup(table, sources, categories)

    missing = np.isnan(weight)
    if missing.any() and scheme != "count":
        if unknown == "error":
            counts = np.bincount(codes, minlength=len(sources))
            problems = [
                Problem(f"no harm weight for source {s!r}, category {c!r} ({n} rows)",
                        column=CATEGORY,
                        fix="add a row to the harm weights table (a copy of "
                            "geosoc/resources/harm_weights.csv named as harm_weights in the "
                            "config), "
                            "or give a default weight in days (--unknown-harm DAYS on the "
                            "command line, unknown= in Python)")
                for s, c, n in zip(sources[missing], categories[missing], counts[missing],
                                   strict=True)
            ]
            raise SchemaError(f"{len(problems)} category(ies) have no harm weight", problems)
        weight[missing] = float(unknown)
    activity[missing] = False

    if scheme == "count":
        weight = np.ones(len(sources))
    elif scheme == "log_harm":
        weight = np.log1p(weight)
    if asb_weight is not None:
        is_asb = (categories == ASB_CATEGORY) | (sources == ASB_SOURCE)
        weight[is_asb] = np.log1p(asb_weight) if scheme == "log_harm" else float(asb_weight)

    out = incidents.copy()
    out[HARM] = weight[codes].astype("float64") if len(codes) else np.zeros(0)
    out[POLICE_ACTIVITY] = activity[codes] if len(codes) else np.zeros(0, dtype=bool)
    out.attrs["harm_scheme"] = scheme
    return out


def _distinct_keys(source: pd.Series, category: pd.Series
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's code into the distinct (source, category) pairs, and those pairs.

    Factorises each column once (hash-based) and then the integer pairs, so the cost is a
    few passes over the rows; missing values become ``"<missing>"``.
    """
    src_code, src_values = _factorize(source)
    cat_code, cat_values = _factorize(category)
    pair = src_code * len(cat_values) + cat_code
    codes, pairs = pd.factorize(pair)
    return codes, src_values[pairs // len(cat_values)], cat_values[pairs % len(cat_values)]


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    code, distinct = pd.factorize(values, use_na_sentinel=True)
    labels = np.append(np.asarray(distinct, dtype=object).astype(str), "<missing>")
    code = np.where(code < 0, len(labels) - 1, code).astype(np.int64)
    return code, labels.astype(object)


def _lookup(table: pd.DataFrame, sources: pd.Index, categories: pd.Index
            ) -> tuple[np.ndarray, np.ndarray]:
    """Weights and flags for distinct keys: exact row first, then the source's ``*`` row."""
    exact = table.set_index(["source", "category"])
    wanted = pd.MultiIndex.from_arrays([sources, categories])
    hit = exact.reindex(wanted)
    fallback = exact.xs(ANY_CATEGORY, level="category") if (
        table["category"] == ANY_CATEGORY).any() else exact.iloc[0:0].droplevel("category")
    fall = fallback.reindex(pd.Index(sources))
    weight = hit["weight"].to_numpy(dtype="float64", na_value=np.nan)
    weight = np.where(np.isnan(weight), fall["weight"].to_numpy(dtype="float64",
                                                                 na_value=np.nan), weight)
    exact_activity = hit[POLICE_ACTIVITY].to_numpy(dtype=object)
    fall_activity = fall[POLICE_ACTIVITY].to_numpy(dtype=object)
    activity = np.where(pd.isna(exact_activity), fall_activity, exact_activity)
    return weight.copy(), pd.Series(activity).fillna(False).to_numpy(dtype=bool).copy()


def _distinct(values: object) -> set[str]:
    """Distinct values as strings (one hash pass, no Python loop over rows)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values))  # type: ignore[call-overload]
    return {str(v) for v in series.astype("object").dropna().unique()}


def harm_unit(categories: object, sources: object = None, *, scheme: str = "harm") -> str:
    """Say truthfully what unit a harm total of these incidents is in.

    Parameters
    ----------
    categories : iterable of str
        The categories summed (e.g. ``incidents["category"].unique()``).
    sources : iterable of str, optional
        Their sources (``council_asb`` rows count as anti-social behaviour).
    scheme : {"harm", "count", "log_harm"}
        The weighting scheme used.

    Returns
    -------
    str
        ``"days (CCHI)"`` for crimes only; ``"ASB weight units (not days: ASB is not a CCHI
        offence)"`` for anti-social behaviour only; a mixed label otherwise; ``"incidents"``
        for counts and ``"ln(1 + days)"`` for log harm.
    """
    if scheme == "count":
        return "incidents"
    if scheme == "log_harm":
        return "ln(1 + days)"
    cats = _distinct(categories)
    srcs = _distinct(() if sources is None else sources)
    asb_only = bool(cats and cats <= {ASB_CATEGORY}) or bool(srcs and srcs <= {ASB_SOURCE})
    if asb_only:
        return "ASB weight units (not days: ASB is not a CCHI offence)"
    if ASB_CATEGORY in cats or ASB_SOURCE in srcs:
        return "days (CCHI; ASB at a nominal weight, not a CCHI offence)"
    return "days (CCHI)"
