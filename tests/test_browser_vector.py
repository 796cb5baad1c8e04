"""Real browser (Debian chromium): the labelled vector base draws in the app, from its own address.

The demo town (nothing configured) draws its own vector base; a workspace on the real City of
London data draws the cut ``geosoc basemap`` made of the shared central London archive. On
every map the base tiles and the label tiles are painted canvases, the archive is read by
range requests (HTTP 206) from the app's own address, and no other request is made.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: Painted canvases per map frame: base tiles with more than one colour, label tiles with an
#: opaque pixel (a name was drawn).
PAINTED_JS = """() => {
    const painted = (sel, test) => Array.from(document.querySelectorAll(sel)).filter(c => {
        if (!c.width) { return false; }
        return test(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }).length;
    return [painted('.leaflet-tile-pane canvas', d => { for (let i = 4; i < d.length; i += 4) {
                if (d[i] !== d[0] || d[i + 1] !== d[1]) { return true; } } return false; }),
            painted('.leaflet-vector-labels-pane canvas', d => {
                for (let i = 3; i < d.length; i += 4) { if (d[i] > 200) { return true; } }
                return false; })];
}"""


def _painted(app, count: int, timeout_ms: int = 30_000) -> list[list[int]]:
    from playwright.sync_api import Error as PlaywrightError

    waited = 0
    while True:
        try:
            out = [f.evaluate(PAINTED_JS) for f in app.map_frames()]
        except PlaywrightError:  # a rerun replaced a frame mid-count
            out = []
        if ((len(out) >= count and all(b and labels for b, labels in out[:count]))
                or waited > timeout_ms):
            return out
        app.page.wait_for_timeout(500)
        waited += 500


def _check_profile(url: str, sign_in, shot: str) -> None:
    from geosoc.ui.testing.browser import app_browser

    with app_browser(url, width=1400, height=1000) as app:
        reads: list[tuple[int, str]] = []
        app.page.on("response", lambda r: reads.append((r.status, r.url))
                    if "/tiles/vector/" in r.url else None)
        app.open()
        sign_in(app)
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=90_000)
        app.idle(timeout_s=120)
        app.go_to("Locality profile")
        app.page.wait_for_timeout(300)
        app.idle(timeout_s=120)
        app.wait_for_maps(4, timeout_s=60)
        painted = _painted(app, 4)
        app.screenshot(ARTIFACTS / shot)
        assert len(painted) >= 4 and all(b > 0 and labels > 0 for b, labels in painted[:4]), \
            painted
        assert reads and all(s == 206 and u.startswith(url) for s, u in reads), reads[:5]
        assert app.blocked == [] and app.page_errors == []


def test_the_demo_profile_maps_draw_the_demo_towns_labelled_base(tmp_path_factory,
                                                                monkeypatch) -> None:
    require_browser()
    monkeypatch.delenv("GEOSOC_CONFIG", raising=False)  # nothing configured
    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo = ensure_demo(tmp_path_factory.mktemp("demo"))
    ARTIFACTS.mkdir(exist_ok=True)
    with app_server(env={"GEOSOC_DEMO_DIR": str(demo)},
                    log=ARTIFACTS / "streamlit-browser-vector.log") as url:
        _check_profile(url, lambda app: app.click_text("Explore the demo town"),
                       "vector-demo-profile.png")


@pytest.mark.integration
def test_a_city_of_london_workspace_draws_its_cut(city_of_london: Path, tmp_path) -> None:
    require_browser()
    from geosoc.cli import main
    from geosoc.ui.testing.server import app_server

    wards = tmp_path / "wards"
    wards.mkdir()
    (wards / "E09000001.json").write_bytes(
        (city_of_london / "boundaries" / "wards_by_lad" / "E09000001.json").read_bytes())
    ws = tmp_path / "city.sqlite"
    for step in ([str(city_of_london / "crime"), "--kind", "policeuk", "--name", "police"],
                 [str(wards), "--kind", "boundaries", "--area-kind", "ward", "--name", "wards"]):
        assert main(["ingest", *step, "--workspace", str(ws), "--user", "ana"]) == 0
    # the first user of the workspace, with the test run's shared password (never removed
    # from the environment: later CLI tests in this process act with it)
    assert main(["users", "add", "ana", "--role", "analyst", "--workspace", str(ws),
                 "--by", "ana"]) == 0
    config = tmp_path / "geosoc.toml"
    config.write_text(f'workspace = "{ws.name}"\n[map]\nvector = "basemap.pmtiles"\n')
    archive = city_of_london / "basemap" / "central-london-osm-z12.pmtiles"
    assert main(["basemap", str(archive), "--workspace", str(ws), "--out",
                 str(tmp_path / "basemap.pmtiles")]) == 0

    def sign_in(app) -> None:
        app.page.get_by_role("textbox", name="User name").fill("ana")
        app.page.get_by_role("textbox", name="Password").fill(os.environ["GEOSOC_PASSWORD"])
        app.page.get_by_role("button", name="Sign in").click()

    with app_server(env={"GEOSOC_CONFIG": str(config), "GEOSOC_WORKSPACE": str(ws)},
                    log=ARTIFACTS / "streamlit-browser-vector-city.log") as url:
        _check_profile(url, sign_in, "vector-city-of-london-profile.png")
