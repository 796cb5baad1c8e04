"""Static SVG figures of the 6-month review pack: a series with phase bands, deterministically.

The same inputs give byte-identical SVG (no date metadata, a fixed hash salt), so two runs of
the review pack on the same data differ only in the timestamp line.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from geosoc.report.figures import style_value_axes

#: Fill colour of each phase band.
PHASE_COLOURS = {"baseline": "#f0f0f0", "clear": "#fddbc7", "hold": "#d1e5f0",
                 "build": "#d9f0d3"}


def deterministic_svg(fig: Figure) -> str:
    """Return ``fig`` as an ``<svg>`` element, identical for identical figures."""
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "geosoc", "svg.fonttype": "none"}):
        FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def phase_series_svg(series: pd.DataFrame, plan: pd.DataFrame, *, period: str, value: str,
                     label: str, groups: str | None = None, width_in: float = 7.5,
                     height_in: float = 2.6) -> str:
    """Draw one or more series over time with the site's phases as shaded bands.

    Parameters
    ----------
    series : pandas.DataFrame
        Periods in column ``period`` (Period dtype) and values in ``value``; NaN (suppressed)
        shows as a gap. With ``groups``, one line per distinct value of that column.
    plan : pandas.DataFrame
        ``phase``, ``start_month``, ``end_month`` (Period[M]; the last may be NaT).
    period, value, label : str
        Column names and the y-axis label (with its unit).
    groups : str, optional
        Column whose values each get a line and a legend entry.
    width_in, height_in : float
        Figure size in inches.
    """
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_subplot()
    last = series[period].max() if len(series) else None
    for row in plan.itertuples(index=False):
        end = row.end_month if not pd.isna(row.end_month) else (
            last.asfreq("M", how="end") if last is not None else row.start_month)
        ax.axvspan(row.start_month.to_timestamp(), (end + 1).to_timestamp(),
                   color=PHASE_COLOURS.get(row.phase, "#eeeeee"), lw=0, zorder=0)
        ax.text(row.start_month.to_timestamp(), 1.0, f" {row.phase}", va="top", fontsize=10,
                transform=ax.get_xaxis_transform())
    parts = [(None, series)] if groups is None else list(series.groupby(groups, sort=True))
    for name, part in parts:
        x = part[period].dt.to_timestamp()
        ax.plot(x, part[value].astype(float), lw=1.6, marker="o", ms=2.5,
                label=None if name is None else str(name))
    if groups is not None:
        ax.legend(fontsize=10, frameon=False, loc="upper right")
    style_value_axes(ax, label)
    fig.tight_layout()
    return deterministic_svg(fig)
