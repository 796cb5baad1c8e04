"""Interactive charts for the app (Altair / Vega-Lite): values on hover, legends in words.

Streamlit bundles Vega-Lite, so these charts draw offline. The HTML packs keep their static
SVG figures (:mod:`geosoc.report.figures`); both are drawn from the same disclosed frames
(``geosoc.disclosure``), so a chart never shows more than the table beside it.

Every builder takes frames and returns a new ``altair`` chart; none imports Streamlit. Months
are drawn at the first day of the month; a quarter at the first day of the quarter. Every
chart states its unit on the value axis and in its tooltip, and its legend names what each
colour is in words (:func:`geosoc.report.table_labels.source_label`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from geosoc.phases.plan import PhasePlan
from geosoc.report.phase_chart import PHASE_COLOURS, RING_COLOURS, zone_label
from geosoc.report.table_labels import short_unit, source_label
from geosoc.schema import COUNT, HARM, MONTH

#: Font sizes a projector can show (legend and axis text at least 13 px).
FONT = {"labelFontSize": 13, "titleFontSize": 14}
#: Time axis: a tick per month at most (never two labels for one month), month and year.
MONTH_AXIS = alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True,
                      tickCount={"interval": "month", "step": 1})
#: Name of the month-range selection a chart offers (:func:`trend_by_source_chart`).
BRUSH = "months"
#: Points drawn of a Lorenz curve (a curve over 100,000 cells is resampled to this many).
MAX_CURVE_POINTS = 201


def _configured(chart: alt.TopLevelMixin, *, columns: int = 3) -> alt.TopLevelMixin:
    """Readable legend and axis text; the legend below the chart, so long names fit."""
    return (chart.configure_legend(orient="bottom", columns=columns, symbolSize=140,
                                   labelLimit=360, **FONT)
            .configure_axis(gridColor="#e6e6e6", domainColor="#888888", **FONT)
            .configure_view(stroke=None).configure_title(fontSize=15, anchor="start"))


def brushed_months(selection: dict, months: Sequence[str]) -> tuple[str, str] | None:
    """Return the first and last of ``months`` inside a brushed time range, if any.

    Parameters
    ----------
    selection : dict
        What the chart sends back for :data:`BRUSH`: ``{"period": [start, end]}`` with
        epoch milliseconds (or date strings).
    months : sequence of str
        The months that may be chosen (``YYYY-MM``, in order).

    Returns
    -------
    tuple of str or None
        ``(first, last)`` of the months whose first day lies in the range; ``None`` when the
        range is empty or holds no month.
    """
    bounds = selection.get("period") if selection else None
    if not bounds or len(bounds) != 2 or not months:
        return None
    unit = "ms" if isinstance(bounds[0], int | float) else None
    lo, hi = sorted(pd.to_datetime(list(bounds), unit=unit))
    starts = pd.PeriodIndex(list(months), freq="M").to_timestamp(how="start")
    # a month counts when the brush covers most of it: its middle lies inside
    middles = starts + pd.Timedelta(days=15)
    inside = [m for m, mid in zip(months, middles, strict=True) if lo <= mid <= hi]
    return (inside[0], inside[-1]) if inside else None


def _field(name: str) -> str:
    """Escape a column name for a Vega-Lite field (dots and brackets are path syntax)."""
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace(
        "]", "\\]")


def _hover_rule(data: pd.DataFrame, *, x: alt.X, series: str, names: Sequence[str],
                value_title: str, first: Sequence[alt.Tooltip], groupby: Sequence[str]
                ) -> alt.Chart:
    """Draw a vertical rule at the month nearest the pointer; its tooltip lists every line.

    Hovering anywhere over the plot picks the nearest month (a Voronoi layer Vega-Lite
    adds for ``nearest``), so nobody has to aim at a 5-pixel point.
    """
    nearest = alt.selection_point(nearest=True, on="pointerover", fields=[groupby[0]],
                                  empty=False, clear="pointerout")
    tooltip = [*first, alt.Tooltip("measure:N", title="Value shown"),
               *(alt.Tooltip(f"{_field(n)}:Q", title=n, format=",.0f") for n in names)]
    data = data.assign(measure=value_title.replace(";", ","))  # ";" in data breaks the chart
    return (alt.Chart(data)
            .transform_pivot(series, value="value", groupby=[*groupby, "measure"])
            .mark_rule(color="#555555", strokeWidth=1.5)
            .encode(x=x, opacity=alt.when(nearest).then(alt.value(0.6)).otherwise(alt.value(0)),
                    tooltip=tooltip)
            .add_params(nearest))


def _start(period: pd.Series) -> pd.Series:
    """Period -> timestamp of its first day (what Vega-Lite's time axis reads)."""
    return period.dt.to_timestamp(how="start")


def _months(plan_months: tuple[str, str] | None) -> tuple[pd.Period, pd.Period] | None:
    if not plan_months:
        return None
    return tuple(pd.Period(m, freq="M") for m in plan_months)  # type: ignore[return-value]


def phase_bands(plan: PhasePlan, *, last_month: pd.Period | None = None,
                ongoing: str | None = None) -> pd.DataFrame:
    """Return one row per phase: ``phase`` (in words), ``start``, ``end`` (timestamps).

    ``end`` is the first day after the phase. The ``ongoing`` phase (the open last phase of
    a plan) runs to ``last_month``, the last month of data, and reads ``"Build (ongoing)"``.
    """
    rows = []
    for phase in plan.phases:
        end = phase.end
        label = phase.name.capitalize()
        if ongoing and phase.name == ongoing:
            end = max(end, last_month) if last_month is not None else end
            label += " (ongoing)"
        rows.append({"phase": label, "kind": phase.name.split(" ")[0],
                     "start": phase.start.to_timestamp(how="start"),
                     "end": (end + 1).to_timestamp(how="start"),
                     "months": f"{phase.start} to {end}" + (" and running" if ongoing
                                                            and phase.name == ongoing else "")})
    return pd.DataFrame(rows)


def phase_chart(series: pd.DataFrame, plan: PhasePlan, *, measure: str = COUNT,
                unit: str = "days, CCHI", months: tuple[str, str] | None = None,
                last_month: pd.Period | None = None, ongoing: str | None = None,
                title: str | None = None, height: int = 320) -> alt.TopLevelMixin:
    """Monthly ``measure`` of the site, its rings and the control, over shaded phase bands.

    Parameters
    ----------
    series : pandas.DataFrame
        Tidy ``month`` (Period[M]), ``zone``, ``count``, ``harm``
        (:func:`geosoc.phases.change.monthly_series`); other columns are summed over.
    plan : PhasePlan
        The dated phases (bands).
    measure : {"count", "harm"}
        Value drawn: events per month, or harm per month in ``unit``.
    unit : str
        Unit of harm, for the axis and tooltips.
    months : tuple of str, optional
        ``(first, last)`` months to show (the sidebar's range); default every month.
    last_month : pandas.Period, optional
        Last month of data: the ``ongoing`` phase is drawn up to it.
    ongoing : str, optional
        Name of the phase still running (open-ended), e.g. ``"build"``.
    title : str, optional
        Chart title.
    height : int
        Height in pixels.

    Returns
    -------
    altair.LayerChart
        Bands coloured by phase (legend "Phase"), one line per zone (legend "Area"), and a
        tooltip on every month of every line: month, area, value with its unit, phase.
    """
    value_title = (f"Harm per month ({short_unit(unit)})" if measure == HARM
                   else "Events per month")
    wide = (series.groupby([MONTH, "zone"], observed=True, sort=False)[measure].sum()
            .reset_index())
    window = _months(months)
    if window is not None:
        wide = wide[(wide[MONTH] >= window[0]) & (wide[MONTH] <= window[1])]
    phase_of = plan.label(wide[MONTH]).fillna("outside the phases").astype(str)
    zones = list(dict.fromkeys(series["zone"].astype(str)))
    names = [zone_label(z) for z in zones]
    rings = [z for z in zones if z not in ("site", "control")]
    colours = ["#111111" if z == "site" else "#4d4d4d" if z == "control"
               else RING_COLOURS[rings.index(z) % len(RING_COLOURS)] for z in zones]
    data = pd.DataFrame({
        "month": _start(wide[MONTH]), "month_text": wide[MONTH].dt.strftime("%b %Y"),
        "area": wide["zone"].astype(str).map(zone_label), "value": wide[measure].astype(float),
        "phase": phase_of.str.capitalize().to_numpy(),
    })
    bands = phase_bands(plan, last_month=last_month, ongoing=ongoing)
    if window is not None:
        lo, hi = window[0].to_timestamp(how="start"), (window[1] + 1).to_timestamp(how="start")
        bands = bands[(bands["end"] > lo) & (bands["start"] < hi)].assign(
            start=lambda b: b["start"].clip(lower=lo), end=lambda b: b["end"].clip(upper=hi))
    band_colours = [PHASE_COLOURS.get(k, "#eeeeee") for k in bands["kind"]]
    x = alt.X("month:T", title="Month", axis=MONTH_AXIS)
    band_layer = alt.Chart(bands).mark_rect(opacity=0.75).encode(
        x=alt.X("start:T", title="Month"), x2="end:T",
        color=alt.Color("phase:N", title="Phase",
                        scale=alt.Scale(domain=list(bands["phase"]), range=band_colours)),
        tooltip=[alt.Tooltip("phase:N", title="Phase"),
                 alt.Tooltip("months:N", title="Months")])
    line_colour = alt.Color("area:N", title="Area",
                            scale=alt.Scale(domain=names, range=colours))
    dash = alt.StrokeDash("area:N", legend=None, scale=alt.Scale(
        domain=names, range=[[6, 4] if z == "control" else [1, 0] for z in zones]))
    lines = alt.Chart(data).mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(
        filled=True, size=40)).encode(
        x=x, y=alt.Y("value:Q", title=value_title), color=line_colour, strokeDash=dash)
    rule = _hover_rule(data, x=x, series="area", names=names, value_title=value_title,
                       first=[alt.Tooltip("month_text:N", title="Month"),
                              alt.Tooltip("phase:N", title="Phase")],
                       groupby=["month", "month_text", "phase"])
    chart = alt.layer(band_layer, lines, rule).resolve_scale(color="independent").properties(
        height=height, width="container", title=title or "")
    return _configured(chart, columns=1)  # the phase and area legends side by side


