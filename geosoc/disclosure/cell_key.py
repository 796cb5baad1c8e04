"""The cell key method: consistent perturbation of every partner and public count.

The method of the ONS Census 2021 and ABS TableBuilder (see ``docs/disclosure.md``):

1. every incident gets a **record key**, an integer in ``0 .. KEY_RANGE - 1``. Here it is a
   keyed hash (SipHash-2-4, pandas' vectorised ``hash_pandas_object`` with a 128-bit key
   derived by HMAC-SHA256 from the workspace's disclosure secret) of the incident's
   identity: its ``incident_id`` when it has one, else its month, category, source and
   coordinates (plus the occurrence number among identical rows). The same incident gets the
   same key whatever the filter, geography or resolution, and nobody without the secret can
   compute it;
2. the **cell key** of a published value is the sum of the record keys of the records it
   counts, modulo ``KEY_RANGE``. Record-key sums are additive, so they are carried through
   merges (cells to parents, months to quarters) as ``keysum`` columns beside the counts;
3. a **perturbation table** maps (count, cell key) to a small noise value, so the same set of
   records always gets the same noise: asking again returns the same figure, and the
   difference of two outputs is the difference of two noises, not a person.

The perturbation table (:func:`perturbation_table`) is geosoc's own: noise ``0`` with
probability 52/256, ``+1`` and ``-1`` with 56/256 each, ``+2`` and ``-2`` with 46/256 each
(mean 0, variance 1.88). A count of 1 has its own row: ``-1`` with 120/256, ``0`` 48/256,
``+1`` 56/256, ``+2`` 32/256 (mean 0, variance 1.19). So a true count is released unchanged
with probability at most 52/256 = 20.3% (:data:`RELEASE_EXACT_RATE`), no released value is
negative and all are unbiased; a released 0 may be a true 1 or 2, so a zero no longer proves
that nothing was recorded. The two rows were chosen (over a grid of unbiased tables with noise
in -2..2) to make the worst case small: a value shown suppressed is recovered exactly by its
best differencing estimate (its released sum) with probability at most 35.5%, for any
composition of base cells (:func:`geosoc.disclosure.release.suppressed_exact_rate`; the
worst is a true 4 made of two base cells of 2). A symmetric count-1 row (0 or +-1) made two
base cells of 1 cancel 36% of the time and that worst case 46%. Zero counts are never
perturbed. The noise is applied once, to the base cells of the release
(:mod:`geosoc.disclosure.release`); every published figure is a sum of released values.

The table row of a value is ``LAYOUT[(cell key + SHIFT[count mod 256]) mod 256]``, with
``LAYOUT`` and ``SHIFT`` two fixed permutations of 0..255 (seeded 2021 and 2022,
published): the same cell key with a different count gives an unrelated draw, and two
overlapping sets of records (``A + B`` and ``B``) do not get noises that move together (a
contiguous layout, as in the ONS sample table, makes such noises equal whenever the key
difference is small).
The ONS package ``cell-key-perturbation`` (3.1.0) was evaluated: it tabulates microdata with
``groupby`` for one categorical table at a time from a ``ptable`` data frame and ships a 10-5
rounding ptable without noise; it has no H3 or area layers, no harm magnitudes and no
breakdown columns, so geosoc implements the same conventions (record keys ``0..255``, cell
key = sum mod 256, ``pcv``/``ckey``/``pvalue`` table) vectorised in numpy.
"""

from __future__ import annotations

import hashlib
import hmac
import string

import numpy as np
import pandas as pd

from geosoc.schema import COUNT, HARM, LAT, LON, MONTH

__all__ = [
    "EXACT_DIFFERENCE_RATE", "KEY_RANGE", "KEY_SUM", "NOISE_PROBABILITIES",
    "NOISE_PROBABILITIES_ONE", "RECORD_KEY", "RELEASE_EXACT_RATE",
    "add_key_sums", "attach_record_keys", "cell_keys", "content_keys", "key_sum_columns",
    "keyed_incidents", "noise_for", "perturbation_table", "record_keys",
]

#: Record and cell keys lie in ``0 .. KEY_RANGE - 1`` (ONS uses 256).
KEY_RANGE = 256
#: Column of incidents holding the record key.
RECORD_KEY = "record_key"
#: Prefix of the columns holding the sum of record keys of a published count.
KEY_SUM = "keysum"
#: Noise values and their probabilities (out of :data:`KEY_RANGE` cell keys).
NOISE_PROBABILITIES: dict[int, int] = {0: 52, 1: 56, -1: 56, 2: 46, -2: 46}
#: Noise of a true count of 1 (mean 0; the released value is 0 .. 3).
NOISE_PROBABILITIES_ONE: dict[int, int] = {0: 48, 1: 56, -1: 120, 2: 32}
#: Largest probability that a released base value equals its true count (counts from 2 up;
#: a count of 1: 48/256).
RELEASE_EXACT_RATE = NOISE_PROBABILITIES[0] / KEY_RANGE
#: Probability that two independent perturbations are equal (a difference of two published
#: values is then exactly the true difference): ``sum(p_d ** 2)``.
EXACT_DIFFERENCE_RATE = sum(v * v for v in NOISE_PROBABILITIES.values()) / KEY_RANGE ** 2
#: Seed of the two fixed permutations that lay the table out (published; not a secret).
TABLE_SEED = 2021
_ALPHABET = string.ascii_letters + string.digits + "+/"


