"""A demo session's own workspace: a copy of the demo town's, so demo edits stay private.

The demo banner says nothing a visitor does is saved: each demo session therefore writes to
its own copy of the demo workspace (``<demo>/sessions/<id>/demo-workspace.sqlite``), made
when the session first needs it; a new session starts from the town as shipped.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from pathlib import Path

#: The demo town's shared workspace: the template every demo session starts from.
DEMO_WORKSPACE = "demo-workspace.sqlite"
#: A demo session's own copy is dropped this long after it was made (seconds).
DEMO_SESSION_TTL_S = 24 * 3600


def new_demo_session(directory: Path) -> Path:
    """Copy the demo workspace (database, dataset files) for one session; prune old copies.

    ``directory`` is the demo town's folder.
    Returns the copy's database path. Copies made more than :data:`DEMO_SESSION_TTL_S` ago are
    deleted. The database is copied with SQLite's online backup (consistent even while
    the template is open elsewhere).
    """
    sessions = directory / "sessions"
    cutoff = time.time() - DEMO_SESSION_TTL_S
    for old in sessions.glob("*") if sessions.exists() else ():
        if old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
    target = sessions / uuid.uuid4().hex
    target.mkdir(parents=True)
    template = directory / DEMO_WORKSPACE
    copy = target / DEMO_WORKSPACE
    if template.exists():
        with sqlite3.connect(template) as source, sqlite3.connect(copy) as dest:
            source.backup(dest)
        datasets = template.with_suffix(".datasets")
        if datasets.is_dir():
            shutil.copytree(datasets, copy.with_suffix(".datasets"))
    return copy
