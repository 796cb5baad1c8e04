"""The app's force-scale paths give exactly what the point paths give, for every role.

On the demo town (real ingest path): the raster-index point location of site ranking, the
record keys computed once per study, the geometry-free frame the layers aggregate, the
compact deck.gl map, the display simplification (geometry only, never values) and the
rendered-map cache keyed by role.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.aggregate import build_area_index
from geosoc.aggregate.cells import cover_area
from geosoc.disclosure.cell_key import attach_record_keys, record_keys
from geosoc.disclosure.rules import Role
from geosoc.disclosure.tables import (
    disclosed_areas,
    disclosed_cells,
    disclosed_series,
    disclosed_totals,
)
from geosoc.harm import apply_harm_weights
from geosoc.sites import components
from geosoc.synth.demo import ensure_demo, load_demo
from geosoc.ui.study import Study, with_activity_layer

SECRET = b"test-secret-for-app-scale-0000000"


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    return load_demo(ensure_demo(tmp_path_factory.mktemp("demo")))


@pytest.fixture(scope="module")
def incidents(town):
    return apply_harm_weights(town.incidents, None, unknown=1.0)


def test_index_location_equals_the_strtree(town, monkeypatch):
    points = town.incidents.geometry.to_numpy()
    for candidates in (town.wards.geometry, town.lsoas.geometry):
        monkeypatch.setattr(components, "INDEX_MIN_POINTS", 0)
        fast = components.locate_points(points, candidates)
        monkeypatch.setattr(components, "INDEX_MIN_POINTS", 10**12)
        slow = components.locate_points(points, candidates)
        assert len(fast[0]) > 1000
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])


def test_index_location_counts_a_shared_edge_once_for_the_first(monkeypatch):
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    import geopandas as gpd

    points = shapely.points([1.0, 0.5, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5])
    monkeypatch.setattr(components, "INDEX_MIN_POINTS", 0)
    pts, cand = components.locate_points(points, gpd.GeoSeries([left, right]))
    assert pts.tolist() == [0, 1, 2] and cand.tolist() == [0, 0, 1]


@pytest.mark.parametrize("months,categories,sources", [
    (("2023-06", "2023-09"), (), ()), ((), ("Anti-social behaviour",), ()),
    ((), (), ("police",)), (("2024-01", "2024-12"), ("Drugs", "Burglary"), ("police",))])
def test_keys_once_per_study_equal_keys_after_filtering(incidents, months, categories,
                                                        sources):
    study = Study("t", incidents, {}, incidents.iloc[:0], incidents.iloc[:0])
    keyed_once = Study("t", attach_record_keys(incidents, SECRET), {}, incidents.iloc[:0],
                       incidents.iloc[:0]).filtered(months, categories, sources)
    after = study.filtered(months, categories, sources)
    assert len(after) > 0
    np.testing.assert_array_equal(keyed_once["record_key"].to_numpy(),
                                  record_keys(after, SECRET))


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER, Role.PUBLIC])
def test_geometry_free_frame_gives_identical_disclosed_tables(town, incidents, role):
    light = pd.DataFrame(incidents.drop(columns="geometry"))
    cover = cover_area(town.wards, 8)
    index = build_area_index(town.wards)
    results = []
    for frame in (incidents, light):
        keyed = with_activity_layer(attach_record_keys(frame, SECRET))
        results.append((
            disclosed_cells(keyed, role, resolution=8, cover=cover, by="source",
                            secret=SECRET),
            disclosed_areas(keyed, town.wards, role, by="source", index=index,
                            secret=SECRET),
            disclosed_series(keyed, role, by="source", secret=SECRET),
            disclosed_totals(keyed, role, secret=SECRET)))
    for point_path, light_path in zip(*results, strict=True):
        if isinstance(point_path, tuple):
            assert point_path == light_path
        else:
            pd.testing.assert_frame_equal(pd.DataFrame(point_path), pd.DataFrame(light_path))


def test_deck_cells_map_is_compact_offline_and_complete(town, incidents):
    from geosoc import maps
    from geosoc.maps.deck_cells import deck_cells_map, outline_paths

    cells = disclosed_cells(incidents, Role.PARTNER, resolution=8,
                            cover=cover_area(town.wards, 8), secret=SECRET)
    cells = cells.assign(shown=cells["harm"])
    scale = maps.quantile_scale(cells["shown"].fillna(0))
    deck = deck_cells_map(cells, scale.colour(cells["shown"].fillna(0)),
                          tooltip={"shown": "Harm", "count": "Events"},
                          outlines=outline_paths(town.wards), bounds=tuple(town.wards.total_bounds))
    text = deck.to_json()
    spec = json.loads(text)
    assert "\n" not in text and deck.to_json() is text  # compact, encoded once
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert [r["hex"] for r in layers["cells"]["data"]] == list(cells.index)
    shown = [r["t0"] for r in layers["cells"]["data"]]
    assert shown == ["" if pd.isna(v) else pytest.approx(v) for v in cells["shown"].round(1)]
    assert "" in shown  # suppressed partner cells show nothing, not a number
    assert len(layers["outlines"]["data"]) >= len(town.wards)
    assert spec.get("mapProvider") is None and "http" not in text


def test_display_simplification_never_caches_values(town):
    from geosoc.ui.caching.basemaps import display_areas

    first = town.wards.assign(score=1.0)
    second = town.wards.assign(score=2.0)
    a, b = display_areas(first), display_areas(second)
    assert (a["score"] == 1.0).all() and (b["score"] == 2.0).all()
    assert a.geometry.equals(b.geometry)
    coords = shapely.get_num_coordinates(a.geometry.to_numpy()).sum()
    assert coords <= shapely.get_num_coordinates(town.wards.geometry.to_numpy()).sum()
    assert (a.geometry.hausdorff_distance(town.wards.geometry, align=True) < 1e-4).all()


def test_rendered_maps_are_keyed_by_role(tmp_path_factory, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from geosoc.ui.state import USER_KEY, VIEW_ROLE_KEY, SessionUser

    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(ensure_demo(tmp_path_factory.mktemp("d2"))))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
    at.run()
    next(r for r in at.radio if r.label == "Geography").set_value("Wards").run()

    def payload() -> str:
        assert not at.exception, [e.message for e in at.exception]
        return next(c.proto.json_args for c in at.get("component_instance")
                    if "streamlit_folium" in c.proto.component_name)

    analyst = payload()
    at.session_state[VIEW_ROLE_KEY] = Role.PARTNER.value
    at.run()
    partner = payload()
    assert partner != analyst  # not the analyst's cached map
    at.run()
    assert payload() == partner  # a rerun that changes nothing is served from the cache
