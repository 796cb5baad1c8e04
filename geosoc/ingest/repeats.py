"""Crime IDs repeated across the files of one police.uk download: which are normal.

The rule (documented for users in :mod:`geosoc.ingest.policeuk`):

- **Same month, two files, mostly the same IDs** (at least :data:`COPIED_SHARE` of a file's
  Crime IDs listed for the same month by another file, or two files byte for byte
  identical): the same month was read twice. That is an error naming the files; nothing is
  stored. A *few* shared IDs (two forces' files of one month may both list a cross-border
  crime) are kept and counted (``counted["Crime ID listed for the same month in two
  files"]``).
- **Different months** (a Crime ID in, say, the 2024-01 and the 2024-03 files): police.uk
  re-lists some crimes in a later month (a real 35-month download had 12 such rows of
  172,709, one ID in five months). Every row is kept as published, counted in the report
  (``counted["Crime ID also listed in another month"]``) and named in a note.
- **Same month, same file**: one crime listed at several locations or with several outcomes
  (normal police.uk output); every row is kept and counted.

Everything is vectorised over the rows (dictionary codes and ``np.minimum.at``), no sort of
every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.errors import InputFileError, Problem
from geosoc.ingest.checks import encode

#: Report tally (``IngestReport.counted``) of rows whose Crime ID is also in another month.
OTHER_MONTH = "Crime ID also listed in another month"
#: Report tally of rows sharing a Crime ID with another row of the same month file.
SAME_FILE = "Crime ID repeated within one month file"
#: Report tally of rows whose Crime ID another file lists for the same month (a few: kept).
SAME_MONTH = "Crime ID listed for the same month in two files"
#: Share of a file's Crime IDs listed for the same month elsewhere that means a copied month.
COPIED_SHARE = 0.5


def identical_files(files: Sequence[Path], shown: Sequence[str]) -> None:
    """Refuse a download holding the same file twice (byte-for-byte identical copies).

    Raises
    ------
    InputFileError
        Naming each pair of identical files and the fix.
    """
    if len(files) < 2:
        return
    seen: dict[tuple[int, str], str] = {}
    problems = []
    for file, name in zip(files, shown, strict=True):
        digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        key = (Path(file).stat().st_size, digest)
        if key in seen:
            problems.append(Problem(
                f"this file is byte-for-byte identical to {seen[key]}", file=name,
                fix="remove one copy: the same month was downloaded (or copied) twice"))
        else:
            seen[key] = name
    if problems:
        raise InputFileError(f"{len(problems)} file(s) read twice", problems)


def _first_last(keys: np.ndarray, files: np.ndarray, size: int) -> np.ndarray:
    """Return True where a key's rows come from more than one file."""
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(size, -1, dtype=np.int64)
    np.minimum.at(first, keys, files)
    np.maximum.at(last, keys, files)
    return first != last


def id_repeats(ids: pd.Series, months: np.ndarray, files: np.ndarray
               ) -> dict[str, np.ndarray]:
    """Classify rows whose non-empty Crime ID repeats.

    Parameters
    ----------
    ids : pandas.Series of str
        Crime IDs (``""`` for none).
    months : numpy.ndarray of int
        Month ordinal of each row (any integer coding; invalid months already refused).
    files : numpy.ndarray of int
        File number of each row.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        ``"same_month_other_file"`` (an error: a month read twice), ``"other_month"`` (kept,
        counted) and ``"same_file"`` (kept, counted), one flag per row.
    """
    codes, blank = encode(ids)
    blank_row = blank[codes]
    n_ids = len(blank)
    in_files = _first_last(codes, files, n_ids)[codes]
    month_codes, month_keys = np.unique(months, return_inverse=True)
    pair = codes.astype(np.int64) * len(month_codes) + month_keys.reshape(-1)
    pair_codes, pair_inv = np.unique(pair, return_inverse=True)
    pair_inv = pair_inv.reshape(-1)
    same_month_files = _first_last(pair_inv, files, len(pair_codes))[pair_inv]
    month_spread = _first_last(codes, month_keys.reshape(-1).astype(np.int64), n_ids)[codes]
    file_pair = codes.astype(np.int64) * (int(files.max()) + 1 if len(files) else 1) + files
    _, file_inv, file_counts = np.unique(file_pair, return_inverse=True, return_counts=True)
    same_file = file_counts[file_inv.reshape(-1)] > 1
    ok = ~blank_row
    return {"same_month_other_file": ok & in_files & same_month_files,
            "other_month": ok & month_spread,
            "same_file": ok & same_file}


def copied_files(twice: np.ndarray, files: np.ndarray, has_id: np.ndarray) -> np.ndarray:
    """Return True on the rows of files whose IDs are mostly listed for that month elsewhere.

    Parameters
    ----------
    twice : numpy.ndarray of bool
        Rows whose (Crime ID, month) another file also lists (:func:`id_repeats`).
    files : numpy.ndarray of int
        File number of each row.
    has_id : numpy.ndarray of bool
        Rows with a Crime ID.
    """
    n = int(files.max()) + 1 if len(files) else 0
    shared = np.bincount(files[twice], minlength=n)
    with_id = np.maximum(np.bincount(files[has_id], minlength=n), 1)
    return (shared / with_id >= COPIED_SHARE)[files]


def other_month_note(ids: pd.Series, months: pd.Series, flagged: np.ndarray) -> str:
    """Return a note: how many rows repeat an ID of another month, with one example."""
    rows = pd.DataFrame({"id": ids.to_numpy()[flagged],
                         "month": months.to_numpy()[flagged].astype(str)})
    spread = rows.groupby("id")["month"].nunique().sort_values(ascending=False)
    example = spread.index[0]
    listed = ", ".join(sorted(rows.loc[rows["id"] == example, "month"].unique()))
    return (f"{int(flagged.sum()):,} rows carry a Crime ID also listed in another month "
            f"({len(spread):,} IDs; e.g. '{example}' in {listed}): police.uk re-lists some "
            "crimes in a later month; every row kept as published")
