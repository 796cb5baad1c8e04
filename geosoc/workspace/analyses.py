"""Saved analyses: a name, a kind and the parameters (weights included) to re-run it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, require_role


class AnalysisStore:
    """Saved analyses of one workspace (written by analysts only)."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def save(self, name: str, kind: str, parameters: Mapping[str, object], *, user: str,
             role: str, replace: bool = False) -> dict[str, object]:
        """Save (or with ``replace=True`` overwrite) an analysis; return the stored record.

        Parameters
        ----------
        name : str
            Unique name.
        kind : str
            What it is (``"hotspots"``, ``"site_ranking"``, ``"displacement"``...).
        parameters : mapping
            JSON-ready parameters, including weights, to reproduce it.
        user, role : str
            Who saves it.
        """
        require_role(role, ANALYSTS, "save analyses")
        try:
            text = audit.canonical_json(dict(parameters))
        except (TypeError, ValueError) as err:
            raise WorkspaceError("analysis not saved", [Problem(
                f"parameters are not JSON-ready: {err}", column="parameters",
                fix="use numbers, strings, lists and dicts")]) from err
        now = self._clock()
        with transaction(self._conn):
            exists = self._conn.execute("SELECT 1 FROM analyses WHERE name = ?",
                                        (name,)).fetchone()
            if exists and not replace:
                raise WorkspaceError("analysis not saved", [Problem(
                    f"an analysis named '{name}' exists", column="name",
                    fix="choose another name or pass replace=True")])
            self._conn.execute(
                "INSERT OR REPLACE INTO analyses (name, kind, parameters, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?)", (name, kind, text, user, now.isoformat()))
            audit.record(self._conn, who=user, role=role, at=now, action="analysis.save",
                         target=f"analysis:{name}", details={"kind": kind})
        return self.get(name)

    def get(self, name: str) -> dict[str, object]:
        """Return a saved analysis with ``parameters`` parsed back to a dict."""
        row = self._conn.execute("SELECT * FROM analyses WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise WorkspaceError("analysis not found", [Problem(
                f"no saved analysis named '{name}'", column="name")])
        return {**dict(row), "parameters": json.loads(row["parameters"])}

    def list(self) -> pd.DataFrame:
        """Return saved analyses (name, kind, created_by, created_at), newest first."""
        return pd.read_sql_query("SELECT name, kind, created_by, created_at FROM analyses "
                                 "ORDER BY created_at DESC, name", self._conn)
