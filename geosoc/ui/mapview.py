"""Show folium maps and legends in Streamlit: offline assets, few reruns, legends in Streamlit."""

from __future__ import annotations

import re

import folium
import streamlit as st
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


def show_map(
    m: folium.Map,
    *,
    key: str,
    height: int = 560,
    returned_objects: list[str] | None = None,
    layer_control: bool = True,
    feature_group: folium.FeatureGroup | None = None,
) -> dict:
    """Localise and draw a folium map; return only the browser state the page asked for.

    Parameters
    ----------
    m : folium.Map
        Map with all its layers (from :func:`geosoc.maps.build_map`).
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

    Returns
    -------
    dict
        The requested state, e.g. ``{"all_drawings": [...]}``.
    """
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
