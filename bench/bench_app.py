"""Benchmark the real app in headless chromium on the demo town.

Measures, on the locality profile page:
* first load with a cold server (imports, demo town load, aggregation, Gi*, map render);
* first load in a new browser session on a warm server;
* a filter change (measure, geography, hot spot layer): click until the new map's shapes
  are drawn in the browser.

Targets (issue 7): first load < 5 s, filter change < 1.5 s. Run: ``python bench/bench_app.py``.
"""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import Error as PlaywrightError

from geosoc.synth.demo import ensure_demo
from geosoc.ui.testing.browser import MAP_SHAPES, AppSession, app_browser
from geosoc.ui.testing.server import app_server

MARK_OLD = f"() => document.querySelectorAll('{MAP_SHAPES}').forEach(p => p.dataset.old = 1)"
NEW_SHAPES = f"() => document.querySelectorAll('{MAP_SHAPES}:not([data-old])').length > 0"


def enter_demo(app: AppSession, read_s: float = 0.0) -> float:
    """Sign in to demo mode; return seconds until the profile map has drawn its shapes.

    ``read_s`` is how long the user looks at the sign-in page before clicking (the app
    preloads the demo town meanwhile); 0 clicks at once, the worst case.
    """
    app.open()
    app.page.wait_for_timeout(read_s * 1000)
    start = time.perf_counter()
    app.click_text("Explore the demo town")
    shapes = app.wait_for_maps(1, timeout_s=180)
    assert shapes and shapes[0] > 0, shapes
    return time.perf_counter() - start


def change(app: AppSession, label: str) -> float:
    """Click a radio option; return seconds until the rerun finished and new shapes show."""
    frame = app.map_frames()[0]
    frame.evaluate(MARK_OLD)
    start = time.perf_counter()
    app.page.get_by_text(label, exact=True).first.click()
    app.idle(timeout_s=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        frames = app.map_frames()  # the iframe is replaced when the map's content changes
        try:
            if frames and frames[0].evaluate(NEW_SHAPES):
                return time.perf_counter() - start
        except PlaywrightError:
            pass  # frame detached mid-check: look again
        app.page.wait_for_timeout(50)
    raise TimeoutError(f"no new map shapes after clicking {label!r}")


def main() -> None:
    """Run the benchmark and print a table."""
    demo = ensure_demo()
    rows = []
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)}) as url, app_browser(url) as app:
        rows.append(("first load, cold server, click at once", enter_demo(app), 5.0))
        blocked = list(app.blocked)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)}) as url:
        with app_browser(url) as app:
            rows.append(("first load, cold server, 3 s on sign-in page",
                         enter_demo(app, read_s=3.0), 5.0))
            blocked += app.blocked
        with app_browser(url) as app:
            rows.append(("first load, new session", enter_demo(app), 5.0))
            for first, second, what in (("count", "harm", "measure harm <-> count"),
                                        ("Wards", "H3 hexagons", "geography wards <-> H3"),
                                        ("Gi* hot spots", "Harm or count", "layer Gi* <-> value")):
                times = [change(app, first), change(app, second)]
                times += [change(app, first), change(app, second)]
                rows.append((f"filter change: {what} (median of 4)",
                             statistics.median(times), 1.5))
            blocked += app.blocked
    print(f"{'step':<48} {'seconds':>8} {'target':>7}")
    for step, seconds, target in rows:
        flag = "" if seconds <= target else "  (over target)"
        print(f"{step:<48} {seconds:8.2f} {target:7.1f}{flag}")
    print(f"non-local requests blocked: {len(blocked)} {sorted(set(blocked))}")


if __name__ == "__main__":
    main()
