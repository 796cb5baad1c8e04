"""Show folium maps and legends in Streamlit: offline assets, few reruns, legends in Streamlit.

Rendering a folium map to Leaflet code costs seconds for thousands of shapes (GeoJSON
encoding, one Jinja template compiled per element, bounds walked over every vertex), and
``st_folium`` does it on every rerun. :func:`show_map` with a ``content_key`` renders once per
key (:func:`geosoc.ui.caching.views.rendered_map`) and hands the stored strings to the same
streamlit-folium component, so a rerun that changes nothing on the map costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any

import folium
import streamlit as st
import streamlit_folium
from streamlit_folium import st_folium

from geosoc.maps import Legend, safe_text
from geosoc.maps.base import finish_map
from geosoc.maps.offline import STREAMLIT_VENDOR_URL
from geosoc.maps.vendor import missing_files

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def vendor_url() -> str:
    """Return where Streamlit serves ``static/vendor/`` (honours ``server.baseUrlPath``)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{STREAMLIT_VENDOR_URL}" if base else STREAMLIT_VENDOR_URL


MapBuild = Callable[[], "tuple[folium.Map, folium.FeatureGroup | None]"]


def show_map(
    m: folium.Map | MapBuild,
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    layer_control: bool = True,
    feature_group: folium.FeatureGroup | None = None,
    content_key: Hashable | None = None,
    base_key: Hashable | None = None,
) -> dict:
    """Localise and draw a folium map; return only the browser state the page asked for.

    Parameters
    ----------
    m : folium.Map or callable
        Map with all its layers (from :func:`geosoc.maps.build_map`), or a function
        returning ``(map, feature_group or None)``, called only when ``content_key`` is new.
    key : str
        Widget key (stable across reruns so the map keeps its zoom).
    height : int
        Height in pixels.
    returned_objects : list of str, optional
        Browser state to send back (default none, so panning and zooming never rerun).
    layer_control : bool
        Add the layer switcher.
    feature_group : folium.FeatureGroup, optional
        A layer swapped in without rebuilding the map (``feature_group_to_add``).
    content_key : hashable, optional
        Names everything the map shows (study key, filters, **role**, layer choices): the
        rendered map is kept under it, shared by the sessions asking for the same key, and
        reused without rendering again. Omit it to render on every rerun.
    base_key : hashable, optional
        With ``feature_group`` and ``content_key``: names everything the map *without* the
        group shows. The base map is then rendered once per ``base_key`` and only the group
        once per ``content_key`` (a new ranking recolours the candidates; the boundaries,
        site and drawing tools are not rendered again, and the browser keeps them).

    Returns
    -------
    dict
        The requested state, e.g. ``{"all_drawings": [...]}``.
    """
    if content_key is not None:
        from geosoc.ui.caching import studies, views

        def render() -> dict[str, Any]:
            built, group = m() if callable(m) and not isinstance(m, folium.Map) else (
                m, feature_group)
            return render_map(built, key=key, returned_objects=returned_objects,
                              layer_control=layer_control, feature_group=group)

        # the tiles and map context come from the settings: part of every map's key
        common = (key, tuple(returned_objects or ()), layer_control, vendor_url(),
                  repr(studies.settings().map))
        if base_key is not None and (feature_group is not None or callable(m)):
            def built() -> tuple[folium.Map, folium.FeatureGroup | None]:
                return (m() if callable(m) and not isinstance(m, folium.Map)
                        else (m, feature_group))

            base = views.rendered_map((*common, "base", base_key), lambda: render_map(
                built()[0], key=key, returned_objects=returned_objects,
                layer_control=layer_control))
            group = views.rendered_map((*common, "group", content_key), lambda: {
                "feature_group": render_group(built()[1])})
            args = {**base, "feature_group": group["feature_group"]}
        else:
            args = views.rendered_map((*common, content_key), render)
        return _draw(args, key=key, height=height, returned_objects=returned_objects)
    if callable(m) and not isinstance(m, folium.Map):
        m, feature_group = m()
    if missing_files():
        st.warning("Map files are missing, so maps cannot start. Run "
                   "`python -m geosoc.maps.vendor` (part of `make app`) and reload.")
    finish_map(m, layer_control=layer_control, base_url=vendor_url())
    if feature_group is not None:
        finish_map(feature_group, layer_control=False, base_url=vendor_url())
    return st_folium(
        m, key=key, height=height, use_container_width=True,
        returned_objects=list(returned_objects or []),
        feature_group_to_add=feature_group,
    ) or {}


