"""pydeck H3 hexagon layer for cell counts too large for folium polygons (> ~20k cells).

pydeck sends cell ids, not geometry: 100k cells are ~10 MB and appear in ~9.5 s, where
folium polygons take over a minute. ``map_provider=None`` draws no base map, so it works
offline inside ``st.pydeck_chart``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydeck

from geosoc.maps.legend import BinnedScale

#: Above this many cells the app draws hexagons with pydeck rather than folium.
FOLIUM_CELL_LIMIT = 20_000


def _rgba(colours: np.ndarray, alpha: int) -> np.ndarray:
    hexes = pd.Series(colours, dtype="string").str.lstrip("#")
    channels = [hexes.str.slice(i, i + 2).map(lambda h: int(h, 16)) for i in (0, 2, 4)]
    return np.column_stack([*[c.to_numpy(dtype=int) for c in channels],
                            np.full(len(hexes), alpha)])


def deck_hex_map(
    cells: pd.DataFrame,
    value: str,
    scale: BinnedScale,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    alpha: int = 180,
) -> pydeck.Deck:
    """Draw H3 cells coloured by ``value`` on a binned scale with pydeck.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells indexed by H3 id (str); ``value`` numeric (harm in days or count).
    value : str
        Column to colour by.
    scale : BinnedScale
        Colour scale shared with the legend.
    bounds : tuple of float, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees for the initial view.
    alpha : int
        Fill opacity 0–255.

    Returns
    -------
    pydeck.Deck
        Ready for ``st.pydeck_chart``; no base map (offline).
    """
    rgba = _rgba(scale.colour(cells[value]), alpha)
    data = pd.DataFrame({
        "hex": cells.index.astype(str), "value": cells[value].astype(float).round(1),
        "r": rgba[:, 0], "g": rgba[:, 1], "b": rgba[:, 2], "a": rgba[:, 3],
    })
    layer = pydeck.Layer(
        "H3HexagonLayer", data, get_hexagon="hex", get_fill_color="[r, g, b, a]",
        pickable=True, stroked=False, extruded=False,
    )
    lon_min, lat_min, lon_max, lat_max = bounds or (-2.5, 54.0, -2.5, 54.0)
    view = pydeck.ViewState(longitude=(lon_min + lon_max) / 2, latitude=(lat_min + lat_max) / 2,
                            zoom=_zoom_for(lon_max - lon_min, lat_max - lat_min))
    return pydeck.Deck(layers=[layer], initial_view_state=view, map_provider=None,
                       tooltip={"text": f"{value}: {{value}}"})


def _zoom_for(width_deg: float, height_deg: float) -> float:
    span = max(width_deg, height_deg * 1.6, 1e-4)
    return float(np.clip(np.log2(360.0 / span) - 0.5, 3, 17))
