"""The site-focused part of the locality profile: the CHB site beside the area-wide view.

When a report is built for a chosen site, :func:`site_figures` measures the site itself
(harm and incidents inside it and their share of the whole area, how it would rank among
the areas, its hot spot cells, its monthly trend and the community assets inside it) and
:func:`site_section_html` renders them for a role. For partner and public every figure comes
from the release (:mod:`geosoc.disclosure.release`): the site is a unit of the ``site``
geography (:func:`geosoc.disclosure.tables.disclosed_areas`), its total and trend sums of
released base values; without the incidents the site's figures are sums of the disclosed
cells and say how many suppressed cells they leave out. A suppressed figure reads
"suppressed", never 0.
"""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.disclosure.layers import disclose_headline, disclose_series
from geosoc.disclosure.rules import Role, as_role
from geosoc.disclosure.tables import disclosed_areas, disclosed_series, disclosed_totals
from geosoc.harm import apply_harm_weights
from geosoc.hotspots.profile import LocalityProfile
from geosoc.schema import CATEGORY, COUNT, HARM, LAT, LON, MONTH, SOURCE


def _inside(site: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(site, lon, lat)


def _profile_months(profile: LocalityProfile) -> tuple[pd.Period, pd.Period]:
    """First and last month of the profile (a public profile's quarters, as months)."""
    if MONTH in profile.monthly.columns:
        return profile.monthly[MONTH].min(), profile.monthly[MONTH].max()
    quarters = profile.monthly["quarter"]
    return quarters.min().asfreq("M", how="start"), quarters.max().asfreq("M", how="end")


def _in_profile(incidents: pd.DataFrame, profile: LocalityProfile) -> pd.DataFrame:
    """Return the incidents the profile counts: its months, categories and sources."""
    first, last = _profile_months(profile)
    months = pd.PeriodIndex(incidents[MONTH], freq="M")
    keep = (months >= first) & (months <= last)
    for column, key in ((CATEGORY, "categories"), (SOURCE, "sources")):
        chosen = profile.parameters.get(key)
        if chosen and column in incidents.columns:
            keep &= incidents[column].isin(list(chosen)).to_numpy()
    return incidents[keep]


def site_figures(profile: LocalityProfile, site: gpd.GeoDataFrame, *,
                 incidents: pd.DataFrame | None = None, assets: pd.DataFrame | None = None,
                 area_kind: str = "ward") -> dict[str, object]:
    """Measure the site against the whole study area (analyst-level, undisclosed values).

    Parameters
    ----------
    profile : LocalityProfile
        The area-wide profile (EPSG:4326 layers).
    site : geopandas.GeoDataFrame
        The site outline(s) (EPSG:4326) with a ``name`` column.
    incidents : pandas.DataFrame, optional
        The incidents behind the profile (WGS84 ``lon``/``lat``, ``month``, ``category``);
        needed for the monthly trend.
    assets : pandas.DataFrame, optional
        Active community assets (``lon``/``lat``, ``category``).
    area_kind : str
        The area layer the site is ranked against.

    Returns
    -------
    dict
        ``name``, ``harm`` and ``count`` inside (the site's own incidents in the profile's
        months, categories and sources when ``incidents`` are given, else the H3 cells whose
        centre lies in the site), ``total_harm`` and ``share_harm`` of the area-wide harm,
        ``cells``, ``hot_cells`` (Gi* bin +2 or +3), ``area_harm`` (every area's harm, as
        the profile holds it) and ``of``, ``monthly`` (month, count,
        harm) or None, and ``assets`` (category -> number) or None.
    """
    geom = shapely.union_all(site.geometry.to_numpy())
    name = ", ".join(site["name"].astype(str)) if "name" in site.columns else "Site"
    role = as_role(str(profile.parameters.get("role", "analyst")))
    cells = profile.cells
    centres = shapely.centroid(cells.geometry.to_numpy())
    inside = _inside(geom, shapely.get_x(centres), shapely.get_y(centres))
    if not inside.any():  # a site smaller than a cell: the cells it touches
        inside = shapely.intersects(cells.geometry.to_numpy(), geom)
    shown = cells.loc[inside, HARM]
    hidden = int(shown.isna().sum())  # suppressed cells: left out, and said so
    harm = float(shown.sum()) if shown.notna().any() else None
    total = float(cells[HARM].sum())
    hot = int((cells.loc[inside, "hotspot_bin"] >= 2).sum()) if "hotspot_bin" in cells else 0
    counted = cells.loc[inside, COUNT]
    figures: dict[str, object] = {
        "name": name, "harm": harm,
        "count": float(counted.sum()) if counted.notna().any() else None,
        "share_harm": harm / total if total and harm is not None else None,
        "total_harm": total, "cells": int(inside.sum()), "suppressed_cells": hidden,
        "hot_cells": hot, "area_harm": None, "of": None, "monthly": None, "assets": None,
        "area_kind": area_kind, "disclosed": role is not Role.ANALYST, "series": None,
    }
    if area_kind in profile.areas:
        figures["area_harm"] = profile.areas[area_kind][HARM].to_numpy(dtype=float)
        figures["of"] = len(figures["area_harm"])
    if incidents is not None and len(incidents):
        chosen = _in_profile(incidents, profile)
        scheme = str(profile.parameters.get("scheme", "harm"))
        weighted = apply_harm_weights(chosen, scheme=scheme, unknown=0.0)
        if role is not Role.ANALYST:
            figures.update(_released_site(weighted, geom, name, role))
            return _with_assets(figures, assets, geom)
        inside_site = _inside(geom, weighted[LON].to_numpy(float), weighted[LAT].to_numpy(float))
        mine = weighted[inside_site]
        # The site's own incidents, not the cells whose centre falls in it: a public
        # resolution-7 cell (~5 km²) is many times a ward-sized site.
        figures.update(harm=float(mine[HARM].sum()), count=float(len(mine)),
                       total_harm=float(weighted[HARM].sum()))
        figures["share_harm"] = (figures["harm"] / figures["total_harm"]
                                 if figures["total_harm"] else 0.0)
        if len(mine):
            monthly = (mine.groupby(MONTH).agg(count=(HARM, "size"), harm=(HARM, "sum"))
                       .reset_index())
            first, last = _profile_months(profile)
            span = pd.period_range(first, last, freq="M")
            figures["monthly"] = (monthly.set_index(MONTH).reindex(span, fill_value=0)
                                  .rename_axis(MONTH).reset_index())
    return _with_assets(figures, assets, geom)


def _with_assets(figures: dict[str, object], assets: pd.DataFrame | None,
                 geom: shapely.Geometry) -> dict[str, object]:
    if assets is not None and len(assets):
        here = assets[_inside(geom, assets[LON].to_numpy(float), assets[LAT].to_numpy(float))]
        figures["assets"] = here.groupby("category").size().astype(int).to_dict()
    return figures


def _released_site(weighted: pd.DataFrame, geom: shapely.Geometry, name: str,
                   role: Role) -> dict[str, object]:
    """Return the site's figures for partner and public: sums of released base values.

    The site is the one unit of a ``site`` geography (its incidents by point in polygon),
    the whole study the whole-study geography; the trend is the site's own series.
    """
    area = gpd.GeoDataFrame({"name": [name], "kind": ["site"]}, geometry=[geom],
                            crs="EPSG:4326", index=pd.Index(["site"], name="area_code"))
    layer = disclosed_areas(weighted, area, role)
    count, harm = (None if pd.isna(layer[c].iloc[0]) else float(layer[c].iloc[0])
                   for c in (COUNT, HARM))
    _, total = disclosed_totals(weighted, role)
    mine = weighted[_inside(geom, weighted[LON].to_numpy(float), weighted[LAT].to_numpy(float))]
    return {"count": count, "harm": harm, "total_harm": total,
            "share_harm": harm / total if harm is not None and total else None,
            "suppressed_cells": 0, "series": disclosed_series(mine, role) if len(mine) else None}


def _shown(value: float | None, role: Role, unit: str = "", *, disclosed: bool = False) -> str:
    """Return a figure as the role sees it, ``None`` reading "suppressed".

    ``disclosed`` figures (from the release) are shown as they are.
    """
    shown = value if disclosed or value is None else disclose_headline(value, role)
    return "suppressed" if shown is None else f"{shown:,.0f}{unit}"


def _trend_sentence(series: pd.DataFrame) -> str:
    """Least-squares slope of the disclosed harm series, in plain words."""
    period = "quarter" if "quarter" in series.columns else "month"
    values = series[HARM].to_numpy(dtype=float)
    ok = np.isfinite(values)
    if ok.sum() < 3:
        return "too few published periods to describe a trend"
    x = np.arange(len(values))[ok]
    slope = float(np.polyfit(x, values[ok], 1)[0])
    mean = float(values[ok].mean())
    if mean == 0 or abs(slope) < 0.02 * mean:
        return f"broadly flat over {int(ok.sum())} {period}s"
    word = "rising" if slope > 0 else "falling"
    return (f"{word} by about {abs(slope):,.0f} per {period} ({abs(slope) / mean:.0%} of the "
            f"average {period}) over {int(ok.sum())} {period}s")


def site_section_html(figures: dict[str, object], role: Role, unit: str) -> str:
    """Render the site section for ``role`` (every figure disclosed; text escaped)."""
    name = html.escape(str(figures["name"]))
    disclosed = bool(figures.get("disclosed"))

    def value(key: str) -> float | None:
        raw = figures[key]
        if raw is None or disclosed:
            return None if raw is None else float(raw)  # type: ignore[arg-type]
        return disclose_headline(float(raw), role)  # type: ignore[arg-type]

    site_harm, total = value("harm"), value("total_harm")
    share = (f" ({site_harm / total:.0%} of the whole study area's harm)"
             if site_harm is not None and total else "")  # from disclosed values only
    hidden = int(figures.get("suppressed_cells") or 0)
    note = (f" (includes suppressed values: {hidden} suppressed cell(s) left out)"
            if hidden else "")
    items = [
        f"harm inside the site: {_shown(site_harm, role, disclosed=True)} {unit}{share}{note}",
        f"incidents inside the site: {_shown(value('count'), role, disclosed=True)}{note}",
        f"hot spot cells (Gi* 95% or more) among the {figures['cells']} H3 cells covering "
        f"the site: {figures['hot_cells']}",
    ]
    if figures["area_harm"] is not None and site_harm is not None:
        # ranked by the disclosed site harm against the areas as this role sees them
        # a ward-sized site ties with its own ward: only a clearly larger area ranks above
        above = np.nan_to_num(figures["area_harm"]) > site_harm * (1 + 1e-6) + 0.5  # type: ignore[operator]
        rank = int(above.sum()) + 1
        items.append(f"by harm the site would rank {rank} of {figures['of']} "
                     f"{figures['area_kind']}s")
    series = figures.get("series")
    if series is None and figures["monthly"] is not None:
        series = disclose_series(figures["monthly"], role)  # type: ignore[arg-type]
    if series is not None:
        items.append("trend: " + _trend_sentence(series))  # type: ignore[arg-type]
    assets = figures["assets"]
    if assets is not None:
        listed = ", ".join(f"{n} {c}" for c, n in sorted(assets.items()))
        items.append(f"community assets inside: {sum(assets.values())} ({listed})")
    body = "".join(f"<li>{html.escape(t)}</li>" for t in items)
    return (f"<section class='site'><h2>Site: {name}</h2><p>The chosen site beside the "
            f"area-wide view below.</p><ul>{body}</ul></section>")
