"""Sum table rows that share an identity, with a categorical ``key`` column (exact, any order).

The stored cubes (built by ``geosoc.engine.stored``, added up by ``geosoc.workspace``) are
tables of integer totals identified by H3 cells, a month, a ``source``/``category`` key and
area positions. Partial tables are added by summing the rows with the same identity; the
engine and workspace stages are independent, so both use this one function.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

__all__ = ["sum_keyed_rows"]


def sum_keyed_rows(frames: Sequence[pd.DataFrame], summed: Collection[str]) -> pd.DataFrame:
    """Sum the rows of ``frames`` per identity: every column but the ``summed`` ones.

    Parameters
    ----------
    frames : sequence of pandas.DataFrame
        At least one frame; all have the columns of the first, one of them ``key``
        (categorical or text), integer identity columns and integer summed columns.
    summed : collection of str
        The columns to add (those present are added; integer sums are exact).

    Returns
    -------
    pandas.DataFrame
        One row per identity, sorted by the identity columns in the first frame's order,
        ``key`` a categorical whose categories are sorted as strings; ``h3*`` columns kept
        uint64; the columns in the first frame's order.
    """
    columns = list(frames[0].columns)
    ids = [c for c in columns if c not in summed]
    keys = pd.api.types.union_categoricals([pd.Categorical(f["key"]) for f in frames],
                                           ignore_order=True)
    text = np.asarray(keys.categories, dtype=object).astype(str)
    categories = pd.Index(np.sort(text), dtype=object)
    rank = categories.get_indexer(text)
    long = pd.DataFrame({c: np.concatenate([f[c].to_numpy() for f in frames])
                         for c in columns if c != "key"})
    long["key"] = rank[keys.codes].astype(np.int64)
    sums = long.groupby(ids, sort=True)[[c for c in columns if c in summed]].sum().reset_index()
    sums["key"] = pd.Categorical.from_codes(sums["key"].to_numpy(), categories=categories)
    for column in ids:
        if column.startswith("h3"):
            sums[column] = sums[column].astype(np.uint64)
    return sums[columns]
