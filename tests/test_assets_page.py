"""The Community assets page (AppTest): place and move by clicking, partner payloads,
structured fields, coverage, and hostile text shown as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.disclosure.rules import Role
from geosoc.synth.demo import load_demo
from geosoc.ui.state import USER_KEY, VIEW_ROLE_KEY, SessionUser
from geosoc.workspace import Workspace
from tests.app_harness import session_workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "geosoc/ui/pages/assets.py"
HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}`"


@pytest.fixture
def page(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))

    def make(view: Role = Role.ANALYST) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
        at.session_state[VIEW_ROLE_KEY] = view.value
        at.switch_page(PAGE)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return make


def _click(at: AppTest, lon: float, lat: float) -> None:
    """Fake Leaflet's click, as streamlit-folium sends it back (``last_clicked``)."""
    component = next(c for c in at.get("component_instance")
                     if "streamlit_folium" in c.proto.component_name)
    key = re.search(r"-([0-9a-f]{64})$", component.proto.id).group(1)
    at.session_state[key] = {"last_clicked": {"lat": lat, "lng": lon}}
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def _payloads(at: AppTest) -> str:
    return "".join(c.proto.json_args for c in at.get("component_instance"))


def _ws(at: AppTest) -> Workspace:
    """The demo session's own workspace (each demo session edits its own copy)."""
    return Workspace.open(session_workspace(at))


def _view(at: AppTest, role: Role) -> AppTest:
    """Show the same session's page as ``role`` (the sidebar's preview)."""
    at.session_state[VIEW_ROLE_KEY] = role.value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_partner_places_an_asset_by_clicking_the_map(page, demo_dir) -> None:
    at = page(Role.PARTNER)
    next(r for r in at.radio if r.label == "Clicking the map").set_value(
        "Place a new asset").run()
    _click(at, -2.0511, 52.9791)
    assert any("New asset at 52.97910, -2.05110" in m.value for m in at.markdown)
    assert not any(t.label.startswith("Contact owner") for t in at.text_input)
    next(t for t in at.text_input if t.label == "Name").set_value("Clicked club")
    next(m for m in at.multiselect if m.label == "4P pillars it can serve").set_value(
        ["prevent"])
    next(b for b in at.button if b.label == "Add asset here").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Added Clicked club" in s.value for s in at.success)  # after the refresh
    with _ws(at) as ws:
        added = ws.assets.frame().set_index("name").loc["Clicked club"]
    assert (added["lon"], added["lat"], added["pillars"]) == (-2.0511, 52.9791, "prevent")
    assert added["updated_by"] == "demo"


def test_analyst_moves_an_asset_by_clicking_its_new_place(page, demo_dir) -> None:
    at = page(Role.ANALYST)
    next(r for r in at.radio if r.label == "Clicking the map").set_value(
        "Move an asset").run()
    asset_id = next(s for s in at.selectbox if s.label == "Asset to move").value
    _click(at, -2.0533, 52.9777)
    next(b for b in at.button if b.label == "Move it here").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with _ws(at) as ws:
        moved = ws.assets.get(asset_id)
        assert (moved["lon"], moved["lat"]) == (-2.0533, 52.9777)
        assert ws.assets.history(asset_id)["change"].tolist()[-1] == "edit"


def test_partner_page_holds_no_incident_points_or_contact_owner(page, demo_dir) -> None:
    at = page(Role.ANALYST)  # the session's register is seeded on its first visit
    with _ws(at) as ws:
        asset = ws.assets.frame().iloc[0]
        ws.assets.edit(asset["asset_id"], {"contact_owner": "DS Secret Owner"},
                       expected_version=int(asset["version"]), user="ana", role="analyst")
    at = _view(at, Role.PARTNER)
    payload = _payloads(at)
    assert payload
    incidents = load_demo(demo_dir).incidents
    assert find_point_leaks(payload, incidents) == []
    shown = payload + "".join(str(d.value.to_dict()) for d in at.dataframe)
    assert "DS Secret Owner" not in shown
    assert any(s.value.startswith("Coverage") for s in at.subheader)
    analyst = _view(at, Role.ANALYST)
    expander_tables = "".join(str(d.value.to_dict()) for d in analyst.dataframe)
    assert "DS Secret Owner" in expander_tables


def test_hostile_text_is_text_on_the_map_and_in_tables(page, demo_dir) -> None:
    at = page(Role.ANALYST)
    with _ws(at) as ws:
        ws.assets.add({"name": HOSTILE, "category": "youth", "lon": "-2.052",
                       "lat": "52.978", "capabilities_other": HOSTILE, "source": "test"},
                      user="ana", role="analyst")
    at = _view(at, Role.PARTNER)
    payload = _payloads(at)
    assert "<img src=x" not in payload and "${alert" not in payload
    tables = [d.value for d in at.dataframe]
    assert any((t == HOSTILE).any().any() for t in tables)  # verbatim, as text cells