def trend_by_source_chart(trend: pd.DataFrame, *, measure: str = HARM,
                          unit: str = "days, CCHI", sources: Sequence[str] | None = None,
                          brush: bool = False, height: int = 300) -> alt.TopLevelMixin:
    """One line per source (or map layer) over months or quarters, with a legend in words.

    Parameters
    ----------
    trend : pandas.DataFrame
        Disclosed series with ``month`` or ``quarter`` (Period), ``source`` and ``measure``
        (:func:`geosoc.disclosure.tables.disclosed_series` with ``by="source"``); suppressed
        values are NaN and show as gaps.
    measure : {"harm", "count"}
        Value drawn.
    unit : str
        Unit of harm.
    sources : sequence of str, optional
        Sources kept (the layers chosen on the page); default all.
    brush : bool
        Let the user drag across months: an interval selection named :data:`BRUSH` on ``x``
        (``period``), which the app reads back to set its month range.
    height : int
        Height in pixels.
    """
    period = "quarter" if "quarter" in trend.columns else MONTH
    frame = trend if sources is None else trend[trend["source"].isin(list(sources))]
    per = "quarter" if period == "quarter" else "month"
    value_title = (f"Harm per {per} ({short_unit(unit)})" if measure == HARM
                   else f"Events per {per}")
    data = pd.DataFrame({
        "period": _start(frame[period]),
        "period_text": (frame[period].astype(str) if period == "quarter"
                        else frame[period].dt.strftime("%b %Y")),
        "source": frame["source"].map(source_label), "value": frame[measure].astype(float),
    })
    x = alt.X("period:T", title=per.capitalize(),
              axis=MONTH_AXIS)
    colour = alt.Color("source:N", title="Source",
                       scale=alt.Scale(scheme="dark2"))
    lines = alt.Chart(data).mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(
        filled=True, size=40)).encode(x=x, y=alt.Y("value:Q", title=value_title), color=colour)
    if brush:
        lines = lines.add_params(alt.selection_interval(name=BRUSH, encodings=["x"]))
    rule = _hover_rule(data, x=x, series="source", names=list(dict.fromkeys(data["source"])),
                       value_title=value_title,
                       first=[alt.Tooltip("period_text:N", title=per.capitalize())],
                       groupby=["period", "period_text"])
    chart = alt.layer(lines, rule)
    return _configured(chart.properties(height=height, width="container"))


