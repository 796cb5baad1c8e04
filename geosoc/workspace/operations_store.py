"""A site's operations in the workspace: activity log (versioned), MoRiLE scores, perception waves.

Every import is one transaction with one audit entry: a file with any bad row changes
nothing. Activities are versioned like assets (``activity_history`` keeps every version as
JSON). Analysts record everything; a partner records, and sees the notes of, only their own
agency's activities (the user's ``agency``); the public never sees notes. An activity's
location (``lon``/``lat``, EPSG:4326) is snapped to a zone (the site or a ring around it)
on import and never stored as a point.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.errors import AccessDeniedError, Problem
from geosoc.operations import (
    ACTIVITY_COLUMNS,
    validate_activities,
    validate_morile,
    validate_waves,
)
from geosoc.schema import CRS_METRIC, CRS_STORE
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, ASSET_EDITORS, require_role
from geosoc.workspace.sites import SiteStore

_STORED = ACTIVITY_COLUMNS
#: Distance bands (m) of the rings an activity's location is snapped to.
RING_BANDS_M = (250.0, 500.0)


class OperationsStore:
    """Activities, MoRiLE scores and perception waves of the workspace's sites.

    Parameters
    ----------
    conn : sqlite3.Connection
        The workspace connection.
    clock : callable
        Returns the current aware UTC datetime.
    sites : SiteStore
        The workspace's sites (names and phase plans).
    """

    def __init__(self, conn: sqlite3.Connection, clock: Clock, sites: SiteStore) -> None:
        self._conn = conn
        self._clock = clock
        self._sites = sites

    # -- users' agencies -------------------------------------------------------------
    def agency_of(self, username: str) -> str:
        """Return the agency a workspace user belongs to (``""`` when none is recorded)."""
        row = self._conn.execute("SELECT agency FROM users WHERE username = ?",
                                 (username,)).fetchone()
        return "" if row is None or row[0] is None else str(row[0])

    def set_agency(self, username: str, agency: str, *, by: str, role: str) -> None:
        """Record the agency of ``username`` (analysts only; audited)."""
        require_role(role, ANALYSTS, "set a user's agency")
        with transaction(self._conn):
            changed = self._conn.execute("UPDATE users SET agency = ? WHERE username = ?",
                                         (agency.strip(), username)).rowcount
            if not changed:
                raise AccessDeniedError("no such user", [Problem(
                    f"no workspace user '{username}'", fix="add the user first")])
            audit.record(self._conn, who=by, role=role, at=self._clock(),
                         action="user.agency", target=f"user:{username}",
                         details={"agency": agency.strip()})

    # -- activities ------------------------------------------------------------------
    def import_activities(self, site: str, raw: pd.DataFrame, *, user: str, role: str,
                          source: str, today: date | None = None) -> pd.DataFrame:
        """Validate and add activities to ``site`` in one transaction; return them.

        Parameters
        ----------
        site : str
            The site's name (its phase plan dates each activity).
        raw : pandas.DataFrame
            Rows as read from the file (see :func:`geosoc.operations.validate_activities`).
        user, role : str
            Who imports; a partner may import only their own agency's activities.
        source : str
            The file imported, for the audit log and the problems.
        today : datetime.date, optional
            Defaults to the workspace clock's date.

        Raises
        ------
        SchemaError
            Every bad row (row, column, fix); nothing is stored.
        AccessDeniedError
            A public user, or a partner importing another agency's activities.
        """
        require_role(role, ASSET_EDITORS, "record activities")
        site_id = self._sites.site_id(site)
        existing = {r[0] for r in self._conn.execute(
            "SELECT activity_id FROM activities WHERE site_id = ?", (site_id,))}
        raw = self._snap_locations(site, raw)
        clean = validate_activities(raw, today=today or self._clock().date(),
                                    plan=self._sites.phases(site), existing_ids=existing,
                                    file=source)
        if role != "analyst":
            own = self.agency_of(user)
            other = clean.index[clean["agency"].str.casefold() != own.casefold()]
            if not own or len(other):
                raise AccessDeniedError("partners record their own agency's activities", [
                    Problem(f"agency '{clean.loc[i, 'agency']}' is not yours ('{own}')",
                            file=source, row=int(i) + 2, column="agency",
                            fix="ask an analyst to record other agencies' activities")
                    for i in (other if own else clean.index[:1])])
        now = self._clock().isoformat()
        records = clean.assign(date=clean["date"].dt.strftime("%Y-%m-%d"))
        with transaction(self._conn):
            self._conn.executemany(
                f"INSERT INTO activities (site_id, {', '.join(_STORED)}, version, updated_by, "  # noqa: S608
                f"updated_at) VALUES (?, {', '.join('?' * len(_STORED))}, 1, ?, ?)",
                [(site_id, *row, user, now) for row in records[list(_STORED)].itertuples(
                    index=False)])
            self._conn.executemany(
                "INSERT INTO activity_history (site_id, activity_id, version, change, record, "
                "updated_by, updated_at) VALUES (?, ?, 1, 'import', ?, ?, ?)",
                [(site_id, r["activity_id"], json.dumps(r, sort_keys=True), user, now)
                 for r in records[list(_STORED)].to_dict("records")])
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="activity.import", target=f"site:{site}",
                         details={"source": source, "rows": len(records)})
        return clean

    def _snap_locations(self, site: str, raw: pd.DataFrame) -> pd.DataFrame:
        """Replace ``lon``/``lat`` columns by the zone they fall in; points are never kept.

        Zones: ``site``, ``ring 0-250 m``/``ring 250-500 m`` around it, else ``elsewhere``;
        a row without coordinates keeps its ``zone`` as given.
        """
        if not {"lon", "lat"} <= set(raw.columns):
            return raw
        lon = pd.to_numeric(raw["lon"], errors="coerce")
        lat = pd.to_numeric(raw["lat"], errors="coerce")
        located = lon.notna() & lat.notna()
        points = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)),
                               crs=CRS_STORE).to_crs(CRS_METRIC)
        outline = gpd.GeoSeries([self._sites.frame().geometry[site]],
                                crs=CRS_STORE).to_crs(CRS_METRIC).iloc[0]
        distance = points.distance(outline).to_numpy()
        zone = np.select([distance == 0, distance <= RING_BANDS_M[0],
                          distance <= RING_BANDS_M[1]],
                         ["site", f"ring 0-{RING_BANDS_M[0]:.0f} m",
                          f"ring {RING_BANDS_M[0]:.0f}-{RING_BANDS_M[1]:.0f} m"], "elsewhere")
        given = raw["zone"] if "zone" in raw.columns else pd.Series("", index=raw.index)
        out = raw.drop(columns=["lon", "lat"])
        out["zone"] = given.where(~located.to_numpy(), zone)
        return out

    def activities(self, site: str, *, user: str, role: str) -> pd.DataFrame:
        """Return ``site``'s activities for ``role``: notes only where the reader may see them.

        Analysts see every note; a partner sees the notes of their own agency's activities;
        the public sees no notes and no outcomes (only date, phase, pillar, agency, type).
        """
        site_id = self._sites.site_id(site)
        rows = pd.read_sql_query(
            f"SELECT {', '.join(_STORED)}, version FROM activities WHERE site_id = ? "  # noqa: S608
            "ORDER BY date, activity_id", self._conn, params=(site_id,))
        rows["date"] = pd.to_datetime(rows["date"], format="%Y-%m-%d")
        if role == "analyst":
            return rows
        if role == "partner":
            own = self.agency_of(user).casefold()
            mine = (rows["agency"].str.casefold() == own if own
                    else pd.Series(False, index=rows.index))
            return rows.assign(notes=rows["notes"].where(mine, ""))
        return rows.drop(columns=["notes", "outcome", "zone", "activity_id", "version"])

    # -- MoRiLE ----------------------------------------------------------------------
    def import_morile(self, site: str, raw: pd.DataFrame, *, user: str, role: str,
                      source: str, today: date | None = None) -> pd.DataFrame:
        """Validate and add MoRiLE scores of ``site`` (analysts only; all or nothing)."""
        require_role(role, ANALYSTS, "record MoRiLE scores")
        site_id = self._sites.site_id(site)
        clean = validate_morile(raw, today=today or self._clock().date(), file=source)
        now = self._clock().isoformat()
        with transaction(self._conn):
            self._conn.executemany(
                "INSERT INTO morile_scores (site_id, date, ocg_ref, score, entered_by, "
                "entered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, date, ocg_ref) "
                "DO UPDATE SET score = excluded.score, entered_by = excluded.entered_by, "
                "entered_at = excluded.entered_at",
                [(site_id, d.strftime("%Y-%m-%d"), r, float(s), user, now)
                 for d, s, r in clean[["date", "score", "ocg_ref"]].itertuples(index=False)])
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="morile.import", target=f"site:{site}",
                         details={"source": source, "rows": len(clean)})
        return clean

    def morile(self, site: str) -> pd.DataFrame:
        """Return ``site``'s MoRiLE series: ``date`` (datetime64), ``score``, ``ocg_ref``."""
        rows = pd.read_sql_query(
            "SELECT date, score, ocg_ref FROM morile_scores WHERE site_id = ? "
            "ORDER BY ocg_ref, date", self._conn,
            params=(self._sites.site_id(site),))
        rows["date"] = pd.to_datetime(rows["date"], format="%Y-%m-%d")
        return rows

    # -- perception waves ------------------------------------------------------------
    def import_waves(self, site: str, raw: pd.DataFrame, *, user: str, role: str,
                     source: str) -> pd.DataFrame:
        """Validate and store perception survey aggregates of ``site`` (all or nothing).

        A wave already stored is replaced as a whole (a corrected wave file).
        """
        require_role(role, ANALYSTS, "record perception waves")
        site_id = self._sites.site_id(site)
        clean = validate_waves(raw, file=source)
        now = self._clock().isoformat()
        with transaction(self._conn):
            self._conn.executemany(
                "DELETE FROM perception_waves WHERE site_id = ? AND wave = ?",
                [(site_id, w) for w in clean["wave"].unique()])
            self._conn.executemany(
                "INSERT INTO perception_waves (site_id, wave, question, response, respondents,"
                " imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(site_id, w, q, r, int(n), user, now) for w, q, r, n in clean[
                    ["wave", "question", "response", "respondents"]].itertuples(index=False)])
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="perception.import", target=f"site:{site}",
                         details={"source": source, "waves": sorted(clean["wave"].unique())})
        return clean

    def waves(self, site: str) -> pd.DataFrame:
        """Return ``site``'s perception aggregates in the order they were imported.

        Columns ``wave``, ``question``, ``response``, ``respondents``.
        """
        return pd.read_sql_query(
            "SELECT wave, question, response, respondents FROM perception_waves "
            "WHERE site_id = ? ORDER BY rowid", self._conn,
            params=(self._sites.site_id(site),))
