"""Chosen Clear, Hold, Build sites and their phase dates.

A site has a unique name, a polygon (stored as WKB, EPSG:4326), why and by whom it was chosen,
and a JSON snapshot of its score at the time. Phases run ``baseline`` -> ``clear`` -> ``hold``
-> ``build``, each from ``start_month`` to ``end_month`` (inclusive; the last may be open);
they must not overlap and must come in that order. When no baseline is given it defaults to
the 12 months before Clear starts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geosoc.errors import Problem, SchemaError, WorkspaceError
from geosoc.schema import CRS_STORE, UK_BOUNDS_LONLAT
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, require_role

#: Phases in the order they happen.
PHASES = ("baseline", "clear", "hold", "build")
#: Months in the default baseline before Clear.
BASELINE_MONTHS = 12

MonthLike = str | pd.Period | date
PhaseSpan = tuple[MonthLike, MonthLike | None]


def _month(value: MonthLike | None, phase: str, column: str,
           problems: list[Problem]) -> pd.Period | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Period(value, freq="M")
    except (ValueError, TypeError):
        problems.append(Problem(f"{phase} {column} '{value}' is not a month", column=column,
                                fix="write months as YYYY-MM"))
        return None


def plan_phases(phases: Mapping[str, PhaseSpan]) -> pd.DataFrame:
    """Validate a phase plan and fill the default baseline.

    Parameters
    ----------
    phases : mapping
        ``{phase: (start_month, end_month or None)}``; months as ``"YYYY-MM"``, Period or
        date. Only the last phase given may be open-ended.

    Returns
    -------
    pandas.DataFrame
        ``phase``, ``start_month``, ``end_month`` (``Period[M]``, NaT when open), in order.

    Raises
    ------
    SchemaError
        Listing every unknown phase, bad month, reversed span, overlap or open middle phase.
    """
    problems: list[Problem] = []
    unknown = sorted(set(phases) - set(PHASES))
    problems += [Problem(f"unknown phase '{p}'", column="phase",
                         fix=f"use {', '.join(PHASES)}") for p in unknown]
    spans: dict[str, tuple[pd.Period | None, pd.Period | None]] = {}
    for phase in (p for p in PHASES if p in phases):
        start, end = phases[phase]
        spans[phase] = (_month(start, phase, "start_month", problems),
                        _month(end, phase, "end_month", problems))
    if "baseline" not in spans and spans.get("clear", (None,))[0] is not None:
        clear_start = spans["clear"][0]
        spans = {"baseline": (clear_start - BASELINE_MONTHS, clear_start - 1), **spans}
    ordered = [p for p in PHASES if p in spans]
    for i, phase in enumerate(ordered):
        start, end = spans[phase]
        if start is None:
            if phases.get(phase, (None,))[0] is None:
                problems.append(Problem(f"{phase} has no start month", column="start_month",
                                        fix="give a YYYY-MM start"))
            continue
        if end is not None and end < start:
            problems.append(Problem(f"{phase} ends ({end}) before it starts ({start})",
                                    column="end_month", fix="swap or correct the months"))
        if i + 1 < len(ordered):
            after = ordered[i + 1]
            next_start = spans[after][0]
            if end is None:
                problems.append(Problem(f"{phase} is open-ended but {after} follows it",
                                        column="end_month", fix=f"give {phase} an end month"))
            elif next_start is not None and next_start <= end:
                problems.append(Problem(
                    f"{after} starts ({next_start}) before {phase} ends ({end})",
                    column="start_month", fix="phases must not overlap"))
    if problems:
        raise SchemaError("phase plan rejected", problems)
    return pd.DataFrame({
        "phase": ordered,
        "start_month": pd.PeriodIndex([spans[p][0] for p in ordered], freq="M"),
        "end_month": pd.PeriodIndex([spans[p][1] for p in ordered], freq="M"),
    })


def _check_geometry(geometry: BaseGeometry) -> None:
    problems = []
    if not isinstance(geometry, BaseGeometry) or geometry.geom_type not in ("Polygon",
                                                                            "MultiPolygon"):
        problems.append(Problem("site geometry must be a Polygon or MultiPolygon",
                                column="geometry", fix="draw or upload an area"))
    elif not geometry.is_valid or geometry.is_empty:
        problems.append(Problem("site geometry is empty or invalid", column="geometry",
                                fix="repair it (shapely.make_valid)"))
    elif not shapely.box(*UK_BOUNDS_LONLAT).contains(geometry):
        problems.append(Problem("site is not inside the UK in EPSG:4326", column="geometry",
                                fix="reproject the polygon to EPSG:4326 (lon/lat)"))
    if problems:
        raise SchemaError("site geometry rejected", problems)


class SiteStore:
    """CHB sites and phases of one workspace (written by analysts only)."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def add(self, name: str, geometry: BaseGeometry, *, reason: str, chosen_by: str,
            chosen_on: date | str, score: Mapping[str, object] | None = None,
            user: str, role: str) -> int:
        """Record a chosen site (polygon in EPSG:4326); return its ``site_id``."""
        require_role(role, ANALYSTS, "record sites")
        _check_geometry(geometry)
        problems = []
        if not name.strip():
            problems.append(Problem("site name is empty", column="name"))
        chosen = pd.to_datetime(pd.Series([str(chosen_on)]), format="ISO8601", errors="coerce")
        if chosen.isna().iloc[0]:
            problems.append(Problem(f"chosen_on '{chosen_on}' is not a date", column="chosen_on",
                                    fix="write YYYY-MM-DD"))
        if problems:
            raise SchemaError("site not recorded", problems)
        with transaction(self._conn):
            if self._conn.execute("SELECT 1 FROM sites WHERE name = ?", (name,)).fetchone():
                raise WorkspaceError("site not recorded", [Problem(
                    f"a site named '{name}' already exists", column="name",
                    fix="choose another name")])
            cursor = self._conn.execute(
                "INSERT INTO sites (name, geometry, reason, chosen_by, chosen_on, score) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, shapely.to_wkb(geometry), reason, chosen_by,
                 chosen.dt.strftime("%Y-%m-%d").iloc[0],
                 audit.canonical_json(dict(score or {}))))
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="site.add", target=f"site:{name}", details={"reason": reason})
        return int(cursor.lastrowid)

    def frame(self) -> gpd.GeoDataFrame:
        """Return all sites indexed by ``name``, geometry EPSG:4326.

        Columns ``site_id``, ``reason``, ``chosen_by``, ``chosen_on``, ``score`` (dict).
        """
        rows = pd.read_sql_query("SELECT * FROM sites ORDER BY site_id", self._conn)
        geometry = shapely.from_wkb(rows.pop("geometry").to_numpy())
        rows["score"] = rows["score"].map(json.loads)
        return gpd.GeoDataFrame(rows, geometry=geometry, crs=CRS_STORE).set_index("name")

    def set_phases(self, site: str, phases: Mapping[str, PhaseSpan], *, user: str,
                   role: str) -> pd.DataFrame:
        """Validate and store a site's phase plan (replacing the old one); return it."""
        require_role(role, ANALYSTS, "set phases")
        plan = plan_phases(phases)
        with transaction(self._conn):
            site_id = self._site_id(site)
            self._conn.execute("DELETE FROM phases WHERE site_id = ?", (site_id,))
            self._conn.executemany(
                "INSERT INTO phases (site_id, phase, start_month, end_month) "
                "VALUES (?, ?, ?, ?)",
                [(site_id, p, str(s), None if pd.isna(e) else str(e)) for p, s, e in
                 zip(plan["phase"], plan["start_month"], plan["end_month"], strict=True)])
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="site.phases", target=f"site:{site}",
                         details={"phases": {p: [str(s), None if pd.isna(e) else str(e)]
                                             for p, s, e in plan.itertuples(index=False)}})
        return plan

    def phases(self, site: str) -> pd.DataFrame:
        """Return a site's phases: ``phase``, ``start_month``, ``end_month`` (Period[M])."""
        rows = pd.read_sql_query(
            "SELECT phase, start_month, end_month FROM phases WHERE site_id = ?",
            self._conn, params=(self._site_id(site),))
        rows = rows.assign(order=rows["phase"].map(PHASES.index)).sort_values("order")
        return pd.DataFrame({
            "phase": rows["phase"].to_numpy(),
            "start_month": pd.PeriodIndex(rows["start_month"], freq="M"),
            "end_month": pd.PeriodIndex(rows["end_month"].tolist(), freq="M"),
        })

    def site_id(self, site: str) -> int:
        """Return the id of the site named ``site`` (a clear error when there is none)."""
        return self._site_id(site)

    def _site_id(self, site: str) -> int:
        row = self._conn.execute("SELECT site_id FROM sites WHERE name = ?", (site,)).fetchone()
        if row is None:
            raise WorkspaceError("site not found", [Problem(
                f"no site named '{site}'", column="name", fix="record the site first")])
        return int(row[0])