def lorenz_chart(curve: pd.DataFrame, *, units: str = "cells", measure: str = "harm",
                 height: int = 280) -> alt.TopLevelMixin:
    """Lorenz curve of ``measure`` over units, with the line of perfect equality.

    Parameters
    ----------
    curve : pandas.DataFrame
        ``share_of_units`` and ``share_of_harm`` (0-1), from
        :func:`geosoc.hotspots.concentration.lorenz_curve`.
    units : str
        What a unit is, plural ("cells", "wards").
    measure : str
        What is shared ("harm", "events").
    height : int
        Height in pixels.
    """
    x_title = f"Share of {units}, least to most {measure} (%)"
    y_title = f"Share of all {measure} (%)"
    data = curve.rename(columns={"share_of_units": "units", "share_of_harm": "value"})
    if len(data) > MAX_CURVE_POINTS:  # a force's H3 cells: the curve at 201 shares is enough
        grid = np.linspace(0.0, 1.0, MAX_CURVE_POINTS)
        data = pd.DataFrame({"units": grid,
                             "value": np.interp(grid, data["units"], data["value"])})
    data = data.assign(line="Observed")
    equal = pd.DataFrame({"units": [0.0, 1.0], "value": [0.0, 1.0],
                          "line": ["Perfect equality"] * 2})
    colour = alt.Color("line:N", title="Line", scale=alt.Scale(
        domain=["Observed", "Perfect equality"], range=["#b2182b", "#999999"]))
    x = alt.X("units:Q", title=x_title, axis=alt.Axis(format=".0%"))
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".0%"))
    tooltip = [alt.Tooltip("units:Q", title=f"Share of {units}", format=".1%"),
               alt.Tooltip("value:Q", title=f"Share of {measure}", format=".1%")]
    nearest = alt.selection_point(nearest=True, on="pointerover", empty=False,
                                  clear="pointerout")
    chart = alt.layer(
        alt.Chart(equal).mark_line(strokeDash=[5, 4]).encode(x=x, y=y, color=colour),
        alt.Chart(data).mark_line(strokeWidth=2.2).encode(x=x, y=y, color=colour),
        alt.Chart(data).mark_point(size=60, filled=True, color="#b2182b").encode(
            x=x, y=y, tooltip=tooltip,
            opacity=alt.when(nearest).then(alt.value(1.0)).otherwise(alt.value(0.0)))
        .add_params(nearest),
    )
    return _configured(chart.properties(height=height, width="container"))


