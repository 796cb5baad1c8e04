"""Static SVG figures for the printable locality profile: a map and a trend chart.

matplotlib's object API with the SVG canvas only (no ``pyplot`` global state), so figures
can be drawn from any thread of a Streamlit server. Text in SVG output is escaped by
matplotlib; callers pass already-disclosed frames (see :mod:`geosoc.disclosure`).
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from geosoc.schema import CRS_METRIC, MONTH

#: Colour of suppressed units (hatched grey).
SUPPRESSED_COLOUR = "#d9d9d9"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def static_map_svg(
    layer: gpd.GeoDataFrame,
    colours: np.ndarray,
    *,
    site: gpd.GeoDataFrame | None = None,
    assets: pd.DataFrame | None = None,
    width_in: float = 7.0,
    height_in: float = 5.0,
) -> str:
    """Draw a choropleth of ``layer`` with the site outline and asset points, as SVG.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Disclosed cells or areas (EPSG:4326); drawn in EPSG:27700 so distances are true.
    colours : numpy.ndarray of str
        Fill colour per row; rows whose value was suppressed should carry
        :data:`SUPPRESSED_COLOUR`.
    site : geopandas.GeoDataFrame, optional
        Site boundary (EPSG:4326).
    assets : pandas.DataFrame, optional
        Community assets with WGS84 ``lon``/``lat``.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    layer.to_crs(CRS_METRIC).plot(ax=ax, color=list(colours), edgecolor="#777777",
                                  linewidth=0.3)
    if site is not None and len(site):
        site.to_crs(CRS_METRIC).boundary.plot(ax=ax, color="#111111", linewidth=2.0)
    if assets is not None and len(assets):
        points = gpd.GeoSeries(gpd.points_from_xy(assets["lon"], assets["lat"]),
                               crs="EPSG:4326").to_crs(CRS_METRIC)
        ax.scatter(points.x, points.y, s=9, c="#1f78b4", edgecolors="white", linewidths=0.4,
                   zorder=3)
    return _svg(fig)


def trend_svg(series: pd.DataFrame, *, value: str = "harm", period: str = MONTH,
              label: str = "Harm (days)", width_in: float = 7.0, height_in: float = 2.6) -> str:
    """Draw a disclosed monthly or quarterly series as a line chart, as SVG.

    Parameters
    ----------
    series : pandas.DataFrame
        Table with a Period column ``period`` and the ``value`` column; suppressed periods
        are ``NaN`` and show as gaps.
    value : str
        Column to plot.
    period : str
        ``"month"`` or ``"quarter"``.
    label : str
        Y-axis label.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_subplot()
    x = series[period].dt.to_timestamp()
    ax.plot(x, series[value].astype(float), color="#b2182b", lw=1.8, marker="o", ms=2.5)
    style_value_axes(ax, label)
    fig.tight_layout()
    return _svg(fig)


def style_value_axes(ax: Axes, label: str) -> None:
    """Y label with its unit, axis from zero, light horizontal grid, no top/right frame."""
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
