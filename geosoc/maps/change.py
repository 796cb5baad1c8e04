"""The change layer on a map: current, previous, difference and % change per area or cell.

Colours on a fixed diverging scale of % change (falls blue, rises red); units with no %
change (previous 0, or a suppressed value) are grey and say why in their tooltip and popup.
Values come from :func:`geosoc.aggregate.change.percent_change` on disclosed layers.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.maps.escape import safe_text
from geosoc.maps.layers import KEY, compact_geojson
from geosoc.maps.legend import Legend

#: Class edges of % change and their colours (ColorBrewer RdBu, reversed: rises are red).
CHANGE_EDGES = (-np.inf, -50.0, -25.0, -5.0, 5.0, 25.0, 50.0, np.inf)
CHANGE_COLOURS = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
CHANGE_LABELS = ("fall of 50% or more", "fall of 25–50%", "fall of 5–25%", "within ±5%",
                 "rise of 5–25%", "rise of 25–50%", "rise of 50% or more")
#: Units with no % change: the previous value is 0, or a value is suppressed.
NO_CHANGE_COLOUR = "#bdbdbd"
FIELDS = {"cur_text": "Current", "prev_text": "Previous", "diff_text": "Difference",
          "perc_text": "% change"}


def change_colours(perc: pd.Series | np.ndarray) -> np.ndarray:
    """Return the colour of each % change (vectorised; NaN is :data:`NO_CHANGE_COLOUR`)."""
    values = np.asarray(perc, dtype=float)
    classes = np.clip(np.searchsorted(CHANGE_EDGES, values, side="right") - 1, 0,
                      len(CHANGE_COLOURS) - 1)
    out = np.asarray(CHANGE_COLOURS, dtype=object)[classes]
    out[np.isnan(values)] = NO_CHANGE_COLOUR
    return out


def change_legend(title: str = "% change") -> Legend:
    """Return the legend of :func:`change_colours`."""
    return Legend(title, (*zip(CHANGE_LABELS, CHANGE_COLOURS, strict=True),
                          ("no % change (previous 0 or suppressed)", NO_CHANGE_COLOUR)))


def change_labels(change: pd.DataFrame, *, decimals: int = 0) -> pd.DataFrame:
    """Add ``cur_text``, ``prev_text``, ``diff_text``, ``perc_text`` for tooltips and tables.

    ``suppressed`` where a period's value is hidden; ``none (previous 0)`` where the %
    change is undefined because the previous value is 0 (ArcGIS leaves it empty).
    """
    fmt = f"{{:,.{decimals}f}}"
    hidden = change["cur_cnt"].isna() | change["prev_cnt"].isna()

    def text(column: str, pattern: str = fmt) -> pd.Series:
        return change[column].map(lambda v: "" if pd.isna(v) else pattern.format(v))

    perc = text("perc", "{:+,.0f}%")
    perc = perc.mask(change["perc"].isna() & (change["prev_cnt"] == 0), "none (previous 0)")
    return change.assign(
        cur_text=text("cur_cnt").mask(hidden, "suppressed"),
        prev_text=text("prev_cnt").mask(hidden, "suppressed"),
        diff_text=text("diff_cnt", f"{{:+,.{decimals}f}}").mask(hidden, "suppressed"),
        perc_text=perc.mask(hidden, "suppressed"))


def change_layer(frame: gpd.GeoDataFrame, *, name: str = "% change",
                 label: str | None = None, opacity: float = 0.75) -> folium.GeoJson:
    """Return a layer coloured by % change with the four values on hover and on click.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Units (EPSG:4326) with ``cur_cnt``, ``prev_cnt``, ``diff_cnt``, ``perc`` and
        optionally ``name``.
    name : str
        Layer name (escaped).
    label : str, optional
        Column naming each unit in the tooltip (e.g. ``name``).
    opacity : float
        Fill opacity.
    """
    shown = change_labels(frame)
    colours = dict(zip(shown.index.astype(str), change_colours(shown["perc"]), strict=True))
    fields = {**({label: "Area"} if label else {}), **FIELDS}

    def style(feature: dict) -> dict:
        return {"fillColor": colours[feature["properties"][KEY]], "fillOpacity": opacity,
                "color": "#555555", "weight": 0.4}

    aliases = [safe_text(a) for a in fields.values()]
    data = compact_geojson(shown, list(fields))
    return folium.GeoJson(
        data, name=safe_text(name), style_function=style, smooth_factor=0.5,
        tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=aliases)
        if len(shown) else None,
        popup=folium.GeoJsonPopup(fields=list(fields), aliases=aliases)
        if len(shown) else None)
