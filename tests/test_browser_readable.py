"""Every page, as analyst, partner and public, reads as words: the checks a non-analyst makes.

A real chromium walks each page of the demo in each viewing role, opens every folded
section, and reads the visible text and every table cell (Streamlit's data grid keeps an
accessible copy of its cells in the page). It fails on what a partner or a room of residents
should never have to read: an H3 id, an area code without its name, a float with more than
3 decimals, ``nan``/``None``/``NaT``, or a ``__`` key. Screenshots (1400 x 1000) go to
``test-artifacts/readable/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "readable"
PAGES = ("Locality profile", "Sites", "Phases & displacement", "Community assets",
         "Launch presentation", "Data", "Audit")
#: What no reader should meet, with a name for the failure message.
UNREADABLE = {
    "H3 id": re.compile(r"\b8[0-9a-f]{14}\b"),
    "code without its name": re.compile(r"(?<![(\w])[EWSNK]\d{8}\b(?!\))"),
    "float with more than 3 decimals": re.compile(r"(?<![\w.:])-?\d+\.\d{4,}(?![\w.])"),
    "nan/None/NaT": re.compile(r"\b(?:nan|NaN|None|NaT|<NA>)\b"),
    "__ key": re.compile(r"\b[A-Za-z0-9]+__[A-Za-z0-9_]+\b"),
}
#: The page's text, one line per element holding text directly (so that two legend entries
#: side by side are not read as one number), without Material icon ligatures.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[data-testid="stIconMaterial"], style, script, noscript')
      .forEach(e => e.remove());
  const lines = [];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text) lines.push(text);
  }
  return lines.join('\\n');
}"""
#: Every cell of every data grid and table (the grid's accessible copy).
TABLE_CELLS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stDataFrame"] td, [data-testid="stDataFrame"] th, '
  + '[data-testid="stTable"] td, [data-testid="stTable"] th')).map(e => e.innerText)"""


def unreadable(text: str) -> dict[str, list[str]]:
    """Return each rule's offending strings in ``text`` (empty when it reads as words)."""
    found = {name: sorted({m.group(0) for m in rule.finditer(text)})
             for name, rule in UNREADABLE.items()}
    return {name: hits[:6] for name, hits in found.items() if hits}


def test_the_rules_catch_what_they_name() -> None:
    raw = ("89195cc64d3ffff E05999013 0.8826086956521737 nan None __ nearest__youth "
           "Market Square (E05999013) 0.883 12.5% 2026-12-08 00:35 UTC")
    assert set(unreadable(raw)) == set(UNREADABLE)
    assert unreadable("Market Square (E05999013) 0.883 12.5% 2026-12-08 00:35 UTC") == {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo = ensure_demo(tmp_path_factory.mktemp("demo"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)},
                    log=ARTIFACTS / "streamlit-readable-test.log") as url:
        yield url


BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'


def _settle(app, timeout_s: float = 240.0) -> None:
    """Wait until the script has run to its end: no running status or spinner for 1.5 s."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        if app.page.query_selector(BUSY):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 1.5:
            return
        app.page.wait_for_timeout(250)
    raise AssertionError("the page never finished running")


def _read_page(app, slug: str) -> str:
    """Open every folded section, wait for the reruns, screenshot, and return all text."""
    from playwright.sync_api import Error as PlaywrightError

    for summary in app.page.query_selector_all('[data-testid="stExpander"] summary'):
        try:
            summary.click(timeout=2000)
        except PlaywrightError:  # a rerun replaced the element: the others still open
            continue
    _settle(app)
    app.screenshot(ARTIFACTS / f"{slug}.png")
    text = app.page.evaluate(VISIBLE_TEXT) + "\n" + "\n".join(app.page.evaluate(TABLE_CELLS))
    (ARTIFACTS / f"{slug}.txt").write_text(text, encoding="utf-8")  # what the reader read
    return text


def test_every_page_reads_as_words_for_every_role(server) -> None:
    from geosoc.ui.testing.browser import MAP_FRAME, app_browser

    problems: dict[str, dict[str, list[str]]] = {}
    with app_browser(server, width=1400, height=1000) as app:
        app.open()
        app.click_text("Explore the demo town")
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=90_000)
        app.idle(timeout_s=120)
        for role in ("analyst", "partner", "public"):
            if role != "analyst":
                app.page.locator('[data-testid="stSidebar"] label', has_text=role).first.click()
                app.idle(timeout_s=120)
            for title in PAGES:
                app.go_to(title)
                _settle(app)
                if app.page.query_selector(MAP_FRAME):  # partners see no Sites map
                    app.wait_for_maps(1, timeout_s=60)
                slug = f"{role}-{title.split()[0].lower()}"
                found = unreadable(_read_page(app, slug))
                if found:
                    problems[slug] = found
        assert app.page_errors == [], app.page_errors
    assert problems == {}, problems
