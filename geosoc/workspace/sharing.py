"""Data-sharing records per dataset, and the widest-role rule every loader applies.

Each dataset an agency shares under an information sharing agreement (ISA) carries a record:
the owner agency, the ISA reference (and DPIA reference), the legal basis (e.g. "Crime and
Disorder Act 1998 s115", "DPA 2018 Part 3"), the protective marking, the **widest role**
allowed to see it (even aggregated) and a **delete-by** date.

- Widest role: ``analyst`` < ``partner`` < ``public``. A dataset whose widest role is
  ``analyst`` is left out of everything built for a partner or the public (layers, totals,
  series, launch packs), before any aggregation: :func:`visible_to` is what
  :mod:`geosoc.workspace.dataset_store` loaders call with the audience's role.
- Delete-by: :func:`geosoc.workspace.retention.apply_retention` deletes a dataset on or
  after its date (its file and its row), audited; the record stays, marked ``deleted``, so
  the ISA/DPIA register (:func:`register_frame`) shows what was held and when it went.
- A dataset without a record is listed as "no sharing record" and, for compatibility with
  workspaces made before records existed, is not limited beyond the disclosure rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import audit
from geosoc.workspace.db import Clock, transaction
from geosoc.workspace.roles import ANALYSTS, ROLES, require_role

#: Protective markings (Government Security Classifications) a dataset may carry here.
#: SECRET and above must never be loaded into geosoc.
MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")
#: Legal bases commonly cited for sharing crime and disorder data (free text is allowed).
LEGAL_BASES = (
    "Crime and Disorder Act 1998 s115",
    "Crime and Disorder Act 1998 s17A",
    "DPA 2018 Part 3 (law enforcement processing)",
    "UK GDPR Art 6(1)(e) public task",
    "Open data (OGL v3)",
)
#: Widest role assumed for a dataset with no record (workspaces made before records existed).
UNRECORDED_WIDEST_ROLE = "public"
#: Columns of :func:`register_frame` (the ISA/DPIA register handed to the DPO).
REGISTER_COLUMNS = ("dataset", "kind", "owner_agency", "isa_reference", "dpia_reference",
                    "legal_basis", "protective_marking", "widest_role", "delete_by",
                    "days_left", "status", "rows", "loaded_by", "loaded_at", "recorded_by",
                    "recorded_at", "deleted_by", "deleted_at", "deleted_reason", "notes")


@dataclass(frozen=True)
class SharingRecord:
    """The terms a dataset is held under.

    Attributes
    ----------
    owner_agency : str
        The agency that owns the data (``"Demoford Council"``, ``"Demoford Police"``).
    isa_reference : str
        The information sharing agreement reference (``"ISA-2025-014"``).
    legal_basis : str
        The legal gateway (see :data:`LEGAL_BASES`).
    protective_marking : str
        One of :data:`MARKINGS`.
    widest_role : str
        The widest role allowed to see it, even aggregated: ``analyst``, ``partner`` or
        ``public``.
    delete_by : str
        ISO date (``YYYY-MM-DD``) by which the data must be deleted.
    dpia_reference : str
        The data protection impact assessment reference (optional).
    notes : str
        Free text (conditions of the ISA).
    """

    owner_agency: str
    isa_reference: str
    legal_basis: str
    protective_marking: str
    widest_role: str
    delete_by: str
    dpia_reference: str = ""
    notes: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> SharingRecord:
        """Build a record from a mapping (CLI flags, a form, a CSV row), stripped of blanks."""
        names = {f.name for f in fields(cls)}
        given = {k: str(v).strip() for k, v in values.items()
                 if k in names and v is not None and not pd.isna(v)}
        missing = [n for n in ("owner_agency", "isa_reference", "legal_basis",
                               "protective_marking", "widest_role", "delete_by")
                   if not given.get(n)]
        if missing:
            raise WorkspaceError("sharing record incomplete", [Problem(
                f"no {n.replace('_', ' ')} given", column=n,
                fix=f"give --{n.replace('_', '-')} (see geosoc datasets share -h)")
                for n in missing])
        record = cls(**given)
        record.check()
        return record

    def check(self) -> None:
        """Raise :class:`WorkspaceError` naming every field that is not usable."""
        problems = []
        if self.widest_role not in ROLES:
            problems.append(Problem(f"widest role {self.widest_role!r} is not a role",
                                    column="widest_role", fix="use analyst, partner or public"))
        if self.protective_marking not in MARKINGS:
            problems.append(Problem(
                f"protective marking {self.protective_marking!r} is not allowed here",
                column="protective_marking",
                fix="use OFFICIAL or OFFICIAL-SENSITIVE; SECRET material must not be loaded "
                    "into geosoc"))
        try:
            date.fromisoformat(self.delete_by)
        except ValueError:
            problems.append(Problem(f"delete-by {self.delete_by!r} is not a date",
                                    column="delete_by", fix="write YYYY-MM-DD, e.g. 2027-03-31"))
        for name in ("owner_agency", "isa_reference", "legal_basis"):
            if not getattr(self, name).strip() or len(getattr(self, name)) > 200:
                problems.append(Problem(f"{name.replace('_', ' ')} is empty or too long",
                                        column=name, fix="write it in up to 200 characters"))
        if problems:
            raise WorkspaceError("sharing record not usable", problems)


def record_terms(conn: sqlite3.Connection, dataset: str, terms: SharingRecord, *, user: str,
                 role: str, at: datetime) -> None:
    """Write ``dataset``'s record (replacing any) and its audit entry; call in a transaction."""
    terms.check()
    conn.execute(
        "INSERT OR REPLACE INTO dataset_sharing (dataset, owner_agency, isa_reference,"
        " dpia_reference, legal_basis, protective_marking, widest_role, delete_by, "
        "notes, status, recorded_by, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?)",
        (dataset, terms.owner_agency, terms.isa_reference, terms.dpia_reference,
         terms.legal_basis, terms.protective_marking, terms.widest_role,
         terms.delete_by, terms.notes, user, at.isoformat()))
    audit.record(conn, who=user, role=role, at=at, action="dataset.sharing",
                 target=f"dataset:{dataset}", details=asdict(terms))