def render_map(m: folium.Map, *, key: str, returned_objects: list[str] | None = None,
               layer_control: bool = True,
               feature_group: folium.FeatureGroup | None = None) -> dict[str, Any]:
    """Render a folium map to the arguments of the streamlit-folium component (no drawing).

    The same steps as ``st_folium`` up to its component call (its own helpers), so the
    browser side is the unchanged component; the result holds only strings and numbers.
    """
    sf = streamlit_folium
    finish_map(m, layer_control=layer_control, base_url=vendor_url())
    if feature_group is not None:
        finish_map(feature_group, layer_control=False, base_url=vendor_url())
    m.get_root().render()
    m.render()
    leaflet = sf._get_map_string(m)
    try:
        bounds = m.get_bounds()
    except AttributeError:
        bounds = [[None, None], [None, None]]
    group = (sf._get_feature_group_string(feature_group, map=m, idx=0)
             if feature_group is not None else None)
    css, js = [], []
    for element in _walk(m):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    (south, west), (north, east) = bounds
    return {
        "script": leaflet, "header": sf._get_header(m), "html": sf._get_html(m),
        "id": sf.get_full_id(m), "hash_key": sf.generate_js_hash(leaflet, key, False),
        "feature_group": group, "css_links": list(dict.fromkeys(css)),
        "js_links": list(dict.fromkeys(js)),
        "bounds": {"_southWest": {"lat": south, "lng": west},
                   "_northEast": {"lat": north, "lng": east}},
        "zoom": m.options.get("zoom") if hasattr(m, "options") else {},
    }


def render_group(feature_group: folium.FeatureGroup | None) -> str | None:
    """Render a layer group to the script the component adds to a map already drawn.

    The group's script names its map ``map_div`` (streamlit-folium's name for the map on
    the page), so it is rendered against a throwaway map rather than the base map.
    """
    if feature_group is None:
        return None
    finish_map(feature_group, layer_control=False, base_url=vendor_url())
    return streamlit_folium._get_feature_group_string(feature_group, map=folium.Map(), idx=0)


def _walk(element: Any) -> Any:
    if isinstance(element, folium.elements.JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _draw(args: dict[str, Any], *, key: str, height: int,
          returned_objects: list[str] | None) -> dict:
    """Send rendered map arguments to the streamlit-folium component (as ``st_folium``)."""
    if missing_files():
        st.warning("Map files are missing, so maps cannot start. Run "
                   "`python -m geosoc.maps.vendor` (part of `make app`) and reload.")
    wanted = list(returned_objects or [])
    defaults = {"last_clicked": None, "last_object_clicked": None,
                "last_object_clicked_count": None, "last_object_clicked_tooltip": None,
                "last_object_clicked_popup": None, "all_drawings": None,
                "last_active_drawing": None, "bounds": args["bounds"], "zoom": args["zoom"],
                "last_circle_radius": None, "last_circle_polygon": None,
                "selected_layers": None, "selected_tags": None, "last_geocoder_result": None}
    return streamlit_folium._component_func(
        script=args["script"], header=args["header"], html=args["html"], id=args["id"],
        key=args["hash_key"], height=height, width=None, returned_objects=wanted,
        default={k: v for k, v in defaults.items() if k in wanted}, zoom=None, center=None,
        feature_group=args["feature_group"], return_on_hover=False, layer_control=None,
        pixelated=False, css_links=args["css_links"], js_links=args["js_links"],
        wrap_longitude=False,
        on_change=lambda: st.session_state.__setitem__(
            key, st.session_state.get(args["hash_key"], {}))) or {}


def near(frame: Any, bounds: tuple[float, float, float, float], *,
         margin_deg: float = 0.02) -> Any:
    """Return the rows of a GeoDataFrame within ``bounds`` widened by ``margin_deg``.

    ``bounds`` is ``(lon_min, lat_min, lon_max, lat_max)`` (EPSG:4326 degrees); a map zoomed
    on a site then draws the cells around it, not a whole force's (0.02 deg ≈ 1.4-2.2 km).
    """
    lon_min, lat_min, lon_max, lat_max = bounds
    return frame.cx[lon_min - margin_deg:lon_max + margin_deg,
                    lat_min - margin_deg:lat_max + margin_deg]


def show_legend(legend: Legend, *, columns: int = 1) -> None:
    """Draw a legend with Streamlit (maps carry no legend: branca's needs a CDN)."""
    items = [
        f'<span style="display:inline-block;width:0.9em;height:0.9em;margin-right:0.4em;'
        f'border:1px solid #888;background:{colour if _COLOUR.match(colour) else "#ffffff"}">'
        f"</span>{safe_text(label)}"
        for label, colour in legend.entries
    ]
    st.markdown(f"**{safe_text(legend.title)}**")
    cols = st.columns(columns)
    for i, item in enumerate(items):
        cols[i % columns].markdown(item, unsafe_allow_html=True)
