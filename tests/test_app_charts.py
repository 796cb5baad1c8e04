"""AppTest: every page's charts are Vega-Lite (interactive, offline), its tables in words."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from geosoc.disclosure.rules import Role
from geosoc.ui.state import USER_KEY, SessionUser
from tests.app_harness import APP, PAGES, open_page


@pytest.fixture
def app(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    return lambda page=None, view=None: open_page(page, view=view)


def _charts(at: AppTest) -> list[dict]:
    """Every Vega-Lite chart on the page, as (spec, datasets by name)."""
    found = []
    for element in at.main:
        if getattr(element, "type", "") == "vega_lite_chart":
            spec = json.loads(element.proto.spec)
            spec["_datasets"] = {d.name: d for d in element.proto.datasets}
            found.append(spec)
    return found


def _encodings(spec: dict) -> list[dict]:
    return [layer.get("encoding", {}) for layer in spec.get("layer", [spec])]


def _legend_titles(spec: dict) -> set[str]:
    return {e["color"]["title"] for e in _encodings(spec)
            if "color" in e and "title" in e["color"]}


def _tooltips(spec: dict) -> list[str]:
    return [t["title"] for e in _encodings(spec) for t in e.get("tooltip", [])]


def _widget(items, label: str):
    return next(w for w in items if w.label == label)


def test_profile_charts_and_top_table(app):
    at = app()
    charts = _charts(at)
    # the Lorenz curve and the trend by source first; the partner panel's charts follow
    assert len(charts) >= 2
    lorenz, trend = charts[:2]
    assert "Share of cells" in _tooltips(lorenz)
    assert _legend_titles(trend) == {"Source"}
    sources = trend["layer"][0]["encoding"]["color"]
    assert sources["field"] == "source"
    assert "Value shown" in _tooltips(trend)
    table = next(d.value for d in at.dataframe if "Events" in d.value.columns)
    assert table.columns[0] == "Cell (ward of its centre, short id)"
    assert table.iloc[0, 0].startswith("Cell ") and " in " in table.iloc[0, 0]
    assert "hotspot_bin" not in table.columns and "harm" not in table.columns
    labels = set(table["Gi* hot spot (FDR-corrected)"])
    assert labels and all("confidence" in b or b == "Not significant" for b in labels)
    harm_columns = [c for c in table.columns if c.startswith("Harm")]
    assert harm_columns == ["Harm (days, CCHI)"]  # every layer shown: one harm column


def test_two_layers_give_two_lines_with_a_legend(app):
    at = app()
    _widget(at.multiselect, "Layers on the map").set_value(["police", "council_asb"]).run()
    assert not at.exception
    trend = _charts(at)[1]
    tooltips = set(_tooltips(trend))
    assert {"Police recorded crime", "Council ASB reports"} <= tooltips
    assert "Fire service" not in tooltips
    table = next(d.value for d in at.dataframe if "Events" in d.value.columns)
    # a subset of layers: harm of all layers and of the layers shown, each named
    assert {"Harm (days, CCHI)", "Harm in the layers shown (days, CCHI)"} <= set(table.columns)


def test_profile_ward_table_is_named_by_ward(app):
    at = app()
    _widget(at.radio, "Geography").set_value("Wards").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Events" in d.value.columns)
    assert table.columns[0] == "Ward"
    assert "Market Square" in set(table["Ward"])


def test_phases_chart_has_phase_bands_areas_and_hover(app):
    at = app("phases")
    charts = _charts(at)
    assert charts, "the phase chart is a Vega-Lite chart"
    phase = charts[0]
    assert _legend_titles(phase) == {"Phase", "Area"}
    tooltips = _tooltips(phase)
    assert {"Month", "Phase", "CHB site", "Control area (untreated)"} <= set(tooltips)
    assert not at.get("imgs")  # no static picture any more
    change = next(d.value for d in at.dataframe if "Events in the phase" in d.value.columns)
    assert {"Phase", "Source", "Events in the phase",
            "Rate ratio (phase ÷ baseline, per month)"} <= set(change.columns)
    assert "Police recorded crime" in set(change["Source"])
    published = next(d.value for d in at.dataframe if "WDD standard error" in d.value.columns)
    assert "WDQ" in published.columns  # the published measures, as numbers


def test_sites_ranking_reads_in_words_and_candidates_chart(app):
    at = app("sites")
    ranking = at.dataframe[0].value
    assert ranking.columns[:2].tolist() == ["Rank (1 = highest score)", "Candidate"]
    assert "Police harm (days, CCHI)" in ranking.columns
    charts = _charts(at)
    assert charts and _legend_titles(charts[0]) == {"Candidate"}
    comparison = next(d.value for d in at.dataframe if "Market Square" in d.value.columns)
    assert "Site score (weighted sum, higher = more harm and need)" in comparison.index


def test_launch_chart_is_public_and_says_what_is_hidden(app):
    at = app("launch")
    (bars,) = _charts(at)
    assert bars["encoding"]["y"]["title"] == "Events per quarter, rounded to 5"
    assert bars["encoding"]["x"]["title"] == "Quarter"


def test_open_phase_of_a_workspace_site_is_ongoing(demo_dir, tmp_path):
    from team_workspace import team_workspace

    from geosoc.ui.study import load_workspace_study

    study = load_workspace_study(team_workspace(demo_dir, tmp_path / "team.sqlite"))
    assert study.ongoing == "hold"
    assert str(study.plan.hold.end) == study.months[-1]  # runs on with the data


def test_open_build_is_drawn_to_the_last_month_as_ongoing(demo_dir, tmp_path, monkeypatch):
    """Issue 19: an open-ended Build showed as ending in the month it started."""
    from team_workspace import PASSWORD

    from geosoc.ingest import read_boundaries, read_policeuk
    from geosoc.synth.demo import load_demo
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset

    demo = load_demo(demo_dir)
    path = tmp_path / "force.sqlite"
    months = sorted(demo_dir.glob("police/202[34]-*"))[:18]  # 2023-01 .. 2024-06
    with Workspace.open(path) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        for folder in months:
            for csv in folder.glob("*.csv"):
                store_dataset(ws, read_policeuk(csv), name=f"police_{folder.name}",
                              kind="incidents", user="ana", role="analyst")
        store_dataset(ws, read_boundaries(demo_dir / "boundaries" / "wards.geojson",
                                          kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
        ws.sites.add(demo.site.name, demo.site.geometry, reason="test", chosen_by="ana",
                     chosen_on="2023-12-01", user="ana", role="analyst")
        ws.sites.set_phases(demo.site.name, [("clear", "2024-01", "2024-02"),
                                             ("hold", "2024-03", "2024-03"),
                                             ("build", "2024-04", None)],
                            user="ana", role="analyst")
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state[USER_KEY] = SessionUser("ana", Role.ANALYST, workspace=str(path))
    at.switch_page(str(PAGES / "phases.py"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    editor = next(d.value for d in at.dataframe if "last month" in d.value.columns)
    assert editor.set_index("phase").loc["build", "last month"] == ""  # shown as running
    phase = _charts(at)[0]
    bands = phase["layer"][0]
    rows = _dataset_rows(phase, bands["data"]["name"])
    build = next(r for r in rows if r["phase"].startswith("Build"))
    assert build["phase"] == "Build (ongoing)"
    assert build["months"] == "2024-04 to 2024-06 and running"
    assert any("Build is still running" in c.value for c in at.caption)


def _dataset_rows(spec: dict, name: str) -> list[dict]:
    import pyarrow as pa

    dataset = spec["_datasets"][name]
    return pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
