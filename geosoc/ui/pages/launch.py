"""Launch presentation (FB8): a clean, public-safe view for a multi-agency audience.

Always disclosed for the public role whoever is signed in: wards or H3 resolution 7 at most,
counts under 10 suppressed and the rest rounded to 5 (ONS 10-5 rule), quarters, no points.
"""

from __future__ import annotations

import folium
import streamlit as st

from geosoc import maps
from geosoc.disclosure.rules import PROTECTIVE_MARKING, Role
from geosoc.maps.legend import ZERO_COLOUR, Legend
from geosoc.report.interactive_charts import period_bars
from geosoc.report.site_headline import HARM_IN_WORDS, site_share
from geosoc.schema import CRS_METRIC
from geosoc.ui import state
from geosoc.ui.caching import basemaps, studies, views
from geosoc.ui.feedback import require_events, require_study
from geosoc.ui.maps.mapview import show_legend, show_map
from geosoc.ui.panels import charts, contribution, partner_counts
from geosoc.ui.progress import ProgressBar
from geosoc.workspace import Workspace

ROLE = Role.PUBLIC
#: Fixed CSS (no data in it) for a room: no sidebar or toolbar, large type at 1920x1080.
PRESENTATION_CSS = (
    "<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
    "[data-testid='stToolbar'],header{display:none !important}"
    ".block-container{max-width:100% !important;padding-top:1.5rem !important}"
    "h1{font-size:3.2rem !important}h2,h3{font-size:2rem !important}"
    "[data-testid='stMarkdownContainer'] p,[data-testid='stCaptionContainer']"
    "{font-size:1.45rem !important;line-height:1.45 !important}"
    "[data-testid='stMetric'] [data-testid='stMetricValue'] p"
    "{font-size:3.2rem !important;line-height:1.2 !important;font-weight:600 !important}"
    "[data-testid='stMetric'] [data-testid='stMetricLabel'] p{font-size:1.3rem !important}"
    "</style>")
#: Metres of surroundings shown around the site when the launch opens.
SURROUNDINGS_M = 1200.0
PRESENT_KEY = "ln_present"

def words_legend(scale: maps.BinnedScale) -> Legend:
    """Return the harm legend in words (a room reads "most harm", not 241,191 - 368,665)."""
    ladder = ("Least harm", "Less harm", "Some harm", "More harm", "Most harm")
    n = len(scale.colours)  # at most 5 classes here: one word a class, least to most
    words = [ladder[round(i * (len(ladder) - 1) / max(1, n - 1))] for i in range(n)]
    return Legend("Harm in each ward (weighted by seriousness)",
                  (("No harm recorded", ZERO_COLOUR), *zip(words, scale.colours, strict=True)))


def _focus() -> tuple[float, float, float, float] | None:
    """Return the site and its surroundings (EPSG:4326 bounds); None: the whole area."""
    if study.site.empty:
        return None
    around = study.site.to_crs(CRS_METRIC).buffer(SURROUNDINGS_M).to_crs("EPSG:4326")
    return tuple(float(v) for v in around.total_bounds)


study = require_study(views=True)  # no point read: areas, assets and site only
key = studies.study_key()
filters = state.filters()
site_name = study.site.index[0] if len(study.site) else None

presenting = bool(st.session_state.get(PRESENT_KEY))
place = study.name.split(" (")[0]


def presentation_switch() -> None:
    """Draw the one operator control left in presentation mode (at the foot of the page)."""
    st.toggle("Presentation mode (hides every control and the sidebar; switch off here to "
              "get them back)", key=PRESENT_KEY)


top = st.columns([4, 1])
if presenting:
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
else:
    with top[0]:
        presentation_switch()
top[1].markdown(f"<div style='text-align:right;font-weight:600'>{PROTECTIVE_MARKING[ROLE]}</div>",
                unsafe_allow_html=True)
st.title(f"{maps.safe_text(site_name) if site_name else place}: Clear, Hold, Build")

require_events(filters)
geography = "Wards" if presenting else st.radio(
    "Show harm by", ("Wards", "H3 hexagons (~5 km²)"), horizontal=True, key="ln_geography")
wards = studies.area_layer(key, filters, "ward", ROLE.value)
share = (site_share(wards, study.site.geometry.iloc[0], site_name=str(site_name), place=place)
         if site_name is not None else None)
sentence = share.sentence() if share is not None else None
if sentence:
    st.markdown(f"### {maps.safe_text(sentence)}")
st.markdown(maps.safe_text(HARM_IN_WORDS))
st.caption(f"{place} · figures rounded to the nearest 5; counts under 10 are not shown.")
frame = wards if geography == "Wards" else studies.cell_layer(key, filters, 7, ROLE.value, False)
trend = studies.monthly(key, filters, ROLE.value)

events, _ = studies.headline(key, filters, ROLE.value)
figures = st.columns(3)
figures[0].metric("Recorded crimes and incidents",
                  f"{events:,.0f}" if events is not None else "fewer than 10")
if share is not None and share.harm_share is not None:
    figures[1].metric(f"Share of {place}'s harm in the site",
                      ("up to " if share.bound else "") + f"{share.harm_share:.0%}")
figures[2].metric("Community assets mapped", f"{len(study.assets):,}")

map_col, legend_col = st.columns([5, 1])
with map_col:
    m = basemaps.base_map(boundaries=study.areas["ward"], fullscreen=True, bounds=_focus())
    scale = maps.quantile_scale(frame["harm"].fillna(0), classes=5)
    tooltip = {"name": "Ward", "harm": "Harm score"} if "name" in frame.columns else {
        "harm": "Harm score"}
    if "count_per_1000" in frame.columns:  # from the rounded counts
        tooltip["count_per_1000"] = "Events per 1,000 residents"
    maps.value_layer(basemaps.display_areas(frame.fillna({"harm": 0})), "harm", scale, name="Harm",
                     tooltip=tooltip).add_to(m)
    colours = maps.category_colours(study.assets["category"])
    for group in maps.asset_layers(study.assets, colours):
        group.add_to(m)
    maps.site_layer(study.site).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)  # a layer list, folded: the map stays clear
    show_map(m, key="launch_map", height=760 if presenting else 620, layer_control=False,
             content_key=(key, filters, geography, ROLE.value, presenting,
                          views.frame_digest(study.assets)))
with legend_col:
    show_legend(words_legend(scale))
    show_legend(maps.category_legend("Community assets", colours))

st.subheader("Recorded events by quarter")
charts.show_chart(period_bars(trend, note="rounded to 5"), key="chart_launch_trend",
                        alt="Recorded events per quarter, rounded to 5")
st.caption("Hover a bar for its value; quarters with fewer than 10 events are not shown.")

partner_counts.render_launch(study, tuple(filters.months))

contribution.render(key, filters, ROLE)

if presenting:
    presentation_switch()
    st.stop()
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
