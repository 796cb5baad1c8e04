"""geosoc Streamlit app: page config, sign-in gate, shared sidebar, navigation over page files.

Run with ``streamlit run app.py`` (``make app``). Pages live in ``geosoc/ui/pages/``; all
analysis happens in the geosoc library.
"""

from __future__ import annotations

import streamlit as st

from geosoc.access import Role
from geosoc.ui import cache, sidebar, state

st.set_page_config(page_title="geosoc · Clear, Hold, Build", page_icon=":material/map:", layout="wide")
cache.start_hotspot_warm_up()

PAGES = "geosoc/ui/pages"
user = state.current_user()
if user is None:
    page = st.navigation([st.Page(f"{PAGES}/sign_in.py", title="Sign in", icon=":material/login:")])
else:
    sidebar.render(user)
    analysis = [
        st.Page(f"{PAGES}/profile.py", title="Locality profile", icon=":material/local_fire_department:", default=True),
        st.Page(f"{PAGES}/sites.py", title="Sites", icon=":material/location_on:"),
        st.Page(f"{PAGES}/phases.py", title="Phases & displacement", icon=":material/timeline:"),
    ]
    partners = [st.Page(f"{PAGES}/assets.py", title="Community assets", icon=":material/diversity_3:")]
    present = [st.Page(f"{PAGES}/launch.py", title="Launch presentation", icon=":material/co_present:")]
    admin = [st.Page(f"{PAGES}/data.py", title="Data", icon=":material/folder_open:")]
    if user.role is Role.ANALYST:
        admin.append(st.Page(f"{PAGES}/audit.py", title="Audit", icon=":material/fact_check:"))
    sections = {"Analysis": analysis, "Partners": partners, "Present": present}
    if user.role is Role.ANALYST:
        sections["Manage"] = admin
    if user.role is Role.PUBLIC:
        sections = {"Present": present}
    page = st.navigation(sections)
page.run()