def _noise_by_key(probabilities: dict[int, int]) -> np.ndarray:
    """Return the noise of each (shifted) cell key: the fixed layout of the table."""
    out = np.zeros(KEY_RANGE, dtype=np.int64)
    start = 0
    for value, share in probabilities.items():
        out[start:start + share] = value
        start += share
    return out


_NOISE = _noise_by_key(NOISE_PROBABILITIES)
_NOISE_ONE = _noise_by_key(NOISE_PROBABILITIES_ONE)
_LAYOUT = np.random.default_rng(TABLE_SEED).permutation(KEY_RANGE)
_SHIFT = np.random.default_rng(TABLE_SEED + 1).permutation(KEY_RANGE)


def noise_for(counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Return the perturbation of each count given its cell key (the perturbation table).

    Parameters
    ----------
    counts : numpy.ndarray
        Non-negative integer counts (events).
    keys : numpy.ndarray
        Cell keys in ``0 .. KEY_RANGE - 1``, aligned with ``counts``.

    Returns
    -------
    numpy.ndarray
        int64 noise in ``-2 .. 2``; 0 where the count is 0; a count of 1 from its own row
        (:data:`NOISE_PROBABILITIES_ONE`), so no released value is negative and each is
        unbiased.
    """
    counts = np.asarray(counts, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64) % KEY_RANGE
    row = _LAYOUT[(keys + _SHIFT[counts % KEY_RANGE]) % KEY_RANGE]
    noise = np.where(counts == 1, _NOISE_ONE[row], _NOISE[row])
    return np.where(counts > 0, noise, 0)


def perturbation_table(max_count: int = 750) -> pd.DataFrame:
    """Return the perturbation table in the ONS layout (``pcv``, ``ckey``, ``pvalue``).

    Parameters
    ----------
    max_count : int
        Largest count listed (the rule applies to every count).

    Returns
    -------
    pandas.DataFrame
        One row per (count 1..``max_count``, cell key 0..255) with its noise.
    """
    pcv = np.repeat(np.arange(1, max_count + 1), KEY_RANGE)
    ckey = np.tile(np.arange(KEY_RANGE), max_count)
    return pd.DataFrame({"pcv": pcv, "ckey": ckey, "pvalue": noise_for(pcv, ckey)})


def _hash_key(secret: bytes, purpose: str) -> str:
    """Return a 16-character SipHash key (96 bits of entropy) derived from ``secret``."""
    digest = hmac.new(secret, purpose.encode(), hashlib.sha256).digest()
    return "".join(_ALPHABET[b % 64] for b in digest[:16])


def record_keys(incidents: pd.DataFrame, secret: bytes) -> np.ndarray:
    """Return each incident's record key, a keyed hash of its identity.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents contract (``incident_id``, ``month``, ``category``, ``source``, ``lon``,
        ``lat`` in WGS84 degrees; missing columns are skipped).
    secret : bytes
        The workspace's disclosure secret (never shown to partner or public users).

    Returns
    -------
    numpy.ndarray
        int64 keys in ``0 .. KEY_RANGE - 1``, aligned with the rows.
    """
    if len(incidents) == 0:
        return np.zeros(0, dtype=np.int64)
    identity = pd.DataFrame(index=incidents.index)
    for column in ("incident_id", MONTH, "category", "source"):
        if column in incidents.columns:
            identity[column] = _as_text(incidents[column])
    for column in (LON, LAT):
        if column in incidents.columns:
            identity[column] = _as_text(incidents[column].astype(float).round(6))
    if identity.shape[1] == 0:
        identity["row"] = np.arange(len(incidents)).astype(str)
    # Identical rows (ASB without an id at one snapped point) are told apart by occurrence.
    # (grouped on one 64-bit hash of the identity: the same groups, seconds faster than
    # grouping a million rows on six text columns)
    whole = pd.util.hash_pandas_object(identity, index=False).to_numpy()
    identity["occurrence"] = pd.Series(whole).groupby(whole, sort=False).cumcount().to_numpy()
    hashed = pd.util.hash_pandas_object(identity, index=False,
                                        hash_key=_hash_key(secret, "record-key"))
    return (hashed.to_numpy(dtype=np.uint64) % np.uint64(KEY_RANGE)).astype(np.int64)


def _as_text(values: pd.Series) -> pd.Categorical:
    """``values`` as text (missing: ``""``), each distinct value converted once.

    A categorical of the distinct values' text hashes exactly as the text itself
    (``hash_pandas_object`` hashes a categorical's categories and takes its codes), so the
    keys equal those of converting every row, which costs seconds on a million rows.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    text = pd.Index(distinct).astype("string").fillna("").to_numpy(dtype=object)
    empty = np.flatnonzero(text == "")  # a value whose text is "" joins the missing ones
    codes = np.where(codes < 0, empty[0] if len(empty) else len(text), codes)
    if len(empty) > 1 or (len(empty) == 1 and (codes == len(text)).any()):
        _, inverse = np.unique(text.astype(str), return_inverse=True)  # (rare) text repeats
        text, codes = np.unique(text.astype(str)).astype(object), inverse[codes]
    categories = pd.Index(np.append(text, "") if not len(empty) else text, dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories)


def attach_record_keys(incidents: pd.DataFrame, secret: bytes) -> pd.DataFrame:
    """Return a copy of ``incidents`` with a ``record_key`` column (see :func:`record_keys`)."""
    out = incidents.copy()
    out[RECORD_KEY] = record_keys(incidents, secret)
    return out


def keyed_incidents(incidents: pd.DataFrame, secret: bytes | None = None) -> pd.DataFrame:
    """Return ``incidents`` with ``harm`` replaced by the record key.

    Running the same aggregation (``harm_by_cell``, ``harm_by_area``, ``harm_by_month``) on
    the result gives, in its ``harm`` columns, the record-key sums of every published count;
    pass that frame to :func:`add_key_sums`.
    """
    keys = (incidents[RECORD_KEY].to_numpy() if RECORD_KEY in incidents.columns
            else record_keys(incidents, secret or b""))
    return incidents.assign(**{HARM: keys.astype(float)})


def key_sum_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Map each count column of ``frame`` to its key-sum column when present."""
    out = {}
    for column in frame.columns:
        if column == COUNT or column.startswith(f"{COUNT}__"):
            key = KEY_SUM + column[len(COUNT):]
            if key in frame.columns:
                out[column] = key
    return out


def add_key_sums(frame: pd.DataFrame, keyed_aggregate: pd.DataFrame,
                 on: list[str] | None = None) -> pd.DataFrame:
    """Return ``frame`` with ``keysum`` columns from an aggregate of keyed incidents.

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer or series with ``count``/``count__<k>`` columns.
    keyed_aggregate : pandas.DataFrame
        The same aggregation run on :func:`keyed_incidents`; its ``harm``/``harm__<k>``
        columns are the record-key sums.
    on : list of str, optional
        Key columns to join on (series); the index is used when omitted (layers).
    """
    sums = {c: KEY_SUM + c[len(HARM):] for c in keyed_aggregate.columns
            if c == HARM or c.startswith(f"{HARM}__")}
    part = keyed_aggregate[[*(on or []), *sums]].rename(columns=sums)
    if on:
        merged = frame.merge(part, on=on, how="left")
        merged.index = frame.index
        merged.attrs = frame.attrs
        return merged
    out = frame.copy()
    for column in sums.values():
        out[column] = part[column].reindex(frame.index).to_numpy()
    return out


def cell_keys(key_sums: pd.Series | np.ndarray) -> np.ndarray:
    """Return cell keys (sum of record keys modulo :data:`KEY_RANGE`)."""
    values = np.nan_to_num(np.asarray(key_sums, dtype=float), nan=0.0)
    return (np.round(values).astype(np.int64)) % KEY_RANGE


def content_keys(frame: pd.DataFrame, column: str, secret: bytes) -> np.ndarray:
    """Fallback cell keys for a layer without record-key sums.

    A keyed hash of (row label, column, count): the same unit with the same count always
    gets the same noise, so asking again cannot average it away. Used only where the records
    behind a frame are not at hand (see ``docs/disclosure.md``).
    """
    label = pd.Series(frame.index.astype(str), dtype="string").to_numpy()
    for other in frame.columns:  # series rows are named by their month and key columns
        if other != column and not pd.api.types.is_numeric_dtype(frame[other]) \
                and other != "geometry" and not pd.api.types.is_bool_dtype(frame[other]):
            label = label + "|" + frame[other].astype("string").fillna("").to_numpy()
    basis = pd.DataFrame({
        "label": label,
        "column": column,
        "count": frame[column].fillna(0).round().astype(np.int64).to_numpy(),
    })
    hashed = pd.util.hash_pandas_object(basis, index=False,
                                        hash_key=_hash_key(secret, "content-key"))
    return (hashed.to_numpy(dtype=np.uint64) % np.uint64(KEY_RANGE)).astype(np.int64)
