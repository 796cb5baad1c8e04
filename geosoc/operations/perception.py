"""Community perception waves: survey results as aggregates, and change between two waves.

A wave table has one row per ``wave`` x ``question`` x ``response`` with the number of
``respondents`` who gave that response (no individual answers are ever held). Change between
two waves of one question is tested with the chi-square test of homogeneity over its
responses (scipy), and each response's share with a two-proportion z test, Holm-adjusted
across the question's responses. A question with too few respondents, or expected counts
under 5 in more than a fifth of its cells, is reported as "cannot test" instead.

Partners and the public see :func:`waves_for_role`: a response is named only when every
wave's count of it is 0 or at least :data:`MIN_RESPONDENTS`; the others (a free-text answer
typed by one respondent among them) are pooled, unnamed, into one "other answers" row, which
is itself shown only with at least that many respondents. A question that cannot be shown so
is suppressed whole. :func:`compare_waves` never computes a share as if a suppressed answer
did not exist: with any answer of a question suppressed its shares are "not known".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from geosoc.errors import Problem, SchemaError

#: Respondent counts below this are suppressed for partner and public views.
MIN_RESPONDENTS = 30
#: Significance level of the reported verdicts (after Holm adjustment).
ALPHA = 0.05
WAVE_COLUMNS = ("wave", "question", "response", "respondents")


def validate_waves(raw: pd.DataFrame, *, file: str | None = None,
                   first_row: int = 2) -> pd.DataFrame:
    """Check a perception table; return it with integer ``respondents``.

    Raises
    ------
    SchemaError
        Missing columns, blank labels, counts that are not whole numbers >= 0, or the same
        wave, question and response twice (every problem with row and column).
    """
    missing = [c for c in WAVE_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError("the perception table lacks required columns", [
            Problem(f"no '{c}' column", file=file, column=c,
                    fix=f"columns: {', '.join(WAVE_COLUMNS)} (one row per response)")
            for c in missing])
    rows = np.arange(len(raw)) + first_row
    frame = raw[list(WAVE_COLUMNS)].copy()
    for column in ("wave", "question", "response"):
        frame[column] = frame[column].astype("string").str.strip()
    count = pd.to_numeric(frame["respondents"], errors="coerce")
    problems = []
    for column in ("wave", "question", "response"):
        blank = (frame[column].isna() | (frame[column] == "")).to_numpy()
        problems += [Problem(f"{column} is empty", file=file, row=int(r), column=column,
                             fix=f"name the {column}") for r in rows[blank]]
    bad = (count.isna() | (count < 0) | (count % 1 != 0)).to_numpy()
    problems += [Problem(f"respondents {v!r} is not a whole number >= 0", file=file, row=int(r),
                         column="respondents", fix="give the number of respondents")
                 for r, v in zip(rows[bad], raw["respondents"].to_numpy()[bad], strict=True)]
    twice = frame.duplicated(["wave", "question", "response"]).to_numpy()
    problems += [Problem("the same wave, question and response twice", file=file, row=int(r),
                         column="response", fix="one row per response and wave")
                 for r in rows[twice]]
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in the perception table", problems)
    return frame.assign(respondents=count.astype("int64")).reset_index(drop=True)


def suppress_small_cells(waves: pd.DataFrame, min_respondents: int = MIN_RESPONDENTS
                         ) -> pd.DataFrame:
    """Hide respondent counts from 1 to ``min_respondents - 1`` (NaN), zeros kept.

    Secondary suppression: within a wave and question, a single hidden cell would be the
    question total minus the others, so the next smallest cell is hidden too.
    """
    out = waves.copy()
    counts = out["respondents"].astype("float64")
    small = (counts > 0) & (counts < min_respondents)
    out["respondents"] = counts.mask(small)
    for _, group in out.groupby(["wave", "question"], sort=False):  # per question, not per row
        hidden = group["respondents"].isna()
        if hidden.sum() == 1 and len(group) > 1:
            visible = group.loc[~hidden & (group["respondents"] > 0), "respondents"]
            if len(visible):
                out.loc[visible.idxmin(), "respondents"] = np.nan
    return out


#: The label of pooled answers each given by too few respondents to be named.
OTHER_ANSWERS = "Other answers (each from fewer respondents than can be shown)"


def waves_for_role(waves: pd.DataFrame, role: str,
                   min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """Return the perception aggregates ``role`` may see (analysts: all, as stored).

    For partners and the public, per question: a response is named only when its count is
    0 or at least ``min_respondents`` in every wave and at least that in one; every other
    response is pooled into :data:`OTHER_ANSWERS` (its words never shown). While a wave's
    pool holds from 1 to ``min_respondents - 1`` respondents the smallest named response
    joins it (so the pool cannot be recovered as total minus the others); a question whose
    pool stays too small is suppressed whole (respondents NaN: not known).

    Parameters
    ----------
    waves : pandas.DataFrame
        Output of :func:`validate_waves`.
    role : str
        ``analyst``, ``partner`` or ``public``.
    min_respondents : int
        The smallest count that may be shown.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`WAVE_COLUMNS`; ``respondents`` float (NaN where suppressed).
    """
    if role == "analyst" or waves.empty:
        return waves.copy()
    order = list(dict.fromkeys(waves["wave"]))
    blocks = []
    for question, rows in waves.groupby("question", sort=False):
        table = rows.pivot_table(index="response", columns="wave", values="respondents",
                                 aggfunc="sum", fill_value=0, sort=False)
        table = table.reindex(columns=[w for w in order if w in table.columns])
        named = ((table == 0) | (table >= min_respondents)).all(axis=1) & \
            (table >= min_respondents).any(axis=1)
        pool = table[~named].sum()
        while ((pool > 0) & (pool < min_respondents)).any() and named.any():
            smallest = table[named].sum(axis=1).idxmin()
            named[smallest] = False
            pool = table[~named].sum()
        shown = table[named].astype("float64")
        if (~named).any():
            shown.loc[OTHER_ANSWERS] = pool.astype("float64")
        if ((pool > 0) & (pool < min_respondents)).any():  # cannot be shown at all
            shown = pd.DataFrame(np.nan, index=[OTHER_ANSWERS], columns=table.columns)
        long = shown.rename_axis("response").reset_index().melt(
            id_vars="response", var_name="wave", value_name="respondents")
        blocks.append(long.assign(question=question))
    out = pd.concat(blocks, ignore_index=True)
    out["wave"] = pd.Categorical(out["wave"], categories=order)
    out = out.sort_values("wave", kind="stable").astype({"wave": str})
    return out[list(WAVE_COLUMNS)].reset_index(drop=True)


def compare_waves(waves: pd.DataFrame, before: str, after: str) -> pd.DataFrame:
    """Test each question's change in responses from wave ``before`` to wave ``after``.

    Parameters
    ----------
    waves : pandas.DataFrame
        Output of :func:`validate_waves` or :func:`waves_for_role` (NaN where suppressed:
        a question with a suppressed answer gets no shares and no test, and says so).
    before, after : str
        Wave labels.

    Returns
    -------
    pandas.DataFrame
        One row per question and response: ``share_before``, ``share_after`` (0..1),
        ``change_pts`` (percentage points), ``z``, ``p_holm`` for the response, and per
        question ``chi2``, ``chi2_p`` and ``verdict`` ("significant change", "no evidence of
        change" or "cannot test: ...").
    """
    pair = waves[waves["wave"].isin([before, after])]
    table = (pair.groupby(["question", "response", "wave"], sort=False)["respondents"]
             .sum(min_count=1).unstack("wave", fill_value=0)  # no row: nobody said it
             .reindex(columns=[before, after]))
    results = []
    for _, block in table.groupby(level="question", sort=False):
        counts = block.to_numpy(dtype=float)
        hidden = int(np.isnan(counts).any(axis=1).sum())
        # a share computed without the hidden answers would be wrong: then none is known
        usable = np.full(len(counts), hidden == 0)
        counts = counts[usable]
        totals = counts.sum(axis=0)
        out = pd.DataFrame(index=block.index)
        out["share_before"] = np.nan
        out["share_after"] = np.nan
        verdict, chi2, chi2_p = _question_test(counts, totals)
        if counts.size and (totals > 0).all():
            shares = counts / totals
            pooled = counts.sum(axis=1) / totals.sum()
            se = np.sqrt(pooled * (1 - pooled) * (1 / totals[0] + 1 / totals[1]))
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(se > 0, (shares[:, 1] - shares[:, 0]) / se, 0.0)
            p = 2 * stats.norm.sf(np.abs(z))
            out.loc[usable, "share_before"] = shares[:, 0]
            out.loc[usable, "share_after"] = shares[:, 1]
            out.loc[usable, "z"] = z
            out.loc[usable, "p_holm"] = _holm(p)
        out["change_pts"] = 100 * (out["share_after"] - out["share_before"])
        out["chi2"], out["chi2_p"], out["verdict"] = chi2, chi2_p, verdict
        if hidden:
            out["verdict"] = (f"cannot test: {hidden} answer(s) suppressed, so shares are "
                              "not known")
        results.append(out)
    if not results:
        return pd.DataFrame()
    return pd.concat(results).reset_index()


def _question_test(counts: np.ndarray, totals: np.ndarray) -> tuple[str, float, float]:
    if counts.shape[0] < 2:
        return "cannot test: fewer than two responses", np.nan, np.nan
    if (totals < MIN_RESPONDENTS).any():
        return (f"cannot test: fewer than {MIN_RESPONDENTS} respondents in a wave",
                np.nan, np.nan)
    keep = counts.sum(axis=1) > 0
    expected = stats.contingency.expected_freq(counts[keep])
    if (expected < 5).mean() > 0.2:
        return "cannot test: expected counts under 5 in over a fifth of cells", np.nan, np.nan
    chi2, p, _, _ = stats.chi2_contingency(counts[keep], correction=False)
    verdict = "significant change" if p < ALPHA else "no evidence of change"
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return f"{verdict} (chi-square test, {shown})", float(chi2), float(p)


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out
