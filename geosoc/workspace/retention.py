"""Retention: delete a dataset (file and row) when its delete-by date comes, audited.

``geosoc workspace retention`` and the app's start call :func:`apply_retention`; an analyst
can delete a dataset early with :func:`delete_dataset` (``geosoc datasets delete``). A
deletion removes the dataset's row, its (Geo)Parquet file (or partitioned folder) and harm
cube beside the workspace, marks its sharing record ``deleted`` (kept for the ISA/DPIA
register) and writes one audit entry (``dataset.delete``) naming the file, its SHA-256, the
rows and the reason.

Backups taken before the deletion still hold the data: the deletion entry says so, and
backups must be kept no longer than the shortest delete-by date they contain.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import Workspace, audit
from geosoc.workspace.dataset_files import cube_file_name, stored_names
from geosoc.workspace.dataset_store import datasets_dir
from geosoc.workspace.roles import ANALYSTS, require_role

#: Prefix a dataset file is renamed to while its deletion is committed.
DELETING_PREFIX = ".deleting-"
#: Audit action of every dataset deletion.
DELETE_ACTION = "dataset.delete"


def delete_dataset(ws: Workspace, name: str, *, who: str, role: str, reason: str
                   ) -> dict[str, object]:
    """Delete dataset ``name``: its row, its file, audited; its sharing record kept as deleted.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    name : str
        The dataset.
    who, role : str
        Who deletes it: an analyst, or :data:`geosoc.workspace.audit.SYSTEM_ACTOR` (role
        ``"system"``) for retention run by geosoc itself.
    reason : str
        Why (``"retention: delete-by 2026-01-31 reached"``, ``"ISA ended"``).

    Returns
    -------
    dict
        ``dataset``, ``file`` (or None), ``rows``, ``sha256``, ``reason``.

    Raises
    ------
    AccessDeniedError
        ``role`` is not an analyst (and the actor is not geosoc's retention).
    WorkspaceError
        No such dataset; nothing is changed.
    """
    if who != audit.SYSTEM_ACTOR:
        require_role(role, ANALYSTS, "delete datasets")
    record = ws.datasets.get(name)  # raises when there is no such dataset
    meta = record["metadata"] if isinstance(record["metadata"], dict) else {}
    path = datasets_dir(ws) / str(meta["file"]) if meta.get("file") else None
    cube = (datasets_dir(ws) / cube_file_name(path.name)) if path is not None else None
    parked = {}  # the data file or partitioned folder, and its harm cube
    for stored in (path, cube):
        if stored is not None and stored.exists():
            parked[stored] = stored.with_name(f"{DELETING_PREFIX}{stored.name}")
            os.replace(stored, parked[stored])
    details = {"reason": reason, "file": path.name if path else None, "kind": record["kind"],
               "rows": int(record["rows"]), "sha256": record["sha256"],
               "backups": "backups taken before this deletion still hold the data"}
    try:
        ws.datasets.remove(name, who=who, role=role, details=details)
    except BaseException:
        for stored, aside in parked.items():
            os.replace(aside, stored)
        raise
    for aside in parked.values():
        _remove(aside)
    return {"dataset": name, **{k: details[k] for k in ("file", "rows", "sha256", "reason")}}


def apply_retention(ws: Workspace, *, who: str = audit.SYSTEM_ACTOR, role: str = "system",
                    on: date | None = None) -> list[dict[str, object]]:
    """Delete every held dataset whose delete-by date is ``on`` (default today) or earlier.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    who, role : str
        The analyst running it (``geosoc workspace retention --user``), or geosoc itself
        (the default, used on app start).
    on : date, optional
        The day to apply (default: the workspace clock's today, UTC).

    Returns
    -------
    list of dict
        One entry per dataset deleted (see :func:`delete_dataset`), empty when none expired.
    """
    if who != audit.SYSTEM_ACTOR:
        require_role(role, ANALYSTS, "apply retention (it deletes datasets)")
    finish_interrupted(ws)
    today = on or ws.now().date()
    loaded = set(ws.datasets.list()["name"])
    deleted = []
    for name in ws.sharing.expired(today):
        delete_by = (ws.sharing.get(name) or {}).get("delete_by")
        reason = f"retention: delete-by {delete_by} reached on {today.isoformat()}"
        if name in loaded:
            deleted.append(delete_dataset(ws, name, who=who, role=role, reason=reason))
        else:  # recorded but never loaded (or loaded elsewhere): close the record
            ws.sharing.close(name, who=who, role=role, reason=reason + " (no data was held)")
    return deleted


def finish_interrupted(ws: Workspace) -> list[Path]:
    """Settle files a deletion interrupted by a crash left parked (``.deleting-*``).

    A parked file whose dataset row still exists goes back (the deletion never committed);
    one whose row is gone is removed (it did). Returns the files removed.
    """
    folder = datasets_dir(ws)
    if not folder.is_dir():
        return []
    named = stored_names(ws.datasets.list()["path"])
    named |= {cube_file_name(n) for n in named}
    removed = []
    for parked in sorted(folder.glob(f"{DELETING_PREFIX}*")):
        original = parked.with_name(parked.name[len(DELETING_PREFIX):])
        if original.name in named:
            os.replace(parked, original)
        else:
            _remove(parked)
            removed.append(parked)
    return removed


def _remove(path: Path) -> None:
    """Remove a dataset file, or a partitioned dataset's folder."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def require_known(ws: Workspace, name: str) -> None:
    """Raise :class:`WorkspaceError` unless ``name`` is a loaded dataset (with a fix)."""
    if name not in set(ws.datasets.list()["name"]):
        raise WorkspaceError(f"no dataset named {name!r}", [Problem(
            f"{ws.path} holds no dataset {name!r}", column="name",
            fix="see the names with geosoc datasets list --workspace W")])
