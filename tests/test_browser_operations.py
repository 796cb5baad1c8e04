"""Real browser: a partner signs in, adds an activity on the Phases page, and the review shows it.

Debian chromium through playwright, the app started with ``streamlit run`` on 127.0.0.1 and
every non-local request blocked and recorded.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from team_workspace import PASSWORD

from tests.browser_harness import require_browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
OUTCOME = "Twenty young people joined the boxing club"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    from team_workspace import team_workspace

    from geosoc.synth.demo import ensure_demo
    from geosoc.ui.testing.server import app_server

    demo_dir = ensure_demo(tmp_path_factory.mktemp("demo"))
    workspace = team_workspace(demo_dir, tmp_path_factory.mktemp("team") / "team.sqlite")
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"GEOSOC_DEMO_DIR": str(demo_dir), "GEOSOC_WORKSPACE": str(workspace)}
    with app_server(env=env, log=ARTIFACTS / "streamlit-operations-test.log") as url:
        yield url, workspace


def test_a_partner_adds_an_activity_and_the_review_pack_shows_it(server, tmp_path) -> None:
    from geosoc.disclosure.point_leaks import find_point_leaks
    from geosoc.ui.testing.browser import app_browser
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import load_incidents

    url, workspace = server
    with app_browser(url) as app:
        app.open()
        app.page.get_by_role("textbox", name="User name").fill("pat")
        app.page.get_by_role("textbox", name="Password").fill(PASSWORD)
        app.page.get_by_role("button", name="Sign in").click()
        app.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=90_000)
        app.idle(timeout_s=90)
        app.go_to("Phases & displacement")
        app.page.get_by_label("Outcome").wait_for(timeout=90_000)
        app.page.get_by_label("Outcome").fill(OUTCOME)
        app.page.get_by_label("Notes (never shown to the public)").fill("private partner note")
        app.page.get_by_role("button", name="Add activity").click()
        app.page.get_by_text("Activity added").wait_for(timeout=90_000)
        app.idle(timeout_s=90)
        app.page.get_by_text("Prepare the review pack").click()
        button = app.page.get_by_role("button", name="Download the review pack")
        button.wait_for(timeout=120_000)
        with app.page.expect_download() as download:
            button.click()
        pack = tmp_path / "review.html"
        download.value.save_as(pack)
        app.page.wait_for_timeout(500)
        app.idle(timeout_s=90)  # the download's rerun records the export
        app.screenshot(ARTIFACTS / "page-phases-partner-activity.png")
        assert not app.blocked, app.blocked
        assert not app.alerts(), app.alerts()
    text = pack.read_text(encoding="utf-8")
    assert "1 activity recorded" in text
    assert "arrest" in text  # the form's default type, in the "What was done" table
    assert "private partner note" not in text  # no notes outside the analyst copy
    deadline = time.monotonic() + 60  # the download's rerun records the export (a busy
    while True:                        # machine may start that rerun late)
        with Workspace.open(workspace) as ws:
            actions = set(ws.audit_log(role="analyst")["action"])
        if "export.review" in actions or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with Workspace.open(workspace) as ws:
        stored = ws.operations.activities(str(ws.sites.frame().index[0]), user="ana",
                                          role="analyst")
        assert stored["outcome"].tolist() == [OUTCOME]
        assert {"activity.import", "export.review"} <= actions
        assert not find_point_leaks(text, load_incidents(ws, role="analyst"))
