"""Static charts for phase tracking: monthly series with the phases shaded.

Uses matplotlib's object API with the Agg canvas only: no ``pyplot``, so no global figure
state leaks between calls, threads or Streamlit sessions.
"""

from __future__ import annotations

import io
from os import PathLike
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geosoc.errors import AnalysisError, Problem
from geosoc.phases.change import PhasePlan
from geosoc.schema import COUNT, HARM, MONTH

#: Fill colour of each phase band (colour-blind safe, light).
PHASE_COLOURS = {"baseline": "#e8e8e8", "clear": "#fdd0a2", "hold": "#c6dbef",
                 "build": "#c7e9c0"}
#: Line colours of the buffer rings, innermost first (dark so they read over the bands).
RING_COLOURS = ("#b2182b", "#7b3294", "#d6604d", "#542788")


def zone_label(zone: str) -> str:
    """Name a zone of a phase series in words: the site, a ring, the control area."""
    if zone == "site":
        return "CHB site"
    if zone == "control":
        return "Control area (untreated)"
    return f"Ring {zone.removesuffix(' ring')} around the site"


def _line_style(zone: str, ring_number: int) -> dict[str, object]:
    if zone == "site":
        return {"color": "#111111", "lw": 2.2}
    if zone == "control":
        return {"color": "#4d4d4d", "lw": 1.4, "ls": "--"}
    return {"color": RING_COLOURS[ring_number % len(RING_COLOURS)], "lw": 1.4}


def phase_chart(
    series: pd.DataFrame,
    plan: PhasePlan,
    *,
    measure: str = COUNT,
    title: str | None = None,
    path: str | PathLike[str] | None = None,
    dpi: int = 110,
) -> bytes:
    """Draw monthly ``measure`` per zone with the phases shaded, as PNG.

    Parameters
    ----------
    series : pandas.DataFrame
        Tidy ``month`` (Period[M]), ``zone``, ``count``, ``harm`` (from
        :func:`geosoc.phases.change.monthly_series`); extra breakdown columns are summed over.
    plan : PhasePlan
        Dated phases to shade.
    measure : {"count", "harm"}
        Which column to plot (harm in days).
    title : str, optional
        Chart title.
    path : str or path-like, optional
        Also write the PNG here.
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        The PNG image.
    """
    if measure not in (COUNT, HARM):
        raise AnalysisError("measure must be 'count' or 'harm'",
                            [Problem(f"measure={measure!r}", fix="use 'count' or 'harm'")])
    wide = series.groupby([MONTH, "zone"], observed=True, sort=False)[measure].sum().unstack(
        "zone").sort_index()
    wide = wide[[z for z in series["zone"].unique() if z in wide.columns]]
    figure = Figure(figsize=(9, 4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for phase in plan.phases:
        ax.axvspan(phase.start.to_timestamp(), (phase.end + 1).to_timestamp(),
                   color=PHASE_COLOURS.get(phase.name, "#eeeeee"), alpha=0.8, lw=0,
                   label=phase.name.capitalize())
    x = wide.index.to_timestamp()
    rings = [z for z in wide.columns if z not in ("site", "control")]
    for zone in wide.columns:
        style = _line_style(str(zone), rings.index(zone) if zone in rings else 0)
        ax.plot(x, wide[zone].to_numpy(), marker="o", ms=3, label=zone_label(str(zone)), **style)
    ax.set_ylabel("Harm per month (days, CCHI)" if measure == HARM else "Events per month",
                  fontsize=11)
    ax.set_xlabel("Month", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=11,
              title="Phases and areas", title_fontsize=11)
    if title:
        ax.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    png = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(png)
    return png
