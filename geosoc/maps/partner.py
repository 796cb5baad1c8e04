"""Scales and legend titles of partner area-count and vulnerability-signal layers.

Partner count layers reuse the sequential harm palette; vulnerability signals get their own
purple palette (ColorBrewer Purples) and their own legend, so nobody reads them as harm.
A layer apportioned to H3 cells names its method in the title (map layer and legend).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck
import shapely

from geosoc.aggregate.apportion import method_label
from geosoc.maps.deck import _rgba, _zoom_for
from geosoc.maps.legend import BinnedScale, quantile_scale

__all__ = ["SIGNAL_PALETTE", "deck_area_map", "partner_title", "signal_scale"]

#: Palette of vulnerability signal layers (ColorBrewer Purples, 6 classes), light to dark.
SIGNAL_PALETTE = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")


def signal_scale(values: np.ndarray | pd.Series, *, classes: int = 6) -> BinnedScale:
    """Quantile scale of a vulnerability signal layer, on :data:`SIGNAL_PALETTE`."""
    base = quantile_scale(values, classes=classes)
    n = len(base.colours)
    picks = np.round(np.linspace(1, len(SIGNAL_PALETTE) - 1, n)).astype(int) if n > 1 else [4]
    return BinnedScale(base.edges, tuple(SIGNAL_PALETTE[i] for i in picks))


def partner_title(source: str, measure: str, *, unit: str, method: str | None = None,
                  signal: bool = False) -> str:
    """Return the layer/legend title of a partner count or vulnerability signal layer.

    E.g. ``"housing: harm (days) per cell, apportioned by area share"`` or
    ``"vulnerability (vulnerability signals): events per lsoa"``.

    Parameters
    ----------
    source : str
        Partner source.
    measure : str
        ``"harm"`` (days) or ``"count"`` (events).
    unit : str
        What each shape is (``"cell"``, ``"LSOA"``, ``"ward"``).
    method : str, optional
        Apportioning method when the values were apportioned.
    signal : bool
        A vulnerability signal layer (counts only, never harm).
    """
    what = "events" if signal or measure == "count" else "harm (days)"
    kind = " (vulnerability signals)" if signal else ""
    title = f"{source}{kind}: {what} per {unit}"
    return f"{title}, {method_label(method)}" if method else title


def deck_area_map(areas: gpd.GeoDataFrame, value: str, scale: BinnedScale, *,
                  alpha: int = 180) -> pydeck.Deck:
    """Draw area polygons (EPSG:4326) coloured by ``value`` with pydeck (offline, no base map).

    For layers too large for folium (the same switch as the profile's hexagons). Only the
    numeric value goes into the tooltip (no partner-supplied text reaches the page).
    """
    rgba = _rgba(scale.colour(areas[value].fillna(0)), alpha)
    parts = areas.geometry.explode(index_parts=False)
    rings = [shapely.get_coordinates(g.exterior).round(5).tolist() for g in parts]
    values = areas[value].astype(float).round(1).reindex(parts.index).to_numpy()
    colour = pd.DataFrame(rgba, index=areas.index).reindex(parts.index).to_numpy()
    data = pd.DataFrame({"polygon": rings, "value": values, "r": colour[:, 0],
                         "g": colour[:, 1], "b": colour[:, 2], "a": colour[:, 3]})
    layer = pydeck.Layer("PolygonLayer", data, get_polygon="polygon",
                         get_fill_color="[r, g, b, a]", pickable=True, stroked=True,
                         get_line_color=[80, 80, 80, 120], line_width_min_pixels=1)
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in areas.total_bounds)
    view = pydeck.ViewState(longitude=(lon_min + lon_max) / 2, latitude=(lat_min + lat_max) / 2,
                            zoom=_zoom_for(lon_max - lon_min, lat_max - lat_min))
    return pydeck.Deck(layers=[layer], initial_view_state=view, map_provider=None,
                       tooltip={"text": f"{value}: {{value}}"})
