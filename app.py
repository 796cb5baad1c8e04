"""geosoc Streamlit app: page config, sign-in gate, shared sidebar, navigation over page files.

Run with ``streamlit run app.py`` (``make app``). Pages live in ``geosoc/ui/pages/``; all
analysis happens in the geosoc library.
"""

from __future__ import annotations

import streamlit as st

from geosoc.access import Role
from geosoc.ui import cache, sidebar, state

# No page_icon: a Material icon favicon is fetched from fonts.gstatic.com (fails offline).
st.set_page_config(page_title="geosoc · Clear, Hold, Build", layout="wide")
cache.start_hotspot_warm_up()

PAGES = "geosoc/ui/pages"


def page(name: str, title: str, icon: str, **kwargs: bool) -> st.Page:
    """Return the navigation entry of ``geosoc/ui/pages/<name>.py``."""
    return st.Page(f"{PAGES}/{name}.py", title=title, icon=f":material/{icon}:", **kwargs)


user = state.current_user()
if user is None:
    navigation = st.navigation([page("sign_in", "Sign in", "login")])
else:
    sidebar.render(user)
    present = [page("launch", "Launch presentation", "co_present")]
    sections = {
        "Analysis": [
            page("profile", "Locality profile", "local_fire_department", default=True),
            page("sites", "Sites", "location_on"),
            page("phases", "Phases & displacement", "timeline"),
        ],
        "Partners": [page("assets", "Community assets", "diversity_3")],
        "Present": present,
    }
    if user.role is Role.ANALYST:
        sections["Manage"] = [page("data", "Data", "folder_open"),
                              page("audit", "Audit", "fact_check")]
    if user.role is Role.PUBLIC:
        sections = {"Present": present}
    navigation = st.navigation(sections)
navigation.run()
