"""Datasets loaded into a workspace: what file, its checksum, size and who loaded it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, require_role
from geosoc.workspace.sharing import SharingRecord, record_terms


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DatasetStore:
    """The register of datasets loaded into one workspace (written by analysts)."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def register(self, name: str, kind: str, path: str | Path, *, rows: int, user: str,
                 role: str, metadata: Mapping[str, object] | None = None,
                 replace: bool = True, sharing: SharingRecord | None = None
                 ) -> dict[str, object]:
        """Record (or refresh) a loaded dataset with its file checksum; return the record.

        Parameters
        ----------
        name : str
            Unique dataset name (``"police_2024"``, ``"council_asb"``).
        kind : str
            ``"incidents"``, ``"area_counts"``, ``"boundaries"``, ``"postcodes"``, ``"imd"``...
        path : str or Path
            The file loaded (hashed to detect later changes).
        rows : int
            Rows accepted.
        user, role : str
            Who loaded it.
        metadata : mapping, optional
            JSON-ready extras (ingest report summary, CRS, months covered).
        replace : bool
            Replace a dataset of that name; otherwise an existing name (one stored by a
            concurrent ingest meanwhile) is refused inside the write transaction.
        sharing : SharingRecord, optional
            The terms it is held under, recorded (and audited) in the same transaction.
        """
        require_role(role, ANALYSTS, "load datasets")
        path = Path(path)
        if not path.is_file():
            raise WorkspaceError("dataset not registered", [Problem(
                "file not found", file=str(path), fix="check the path")])
        now = self._clock()
        record = (name, kind, str(path), file_sha256(path), int(rows),
                  audit.canonical_json(dict(metadata or {})), user, now.isoformat())
        with transaction(self._conn):
            taken = self._conn.execute("SELECT loaded_by, loaded_at FROM datasets "
                                       "WHERE name = ?", (name,)).fetchone()
            if taken and not replace:
                raise WorkspaceError("dataset not stored", [Problem(
                    f"a dataset named {name!r} was stored by {taken[0]} at {taken[1]} while "
                    "this one was being read", column="name",
                    fix="choose another name, or replace it (--replace)")])
            self._conn.execute(
                "INSERT OR REPLACE INTO datasets (name, kind, path, sha256, rows, metadata, "
                "loaded_by, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", record)
            audit.record(self._conn, who=user, role=role, at=now, action="dataset.load",
                         target=f"dataset:{name}",
                         details={"kind": kind, "rows": int(rows), "sha256": record[3]})
            if sharing is not None:
                record_terms(self._conn, name, sharing, user=user, role=role, at=now)
        return self.get(name)

    def remove(self, name: str, *, who: str, role: str, details: dict[str, object]) -> None:
        """Delete the row of ``name``, mark its sharing record deleted, audit it; one transaction.

        Called by :func:`geosoc.workspace.retention.delete_dataset`, which removes the file
        and checks who may delete (``details["reason"]`` says why).
        """
        now = self._clock()
        with transaction(self._conn):
            self._conn.execute("DELETE FROM datasets WHERE name = ?", (name,))
            self._conn.execute(
                "UPDATE dataset_sharing SET status = 'deleted', deleted_by = ?, deleted_at = ?,"
                " deleted_reason = ? WHERE dataset = ?",
                (who, now.isoformat(), str(details.get("reason", "")), name))
            audit.record(self._conn, who=who, role=role, at=now, action="dataset.delete",
                         target=f"dataset:{name}", details=details)

    def get(self, name: str) -> dict[str, object]:
        """Return one dataset record (``metadata`` parsed to a dict)."""
        row = self._conn.execute("SELECT * FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise WorkspaceError("dataset not found", [Problem(
                f"no dataset named '{name}'", column="name")])
        return {**dict(row), "metadata": json.loads(row["metadata"])}

    def list(self) -> pd.DataFrame:
        """Return every dataset record (without metadata), by name."""
        return pd.read_sql_query("SELECT name, kind, path, sha256, rows, loaded_by, loaded_at "
                                 "FROM datasets ORDER BY name", self._conn)
