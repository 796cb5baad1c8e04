"""Session state: who is signed in, which role the page shows, and the shared filters.

Everything a page needs from ``st.session_state`` is read through these functions, so keys
are spelt in one place. Values are per browser session (never shared between users).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geosoc.disclosure.rules import Role
from geosoc.workspace import Workspace

USER_KEY = "geosoc_user"
VIEW_ROLE_KEY = "geosoc_view_role"
#: Session key of a demo session's own copy of the demo workspace (its path).
DEMO_WORKSPACE_KEY = "geosoc_demo_workspace"
FILTERS_KEY = "geosoc_filters"

#: Roles each signed-in role may preview (an analyst can check what partners will see).
VIEWABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.ANALYST: (Role.ANALYST, Role.PARTNER, Role.PUBLIC),
    Role.PARTNER: (Role.PARTNER, Role.PUBLIC),
    Role.PUBLIC: (Role.PUBLIC,),
}


@dataclass(frozen=True)
class SessionUser:
    """The person using this browser session.

    Parameters
    ----------
    username : str
        Account name (``"demo"`` in demo mode).
    role : Role
        Their role, which caps what any page may disclose.
    demo : bool
        True in demo mode: only the synthetic town is served, nothing real is written.
    workspace : str or None
        The workspace file signed in to (``None`` in demo mode).
    """

    username: str
    role: Role
    demo: bool = False
    workspace: str | None = None


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filters, applied by every page.

    Parameters
    ----------
    months : tuple of str
        First and last month shown, ``"YYYY-MM"`` (inclusive); empty for all.
    categories : tuple of str
        Categories kept; empty for all.
    sources : tuple of str
        Sources kept (``"police"``, partner names); empty for all.
    """

    months: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def current_user() -> SessionUser | None:
    """Return the signed-in user, or ``None``."""
    return st.session_state.get(USER_KEY)


def sign_in(user: SessionUser) -> None:
    """Record a successful sign-in and start showing that user's own role."""
    st.session_state[USER_KEY] = user
    st.session_state[VIEW_ROLE_KEY] = user.role.value


def sign_out() -> None:
    """Forget the user and their view settings."""
    for key in (USER_KEY, VIEW_ROLE_KEY, DEMO_WORKSPACE_KEY):
        st.session_state.pop(key, None)


def view_role() -> Role:
    """Return the role the pages disclose for: never more than the user's own role."""
    user = current_user()
    if user is None:
        return Role.PUBLIC
    wanted = Role(st.session_state.get(VIEW_ROLE_KEY, user.role.value))
    return wanted if wanted in VIEWABLE_ROLES[user.role] else user.role


def filters() -> Filters:
    """Return the current sidebar filters."""
    return st.session_state.get(FILTERS_KEY, Filters())


def set_filters(value: Filters) -> None:
    """Store the sidebar filters for every page to read."""
    st.session_state[FILTERS_KEY] = value


LAST_VIEW_KEY = "geosoc_last_view"


def record_page_view(user: SessionUser, page: str) -> None:
    """Audit that ``user`` opened ``page`` (DPA 2018 s62: who consulted what, when).

    Logged once per page change, not on every rerun; demo sessions are not logged.
    """
    if user.demo or not user.workspace or st.session_state.get(LAST_VIEW_KEY) == page:
        return
    with Workspace.open(user.workspace, create=False) as ws:
        ws.record(who=user.username, role=user.role.value, action="page.view",
                  target=f"page:{page}", details={"view_role": view_role().value})
    st.session_state[LAST_VIEW_KEY] = page
