"""Force-wide H3 layers of the profile page drawn with deck.gl (see :mod:`geosoc.maps.deck_cells`).

Above :data:`~geosoc.maps.deck_cells.DECK_CELL_LIMIT` cells the profile's value, Gi* and
emerging layers are drawn by deck.gl instead of folium: the browser pans and zooms without a
server round trip, and a filter change sends cell ids and colours, not polygons. The frame is
the disclosed layer of the viewing role (:func:`geosoc.ui.caching.studies.cell_layer`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.maps.deck_cells import deck_cells_map
from geosoc.maps.legend import EMERGING_COLOURS, HOTSPOT_COLOURS, Legend
from geosoc.ui.caching import studies, views
from geosoc.ui.study import Study

GI_LAYER = "Gi* hot spots"
EMERGING_LAYER = "Emerging hot spots"


def show(frame: pd.DataFrame, layer_kind: str, *, label: str, study: Study,
         emerging: Callable[[], pd.DataFrame], content_key: Hashable,
         height: int = 600) -> Legend:
    """Draw the profile's H3 layer with deck.gl; return its legend.

    Parameters
    ----------
    frame : pandas.DataFrame
        Disclosed cells (index H3 id) with ``shown`` (the chosen measure and layers),
        ``count``, ``harm`` and, for Gi*, ``hotspot_bin``/``gi_z``.
    layer_kind : str
        ``"Harm or count"``, :data:`GI_LAYER` or :data:`EMERGING_LAYER`.
    label : str
        What ``shown`` is (legend title and tooltip).
    study : Study
        For the ward outlines, the site and the first view.
    emerging : callable
        Returns the emerging hot spot classes per cell (called only for that layer).
    content_key : hashable
        Names what is drawn (study key, filters, role, choices): the deck is built once per
        key and reused by reruns that change nothing.
    height : int
        Pixels.
    """
    deck, legend = views.cell_deck(content_key, lambda: _build(frame, layer_kind, label,
                                                               study, emerging))
    st.pydeck_chart(deck, height=height)
    return legend


def chart_points(curve: pd.DataFrame, limit: int = 400) -> pd.DataFrame:
    """Return at most ``limit`` evenly spaced rows of a curve, first and last kept.

    A Lorenz curve has one point per cell (17,000 for a force at resolution 9); the chart
    draws the same line from a few hundred, and the browser does not render 17,000 marks.
    """
    if len(curve) <= limit:
        return curve
    rows = np.unique(np.linspace(0, len(curve) - 1, limit).round().astype(int))
    return curve.iloc[rows]


def _build(frame: pd.DataFrame, layer_kind: str, label: str, study: Study,
           emerging: Callable[[], pd.DataFrame]) -> tuple[object, Legend]:
    tooltip = {"shown": label, "count": "Events", "harm": label if label.startswith("Harm")
               else "Harm"}
    if layer_kind == GI_LAYER and "hotspot_bin" in frame.columns:
        bins = frame["hotspot_bin"].fillna(0).astype(int)
        colours = bins.map(HOTSPOT_COLOURS).fillna(HOTSPOT_COLOURS[0]).to_numpy()
        legend = maps.hotspot_legend()
        tooltip = {**tooltip, "gi_z": "Gi* z"}
    elif layer_kind == EMERGING_LAYER:
        classes = frame.join(emerging(), how="left")["emerging_class"]
        frame = frame.assign(emerging_class=classes.fillna("No Pattern Detected"))
        colours = frame["emerging_class"].map(EMERGING_COLOURS).fillna("#f2f2f2").to_numpy()
        legend = maps.emerging_legend(sorted(frame["emerging_class"].unique()))
        tooltip = {"emerging_class": "Class", **tooltip}
    else:
        scale = maps.quantile_scale(frame["shown"].fillna(0))
        colours = scale.colour(frame["shown"].fillna(0))
        legend = scale.legend(label)
    tooltip = {c: t for c, t in tooltip.items() if c in frame.columns}
    deck = deck_cells_map(frame, colours, tooltip=tooltip,
                          outlines=views.area_outlines(studies.study_key(), "ward"),
                          site=study.site, bounds=study.bounds)
    return deck, legend
