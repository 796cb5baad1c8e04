"""Map context drawn under the harm layers: green space, water, railways and roads.

Vector layers from the server's own files (:func:`geosoc.ingest.read_context`), so a map
reads like a place (a river, a high street, a park) with no tile server and no request
leaving the machine. Non-interactive (no tooltips, no clicks) and light: coordinates rounded
to 5 decimal places. Parks and water sit in a pane below the harm fills; roads and railways
in a pane above them (thin, translucent), so streets stay readable through coloured areas.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd

from geosoc.maps.layers import compact_geojson

#: Leaflet pane of the area context (parks, water): above tiles (200), below overlays (400).
PANE = "context"
#: Pane of the line context (roads, railways): above the harm fills (400), below markers
#: (600), so streets stay readable through a coloured area.
LINE_PANE = "context-lines"
#: Drawing order, style and pane of each context kind.
STYLES: dict[str, dict[str, object]] = {
    "greenspace": {"color": "#8fbf7f", "weight": 0, "fillColor": "#cfe8c3", "fillOpacity": 0.8},
    "water": {"color": "#5b9bd5", "weight": 0.8, "fillColor": "#9cc5ea", "fillOpacity": 0.9},
    "railways": {"color": "#3a3a3a", "weight": 1.8, "opacity": 0.8, "dashArray": "6 4",
                 "fill": False},
    "roads": {"color": "#4d4d4d", "weight": 1.0, "opacity": 0.45, "fill": False},
}
MAIN_ROAD = {"color": "#1f1f1f", "weight": 2.4, "opacity": 0.7, "fill": False}
PANE_OF = {"greenspace": PANE, "water": PANE, "railways": LINE_PANE, "roads": LINE_PANE}
#: Names shown in the layer control.
TITLES = {"greenspace": "Parks and green space", "water": "Rivers and water",
          "railways": "Railways", "roads": "Roads"}


def add_context(m: folium.Map, layers: Mapping[str, gpd.GeoDataFrame]) -> folium.Map:
    """Add the context layers to ``m`` in a pane below every overlay; return ``m``.

    Parameters
    ----------
    m : folium.Map
        The map (before its harm and boundary layers are added, or after: the pane keeps
        the context underneath either way).
    layers : mapping of str to geopandas.GeoDataFrame
        Kind -> features in EPSG:4326 (``class`` ``main``/``minor`` for roads), as
        :func:`geosoc.ingest.read_context` returns them.
    """
    if not layers:
        return m
    folium.map.CustomPane(PANE, z_index=350, pointer_events=False).add_to(m)
    folium.map.CustomPane(LINE_PANE, z_index=450, pointer_events=False).add_to(m)
    for kind, style in STYLES.items():
        frame = layers.get(kind)
        if frame is None or frame.empty:
            continue
        group = folium.FeatureGroup(name=TITLES[kind], overlay=True, control=True, show=True)
        parts = ([(frame[frame["class"] != "main"], style), (frame[frame["class"] == "main"],
                                                             MAIN_ROAD)]
                 if kind == "roads" and "class" in frame.columns else [(frame, style)])
        for part, part_style in parts:
            if part.empty:
                continue
            folium.GeoJson(compact_geojson(part), style_function=lambda _, s=part_style: s,
                           interactive=False, pane=PANE_OF[kind], control=False).add_to(group)
        group.add_to(m)
    return m
