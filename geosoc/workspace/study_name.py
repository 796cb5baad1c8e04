"""The study's name, stored in the workspace (``geosoc workspace init --name``).

Report titles come from it, not from the workspace's file name. It is kept as a saved
analysis of kind ``"study"`` (so setting it is audited like every analyst action and needs
no schema change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geosoc.errors import ConfigError, Problem, WorkspaceError

if TYPE_CHECKING:
    from geosoc.workspace import Workspace

#: Name of the saved analysis holding the study settings.
STUDY_RECORD = "study settings"
#: Longest study name accepted (characters).
MAX_NAME = 120


def set_study_name(ws: Workspace, name: str, *, user: str, role: str) -> str:
    """Store the study name (e.g. ``"Northtown CHB 2026"``); return it, stripped.

    Raises
    ------
    ConfigError
        A blank or over-long name (naming ``--name``).
    """
    text = " ".join(str(name).split())
    if not text or len(text) > MAX_NAME:
        raise ConfigError("invalid study name", [Problem(
            f"the study name must be 1 to {MAX_NAME} characters, got {len(text)}",
            column="--name", fix='e.g. --name "Northtown Clear, Hold, Build 2026"')])
    ws.analyses.save(STUDY_RECORD, "study", {"name": text}, user=user, role=role,
                     replace=True)
    return text


def study_name(ws: Workspace) -> str | None:
    """Return the stored study name, or None when none was set."""
    try:
        record = ws.analyses.get(STUDY_RECORD)
    except WorkspaceError:
        return None
    name = dict(record["parameters"]).get("name")
    return str(name) if name else None


def study_title(ws: Workspace, what: str = "locality profile") -> str:
    """Return a report title: ``"<study name>: <what>"``, or a plain title with a hint."""
    name = study_name(ws)
    return f"{name}: {what}" if name else what.capitalize()
