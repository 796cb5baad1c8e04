"""Locality profile (CHB foundation block FB4): where harm concentrates, by every agency."""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import Role, rules_for
from geosoc.harm import harm_unit
from geosoc.hotspots.concentration import concentration_summary, lorenz_curve
from geosoc.maps.deck_cells import DECK_CELL_LIMIT
from geosoc.ui import cache, cell_deck, state
from geosoc.ui.feedback import require_events, require_study
from geosoc.ui.mapview import show_legend, show_map

GEOGRAPHIES = {"H3 hexagons": "h3", "Wards": "ward", "LSOAs": "lsoa",
               "Postcode sectors": "postcode_sector"}
LAYERS = ("Harm or count", "Gi* hot spots", "Emerging hot spots")

role = state.view_role()
rules = rules_for(role)
key = cache.study_key()
study = require_study()
filters = state.filters()
require_events(filters)

st.title("Locality profile")
st.caption("Police and partner data overlaid so the totality of harm is seen (FB4). "
           "Harm is the Cambridge Crime Harm Index: days of imprisonment equivalent.")

controls = st.columns([2, 2, 1, 2])
allowed = [g for g, kind in GEOGRAPHIES.items() if kind == "h3" or kind in rules.area_kinds]
geography = controls[0].radio("Geography", allowed, horizontal=True, key="pf_geography")
finest = rules.finest_h3_resolution
resolutions = [r for r in (7, 8, 9, 10) if r <= finest] or [7]
resolution = controls[1].select_slider("H3 resolution", resolutions,
                                       value=min(cache.settings().resolution, resolutions[-1]),
                                       key="pf_resolution",
                                       disabled=GEOGRAPHIES[geography] != "h3",
                                       help="7 ≈ 5 km², 8 ≈ 0.7 km², 9 ≈ 0.1 km², "
                                            "10 ≈ 0.015 km² per cell")
measure = controls[2].radio("Measure", ("harm", "count"), key="pf_measure")
layer_kind = controls[3].radio("Layer", LAYERS if GEOGRAPHIES[geography] == "h3" else LAYERS[:2],
                               key="pf_layer")
shown_sources = st.multiselect(
    "Layers on the map", study.map_layers, default=study.map_layers, key="pf_sources",
    help="Toggle each agency's contribution. 'police activity' is drugs and weapons "
         "possession, which rise when police go looking (kept apart from police harm).")

kind = GEOGRAPHIES[geography]
with st.spinner("Aggregating harm…"):
    if kind == "h3":
        frame = cache.cell_layer(key, filters, int(resolution), role.value)
    else:
        frame = cache.area_layer(key, filters, kind, role.value)
columns = [f"{measure}__{s}" for s in shown_sources if f"{measure}__{s}" in frame.columns]
value = frame[columns].sum(axis=1, min_count=1) if columns else frame[measure] * 0
frame = frame.assign(shown=value)
# a layer of only council ASB is not CCHI days: say what the shown layers are in
label = f"Harm ({harm_unit([], shown_sources)})" if measure == "harm" else "Events"

totals = st.columns(4)
events, harm = cache.headline(key, filters, role.value)
totals[0].metric("Events", "suppressed" if events is None else f"{events:,.0f}")
totals[1].metric("Harm (days)", "suppressed" if harm is None else f"{harm:,.0f}")
summary = concentration_summary(frame["shown"].fillna(0).to_numpy(),
                                unit="cells" if kind == "h3" else "areas")
totals[2].metric("Units holding half the harm", f"{summary.units_needed:,}",
                 help=summary.sentence())
totals[3].metric("Share in top 5% of units", f"{summary.top5_share_of_harm:.0%}")

map_col, legend_col = st.columns([4, 1])
with map_col:
    drawn = (key, filters, role.value, geography, int(resolution), measure, layer_kind,
             tuple(shown_sources))  # everything the map shows: it is drawn once per view
    if kind == "h3" and len(frame) > DECK_CELL_LIMIT:
        legend = cell_deck.show(frame, layer_kind, label=label, study=study, content_key=drawn,
                                emerging=lambda: cache.emerging_layer(key, filters,
                                                                      int(resolution),
                                                                      role.value))
    else:
        m = cache.base_map(boundaries=study.areas["ward"])
        tooltip = {"shown": label, "count": "Events", "harm": "Harm (days)"}
        if "name" in frame.columns:
            tooltip = {"name": "Area", **tooltip}
        if layer_kind == LAYERS[1] and "hotspot_bin" in frame.columns:
            layer = maps.class_layer(frame, "hotspot_bin", maps.legend.HOTSPOT_COLOURS,
                                     name="Gi* hot spots", tooltip={**tooltip, "gi_z": "Gi* z"})
            legend = maps.hotspot_legend()
        elif layer_kind == LAYERS[2]:
            with st.spinner("Emerging hot spot analysis (quarterly)…"):
                emerging = cache.emerging_layer(key, filters, int(resolution), role.value)
            frame = frame.join(emerging, how="left")
            frame["emerging_class"] = frame["emerging_class"].fillna("No Pattern Detected")
            layer = maps.class_layer(frame, "emerging_class", maps.legend.EMERGING_COLOURS,
                                     name="Emerging hot spots",
                                     tooltip={"emerging_class": "Class", **tooltip})
            legend = maps.emerging_legend(sorted(frame["emerging_class"].unique()))
        else:
            scale = maps.quantile_scale(frame["shown"].fillna(0))
            layer = maps.value_layer(frame, "shown", scale, name=label, tooltip=tooltip)
            legend = scale.legend(label)
        # The base map (boundaries, site) stays the same, so the browser keeps it and only
        # swaps this layer when a control changes (feature_group_to_add): no Leaflet reload.
        group = folium.FeatureGroup(name=label)
        layer.add_to(group)
        maps.site_layer(study.site).add_to(m)
        show_map(m, key="profile_map", height=600, feature_group=group, content_key=drawn)
    if role is not Role.ANALYST:
        st.caption(f"Shown for the {role.value} view: counts below {rules.min_count} "
                   "suppressed" + (", rounded to 5" if rules.rounding_base > 1 else "") + ".")
with legend_col:
    show_legend(legend)

left, right = st.columns(2)
with left:
    st.subheader("Concentration")
    curve = cell_deck.chart_points(lorenz_curve(frame["shown"].fillna(0).to_numpy()))
    st.line_chart(curve.set_index("share_of_units")["share_of_harm"], height=260,
                  x_label=f"Share of {'cells' if kind == 'h3' else 'areas'} (least to most)",
                  y_label=f"Share of {measure}")
    st.caption(summary.sentence())
with right:
    st.subheader("Top areas")
    top = frame.drop(columns="geometry").sort_values("shown", ascending=False).head(10)
    keep = [c for c in ("name", "count", "harm", "shown", "hotspot_bin") if c in top.columns]
    st.dataframe(pd.DataFrame(top[keep]).rename(columns={"shown": label}),
                 width="stretch")

st.subheader("Monthly trend by source")
trend = cache.monthly(key, filters, role.value, by="source")
period = "quarter" if "quarter" in trend.columns else "month"
wide = trend.assign(**{period: trend[period].astype(str)}).pivot_table(
    index=period, columns="source", values=measure, aggfunc="sum")
st.line_chart(wide, height=280)