def period_bars(series: pd.DataFrame, *, measure: str = COUNT, unit: str = "days, CCHI",
                note: str = "", height: int = 260) -> alt.TopLevelMixin:
    """Bars of a disclosed monthly or quarterly series; suppressed periods say so on hover.

    Parameters
    ----------
    series : pandas.DataFrame
        ``month`` or ``quarter`` (Period) and ``measure``; NaN where suppressed.
    measure : {"count", "harm"}
        Value drawn.
    unit : str
        Unit of harm.
    note : str
        Added to the axis title, e.g. ``"rounded to 5"``.
    height : int
        Height in pixels.
    """
    period = "quarter" if "quarter" in series.columns else MONTH
    per = "quarter" if period == "quarter" else "month"
    what = f"Harm per {per} ({short_unit(unit)})" if measure == HARM else f"Events per {per}"
    title = f"{what}, {note}" if note else what
    values = series[measure].astype(float)
    data = pd.DataFrame({"period": series[period].astype(str), "value": values.fillna(0.0),
                         "shown": values.map(lambda v: "not shown (fewer than the threshold)"
                                             if pd.isna(v) else f"{v:,.0f}")})
    chart = alt.Chart(data).mark_bar(color="#b2182b").encode(
        x=alt.X("period:O", title=per.capitalize(), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=title),
        tooltip=[alt.Tooltip("period:N", title=per.capitalize()),
                 alt.Tooltip("shown:N", title=what)])
    return _configured(chart.properties(height=height, width="container"))


def candidates_chart(monthly: pd.DataFrame, *, unit: str = "days, CCHI",
                     height: int = 240) -> alt.TopLevelMixin:
    """Monthly police harm of 2-4 candidate sites side by side, one line each.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Index months (Period or str), one column per candidate (harm in ``unit``).
    unit : str
        Unit of harm.
    height : int
        Height in pixels.
    """
    index = monthly.index
    months = (index.to_timestamp(how="start") if isinstance(index, pd.PeriodIndex)
              else pd.to_datetime(index.astype(str)))
    long = (monthly.set_axis(months).rename_axis("month").reset_index()
            .melt(id_vars="month", var_name="candidate", value_name="value"))
    long["candidate"] = long["candidate"].astype(str)
    long["month_text"] = long["month"].dt.strftime("%b %Y")
    title = f"Police harm per month ({short_unit(unit)})"
    base = alt.Chart(long).encode(
        x=alt.X("month:T", title="Month", axis=MONTH_AXIS),
        y=alt.Y("value:Q", title=title),
        color=alt.Color("candidate:N", title="Candidate", scale=alt.Scale(scheme="dark2")))
    rule = _hover_rule(long.rename(columns={"candidate": "series"}),
                       x=alt.X("month:T"), series="series",
                       names=list(dict.fromkeys(long["candidate"])), value_title=title,
                       first=[alt.Tooltip("month_text:N", title="Month")],
                       groupby=["month", "month_text"])
    chart = alt.layer(base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(filled=True,
                                                                              size=40)), rule)
    return _configured(chart.properties(height=height, width="container"))
