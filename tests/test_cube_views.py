"""The app's views served from the stored cubes equal those from the points, for every role.

A workspace holding the demo town's incidents (police and three partners, one dataset each,
stored with their cubes) is read two ways: the points (``load_workspace_study``, record keys
attached as the app does) and the cubes' rows (``load_cube_study``). Every H3 layer at
resolutions 7-10, the monthly series, the headline and the contributions must be the same
tables, perturbation and suppression included; the Profile page must render with the points
unreadable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geosoc.aggregate.cells import cover_area, lonlat_to_cells
from geosoc.aggregate.tables import AREA_POSITION
from geosoc.config import server_key
from geosoc.disclosure.cell_key import attach_record_keys
from geosoc.disclosure.contribution import disclosed_contribution
from geosoc.disclosure.rules import Role
from geosoc.disclosure.tables import (
    disclosed_areas,
    disclosed_cells,
    disclosed_series,
    disclosed_totals,
)
from geosoc.engine.cube import KEYS, combine_cubes, partition_cube
from geosoc.engine.cube_rows import CUBE_RESOLUTIONS, rows_column
from geosoc.engine.stored import stored_cube_builder, stored_cube_spec, stored_harm_cube
from geosoc.ingest import Ingested, read_boundaries
from geosoc.ingest.report import IngestReport
from geosoc.report.table_labels import source_label
from geosoc.synth.demo import load_demo
from geosoc.ui.cube_study import cube_views_missing, load_cube_study, served_area_kinds
from geosoc.ui.state import USER_KEY, VIEW_ROLE_KEY, SessionUser
from geosoc.ui.study import lean_incidents, load_workspace_study, with_activity_layer
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import load_areas, store_dataset
from tests.app_harness import APP, PAGES, assert_ok

ROLES = [r.value for r in Role]


def _store(ws: Workspace, frame: pd.DataFrame, name: str, **options: object) -> None:
    store_dataset(ws, Ingested(frame.reset_index(drop=True), IngestReport(source=name,
                                                                          kind="points")),
                  name=name, kind="incidents", user="ana", role="analyst", **options)


@pytest.fixture(scope="module")
def cube_workspace(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo town's incidents, one dataset per source, stored with their cubes."""
    path = tmp_path_factory.mktemp("cubes") / "force.sqlite"
    incidents = load_demo(demo_dir).incidents
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery", "analyst")
        store_dataset(ws, read_boundaries(demo_dir / "boundaries" / "wards.geojson",
                                          kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
        # as `geosoc ingest` does: the cube located in the boundaries stored before
        builder = stored_cube_builder({"ward": load_areas(ws, "ward")})
        for source, part in incidents.groupby("source"):
            _store(ws, part, str(source), cube=builder)
    return path


@pytest.fixture(scope="module")
def both(cube_workspace: Path) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, object]]:
    """Per role: the keyed points, the cubes' rows and the points' study."""
    out = {}
    for role in ROLES:
        points = load_workspace_study(cube_workspace, role=role)
        rows = load_cube_study(cube_workspace, role=role)
        assert rows is not None
        keyed = attach_record_keys(lean_incidents(points.incidents), server_key())
        out[role] = (with_activity_layer(keyed), with_activity_layer(rows.incidents), points)
    return out


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and a.index.equals(b.index)
    numeric = [c for c in a.columns if pd.api.types.is_numeric_dtype(a[c])
               and not pd.api.types.is_bool_dtype(a[c])]
    pd.testing.assert_frame_equal(a[numeric], b[numeric], check_exact=False, rtol=1e-9,
                                  atol=1e-9)
    other = [c for c in a.columns if c not in numeric and c != "geometry"]
    pd.testing.assert_frame_equal(a[other], b[other])


def test_cube_rows_are_far_fewer_and_hold_every_event(both) -> None:
    points, rows, _ = both["analyst"]
    assert rows["events"].sum() == len(points)
    assert len(rows) < len(points)
    np.testing.assert_allclose(rows["harm"].sum(), points["harm"].sum(), rtol=1e-12)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resolution", CUBE_RESOLUTIONS)
def test_h3_layers_from_the_cube_equal_the_points(both, role: str, resolution: int) -> None:
    points, rows, study = both[role]
    cover = cover_area(study.areas["ward"], resolution)
    located = points.assign(h3=lonlat_to_cells(points["lon"].to_numpy(),
                                               points["lat"].to_numpy(), resolution))
    located.attrs["h3_resolution"] = resolution
    cells = rows.assign(h3=rows[rows_column(resolution)].to_numpy())
    cells.attrs["h3_resolution"] = resolution
    expected = disclosed_cells(located, role, resolution=resolution, cover=cover, by="source")
    got = disclosed_cells(cells, role, resolution=resolution, cover=cover, by="source")
    _assert_same(expected, got)
    if role != "analyst":  # the perturbation came from the record keys, not a fallback
        assert "count" in got and got["count"].dropna().sum() > 0


@pytest.mark.parametrize("role", ROLES)
def test_series_headline_and_contribution_from_the_cube_equal_the_points(both, role) -> None:
    points, rows, study = both[role]
    months = ("2024-02", "2024-07")
    for by in (None, "source", "category"):
        _assert_same(disclosed_series(points, role, by=by, months=months),
                     disclosed_series(rows, role, by=by, months=months))
    assert disclosed_totals(points, role) == pytest.approx(disclosed_totals(rows, role))
    _assert_same(disclosed_contribution(points, role, owners=study.owners),
                 disclosed_contribution(rows, role, owners=study.owners))


