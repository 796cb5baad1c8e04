"""Labels from the names the data already carry, for maps with no base-map file at hand.

Ward and LSOA names at a point inside each area, and street names from police.uk's
"On or near ..." locations, drawn as light text in a pane above the harm fills. Which set
shows depends on the zoom (wards when the whole study is in view, LSOAs and streets closer
in), so the map stays readable. Every name is HTML-escaped before it reaches the page.

Street label positions never repeat an incident's published point: a street's label sits at
the mean of its snap points rounded to a 0.001° grid (about 70 × 110 m in Britain), and
only streets with at least :data:`MIN_STREET_INCIDENTS` records are labelled.
"""

from __future__ import annotations

import html
import re
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

#: Streets with fewer records than this are not labelled (no label reveals a small count).
MIN_STREET_INCIDENTS = 10
#: Grid the street label positions are rounded to (degrees).
STREET_GRID_DEG = 0.001
#: police.uk location names that are not streets (places it snaps points to).
_NOT_STREETS = re.compile(
    r"/|^(?:parking area|supermarket|petrol station|nightclub|shopping area|hospital|"
    r"police station|park|sports|theatre|pedestrian subway|bus|conference|further|"
    r"airport|prison|church|hotel)", re.I)
#: Zoom ranges: wards up to 15, LSOAs and streets from 15.
WARD_ZOOMS, DETAIL_ZOOMS = (0, 15), (15, 22)
#: Pane of the labels (above fills and context lines, below markers and tooltips).
PANE = "data-labels"


def street_labels(incidents: pd.DataFrame, *, min_count: int = MIN_STREET_INCIDENTS,
                  limit: int = 400) -> pd.DataFrame:
    """Return one label per street named in police.uk locations ("On or near X").

    Parameters
    ----------
    incidents : pandas.DataFrame
        With ``location`` and ``lon``/``lat`` (EPSG:4326 degrees).
    min_count : int
        Fewest records a street needs to be labelled.
    limit : int
        Most labels kept (the streets with the most records).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lon``, ``lat`` (rounded to :data:`STREET_GRID_DEG`), ``records``; where
        two streets' labels would share a grid cell, the one with more records is kept.
    """
    if "location" not in incidents or incidents.empty:
        return pd.DataFrame(columns=["name", "lon", "lat", "records"])
    name = (incidents["location"].astype("string")
            .str.replace(r"^\s*On or near\s+", "", regex=True, case=False).str.strip())
    frame = pd.DataFrame({"name": name, "lon": incidents["lon"], "lat": incidents["lat"]})
    frame = frame[frame["name"].notna() & (frame["name"] != "")
                  & ~frame["name"].str.contains(_NOT_STREETS, na=True)]
    grouped = frame.groupby("name", sort=False).agg(lon=("lon", "mean"), lat=("lat", "mean"),
                                                    records=("lon", "size"))
    grouped = grouped[grouped["records"] >= min_count].sort_values("records", ascending=False)
    for axis in ("lon", "lat"):
        grouped[axis] = np.round(grouped[axis] / STREET_GRID_DEG) * STREET_GRID_DEG
    # one label per cell two grid steps wide (names are wider than tall): the busiest street
    cell = pd.DataFrame({"x": np.floor(grouped["lon"] / (2 * STREET_GRID_DEG)),
                         "y": np.floor(grouped["lat"] / STREET_GRID_DEG)}, index=grouped.index)
    grouped = grouped[~cell.duplicated()].head(limit)
    return grouped.reset_index()[["name", "lon", "lat", "records"]]


def area_labels(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return ``name``, ``lon``, ``lat`` at a point inside each named area (EPSG:4326)."""
    if "name" not in areas or areas.empty:
        return pd.DataFrame(columns=["name", "lon", "lat"])
    points = areas.to_crs("EPSG:4326").geometry.representative_point()
    return pd.DataFrame({"name": areas["name"].astype(str).to_numpy(),
                         "lon": points.x.to_numpy(), "lat": points.y.to_numpy()})


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    return [[html.escape(str(n)), round(float(y), 5), round(float(x), 5)]
            for n, x, y in zip(frame["name"], frame["lon"], frame["lat"], strict=True)]


class NameLabels(MacroElement):
    """Light text labels in zoom bands: ``groups`` is a list of ``(rows, zooms, css)``."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>.geosoc-name{white-space:nowrap;color:#333;font:600 12px sans-serif;
                text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none}
                .geosoc-name.area{font-size:13px;color:#222}
                .geosoc-name.street{font-weight:500;font-style:italic;color:#444}
                .geosoc-name span{position:absolute;transform:translate(-50%,-50%)}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function (map) {
                if (!map.getPane({{ this.pane|tojson }})) {
                    var pane = map.createPane({{ this.pane|tojson }});
                    pane.style.zIndex = 455; pane.style.pointerEvents = "none";
                }
                var groups = {{ this.groups|tojson }}.map(function (g) {
                    var layer = L.layerGroup(g[0].map(function (r) {
                        return L.marker([r[1], r[2]], {pane: {{ this.pane|tojson }},
                            interactive: false, keyboard: false, icon: L.divIcon({
                            className: "geosoc-name " + g[2], html: "<span>" + r[0] + "</span>",
                            iconSize: null, iconAnchor: [0, 0]})});
                    }));
                    return {layer: layer, low: g[1][0], high: g[1][1]};
                });
                function show() {
                    var z = map.getZoom();
                    groups.forEach(function (g) {
                        if (z >= g.low && z <= g.high) { g.layer.addTo(map); }
                        else { map.removeLayer(g.layer); }
                    });
                }
                map.on("zoomend", show); map.whenReady(show);
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    pane: ClassVar[str] = PANE

    def __init__(self, groups: list[tuple[list[list[object]], tuple[int, int], str]]) -> None:
        super().__init__()
        self._name = "NameLabels"
        self.groups = [[rows, list(zooms), css] for rows, zooms, css in groups if rows]


def name_labels(*, wards: gpd.GeoDataFrame | None = None,
                lsoas: gpd.GeoDataFrame | None = None,
                incidents: pd.DataFrame | None = None) -> NameLabels | None:
    """Return the labels the data's own names give, or ``None`` when there are none.

    Parameters
    ----------
    wards, lsoas : geopandas.GeoDataFrame, optional
        Areas with ``name`` (any CRS): wards shown at zoom up to 15, LSOAs from 15.
    incidents : pandas.DataFrame, optional
        Records with police.uk ``location`` and ``lon``/``lat``: street names from zoom 15.
    """
    groups = []
    if wards is not None:
        groups.append((_rows(area_labels(wards)), WARD_ZOOMS, "area"))
    if lsoas is not None:
        groups.append((_rows(area_labels(lsoas)), DETAIL_ZOOMS, "area"))
    if incidents is not None:
        groups.append((_rows(street_labels(incidents)), DETAIL_ZOOMS, "street"))
    labels = NameLabels(groups)
    return labels if labels.groups else None
