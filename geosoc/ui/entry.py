"""The Streamlit entry: page config, sign-in gate, shared sidebar, navigation over page files.

``streamlit run app.py`` (``make app``) and ``geosoc app`` (an installed package) both run
:func:`run`; this file is also a Streamlit script itself (``streamlit run`` executes it as
``__main__``), so its static folder ``geosoc/ui/static`` is served beside it. Pages live in
``geosoc/ui/pages/``; all analysis happens in the geosoc library.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import streamlit as st

from geosoc.disclosure import Role
from geosoc.errors import GeosocError
from geosoc.ui import state
from geosoc.ui.caching import startup, studies, views
from geosoc.ui.panels import sidebar

#: The page files (absolute, so the entry works from a checkout or an installed package).
PAGES = Path(__file__).resolve().parent / "pages"


def page(name: str, title: str, **kwargs: bool) -> st.Page:
    """Return the navigation entry of ``geosoc/ui/pages/<name>.py``.

    No page icons: Streamlit turns the page's icon into the favicon and fetches Material
    icons from fonts.gstatic.com, which fails offline.
    """
    return st.Page(PAGES / f"{name}.py", title=title, **kwargs)


def run() -> None:
    """Render the app for this rerun: sign-in for nobody, the role's pages for a user."""
    # No page_icon: a Material icon favicon is fetched from fonts.gstatic.com (fails offline).
    st.set_page_config(page_title="geosoc · Clear, Hold, Build", layout="wide")
    startup.start_hotspot_warm_up()
    user = state.current_user()
    apply_retention(studies.default_workspace(), user.workspace if user else None)
    if user is None:
        # an installation with a force's workspace preloads that, not the demo town (two
        # preloads would share the cores while the first pages are drawn)
        if views.start_workspace_preload(str(studies.default_workspace())) is None:
            startup.start_demo_preload(str(studies.demo_dir()))
        navigation = st.navigation([page("sign_in", "Sign in")])
    else:
        sidebar.render(user)
        present = [page("launch", "Launch presentation")]
        sections = {
            "Analysis": [
                page("profile", "Locality profile", default=True),
                page("sites", "Sites"),
                page("phases", "Phases & displacement"),
            ],
            "Partners": [page("assets", "Community assets")],
            "Present": present,
        }
        if user.role is Role.ANALYST:
            sections["Manage"] = [page("data", "Data"), page("audit", "Audit")]
        if user.role is Role.PUBLIC:
            sections = {"Present": present}
        navigation = st.navigation(sections)
        state.record_page_view(user, navigation.title)
    with startup.activity().running():  # background loading waits meanwhile
        navigation.run()


def apply_retention(*workspaces: str | Path | None) -> None:
    """Delete datasets past their delete-by date in these workspaces (once a day, audited).

    Run on every start of the app (the configured workspace) and for the signed-in user's
    workspace; a workspace that cannot be opened is left for the sign-in page to report.
    """
    day = date.today().isoformat()
    for path in {str(p) for p in workspaces if p}:
        if Path(path).is_file():
            with contextlib.suppress(GeosocError):
                startup.retention_applied(path, day)


if __name__ == "__main__":
    run()
