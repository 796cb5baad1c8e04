"""Shared AppTest harness: open a page as a user (and a viewing role), read its folium maps.

Every AppTest module builds its app the same way; this is that one way.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from geosoc.disclosure.rules import Role
from geosoc.ui.state import DEMO_WORKSPACE_KEY, USER_KEY, VIEW_ROLE_KEY, SessionUser

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = Path("geosoc/ui/pages")
DEMO_ANALYST = SessionUser("demo", Role.ANALYST, demo=True)


def open_page(page: str | None = None, *, user: SessionUser = DEMO_ANALYST,
              view: Role | None = None, timeout: float = 240, check: bool = True) -> AppTest:
    """Run the app signed in as ``user`` on ``page`` (a file stem under PAGES; None: home).

    ``view`` is the role an analyst previews; ``check`` asserts the run raised and showed
    no error.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state[USER_KEY] = user
    if view is not None:
        at.session_state[VIEW_ROLE_KEY] = view.value
    if page:
        at.switch_page(str(PAGES / f"{page}.py"))
    at.run()
    if check:
        assert_ok(at)
    return at


def assert_ok(at: AppTest) -> None:
    """Fail with the messages when the run raised or showed an error."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def folium_payloads(at: AppTest) -> list[str]:
    """The JSON sent for every folium map on the page (streamlit-folium components)."""
    return [c.proto.json_args for c in at.get("component_instance")
            if "streamlit_folium" in c.proto.component_name]


def session_workspace(at: AppTest) -> Path:
    """The demo session's own workspace (its copy of the demo town's), once a page used it."""
    return Path(at.session_state[DEMO_WORKSPACE_KEY])
