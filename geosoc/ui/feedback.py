"""Show library errors to the user: the summary, every problem, and how to fix each."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geosoc.errors import GeosocError


def show_problems(error: GeosocError) -> None:
    """Render the problems of a :class:`GeosocError` as a table (file, row, column, fix)."""
    if error.problems:
        table = pd.DataFrame([p.to_dict() for p in error.problems]).dropna(axis=1, how="all")
        st.dataframe(table, hide_index=True, width="stretch")


def show_error(error: GeosocError) -> None:
    """Render a :class:`GeosocError` as ``st.error`` with a table of its problems."""
    st.error(f"**{error.summary}**", icon=":material/error:")
    show_problems(error)
