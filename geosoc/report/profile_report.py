"""The locality profile as one standalone, printable HTML file (CHB FB8 multi-agency launch).

The file opens offline (Leaflet and every plugin inlined, see
:func:`geosoc.maps.inline_assets`), prints to A4 landscape (a static SVG map replaces the
interactive one on paper), and carries the protective marking of its role at the top and
bottom of every page. Disclosure control (:mod:`geosoc.disclosure`) is applied here, on the
server, before anything is rendered: a partner or public file holds no incident point, ID or
small count, and :func:`geosoc.disclosure.guard_payload` checks the final text when the incidents
are given.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc import maps
from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.assets.model import active_assets
from geosoc.disclosure.derived import disclose_profile
from geosoc.disclosure.layers import (
    disclose_areas,
    disclose_cells,
    disclose_headline,
    disclose_series,
    guard_payload,
)
from geosoc.disclosure.rules import PROTECTIVE_MARKING, Role, as_role
from geosoc.errors import GeosocError, Problem
from geosoc.harm import harm_unit
from geosoc.hotspots.profile import LocalityProfile
from geosoc.report.asset_coverage import coverage_section_html, site_coverage
from geosoc.report.contribution_section import (
    contribution_section_html,
    top_areas_with_rates,
)
from geosoc.report.figures import SUPPRESSED_COLOUR, static_map_svg, trend_svg
from geosoc.report.headline import launch_headlines
from geosoc.report.pack_base import PackBase, add_pack_base, base_points
from geosoc.report.partner_section import launch_partner_html
from geosoc.report.site_section import site_figures, site_section_html
from geosoc.report.table_labels import display_table, unit_text
from geosoc.schema import COUNT, HARM

#: Asset columns shown per role (public outputs drop contact details).
ASSET_COLUMNS = {
    Role.ANALYST: ("name", "category", "sector", "services", "contact"),
    Role.PARTNER: ("name", "category", "sector", "services", "contact"),
    Role.PUBLIC: ("name", "category", "sector", "services"),
}


@dataclass(frozen=True)
class ReportInputs:
    """What goes into a launch report besides the profile.

    Parameters
    ----------
    title : str
        Report title (escaped).
    site : geopandas.GeoDataFrame, optional
        The CHB site boundary (EPSG:4326) with a ``name`` column.
    assets : geopandas.GeoDataFrame, optional
        Active community assets (register columns, WGS84 ``lon``/``lat``).
    incidents : pandas.DataFrame, optional
        The incidents behind the profile; when given, a partner/public report is checked
        for leaked IDs or coordinates before it is returned.
    demo : bool
        Mark the report as built from the fictional demo town.
    area_kind : str
        Area layer used for the public map and the area table (``"ward"``).
    base : PackBase, optional
        The map's base (embedded tiles, context layers), drawn under the harm layer.
    partner_counts : PartnerCounts, optional
        Partner area counts and vulnerability signals (disclosed sections for the audience).
    months : tuple of str, optional
        The profile's month range (for the partner sections).
    owners : mapping, optional
        Owner agency per incident source, for the per-agency contribution table.
    population : pandas.DataFrame, optional
        Population per area (:func:`geosoc.ingest.read_population`), for rates per 1,000
        residents beside the counts of the area table.
    """

    title: str = "Locality profile"
    site: gpd.GeoDataFrame | None = None
    assets: gpd.GeoDataFrame | None = None
    incidents: pd.DataFrame | None = None
    demo: bool = False
    area_kind: str = "ward"
    base: PackBase | None = None
    partner_counts: PartnerCounts | None = None
    months: tuple[str, str] | None = None
    owners: Mapping[str, str] | None = None
    population: pd.DataFrame | None = None


def _map_layer(profile: LocalityProfile, role: Role, area_kind: str) -> gpd.GeoDataFrame:
    """Return the harm layer this role may see: cells (analyst, partner) or wards (public).

    For partner and public ``profile`` is already disclosed (:func:`disclose_profile`), so
    its layers are taken as they are.
    """
    if role is not Role.ANALYST:
        if role is Role.PUBLIC and area_kind in profile.areas:
            return profile.areas[area_kind]
        return profile.cells
    if role is Role.PUBLIC:
        if area_kind not in profile.areas:
            return disclose_cells(profile.cells, role)
        return disclose_areas(profile.areas[area_kind], role)
    return disclose_cells(profile.cells, role)


def _labels(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Add text columns for tooltips: numbers, or 'suppressed' where hidden."""
    out = frame.copy()
    for col in (COUNT, HARM):
        values = out[col].astype(float)
        text = values.map(lambda v: f"{v:,.0f}")
        out[f"{col}_text"] = text.where(values.notna(), "suppressed")
    return out


