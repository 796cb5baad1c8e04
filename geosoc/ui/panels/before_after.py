"""Before and after: two linked maps (pan and zoom together) and the change layer.

For any two periods (month ranges, or phases on the Phases page): the two disclosed layers
side by side on one colour scale (folium ``DualMap``, Leaflet.Sync served locally), then
the change layer of every area or cell, ArcGIS "Summarize Percent Change": current,
previous, difference and % change (empty where the previous value is 0), computed from
the disclosed values the audience sees (:func:`geosoc.aggregate.change.percent_change`),
so a suppressed value empties that unit's change too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.aggregate.change import change_by_unit, month_count
from geosoc.disclosure.rules import Role, months_for
from geosoc.maps.change import change_labels, change_layer, change_legend
from geosoc.report.figures import SUPPRESSED_COLOUR
from geosoc.report.readable import cell_labels, is_h3_column, readable_values
from geosoc.ui.maps.mapview import show_legend, show_map

Period = tuple[str, str]


def choose_periods(months: Sequence[str], *, key: str, role: Role,
                   named: Mapping[str, Period] | None = None) -> tuple[Period, Period,
                                                                         str, str]:
    """Ask for the previous and the current period; return them with their labels.

    With ``named`` (phases) the user picks two names; otherwise two month ranges. For the
    public both are widened to whole quarters (the role's time grain).
    """
    if named:
        names = list(named)
        cols = st.columns(2)
        before = cols[0].selectbox("Before", names, index=0, key=f"{key}_before")
        after = cols[1].selectbox("After", names, index=len(names) - 1, key=f"{key}_after")
        chosen = [(named[before], before), (named[after], after)]
    else:
        months = list(months)
        half = max(1, len(months) // 2)
        cols = st.columns(2)
        chosen = []
        for col, (label, default) in zip(cols, (
                ("Before", (months[0], months[half - 1])),
                ("After", (months[half], months[-1]) if half < len(months) else
                 (months[-1], months[-1]))), strict=True):
            picked = col.select_slider(label, options=months, value=default,
                                       key=f"{key}_{label.lower()}")
            chosen.append((tuple(picked), f"{picked[0]} to {picked[1]}"))
    out = []
    for period, label in chosen:
        widened = months_for(role, period) or period
        out.append((tuple(widened), label))
    (previous, prev_label), (current, cur_label) = out
    return previous, current, prev_label, cur_label  # type: ignore[return-value]


def render(layer: Callable[[Period], gpd.GeoDataFrame], *, key: str, measure: str,
           role: Role, months: Sequence[str], make_dual: Callable[[], folium.Map],
           make_map: Callable[[], folium.Map], named: Mapping[str, Period] | None = None,
           height: int = 420, areas: gpd.GeoDataFrame | None = None) -> None:
    """Draw the before/after panel: linked maps, the change map, its legend and table.

    Parameters
    ----------
    layer : callable
        ``layer((first, last))`` returns the disclosed layer (cells or areas) of a period.
    key : str
        Widget key prefix.
    measure : str
        ``count`` or ``harm``.
    role : Role
        The audience (public periods are whole quarters).
    months : sequence of str
        Months the user can choose from.
    make_dual, make_map : callable
        Return the linked base maps (``basemaps.dual_base_map``) and a single base map.
    named : mapping, optional
        Named periods (phases) offered instead of month ranges.
    height : int
        Map height in pixels.
    areas : geopandas.GeoDataFrame, optional
        Wards (EPSG:4326, ``name``) that H3 cells are named by in tooltips and the table.
    """
    previous, current, prev_label, cur_label = choose_periods(months, key=key, role=role,
                                                              named=named)
    before, after = _named(layer(previous), areas), _named(layer(current), areas)
    n_prev, n_cur = month_count(previous), month_count(current)
    per_month = n_prev != n_cur
    unit = f"{measure} per month" if per_month else measure
    values = {name: frame[measure] / (n if per_month else 1)
              for name, frame, n in (("before", before, n_prev), ("after", after, n_cur))}
    scale = maps.quantile_scale(pd.concat(values.values()).fillna(0).to_numpy())
    st.markdown(f"**Before**: {prev_label} · **After**: {cur_label} "
                "(the two maps pan and zoom together)")
    dual = make_dual()
    tooltip = {**({"name": "Area"} if "name" in after.columns else {}), "shown_text": unit}
    for m, frame, name in ((dual.m1, before, "before"), (dual.m2, after, "after")):
        shown = values[name]
        colours = np.where(shown.isna(), SUPPRESSED_COLOUR, scale.colour(shown.fillna(0)))
        labelled = frame.assign(shown_text=shown.map(
            lambda v: "suppressed" if pd.isna(v) else f"{v:,.1f}"))
        maps.fill_layer(labelled, colours, name=f"{name.capitalize()}: {unit}",
                        tooltip=tooltip).add_to(m)
    show_map(dual, key=f"{key}_dual", height=height, layer_control=False)
    show_legend(scale.legend(unit.capitalize(), decimals=1), columns=4)

    change = change_by_unit(after, before, value=measure, current_months=n_cur,
                            previous_months=n_prev)
    st.markdown(f"**Change** from {prev_label} to {cur_label}: current, previous, difference "
                "and % change (ArcGIS *Summarize Percent Change*; empty where the previous "
                "value is 0)" + (", per month: the periods differ in length" if per_month
                                 else ""))
    m = make_map()
    change_layer(change, name="% change", label="name" if "name" in change.columns else None
                 ).add_to(m)
    show_map(m, key=f"{key}_change", height=height)
    show_legend(change_legend(), columns=4)
    table = change_labels(pd.DataFrame(_named(change, areas).drop(columns="geometry")))
    table = table.sort_values("diff_cnt", ascending=False, na_position="last")
    table["name"] = (readable_values(table["name"]) if "name" in table.columns
                     else readable_values(pd.Series(table.index.astype(str), index=table.index)))
    shown_columns = [c for c in ("name", "cur_text", "prev_text", "diff_text", "perc_text")
                     if c in table.columns]
    st.dataframe(table[shown_columns].rename(columns={
        "name": "Area", "cur_text": f"Current ({cur_label})",
        "prev_text": f"Previous ({prev_label})", "diff_text": "Difference",
        "perc_text": "% change"}), width="stretch", height=260, hide_index=True)
    if role is not Role.ANALYST:
        st.caption("Both periods are disclosed for this view before anything is compared; "
                   "a suppressed value leaves that unit's change empty.")


def _named(frame: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Give H3 cells a ``name`` ("Cell 9a7f3 in Hollins"); areas keep their own names."""
    if "name" in frame.columns or not is_h3_column(pd.Series(frame.index.astype(str))):
        return frame
    return frame.assign(name=cell_labels(frame.index.astype(str), areas).to_numpy())
