"""AppTest: an analyst-only dataset never reaches a partner page; retention runs on app start.

Demo mode (the A&E extract is limited to analysts by its sharing record) and a real
workspace signed in to by a partner user.
"""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from geosoc.disclosure.rules import Role
from geosoc.report.table_labels import source_label
from geosoc.ui.state import SessionUser
from geosoc.workspace import Workspace
from tests.app_harness import APP, open_page
from tests.test_sharing import HEALTH_ONLY, build_workspace, terms


def make(user: SessionUser, page: str | None = None, view: Role | None = None) -> AppTest:
    return open_page(page, user=user, view=view)


def page_text(at: AppTest) -> str:
    """Everything the page sends to the browser that tests can read (maps, tables, widgets)."""
    parts = [c.proto.json_args for c in at.get("component_instance")]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(w.options) for w in at.multiselect]
    parts += [str(c.proto) for c in at.get("arrow_vega_lite_chart")]
    parts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts)


def sources_offered(at: AppTest) -> list[str]:
    """The sidebar's sources as codes (the widget shows them in words)."""
    words = next(w for w in at.multiselect if w.label == "Sources").options
    codes = {source_label(code): code for code in ("police", "council_asb", "fire",
                                                    "health_ae")}
    return [codes.get(w, w) for w in words]


@pytest.mark.parametrize("view", [Role.PARTNER, Role.PUBLIC])
def test_demo_partner_and_public_views_never_show_the_ae_data(demo_dir, monkeypatch, view):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    analyst = make(SessionUser("demo", Role.ANALYST, demo=True))
    assert "health_ae" in sources_offered(analyst)
    for page in ("profile", "launch"):
        at = make(SessionUser("demo", Role.ANALYST, demo=True), page, view=view)
        assert "health_ae" not in sources_offered(at)
        agencies = next(d.value for d in at.dataframe if "Agency" in d.value.columns)
        points = agencies[~agencies["Data"].str.contains("area counts")]
        assert len(points) == 3, page  # police, council and fire: the totality shown
        counted = {d.split(" (")[0].lower() for d in agencies["Data"] if "area counts" in d}
        # partner area counts too; safeguarding signals are partner-wide, never public (the
        # launch page is always the public view)
        expected = {"health", "housing", "youth"} | (
            {"vulnerability"} if view is Role.PARTNER and page == "profile" else set())
        assert counted == expected, page
        text = page_text(at)
        assert "health_ae" not in text and HEALTH_ONLY not in text, page


def test_signed_in_partner_never_gets_the_analyst_only_dataset(demo_dir, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    path = build_workspace(demo_dir, tmp_path / "chb.sqlite")
    analyst = make(SessionUser("ana", Role.ANALYST, workspace=str(path)))
    assert "health_ae" in sources_offered(analyst)
    partner = SessionUser("pat", Role.PARTNER, workspace=str(path))
    for page in ("profile", "launch"):
        at = make(partner, page)
        assert sources_offered(at) == ["police", "fire"]
        text = page_text(at)
        assert "health_ae" not in text and HEALTH_ONLY not in text, page
    with Workspace.open(path, create=False) as ws:  # fire is narrowed to analysts
        ws.sharing.record("fire", terms("analyst"), user="ana", role="analyst")
    assert sources_offered(make(partner, "profile")) == ["police"]  # not a stale study


def test_app_start_applies_retention_and_audits_it(demo_dir, tmp_path, monkeypatch):
    path = build_workspace(demo_dir, tmp_path / "expired.sqlite",
                           health_delete_by=date.today().isoformat())
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    monkeypatch.setenv("GEOSOC_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the sign-in page: nobody is signed in yet
    assert not at.exception
    with Workspace.open(path, create=False) as ws:
        assert "health_ae" not in set(ws.datasets.list()["name"])
        assert ws.sharing.get("health_ae")["status"] == "deleted"
        log = ws.audit_log(role="analyst")
    entry = log[log["action"] == "dataset.delete"].iloc[-1]
    assert entry["who"] == "geosoc:retention" and entry["target"] == "dataset:health_ae"
    assert not list((tmp_path / "expired.datasets").glob("health_ae-*"))


def test_data_page_stores_a_sharing_record_and_exports_the_register(demo_dir, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(demo_dir))
    path = tmp_path / "data.sqlite"
    Workspace.open(path).close()
    user = SessionUser("ana", Role.ANALYST, workspace=str(path))
    at = make(user, "data")

    def field(label: str):
        return next(w for w in at.text_input if w.label == label)

    field("…or point at a file or folder on this server (e.g. a folder of police.uk monthly "
          "downloads)").set_value(str(demo_dir / "police")).run()
    field("Dataset name").set_value("police")
    at.text_input(key="share_owner").set_value("Demoford Police")
    at.run()
    assert any("sharing record incomplete" in e.value for e in at.error)  # no ISA yet
    at.text_input(key="share_isa").set_value("ISA-7")
    at.selectbox(key="share_widest").set_value("partner").run()
    next(b for b in at.button if b.label == "Check and load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Workspace.open(path, create=False) as ws:
        record = ws.sharing.get("police")
    assert (record["owner_agency"], record["isa_reference"], record["widest_role"]) == (
        "Demoford Police", "ISA-7", "partner")
    at = make(user, "data")
    register = next(d.value for d in at.dataframe if "ISA reference" in d.value.columns)
    assert register.set_index("Dataset").loc["police", "Status"] == "held"
    field("Purpose of the export (audited)").set_value("DPO review").run()
    next(b for b in at.button if b.label == "Export the register (CSV)").click().run()
    assert not at.exception and not at.error
    assert any(b.label == "Download isa-dpia-register.csv" for b in at.download_button)
    with Workspace.open(path, create=False) as ws:
        assert ws.audit_log(role="analyst").iloc[-1]["action"] == "export.sharing_register"
    at.text_input(key="terms_owner").set_value("Demoford Police")  # narrow it afterwards
    at.text_input(key="terms_isa").set_value("ISA-8")
    at.selectbox(key="terms_widest").set_value("analyst").run()
    at.button(key="terms_record").click().run()
    assert not at.exception and not at.error
    with Workspace.open(path, create=False) as ws:
        assert ws.sharing.get("police")["widest_role"] == "analyst"
        assert ws.audit_log(role="analyst").iloc[-1]["action"] == "dataset.sharing"