def _interactive_map(layer: gpd.GeoDataFrame, colours: np.ndarray,
                     inputs: ReportInputs) -> str:
    bounds = tuple(float(v) for v in layer.total_bounds)
    m = maps.build_map(boundaries=None, bounds=bounds, height=520,  # type: ignore[arg-type]
                       fullscreen=True)
    add_pack_base(m, inputs.base, bounds)  # type: ignore[arg-type]
    maps.fill_layer(_labels(layer), colours, name="Harm",
                    tooltip={"count_text": "Incidents", "harm_text": "Harm (days)"}).add_to(m)
    if inputs.site is not None and len(inputs.site):
        maps.site_layer(inputs.site).add_to(m)
    if inputs.assets is not None and len(inputs.assets):
        cats = sorted(inputs.assets["category"].astype(str).unique())
        for group in maps.asset_layers(inputs.assets, maps.category_colours(cats)):
            group.add_to(m)
    maps.finish_map(m)
    try:
        return maps.inline_assets(m.get_root().render())
    except maps.MissingAssetError as err:
        raise GeosocError("map assets are missing, so the report cannot open offline", [
            Problem(str(err), fix="run `python -m geosoc.maps.vendor` (part of make app)")
        ]) from None


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    """Render ``frame`` as an escaped HTML table (``columns``: column -> heading)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = []
    for row in frame[list(columns)].itertuples(index=False):  # at most a few dozen rows
        cells = []
        for value in row:
            if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                text = "suppressed"
            elif isinstance(value, float | int | np.integer | np.floating) \
                    and not isinstance(value, bool):
                text = f"{value:,.0f}"
            else:
                text = str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _shown_table(frame: pd.DataFrame) -> str:
    """Render a :func:`display_table` frame (headings already in words)."""
    return _table(frame, {c: c for c in frame.columns})


def _unit(profile: LocalityProfile, incidents: pd.DataFrame | None) -> str:
    """Return the harm unit, named by what was summed (ASB alone is not CCHI days)."""
    scheme = str(profile.parameters.get("scheme", "harm"))
    if incidents is None or "category" not in incidents.columns:
        return harm_unit(["Burglary"], scheme=scheme) if scheme != "harm" else "days (CCHI)"
    sources = incidents["source"] if "source" in incidents.columns else None
    return harm_unit(incidents["category"], sources, scheme=scheme)


def _headlines(profile: LocalityProfile, role: Role, layer: gpd.GeoDataFrame,
               unit: str = "days (CCHI)", area_kind: str = "ward") -> str:
    """Render the headline section: plain words first, the figures, the statistic beneath."""
    if "headline" in profile.parameters:  # disclosed once, with the cell key of the total
        count, harm = profile.parameters["headline"]
    else:
        count = disclose_headline(float(profile.cells[COUNT].sum()), role)
        harm = disclose_headline(float(profile.cells[HARM].sum()), role)
    series = profile.monthly if role is not Role.ANALYST else disclose_series(profile.monthly,
                                                                              role)
    months = series["month" if "month" in series else "quarter"]
    areas = profile.areas.get(area_kind)
    if areas is not None and role is Role.ANALYST:
        areas = disclose_areas(areas, role)
    kind_word = "ward" if area_kind == "ward" else area_kind.replace("_", " ")
    said = launch_headlines(
        areas, series, layer, concentration=profile.concentration.sentence(), kind=kind_word,
        layer_kind=f"{kind_word}s" if layer is areas or "name" in layer.columns else "H3 cells")
    figures = [
        f"{months.min()} to {months.max()}",
        "incidents: " + ("suppressed" if count is None else f"{count:,.0f}"),
        "harm: " + ("suppressed" if harm is None else f"{harm:,.0f} {unit}"),
    ]
    lead, *rest = said.lead
    return ("<section class='headline'><h2>What the data shows</h2>"
            f"<p class='lead'>{html.escape(lead)}</p><ul>"
            + "".join(f"<li>{html.escape(t)}</li>" for t in rest) + "</ul>"
            "<h3>Figures</h3><ul>"
            + "".join(f"<li>{html.escape(t)}</li>" for t in figures) + "</ul>"
            + (f"<p class='statistic'>{html.escape(said.statistic)}</p>" if said.statistic
               else "") + "</section>")


def _published_points(layer: gpd.GeoDataFrame, site: gpd.GeoDataFrame | None,
                      assets: pd.DataFrame | None) -> pd.DataFrame:
    """Every coordinate the report publishes on purpose (WGS84 lon/lat, degrees).

    Boundary vertices and asset locations are public; police.uk map points often sit on
    the street nodes that ward boundaries follow, so without this a boundary vertex would
    read as a leaked incident.
    """
    parts = [shapely.get_coordinates(layer.geometry.to_numpy())]
    if site is not None and len(site):
        parts.append(shapely.get_coordinates(site.geometry.to_numpy()))
    if assets is not None and len(assets):
        parts.append(assets[["lon", "lat"]].to_numpy(dtype=float))
    xy = np.concatenate(parts)
    return pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1]})


def render_profile_report(profile: LocalityProfile, *, role: Role | str,
                          inputs: ReportInputs | None = None) -> str:
    """Render the locality profile for ``role`` as one standalone HTML document.

    Parameters
    ----------
    profile : LocalityProfile
        Output of :func:`geosoc.hotspots.profile.build_profile` (EPSG:4326 layers, harm in days).
    role : Role or str
        Who the file is for; decides disclosure and the protective marking.
    inputs : ReportInputs, optional
        Title, site, assets, incidents (for the leak guard) and flags.

    Returns
    -------
    str
        The HTML text.
    """
    role = as_role(role)
    inputs = inputs or ReportInputs()
    marking = PROTECTIVE_MARKING[role]
    if role is not Role.ANALYST:  # every figure and statistic from disclosed values
        profile = disclose_profile(profile, role, incidents=inputs.incidents)
    layer = _map_layer(profile, role, inputs.area_kind)
    scale = maps.quantile_scale(layer[HARM].fillna(0))
    colours = np.where(layer[HARM].isna(), SUPPRESSED_COLOUR, scale.colour(layer[HARM].fillna(0)))
    assets = None if inputs.assets is None else active_assets(inputs.assets)
    series = profile.monthly if role is not Role.ANALYST else disclose_series(profile.monthly,
                                                                              role)
    period = "quarter" if "quarter" in series.columns else "month"
    table_src = profile.areas.get(inputs.area_kind, layer)
    top = table_src.sort_values(HARM, ascending=False, na_position="last").head(10)
    top = top.assign(code=top.index.astype(str),
                     name=top["name"] if "name" in top.columns else top.index.astype(str))
    unit = _unit(profile, inputs.incidents)
    top, rate_heads = top_areas_with_rates(top, inputs.area_kind, inputs.population,
                                           profile.areas)
    sections = [
        _headlines(profile, role, layer, unit, inputs.area_kind),
        _map_section(layer, colours, replace(inputs, assets=assets), scale),
        f"<section><h2>Trend ({'quarterly' if period == 'quarter' else 'monthly'} harm)</h2>"
        f"{trend_svg(series, period=period)}</section>",
        "<section><h2>Highest-harm areas</h2>"
        + _shown_table(display_table(top, {"code": "Code", "name": "Name", COUNT: None,
                                           HARM: None, **rate_heads}, unit=unit))
        + f"<p class='note'>Harm in {html.escape(unit_text(unit))}.</p></section>",
        contribution_section_html(inputs.incidents, role, inputs.owners, _table,
                                  partner_counts=inputs.partner_counts, months=inputs.months),
    ]
    if inputs.site is not None and len(inputs.site):
        figures = site_figures(profile, inputs.site, incidents=inputs.incidents, assets=assets,
                               area_kind=inputs.area_kind)
        sections.insert(1, site_section_html(figures, role, unit))
    if assets is not None and len(assets):
        by_cat = assets.groupby("category").size().rename("n").reset_index()
        cols = {c: c.replace("_", " ").title() for c in ASSET_COLUMNS[role] if c in assets}
        sections.append(
            "<section><h2>Community assets</h2>"
            + _table(by_cat.assign(n=by_cat["n"].astype(float)),
                     {"category": "Category", "n": "Assets"})
            + _table(assets.sort_values(["category", "name"]).fillna(""), cols) + "</section>")
    sections.append(_asset_coverage_section(inputs.site, assets, layer))
    sections.append(launch_partner_html(inputs.partner_counts, role, months=inputs.months))
    document = _page(inputs, role, marking, "".join(sections))
    if inputs.incidents is not None:
        published = pd.concat([_published_points(layer, inputs.site, assets),
                               base_points(inputs.base)], ignore_index=True)
        guard_payload(document, inputs.incidents, role, published_points=published)
    return document


def _asset_coverage_section(site: gpd.GeoDataFrame | None, assets: pd.DataFrame | None,
                            layer: gpd.GeoDataFrame) -> str:
    """Asset coverage of the site and its rings, harm from the disclosed ``layer``."""
    if site is None or not len(site) or assets is None or not len(assets):
        return ""
    name = str(site["name"].iloc[0]) if "name" in site.columns else "CHB site"
    coverage = site_coverage(assets, site.geometry.iloc[0], site=name, harm_layer=layer)
    return coverage_section_html(coverage)


def _map_section(layer: gpd.GeoDataFrame, colours: np.ndarray, inputs: ReportInputs,
                 scale: maps.BinnedScale) -> str:
    """Interactive map on screen (in an iframe), static SVG map on paper, and the legend."""
    live = _interactive_map(layer, colours, inputs)
    still = static_map_svg(layer, colours, site=inputs.site, assets=inputs.assets)
    return ("<section class='map'><h2>Harm map</h2>"
            f"<iframe class='screen-only' title='Interactive harm map' "
            f"srcdoc=\"{html.escape(live, quote=True)}\"></iframe>"
            f"<div class='print-only'>{still}</div>"
            f"{_legend_html(scale.legend('Harm (days)'))}</section>")


def _legend_html(legend: maps.Legend) -> str:
    swatches = "".join(
        f"<span class='swatch' style='background:{html.escape(colour)}'></span>"
        f"{html.escape(label)} " for label, colour in legend.entries)
    return (f"<p class='legend'><b>{html.escape(legend.title)}</b> {swatches}"
            f"<span class='swatch' style='background:{SUPPRESSED_COLOUR}'></span>suppressed</p>")


_CSS = """
@page { size: A4 landscape; margin: 14mm 10mm; }
body { font-family: Arial, Helvetica, sans-serif; margin: 0 auto; max-width: 1100px;
       color: #222; padding: 2.5em 1em; }
.marking { position: fixed; left: 0; right: 0; text-align: center; font-weight: bold;
           letter-spacing: .1em; background: #fff; padding: 2px; }
.marking.top { top: 0; } .marking.bottom { bottom: 0; }
h1 { margin: .2em 0; } h2 { border-bottom: 2px solid #b2182b; padding-bottom: 2px; }
section { break-inside: avoid; page-break-inside: avoid; margin-bottom: 1.2em; }
iframe { width: 100%; height: 540px; border: 1px solid #ccc; }
table { border-collapse: collapse; margin: .4em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
.legend { font-size: 14px; line-height: 1.8; }
.swatch { display: inline-block; width: 14px; height: 14px; margin: 0 4px 0 10px;
          border: 1px solid #999; vertical-align: middle; }
.print-only { display: none; } .demo { color: #b2182b; font-weight: bold; }
.lead { font-size: 1.35em; font-weight: 600; margin: .3em 0; }
.statistic { font-size: .9em; color: #555; border-left: 3px solid #ccc; padding-left: .6em; }
@media print { .screen-only { display: none; } .print-only { display: block; }
               section.map { page-break-before: always; } }
"""


def _page(inputs: ReportInputs, role: Role, marking: str, body: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    demo = ("<p class='demo'>DEMO — fictional data: built from the fictional Demoford demo "
            "town, not real data.</p>" if inputs.demo else "")
    audience = {"analyst": "Police analysts", "partner": "Partner agencies",
                "public": "Multi-agency launch audience"}[role.value]
    mark = html.escape(marking)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(inputs.title)} ({mark})</title><style>{_CSS}</style></head><body>"
        f"<div class='marking top'>{mark}</div>"
        f"<h1>{html.escape(inputs.title)}</h1>"
        f"<p>Clear, Hold, Build locality profile for: {html.escape(audience)}. "
        f"Produced {html.escape(stamp)} by geosoc.</p>{demo}{body}"
        f"<div class='marking bottom'>{mark}</div></body></html>"
    )


def export_profile(profile: LocalityProfile, *, role: Role | str, out: str | Path,
                   inputs: ReportInputs | None = None) -> Path:
    """Write :func:`render_profile_report` to ``out`` (UTF-8) and return the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_profile_report(profile, role=role, inputs=inputs), encoding="utf-8")
    return path

