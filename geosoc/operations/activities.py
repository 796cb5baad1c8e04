"""The 4P activity and disruption log of a CHB site: the record model and its validation.

One row per activity: when (``date``, a day), which ``phase`` it falls in (derived from the
site's phase plan, or checked against it when given), the 4P ``pillar`` (Pursue, Prevent,
Protect, Prepare), the ``agency`` that did it, the ``activity_type`` from a controlled list
(arrest, warrant, closure order, safeguarding visit, youth diversion...), its ``outcome``,
an optional ``zone`` (the site, a ring or an area the activity was in: a location is snapped
to a zone and never kept as a point) and free-text ``notes`` (never shown to the public).

Validation collects every problem with its row and column; a file with any problem is
rejected whole. Text is stored verbatim and escaped where it is rendered; CSV exports
neutralise spreadsheet formulas.
"""

from __future__ import annotations

import difflib
from datetime import date

import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError

#: The CHB 4P pillars.
PILLARS = ("pursue", "prevent", "protect", "prepare")
#: Activity types, with accepted synonyms.
ACTIVITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "arrest": ("arrests", "charge", "charged"),
    "warrant": ("search warrant", "warrant executed", "drugs warrant"),
    "closure order": ("closure", "premises closure", "crack house closure"),
    "seizure": ("drugs seizure", "cash seizure", "weapon seizure", "seizures"),
    "disruption": ("ocg disruption", "disruption activity"),
    "safeguarding visit": ("safeguarding", "welfare visit", "cuckooing visit"),
    "youth diversion": ("diversion", "youth work", "detached youth work", "youth outreach"),
    "education session": ("school session", "schools input", "education"),
    "environmental fix": ("environmental", "street clean", "cctv", "lighting", "target hardening",
                          "gating"),
    "community event": ("event", "community engagement", "engagement event", "street meeting"),
    "patrol": ("high visibility patrol", "hi-vis patrol", "patrols", "hotspot patrol"),
    "multi-agency meeting": ("meeting", "tasking", "mac meeting"),
    "referral": ("referrals", "onward referral"),
    "other": ("misc",),
}
ACTIVITY_TYPES: tuple[str, ...] = tuple(ACTIVITY_SYNONYMS)
#: Columns of a stored activity, in export order.
ACTIVITY_COLUMNS = ("activity_id", "date", "phase", "pillar", "agency", "activity_type",
                    "outcome", "zone", "notes")
#: Free-text columns (stored verbatim, escaped when rendered, formula-neutralised in CSV).
TEXT_COLUMNS = ("agency", "outcome", "notes", "zone")
#: Longest accepted free text, characters.
MAX_TEXT = 2_000
_REQUIRED = ("date", "pillar", "agency", "activity_type")
_ACTIVITY_LOOKUP = {alias: canonical for canonical, aliases in ACTIVITY_SYNONYMS.items()
                    for alias in (canonical, *aliases)}


def _clean(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)


def phase_of(days: pd.Series, plan: pd.DataFrame) -> pd.Series:
    """Phase name of each day under ``plan`` (``<NA>`` outside every phase).

    Parameters
    ----------
    days : pandas.Series of datetime64
        The days.
    plan : pandas.DataFrame
        ``phase``, ``start_month``, ``end_month`` (``Period[M]``; the last may be NaT, open)
        as :func:`geosoc.workspace.sites.plan_phases` returns; a phase may repeat (cycles).
    """
    out = pd.Series(pd.NA, index=days.index, dtype="string")
    months = days.dt.to_period("M")
    for row in plan.itertuples(index=False):  # one pass per phase span, not per activity
        end = row.end_month if not pd.isna(row.end_month) else pd.Period("2999-12", freq="M")
        inside = (months >= row.start_month) & (months <= end)
        out = out.mask(inside & out.isna(), row.phase)
    return out


