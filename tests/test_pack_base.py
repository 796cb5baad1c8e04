"""The launch and review packs carry the app's base (embedded tiles, context) and open offline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
import pytest
from tile_fixtures import DEMO_BOUNDS, write_mbtiles

from geosoc.config import MapSettings, Settings
from geosoc.hotspots.profile import build_profile
from geosoc.maps import external_urls
from geosoc.maps.vendor import missing_files
from geosoc.report.pack_base import PackBase, pack_base
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.report.review_inputs import demo_review_inputs
from geosoc.report.review_pack import render_review_pack
from geosoc.synth.demo import load_demo

pytestmark = pytest.mark.skipif(bool(missing_files()),
                                reason="map assets not fetched: run python -m geosoc.maps.vendor")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: Canvases the vector renderer painted: base tiles with more than one colour (roads or water
#: on the land), label tiles with any opaque pixel (a name was drawn).
VECTOR_DRAWN_JS = """() => {
    const painted = (sel, test) => Array.from(document.querySelectorAll(sel)).filter(c => {
        if (!c.width) { return false; }
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return test(d); }).length;
    return {
        base: painted('.leaflet-tile-pane canvas', d => { for (let i = 4; i < d.length; i += 4) {
            if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) { return true; } }
            return false; }),
        labels: painted('.leaflet-vector-labels-pane canvas', d => {
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 200) { return true; } }
            return false; })};
}"""


@pytest.fixture(scope="module")
def town(demo_dir):
    return load_demo(demo_dir)


@pytest.fixture(scope="module")
def bases(demo_dir, tmp_path_factory) -> dict[str, PackBase]:
    tiles = write_mbtiles(tmp_path_factory.mktemp("tiles") / "base.mbtiles", zooms=range(11, 15))
    context = pack_base(Settings(map=MapSettings(context=demo_dir / "context")),
                        bounds=DEMO_BOUNDS)
    with_tiles = pack_base(Settings(map=MapSettings(tile_source=tiles, attribution="Test")),
                           bounds=DEMO_BOUNDS, demo_context=demo_dir / "context")
    vector = pack_base(Settings(), bounds=DEMO_BOUNDS, demo_context=demo_dir / "context")
    return {"context": context, "tiles": with_tiles, "vector": vector}


@pytest.fixture(scope="module")
def launch_packs(town, bases) -> dict[str, str]:
    profile = build_profile(town.incidents, {"ward": town.wards}, resolution=9,
                            lisa_permutations=9, emerging_freq=None)
    site = gpd.GeoDataFrame({"name": [town.site.name]}, geometry=[town.site.geometry],
                            crs="EPSG:4326")
    out = {}
    for name, base in bases.items():
        inputs = ReportInputs(title="Demoford", site=site, assets=town.assets,
                              incidents=town.incidents, demo=True, base=base)
        out[name] = render_profile_report(profile, role="partner", inputs=inputs)
    return out


def test_base_from_settings(bases) -> None:
    assert set(bases["context"].context) >= {"roads", "water", "greenspace"}
    assert bases["context"].tiles is None and bases["context"].vector is None
    # the demo with nothing configured: its own labelled vector base, no GeoJSON context
    assert bases["vector"].vector is not None and not bases["vector"].context
    # tiles configured: embedded; the demo's context is then not added on top
    assert bases["tiles"].tiles is not None and not bases["tiles"].context


def test_launch_pack_carries_context_or_embedded_tiles(launch_packs) -> None:
    with_context, with_tiles = launch_packs["context"], launch_packs["tiles"]
    assert "Roads" in with_context and "context-lines" in with_context
    assert "o.embedded[" in with_tiles and "o.embedded[" not in with_context
    assert "protomapsL" in launch_packs["vector"] and "protomapsL" not in with_context
    for document in launch_packs.values():
        assert external_urls(document) == []


def test_review_pack_has_a_site_map_on_the_same_base(town, bases) -> None:
    inputs = demo_review_inputs(town, pd.Period("2024-12", freq="M"), role="analyst")
    when = datetime(2025, 1, 6, tzinfo=UTC)
    for name, base in bases.items():
        document = render_review_pack(replace(inputs, base=base), role="public",
                                      generated_at=when)
        assert "The site and its surroundings" in document
        assert external_urls(document) == []
        assert ("o.embedded[" in document) == (name == "tiles")
        assert ("Roads" in document) == (name == "context")
        assert ("protomapsL" in document) == (name == "vector")


@pytest.mark.browser
def test_packs_open_from_file_with_every_request_blocked(launch_packs, town, bases,
                                                         tmp_path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    from geosoc.ui.testing.browser import CHROMIUM_ARGS

    review = render_review_pack(
        replace(demo_review_inputs(town, pd.Period("2024-12", freq="M"), role="partner"),
                base=bases["tiles"]),
        role="partner", generated_at=datetime(2025, 1, 6, tzinfo=UTC))
    review_vector = render_review_pack(
        replace(demo_review_inputs(town, pd.Period("2024-12", freq="M"), role="partner"),
                base=bases["vector"]),
        role="partner", generated_at=datetime(2025, 1, 6, tzinfo=UTC))
    files = {"launch-context": launch_packs["context"], "launch-tiles": launch_packs["tiles"],
             "review-tiles": review, "launch-vector": launch_packs["vector"],
             "review-vector": review_vector}
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000})

        def route(route_) -> None:
            scheme = urlsplit(route_.request.url).scheme
            if scheme in ("file", "data", "about", "blob"):
                route_.continue_()
            else:
                blocked.append(route_.request.url)
                route_.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        for name, document in files.items():
            path = tmp_path / f"{name}.html"
            path.write_text(document, encoding="utf-8")
            page.goto(path.as_uri())
            frame = page.frames[1]
            frame.wait_for_selector("path.leaflet-interactive", state="attached",
                                    timeout=30_000)
            page.wait_for_timeout(800)
            if "vector" in name:
                # the vector base drew: canvases in the tile pane and the labels pane
                drawn = frame.evaluate(VECTOR_DRAWN_JS)
                assert drawn["base"] > 0 and drawn["labels"] > 0, (name, drawn)
            elif "tiles" in name:
                tiles = frame.evaluate("""() => Array.from(document.querySelectorAll(
                    'img.leaflet-tile-loaded')).filter(i => i.naturalWidth > 0
                    && i.src.startsWith('data:image/png')).length""")
                assert tiles > 0, name
            else:
                assert frame.evaluate("() => document.querySelectorAll("
                                      "'.leaflet-context-lines-pane path').length") > 0, name
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"pack-{name}.png"))
        browser.close()
    assert blocked == [] and errors == []
