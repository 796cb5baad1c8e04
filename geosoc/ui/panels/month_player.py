"""Month slider and Play button over monthly harm (cells or areas), disclosed per frame.

Frames come from :func:`geosoc.ui.caching.studies.month_frames`: each month (the public:
each quarter) disclosed on its own with the cell key method, exactly as the map shows that
month when the sidebar is set to it. One colour scale serves every frame, so colours
compare across months. Playing reruns only this fragment (``st.fragment(run_every=...)``)
and swaps the layer inside the map (``feature_group_to_add``), so the map keeps its zoom
and is not reloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.report.figures import SUPPRESSED_COLOUR
from geosoc.ui.maps.mapview import show_legend, show_map

#: Seconds between frames while playing.
PLAY_SECONDS = 1.5


def frame_values(frames: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``period``, the unit code and ``shown`` (sum of ``columns``; NaN if hidden)."""
    unit = frames.columns[1]
    present = [c for c in columns if c in frames.columns] or ["count"]
    return frames[["period", unit]].assign(
        shown=frames[present].sum(axis=1, min_count=len(present)))


def _advance(periods: list[str], slider: str, playing: str) -> None:
    """While playing, step the slider one frame (stop after the last)."""
    if not st.session_state.get(playing):
        return
    current = st.session_state.get(slider)
    position = periods.index(current) if current in periods else -1
    if position + 1 < len(periods):
        st.session_state[slider] = periods[position + 1]
    else:
        st.session_state[playing] = False
        st.rerun()


def render(frames: pd.DataFrame, shapes: gpd.GeoDataFrame, *, key: str, label: str,
           columns: Sequence[str], make_map: Callable[[], folium.Map],
           grain: str = "Month", height: int = 460) -> None:
    """Draw the player: Play/Pause, the period slider, the map of the frame and its legend.

    Parameters
    ----------
    frames : pandas.DataFrame
        Long disclosed frames (``period``, unit code, values) from ``studies.month_frames``.
    shapes : geopandas.GeoDataFrame
        The units' polygons (EPSG:4326), indexed by unit code (``name`` optional).
    key : str
        Widget key prefix (unique on the page).
    label : str
        What the colours show, e.g. ``"Harm (days)"``.
    columns : sequence of str
        Value columns summed into the shown value (e.g. ``harm__police``...).
    make_map : callable
        Returns the base map (built once per run; the frame layer is swapped into it).
    grain : str
        ``"Month"`` or ``"Quarter"`` (the slider's label).
    height : int
        Map height in pixels.
    """
    values = frame_values(frames, columns)
    periods = list(dict.fromkeys(values["period"]))
    if len(periods) < 2:
        st.info(f"Choose at least two {grain.lower()}s in the sidebar to play them.")
        return
    scale = maps.quantile_scale(values["shown"].fillna(0))  # one scale for every frame
    slider, playing = f"{key}_period", f"{key}_playing"
    if st.session_state.get(slider) not in periods:
        st.session_state[slider] = periods[0]
    unit = values.columns[1]

    @st.fragment(run_every=PLAY_SECONDS if st.session_state.get(playing) else None)
    def player() -> None:
        _advance(periods, slider, playing)
        now_playing = bool(st.session_state.get(playing))
        controls = st.columns([1, 6])
        if controls[0].button("⏸ Pause" if now_playing else "▶ Play", key=f"{key}_play"):
            st.session_state[playing] = not now_playing
            if not now_playing and st.session_state.get(slider) == periods[-1]:
                st.session_state[slider] = periods[0]
            st.rerun()
        period = controls[1].select_slider(grain, options=periods, key=slider)
        shown = values[values["period"] == period].set_index(unit)["shown"]
        frame = shapes.join(shown.rename("shown"), how="left")
        colours = np.where(frame["shown"].isna(), SUPPRESSED_COLOUR,
                           scale.colour(frame["shown"].fillna(0)))
        frame = frame.assign(shown_text=frame["shown"].map(
            lambda v: "suppressed" if pd.isna(v) else f"{v:,.0f}"), period=period)
        tooltip = {**({"name": "Area"} if "name" in frame.columns else {}),
                   "period": grain, "shown_text": label}
        group = folium.FeatureGroup(name=f"{label}, {period}")
        maps.fill_layer(frame, colours, name=f"{label}, {period}", tooltip=tooltip).add_to(group)
        show_map(make_map(), key=f"{key}_map", height=height, feature_group=group)
        hidden = int(frame["shown"].isna().sum())
        if hidden:
            st.caption(f"{period}: {hidden} unit(s) suppressed (grey), each month disclosed "
                       "on its own.")

    player()
    show_legend(scale.legend(label), columns=4)
