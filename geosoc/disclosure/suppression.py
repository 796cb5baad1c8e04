"""Primary and secondary suppression with rounding of count and harm columns.

The mechanics behind :mod:`geosoc.disclosure`: counts of 1 to ``min_count - 1`` are hidden with
their harm, more values are hidden until no suppressed value can be recovered by subtraction
from a published total (the whole layer, each extra grouping, and each row's breakdown
columns), then values are rounded. The rules themselves (which role gets which threshold)
live in :mod:`geosoc.disclosure`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geosoc.config import server_key
from geosoc.disclosure.cell_key import KEY_SUM, cell_keys, content_keys, noise_for
from geosoc.schema import COUNT, HARM

if TYPE_CHECKING:
    from geosoc.disclosure.rules import DisclosureRules

__all__ = ["REASON", "shown_sum", "suppress"]

#: Column saying why a row's total is suppressed (empty when shown).
REASON = "suppression_reason"


def _count_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c == COUNT or c.startswith(f"{COUNT}__")]


def _harm_partner(column: str) -> str:
    return HARM + column[len(COUNT):]


def _secondary_mask(values: pd.Series, suppressed: pd.Series, groups: pd.Series,
                    min_count: int) -> pd.Series:
    """Extend ``suppressed`` until every group satisfies the secondary-suppression rule.

    Vectorised per round: each round adds, in every violating group, the smallest
    non-zero unsuppressed value. Rounds are bounded by the largest group size.
    """
    suppressed = suppressed.copy()
    # Prefer the smallest non-zero value; a zero is hidden only when nothing else is left.
    preference = values.where(values > 0, np.inf)
    largest_group = int(groups.value_counts().max()) if groups.notna().any() else 0
    for _ in range(largest_group + 1):
        n_hidden = suppressed.groupby(groups).transform("sum")
        sum_hidden = values.where(suppressed, 0).groupby(groups).transform("sum")
        violating = (n_hidden > 0) & ((n_hidden < 2) | (sum_hidden < min_count))
        eligible = violating & ~suppressed
        if not eligible.any():
            break
        pick = preference[eligible].groupby(groups[eligible]).idxmin()
        suppressed.loc[pick.to_numpy()] = True
    return suppressed


def suppress(
    frame: pd.DataFrame,
    rules: DisclosureRules,
    *,
    groups: Iterable[pd.Series] = (),
    secret: bytes | None = None,
) -> pd.DataFrame:
    """Apply cell key perturbation, primary and secondary suppression and rounding.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of a layer with ``count`` (and optionally ``count__<key>``) columns and the
        matching ``harm`` / ``harm__<key>`` columns (harm in days).
    rules : DisclosureRules
        The role's rules.
    groups : iterable of pandas.Series
        Extra groupings whose totals are published (e.g. parent cell ids of an
        overlapping coarser layer), aligned to ``frame.index``. The whole layer is always
        one group.
    secret : bytes, optional
        The server key, for the fallback cell keys of columns without ``keysum`` columns
        (required when ``rules.perturb`` and such a column exists).

    Returns
    -------
    pandas.DataFrame
        A copy with counts perturbed (when ``rules.perturb``: ``count + noise`` from the
        cell key, harm scaled by the same ratio), values whose true or perturbed count is
        from 1 to ``min_count - 1`` suppressed to ``NaN`` (with secondary suppression),
        rounded to ``rules.rounding_base``, a boolean ``suppressed`` column for the row
        total with its reason in ``suppression_reason`` (``"fewer than 5"``, ``"protects
        another suppressed value"``, ``""`` when shown), and no ``keysum`` columns.
    """
    out = frame.copy()
    key_columns = [c for c in out.columns if c == KEY_SUM or c.startswith(f"{KEY_SUM}__")]
    if rules.min_count <= 0 and rules.rounding_base <= 1:
        out["suppressed"] = False
        return out.drop(columns=key_columns)
    count_cols = _count_columns(out)
    raw = out[count_cols].fillna(0).astype(float)
    if rules.perturb:
        out = _perturb(out, count_cols, secret or server_key())
    out = out.drop(columns=key_columns)
    whole = pd.Series(0, index=out.index)
    group_list = [whole, *groups]
    masks: dict[str, pd.Series] = {}
    primary = pd.Series(False, index=out.index)
    for col in count_cols:
        values = raw[col]
        shown = out[col].fillna(0).astype(float)
        mask = (values > 0) & ((values < rules.min_count) | (shown < rules.min_count))
        if col == COUNT:
            primary = mask.copy()
        for grouping in group_list:
            mask = _secondary_mask(values, mask, grouping.reindex(out.index), rules.min_count)
        masks[col] = mask
    breakdown = [c for c in count_cols if c != COUNT]
    if COUNT in masks and breakdown:
        masks = _suppress_across_columns(out, masks, breakdown, rules.min_count)
    for col, mask in masks.items():
        out[col] = out[col].astype(float).mask(mask)
        harm_col = _harm_partner(col)
        if harm_col in out.columns:
            out[harm_col] = out[harm_col].astype(float).mask(mask)
        if rules.rounding_base > 1:
            base = rules.rounding_base
            out[col] = (out[col] / base).round() * base
            if harm_col in out.columns:
                out[harm_col] = (out[harm_col] / base).round() * base
    out["suppressed"] = masks.get(COUNT, False)
    out[REASON] = np.where(primary.to_numpy(bool), f"fewer than {rules.min_count}",
                           np.where(out["suppressed"].to_numpy(bool),
                                    "protects another suppressed value", ""))
    return out


def _perturb(frame: pd.DataFrame, count_cols: list[str], secret: bytes) -> pd.DataFrame:
    """Add cell key noise to every count column; scale each harm column by the same ratio."""
    out = frame.copy()
    for col in count_cols:
        counts = out[col].fillna(0).round().astype(np.int64).to_numpy()
        key_col = KEY_SUM + col[len(COUNT):]
        keys = (cell_keys(out[key_col]) if key_col in out.columns
                else content_keys(out, col, secret))
        perturbed = counts + noise_for(counts, keys)
        out[col] = perturbed.astype(float)
        harm_col = _harm_partner(col)
        if harm_col in out.columns:
            ratio = np.divide(perturbed, counts, out=np.zeros(len(counts)), where=counts > 0)
            out[harm_col] = out[harm_col].astype(float) * ratio
    return out


def _suppress_across_columns(frame: pd.DataFrame, masks: dict[str, pd.Series],
                             breakdown: list[str], min_count: int) -> dict[str, pd.Series]:
    """Apply the secondary rule across a row's breakdown columns (vectorised in long form)."""
    long_values = frame[breakdown].fillna(0).astype(float).stack()
    long_mask = pd.concat({c: masks[c] for c in breakdown}, axis=1).stack()
    rows = pd.Series(long_values.index.get_level_values(0), index=long_values.index)
    # A row whose total is hidden publishes no total to subtract from.
    total_shown = ~masks[COUNT].reindex(rows.to_numpy()).to_numpy()
    long_mask = long_mask.reindex(long_values.index)
    shown_rows = pd.Series(total_shown, index=long_values.index)
    extended = _secondary_mask(long_values[shown_rows], long_mask[shown_rows],
                               rows[shown_rows], min_count)
    long_mask.loc[extended.index] = extended
    wide = long_mask.unstack()
    out = dict(masks)
    for c in breakdown:
        out[c] = wide[c].reindex(frame.index).fillna(False).astype(bool)
    return out


def shown_sum(values: pd.Series) -> tuple[float | None, int]:
    """Return the sum of a disclosed column's shown values and how many are suppressed.

    A total over disclosed rows that hides some of them must say so: show the sum with
    "includes suppressed values" when the count is above 0, and "suppressed" when the sum
    is ``None`` (every value hidden), never 0.

    Parameters
    ----------
    values : pandas.Series
        Disclosed values (NaN where suppressed).

    Returns
    -------
    tuple
        ``(sum of the shown values or None when none is shown, number suppressed)``.
    """
    hidden = int(values.isna().sum())
    return (float(values.sum()) if values.notna().any() else None), hidden
