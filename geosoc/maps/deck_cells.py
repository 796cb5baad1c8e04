"""A force-wide H3 layer drawn by deck.gl (WebGL): cells, area outlines and the site.

folium draws every cell as an SVG path: a London-wide resolution-9 layer (17,000 cells) is
~10 MB of GeoJSON per rerun and seconds of browser work to draw, and panning moves every
path. deck.gl draws the same cells from their ids on the GPU (or the software renderer of
a headless browser), pans and zooms in the browser without asking the server, and needs no
base map (``map_provider=None``: nothing is fetched, so it works offline). Area outlines and
the site travel as paths (coordinates rounded to 4 decimal places, ~10 m, like the simplification).

Every value shown comes from the (already disclosed) frame it is given; tooltips use the
text template (no HTML), so no data string reaches markup.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck
import shapely

from geosoc.maps.deck import _zoom_for

__all__ = ["DECK_CELL_LIMIT", "deck_cells_map", "outline_paths"]

#: Above this many cells the app draws an H3 layer with deck.gl rather than folium.
DECK_CELL_LIMIT = 4_000


class CompactDeck(pydeck.Deck):
    """A :class:`pydeck.Deck` whose JSON is compact, with layer data encoded by pandas.

    pydeck indents its JSON and encodes each row through Python's ``json`` (17,000 cells
    and the ward outlines come to ~9 MB and seconds). Here the layers are declared without
    data and each layer's frame is spliced in as ``DataFrame.to_json(orient="records")``:
    the same deck in ~2.5 MB, encoded once (the string is kept on the object).
    """

    def __init__(self, *args: object, frames: dict[str, pd.DataFrame] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._frames = dict(frames or {})
        self._compact: str | None = None

    def to_json(self) -> str:
        """Return the deck's JSON without indentation (computed once)."""
        if self._compact is None:
            kept = {k: self.__dict__.pop(k) for k in ("_frames", "_compact")}
            try:  # pydeck serialises every attribute: hide ours while it does
                spec = json.loads(super().to_json())
            finally:
                self.__dict__.update(kept)
            marks = {}
            for layer in spec.get("layers", []):
                if layer.get("id") in self._frames:
                    marks[layer["id"]] = mark = f"@@geosoc-data-{layer['id']}@@"
                    layer["data"] = mark
            text = json.dumps(spec, separators=(",", ":"))
            for layer_id, mark in marks.items():
                data = self._frames[layer_id].to_json(orient="records", double_precision=5)
                text = text.replace(json.dumps(mark), data, 1)
            self._compact = text
        return self._compact


def _rgba(colours: np.ndarray | pd.Series, alpha: int) -> np.ndarray:
    """``#rrggbb`` strings to an ``(n, 4)`` uint8 array (vectorised)."""
    text = pd.Series(np.asarray(colours, dtype=object), dtype="string").str.lstrip("#")
    packed = text.map(lambda h: int(h, 16) if isinstance(h, str) and len(h) == 6 else 0xF2F2F2)
    value = packed.to_numpy(dtype=np.int64)
    return np.column_stack([(value >> 16) & 255, (value >> 8) & 255, value & 255,
                            np.full(len(value), alpha)]).astype(np.int64)


def outline_paths(areas: gpd.GeoDataFrame, *, tolerance: float = 1e-4) -> pd.DataFrame:
    """Return area boundaries as deck.gl paths (one row per ring, lon/lat rounded to 1e-4, ~7-11 m).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas in EPSG:4326.
    tolerance : float
        Simplification tolerance in degrees (shared edges kept together), 1e-4 ≈ 10 m.

    Returns
    -------
    pandas.DataFrame
        Column ``path``: lists of ``[lon, lat]``.
    """
    if areas.empty:
        return pd.DataFrame({"path": pd.Series(dtype=object)})
    geometry = areas.to_crs("EPSG:4326").geometry.to_numpy()
    try:
        geometry = shapely.coverage_simplify(geometry, tolerance)
    except shapely.errors.GEOSException:  # not a clean coverage: simplify one by one
        geometry = shapely.simplify(geometry, tolerance, preserve_topology=True)
    rings = shapely.get_rings(shapely.get_parts(geometry))
    coords = [np.round(shapely.get_coordinates(r), 4).tolist() for r in rings]
    return pd.DataFrame({"path": coords})


def deck_cells_map(
    cells: pd.DataFrame,
    colours: np.ndarray | pd.Series,
    *,
    tooltip: dict[str, str],
    outlines: pd.DataFrame | None = None,
    site: gpd.GeoDataFrame | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    alpha: int = 190,
) -> pydeck.Deck:
    """Draw H3 cells in the given colours, with area outlines and the site on top.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells indexed by H3 id (str), with the tooltip columns.
    colours : array of str
        ``#rrggbb`` fill of each cell (from a scale or a class colour table).
    tooltip : dict of column -> label
        Shown on hover (numbers rounded to 1 decimal; class labels as they are).
    outlines : pandas.DataFrame, optional
        :func:`outline_paths` of the areas drawn under the site (wards).
    site : geopandas.GeoDataFrame, optional
        CHB site polygons (EPSG:4326), drawn as thick dark lines.
    bounds : tuple of float, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` degrees of the first view.
    alpha : int
        Fill opacity 0-255.

    Returns
    -------
    pydeck.Deck
        For ``st.pydeck_chart``; no base map, nothing fetched.
    """
    rgba = _rgba(colours, alpha)
    data = pd.DataFrame({"hex": cells.index.astype(str), "r": rgba[:, 0], "g": rgba[:, 1],
                         "b": rgba[:, 2]})
    fields = {}
    for i, (column, label) in enumerate(tooltip.items()):
        values = cells[column]
        if pd.api.types.is_numeric_dtype(values):
            values = values.astype(float).round(1)
        data[f"t{i}"] = values.astype(object).where(values.notna(), "").to_numpy()
        fields[f"t{i}"] = label
    frames = {"cells": data}
    layers = [pydeck.Layer("H3HexagonLayer", [], id="cells", get_hexagon="hex",
                           get_fill_color=f"[r, g, b, {int(alpha)}]", pickable=True, stroked=False,
                           extruded=False, high_precision=False)]
    if outlines is not None and len(outlines):
        frames["outlines"] = outlines
        layers.append(pydeck.Layer("PathLayer", [], id="outlines", get_path="path",
                                   get_color=[110, 110, 110, 200], width_min_pixels=1,
                                   get_width=1, pickable=False))
    if site is not None and len(site):
        frames["site"] = outline_paths(site, tolerance=1e-6)
        layers.append(pydeck.Layer("PathLayer", [], id="site", get_path="path",
                                   get_color=[17, 17, 17, 255],
                                   width_min_pixels=3, get_width=3, pickable=False))
    lon_min, lat_min, lon_max, lat_max = bounds or (-2.5, 54.0, -2.5, 54.0)
    view = pydeck.ViewState(longitude=(lon_min + lon_max) / 2,
                            latitude=(lat_min + lat_max) / 2,
                            zoom=_zoom_for(lon_max - lon_min, lat_max - lat_min))
    text = "\n".join(f"{label}: {{{column}}}" for column, label in fields.items())
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None,
                       tooltip={"text": text}, frames=frames)
