"""Locality profile (CHB foundation block FB4): where harm concentrates, by every agency."""

from __future__ import annotations

import folium
import streamlit as st

from geosoc import maps
from geosoc.aggregate.rates import rate_per_1000
from geosoc.disclosure.rules import Role, rules_for
from geosoc.harm import harm_unit
from geosoc.hotspots.concentration import concentration_summary
from geosoc.maps.deck_cells import DECK_CELL_LIMIT
from geosoc.report.table_labels import short_unit, source_label
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies
from geosoc.ui.feedback import require_events, require_study
from geosoc.ui.maps import cell_deck
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels import charts, contribution, deprivation, partner_counts, time_sections

GEOGRAPHIES = {"H3 hexagons": "h3", "Wards": "ward", "LSOAs": "lsoa",
               "Postcode sectors": "postcode_sector"}
LAYERS = ("Harm or count", "Gi* hot spots", "Emerging hot spots")

role = state.view_role()
rules = rules_for(role)
key = studies.study_key()
study = require_study(views=True)  # the stored cubes when they serve it: no point read
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
                                       value=min(studies.settings().resolution, resolutions[-1]),
                                       key="pf_resolution",
                                       disabled=GEOGRAPHIES[geography] != "h3",
                                       help="7 ≈ 5 km², 8 ≈ 0.7 km², 9 ≈ 0.1 km², "
                                            "10 ≈ 0.015 km² per cell")
measure = controls[2].radio("Measure", ("harm", "count"), key="pf_measure")
layer_options = LAYERS if GEOGRAPHIES[geography] == "h3" else LAYERS[:2]
if deprivation.available(study):
    layer_options = (*layer_options, deprivation.LAYER)
layer_kind = controls[3].radio("Layer", layer_options, key="pf_layer")
shown_sources = st.multiselect(
    "Layers on the map", study.map_layers, default=study.map_layers, key="pf_sources",
    format_func=source_label,
    help="Toggle each agency's contribution. 'police activity' is drugs and weapons "
         "possession, which rise when police go looking (kept apart from police harm).")

kind = GEOGRAPHIES[geography]
with st.spinner("Aggregating harm…"):
    if kind == "h3":
        frame = studies.cell_layer(key, filters, int(resolution), role.value)
    else:
        frame = studies.area_layer(key, filters, kind, role.value)
columns = [f"{measure}__{s}" for s in shown_sources if f"{measure}__{s}" in frame.columns]
value = frame[columns].sum(axis=1, min_count=1) if columns else frame[measure] * 0
frame = frame.assign(shown=value)
# a layer of only council ASB is not CCHI days: say what the shown layers are in
unit = harm_unit(filters.categories or study.categories, shown_sources)  # ASB-only: not days
harm_label = f"Harm ({short_unit(unit)})"
label = harm_label if measure == "harm" else "Events"
if "population" in frame.columns and st.toggle(
        "Per 1,000 residents", key="pf_rates",
        help="ONS mid-year population; areas under 100 residents are flagged."):
    frame = frame.assign(shown=rate_per_1000(value, frame["population"]))
    label = f"{label} per 1,000 residents"

totals = st.columns(4)
events, harm = studies.headline(key, filters, role.value)
totals[0].metric("Events", "suppressed" if events is None else f"{events:,.0f}")
totals[1].metric(harm_label, "suppressed" if harm is None else f"{harm:,.0f}")
summary = concentration_summary(frame["shown"].fillna(0).to_numpy(),
                                unit="cells" if kind == "h3" else "areas")
totals[2].metric("Units holding half the harm", f"{summary.units_needed:,}",
                 help=summary.sentence())
totals[3].metric("Share in top 5% of units", f"{summary.top5_share_of_harm:.0%}")

map_col, legend_col = st.columns([4, 1])
with map_col:
    drawn = (key, filters, role.value, geography, int(resolution), measure, layer_kind,
             tuple(shown_sources), label, st.session_state.get("pf_imd_measure")
             )  # everything the map shows (rates, IMD domain too): drawn once per view
    if kind == "h3" and len(frame) > DECK_CELL_LIMIT:
        legend = cell_deck.show(frame, layer_kind, label=label, study=study, content_key=drawn,
                                emerging=lambda: studies.emerging_layer(key, filters,
                                                                      int(resolution),
                                                                      role.value))
    else:
        m = basemaps.base_map(boundaries=study.areas["ward"])
        tooltip = {"shown": label, "count": "Events", "harm": harm_label,
                   **({"count_per_1000": "Events per 1,000 residents", "population":
                       "Residents"} if "population" in frame.columns else {})}
        if "name" in frame.columns:
            tooltip = {"name": "Area", **tooltip}
        if layer_kind == deprivation.LAYER:
            layer, legend = deprivation.layer(study)
        elif layer_kind == LAYERS[1] and "hotspot_bin" in frame.columns:
            layer = maps.class_layer(frame, "hotspot_bin", maps.legend.HOTSPOT_COLOURS,
                                     name="Gi* hot spots", tooltip={**tooltip, "gi_z": "Gi* z"})
            legend = maps.hotspot_legend()
        elif layer_kind == LAYERS[2]:
            with st.spinner("Emerging hot spot analysis (quarterly)…"):
                emerging = studies.emerging_layer(key, filters, int(resolution), role.value)
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
    charts.concentration_panel(frame["shown"], summary, measure=measure,
                                     units="cells" if kind == "h3" else "areas")
with right:
    charts.top_units_panel(frame, kind=kind, unit=unit,
                                 measure=measure, wards=study.areas["ward"],
                                 every_layer=set(shown_sources) >= set(study.map_layers))

charts.trend_panel(studies.monthly(key, filters, role.value, by="source", layers=True),
                         measure=measure, unit=unit,
                         layers=list(shown_sources), months_key="sb_months",
                         all_months=study.months)

partner_counts.render_profile(study, role, tuple(filters.months), harm)

time_sections.render_time_sections(study, key=key, filters=filters, kind=kind,
                                 resolution=int(resolution), role=role, measure=measure,
                                 label=label, columns=columns or [measure], shapes=frame)

contribution.render(key, filters, role)
