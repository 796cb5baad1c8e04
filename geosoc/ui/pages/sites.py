"""Sites: rank candidate CHB sites with transparent weights, compare them, draw or upload one."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import folium
import pandas as pd
import shapely
import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import Role, require_point_access
from geosoc.errors import GeosocError
from geosoc.ingest.boundaries import read_boundaries
from geosoc.report.interactive_charts import candidates_chart
from geosoc.report.table_labels import display_table, side_by_side
from geosoc.sites.candidates import compare_candidates, score_site
from geosoc.sites.weights import COMPONENTS, DEFAULT_WEIGHTS
from geosoc.ui import state
from geosoc.ui.caching import basemaps, points, studies, views
from geosoc.ui.feedback import require_study, show_error
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels import charts, partner_counts
from geosoc.workspace import Workspace

SCALES = {"Wards": "ward", "Postcode sectors": "sector", "H3 regions (~1 km²)": "h3"}

role = state.view_role()
user = state.current_user()
st.title("Sites")
if role is not Role.ANALYST:
    st.info("Site selection uses point-level data and is for analysts. Switch the sidebar "
            "view back to analyst (if you are one) to rank sites.")
    st.stop()
require_point_access(role, "site ranking")
key = studies.study_key()
study = require_study()
filters = state.filters()

with st.expander("Score weights (0 switches a component off)", expanded=False):
    cols = st.columns(4)
    weights = {}
    names = [*COMPONENTS, "partner_harm"]
    for i, name in enumerate(names):
        label = COMPONENTS.get(name, ("partner harm (each source)", ""))[0]
        weights[name] = cols[i % 4].slider(label, 0.0, 2.0, float(getattr(DEFAULT_WEIGHTS, name)),
                                           0.05, key=f"w_{name}")
scale_label = st.radio("Candidates", list(SCALES), horizontal=True, key="site_scale")
scale = SCALES[scale_label]
try:
    with st.spinner("Ranking candidate sites…"):
        ranked = points.ranked_sites(key, filters, scale, tuple(sorted(weights.items())),
                                    partner_counts.treatment_choice(study))
except GeosocError as error:
    show_error(error)
    st.stop()

top_n = min(10, len(ranked))
map_col, table_col = st.columns([3, 2])
with table_col:
    st.subheader("Ranking")
    st.dataframe(display_table(ranked.head(25), {"rank": None, "name": "Candidate",
                                                 "score": None, "area_km2": None,
                                                 "police_harm": None, "hotspot": None,
                                                 "population": None,
                                                 "police_count_per_1000": None,
                                                 "small_population": None}),
                 hide_index=True, width="stretch", height=420)
with map_col:
    scale_colours = maps.quantile_scale(ranked["score"].clip(lower=0), classes=5)
    m = basemaps.base_map(boundaries=study.areas["ward"])
    maps.site_layer(study.site).add_to(m)
    maps.draw_control().add_to(m)
    scores = folium.FeatureGroup(name="Site score")  # swapped in when the ranking changes
    maps.value_layer(basemaps.display_areas(ranked), "score", scale_colours, name="Site score",
                     tooltip={"name": "Candidate", "rank": "Rank", "score": "Score"}
                     if "name" in ranked.columns else {"rank": "Rank", "score": "Score"}
                     ).add_to(scores)
    drawn = show_map(m, key="sites_map", height=480, returned_objects=["all_drawings"],
                     feature_group=scores,
                     content_key=(key, filters, scale, tuple(sorted(weights.items()))),
                     base_key=(key, views.frame_digest(study.site)))
    st.caption("Draw a polygon or rectangle (toolbar, top left) to score your own site.")
show_legend(scale_colours.legend("Score", decimals=2), columns=3)
partner_counts.render_sites(ranked)

st.subheader("Compare candidates")
candidate_names = (ranked["name"].astype(str) if "name" in ranked.columns
                   else pd.Series(ranked.index.astype(str), index=ranked.index))
choice = st.multiselect("Pick 2 to 4 candidates", list(ranked.index),
                        default=list(ranked.index[:min(2, top_n)]), max_selections=4,
                        format_func=lambda code: candidate_names.get(code, str(code)),
                        key="site_compare")
if len(choice) >= 2:
    try:
        comparison = views.memo(  # everything ranked depends on, and the choice
            ("compare", key, filters, scale, tuple(sorted(weights.items())),
             partner_counts.treatment_choice(study), tuple(choice)),
            lambda: compare_candidates(ranked, choice, studies.filtered(filters)))
    except GeosocError as error:
        show_error(error)
    else:
        st.dataframe(side_by_side(comparison.table, candidate_names), width="stretch")
        if not comparison.monthly.empty:
            monthly = comparison.monthly.rename(columns=lambda c: candidate_names.get(c, c))
            charts.show_chart(candidates_chart(monthly), key="chart_candidates",
                              alt="Monthly police harm of the candidates compared")

st.subheader("Your own site")
upload = st.file_uploader("…or upload a boundary (GeoJSON, GeoPackage or zipped shapefile)",
                          type=["geojson", "json", "gpkg", "zip"], key="site_upload")
geometry = None
features = [d.get("geometry") for d in (drawn.get("all_drawings") or []) if d]
if features:
    geometry = shapely.union_all([shapely.geometry.shape(f) for f in features])
elif upload is not None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            geometry = read_boundaries(path, kind="site").data.union_all()
        except GeosocError as error:
            show_error(error)
if geometry is not None:
    try:
        scored = score_site(geometry, ranked, studies.filtered(filters),
                            imd=study.imd, lsoas=study.areas.get("lsoa"), assets=study.assets)
    except GeosocError as error:
        show_error(error)
    else:
        row = scored.iloc[0]
        st.metric("Score", f"{row['score']:.3f}",
                  help="Scored exactly as the candidates above, same weights")
        st.write(f"It would rank **{int(row['would_rank'])}** of {len(ranked) + 1}.")
        with st.form("save_site"):
            name = st.text_input("Site name", max_chars=80)
            reason = st.text_area("Why this site", max_chars=2000)
            if st.form_submit_button("Save site") and user is not None:
                try:
                    with Workspace.open(studies.workspace_path(user)) as ws:
                        ws.sites.add(name, geometry, reason=reason, chosen_by=user.username,
                                     chosen_on=date.today(), score={"score": float(row["score"])},
                                     user=user.username, role=user.role.value)
                except GeosocError as error:
                    show_error(error)
                else:
                    st.success(f"Saved site '{name}'" + (" (demo workspace)" if user.demo else ""))
