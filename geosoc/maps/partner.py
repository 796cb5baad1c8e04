"""Scales and legend titles of partner area-count and vulnerability-signal layers.

Partner count layers reuse the sequential harm palette; vulnerability signals get their own
purple palette (ColorBrewer Purples) and their own legend, so nobody reads them as harm.
A layer apportioned to H3 cells names its method in the title (map layer and legend).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.aggregate.apportion import method_label
from geosoc.maps.legend import BinnedScale, quantile_scale

__all__ = ["SIGNAL_PALETTE", "partner_title", "signal_scale"]

#: Palette of vulnerability signal layers (ColorBrewer Purples, 6 classes), light to dark.
SIGNAL_PALETTE = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")


def signal_scale(values: np.ndarray | pd.Series, *, classes: int = 6) -> BinnedScale:
    """Quantile scale of a vulnerability signal layer, on :data:`SIGNAL_PALETTE`."""
    base = quantile_scale(values, classes=classes)
    n = len(base.colours)
    picks = np.round(np.linspace(1, len(SIGNAL_PALETTE) - 1, n)).astype(int) if n > 1 else [4]
    return BinnedScale(base.edges, tuple(SIGNAL_PALETTE[i] for i in picks))


def partner_title(source: str, measure: str, *, unit: str, method: str | None = None,
                  signal: bool = False) -> str:
    """Return the layer/legend title of a partner count or vulnerability signal layer.

    E.g. ``"housing: harm (days) per cell, apportioned by area share"`` or
    ``"vulnerability (vulnerability signals): events per lsoa"``.

    Parameters
    ----------
    source : str
        Partner source.
    measure : str
        ``"harm"`` (days) or ``"count"`` (events).
    unit : str
        What each shape is (``"cell"``, ``"LSOA"``, ``"ward"``).
    method : str, optional
        Apportioning method when the values were apportioned.
    signal : bool
        A vulnerability signal layer (counts only, never harm).
    """
    what = "events" if signal or measure == "count" else "harm (days)"
    kind = " (vulnerability signals)" if signal else ""
    title = f"{source}{kind}: {what} per {unit}"
    return f"{title}, {method_label(method)}" if method else title
