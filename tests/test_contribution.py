"""Per-agency contribution table, rates and IMD layers: library, launch pack and Profile page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geosoc.aggregate.contribution import contribution_table
from geosoc.cli import main
from geosoc.disclosure.contribution import disclosed_contribution
from geosoc.disclosure.rules import Role
from geosoc.maps.deprivation import (
    DECILE_COLOURS,
    available_measures,
    decile_legend,
    deprivation_frame,
)
from geosoc.synth.demo import load_demo
from geosoc.ui.state import USER_KEY, VIEW_ROLE_KEY, SessionUser

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SECRET = b"k" * 32


def incidents() -> pd.DataFrame:
    months = pd.PeriodIndex(["2024-01"] * 40 + ["2024-06"] * 20 + ["2024-03"] * 3, freq="M")
    return pd.DataFrame({
        "incident_id": [f"i{i}" for i in range(63)],
        "source": ["police"] * 60 + ["fire"] * 3,
        "category": ["Burglary"] * 60 + ["Deliberate fire"] * 3,
        "month": months, "harm": [245.0] * 60 + [11.0] * 3,
        "lon": np.linspace(-1.5, -1.4, 63), "lat": np.linspace(52.0, 52.1, 63)})


def test_contribution_table_lists_agencies_records_and_months() -> None:
    table = contribution_table(incidents(), {"police": "Demoford Police"})
    assert table.to_dict("records") == [
        {"source": "police", "agency": "Demoford Police", "records": 60, "harm": 14700.0,
         "first_month": "2024-01", "last_month": "2024-06"},
        {"source": "fire", "agency": "fire", "records": 3, "harm": 33.0,
         "first_month": "2024-03", "last_month": "2024-03"}]
    assert contribution_table(incidents().iloc[:0]).empty


def test_disclosed_contribution_for_partner_and_public() -> None:
    frame = incidents()
    partner = disclosed_contribution(frame, Role.PARTNER, secret=SECRET).set_index("source")
    assert abs(partner.loc["police", "records"] - 60) <= 2  # cell key noise
    assert np.isnan(partner.loc["fire", "records"])  # 3 records: suppressed
    public = disclosed_contribution(frame, Role.PUBLIC, secret=SECRET).set_index("source")
    assert public.loc["police", "records"] % 5 == 0
    assert (public.loc["police", "first_month"], public.loc["police", "last_month"]) == (
        "2024Q1", "2024Q2")
    again = disclosed_contribution(frame, Role.PARTNER, secret=SECRET).set_index("source")
    assert again.loc["police", "records"] == partner.loc["police", "records"]  # same key


def test_deprivation_layer_and_legend(demo_dir: Path) -> None:
    town = load_demo(demo_dir)
    measures = available_measures(town.imd)
    assert list(measures)[:2] == ["imd", "income"] and len(measures) == 8
    frame = deprivation_frame(town.lsoas, town.imd, "crime")
    assert frame["decile"].between(1, 10).all() and len(frame) == len(town.lsoas)
    legend = decile_legend("crime")
    assert legend.title == "IMD 2019 decile: Crime domain"
    assert legend.entries[0] == ("1 — most deprived 10%", DECILE_COLOURS[1])
    assert legend.entries[-1][0] == "no data" and len(legend.entries) == 11


@pytest.mark.parametrize("role", ["analyst", "public"])
def test_launch_pack_has_contribution_and_rates(demo_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                role: str) -> None:
    from geosoc.maps.vendor import missing_files

    if missing_files():
        pytest.skip("map assets not fetched: run python -m geosoc.maps.vendor")
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    out = tmp_path / f"{role}.html"
    assert main(["export", "profile", "--demo", "--role", role, "--out", str(out),
                 "--resolution", "8"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Whose data is in this profile" in html
    for agency in ("Demoford Police (fictional)", "Demoford Council (fictional)",
                   "Demoshire Fire and Rescue (fictional)"):
        assert agency in html
    health = "Demoford Hospitals NHS Trust (fictional)"
    assert (health in html) == (role == "analyst")
    assert "Events per 1,000 residents" in html and "Residents" in html
    rates = html_table(html, "Events per 1,000 residents")
    assert len(rates) == 10
    shown = pd.to_numeric(rates["Events per 1,000 residents"].str.replace(",", ""),
                          errors="coerce")
    counts = pd.to_numeric(rates["Events"].str.replace(",", ""), errors="coerce")
    residents = pd.to_numeric(rates["Residents"].astype(str).str.replace(",", ""),
                              errors="coerce")
    np.testing.assert_allclose(shown, (counts / residents * 1000).round(1), atol=0.051)
    if role == "public":
        assert (counts.dropna() % 5 == 0).all()  # rates come from the rounded counts


def html_table(document: str, heading: str) -> pd.DataFrame:
    """The first <table> of ``document`` with a column ``heading``, as text cells."""
    import html as html_lib
    import re

    for table in re.findall(r"<table>(.*?)</table>", document, flags=re.S):
        head = [html_lib.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table)]
        if heading in head:
            rows = [[html_lib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
                    for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1])]
            return pd.DataFrame(rows, columns=head)
    raise AssertionError(f"no table with {heading!r}")


def _app(demo_dir: Path, view: Role | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
    if view is not None:
        at.session_state[VIEW_ROLE_KEY] = view.value
    at.run()
    assert not at.exception and not at.error
    return at


def _payloads(at: AppTest) -> list[str]:
    return [c.proto.json_args for c in at.get("component_instance")
            if "streamlit_folium" in c.proto.component_name]


def test_profile_page_rates_imd_layer_and_contribution(demo_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = _app(demo_dir)
    table = next(d.value for d in at.dataframe if "Agency" in d.value.columns)
    points = table[~table["Data"].str.contains("area counts")]
    records = points["Records"].str.replace(",", "").astype(int)
    assert len(points) == 4 and records.sum() == len(load_demo(demo_dir).incidents)
    town = load_demo(demo_dir)
    counted = table[table["Data"].str.contains("area counts")].assign(
        source=lambda t: t["Data"].str.split(" (", regex=False).str[0].str.lower()
    ).set_index("source")
    raw = town.area_counts.groupby("source")["count"].sum()
    assert counted["Records"].str.replace(",", "").astype(int).to_dict() == raw.to_dict()
    next(r for r in at.radio if r.label == "Geography").set_value("Wards").run()
    counts = _payloads(at)[0]
    top = next(d.value for d in at.dataframe
               if "Events per 1,000 residents" in d.value.columns)
    assert {"Residents (ONS mid-year)", "Under 100 residents (rate unreliable)"} <= set(
        top.columns)
    next(t for t in at.toggle if t.label == "Per 1,000 residents").set_value(True).run()
    assert not at.exception
    assert _payloads(at)[0] != counts
    assert any("per 1,000 residents" in m.value for m in at.markdown)
    next(r for r in at.radio if r.label == "Layer").set_value("Deprivation (IMD 2019)").run()
    assert not at.exception
    assert any("IMD 2019 decile" in m.value for m in at.markdown)
    next(s for s in at.selectbox if s.label == "Index or domain").set_value("crime").run()
    assert any("Crime domain" in m.value for m in at.markdown)
    partner = _app(demo_dir, view=Role.PARTNER)
    shown = next(d.value for d in partner.dataframe if "Agency" in d.value.columns)
    shown = shown[~shown["Data"].str.contains("area counts")]
    assert len(shown) == 3 and "Demoford Hospitals NHS Trust (fictional)" not in set(
        shown["Agency"])


def test_site_scores_carry_rates(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
    at.switch_page("geosoc/ui/pages/sites.py")
    at.run()
    assert not at.exception and not at.error
    ranking = next(d.value for d in at.dataframe if "Candidate" in d.value.columns)
    residents, rate = "Residents (ONS mid-year)", "Police events per 1,000 residents"
    assert {residents, rate, "Under 100 residents (rate unreliable)"} <= set(ranking.columns)
    demo = load_demo(demo_dir)
    wards = demo.population.query("kind == 'ward'")["population"]
    code = demo.wards.index[demo.wards["name"] == ranking.loc[0, "Candidate"]][0]
    assert ranking.loc[0, residents] == wards[code]
    assert ranking[rate].gt(0).all()
