"""AppTest for every page of the Streamlit app, on the demo town (no browser, no JavaScript).

Each page must load without an exception or an error box, and a key interaction must change
what it shows. Maps appear as ``component_instance`` elements whose payload we can read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.disclosure.rules import Role
from geosoc.harm import DEFAULT_WEIGHTS_PATH
from geosoc.synth.demo import load_demo
from geosoc.ui.state import USER_KEY, SessionUser
from tests.app_harness import (
    APP,
    PAGES,
    assert_ok,
    folium_payloads,
    open_page,
    session_workspace,
)


@pytest.fixture
def app(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    return lambda page=None, role=Role.ANALYST, view=None: open_page(
        page, user=SessionUser("demo", role, demo=True), view=view, check=False)


_ok = assert_ok


_map_payloads = folium_payloads


def _widget(items, label: str):
    return next(w for w in items if w.label == label)


def test_sign_in_page_offers_demo_mode():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("geosoc")
    button = next(b for b in at.button if b.label == "Explore the demo town")
    button.click().run()
    assert at.session_state[USER_KEY].demo is True


def test_profile_loads_and_geography_changes_the_map(app):
    at = app()  # the default page is the locality profile
    _ok(at)
    hexes = _map_payloads(at)
    assert hexes and "89" in hexes[0]  # H3 res 9 cell ids
    _widget(at.radio, "Geography").set_value("Wards").run()
    _ok(at)
    wards = _map_payloads(at)
    assert wards and wards[0] != hexes[0]
    assert "E05" in wards[0]


def test_profile_hotspot_layer_and_no_cdn(app):
    at = app()
    _widget(at.radio, "Layer").set_value("Gi* hot spots").run()
    _ok(at)
    payload = _map_payloads(at)[0]
    assert "Gi* hot and cold spots" in [m.value.strip("*") for m in at.markdown]
    args = json.loads(payload)
    links = args["js_links"] + args["css_links"]
    assert links and all(u.startswith("/app/static/vendor/") for u in links)
    _widget(at.radio, "Layer").set_value("Emerging hot spots").run()
    _ok(at)
    assert any("Emerging hot spots" in m.value for m in at.markdown)


@pytest.mark.parametrize("view", [Role.PARTNER, Role.PUBLIC])
def test_profile_previews_of_other_roles(app, view):
    at = app(view=view)
    _ok(at)
    geographies = _widget(at.radio, "Geography").options
    assert ("LSOAs" in geographies) == (view is Role.PARTNER)


def test_filters_that_leave_nothing_explain_themselves(app):
    at = app()
    _widget(at.multiselect, "Categories").set_value(["Burglary"])
    _widget(at.multiselect, "Sources").set_value(["fire"]).run()
    _ok(at)
    assert any("No recorded events match" in i.value for i in at.info)
    at.switch_page(str(PAGES / "launch.py"))
    at.run()
    _ok(at)
    assert any("No recorded events match" in i.value for i in at.info)


def test_profile_switches_to_pydeck_for_many_cells(app, monkeypatch):
    import geosoc.maps.deck_cells

    folium_maps = len(_map_payloads(app()))
    monkeypatch.setattr(geosoc.maps.deck_cells, "DECK_CELL_LIMIT", 10)
    at = app()
    _ok(at)
    assert at.get("deck_gl_json_chart")
    # the cell map is deck.gl, and the month player and linked maps step aside: only the
    # partner area map stays on folium (areas, not cells)
    assert len(_map_payloads(at)) <= folium_maps - 2
    assert any("Too many cells to play" in i.value for i in at.info)
    # the Gi* layer is drawn by deck.gl too (no folium polygons for a force-wide layer)
    _widget(at.radio, "Layer").set_value("Gi* hot spots").run()
    _ok(at)
    assert at.get("deck_gl_json_chart")
    assert len(_map_payloads(at)) <= folium_maps - 2


def test_partner_view_is_coarse_and_has_no_points(app, demo_dir):
    at = app(view=Role.PARTNER)
    _ok(at)
    payload = re.sub(r'"key": "[0-9a-f]+"', "", _map_payloads(at)[0])  # the map's own key
    assert '"89' not in payload  # no resolution-9 cells for partners (res 8 at most)
    incidents = load_demo(demo_dir).incidents
    assert find_point_leaks(payload, incidents.head(2000)) == []


def test_sites_ranks_and_weights_change_the_ranking(app):
    at = app("sites")
    _ok(at)
    before = at.dataframe[0].value
    assert len(before) > 3
    _widget(at.slider, "police harm").set_value(0.0)
    _widget(at.slider, "vulnerability (IMD)").set_value(2.0).run()
    _ok(at)
    score = "Site score (weighted sum, higher = more harm and need)"
    assert not at.dataframe[0].value[score].equals(before[score])


def test_sites_scores_and_saves_a_drawn_site(app):
    at = app("sites")
    component = at.get("component_instance")[0]
    widget_key = re.search(r"-([0-9a-f]{64})$", component.proto.id).group(1)
    square = [[-2.06, 52.975], [-2.045, 52.975], [-2.045, 52.985], [-2.06, 52.985],
              [-2.06, 52.975]]
    drawing = {"type": "Feature", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [square]}}
    at.session_state[widget_key] = {"all_drawings": [drawing]}  # as Leaflet.draw sends it
    at.run()
    _ok(at)
    assert [m.label for m in at.metric] == ["Score"]
    assert any("would rank" in m.value for m in at.markdown)
    _widget(at.text_input, "Site name").set_value("Market streets")
    _widget(at.text_area, "Why this site").set_value("highest harm, drawn by hand")
    next(b for b in at.button if b.label == "Save site").click().run()
    _ok(at)
    assert any("Saved site 'Market streets'" in s.value for s in at.success)


def test_sites_closed_to_partner_view(app):
    at = app("sites", view=Role.PARTNER)
    assert not at.exception
    assert any("for analysts" in i.value for i in at.info)
    assert not at.dataframe


def test_phases_readings_and_invalid_dates(app):
    at = app("phases")
    _ok(at)
    assert any(getattr(e, "type", "") == "vega_lite_chart" for e in at.main)  # phase chart
    assert any("WDQ" in e.label for e in at.expander)  # published measures, folded
    images = len(_map_payloads(at))
    assert images == 4  # rings map, month player, linked before/after maps, change map
    _widget(at.radio, "Measure").set_value("harm").run()
    _ok(at)


def test_assets_filter_changes_the_count(app):
    at = app("assets")
    assert not at.exception
    shown = next(c.value for c in at.caption if "active assets shown" in c.value)
    categories = _widget(at.multiselect, "Categories")
    categories.set_value([categories.options[0]]).run()
    assert not at.exception
    after = next(c.value for c in at.caption if "active assets shown" in c.value)
    assert after != shown


def test_asset_edit_conflict_is_explained(app, demo_dir):
    from geosoc.workspace import Workspace

    at = app("assets")
    _ok(at)
    asset_id = _widget(at.selectbox, "Asset").value
    with Workspace.open(session_workspace(at)) as ws:  # someone else edits it
        version = int(ws.assets.get(asset_id)["version"])
        ws.assets.edit(asset_id, {"services": "changed elsewhere"}, expected_version=version,
                       user="other", role="partner")
    _widget(at.text_input, "Services").set_value("my change")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception
    assert any("Someone else saved this asset" in w.value for w in at.warning)
    with Workspace.open(session_workspace(at)) as ws:
        assert ws.assets.get(asset_id)["services"] == "changed elsewhere"


def test_demo_edits_live_only_in_their_session(app, demo_dir):
    """The demo banner says nothing is saved: an edit reaches no other (or later) session."""
    from geosoc.workspace import Workspace

    first = app("assets")
    _ok(first)
    mine = session_workspace(first)
    asset_id = _widget(first.selectbox, "Asset").value
    first.text_input(key=f"as_e_{asset_id}_services").set_value("only in my session")
    next(b for b in first.button if b.label == "Save changes").click().run()
    _ok(first)
    assert any("Saved" in s.value for s in first.success)
    with Workspace.open(mine) as ws:
        assert ws.assets.get(asset_id)["services"] == "only in my session"
    second = app("assets")  # a new visitor (or the same one after closing the tab)
    _ok(second)
    theirs = session_workspace(second)
    assert theirs != mine and mine.parent.parent == theirs.parent.parent == demo_dir / "sessions"
    with Workspace.open(theirs) as ws:
        assert ws.assets.get(asset_id)["services"] != "only in my session"


def test_launch_is_public_safe(app, demo_dir):
    at = app("launch")
    _ok(at)
    payload = _map_payloads(at)[0]
    assert any(m.value.endswith("OFFICIAL</div>") for m in at.markdown)
    incidents = load_demo(demo_dir).incidents
    assert find_point_leaks(payload, incidents.head(2000)) == []
    _widget(at.radio, "Show harm by").set_value("H3 hexagons (~5 km²)").run()
    _ok(at)
    assert '"87' in _map_payloads(at)[0]  # resolution-7 cells only
    next(t for t in at.toggle if t.label.startswith("Prepare")).set_value(True).run()
    _ok(at)
    assert at.get("download_button") and not at.get("progress")
    at.run()  # the cached pack (built with a progress bar) replays cleanly
    _ok(at)
    assert at.get("download_button")


def test_data_page_shows_ingest_reports(app):
    at = app("data")
    _ok(at)
    table = at.dataframe[0].value
    assert {"policeuk", "points"} <= set(table["Kind"])
    _widget(at.selectbox, "What is it?").set_value(
        "Partner incidents CSV (map its columns)").run()
    assert not at.exception


def test_data_page_loads_a_police_folder_into_the_workspace(app, demo_dir):
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import list_datasets, load_incidents

    at = app("data")
    _widget(at.text_input, "…or point at a file or folder on this server (e.g. a folder of "
            "police.uk monthly downloads)").set_value(str(demo_dir / "police")).run()
    _widget(at.text_input, "Dataset name").set_value("police_all")
    next(b for b in at.button if b.label == "Check and load").click().run()
    _ok(at)
    assert any("Stored 'police_all'" in s.value for s in at.success)
    assert not at.get("progress")  # the progress bar is gone once stored
    with Workspace.open(session_workspace(at)) as ws:
        listed = list_datasets(ws).set_index("name")
        incidents = load_incidents(ws, role="analyst")  # what the CLI reads
    assert listed.loc["police_all", "kind"] == "incidents" and listed.loc["police_all", "stored"]
    assert len(incidents) == listed.loc["police_all", "rows"] > 1000
    shown = next(d.value for d in at.dataframe if "Stored" in d.value.columns)
    assert "police_all" in set(shown["Dataset"])
    load = next(b for b in at.button if b.label == "Check and load")
    load.click().run()  # the same name again: refused until "replace" is ticked
    assert any("dataset not stored" in e.value for e in at.error)
    _widget(at.checkbox, "Replace a stored dataset of the same name").check()
    next(b for b in at.button if b.label == "Check and load").click().run()
    _ok(at)
    assert any("Stored 'police_all'" in s.value for s in at.success)
    folder = session_workspace(at).with_suffix(".datasets")
    cubes = list(folder.glob("police_all-*.cube.parquet"))
    points = [f for f in folder.glob("police_all-*.parquet") if f not in cubes]
    assert len(points) == 1  # the replaced file is gone
    assert len(cubes) == 1  # incidents stored in the app get their harm cube, as with the CLI


def test_data_page_lists_every_problem_of_a_bad_file(app, demo_dir, tmp_path):
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import datasets_dir, list_datasets

    def stored() -> tuple[list[str], list[str]]:
        with Workspace.open(session_workspace(at)) as ws:
            folder = datasets_dir(ws)
            files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
            return list_datasets(ws)["name"].tolist(), files

    bad = tmp_path / "bad.csv"
    bad.write_text("Crime ID,Month,Longitude\n1,2024-13,x\n", encoding="utf-8")
    at = app("data")
    before = stored()
    _widget(at.text_input, "…or point at a file or folder on this server (e.g. a folder of "
            "police.uk monthly downloads)").set_value(str(bad)).run()
    next(b for b in at.button if b.label == "Check and load").click().run()
    assert not at.exception
    assert at.error  # the summary, then a table naming file, row, column and fix
    problems = next(d.value for d in at.dataframe if "Message" in d.value.columns)
    assert {"File", "Message", "Fix"} <= set(problems.columns)
    assert len(problems) >= 2  # every problem, not just the first
    assert not at.success and stored() == before


def test_data_page_refuses_other_roles(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))  # the menu offers it to analysts only
    at = AppTest.from_file(str(Path(APP).parent / PAGES / "data.py"), default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("pat", Role.PARTNER, demo=True)
    at.run()
    assert not at.exception
    assert any("Only analysts can store datasets" in i.value for i in at.info)
    assert not any(b.label == "Check and load" for b in at.button)


def test_audit_verifies_the_chain(app):
    at = app("audit")
    _ok(at)
    assert any("Hash chain intact" in s.value for s in at.success)


def test_public_user_sees_only_the_launch_page(app):
    at = app(role=Role.PUBLIC)
    _ok(at)
    assert "Clear, Hold, Build" in at.title[0].value


# --- a real workspace ----------------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path, demo_dir):
    """A workspace whose police month and wards were stored as the CLI stores them."""
    from geosoc.ingest import read_boundaries, read_policeuk
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    path = tmp_path / "team.sqlite"
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", "correct horse battery", "analyst")
        month = sorted((demo_dir / "police").glob("*/*.csv"))[0]
        store_dataset(ws, read_policeuk(month), name="police_first_month", kind="incidents",
                      user="ana", role="analyst")
        store_dataset(ws, read_boundaries(demo_dir / "boundaries" / "wards.geojson",
                                          kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
    return path


def test_workspace_study_reads_stored_datasets(workspace):
    from geosoc.ui.study import load_workspace_study

    study = load_workspace_study(workspace)
    assert len(study.incidents) > 100 and "harm" in study.incidents.columns
    assert set(study.sources) == {"police"}
    assert set(study.areas) == {"ward"} and study.site.empty and study.plan is None
    assert len(study.months) == 1


def test_dataset_stored_by_the_cli_appears_in_the_app(workspace, demo_dir, monkeypatch):
    from geosoc.ingest import read_points
    from geosoc.synth.demo import PARTNER_MAPPINGS
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("ana", Role.ANALYST, workspace=str(workspace))
    at.switch_page(str(PAGES / "data.py"))
    at.run()
    _ok(at)
    assert _widget(at.sidebar.multiselect, "Sources").options == ["Police recorded crime"]
    fire = demo_dir / "partners" / "fire_deliberate_fires.csv"
    with Workspace.open(workspace) as ws:  # as `geosoc ingest FILE --kind points ...` does
        store_dataset(ws, read_points(fire, PARTNER_MAPPINGS["fire"], source="fire"),
                      name="fire", kind="incidents", user="ana", role="analyst")
    at.run()
    _ok(at)
    assert _widget(at.sidebar.multiselect, "Sources").options == ["Police recorded crime",
                                                                  "Fire service"]
    listed = next(d.value for d in at.dataframe if "Stored" in d.value.columns)
    assert set(listed["Dataset"]) == {"police_first_month", "wards", "fire"}


def test_empty_workspace_says_what_to_load(tmp_path):
    from geosoc.errors import WorkspaceError
    from geosoc.ui.study import load_workspace_study
    from geosoc.workspace import Workspace

    Workspace.open(tmp_path / "new.sqlite").close()
    with pytest.raises(WorkspaceError) as info:
        load_workspace_study(tmp_path / "new.sqlite")
    messages = " ".join(p.message for p in info.value.problems)
    assert "incident" in messages and "ward boundaries" in messages
    assert all(p.fix.startswith("add it on the Data page, or geosoc ingest")
               for p in info.value.problems)


def test_sign_in_with_a_workspace_account(workspace, demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    _widget(at.text_input, "Workspace").set_value(str(workspace))
    _widget(at.text_input, "User name").set_value("ana")
    _widget(at.text_input, "Password").set_value("wrong")
    at.button[0].click().run()
    assert any("sign-in failed" in e.value for e in at.error)
    _widget(at.text_input, "Password").set_value("correct horse battery")
    at.button[0].click().run()
    _ok(at)
    assert at.session_state[USER_KEY].username == "ana"
    assert any("team" in c.value for c in at.sidebar.caption)  # the workspace's study
    assert _map_payloads(at)
    from geosoc.workspace import Workspace

    with Workspace.open(workspace) as ws:
        log = ws.audit_log(role="analyst")
    assert {"sign_in.failed", "sign_in.ok", "page.view"} <= set(log["action"])


def test_workspace_pages_without_a_site(workspace, demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("ana", Role.ANALYST, workspace=str(workspace))
    at.switch_page(str(PAGES / "phases.py"))
    at.run()
    _ok(at)
    assert any("No CHB site recorded yet" in i.value for i in at.info)
    at.switch_page(str(PAGES / "launch.py"))
    at.run()
    _ok(at)


def test_configured_tiles_reach_the_map(app, tmp_path, monkeypatch):
    at = app()
    assert "tile.example" not in _map_payloads(at)[0]  # default: no tiles (offline)
    config = tmp_path / "geosoc.toml"
    config.write_text('[map]\ntiles = "https://tile.example/{z}/{x}/{y}.png"\n'
                      'attribution = "Example <b>tiles</b>"\n', encoding="utf-8")
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    at = app()
    _ok(at)
    payload = _map_payloads(at)[0]
    assert "tile.example" in payload and "<b>tiles</b>" not in payload


def test_configured_harm_weights_change_the_harm(app, tmp_path, monkeypatch):
    at = app()
    before = _metric(at, "Harm (days, CCHI)")
    weights = tmp_path / "weights.csv"
    table = pd.read_csv(DEFAULT_WEIGHTS_PATH)
    table["weight"] = table["weight"] * 2
    table.to_csv(weights, index=False)
    config = tmp_path / "geosoc.toml"
    config.write_text(f'harm_weights = "{weights.name}"\n', encoding="utf-8")
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    at = app()
    _ok(at)
    assert _metric(at, "Harm (days, CCHI)") > 1.9 * before


def _metric(at: AppTest, label: str) -> float:
    return float(next(m for m in at.metric if m.label == label).value.replace(",", ""))


def test_configured_partner_threshold_hides_more(app, tmp_path, monkeypatch):
    def hidden(at: AppTest) -> int:
        return sum(p.count("null") for p in _map_payloads(at))  # suppressed values

    default = hidden(app(view=Role.PARTNER))
    config = tmp_path / "geosoc.toml"
    config.write_text("partner_min_count = 40\n", encoding="utf-8")
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    at = app(view=Role.PARTNER)
    _ok(at)
    assert hidden(at) > default


def test_public_totals_agree_across_pages_and_geographies(app, demo_dir):
    # One released total (a sum of released base values), rounded once: every page and
    # geography shows the same figure, so none implies what another hides.
    incidents = load_demo(demo_dir).incidents  # the A&E data is shared with analysts only
    true_total = int((incidents["source"] != "health_ae").sum())
    launch = app("launch")
    _ok(launch)
    shown = {_metric(launch, "Recorded crimes and incidents")}
    _widget(launch.radio, "Show harm by").set_value("H3 hexagons (~5 km²)").run()
    shown.add(_metric(launch, "Recorded crimes and incidents"))
    profile = app(view=Role.PUBLIC)
    _ok(profile)
    shown.add(_metric(profile, "Events"))
    assert len(shown) == 1
    value = shown.pop()
    # the release's noise adds up over its base cells: within 0.5% of the truth (utility)
    assert value % 5 == 0 and abs(value - true_total) <= 0.005 * true_total + 2.5


def test_data_page_reads_a_gzip_reduced_extract_with_its_crime_type(app, tmp_path):
    """A reduced extract (month, lon, lat; no crime type), gzip-compressed, on the Data page."""
    import gzip

    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import list_datasets

    rows = "".join(f"2024-0{1 + i % 3},-2.05{i % 10},52.97{i % 10}\n" for i in range(30))
    extract = tmp_path / "asb_extract.csv.gz"
    extract.write_bytes(gzip.compress(("Month,Longitude,Latitude\n" + rows).encode()))
    at = app("data")
    _widget(at.text_input, "…or point at a file or folder on this server (e.g. a folder of "
            "police.uk monthly downloads)").set_value(str(extract)).run()
    assert any("no crime type column" in i.value for i in at.info)
    _widget(at.selectbox, "Crime type of every row").set_value("Anti-social behaviour").run()
    _widget(at.text_input, "Dataset name").set_value("asb_extract")
    next(b for b in at.button if b.label == "Check and load").click().run()
    _ok(at)
    assert any("30 of 30 rows" in s.value for s in at.success)
    with Workspace.open(session_workspace(at)) as ws:
        assert "asb_extract" in set(list_datasets(ws)["name"])


def test_launch_says_the_site_share_in_words_and_presents_without_controls(app):
    """The launch opens on the site with a headline in words; presenting hides every control."""
    at = app("launch")
    _ok(at)
    words = [m.value for m in at.markdown if "recorded harm in" in m.value]
    assert words and "Market Square" in words[0] and " in 8 " in words[0]
    assert not any("days of imprisonment" in m.value for m in at.markdown)
    assert any(r.label == "Show harm by" for r in at.radio)
    next(t for t in at.toggle if t.label.startswith("Presentation mode")).set_value(True).run()
    _ok(at)
    assert not at.main.radio and not any(t.label.startswith("Prepare") for t in at.toggle)
    assert len(at.main.toggle) == 1  # the way out, at the foot of the page
    payload = folium_payloads(at)[0].replace("\\", "")
    assert '"collapsed": true' in payload and '"collapsed": false' not in payload


def test_asb_only_harm_says_its_own_unit_not_days(app):
    """Anti-social behaviour is not a CCHI offence: its harm is never labelled days."""
    at = app()
    _ok(at)
    _widget(at.sidebar.multiselect, "Categories").set_value(["Anti-social behaviour"]).run()
    _ok(at)
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Harm (ASB weight units") for label in labels), labels
    assert "Harm (days)" not in labels
    at.switch_page(str(PAGES / "assets.py")).run()
    _ok(at)
    legends = [m.value for m in at.markdown if m.value.startswith("**Harm")]
    assert legends and all("ASB weight units" in v for v in legends)
