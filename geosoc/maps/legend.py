"""Colour scales and legend data for maps; Streamlit draws the legends (no branca ColorMap).

A branca ``ColorMap`` makes streamlit-folium load d3 from a CDN, so the map never starts
offline. Colours are therefore computed here, in Python, on a binned scale, and the same
:class:`Legend` feeds both the map layer and the legend the page draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Sequential palette for harm and counts (ColorBrewer YlOrRd, 6 classes), light to dark.
SEQUENTIAL = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
#: Colour of cells with zero (no events): drawn faintly so the study area stays visible.
ZERO_COLOUR = "#f2f2f2"
#: Gi* confidence bins -3…3 (ArcGIS hot/cold spot colours).
HOTSPOT_COLOURS = {
    -3: "#4575b5", -2: "#849eba", -1: "#c0ccbe", 0: "#f2f2f2",
    1: "#fab984", 2: "#ed7551", 3: "#d62f27",
}
HOTSPOT_LABELS = {
    -3: "Cold spot, 99% confidence", -2: "Cold spot, 95% confidence",
    -1: "Cold spot, 90% confidence", 0: "Not significant",
    1: "Hot spot, 90% confidence", 2: "Hot spot, 95% confidence",
    3: "Hot spot, 99% confidence",
}
#: Emerging hot spot classes (ArcGIS names); hot reds, cold blues, grey for no pattern.
EMERGING_COLOURS = {
    "New Hot Spot": "#7f0000", "Consecutive Hot Spot": "#b30000",
    "Intensifying Hot Spot": "#d7301f", "Persistent Hot Spot": "#ef6548",
    "Diminishing Hot Spot": "#fc8d59", "Sporadic Hot Spot": "#fdbb84",
    "Oscillating Hot Spot": "#fdd49e", "Historical Hot Spot": "#fee8c8",
    "New Cold Spot": "#023858", "Consecutive Cold Spot": "#045a8d",
    "Intensifying Cold Spot": "#0570b0", "Persistent Cold Spot": "#3690c0",
    "Diminishing Cold Spot": "#74a9cf", "Sporadic Cold Spot": "#a6bddb",
    "Oscillating Cold Spot": "#d0d1e6", "Historical Cold Spot": "#ece7f2",
    "No Pattern Detected": "#f2f2f2",
}
#: Qualitative palette for categories (asset types, sources), ColorBrewer Dark2 + Set1.
QUALITATIVE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
               "#a6761d", "#666666", "#e41a1c", "#377eb8", "#4daf4a", "#984ea3")


@dataclass(frozen=True)
class Legend:
    """What a legend shows: a title and (label, colour) entries, in order.

    Parameters
    ----------
    title : str
        Heading, e.g. ``"Harm (days) per cell"``.
    entries : tuple of (str, str)
        Label and ``#rrggbb`` colour of each class.
    """

    title: str
    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BinnedScale:
    """A binned colour scale: values in ``(edges[i], edges[i+1]]`` get ``colours[i]``.

    Zero (and missing) values get :data:`ZERO_COLOUR`, so empty cells stay visible but quiet.

    Parameters
    ----------
    edges : tuple of float
        Increasing class edges; ``len(edges) == len(colours) + 1``.
    colours : tuple of str
        One colour per class.
    """

    edges: tuple[float, ...]
    colours: tuple[str, ...]

    def colour(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Return the colour of each value (vectorised)."""
        v = np.asarray(values, dtype=float)
        classes = np.clip(np.searchsorted(self.edges, v, side="left") - 1, 0, len(self.colours) - 1)
        out = np.asarray(self.colours, dtype=object)[classes]
        out[~(v > 0)] = ZERO_COLOUR
        return out

    def legend(self, title: str, *, decimals: int = 0) -> Legend:
        """Return the legend of this scale, with a first entry for zero."""
        labels = [
            f"{lo:,.{decimals}f} – {hi:,.{decimals}f}"
            for lo, hi in zip(self.edges[:-1], self.edges[1:], strict=True)
        ]
        return Legend(title, (("0 (none)", ZERO_COLOUR), *zip(labels, self.colours, strict=True)))


def quantile_scale(values: np.ndarray | pd.Series, *, classes: int = 6) -> BinnedScale:
    """Build a binned scale from quantiles of the positive values.

    Parameters
    ----------
    values : array-like of float
        The mapped quantity (harm in days, or counts); zeros and NaN are ignored for the edges.
    classes : int
        Number of classes wanted (at most ``len(SEQUENTIAL)``); fewer when values repeat.

    Returns
    -------
    BinnedScale
        Edges from 0 to the maximum; colours spread over the sequential palette.
    """
    v = np.asarray(values, dtype=float)
    positive = v[v > 0]
    classes = max(1, min(classes, len(SEQUENTIAL)))
    if positive.size == 0:
        return BinnedScale((0.0, 1.0), (SEQUENTIAL[0],))
    inner = np.quantile(positive, np.linspace(0, 1, classes + 1)[1:-1])
    edges = np.unique(np.concatenate([[0.0], inner, [positive.max()]]))
    n = len(edges) - 1
    picks = np.round(np.linspace(0, len(SEQUENTIAL) - 1, n)).astype(int) if n > 1 else [3]
    return BinnedScale(tuple(float(e) for e in edges), tuple(SEQUENTIAL[i] for i in picks))


def hotspot_legend() -> Legend:
    """Legend of Gi* confidence bins, hottest first."""
    return Legend(
        "Gi* hot and cold spots",
        tuple((HOTSPOT_LABELS[b], HOTSPOT_COLOURS[b]) for b in range(3, -4, -1)),
    )


def emerging_legend(present: list[str] | None = None) -> Legend:
    """Legend of emerging hot spot classes (only ``present`` ones when given)."""
    names = [n for n in EMERGING_COLOURS if present is None or n in present]
    return Legend("Emerging hot spots", tuple((n, EMERGING_COLOURS[n]) for n in names))


def category_colours(categories: list[str] | pd.Index) -> dict[str, str]:
    """Give each category a colour from :data:`QUALITATIVE`, cycling, in sorted order."""
    ordered = sorted({str(c) for c in categories})
    return {c: QUALITATIVE[i % len(QUALITATIVE)] for i, c in enumerate(ordered)}


def category_legend(title: str, colours: dict[str, str]) -> Legend:
    """Legend listing categories and their colours."""
    return Legend(title, tuple(colours.items()))
