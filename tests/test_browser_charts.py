"""The interactive charts in headless Debian chromium: they draw offline and answer a hover.

Vega-Lite (bundled with Streamlit) renders each chart; hovering over it shows the Vega
tooltip (``#vg-tooltip-element``) with the value under the pointer. Every non-local request is
blocked and recorded, so a chart library fetched from a CDN fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHART = '[data-testid="stVegaLiteChart"]'
TOOLTIP = "#vg-tooltip-element"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo = ensure_demo(tmp_path_factory.mktemp("demo"))
    ARTIFACTS.mkdir(exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)},
                    log=ARTIFACTS / "streamlit-charts-test.log") as url:
        yield url


def _hover_tooltip(app, chart_index: int, *, at: tuple[float, float]) -> str:
    """Hover chart ``chart_index`` at fractions ``at`` of its box; return the tooltip text."""
    chart = app.page.locator(CHART).nth(chart_index)
    for _attempt in range(4):  # maps drawing below can still move the page: measure again
        chart.scroll_into_view_if_needed()
        app.page.wait_for_timeout(300)
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"chart not drawn: {box}"
        x, y = box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1]
        for dx in (0, 6, -6, 12):  # a move onto the plot fires pointerover, then the tooltip
            app.page.mouse.move(x + dx, y, steps=4)
            app.page.wait_for_timeout(250)
            tip = app.page.locator(TOOLTIP)
            if tip.count() and tip.first.is_visible() and tip.first.inner_text().strip():
                return tip.first.inner_text()
        app.page.mouse.move(1, 1)
        app.page.wait_for_timeout(1000)
    return ""


def _sidebar_months(app) -> list[str]:
    """The sidebar month slider's two values."""
    return app.page.locator('[data-testid="stSidebar"] [data-testid="stSliderThumbValue"]'
                            ).all_inner_texts()


def test_charts_show_values_on_hover_offline(server):
    from geosoc.ui.testing.browser import app_browser

    with app_browser(server) as app:
        app.open()
        app.click_text("Explore the demo town")
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        app.idle(timeout_s=90)
        # the Lorenz curve and the trend by source come first (partner charts follow)
        app.page.wait_for_function(f"document.querySelectorAll('{CHART}').length >= 2",
                                   timeout=60_000)
        # the trend: hover anywhere picks the nearest month and lists every source's value
        trend = _hover_tooltip(app, 1, at=(0.5, 0.45))
        app.screenshot(ARTIFACTS / "charts-profile-hover.png")
        assert "Police recorded crime" in trend, trend
        assert re.search(r"\d{1,3}(,\d{3})+|\d{2,}", trend), trend
        assert "Value shown" in trend and "Harm per month" in trend
        lorenz = _hover_tooltip(app, 0, at=(0.6, 0.5))
        assert "Share of cells" in lorenz and "%" in lorenz, lorenz

        # drag across a stretch of the trend: the sidebar's months follow, on every page
        before = _sidebar_months(app)
        box = app.page.locator(CHART).nth(1).bounding_box()
        y = box["y"] + box["height"] * 0.35
        app.page.mouse.move(box["x"] + box["width"] * 0.45, y)
        app.page.mouse.down()
        app.page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=10)
        app.page.mouse.up()
        app.page.wait_for_timeout(500)
        app.idle(timeout_s=120)
        after = _sidebar_months(app)
        app.screenshot(ARTIFACTS / "charts-profile-brushed.png")
        assert before == ["2023-01", "2025-12"] and after != before, (before, after)
        assert before[0] < after[0] <= after[1] < before[1]
        app.page.mouse.move(1, 1)

        app.go_to("Phases & displacement")
        app.idle(timeout_s=120)
        app.page.wait_for_selector(CHART, timeout=60_000)
        phases = _hover_tooltip(app, 0, at=(0.5, 0.4))
        app.screenshot(ARTIFACTS / "charts-phases-hover.png")
        assert "Phase" in phases and "CHB site" in phases, phases

        app.go_to("Launch presentation")
        app.idle(timeout_s=90)
        app.page.wait_for_selector(CHART, timeout=60_000)
        bars = _hover_tooltip(app, 0, at=(0.5, 0.75))
        assert "Quarter" in bars and re.search(r"\d", bars), bars
        assert app.blocked == [], f"non-local requests: {sorted(set(app.blocked))}"
        assert app.page_errors == [], app.page_errors