def allows(widest_role: str, role: str) -> bool:
    """Return whether ``role`` may see a dataset whose widest role is ``widest_role``.

    >>> allows("partner", "analyst"), allows("partner", "public")
    (True, False)
    """
    if role not in ROLES:
        return False
    return ROLES.index(role) <= ROLES.index(widest_role)


class SharingRegister:
    """The data-sharing records of one workspace (``ws.sharing``); written by analysts."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def record(self, dataset: str, terms: SharingRecord, *, user: str, role: str
               ) -> dict[str, object]:
        """Record (or update) the terms ``dataset`` is held under; audited; return the row.

        The dataset need not be loaded yet (record the ISA first, then ingest); recording
        terms again for a deleted dataset's name starts a new record (status ``held``).
        """
        require_role(role, ANALYSTS, "record data-sharing terms")
        terms.check()
        with transaction(self._conn):
            record_terms(self._conn, dataset, terms, user=user, role=role, at=self._clock())
        return self.get(dataset) or {}

    def close(self, dataset: str, *, who: str, role: str, reason: str) -> None:
        """Mark the record of a dataset that is not loaded ``deleted``, audited."""
        now = self._clock()
        with transaction(self._conn):
            self._conn.execute("UPDATE dataset_sharing SET status = 'deleted', deleted_by = ?,"
                               " deleted_at = ?, deleted_reason = ? WHERE dataset = ?",
                               (who, now.isoformat(), reason, dataset))
            audit.record(self._conn, who=who, role=role, at=now, action="dataset.delete",
                         target=f"dataset:{dataset}",
                         details={"reason": reason, "file": None, "rows": 0})

    def get(self, dataset: str) -> dict[str, object] | None:
        """Return the record of ``dataset`` (any status), or None."""
        row = self._conn.execute("SELECT * FROM dataset_sharing WHERE dataset = ?",
                                 (dataset,)).fetchone()
        return None if row is None else dict(row)

    def frame(self) -> pd.DataFrame:
        """Return every record (held and deleted), by dataset name."""
        return pd.read_sql_query("SELECT * FROM dataset_sharing ORDER BY dataset", self._conn)

    def widest_roles(self) -> dict[str, str]:
        """Return ``{dataset: widest role}`` of every held dataset with a record."""
        rows = self._conn.execute(
            "SELECT dataset, widest_role FROM dataset_sharing WHERE status = 'held'")
        return {r[0]: r[1] for r in rows}

    def expired(self, on: date | None = None) -> list[str]:
        """Return the held datasets whose delete-by date is ``on`` (default today) or earlier."""
        today = (on or self._clock().date()).isoformat()
        rows = self._conn.execute(
            "SELECT dataset FROM dataset_sharing WHERE status = 'held' AND delete_by <= ? "
            "ORDER BY dataset", (today,))
        return [r[0] for r in rows]


def visible_to(names: list[str], widest: Mapping[str, str], role: str) -> list[str]:
    """Return the dataset ``names`` a ``role`` may see (order kept).

    Parameters
    ----------
    names : list of str
        Datasets loaded.
    widest : mapping
        ``{dataset: widest role}`` (:meth:`SharingRegister.widest_roles`); a dataset not in
        it is unrecorded and allowed up to :data:`UNRECORDED_WIDEST_ROLE`.
    role : str
        The audience.
    """
    return [n for n in names if allows(widest.get(n, UNRECORDED_WIDEST_ROLE), role)]


def restrict_by_source(incidents: pd.DataFrame, records: pd.DataFrame, role: str
                       ) -> pd.DataFrame:
    """Return the incidents ``role`` may see when each source is one dataset (the demo town).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents contract (``source``); any CRS.
    records : pandas.DataFrame
        Sharing records with ``dataset`` (= source name) and ``widest_role``.
    role : str
        The audience.

    Returns
    -------
    pandas.DataFrame
        A new frame without the rows of sources ``role`` may not see (index kept).
    """
    widest = dict(zip(records["dataset"].astype(str), records["widest_role"].astype(str),
                      strict=True))
    sources = incidents["source"].astype(str)
    allowed = [s for s in sources.unique() if allows(widest.get(s, UNRECORDED_WIDEST_ROLE), role)]
    return incidents[sources.isin(allowed).to_numpy()]


def register_frame(records: pd.DataFrame, datasets: pd.DataFrame, *, today: date
                   ) -> pd.DataFrame:
    """Join sharing records with the datasets held: the ISA/DPIA register for the DPO.

    Parameters
    ----------
    records : pandas.DataFrame
        :meth:`SharingRegister.frame`.
    datasets : pandas.DataFrame
        ``Workspace.datasets.list()`` (``name``, ``kind``, ``rows``, ``loaded_by``...).
    today : date
        For ``days_left`` (negative: overdue).

    Returns
    -------
    pandas.DataFrame
        One row per dataset held or once held, columns :data:`REGISTER_COLUMNS`;
        ``status`` is ``held``, ``deleted`` or ``no sharing record`` (loaded, unrecorded).
    """
    held = datasets.rename(columns={"name": "dataset"})[
        ["dataset", "kind", "rows", "loaded_by", "loaded_at"]]
    merged = records.merge(held, on="dataset", how="outer")
    merged["status"] = merged["status"].fillna("no sharing record")
    when = pd.to_datetime(merged["delete_by"], errors="coerce")
    left = (when - pd.Timestamp(today)).dt.days
    merged["days_left"] = left.where(merged["status"] == "held").astype("Int64")
    merged["rows"] = merged["rows"].astype("Int64")
    out = merged.reindex(columns=list(REGISTER_COLUMNS))
    text = [c for c in REGISTER_COLUMNS if c not in ("days_left", "rows")]
    out[text] = out[text].astype(object).where(out[text].notna(), "")
    return out.sort_values("dataset").reset_index(drop=True)


#: Marking of the register itself (it names agencies, agreements and what is held).
REGISTER_MARKING = "OFFICIAL-SENSITIVE"


def write_register_csv(table: pd.DataFrame, path: Path, anchor: str) -> Path:
    """Write the ISA/DPIA register: a marking line, then the CSV (formulas neutralised).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`register_frame`.
    path : Path
        The file to write (a temporary name under :meth:`Workspace.export`).
    anchor : str
        The audit chain head the export carries.

    Returns
    -------
    Path
        ``path``. Line 1 is ``# OFFICIAL-SENSITIVE · ISA/DPIA register · <anchor>``; read
        the rest with ``pandas.read_csv(path, skiprows=1)``.
    """
    from geosoc.assets.files import neutralise_formulas

    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# {REGISTER_MARKING} · geosoc ISA/DPIA register · {anchor}\r\n")
        neutralise_formulas(table).to_csv(handle, index=False, lineterminator="\r\n")
    return path
