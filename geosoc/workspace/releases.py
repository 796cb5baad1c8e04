"""Disclosure releases kept with the workspace: one per version of the data, never rewritten.

A release (:func:`geosoc.disclosure.release_set.build_release`) holds every released base
value of the workspace's incidents: no true counts, no record keys. It is written as a
Parquet file in ``<workspace stem>.releases/`` (beside, not inside, the datasets folder,
whose orphan sweep would remove it) and registered in the ``releases`` table, keyed by the
**data digest** (the incident datasets' names and file SHA-256s) and the **rules digest**
(:func:`geosoc.disclosure.release_set.release_rules_digest`). New data (a month ingested, a
dataset replaced) gives a new release; earlier ones stay, with their figures, so a figure
published from release 3 can be reproduced after release 4 exists. Making one:
:func:`geosoc.workspace.release_making.ensure_release`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import audit
from geosoc.workspace.dataset_files import write_parquet_atomically
from geosoc.workspace.datasets import file_sha256
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, require_role

__all__ = ["ReleaseStore"]


class ReleaseStore:
    """The releases of one workspace (created by analysts, read by every role)."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock, folder: Path) -> None:
        self._conn = conn
        self._clock = clock
        self._folder = folder

    def find(self, data: str, rules: str) -> dict[str, object] | None:
        """Return the release of that data and rules digest, or None."""
        row = self._conn.execute(
            "SELECT * FROM releases WHERE data_digest = ? AND rules_digest = ?",
            (data, rules)).fetchone()
        return None if row is None else dict(row)

    def record(self, table: pd.DataFrame, *, data: str, rules: str, user: str,
               role: str) -> dict[str, object]:
        """Write ``table`` and register it as a new release; return its record.

        Raises
        ------
        AccessDeniedError
            ``role`` is not an analyst.
        WorkspaceError
            A release of that data and rules exists already (it is never replaced).
        """
        require_role(role, ANALYSTS, "make a disclosure release")
        if self.find(data, rules) is not None:
            raise WorkspaceError("release not made", [Problem(
                f"a release of data {data[:12]} under rules {rules[:12]} exists",
                fix="use ensure_release, which returns the existing one")])
        self._folder.mkdir(exist_ok=True)
        path = write_parquet_atomically(table, self._folder, f"release-{data[:12]}")
        now = self._clock()
        try:
            with transaction(self._conn):
                cursor = self._conn.execute(
                    "INSERT INTO releases (data_digest, rules_digest, path, sha256, rows, "
                    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (data, rules, path.name, file_sha256(path), len(table), user,
                     now.isoformat()))
                audit.record(self._conn, who=user, role=role, at=now, action="release.create",
                             target=f"workspace:release-{cursor.lastrowid}",
                             details={"rows": len(table), "data_digest": data})
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return self.get(int(cursor.lastrowid or 0))

    def get(self, release_id: int) -> dict[str, object]:
        """Return one release's record."""
        row = self._conn.execute("SELECT * FROM releases WHERE release_id = ?",
                                 (release_id,)).fetchone()
        if row is None:
            raise WorkspaceError("release not found", [Problem(
                f"no release {release_id}", column="release_id",
                fix="list them with ws.releases.list()")])
        return dict(row)

    def list(self) -> pd.DataFrame:
        """Return every release (``release_id``, digests, rows, who, when), oldest first."""
        return pd.read_sql_query(
            "SELECT release_id, data_digest, rules_digest, rows, created_by, created_at "
            "FROM releases ORDER BY release_id", self._conn)

    def load(self, release_id: int) -> pd.DataFrame:
        """Return a release's table, checking its file against the recorded SHA-256."""
        record = self.get(release_id)
        path = self._folder / str(record["path"])
        if not path.is_file() or file_sha256(path) != record["sha256"]:
            raise WorkspaceError(f"release {release_id} cannot be read", [Problem(
                f"{path} is missing or was changed since it was written", file=str(path),
                fix="restore the .releases folder from the backup it was taken with")])
        return pd.read_parquet(path)
