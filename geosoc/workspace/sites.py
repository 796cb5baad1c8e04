"""Chosen Clear, Hold, Build sites and their phase dates.

A site has a unique name, a polygon (stored as WKB, EPSG:4326), why and by whom it was chosen,
and a JSON snapshot of its score at the time. Phases run ``baseline`` -> ``clear`` -> ``hold``
-> ``build``, each from ``start_month`` to ``end_month`` (inclusive; the last may be open);
they must not overlap and must come in that order. When no baseline is given it defaults to
the 12 months before Clear starts.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Mapping, Sequence
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


#: Which phase may follow which: Hold after Clear, Build after Hold, and Clear again after
#: Hold or Build (the guidance: "options to resume Clear should be considered").
NEXT_PHASES = {"baseline": ("clear",), "clear": ("hold",), "hold": ("build", "clear"),
               "build": ("clear",)}

PhasePlanInput = Mapping[str, PhaseSpan] | Sequence[tuple[str, MonthLike, MonthLike | None]]


def _as_sequence(phases: PhasePlanInput) -> list[tuple[str, MonthLike, MonthLike | None]]:
    if isinstance(phases, Mapping):  # one of each phase, in the canonical order
        known = [p for p in PHASES if p in phases]
        extra = [p for p in phases if p not in PHASES]
        return [(p, *phases[p]) for p in known + extra]
    return [(str(p), s, e) for p, s, e in phases]


def plan_phases(phases: PhasePlanInput) -> pd.DataFrame:
    """Validate a phase plan, which may cycle, and fill the default baseline.

    Parameters
    ----------
    phases : mapping or sequence
        ``{phase: (start_month, end_month or None)}`` for one of each phase, or a
        chronological sequence of ``(phase, start_month, end_month)`` in which Clear may
        resume after Hold or Build (e.g. baseline, clear, hold, clear, hold, build). Months
        as ``"YYYY-MM"``, Period or date. Only the last phase may be open-ended.

    Returns
    -------
    pandas.DataFrame
        ``phase``, ``occurrence`` (1 for the first Clear, 2 for a resumed Clear...),
        ``start_month``, ``end_month`` (``Period[M]``, NaT when open), in time order.

    Raises
    ------
    SchemaError
        Listing every unknown phase, bad month, reversed span, overlap, open middle phase and
        phase that may not follow the one before it.
    """
    problems: list[Problem] = []
    steps = _as_sequence(phases)
    problems += [Problem(f"unknown phase '{p}'", column="phase",
                         fix=f"use {', '.join(PHASES)}") for p, _, _ in steps if p not in PHASES]
    steps = [(p, _month(s, p, "start_month", problems), _month(e, p, "end_month", problems),
              s) for p, s, e in steps if p in PHASES]
    problems += [Problem(f"{p} has no start month", column="start_month",
                         fix="give a YYYY-MM start") for p, start, _, raw in steps
                 if start is None and (raw is None or (isinstance(raw, str) and not raw.strip()))]
    spans = [(p, start, end) for p, start, end, _ in steps]
    if spans and spans[0][0] != "baseline" and spans[0][0] == "clear" and spans[0][1]:
        first = spans[0][1]
        spans.insert(0, ("baseline", first - BASELINE_MONTHS, first - 1))
    if spans and spans[0][0] not in ("baseline", "clear"):
        problems.append(Problem(f"{spans[0][0]} may not follow baseline", column="phase",
                                fix="a plan starts with Clear (after its baseline)"))
    problems += [Problem("baseline must come first", column="phase",
                         fix="put the baseline before Clear") for i, (p, _, _) in
                 enumerate(spans) if p == "baseline" and i > 0]
    for (phase, start, end), (after, next_start, _) in itertools.pairwise(spans):
        if after not in NEXT_PHASES.get(phase, ()) and after != "baseline":
            problems.append(Problem(f"{after} may not follow {phase}", column="phase", fix=(
                "phases run clear, hold, build; Clear may resume after Hold or Build")))
        if end is None and start is not None:
            problems.append(Problem(f"{phase} is open-ended but {after} follows it",
                                    column="end_month", fix=f"give {phase} an end month"))
        elif end is not None and next_start is not None and next_start <= end:
            problems.append(Problem(f"{after} starts ({next_start}) before {phase} ends "
                                    f"({end})", column="start_month",
                                    fix="phases must not overlap"))
    problems += [Problem(f"{p} ends ({e}) before it starts ({s})", column="end_month",
                         fix="swap or correct the months") for p, s, e in spans
                 if s is not None and e is not None and e < s]
    if problems:
        raise SchemaError("phase plan rejected", problems)
    names = [p for p, _, _ in spans]
    return pd.DataFrame({
        "phase": names,
        "occurrence": [names[:i + 1].count(p) for i, p in enumerate(names)],
        "start_month": pd.PeriodIndex([s for _, s, _ in spans], freq="M"),
        "end_month": pd.PeriodIndex([e for _, _, e in spans], freq="M"),
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

    def set_phases(self, site: str, phases: PhasePlanInput, *, user: str,
                   role: str) -> pd.DataFrame:
        """Validate and store a site's phase plan (replacing the old one); return it.

        ``phases`` as :func:`plan_phases` takes it: one of each phase, or a cycle.
        """
        require_role(role, ANALYSTS, "set phases")
        plan = plan_phases(phases)
        with transaction(self._conn):
            site_id = self._site_id(site)
            self._conn.execute("DELETE FROM phases WHERE site_id = ?", (site_id,))
            self._conn.executemany(
                "INSERT INTO phases (site_id, seq, phase, start_month, end_month) "
                "VALUES (?, ?, ?, ?, ?)",
                [(site_id, i, p, str(s), None if pd.isna(e) else str(e)) for i, (p, s, e) in
                 enumerate(zip(plan["phase"], plan["start_month"], plan["end_month"],
                               strict=True))])
            audit.record(self._conn, who=user, role=role, at=self._clock(),
                         action="site.phases", target=f"site:{site}",
                         details={"phases": [[p, str(s), None if pd.isna(e) else str(e)]
                                             for p, s, e in zip(plan["phase"],
                                             plan["start_month"], plan["end_month"],
                                             strict=True)]})
        return plan

    def phases(self, site: str) -> pd.DataFrame:
        """Return a site's phases in time order, as :func:`plan_phases` returns them.

        Columns ``phase``, ``occurrence``, ``start_month``, ``end_month`` (Period[M]).
        """
        rows = pd.read_sql_query(
            "SELECT phase, start_month, end_month FROM phases WHERE site_id = ? ORDER BY seq",
            self._conn, params=(self._site_id(site),))
        names = rows["phase"].tolist()
        return pd.DataFrame({
            "phase": names,
            "occurrence": [names[:i + 1].count(p) for i, p in enumerate(names)],
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
