"""AppTest: the demo town's partner area counts on the Profile, Sites and Phases pages.

Partner views see them only through disclosure (cell-key disclosed values), vulnerability
signals keep their own layer and legend, and the harm/indicator choice changes the totals.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.disclosure.count_tables import disclosed_count_areas, disclosed_count_totals
from geosoc.disclosure.rules import Role
from geosoc.report.table_labels import column_label, source_label
from geosoc.synth.demo import load_demo
from tests.app_harness import PAGES, assert_ok, open_page, session_workspace

SOURCES = ("health", "housing", "youth")


@pytest.fixture
def app(demo_dir, monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    return lambda page=None, view=None: open_page(page, view=view, check=False)


_ok = assert_ok


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def _table(at: AppTest, *headings: str):
    """The first table on the page with these headings (as a reader sees them)."""
    return next(f for f in _frames(at) if set(headings) <= set(f.columns))


def _named(sources) -> set[str]:
    return {source_label(s) for s in sources}


def _payloads(at: AppTest) -> list[str]:
    return [c.proto.json_args for c in at.get("component_instance")
            if "streamlit_folium" in c.proto.component_name]


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_profile_shows_partner_sources_and_signals(app):
    at = app()
    _ok(at)
    headers = [s.value for s in at.subheader]
    assert "Partner area counts" in headers and "Vulnerability signals" in headers
    totals = _table(at, "How it counts").set_index("Source")
    assert _named((*SOURCES, "vulnerability")) <= set(totals.index)
    assert totals.loc["Vulnerability", "How it counts"] == "vulnerability signal"
    text = _markdown(at)
    assert "vulnerability signals" in text  # the signal legend is its own
    # H3 apportioned: the method is named in the legend
    next(r for r in at.radio if r.label == "Partner geography").set_value(
        "H3 cells (apportioned)").run()
    _ok(at)
    assert "apportioned by area share" in _markdown(at)
    next(r for r in at.radio if r.label == "Apportion by").set_value("population").run()
    _ok(at)
    assert "apportioned by population share" in _markdown(at)


def test_profile_treatment_choice_moves_harm(app):
    at = app()
    _ok(at)
    before = next(m for m in at.metric if m.label == "Partner area-count harm (days)").value
    next(r for r in at.radio if r.label == "housing").set_value("indicator").run()
    _ok(at)
    after = next(m for m in at.metric if m.label == "Partner area-count harm (days)").value
    assert float(after.replace(",", "")) < float(before.replace(",", ""))
    totals = _table(at, "How it counts").set_index("Source")
    assert totals.loc["Housing", "How it counts"] == "indicator"
    at.switch_page(str(PAGES / "sites.py")).run()  # the choice follows to the Sites page
    _ok(at)
    table = _table(at, column_label("signals_per_km2"))
    assert column_label("partner_count__housing") in table.columns
    assert column_label("partner_harm__housing") not in table.columns


def test_partner_view_sees_only_disclosed_partner_values(app, demo_dir):
    at = app(view=Role.PARTNER)
    _ok(at)
    totals = _table(at, "How it counts").set_index("Source")
    town = load_demo(demo_dir)
    bundle = PartnerCounts.build(town.area_counts, {"lsoa": town.lsoas, "ward": town.wards})
    months = (str(town.incidents["month"].min()), str(town.incidents["month"].max()))
    disclosed = disclosed_count_totals(bundle, Role.PARTNER, months=months)
    raw = town.area_counts.groupby("source")["count"].sum()
    for source in (*SOURCES, "vulnerability"):
        assert totals.loc[source_label(source), "Events"] == disclosed.loc[source, "count"]
    # at least one source total differs from the raw total: the values are perturbed
    assert any(totals.loc[source_label(s), "Events"] != raw[s]
               for s in (*SOURCES, "vulnerability"))
    # the signal map carries disclosed LSOA values, never a raw small count
    areas = disclosed_count_areas(bundle, "vulnerability", Role.PARTNER, months=months)
    shown = areas["count"].dropna()
    assert (shown == 0).sum() + (shown >= 5).sum() == len(shown)
    payload = next(p for p in _payloads(at) if "vulnerability signals" in p)
    values = [float(v) for v in re.findall(r'\\?"count\\?": ?([0-9.]+)', payload)]
    assert values, "the signal map carries its values"
    assert all(v == 0 or v >= 5 for v in values)  # no small count reaches the browser


def test_sites_page_has_partner_components(app):
    at = app("sites")
    _ok(at)
    table = _table(at, column_label("signals_per_km2"))
    for source in SOURCES:
        assert column_label(f"partner_harm__{source}") in table.columns
    assert not [c for c in table.columns if "__" in str(c)]  # headings in words


def test_phases_page_has_partner_change_and_displacement(app):
    at = app("phases")
    _ok(at)
    assert "Partner area counts: change per phase and displacement" in [
        s.value for s in at.subheader]
    change = _table(at, "How it counts", "Reading")
    assert _named(SOURCES) <= set(change["Source"])
    displacement = _table(at, column_label("wdq"), "Source")
    assert _named(SOURCES) <= set(displacement["Source"])


def test_launch_page_shows_public_safe_partner_figures(app):
    at = app("launch")
    _ok(at)
    assert "Partner data: what health, housing and youth services see" in [
        s.value for s in at.subheader]
    totals = _table(at, "How it counts").set_index("Source")
    events = totals["Events (rounded to 5)"].dropna()
    assert _named(SOURCES) <= set(totals.index)
    assert len(events) and (events % 5 == 0).all()
    payload = next(p for p in _payloads(at) if "vulnerability signals" in p)
    assert "E01999" not in payload  # LSOAs rolled up to wards for the public


def test_phases_page_partner_view_shows_disclosed_series(app):
    at = app("phases", view=Role.PARTNER)
    _ok(at)
    assert "Partner area counts over time" in [s.value for s in at.subheader]
    assert not [f for f in _frames(at) if column_label("wdq") in f.columns]  # analysts only


def test_data_page_stores_partner_area_counts(app, demo_dir):
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import list_datasets, load_table

    at = app("data")
    next(s for s in at.selectbox if s.label == "What is it?").set_value(
        "Partner area counts CSV (area_code, month, category, count)").run()
    next(t for t in at.text_input if t.label.startswith("…or point at a file")).set_value(
        str(demo_dir / "partners" / "housing_area_counts.csv")).run()
    next(t for t in at.text_input if t.label.startswith("Source name")).set_value("housing")
    next(t for t in at.text_input if t.label == "Dataset name").set_value("housing_counts")
    next(b for b in at.button if b.label == "Check and load").click().run()
    _ok(at)
    assert any("Stored 'housing_counts'" in s.value for s in at.success)
    with Workspace.open(session_workspace(at)) as ws:
        listed = list_datasets(ws).set_index("name")
        counts = load_table(ws, "area_counts", role="analyst")  # what load_study and the CLI read
    assert listed.loc["housing_counts", "kind"] == "area_counts"
    assert set(counts["source"]) == {"housing"}