def validate_activities(raw: pd.DataFrame, *, today: date, plan: pd.DataFrame | None = None,
                        existing_ids: set[str] | frozenset[str] = frozenset(),
                        file: str | None = None, first_row: int = 2) -> pd.DataFrame:
    """Check an activity log and return it in the :data:`ACTIVITY_COLUMNS` model.

    Parameters
    ----------
    raw : pandas.DataFrame
        Rows as read from a CSV (strings); columns named as :data:`ACTIVITY_COLUMNS`
        (``activity_id``, ``phase``, ``outcome``, ``zone``, ``notes`` optional).
    today : datetime.date
        Dates after ``today`` are refused (a log records what happened).
    plan : pandas.DataFrame, optional
        The site's phase plan; every date must fall in a phase, and a given ``phase`` must
        be the one its date falls in. Without a plan ``phase`` is required.
    existing_ids : set of str
        Activity ids already stored for the site (a repeated id is refused).
    file : str, optional
        File name for the problems.
    first_row : int
        Row number of ``raw``'s first row in the file (2 when a header precedes it).

    Returns
    -------
    pandas.DataFrame
        The activities (``date`` as ``datetime64``), ids filled in where blank;
        ``attrs["mapped"]`` lists every synonym stored under another activity type
        (``"'target hardening' stored as 'environmental fix' (2 rows)"``), so a mapping is
        never silent.

    Raises
    ------
    SchemaError
        Listing every problem with its row, column and fix; nothing is returned then.
    """
    problems: list[Problem] = []
    rows = pd.Series(np.arange(len(raw)) + first_row, index=raw.index)
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if plan is None and "phase" not in raw.columns:
        missing.append("phase")
    if missing:
        raise SchemaError("the activity log lacks required columns", [
            Problem(f"no '{c}' column", file=file, column=c,
                    fix=f"add a '{c}' column (columns: {', '.join(ACTIVITY_COLUMNS)})")
            for c in missing])
    frame = raw.reindex(columns=list(ACTIVITY_COLUMNS)).astype("object")
    for column in ("activity_id", "outcome", "zone", "notes", "phase"):
        frame[column] = frame[column].where(frame[column].notna(), "")
        frame[column] = frame[column].astype("string").str.strip()

    def report(mask: pd.Series, column: str, message: str, fix: str) -> None:
        for row, value in zip(rows[mask], raw.loc[mask, column] if column in raw else
                              [None] * int(mask.sum()), strict=True):
            problems.append(Problem(message.format(value=value), file=file, row=int(row),
                                    column=column, fix=fix))

    days = pd.to_datetime(frame["date"].astype("string").str.strip(), format="%Y-%m-%d",
                          errors="coerce")
    report(days.isna(), "date", "date {value!r} is not a day", "write dates as YYYY-MM-DD")
    report(days > pd.Timestamp(today), "date", "date {value!r} is in the future",
           f"log activities that have happened (today is {today:%Y-%m-%d})")

    pillar = _clean(frame["pillar"])
    report(~pillar.isin(PILLARS).fillna(False), "pillar", "pillar {value!r} is not a 4P pillar",
           f"use one of {', '.join(PILLARS)}")
    kind = _clean(frame["activity_type"]).map(_ACTIVITY_LOOKUP)
    for row, value in zip(rows[kind.isna()], raw.loc[kind.isna(), "activity_type"], strict=True):
        near = difflib.get_close_matches(str(value).lower(), list(_ACTIVITY_LOOKUP), n=1)
        hint = f"did you mean '{_ACTIVITY_LOOKUP[near[0]]}'? " if near else ""
        problems.append(Problem(f"activity type {value!r} is not in the list", file=file,
                                row=int(row), column="activity_type",
                                fix=f"{hint}use one of {', '.join(ACTIVITY_TYPES)}"))
    agency = frame["agency"].astype("string").str.strip()
    report(agency.isna() | (agency == ""), "agency", "agency is empty",
           "name the agency that did it (e.g. police, council, housing)")
    for column in TEXT_COLUMNS:
        text = frame[column].astype("string").fillna("")
        report(text.str.len() > MAX_TEXT, column, f"{column} is longer than {MAX_TEXT} "
               "characters", "shorten it; keep case detail in the case system, not here")
        report(text.str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", regex=True), column,
               f"{column} holds control characters", "remove them (save the file as UTF-8 text)")

    given = _clean(frame["phase"]).replace("", pd.NA)
    if plan is not None:
        derived = phase_of(days, plan)
        report(days.notna() & derived.isna(), "date",
               "date {value!r} is outside every phase of the site",
               "check the date, or record the phase dates first (geosoc phases set)")
        report(given.notna() & derived.notna() & (given != derived), "phase",
               "phase {value!r} does not match the phase its date falls in",
               "leave phase blank to derive it from the date, or correct it")
        phase = derived
    else:
        known = {"baseline", "clear", "hold", "build"}
        report(~given.isin(known).fillna(False), "phase", "phase {value!r} is unknown",
               "use baseline, clear, hold or build")
        phase = given

    ids = frame["activity_id"].astype("string").fillna("")
    repeated = (ids != "") & (ids.duplicated(keep="first") | ids.isin(existing_ids))
    report(repeated, "activity_id", "activity id {value!r} is used twice",
           "give each activity its own id, or leave the id blank")
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in the activity log", problems)
    digest = pd.util.hash_pandas_object(pd.DataFrame(
        {"d": days.dt.strftime("%Y-%m-%d"), "a": agency, "k": kind, "r": rows}), index=False)
    fill = "A-" + pd.Series(np.char.zfill(np.char.mod("%x", digest.to_numpy()), 16),
                            index=ids.index)
    out = pd.DataFrame({
        "activity_id": ids.where(ids != "", fill),
        "date": days, "phase": phase.astype(str), "pillar": pillar.astype(str),
        "agency": agency.astype(str), "activity_type": kind.astype(str),
        "outcome": frame["outcome"].astype(str), "zone": frame["zone"].astype(str),
        "notes": frame["notes"].astype(str),
    }, index=raw.index)
    out = out.reset_index(drop=True)
    out.attrs["mapped"] = mapped_types(_clean(frame["activity_type"]), kind)
    return out


def mapped_types(given: pd.Series, stored: pd.Series) -> list[str]:
    """Return one sentence per activity type given that was stored under another name.

    Parameters
    ----------
    given : pandas.Series of str
        Types as written in the file (cleaned: lower case, single spaces).
    stored : pandas.Series of str
        The canonical type each row was stored as.

    Examples
    --------
    >>> mapped_types(pd.Series(["cctv", "arrest", "cctv"]),
    ...              pd.Series(["environmental fix", "arrest", "environmental fix"]))
    ["'cctv' stored as 'environmental fix' (2 rows)"]
    """
    pairs = pd.DataFrame({"given": given.astype(str).to_numpy(),
                          "stored": stored.astype(str).to_numpy()})
    pairs = pairs[pairs["given"] != pairs["stored"]]
    counts = pairs.value_counts(sort=False).sort_index()
    return [f"'{g}' stored as '{k}' ({n} row{'s' if n != 1 else ''})"
            for (g, k), n in counts.items()]
