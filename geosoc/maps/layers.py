"""folium layers: coloured hexagons and areas, boundaries, sites, rings, assets, drawing.

Every layer is offline-safe (no branca ColorMap, no CDN-only plugin) and every string from
data is escaped (:mod:`geosoc.maps.escape`). Colours are precomputed in Python on a binned
scale (:mod:`geosoc.maps.legend`) and applied with ``GeoJson(style_function=...)``.
GeoJSON is written compactly: coordinates rounded to 5 decimal places (about 1 m).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.maps.escape import safe_properties, safe_series, safe_text
from geosoc.maps.legend import BinnedScale

#: Name of the feature property that carries the row's index (unique feature id).
KEY = "key"


def compact_geojson(
    frame: gpd.GeoDataFrame, properties: list[str] | None = None, *, precision: int = 5
) -> dict:
    """Return a FeatureCollection with rounded coordinates and escaped string properties.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Features in EPSG:4326; the index becomes property :data:`KEY` (unique).
    properties : list of str, optional
        Columns to carry (default none besides the key). Strings are HTML/JS-escaped,
        floats rounded to 1 decimal place.
    precision : int
        Decimal places kept in coordinates (5 ≈ 1.1 m).

    Returns
    -------
    dict
        GeoJSON FeatureCollection.
    """
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    props = pd.DataFrame({KEY: frame.index.astype(str)}, index=frame.index)
    for column in properties or []:
        values = frame[column]
        props[column] = values.round(1) if pd.api.types.is_float_dtype(values) else values
    props = safe_properties(props)
    rounded = shapely.transform(
        np.asarray(frame.geometry.values), lambda xy: np.round(xy, precision)
    )
    geometry = pd.Series(shapely.to_geojson(rounded), index=frame.index, dtype=object)
    lines = props.to_json(orient="records", lines=True).splitlines()
    features = (
        '{"type":"Feature","properties":' + pd.Series(lines, index=frame.index, dtype=object)
        + ',"geometry":' + geometry + "}"
    )
    return json.loads('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")


def _tooltip(fields: Mapping[str, str] | None, frame: pd.DataFrame
             ) -> folium.GeoJsonTooltip | None:
    if not fields or frame.empty:  # folium checks the fields against the first feature
        return None
    return folium.GeoJsonTooltip(
        fields=list(fields), aliases=[safe_text(a) for a in fields.values()], localize=True
    )


def fill_layer(
    frame: gpd.GeoDataFrame,
    colours: np.ndarray | pd.Series,
    *,
    name: str,
    tooltip: Mapping[str, str] | None = None,
    opacity: float = 0.7,
    line_colour: str = "#555555",
    line_weight: float = 0.4,
    show: bool = True,
) -> folium.GeoJson:
    """Fill polygons (H3 cells or areas) with precomputed colours.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Cells or areas, EPSG:4326, unique index.
    colours : array-like of str
        ``#rrggbb`` per row, aligned with ``frame`` (e.g. ``BinnedScale.colour(...)``).
    name : str
        Layer name shown in the layer control (escaped).
    tooltip : mapping of column -> label, optional
        Columns to show on hover and their labels.
    opacity : float
        Fill opacity 0–1.
    line_colour, line_weight : str, float
        Outline colour and width in pixels.
    show : bool
        Whether the layer starts switched on.

    Returns
    -------
    folium.GeoJson
    """
    by_key = dict(zip(frame.index.astype(str), np.asarray(colours, dtype=object), strict=True))

    def style(feature: dict) -> dict:
        return {
            "fillColor": by_key[feature["properties"][KEY]], "fillOpacity": opacity,
            "color": line_colour, "weight": line_weight,
        }

    return folium.GeoJson(
        compact_geojson(frame, list(tooltip or [])),
        name=safe_text(name), style_function=style, tooltip=_tooltip(tooltip, frame),
        show=show, smooth_factor=0.5,
    )


def value_layer(
    frame: gpd.GeoDataFrame,
    value: str,
    scale: BinnedScale,
    *,
    name: str,
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
) -> folium.GeoJson:
    """Colour cells or areas by a numeric column on a binned scale.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Cells or areas, EPSG:4326.
    value : str
        Numeric column (``harm`` in days, ``count``...).
    scale : BinnedScale
        Colour scale (e.g. :func:`geosoc.maps.legend.quantile_scale`).
    name : str
        Layer name.
    tooltip : mapping of column -> label, optional
        Hover fields; defaults to the value column.
    show : bool
        Whether the layer starts switched on.

    Returns
    -------
    folium.GeoJson
    """
    return fill_layer(frame, scale.colour(frame[value]), name=name,
                      tooltip=tooltip or {value: value}, show=show)


def class_layer(
    frame: gpd.GeoDataFrame,
    column: str,
    colours: Mapping[object, str],
    *,
    name: str,
    tooltip: Mapping[str, str] | None = None,
    default: str = "#f2f2f2",
    hide: tuple[object, ...] = (),
    show: bool = True,
) -> folium.GeoJson:
    """Colour cells or areas by a class column (Gi* bins, emerging classes, LISA).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Cells or areas, EPSG:4326.
    column : str
        Class column (e.g. ``hotspot_bin``, ``emerging_class``).
    colours : mapping of class -> colour
        Colour per class; other classes get ``default``.
    name : str
        Layer name.
    tooltip : mapping of column -> label, optional
        Hover fields; defaults to the class column.
    default : str
        Colour of classes not in ``colours``.
    hide : tuple
        Classes left out of the layer (e.g. ``(0,)`` to show only significant cells).
    show : bool
        Whether the layer starts switched on.

    Returns
    -------
    folium.GeoJson
    """
    kept = frame[~frame[column].isin(list(hide))] if hide else frame
    fills = kept[column].map(dict(colours)).fillna(default)
    return fill_layer(kept, fills, name=name, tooltip=tooltip or {column: column}, show=show)


def outline_layer(
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    label: str | None = None,
    colour: str = "#444444",
    weight: float = 1.0,
    dash: str | None = None,
    fill_opacity: float = 0.0,
    show: bool = True,
    control: bool = True,
) -> folium.GeoJson:
    """Outline areas: the boundary base layer, a CHB site, buffer rings.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons, EPSG:4326.
    name : str
        Layer name.
    label : str, optional
        Column to show on hover (escaped), e.g. ``name``.
    colour, weight, dash : str, float, str
        Line colour, width in pixels and dash pattern (``"6 4"``).
    fill_opacity : float
        Fill opacity (0 for outlines only).
    show, control : bool
        Start switched on; list in the layer control.

    Returns
    -------
    folium.GeoJson
    """
    style = {"color": colour, "weight": weight, "fillColor": colour, "fillOpacity": fill_opacity}
    if dash:
        style["dashArray"] = dash
    tooltip = {label: label.replace("_", " ").capitalize()} if label else None
    return folium.GeoJson(
        compact_geojson(frame, [label] if label else []), name=safe_text(name),
        style_function=lambda _feature: dict(style), tooltip=_tooltip(tooltip, frame),
        show=show, control=control,
    )


def boundary_layer(areas: gpd.GeoDataFrame, *, name: str = "Boundaries") -> folium.GeoJson:
    """Outline areas with names on hover: the base layer of every map (no tiles offline)."""
    label = "name" if "name" in areas.columns else None
    return outline_layer(areas, name=name, label=label, colour="#7a7a7a", weight=0.8,
                         fill_opacity=0.03)


#: Inline style of the site's name label, always shown (bold on white: readable on any fill).
SITE_LABEL_STYLE = ("background-color: rgba(255,255,255,0.85); border: 1px solid #111;"
                    " font: 700 14px sans-serif; color: #111; padding: 1px 6px;")


def site_layer(site: gpd.GeoDataFrame, *, name: str = "CHB site") -> folium.GeoJson:
    """Draw a Clear, Hold, Build site boundary: thick dark outline, its name always shown.

    The name is the ``name`` column, else the index when it is named ``name`` (the app's
    sites are indexed by name); it is escaped and shown as a permanent label at the site.
    """
    frame = site
    if "name" not in site.columns and site.index.name == "name":
        frame = site.assign(name=site.index.astype(str))
    layer = outline_layer(frame, name=name, label=None, colour="#111111", weight=3.0)
    if "name" in frame.columns and len(frame):
        layer.data = compact_geojson(frame, ["name"])
        folium.GeoJsonTooltip(fields=["name"], labels=False, permanent=True,
                              direction="center", class_name="geosoc-site-label",
                              sticky=False, style=SITE_LABEL_STYLE).add_to(layer)
    return layer


def rings_layer(
    rings: gpd.GeoDataFrame, *, label: str | None = None, name: str = "Buffer rings"
) -> folium.GeoJson:
    """Draw displacement buffer rings (or a control area) as dashed outlines."""
    return outline_layer(rings, name=name, label=label, colour="#6a3d9a", weight=2.0,
                         dash="6 4", fill_opacity=0.05)


_ASSET_MARKER = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 7, color: "#222222", weight: 1, fillColor: row[3], fillOpacity: 0.9});
    marker.bindTooltip(row[2]);
    return marker;
}"""


