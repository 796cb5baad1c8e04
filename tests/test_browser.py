"""The real app in headless Debian chromium: every page renders its maps with no internet.

Every non-local request is blocked and recorded (a CDN regression fails here), page errors
are recorded, and each page is screenshotted into ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: Page title in the navigation -> number of maps it shows.
PAGES = {"Locality profile": 4, "Sites": 1, "Phases & displacement": 4,
         "Community assets": 1, "Launch presentation": 1, "Data": 0, "Audit": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo = ensure_demo(tmp_path_factory.mktemp("demo"))
    _seed_hostile_asset(demo)
    log = ARTIFACTS / "streamlit-browser-test.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)}, log=log) as url:
        yield url


HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}`"


def _seed_hostile_asset(demo: Path) -> None:
    """Put an asset with a script-carrying name in the demo workspace (the assets page)."""
    from geosoc.workspace import Workspace

    with Workspace.open(demo / "demo-workspace.sqlite") as ws:
        ws.assets.add({"name": HOSTILE, "category": "youth", "sector": "faith",
                       "lon": "-2.052", "lat": "52.978", "source": "test"},
                      user="test", role="analyst")


def test_every_page_renders_offline(server):
    from geosoc.ui.testing.browser import app_browser

    problems = {}
    with app_browser(server) as app:
        app.open()
        app.click_text("Explore the demo town")
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        app.idle(timeout_s=90)
        app.wait_for_maps(1, timeout_s=60)
        before = len(app.sent_frames)
        assert before > 0  # the listener sees messages (the demo click sent one)
        app.pan_first_map()
        assert len(app.sent_frames) == before, "panning or zooming the map reran the script"
        for title, maps in PAGES.items():
            app.go_to(title)
            app.page.wait_for_timeout(300)
            app.idle(timeout_s=90)
            shapes = app.wait_for_maps(maps, timeout_s=60) if maps else []
            app.hover_shapes()
            app.screenshot(ARTIFACTS / f"page-{title.split()[0].lower()}.png")
            if maps and (len(shapes) < maps or not all(n > 0 for n in shapes[:maps])):
                problems[title] = f"maps without shapes: {shapes}"
            if app.alerts():
                problems[title] = f"errors shown: {app.alerts()}"
        app.go_to("Launch presentation")
        app.idle(timeout_s=60)
        app.page.get_by_text("Presentation mode", exact=False).first.click()
        app.idle(timeout_s=60)
        assert app.wait_for_maps(1, timeout_s=60)[0] > 0
        app.page.wait_for_timeout(2000)  # the columns settle after the sidebar goes
        app.screenshot(ARTIFACTS / "page-launch-presentation.png")
        assert app.blocked == [], f"non-local requests: {sorted(set(app.blocked))}"
        assert app.page_errors == [], app.page_errors
        assert app.dialogs == [], f"script from data ran: {app.dialogs}"
    assert problems == {}
