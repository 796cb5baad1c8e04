"""MoRiLE scores of a CHB site over time (the quantitative threat baseline of the guidance).

A MoRiLE (Management of Risk in Law Enforcement) score is recorded per assessment date for
the site as a whole or for one organised crime group, named only by an **opaque reference**
(e.g. ``OCG-0412``): never a name or nominal, so the series can be shared with partners.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError

#: Columns of a stored MoRiLE series.
MORILE_COLUMNS = ("date", "score", "ocg_ref")
#: What an opaque OCG reference may look like: letters, digits, dash, underscore; no spaces.
OCG_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
#: The highest plausible MoRiLE score (scores are products of capped factor scores).
MAX_SCORE = 10_000.0


def validate_morile(raw: pd.DataFrame, *, today: date, file: str | None = None,
                    first_row: int = 2) -> pd.DataFrame:
    """Check a MoRiLE series; return ``date`` (datetime64), ``score`` (float), ``ocg_ref``.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns ``date`` (``YYYY-MM-DD`` or ``YYYY-MM``), ``score`` and optional ``ocg_ref``.
    today : datetime.date
        Later dates are refused.
    file : str, optional
        File name for the problems.
    first_row : int
        Row number of the first row in the file.

    Raises
    ------
    SchemaError
        Every problem with row, column and fix.
    """
    missing = [c for c in ("date", "score") if c not in raw.columns]
    if missing:
        raise SchemaError("the MoRiLE series lacks required columns", [
            Problem(f"no '{c}' column", file=file, column=c, fix="columns: date, score, ocg_ref")
            for c in missing])
    rows = np.arange(len(raw)) + first_row
    text = raw["date"].astype("string").str.strip()
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    days = days.fillna(pd.to_datetime(text, format="%Y-%m", errors="coerce"))
    score = pd.to_numeric(raw["score"], errors="coerce")
    ref = (raw["ocg_ref"] if "ocg_ref" in raw.columns else pd.Series("", index=raw.index))
    ref = ref.astype("string").fillna("").str.strip()
    checks = [
        (days.isna(), "date", "date {!r} is not a date", "write YYYY-MM-DD or YYYY-MM"),
        (days > pd.Timestamp(today), "date", "date {!r} is in the future",
         "record assessments that have been made"),
        (score.isna() | (score < 0) | (score > MAX_SCORE), "score",
         "score {!r} is not a MoRiLE score", f"a number from 0 to {MAX_SCORE:g}"),
        ((ref != "") & ~ref.str.fullmatch(OCG_REF_PATTERN).fillna(False), "ocg_ref",
         "OCG reference {!r} is not an opaque reference",
         "use the force's OCG reference code (letters, digits, '-'), never a name"),
    ]
    problems = [Problem(message.format(value), file=file, row=int(row), column=column, fix=fix)
                for mask, column, message, fix in checks
                for row, value in zip(rows[mask.to_numpy()], raw.loc[mask.to_numpy(), column
                                      if column in raw.columns else "date"], strict=True)]
    duplicated = pd.DataFrame({"d": days, "r": ref}).duplicated()
    problems += [Problem("the same date and OCG reference twice", file=file, row=int(row),
                         column="date", fix="keep one score per assessment")
                 for row in rows[duplicated.to_numpy()]]
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in the MoRiLE series", problems)
    return pd.DataFrame({"date": days, "score": score.astype(float), "ocg_ref": ref.astype(str)}
                        ).sort_values(["ocg_ref", "date"], ignore_index=True)


def morile_by_phase(series: pd.DataFrame, phases: pd.Series) -> pd.DataFrame:
    """Summarise scores per phase and OCG reference: assessments, first, last, median.

    Parameters
    ----------
    series : pandas.DataFrame
        Output of :func:`validate_morile`.
    phases : pandas.Series
        Phase of each row of ``series`` (e.g. from
        :func:`geosoc.operations.activities.phase_of`).
    """
    frame = series.assign(phase=phases.to_numpy()).dropna(subset=["phase"])
    grouped = frame.sort_values("date").groupby(["ocg_ref", "phase"], sort=False)["score"]
    return grouped.agg(assessments="size", first="first", last="last",
                       median="median").reset_index()


#: A phase's median within this fraction of the previous phase's reads "about the same".
TREND_TOLERANCE = 0.10


def morile_trend(series: pd.DataFrame, phases: pd.Series) -> pd.DataFrame:
    """Return the site-level MoRiLE trend per phase: what partners and the public may see.

    Every assessment of the site (all OCG references pooled, none named) gives one median
    per phase; each phase reads "higher", "lower" or "about the same" against the phase
    before (within :data:`TREND_TOLERANCE`). No score, no OCG reference and no count of
    assessments (which could count the groups) is returned.

    Parameters
    ----------
    series : pandas.DataFrame
        Output of :func:`validate_morile`.
    phases : pandas.Series
        Phase of each row of ``series``, in plan order of first appearance.

    Returns
    -------
    pandas.DataFrame
        ``phase`` and ``trend`` (the first phase: "first assessed phase").
    """
    frame = series.assign(phase=phases.to_numpy()).dropna(subset=["phase"])
    order = list(dict.fromkeys(frame.sort_values("date")["phase"]))
    median = frame.groupby("phase")["score"].median().reindex(order)
    ratio = median / median.shift(1)
    trend = np.select([ratio > 1 + TREND_TOLERANCE, ratio < 1 - TREND_TOLERANCE],
                      ["higher than the phase before", "lower than the phase before"],
                      "about the same as the phase before")
    trend = np.where(ratio.isna(), "first assessed phase", trend)
    return pd.DataFrame({"phase": order, "trend": trend})


def morile_for_role(series: pd.DataFrame, phases: pd.Series, role: str) -> pd.DataFrame:
    """Return the MoRiLE summary ``role`` may see.

    Analysts: :func:`morile_by_phase` (scores per OCG reference and phase). Partners and
    the public: :func:`morile_trend` only (a site-level trend, never an OCG reference).
    """
    if role == "analyst":
        return morile_by_phase(series, phases)
    return morile_trend(series, phases)
