"""Frames of a month player: one disclosed layer per month (per quarter for the public).

Each frame is disclosed through the same function and arguments a single-month map uses
(:func:`geosoc.disclosure.tables.disclosed_cells` or ``disclosed_areas`` with
``months=(m, m)``), so every value is a sum of released base values
(:mod:`geosoc.disclosure.release`): the same cell and month show the same figure on the
player, on the map with the sidebar set to that month, and in any export. The frames add up
to the whole period's released values (before suppression and rounding), so subtracting the
other frames from the period's figure gives a hidden frame's released value, which equals
the truth only at the release's stated rate (measured in ``tests/test_month_frames.py``);
replaying or averaging frames gives nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geosoc.aggregate import AreaIndex
from geosoc.disclosure.rules import Role, rules_for
from geosoc.disclosure.tables import By, disclosed_areas, disclosed_cells

#: Columns of a frame that never leave this module (statistics are not animated).
_VALUE_PREFIXES = ("count", "harm")


@dataclass(frozen=True)
class FramePeriod:
    """One frame's time span.

    Attributes
    ----------
    label : str
        ``2024-03`` (a month) or ``2024Q1`` (a quarter).
    start, end : str
        First and last month ``YYYY-MM``.
    """

    label: str
    start: str
    end: str

    @property
    def months(self) -> tuple[str, str]:
        """Return ``(start, end)``, the month range a layer function takes."""
        return (self.start, self.end)


def frame_periods(months: Sequence[str], role: Role | str) -> list[FramePeriod]:
    """Return the frames of a player over ``months`` for ``role``: months, or quarters.

    Parameters
    ----------
    months : sequence of str
        The months of the data, ``YYYY-MM`` (any order; duplicates ignored).
    role : Role or str
        Analysts and partners step by month; the public by whole quarter (its time grain).

    Returns
    -------
    list of FramePeriod
        In time order.
    """
    periods = pd.PeriodIndex(sorted(set(map(str, months))), freq="M")
    if rules_for(role).time_grain != "Q":
        return [FramePeriod(str(p), str(p), str(p)) for p in periods]
    quarters = sorted(set(periods.asfreq("Q")))
    return [FramePeriod(str(q), str(q.asfreq("M", how="start")), str(q.asfreq("M", how="end")))
            for q in quarters]


def disclosed_frames(periods: Sequence[FramePeriod],
                     layer: Callable[[tuple[str, str]], gpd.GeoDataFrame]) -> pd.DataFrame:
    """Return every frame's disclosed values in one long table.

    Parameters
    ----------
    periods : sequence of FramePeriod
        From :func:`frame_periods`.
    layer : callable
        ``layer((first, last))`` returns the disclosed layer of those months (see
        :func:`frame_layer`); it must be the same call a one-month map makes, so the player
        shows exactly what that map shows.

    Returns
    -------
    pandas.DataFrame
        One row per frame and unit: ``period`` (label), the unit's code (the layers' index
        name), then ``count``, ``harm`` and their breakdown columns (``count__<source>``),
        NaN where suppressed. No geometry and no statistics (take the shapes from a layer).
    """
    parts = []
    for period in periods:
        frame = layer(period.months)
        values = [c for c in frame.columns if c.split("__")[0] in _VALUE_PREFIXES]
        part = pd.DataFrame(frame[values]).assign(period=period.label)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["period", "count", "harm"])
    out = pd.concat(parts)
    name = out.index.name or "unit"
    return out.rename_axis(name).reset_index()[["period", name, *(c for c in out.columns
                                                                 if c != "period")]]


def frame_layer(incidents: pd.DataFrame, role: Role | str, *, by: By = None,
                resolution: int | None = None, cover: gpd.GeoDataFrame | None = None,
                areas: gpd.GeoDataFrame | None = None, index: AreaIndex | None = None,
                parents: gpd.GeoDataFrame | None = None, min_count: int | None = None,
                secret: bytes | None = None) -> Callable[[tuple[str, str]], gpd.GeoDataFrame]:
    """Return ``layer(months)``: the disclosed H3 (``cover``) or area (``areas``) layer.

    The arguments are those of :func:`geosoc.disclosure.tables.disclosed_cells` (with
    ``resolution`` and ``cover``) or ``disclosed_areas`` (with ``areas``, ``index``,
    ``parents``); hot spot statistics are off (frames carry values only).
    """
    if cover is not None:
        if resolution is None:
            raise ValueError("an H3 frame layer needs its resolution")
        return lambda months: disclosed_cells(incidents, role, resolution=resolution,
                                              cover=cover, by=by, months=months,
                                              hotspots=False, min_count=min_count,
                                              secret=secret)
    if areas is None:
        raise ValueError("a frame layer needs a cover (H3) or areas")
    return lambda months: disclosed_areas(incidents, areas, role, by=by, months=months,
                                          index=index, parents=parents, min_count=min_count,
                                          secret=secret)