@pytest.mark.parametrize("role", ROLES)
def test_ward_layers_from_the_cube_equal_the_points(both, role: str) -> None:
    points, rows, study = both[role]
    assert "area_ward" in rows.columns  # the cube was located in the stored wards
    wards = study.areas["ward"]
    expected = disclosed_areas(points, wards, role, by="source")
    got = disclosed_areas(rows.assign(**{AREA_POSITION: rows["area_ward"].to_numpy()}),
                          wards, role, by="source")
    _assert_same(expected, got)
    assert got.attrs["unlocated_count"] == expected.attrs["unlocated_count"]


def test_boundaries_replaced_after_the_incidents_are_not_served_from_the_cube(
        demo_dir: Path, tmp_path: Path) -> None:
    incidents = load_demo(demo_dir).incidents
    wards = read_boundaries(demo_dir / "boundaries" / "wards.geojson", kind="ward")
    path = tmp_path / "replaced.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery", "analyst")
        store_dataset(ws, wards, name="wards", kind="boundaries", user="ana", role="analyst")
        _store(ws, incidents[incidents["source"] == "police"], "police",
               cube=stored_cube_builder({"ward": load_areas(ws, "ward")}))
        assert served_area_kinds(ws, "analyst") == ["ward"]
        fewer = Ingested(wards.data.iloc[:-1], wards.report)  # one ward dropped: other areas
        store_dataset(ws, fewer, name="wards", kind="boundaries", user="ana", role="analyst",
                      replace=True)
        assert served_area_kinds(ws, "analyst") == []
    study = load_cube_study(path, role="analyst")
    assert study is not None and "area_ward" not in study.incidents.columns


def test_the_cube_keeps_the_point_holding_cell_at_each_resolution(demo_dir: Path) -> None:
    """Not the parent of the resolution-10 cell: they differ for points near cell edges."""
    police = load_demo(demo_dir).incidents
    police = pd.DataFrame(police[police["source"] == "police"][
        ["incident_id", "lon", "lat", "month", "category", "source"]]).reset_index(drop=True)
    cube, info = stored_harm_cube([police])
    assert info["view_resolutions"] == [9, 8, 7] and info["key_check"]
    lon, lat = police["lon"].to_numpy(), police["lat"].to_numpy()
    differ = 0
    for resolution in (9, 8, 7):
        own = pd.Series(1, index=lonlat_to_cells(lon, lat, resolution)).groupby(level=0).sum()
        stored = cube.groupby(f"h3_{resolution}")["count"].sum()
        pd.testing.assert_series_equal(stored.sort_index(), own.sort_index(),
                                       check_names=False, check_index_type=False)
        from geosoc.aggregate.cells import parent_cells
        differ += int((parent_cells(lonlat_to_cells(lon, lat, 10), resolution)
                       != lonlat_to_cells(lon, lat, resolution)).sum())
    assert differ > 0  # so storing the parents only would have changed the layers
    harm = [*KEYS, "count", "harm_micro"]  # and its harm half is the engine's cube
    pd.testing.assert_frame_equal(combine_cubes([cube[harm]]),
                                  partition_cube(police, stored_cube_spec()))


def test_a_cube_without_views_or_under_another_key_falls_back_to_the_points(
        demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    incidents = load_demo(demo_dir).incidents
    path = tmp_path / "old.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery", "analyst")
        _store(ws, incidents[incidents["source"] == "police"], "police", cube=stored_harm_cube)
        store_dataset(ws, read_boundaries(demo_dir / "boundaries" / "wards.geojson",
                                          kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
        assert cube_views_missing(ws, "partner") == []
    assert load_cube_study(path, role="partner") is not None
    # another server key: partner and public sums are unusable, the analyst's view is not
    monkeypatch.setenv("GEOSOC_AUDIT_KEY", "ab" * 32)
    with Workspace.open(path) as ws:
        assert cube_views_missing(ws, "partner") == ["police"]
        assert cube_views_missing(ws, "analyst") == []
    assert load_cube_study(path, role="public") is None
    assert load_cube_study(path, role="analyst") is not None
    monkeypatch.delenv("GEOSOC_AUDIT_KEY")
    with Workspace.open(path) as ws:  # a dataset stored without a cube (an older ingest)
        _store(ws, incidents[incidents["source"] == "fire"], "fire")
        assert cube_views_missing(ws, "analyst") == ["fire"]
    assert load_cube_study(path, role="analyst") is None


def test_profile_renders_from_the_cubes_without_reading_a_point(
        cube_workspace: Path, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geosoc.workspace.study as workspace_study

    def no_points(*_: object, **__: object) -> None:
        raise AssertionError("the Profile read the points")

    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    monkeypatch.setattr(workspace_study, "load_incidents", no_points)
    for role, geography in ((Role.ANALYST, "H3 hexagons"), (Role.PARTNER, "H3 hexagons"),
                            (Role.ANALYST, "Wards"), (Role.PARTNER, "Wards")):
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state[USER_KEY] = SessionUser("ana", Role.ANALYST,
                                                 workspace=str(cube_workspace))
        at.session_state[VIEW_ROLE_KEY] = role.value  # the analyst previews the partner view
        at.switch_page(str(PAGES / "profile.py"))
        at.session_state["pf_geography"] = geography
        at.run()
        assert_ok(at)
        assert "Locality profile" in at.title[0].value
        sources = next(w for w in at.sidebar.multiselect if w.label == "Sources")
        assert sources.options == [source_label(s) for s in (
                "police", "council_asb", "fire", "health_ae")]
        events = next(m for m in at.metric if m.label == "Events")
        total = len(load_demo(demo_dir).incidents)
        if role is Role.ANALYST:
            assert events.value == f"{total:,.0f}"
        else:  # a sum of released base values, as from the points (~0.1% off)
            assert abs(int(events.value.replace(",", "")) - total) <= 0.005 * total
