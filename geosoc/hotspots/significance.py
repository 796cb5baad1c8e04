"""Multiple testing and ArcGIS-style hotspot bins for local statistics.

``benjamini_hochberg`` gives Benjamini-Hochberg adjusted p-values (q-values): a test is
FDR-significant at level ``alpha`` exactly when ``q <= alpha``. ``hotspot_bins`` turns
z-scores and two-sided p-values into ArcGIS Gi_Bin classes (±3, ±2, ±1 at 99/95/90%).
"""

from __future__ import annotations

import numpy as np

#: Confidence levels of the ArcGIS Gi_Bin classes (bin 3, 2, 1).
BIN_LEVELS = (0.01, 0.05, 0.10)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as ``p``.

    A test is FDR-significant at level ``alpha`` exactly when its q-value is <= ``alpha``.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def hotspot_bins(z: np.ndarray, p: np.ndarray, *, fdr: bool = True) -> np.ndarray:
    """ArcGIS-style bins: ``sign(z) * 3/2/1`` at 99/95/90% confidence, else 0.

    Parameters
    ----------
    z : numpy.ndarray
        z-scores (sign gives hot or cold).
    p : numpy.ndarray
        Two-sided p-values.
    fdr : bool
        Test each level on Benjamini-Hochberg q-values (``q <= level``) instead of raw
        p-values (``p < level``).

    Returns
    -------
    numpy.ndarray
        int8 bins in -3..3.
    """
    p = np.asarray(p, dtype=float)
    test = benjamini_hochberg(p) if fdr else p
    passed = sum(((test <= lv) if fdr else (test < lv)).astype(np.int8) for lv in BIN_LEVELS)
    return (np.sign(z).astype(np.int8) * passed).astype(np.int8)
