"""Real browser (Debian chromium): local base map tiles, month player, linked maps, change layer.

The app runs with ``[map] tiles`` naming an MBTiles file made with Pillow. Every page must
draw base map tiles fetched from the app's own address, with every other request blocked
and recorded (none may happen).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tile_fixtures import write_mbtiles

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PAGES = {"Locality profile": 4, "Sites": 1, "Phases & displacement": 4,
         "Community assets": 1, "Launch presentation": 1}
TILES_JS = """() => Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))
                     .filter(i => i.naturalWidth > 0).map(i => i.src)"""
CENTRES_JS = """() => Object.keys(window).filter(k => k.startsWith('map_') && window[k]
                  && window[k].getCenter).map(k => {const c = window[k].getCenter();
                  return [c.lat, c.lng, window[k].getZoom()];})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo = ensure_demo(tmp_path_factory.mktemp("demo"))
    folder = tmp_path_factory.mktemp("config")
    write_mbtiles(folder / "base.mbtiles", zooms=range(10, 15))
    (folder / "geosoc.toml").write_text(
        '[map]\ntiles = "base.mbtiles"\nattribution = "Test tiles"\n')
    ARTIFACTS.mkdir(exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo),
                         "GEOSOC_CONFIG": str(folder / "geosoc.toml")},
                    log=ARTIFACTS / "streamlit-browser-tiles.log") as url:
        yield url


def _tiles(app) -> list[list[str]]:
    from playwright.sync_api import Error as PlaywrightError

    out = []
    for frame in app.map_frames():
        try:
            out.append(frame.evaluate(TILES_JS))
        except PlaywrightError:
            out.append([])
    return out


def _wait_for_tiles(app, count: int, timeout_ms: int = 30_000) -> list[list[str]]:
    waited = 0
    while True:
        tiles = _tiles(app)
        if (len(tiles) >= count and all(tiles[:count])) or waited > timeout_ms:
            return tiles
        app.page.wait_for_timeout(500)
        waited += 500


def test_tiles_player_linked_maps_and_change_layer(server):
    from geosoc.ui.testing.browser import app_browser

    problems = {}
    with app_browser(server) as app:
        app.open()
        app.click_text("Explore the demo town")
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        app.idle(timeout_s=120)
        for title, count in PAGES.items():
            app.go_to(title)
            app.page.wait_for_timeout(300)
            app.idle(timeout_s=120)
            app.wait_for_maps(count, timeout_s=60)
            tiles = _wait_for_tiles(app, count)
            own = [[u for u in frame if u.startswith(server + "/app/static/tiles/")]
                   for frame in tiles]
            if len(own) < count or not all(own[:count]) or any(
                    len(a) != len(b) for a, b in zip(own, tiles, strict=False)):
                problems[title] = f"tiles per map (own address): {[len(t) for t in own]}"
            app.screenshot(ARTIFACTS / f"tiles-{title.split()[0].lower()}.png")

        app.go_to("Locality profile")
        app.idle(timeout_s=120)
        app.wait_for_maps(4, timeout_s=60)
        # the month player: Play steps the slider on its own
        thumb = app.page.locator('[data-testid="stSlider"]').filter(
            has=app.page.get_by_text("Month", exact=True)).locator(
            '[data-testid="stSliderThumbValue"]').first
        start = thumb.inner_text()
        app.page.get_by_role("button", name="▶ Play").first.click()
        app.page.wait_for_timeout(6000)
        after = thumb.inner_text()
        app.page.get_by_role("button", name="⏸ Pause").first.click()
        app.idle(timeout_s=60)
        assert after > start, f"playing did not move the slider ({start} -> {after})"

        # the linked maps: panning the left map moves the right one
        dual = next(f for f in app.map_frames() if f.evaluate(
            "() => document.querySelectorAll('.leaflet-container').length") == 2)
        dual.frame_element().scroll_into_view_if_needed()
        app.page.wait_for_timeout(500)
        before = dual.evaluate(CENTRES_JS)
        box = dual.frame_element().bounding_box()
        x, y = box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2
        app.page.mouse.move(x, y)
        app.page.mouse.down()
        app.page.mouse.move(x + 150, y + 60, steps=10)
        app.page.mouse.up()
        app.page.wait_for_timeout(1000)
        moved = dual.evaluate(CENTRES_JS)
        assert len(moved) == 2 and moved != before
        assert abs(moved[0][0] - moved[1][0]) < 1e-6 and abs(moved[0][1] - moved[1][1]) < 1e-6

        # the change layer: a click opens current / previous / difference / % change
        change = next(f for f in app.map_frames()
                      if f.evaluate("() => document.body.innerHTML.includes('cur_text')"))
        shapes = change.query_selector_all("path.leaflet-interactive")
        assert shapes
        change.frame_element().scroll_into_view_if_needed()
        shapes[len(shapes) // 2].click(force=True)
        change.wait_for_selector(".leaflet-popup-content", timeout=10_000)
        popup = change.inner_text(".leaflet-popup-content")
        for label in ("Current", "Previous", "Difference", "% change"):
            assert label in popup
        app.screenshot(ARTIFACTS / "profile-time-panels.png")
        assert app.blocked == [], f"non-local requests: {sorted(set(app.blocked))}"
        assert app.page_errors == [], app.page_errors
    assert problems == {}
