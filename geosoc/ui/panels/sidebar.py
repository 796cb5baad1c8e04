"""The shared sidebar: study shown, date range, categories, sources, role shown, sign-out.

It is drawn by ``app.py`` on every page, so its widgets (fixed keys) keep their values as the
user moves between pages; the chosen values are stored with :func:`geosoc.ui.state.set_filters`.
"""

from __future__ import annotations

import streamlit as st

from geosoc.disclosure.rules import PROTECTIVE_MARKING
from geosoc.errors import GeosocError
from geosoc.report.table_labels import source_label
from geosoc.ui import state
from geosoc.ui.caching import studies


def render(user: state.SessionUser) -> None:
    """Draw the sidebar for ``user`` and store the filters it sets."""
    with st.sidebar:
        if user.demo:
            st.info("**DEMO MODE** — a fictional town (Demoford). No real data is shown "
                    "and nothing you do is saved to a real workspace.", icon=":material/science:")
        st.caption(f"Signed in as **{user.username}** ({user.role.value})")
        roles = [r.value for r in state.VIEWABLE_ROLES[user.role]]
        if len(roles) > 1:
            st.radio("Show the view of", roles, key=state.VIEW_ROLE_KEY, horizontal=True,
                     help="Preview what partners or a public audience would be shown: "
                          "small counts suppressed, coarser areas, no point data.")
        role = state.view_role()
        st.caption(f"Protective marking: **{PROTECTIVE_MARKING[role]}**")
        try:
            study = studies.current_view_study()  # the stored cubes when they serve it
        except GeosocError:
            st.caption("No study loaded yet (see the Data page).")
            _sign_out_button()
            return
        st.caption(f"Study: **{study.name}**")
        months = study.months
        if len(months) > 1:
            first, last = st.select_slider("Months", options=months,
                                           value=(months[0], months[-1]), key="sb_months")
        else:
            first = last = months[0] if months else ""
        categories = st.multiselect("Categories", study.categories, key="sb_categories",
                                    placeholder="All categories")
        sources = st.multiselect("Sources", study.sources, key="sb_sources",
                                 placeholder="All sources", format_func=source_label)
        state.set_filters(state.Filters(
            months=(first, last) if months else (), categories=tuple(categories),
            sources=tuple(sources)))
        _sign_out_button()


def _sign_out_button() -> None:
    if st.button("Sign out", key="sb_sign_out"):
        state.sign_out()
        st.rerun()