def asset_layers(
    assets: pd.DataFrame,
    colours: Mapping[str, str],
    *,
    category: str = "category",
    label: str = "name",
    lon: str = "lon",
    lat: str = "lat",
) -> list[folium.FeatureGroup]:
    """Cluster community assets as circle markers, one toggleable group per category.

    Parameters
    ----------
    assets : pandas.DataFrame
        One row per asset with WGS84 ``lon``/``lat`` in degrees.
    colours : mapping of category -> colour
        From :func:`geosoc.maps.legend.category_colours`.
    category, label, lon, lat : str
        Column names.

    Returns
    -------
    list of folium.FeatureGroup
        One group per category (named by the escaped category), each holding a cluster.
    """
    rows = pd.DataFrame({
        "lat": assets[lat].astype(float), "lon": assets[lon].astype(float),
        "tip": safe_series(assets[label]) + " (" + safe_series(assets[category]) + ")",
        "colour": assets[category].astype(str).map(dict(colours)).fillna("#666666"),
        "group": assets[category].astype(str),
    })
    groups = []
    for name, part in rows.groupby("group", sort=True):
        group = folium.FeatureGroup(name=safe_text(name), show=True)
        folium.plugins.FastMarkerCluster(
            part[["lat", "lon", "tip", "colour"]].to_numpy().tolist(),
            callback=_ASSET_MARKER, control=False,
            options={"maxClusterRadius": 40, "disableClusteringAtZoom": 17},
        ).add_to(group)
        groups.append(group)
    return groups


def draw_control() -> folium.plugins.Draw:
    """Offer polygon and rectangle drawing for a site (read back from ``all_drawings``)."""
    return folium.plugins.Draw(
        export=False,
        draw_options={"polyline": False, "circle": False, "circlemarker": False,
                      "marker": False, "polygon": {"allowIntersection": False},
                      "rectangle": {}},
        edit_options={"edit": True, "remove": True},
    )
