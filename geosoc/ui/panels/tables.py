"""Every table on a page, shown through the library's one reader-facing formatter.

:func:`show_table` passes a frame through :func:`geosoc.report.table_labels.display_table`
with the study's area names and wards, so a page cannot show an H3 id, a code without its
name, a long float or ``nan``/``None`` by calling ``st.dataframe`` on a raw result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from geosoc.report.table_labels import display_table
from geosoc.ui.study import Study


def show_table(frame: pd.DataFrame, columns: Sequence[str] | Mapping[str, str] | None = None,
               *, study: Study | None = None, unit: str = "days, CCHI",
               index: str | None = None, target: object = st, drop_repeats: bool = True,
               **options: object) -> None:
    """Show ``frame`` as a person reads it (headings in words, names for codes).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any result table; not modified.
    columns : sequence or mapping, optional
        Columns to show (and headings), as :func:`display_table` takes them; default all.
    study : Study, optional
        Gives area names for code columns and wards for naming H3 cells.
    unit : str
        Harm unit for headings.
    index : str, optional
        Keep the index as a first column under this key.
    target : Streamlit container
        Where to draw (``st``, a column, an expander).
    **options
        Passed to ``st.dataframe`` (``height``...).
    """
    names = study.area_names if study is not None else None
    wards = study.areas.get("ward") if study is not None else None
    table = display_table(frame, columns, unit=unit, index=index, names=names, areas=wards,
                          drop_repeats=drop_repeats)
    options.setdefault("width", "stretch")
    target.dataframe(table, hide_index=True, **options)
