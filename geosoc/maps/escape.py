"""Escape strings from data before they reach a map's HTML or JavaScript.

A folium ``Marker(tooltip=...)``/``Popup(...)`` pastes its text into a JavaScript template
literal and ``GeoJsonTooltip``/``GeoJsonPopup`` put property values into ``innerHTML``; the
map iframe runs on the app's origin, so a crafted asset name or category would own the page.
Every string that came from a file goes through :func:`safe_text` or :func:`safe_properties`.
"""

from __future__ import annotations

import html

import pandas as pd

#: Characters that end or interpolate a JavaScript template literal, as HTML entities
#: (inert in JavaScript, rendered as the character once the text lands in the DOM).
_TEMPLATE_ENTITIES = (("\\", "&#92;"), ("`", "&#96;"), ("$", "&#36;"))

#: HTML-special characters in the order they must be replaced (``&`` first).
_HTML_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def safe_text(value: object) -> str:
    """Return ``value`` as text that is inert in HTML and in a JS template literal.

    Parameters
    ----------
    value : object
        Anything; ``None`` and NaN become an empty string.

    Returns
    -------
    str
        HTML-escaped text with backtick, ``$`` and backslash also replaced by entities.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = html.escape(str(value), quote=True)
    for char, entity in _TEMPLATE_ENTITIES:
        text = text.replace(char, entity)
    return text


def safe_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`safe_text` over a Series of strings (missing values become ``""``).

    Parameters
    ----------
    values : pandas.Series
        Values to escape; non-strings are converted with ``str``.

    Returns
    -------
    pandas.Series
        Escaped strings, same index.
    """
    text = values.astype("string").fillna("")
    for char, entity in _HTML_ENTITIES + _TEMPLATE_ENTITIES:
        text = text.str.replace(char, entity, regex=False)
    return text.astype(object)


def safe_properties(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text column escaped by :func:`safe_series`.

    Numeric, boolean and geometry columns are left alone; the index is kept.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Properties about to become GeoJSON feature properties.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A new frame of the same type.
    """
    geometry = getattr(frame, "_geometry_column_name", None)
    text_columns = [
        c for c in frame.columns
        if c != geometry and (pd.api.types.is_string_dtype(frame[c])
                              or pd.api.types.is_object_dtype(frame[c])
                              or isinstance(frame[c].dtype, pd.CategoricalDtype))
    ]
    out = frame.copy()
    for column in text_columns:
        out[column] = safe_series(frame[column])
    return out
