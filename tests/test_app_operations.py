"""AppTest: the site's 4P log on the Phases page, a partner adding an activity, the review pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from team_workspace import team_workspace

from geosoc.disclosure import Role
from geosoc.synth.demo import ensure_demo
from geosoc.ui.state import USER_KEY, VIEW_ROLE_KEY, SessionUser

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PHASES = str(Path("geosoc/ui/pages") / "phases.py")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def workspace(tmp_path: Path, demo_dir: Path) -> Path:
    return team_workspace(demo_dir, tmp_path / "team.sqlite")


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_demo_phases_page_shows_the_log_and_builds_the_review_pack(
        demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
    at.switch_page(PHASES)
    at.run()
    _ok(at)
    assert any("activity and disruption" in s.value for s in at.subheader)
    assert not at.get("form")  # demo mode: read-only, no add form
    next(t for t in at.toggle if t.label == "Prepare the review pack").set_value(True).run()
    _ok(at)
    assert any(b.label == "Download the review pack" for b in at.get("download_button"))


def test_a_partner_adds_an_activity_on_the_phases_page(
        workspace: Path, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geosoc.workspace import Workspace

    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state[USER_KEY] = SessionUser("pat", Role.PARTNER, workspace=str(workspace))
    at.session_state[VIEW_ROLE_KEY] = Role.PARTNER.value
    at.switch_page(PHASES)
    at.run()
    _ok(at)
    assert any("No activity recorded" in i.value for i in at.info)
    at.date_input(key="ops_date").set_value("2024-02-10")
    at.selectbox(key="ops_pillar").set_value("prevent")
    at.selectbox(key="ops_type").set_value("youth diversion")
    at.text_input(key="ops_outcome").set_value("<b>20 young people</b>")
    at.text_area(key="ops_notes").set_value("partner note")
    next(b for b in at.button if b.label == "Add activity").click().run()
    _ok(at)
    assert any("Activity added" in s.value for s in at.success)
    with Workspace.open(workspace) as ws:
        site = str(ws.sites.frame().index[0])
        stored = ws.operations.activities(site, user="ana", role="analyst")
        assert stored["agency"].tolist() == ["Demoford Youth Trust"]
        assert stored["outcome"].tolist() == ["<b>20 young people</b>"]
        assert "activity.import" in set(ws.audit_log(role="analyst")["action"])


def test_partner_sees_the_morile_trend_never_a_group_or_score(
        demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A partner preview of the Phases page: MoRiLE as a site trend, no OCG reference."""
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state[USER_KEY] = SessionUser("demo", Role.ANALYST, demo=True)
    at.session_state[VIEW_ROLE_KEY] = Role.PARTNER.value
    at.switch_page(PHASES)
    at.run()
    _ok(at)
    tables = [d.value for d in at.dataframe]
    shown = " ".join(t.to_csv() for t in tables) + " ".join(m.value for m in at.markdown)
    assert "MoRiLE" in shown and "OCG-DEMO" not in shown
    charts = " ".join(str(c.proto) for c in at.get("arrow_vega_lite_chart"))
    assert "OCG-DEMO" not in charts  # no chart carries a group reference either
    assert any(word in shown for word in ("higher", "lower", "about the same"))
