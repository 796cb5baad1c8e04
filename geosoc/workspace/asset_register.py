"""The versioned community asset register, with full history and optimistic concurrency.

Every add, edit, retire and import writes a new row to ``asset_history`` (each version kept
verbatim as JSON) and an audit entry, in the same transaction. Edits name the version they
were based on; a stale version raises :class:`ConflictError` naming the current version and
who made it. Retiring is soft: the asset stays, with ``status = 'retired'``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from geosoc.assets.capabilities import ANALYST_ONLY_COLUMNS, redact_for_role
from geosoc.assets.files import validate_assets
from geosoc.assets.model import ASSET_COLUMNS, RECORD_COLUMNS, empty_register
from geosoc.errors import ConflictError, Problem, SchemaError, WorkspaceError
from geosoc.schema import CRS_STORE, require_columns
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ASSET_EDITORS, require_role

_EDITABLE = tuple(c for c in RECORD_COLUMNS if c not in ("asset_id", "status"))
_INSERT = (f"INSERT INTO assets ({', '.join(ASSET_COLUMNS)}) "  # noqa: S608 - constant names
           f"VALUES ({', '.join('?' * len(ASSET_COLUMNS))})")
_HISTORY = ("INSERT INTO asset_history (asset_id, version, change, record, updated_by, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)")


class AssetRegister:
    """Community assets stored in one workspace.

    Parameters
    ----------
    conn : sqlite3.Connection
        The workspace connection.
    clock : callable
        Returns the current aware UTC datetime.
    """

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def frame(self, *, include_retired: bool = False,
              role: str | None = None) -> gpd.GeoDataFrame:
        """Return the register: :data:`~geosoc.assets.ASSET_COLUMNS`, points EPSG:4326.

        ``role`` (``"partner"``, ``"public"``) blanks the analyst-only columns
        (``contact_owner``); ``None`` or ``"analyst"`` returns them.
        """
        rows = pd.read_sql_query(
            "SELECT * FROM assets WHERE status = 'active' OR ? ORDER BY name, asset_id",
            self._conn, params=(include_retired,))
        if rows.empty:
            return empty_register()
        rows = rows.reindex(columns=list(ASSET_COLUMNS))
        frame = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]),
                                 crs=CRS_STORE)
        return frame if role is None else redact_for_role(frame, role)

    def get(self, asset_id: str) -> dict[str, object]:
        """Return the current record of ``asset_id`` (retired ones too)."""
        row = self._conn.execute("SELECT * FROM assets WHERE asset_id = ?",
                                 (asset_id,)).fetchone()
        if row is None:
            raise WorkspaceError("asset not found", [Problem(
                f"no asset with id '{asset_id}'", column="asset_id", fix="list the register")])
        return dict(row)

    def history(self, asset_id: str, *, role: str | None = None) -> pd.DataFrame:
        """Return every version of ``asset_id``, oldest first, one column per field.

        ``role`` other than ``"analyst"`` blanks the analyst-only columns.
        """
        self.get(asset_id)  # unknown ids raise
        rows = pd.read_sql_query(
            "SELECT version, change, record FROM asset_history WHERE asset_id = ? "
            "ORDER BY version", self._conn, params=(asset_id,))
        records = pd.DataFrame(rows["record"].map(json.loads).tolist(), index=rows.index)
        out = pd.concat([rows[["change"]], records.drop(columns=["version"])
                         .assign(version=rows["version"])], axis=1)
        return out if role is None else redact_for_role(out, role)

    def add(self, record: Mapping[str, object], *, user: str, role: str,
            postcodes: pd.DataFrame | None = None) -> dict[str, object]:
        """Validate and add one asset; return the stored record (version 1).

        ``postcodes`` (postcode centroids) places a record given only a postcode.
        """
        require_role(role, ASSET_EDITORS, "add assets")
        clean = validate_assets(pd.DataFrame([dict(record)], dtype="object"),
                                file="new asset", first_row=1, postcodes=postcodes)
        _check_analyst_only(clean, role)
        with transaction(self._conn):
            self._insert(clean, user=user, role=role, change="add", audit_details={})
        return self.get(str(clean["asset_id"].iloc[0]))

    def import_frame(self, records: pd.DataFrame, *, user: str, role: str,
                     source: str) -> int:
        """Add every validated record in one transaction (all or nothing).

        Parameters
        ----------
        records : pandas.DataFrame
            Output of :func:`geosoc.assets.files.read_assets` / ``validate_assets``.
        user, role : str
            Who imports.
        source : str
            The file or feed imported, for the audit log.

        Returns
        -------
        int
            Number of assets added.
        """
        require_role(role, ASSET_EDITORS, "import assets")
        require_columns(records, RECORD_COLUMNS, what="asset records")
        _check_analyst_only(records, role)
        with transaction(self._conn):
            self._insert(records, user=user, role=role, change="import",
                         audit_details={"source": source})
        return len(records)

    def edit(self, asset_id: str, changes: Mapping[str, object], *, expected_version: int,
             user: str, role: str, postcodes: pd.DataFrame | None = None) -> dict[str, object]:
        """Change fields of an asset based on ``expected_version``; return the new record.

        Changing only the postcode re-places the asset from ``postcodes`` (centroids).

        Raises
        ------
        ConflictError
            Someone saved a newer version since ``expected_version`` was read.
        SchemaError
            Unknown fields or invalid values.
        """
        require_role(role, ASSET_EDITORS, "edit assets")
        unknown = sorted(set(changes) - set(_EDITABLE))
        if unknown:
            raise SchemaError("these fields cannot be edited", [Problem(
                f"'{k}' is not an editable asset field", column=k,
                fix=f"edit only {', '.join(_EDITABLE)} (retire() to retire)") for k in unknown])
        if role != "analyst" and set(changes) & set(ANALYST_ONLY_COLUMNS):
            require_role(role, ("analyst",), "set the contact owner")
        with transaction(self._conn):
            current = self._current(asset_id, expected_version)
            merged = {c: current[c] for c in RECORD_COLUMNS} | dict(changes)
            if "postcode" in changes and not {"lon", "lat"} & set(changes):
                merged["lon"] = merged["lat"] = None
            merged = {k: "" if v is None else v for k, v in merged.items()}
            clean = validate_assets(pd.DataFrame([merged], dtype="object"),
                                    file=f"asset {asset_id}", first_row=1, new_ids=False,
                                    postcodes=postcodes)
            record = clean.iloc[0]
            if all(_plain(record[c]) == current[c] for c in _EDITABLE):
                return current  # nothing changed: no new version, nothing to audit
            return self._update(record, current, user=user, role=role, change="edit",
                                details={"fields": sorted(changes)})

    def retire(self, asset_id: str, *, expected_version: int, user: str, role: str,
               reason: str = "") -> dict[str, object]:
        """Mark an asset retired (kept, with its history); return the new record."""
        require_role(role, ASSET_EDITORS, "retire assets")
        with transaction(self._conn):
            current = self._current(asset_id, expected_version)
            record = pd.Series({**{c: current[c] for c in RECORD_COLUMNS}, "status": "retired"})
            return self._update(record, current, user=user, role=role, change="retire",
                                details={"reason": reason})

    def _current(self, asset_id: str, expected_version: int) -> dict[str, object]:
        current = self.get(asset_id)
        if int(current["version"]) != int(expected_version):
            raise ConflictError("asset changed since you opened it", [Problem(
                f"asset '{current['name']}' is at version {current['version']} "
                f"(changed by {current['updated_by']} at {current['updated_at']}); "
                f"you edited version {expected_version}",
                column="version", fix="reload the asset, re-apply your change, save again")])
        return current

    def _update(self, record: pd.Series, current: Mapping[str, object], *, user: str,
                role: str, change: str, details: dict[str, object]) -> dict[str, object]:
        at = self._clock()
        now = at.isoformat()
        version = int(current["version"]) + 1
        values = {c: _plain(record[c]) for c in RECORD_COLUMNS if c != "asset_id"}
        values |= {"version": version, "updated_by": user, "updated_at": now}
        cursor = self._conn.execute(
            f"UPDATE assets SET {', '.join(f'{k} = ?' for k in values)} "  # noqa: S608
            "WHERE asset_id = ? AND version = ?",
            (*values.values(), current["asset_id"], current["version"]))
        if cursor.rowcount != 1:  # pragma: no cover - guarded by BEGIN IMMEDIATE
            raise ConflictError("asset changed while saving")
        stored = {"asset_id": current["asset_id"], **values}
        self._conn.execute(_HISTORY, (current["asset_id"], version, change,
                                      audit.canonical_json(stored), user, now))
        audit.record(self._conn, who=user, role=role, at=at,
                     action=f"asset.{change}", target=f"asset:{current['asset_id']}",
                     details={"version": version, **details})
        return stored

    def _insert(self, records: pd.DataFrame, *, user: str, role: str, change: str,
                audit_details: dict[str, object]) -> None:
        now = self._clock()
        table = pd.DataFrame(records[list(RECORD_COLUMNS)]).astype("object")
        table = table.where(table.notna(), None)
        table = table.assign(version=1, updated_by=user, updated_at=now.isoformat())
        ids = table["asset_id"].tolist()
        taken = {r[0] for r in self._conn.execute(
            "SELECT asset_id FROM assets WHERE asset_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),))}
        if taken:
            raise SchemaError("assets already in the register", [Problem(
                f"asset_id '{i}' already exists", column="asset_id",
                fix="edit the existing asset, or clear the id to add a new one")
                for i in ids if i in taken])
        rows = list(table[list(ASSET_COLUMNS)].itertuples(index=False, name=None))
        self._conn.executemany(_INSERT, rows)
        self._conn.executemany(_HISTORY, [
            (r[0], 1, change, audit.canonical_json(dict(zip(ASSET_COLUMNS, r, strict=True))),
             user, now.isoformat()) for r in rows])
        target = f"asset:{ids[0]}" if change == "add" else f"dataset:{audit_details['source']}"
        audit.record(self._conn, who=user, role=role, at=now, action=f"asset.{change}",
                     target=target, details={"count": len(rows), **audit_details})


def _check_analyst_only(records: pd.DataFrame, role: str) -> None:
    """Refuse analyst-only values (``contact_owner``) from any other role."""
    if role == "analyst":
        return
    for column in ANALYST_ONLY_COLUMNS:
        if column in records.columns and records[column].fillna("").astype(str).ne("").any():
            require_role(role, ("analyst",), f"set {column.replace('_', ' ')}")


def _plain(value: object) -> object:
    """Return a SQLite-ready Python scalar (NA -> None, numpy -> builtin)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
