"""Community assets in the real app (headless Debian chromium): a partner places an asset
by clicking the map and moves one, and nothing the server sends holds an incident point."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: Where to click inside the map frame (fractions of its width and height), tried in turn
#: until a click lands on the map rather than on a marker cluster.
SPOTS = ((0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7), (0.5, 0.15), (0.15, 0.5))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    require_browser()
    from geosoc.synth.demo import ensure_demo

    return ensure_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def server(demo):
    from geosoc.ui.testing.server import app_server

    ARTIFACTS.mkdir(exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)},
                    log=ARTIFACTS / "streamlit-assets-browser.log") as url:
        yield url


def _click_map_until(app, text: str, timeout_s: float = 120.0) -> None:
    """Click spots of the map until the page shows ``text``.

    A marker may be in the way, and after a mode change the new map (first in the page)
    may still be starting while the old one is on its way out: keep trying, in turn.
    """
    from geosoc.ui.testing.browser import MAP_FRAME

    deadline = time.monotonic() + timeout_s
    for fx, fy in itertools.cycle(SPOTS):
        boxes = [h.bounding_box() for h in app.page.query_selector_all(MAP_FRAME)]
        box = next((b for b in boxes if b and b["height"] > 0), None)
        if box is not None:
            app.page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            app.page.wait_for_timeout(1500)
            app.idle(timeout_s=60)
            if app.page.get_by_text(text, exact=False).count():
                return
        else:
            app.page.wait_for_timeout(300)
        if time.monotonic() > deadline:
            app.screenshot(ARTIFACTS / "page-assets-click-failed.png")
            raise AssertionError(f"no map click produced {text!r}")


def _session_workspace(demo: Path) -> Path:
    """The browser session's own copy of the demo workspace (the newest session's)."""
    copies = sorted((demo / "sessions").glob("*/demo-workspace.sqlite"),
                    key=lambda p: p.stat().st_mtime)
    assert copies, "the demo session made no workspace of its own"
    return copies[-1]


def _asset(demo: Path, name: str) -> dict[str, object] | None:
    from geosoc.workspace import Workspace

    with Workspace.open(_session_workspace(demo)) as ws:
        frame = ws.assets.frame()
    rows = frame[frame["name"] == name]
    return None if rows.empty else rows.iloc[0].to_dict()


def _register(demo: Path):
    from geosoc.workspace import Workspace

    with Workspace.open(_session_workspace(demo)) as ws:
        return ws.assets.frame().set_index("asset_id")[["version", "lon", "lat"]]


def test_partner_places_and_moves_an_asset_and_gets_no_points(server, demo) -> None:
    from geosoc.disclosure.point_leaks import find_point_leaks
    from geosoc.synth.demo import load_demo
    from geosoc.ui.testing.browser import app_browser

    received: list[str] = []
    with app_browser(server) as app:
        app.page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received
                                                  .append(payload if isinstance(payload, str)
                                                          else payload.decode("latin-1"))))
        app.open()
        app.click_text("Explore the demo town")
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        app.idle(timeout_s=90)
        app.page.locator('[data-testid="stSidebar"]').get_by_text(
            "partner", exact=True).first.click()
        app.idle(timeout_s=60)
        app.go_to("Community assets")
        app.idle(timeout_s=90)
        assert app.wait_for_maps(1, timeout_s=60)[0] > 0
        received.clear()  # from here on, every message is the assets page for a partner

        app.click_text("Place a new asset")
        app.idle(timeout_s=60)
        app.wait_for_maps(1, timeout_s=60)
        _click_map_until(app, "New asset at")
        app.page.get_by_label("Name", exact=True).first.fill("Browser placed club")
        app.page.wait_for_timeout(300)
        app.click_text("Add asset here")
        app.page.wait_for_timeout(1000)
        app.idle(timeout_s=60)
        app.page.get_by_text("Added Browser placed club", exact=False).wait_for()
        placed = _asset(demo, "Browser placed club")
        assert placed is not None and placed["updated_by"] == "demo"

        app.click_text("Move an asset")
        app.idle(timeout_s=60)
        app.wait_for_maps(1, timeout_s=60)
        before = _register(demo)
        _click_map_until(app, "Move from")
        app.click_text("Move it here")
        app.page.wait_for_timeout(1000)
        app.idle(timeout_s=60)
        app.page.get_by_text(re.compile(r"Moved .* to ")).wait_for()
        after = _register(demo)
        app.screenshot(ARTIFACTS / "page-assets-partner-edit.png")
        assert app.alerts() == []
        assert app.page_errors == [], app.page_errors
        assert app.blocked == [], sorted(set(app.blocked))
    changed = after["version"] != before["version"]
    assert changed.sum() == 1  # exactly one asset moved, by one new version
    assert (after.loc[changed, "version"] == before.loc[changed, "version"] + 1).all()
    assert not after.loc[changed, ["lon", "lat"]].equals(before.loc[changed, ["lon", "lat"]])
    payload = "".join(received)
    assert "last_clicked" in payload or len(payload) > 10_000  # the listener saw the page
    assert find_point_leaks(payload, load_demo(demo).incidents) == []
