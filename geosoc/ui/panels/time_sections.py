"""The time sections of the Profile and Phases pages: month player, before/after and change.

Thin glue between the pages, :mod:`geosoc.ui.caching.studies` (disclosed layers and frames) and the
two panels (:mod:`geosoc.ui.panels.month_player`, :mod:`geosoc.ui.panels.before_after`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import folium
import folium.plugins
import geopandas as gpd
import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import Role, rules_for
from geosoc.errors import GeosocError
from geosoc.maps import deck_cells
from geosoc.phases.rings import buffer_rings
from geosoc.report.readable import cell_labels
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies
from geosoc.ui.panels import before_after, month_player
from geosoc.ui.study import Study


def _layer(key: str, filters: state.Filters, kind: str, resolution: int,
           role: Role) -> Callable[[tuple[str, str]], gpd.GeoDataFrame]:
    def layer(months: tuple[str, str]) -> gpd.GeoDataFrame:
        chosen = state.Filters(months, filters.categories, filters.sources)
        if kind == "h3":
            return studies.cell_layer(key, chosen, resolution, role.value, False)
        return studies.area_layer(key, chosen, kind, role.value)
    return layer


def with_site(m: folium.Map, study: Study) -> folium.Map:
    """Draw the study's first CHB site (its name shown) and its buffer rings on ``m``."""
    site = study.site
    if site is None or not len(site):
        return m
    first = site.iloc[[0]]
    try:
        rings = buffer_rings(first.geometry.iloc[0], (0.0, *study.ring_bands_m))
    except GeosocError:  # a site the rings cannot be drawn around still gets its outline
        rings = None
    if rings is not None and len(rings):
        maps.rings_layer(rings, label="ring").add_to(m)
    maps.site_layer(first).add_to(m)
    return m


def _site_map(study: Study, wards: gpd.GeoDataFrame, extent) -> folium.Map:
    return with_site(basemaps.base_map(boundaries=wards, bounds=extent), study)


def _site_dual(study: Study, wards: gpd.GeoDataFrame, extent) -> folium.plugins.DualMap:
    dual = basemaps.dual_base_map(boundaries=wards, bounds=extent)
    for m in (dual.m1, dual.m2):
        with_site(m, study)
    return dual


def render_time_sections(study: Study, *, key: str, filters: state.Filters, kind: str,
                         resolution: int, role: Role, measure: str, label: str,
                         columns: Sequence[str], shapes: gpd.GeoDataFrame,
                         bounds: tuple[float, float, float, float] | None = None,
                         prefix: str = "pf",
                         phases: dict[str, tuple[str, str]] | None = None) -> None:
    """Draw "Month by month" (slider and Play) and "Before and after" (linked maps, change).

    Every map shows the study's CHB site (named) and its rings (:func:`with_site`).

    Parameters
    ----------
    study : Study
        The session's study (wards drawn as the base).
    key, filters : str, Filters
        Study key and sidebar filters (the months offered are the filters').
    kind : str
        ``h3`` or an area kind.
    resolution : int
        H3 resolution (ignored for areas).
    role : Role
        The audience: every frame and period is disclosed for it.
    measure, label : str
        ``count``/``harm`` and what the colours show.
    columns : sequence of str
        Value columns summed on the player (the page's source toggles).
    shapes : geopandas.GeoDataFrame
        The units' polygons (the page's layer), indexed by unit code.
    bounds : tuple of float, optional
        Map extent (EPSG:4326); default the study's.
    prefix : str
        Widget key prefix.
    phases : dict, optional
        Named periods (phase -> months) offered for the comparison instead of month ranges.
    """
    wards = study.areas["ward"]
    extent = bounds or study.bounds
    months = [m for m in study.months
              if not filters.months or filters.months[0] <= m <= filters.months[1]]
    st.subheader("Month by month")
    if kind == "h3" and len(shapes) > deck_cells.DECK_CELL_LIMIT:
        st.info("Too many cells to play or compare on the map: choose a coarser resolution "
                "or areas.")
        return
    frames = studies.month_frames(key, filters, kind, resolution, role.value)
    grain = "Quarter" if rules_for(role).time_grain == "Q" else "Month"
    if "name" not in shapes.columns:  # H3 cells: named by their ward, never by their id
        shapes = shapes.assign(name=cell_labels(shapes.index.astype(str), wards).to_numpy())
    month_player.render(frames, shapes[["geometry", "name"]],
                        key=f"{prefix}_player", label=label, columns=columns, grain=grain,
                        make_map=lambda: _site_map(study, wards, extent))
    st.subheader("Before and after")
    if len(months) < 2 and not phases:
        st.info("Choose at least two months in the sidebar to compare periods.")
        return

    @st.fragment  # choosing periods reruns this panel only, not the whole page
    def compare() -> None:
        before_after.render(
            _layer(key, filters, kind, resolution, role), key=f"{prefix}_cmp",
            measure=measure, role=role, months=months, named=phases,
            make_dual=lambda: _site_dual(study, wards, extent),
            make_map=lambda: _site_map(study, wards, extent), areas=wards)

    compare()
