"""Show library errors to the user: the summary, every problem, and how to fix each."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geosoc.errors import GeosocError
from geosoc.ui import state
from geosoc.ui.caching import studies, views
from geosoc.ui.panels.tables import show_table
from geosoc.ui.study import Study


def show_problems(error: GeosocError) -> None:
    """Render the problems of a :class:`GeosocError` as a table (file, row, column, fix)."""
    if error.problems:
        table = pd.DataFrame([p.to_dict() for p in error.problems]).dropna(axis=1, how="all")
        show_table(table)


def show_error(error: GeosocError) -> None:
    """Render a :class:`GeosocError` as ``st.error`` with a table of its problems."""
    st.error(f"**{error.summary}**", icon=":material/error:")
    show_problems(error)


def require_study(*, views: bool = False) -> Study:
    """Return the session's study, or explain what is missing and stop the page.

    ``views``: the study of the H3 views (:func:`geosoc.ui.caching.studies.current_view_study`: the
    stored cubes' rows when they serve it), for a page that reads no point.
    """
    try:
        return studies.current_view_study() if views else studies.current_study()
    except GeosocError as error:
        show_error(error)
        st.info("An analyst adds police data and ward boundaries on the Data page.")
        st.stop()
        raise  # st.stop() raises; this line only tells type checkers the function ends


def require_events(filters: state.Filters) -> None:
    """Stop the page with a hint when the sidebar filters leave no events to show."""
    if views.event_count(filters) == 0:
        st.info("No recorded events match the sidebar filters: widen the months, categories "
                "or sources.")
        st.stop()
