"""Community perception waves: survey results as aggregates, and change between two waves.

A wave table has one row per ``wave`` x ``question`` x ``response`` with the number of
``respondents`` who gave that response (no individual answers are ever held). Change between
two waves of one question is tested with the chi-square test of homogeneity over its
responses (scipy), and each response's share with a two-proportion z test, Holm-adjusted
across the question's responses. A question with too few respondents, or expected counts
under 5 in more than a fifth of its cells, is reported as "cannot test" instead.

Partners and the public see counts of at least :data:`MIN_RESPONDENTS` only
(:func:`suppress_small_cells`); shares and tests shown to them are computed from the
disclosed cells.
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


def compare_waves(waves: pd.DataFrame, before: str, after: str) -> pd.DataFrame:
    """Test each question's change in responses from wave ``before`` to wave ``after``.

    Parameters
    ----------
    waves : pandas.DataFrame
        Output of :func:`validate_waves` (or disclosed counts, NaN where suppressed: such
        cells are left out of the test, and say so).
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
             .sum(min_count=1).unstack("wave").reindex(columns=[before, after]))
    results = []
    for _, block in table.groupby(level="question", sort=False):
        counts = block.to_numpy(dtype=float)
        usable = ~np.isnan(counts).any(axis=1)
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
        if not usable.all():
            out["verdict"] = verdict + f" ({int((~usable).sum())} response(s) suppressed)"
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
