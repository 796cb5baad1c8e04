"""The demo town's map context: streets, a railway, a river and parks (all fictional).

So that the demo's maps read like a real place out of the box, with no tiles: a jittered
street grid with two main roads, a railway, a winding river (a water polygon) and a few
parks, clipped to the town and its surroundings. Geometry is built in EPSG:27700 (metres)
and written as one GeoJSON file per layer in EPSG:4326, the layout
:func:`geosoc.ingest.read_context` reads (the same as an OS Open Roads / Open Greenspace
extract saved per layer).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geosoc.synth.geography import Geography

#: Street names of the fictional town.
MAIN_ROADS = ("High Street", "Station Road")
STREET_NAMES = ("Mill Lane", "Church Street", "Park Road", "Chapel Street", "Victoria Road",
                "Albert Street", "Queen Street", "King Street", "New Road", "Canal Side",
                "Market Street", "School Lane", "Brook Street", "North Road", "South Road")


def _grid_streets(rng: np.random.Generator, area: shapely.Polygon, spacing_m: float
                  ) -> list[tuple[str, str, shapely.LineString]]:
    x0, y0, x1, y1 = area.bounds
    streets = []
    for axis in (0, 1):
        lo, hi = (x0, x1) if axis == 0 else (y0, y1)
        for i, at in enumerate(np.arange(lo + spacing_m / 2, hi, spacing_m)):
            if rng.random() < 0.25:  # not every grid line is a street
                continue
            steps = np.linspace(y0 if axis == 0 else x0, y1 if axis == 0 else x1, 12)
            wobble = at + rng.normal(0, spacing_m * 0.08, len(steps))
            coords = np.column_stack([wobble, steps] if axis == 0 else [steps, wobble])
            name = STREET_NAMES[(i + 7 * axis) % len(STREET_NAMES)]
            streets.append(("minor", name, shapely.LineString(coords)))
    return streets


def build_context(rng: np.random.Generator, geo: Geography) -> dict[str, gpd.GeoDataFrame]:
    """Generate the context layers (EPSG:27700) of the demo town.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``roads`` (``class`` main/minor, ``name``), ``railways``, ``water`` (polygons,
        ``name``) and ``greenspace`` (polygons, ``name``), clipped to the town plus 500 m.
    """
    area = geo.outline.buffer(500.0)
    cx, cy = geo.centre
    x0, y0, x1, y1 = area.bounds
    roads = _grid_streets(rng, area, spacing_m=320.0)
    roads += [("main", MAIN_ROADS[0], shapely.LineString([(x0, cy - 200), (cx, cy),
                                                          (x1, cy + 350)])),
              ("main", MAIN_ROADS[1], shapely.LineString([(cx + 150, y0), (cx, cy),
                                                          (cx - 300, y1)]))]
    t = np.linspace(0.0, 1.0, 60)
    river_line = shapely.LineString(np.column_stack([
        x0 + t * (x1 - x0), cy + 900 + 260 * np.sin(t * 9.0 + rng.uniform(0, 3))]))
    rail = shapely.LineString([(x0, cy - 1200), (x1, cy - 700)])
    parks = [shapely.Point(cx + dx, cy + dy).buffer(r).simplify(5.0) for dx, dy, r in
             zip(rng.uniform(-1800, 1800, 4), rng.uniform(-1500, 1500, 4),
                 rng.uniform(120, 260, 4), strict=True)]

    def frame(records: list[dict], geometries: list) -> gpd.GeoDataFrame:
        out = gpd.GeoDataFrame(records, geometry=geometries, crs="EPSG:27700")
        return out.clip(area).explode(ignore_index=True).pipe(lambda f: f[~f.is_empty])

    return {
        "roads": frame([{"class": c, "name": n} for c, n, _ in roads], [g for *_, g in roads]),
        "railways": frame([{"class": "railway", "name": "Demoford branch line"}], [rail]),
        "water": frame([{"class": "river", "name": "River Deme"}], [river_line.buffer(18.0)]),
        "greenspace": frame([{"class": "park", "name": f"{n} Park"} for n in
                             ("Victoria", "Memorial", "Brook", "Mill")], parks),
    }
