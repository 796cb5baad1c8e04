"""Charts and tables under the maps: interactive (Vega-Lite, offline), labelled in words.

The chart builders live in :mod:`geosoc.report.interactive_charts` and the table formatter in
:mod:`geosoc.report.table_labels` (no Streamlit there); this module only draws them. Every
frame passed in is already disclosed for the role shown (``geosoc.ui.caching.studies``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from geosoc.hotspots.concentration import ConcentrationSummary, lorenz_curve
from geosoc.phases.plan import PhasePlan
from geosoc.report import interactive_charts as charts
from geosoc.report.table_labels import cell_names, display_table, unit_text


def show_chart(chart: object, *, key: str, alt: str) -> None:
    """Draw an Altair chart at the container's width; ``alt`` says what it shows in words."""
    st.altair_chart(chart, width="stretch", key=key, alt=alt, theme=None)  # our own fonts


def concentration_panel(values: pd.Series, summary: ConcentrationSummary, *, units: str,
                        measure: str) -> None:
    """Draw the Lorenz curve of the mapped values, with the plain sentence under it."""
    st.subheader("How concentrated is it?")
    curve = lorenz_curve(values.fillna(0).to_numpy())
    show_chart(charts.lorenz_chart(curve, units=units,
                                   measure="harm" if measure == "harm" else "events"),
               key="chart_lorenz", alt=f"Lorenz curve of {measure} over {units}")
    st.caption(summary.sentence())


def top_units_panel(frame: gpd.GeoDataFrame, *, kind: str, unit: str, measure: str,
                    wards: gpd.GeoDataFrame | None, every_layer: bool = False,
                    rows: int = 10) -> None:
    """List the highest units of the map: named in words, codes as labels, columns once."""
    st.subheader("Highest-harm cells" if kind == "h3" else "Highest-harm areas")
    top = frame.sort_values("shown", ascending=False).head(rows)
    columns: dict[str, str | None] = {}
    if kind == "h3":
        top = top.assign(cell=cell_names(top, wards))
        columns["cell"] = None
    else:
        columns["name"] = "Ward" if kind == "ward" else "Area"
    columns.update({"count": None, "harm": None})
    if not every_layer:  # every layer shown: the same figure as harm (or events), once
        columns["shown"] = None if measure == "harm" else "Events in the layers shown"
    columns.update({"population": None, "count_per_1000": None, "small_population": None,
                    "hotspot_bin": None})
    table = display_table(top.drop(columns="geometry"), columns, unit=unit)
    st.dataframe(table, hide_index=True, width="stretch")
    what = "H3 cells" if kind == "h3" else "areas"
    most = "harm" if measure == "harm" else "events"
    st.caption(f"The {min(rows, len(frame))} {what} with the most {most} in the layers shown. "
               f"Harm in {unit_text(unit)}; a hot spot is judged by Gi* on the unit and its "
               "neighbours, with the false discovery rate controlled.")


def _set_months(chart_key: str, months_key: str, months: list[str]) -> None:
    """Chart callback: copy the brushed months into the sidebar's month slider."""
    state = st.session_state.get(chart_key)
    selection = state.selection.get(charts.BRUSH, {}) if state else {}
    chosen = charts.brushed_months(selection, months)
    if chosen is not None:
        st.session_state[months_key] = chosen


def trend_panel(trend: pd.DataFrame, *, measure: str, unit: str, layers: list[str],
                months_key: str | None = None, all_months: list[str] | None = None) -> None:
    """Draw one line per map layer chosen (police, partners, police activity), with a legend."""
    st.subheader("Trend by source")
    shown = [s for s in layers if s in set(trend["source"])]
    if not shown:
        st.info("Choose at least one layer above to see its trend.")
        return
    chart = charts.trend_by_source_chart(trend, measure=measure, unit=unit, sources=shown,
                                         brush=months_key is not None and "month" in trend)
    if months_key is None or "month" not in trend:
        show_chart(chart, key="chart_trend_by_source",
                   alt=f"{measure} over time, one line per source")
    else:  # drag across months to set the sidebar's month range for every page
        # a new key per month range: the chart comes back without the old brush drawn on it
        key = f"chart_trend_by_source_{trend['month'].min()}_{trend['month'].max()}"
        st.altair_chart(chart, width="stretch", key=key, theme=None,
                        alt=f"{measure} over time, one line per source",
                        on_select=lambda: _set_months(key, months_key, all_months),
                        selection_mode=charts.BRUSH)
    period = "quarter" if "quarter" in trend.columns else "month"
    st.caption(f"{'Harm' if measure == 'harm' else 'Events'} per {period} for each layer "
               "chosen on the map; hover over the chart for the values of that "
               f"{period}. Months from the sidebar"
               + (" (drag across the chart to choose months)"
                  if months_key and "month" in trend else "")
               + f". Harm in {unit_text(unit)}.")


def phase_panel(series: pd.DataFrame, plan: PhasePlan, *, measure: str, site: str,
                months: tuple[str, ...], last_month: str, ongoing: str | None) -> None:
    """Draw the site, its rings and the control month by month over the phase bands."""
    window = (months[0], months[-1]) if months else None
    chart = charts.phase_chart(series, plan, measure=measure, months=window,
                               last_month=pd.Period(last_month, freq="M"), ongoing=ongoing,
                               title=f"{site}: {'harm' if measure == 'harm' else 'events'} "
                                     "per month")
    show_chart(chart, key="chart_phases",
               alt=f"Monthly {measure} of the site, its rings and the control, by phase")
    shown = f"{window[0]} to {window[1]}" if window else "every month"
    running = f" {ongoing.capitalize()} is still running: drawn to the last month of data." \
        if ongoing else ""
    st.caption(f"Shaded bands are the phases; hover a point for its month, area and value. "
               f"Months shown: {shown} (the sidebar's range).{running}")
