"""Drive the running app in headless Debian chromium (playwright) for tests and benchmarks.

Every request that does not go to the app's own host is blocked **and recorded**, so a map
that reaches for a CDN fails the browser test instead of silently working on a networked
machine. Page errors (uncaught JavaScript exceptions, in any frame) are recorded too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Dialog, Frame, Page, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-extensions", "--no-first-run"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
MAP_SHAPES = "path.leaflet-interactive"


@dataclass
class AppSession:
    """One browser tab on the app, with what it tried to fetch elsewhere and what broke."""

    page: Page
    base_url: str
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    sent_frames: list[int] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> None:
        """Load a URL of the app and wait for Streamlit's first render."""
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self.page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)

    def idle(self, timeout_s: float = 60.0) -> None:
        """Wait until the script has finished running (no running-status widget)."""
        self.page.wait_for_timeout(150)
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=timeout_s * 1000)

    def click_text(self, text: str) -> None:
        """Click the first visible button or link with this exact text."""
        self.page.get_by_text(text, exact=True).first.click()

    def go_to(self, title: str) -> None:
        """Switch page through the sidebar navigation (keeps the session signed in)."""
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()

    def map_frames(self) -> list[Frame]:
        """Return the content frames of every ``st_folium`` map on the page."""
        frames = []
        for handle in self.page.query_selector_all(MAP_FRAME):
            frame = handle.content_frame()
            if frame is not None:
                frames.append(frame)
        return frames

    def wait_for_maps(self, count: int, timeout_s: float = 60.0) -> list[int]:
        """Wait until ``count`` maps show vector shapes; return the shape count of each."""
        deadline = time.monotonic() + timeout_s
        self.page.wait_for_selector(MAP_FRAME, state="attached", timeout=timeout_s * 1000)
        while True:
            try:
                shapes = [len(f.query_selector_all(MAP_SHAPES)) for f in self.map_frames()]
            except PlaywrightError:  # a rerun replaced a map frame mid-count: count again
                shapes = []
            if len(shapes) >= count and all(n > 0 for n in shapes[:count]):
                return shapes
            if time.monotonic() > deadline:
                return shapes
            self.page.wait_for_timeout(200)

    def pan_first_map(self) -> None:
        """Drag the first map 120 px right and zoom in once, as a user exploring it would."""
        box = self.page.query_selector(MAP_FRAME).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + 120, y + 40, steps=8)
        self.page.mouse.up()
        self.page.mouse.wheel(0, -300)
        self.page.wait_for_timeout(1500)

    def hover_shapes(self, limit: int = 20) -> None:
        """Hover over the first and last shapes of every map, opening their tooltips.

        The last shapes are the markers and outlines added after the data layer.
        """
        for frame in self.map_frames():
            try:
                shapes = frame.query_selector_all(MAP_SHAPES)
            except PlaywrightError:
                continue  # the map frame was replaced by a rerun meanwhile
            for shape in shapes[:limit] + shapes[-limit:]:
                try:
                    shape.hover(timeout=2000, force=True)
                except PlaywrightError:
                    continue  # hidden under another shape

    def alerts(self) -> list[str]:
        """Return the text of exceptions and error boxes Streamlit shows."""
        boxes = self.page.query_selector_all(
            '[data-testid="stException"], [data-testid="stAlertContentError"]')
        return [b.inner_text()[:300] for b in boxes]

    def screenshot(self, path: Path) -> None:
        """Save a full-page screenshot."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)


@contextmanager
def app_browser(base_url: str, *, width: int = 1500, height: int = 1000
                ) -> Iterator[AppSession]:
    """Open headless chromium on the app, blocking and recording non-local requests.

    Parameters
    ----------
    base_url : str
        The app's URL (``http://127.0.0.1:<port>``).
    width, height : int
        Viewport size in pixels.

    Yields
    ------
    AppSession
    """
    allowed = urlsplit(base_url).netloc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(90_000)  # a loaded 2-core CI machine can be slow
        page = context.new_page()
        session = AppSession(page, base_url)

        def route(route_: Route) -> None:
            url = route_.request.url
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about") or parts.netloc == allowed:
                route_.continue_()
            else:
                session.blocked.append(url)
                route_.abort()

        context.route("**/*", route)
        page.on("pageerror", lambda error: session.page_errors.append(str(error)))

        def dialog(box: Dialog) -> None:  # alert()/confirm() from injected script
            session.dialogs.append(box.message)
            box.dismiss()

        page.on("dialog", dialog)
        # every message the page sends to the server (a rerun request is one of them)
        page.on("websocket", lambda ws: ws.on(
            "framesent", lambda payload: session.sent_frames.append(len(payload))))
        try:
            yield session
        finally:
            context.close()
            browser.close()
