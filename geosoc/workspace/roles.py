"""Who may write what in the workspace (roles are ``analyst``, ``partner``, ``public``)."""

from __future__ import annotations

from collections.abc import Collection

from geosoc.errors import AccessDeniedError, Problem

#: Every role a workspace user can hold, most to least trusted.
ROLES = ("analyst", "partner", "public")
#: Roles allowed to add, edit and retire community assets.
ASSET_EDITORS = ("analyst", "partner")
#: Roles allowed to record sites, phases, datasets, saved analyses and users.
ANALYSTS = ("analyst",)


def require_role(role: str, allowed: Collection[str], action: str) -> None:
    """Raise :class:`AccessDeniedError` unless ``role`` is one of ``allowed``.

    Parameters
    ----------
    role : str
        The acting user's role.
    allowed : collection of str
        Roles that may perform ``action``.
    action : str
        What is being attempted, for the message (e.g. ``"edit assets"``).
    """
    if role not in allowed:
        raise AccessDeniedError(
            f"role '{role}' may not {action}",
            [Problem(f"'{action}' needs one of the roles: {', '.join(allowed)}",
                     fix="sign in as a user with that role")],
        )
