"""AppTest: the month player, the linked before/after maps, the change layer, local tiles."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest
from tile_fixtures import write_mbtiles

from geosoc.disclosure.rules import Role
from tests.app_harness import folium_payloads, open_page


@pytest.fixture
def app(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    return lambda page=None, view=None: open_page(page, view=view)


_payloads = folium_payloads


def _player_layer(at: AppTest) -> str:
    """The frame layer the player swaps into its map (feature_group_to_add)."""
    for payload in _payloads(at):
        layer = json.loads(payload).get("feature_group") or ""
        if '"period"' in layer:  # the frame's features carry their period
            return layer
    raise AssertionError("no player layer")


def test_profile_month_slider_and_play_step_through_months(app):
    at = app()
    slider = next(s for s in at.select_slider if s.label == "Month")
    assert slider.options[0] == "2023-01" and len(slider.options) == 36
    assert slider.value == "2023-01"
    first = _player_layer(at)
    slider.set_value("2024-06").run()
    assert not at.exception
    assert next(s for s in at.select_slider if s.label == "Month").value == "2024-06"
    moved = _player_layer(at)
    assert moved != first and "2024-06" in moved
    play = next(b for b in at.button if b.label.endswith("Play"))
    play.click().run()
    assert not at.exception
    assert at.session_state["pf_player_playing"] is True
    assert next(b for b in at.button if b.key == "pf_player_play").label.endswith("Pause")
    value = next(s for s in at.select_slider if s.label == "Month").value
    assert value > "2024-06"  # playing advanced at least one frame
    next(b for b in at.button if b.key == "pf_player_play").click().run()
    assert at.session_state["pf_player_playing"] is False


def test_public_preview_plays_quarters_and_shows_no_small_counts(app):
    at = app(view=Role.PUBLIC)
    slider = next(s for s in at.select_slider if s.label == "Quarter")
    assert slider.options[:2] == ["2023Q1", "2023Q2"]
    layer = _player_layer(at)
    assert "2023Q1" in layer
    # tooltips show rounded values or "suppressed": no 1-9 and nothing off the 5 grid
    import re

    shown = [int(v.replace(",", "")) for v in re.findall(r'"shown_text": ?"([\d,]+)"', layer)]
    assert shown and all(v % 5 == 0 and (v == 0 or v >= 10) for v in shown)


def test_linked_before_after_maps_and_the_change_layer(app):
    at = app()
    payloads = _payloads(at)
    dual = [p for p in payloads if ".sync(" in p]
    assert len(dual) == 1, "one pair of linked maps"
    args = json.loads(dual[0])
    assert any("leaflet.sync" in u for u in args["js_links"])
    assert all(u.startswith("/app/static/") for u in args["js_links"] + args["css_links"])
    change = [p for p in payloads if "% change" in p and "cur_text" in p]
    assert change, "a change map with current/previous/difference/% change"
    assert "GeoJsonPopup" in change[0] or "bindPopup" in change[0]
    table = next(d for d in at.dataframe if "% change" in d.value.columns)
    assert {"Difference", "% change"} <= set(table.value.columns)
    assert any(c.startswith("Current (") for c in table.value.columns)
    before = next(s for s in at.select_slider if s.label == "Before")
    before.set_value(("2023-01", "2023-03")).run()
    assert not at.exception
    assert any("per month" in m.value for m in at.markdown)  # unequal lengths: monthly means


def test_phases_compares_named_phases(app):
    at = app("phases")
    before = next(s for s in at.selectbox if s.label == "Before")
    after = next(s for s in at.selectbox if s.label == "After")
    assert before.value == "baseline" and after.value != "baseline"
    assert any(s.label == "Month" for s in at.select_slider)
    after.set_value("clear").run()
    assert not at.exception
    assert any("Before**: baseline" in m.value for m in at.markdown)


def test_a_configured_mbtiles_file_is_served_from_the_apps_own_address(app, tmp_path,
                                                                       monkeypatch):
    write_mbtiles(tmp_path / "base.mbtiles", zooms=range(11, 14))
    config = tmp_path / "geosoc.toml"
    config.write_text('[map]\ntiles = "base.mbtiles"\nattribution = "Test tiles"\n')
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    at = app()
    payload = _payloads(at)[0]
    assert "/app/static/tiles/" in payload and "Test tiles" in payload
    digest = payload.split("/app/static/tiles/")[1].split("/")[0]
    from geosoc.maps.tiles import TILES_DIR

    assert (TILES_DIR / digest / "manifest.json").is_file()
    assert list((TILES_DIR / digest).rglob("*.png"))
