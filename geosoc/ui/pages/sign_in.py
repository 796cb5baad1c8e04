"""Sign in with a workspace account, or explore the fictional demo town."""

from __future__ import annotations

import streamlit as st

from geosoc.disclosure.rules import as_role
from geosoc.errors import GeosocError
from geosoc.ui import state
from geosoc.ui.caching import studies
from geosoc.ui.feedback import show_error

st.title("geosoc · Clear, Hold, Build")
st.write("Harm hotspots, community assets, site selection and displacement tracking for "
         "police analysts, coordinators and partners.")

left, right = st.columns(2, gap="large")
with left, st.form("sign_in"):
    st.subheader("Sign in")
    workspace = st.text_input("Workspace", value=str(studies.default_workspace()),
                              help="The workspace file (.sqlite) your team uses.")
    username = st.text_input("User name")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    try:
        user = studies.authenticate(workspace, username, password)
    except GeosocError as error:
        show_error(error)
    else:
        state.sign_in(state.SessionUser(user.username, as_role(user.role), demo=False,
                                        workspace=workspace))
        st.rerun()

with right:
    st.subheader("Demo mode")
    st.write("Explore **Demoford**, a fictional town generated with known hotspots, a CHB "
             "site and injected displacement. No real data; nothing is saved.")
    if st.button("Explore the demo town", key="demo_mode"):
        state.sign_in(state.SessionUser("demo", as_role("analyst"), demo=True))
        st.rerun()
