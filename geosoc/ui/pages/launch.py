"""Launch presentation (FB8): a clean, public-safe view for a multi-agency audience.

Always disclosed for the public role whoever is signed in: wards or H3 resolution 7 at most,
counts under 10 suppressed and the rest rounded to 5 (ONS 10-5 rule), quarters, no points.
"""

from __future__ import annotations

import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import PROTECTIVE_MARKING, Role
from geosoc.report.interactive_charts import period_bars
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies, views
from geosoc.ui.feedback import require_events, require_study
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels import charts, contribution, partner_counts
from geosoc.ui.progress import ProgressBar
from geosoc.workspace import Workspace

ROLE = Role.PUBLIC
#: Fixed CSS (no data in it) that hides the sidebar and toolbar for a room full of partners.
PRESENTATION_CSS = ("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
                    "[data-testid='stToolbar'],header{display:none !important}</style>")

study = require_study(views=True)  # no point read: areas, assets and site only
key = studies.study_key()
filters = state.filters()
site_name = study.site.index[0] if len(study.site) else None

top = st.columns([4, 1])
if top[0].toggle("Presentation mode (hide the sidebar; switch off to get it back)",
                 key="ln_present"):
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
top[1].markdown(f"<div style='text-align:right;font-weight:600'>{PROTECTIVE_MARKING[ROLE]}</div>",
                unsafe_allow_html=True)
st.title(f"{maps.safe_text(site_name) if site_name else study.name}: locality profile")
st.caption(f"{study.name} · Clear, Hold, Build · figures rounded to the nearest 5; "
           "counts under 10 are not shown.")

require_events(filters)
geography = st.radio("Show harm by", ("Wards", "H3 hexagons (~5 km²)"), horizontal=True,
                     key="ln_geography")
if geography == "Wards":
    frame = studies.area_layer(key, filters, "ward", ROLE.value)
else:
    frame = studies.cell_layer(key, filters, 7, ROLE.value, False)
trend = studies.monthly(key, filters, ROLE.value)

events, harm = studies.headline(key, filters, ROLE.value)
figures = st.columns(3)
figures[0].metric("Recorded events", f"{events:,.0f}" if events is not None else "fewer than 10")
figures[1].metric("Harm (days of imprisonment equivalent)",
                  f"{harm:,.0f}" if harm is not None else "not shown")
figures[2].metric("Community assets mapped", f"{len(study.assets):,}")

map_col, legend_col = st.columns([5, 1])
with map_col:
    m = basemaps.base_map(boundaries=study.areas["ward"], fullscreen=True)
    scale = maps.quantile_scale(frame["harm"].fillna(0), classes=5)
    tooltip = {"name": "Ward", "harm": "Harm (days)"} if "name" in frame.columns else {
        "harm": "Harm (days)"}
    if "count_per_1000" in frame.columns:  # from the rounded counts
        tooltip["count_per_1000"] = "Events per 1,000 residents"
    maps.value_layer(basemaps.display_areas(frame.fillna({"harm": 0})), "harm", scale, name="Harm",
                     tooltip=tooltip).add_to(m)
    colours = maps.category_colours(study.assets["category"])
    for group in maps.asset_layers(study.assets, colours):
        group.add_to(m)
    maps.site_layer(study.site).add_to(m)
    show_map(m, key="launch_map", height=620,
             content_key=(key, filters, geography, ROLE.value,
                          views.frame_digest(study.assets)))
with legend_col:
    show_legend(scale.legend("Harm (days)"))
    show_legend(maps.category_legend("Community assets", colours))

st.subheader("Recorded events by quarter")
charts.show_chart(period_bars(trend, note="rounded to 5"), key="chart_launch_trend",
                        alt="Recorded events per quarter, rounded to 5")
st.caption("Hover a bar for its value; quarters with fewer than 10 events are not shown.")

partner_counts.render_launch(study, tuple(filters.months))

contribution.render(key, filters, ROLE)

st.subheader("Take it with you")
if st.toggle("Prepare the launch pack (standalone HTML, opens offline)", key="ln_pack"):
    with ProgressBar("Building the public-safe launch pack…") as bar:
        html = views.launch_report(key, filters, ROLE.value, bar)
    user = state.current_user()
    if user is not None and st.download_button(
            "Download the launch pack", html, file_name="launch-pack.html",
            mime="text/html", key="ln_download"):
        with Workspace.open(studies.workspace_path(user)) as ws:
            ws.record(who=user.username, role=user.role.value, action="export.launch_pack",
                      target="export:launch-pack.html", purpose="multi-agency launch (FB8)",
                      details={"role": ROLE.value})
