"""Headlines a launch audience can read: where harm concentrates and how it changed, in words.

A multi-agency launch (CHB FB8) needs to hear what is true and useful first: which wards
carry the harm, how concentrated it is, and whether it rose or fell. The hot spot statistic
comes after, with what it can and cannot show on the disclosed geography (Gi* with a false
discovery rate over 20 wards has little power, so "0 hot spots" there says little).

Every figure is computed from the frames it is given; for partner and public those are the
disclosed layers and series (:mod:`geosoc.disclosure`), so nothing here reaches past them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geosoc.schema import HARM

#: Below this many units Gi* with FDR rarely finds anything (few neighbours, many tests).
LOW_POWER_UNITS = 30
#: An area holding less than this share of the average area's harm is taken to lie outside
#: the data (police.uk snaps a few points across a force's edge into its neighbours' wards).
COVERED_SHARE = 0.05
_FRACTIONS = ((1 / 3, "A third"), (1 / 2, "Half"))


@dataclass(frozen=True)
class Headlines:
    """What the pack says first (``lead``) and the statistic beneath it (``statistic``)."""

    lead: tuple[str, ...]
    statistic: str


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def concentration_sentences(areas: pd.DataFrame, *, kind: str = "ward",
                            total: float | None = None) -> list[str]:
    """Say where harm concentrates over named areas, from their (disclosed) harm.

    Parameters
    ----------
    areas : pandas.DataFrame
        One row per area with ``name`` and ``harm`` (days; NaN where suppressed, taken as 0).
    kind : str
        What an area is, singular ("ward").
    total : float, optional
        The total harm to share against (default the sum of ``harm``).

    Returns
    -------
    list of str
        The highest-harm area against the average of the areas the data cover, and the
        fewest areas holding a third (or half) of all harm; empty with fewer than 3 areas
        or no harm. Areas holding under :data:`COVERED_SHARE` of the average area's harm
        are taken to lie outside the data and left out of the average and the counts, and
        the sentence says so (a suppressed area stays in, counted as 0).
    """
    raw = areas[HARM].astype(float)
    harm = raw.fillna(0.0)
    # a suppressed area (NaN) is small, not outside the data: it stays in the average
    covered = raw.isna() | (harm >= COVERED_SHARE * harm.mean())
    outside = int((~covered).sum())
    areas, harm = areas[covered], harm[covered]
    total = float(harm.sum()) if total is None else float(total)
    if len(areas) < 3 or total <= 0:
        return []
    order = harm.sort_values(ascending=False, kind="stable")
    names = areas.loc[order.index, "name"].astype(str).tolist() if "name" in areas.columns \
        else order.index.astype(str).tolist()
    top_share = float(order.iloc[0]) / total
    times = float(order.iloc[0]) / (total / len(areas))
    of = (f" of the {len(areas)} {kind}s the data cover ({outside} {kind}s outside the "
          "data, with almost no recorded harm, left out)") if outside else ""
    sentences = [f"Harm concentrates in {names[0]}: {top_share:.0%} of all recorded harm, "
                 f"{times:.1f} times the average{of if of else ' ' + kind}."]
    cumulative = order.cumsum().to_numpy() / total
    for fraction, word in _FRACTIONS:
        # the fewest areas whose share, as printed (whole per cent), reaches the fraction
        k = int(np.searchsorted(np.round(cumulative * 100), np.floor(fraction * 100)) + 1)
        if 1 < k <= max(2, len(areas) // 3):
            sentences.append(f"{word} of all harm ({cumulative[k - 1]:.0%}) is in {k} of the "
                             f"{len(areas)} {kind}s: {_listed(names[:k])}.")
            break
    else:
        sentences.append(f"Beyond {names[0]} harm is spread widely: the top 3 {kind}s hold "
                         f"{cumulative[min(2, len(areas) - 1)]:.0%} of it.")
    return sentences


def change_sentence(series: pd.DataFrame) -> str | None:
    """Compare the latest year (or half of the data) with the same length just before it.

    Parameters
    ----------
    series : pandas.DataFrame
        Disclosed ``month`` or ``quarter`` (Period) and ``harm`` (NaN where suppressed).

    Returns
    -------
    str or None
        E.g. "Harm in the latest 4 quarters (2025Q1 to 2025Q4) was 8% lower than in the 4
        quarters before." ``None`` with fewer than 2 periods or any suppressed period in
        either window.
    """
    period = "quarter" if "quarter" in series.columns else "month"
    ordered = series.sort_values(period)
    per_year = 4 if period == "quarter" else 12
    n = min(per_year, len(ordered) // 2)
    if n < 1:
        return None
    recent, before = ordered.iloc[-n:], ordered.iloc[-2 * n:-n]
    if recent[HARM].isna().any() or before[HARM].isna().any():
        return None
    now, then = float(recent[HARM].sum()), float(before[HARM].sum())
    if then <= 0:
        return None
    change = now / then - 1
    span = f"{recent[period].iloc[0]} to {recent[period].iloc[-1]}" if n > 1 else \
        str(recent[period].iloc[0])
    words = f"{n} {period}s" if n > 1 else f"{period}"
    if abs(change) < 0.005:
        return f"Harm in the latest {words} ({span}) was about the same as in the {words} before."
    direction = "lower" if change < 0 else "higher"
    return (f"Harm in the latest {words} ({span}) was {abs(change):.0%} {direction} than in "
            f"the {words} before.")


def statistic_sentence(layer: pd.DataFrame, *, kind: str = "units") -> str | None:
    """Say what Gi* found on ``layer`` and what it can show on that many units.

    Parameters
    ----------
    layer : pandas.DataFrame
        The mapped (disclosed) layer with ``hotspot_bin`` (Gi* bins, FDR-corrected).
    kind : str
        What a unit is, plural ("wards", "H3 cells").
    """
    if "hotspot_bin" not in layer.columns:
        return None
    hot = int((layer["hotspot_bin"] >= 2).sum())
    n = len(layer)
    found = (f"found {hot} of the {n} {kind} to be a hot spot at 95% confidence or more"
             if hot else f"found none of the {n} {kind} to be a hot spot at 95% confidence")
    sentence = (f"Statistic: Getis-Ord Gi* (each unit with its neighbours, false discovery rate "
                f"controlled) {found}.")
    if n < LOW_POWER_UNITS:
        sentence += (f" With only {n} {kind} this test has little power: it needs a cluster "
                     f"of several high-harm neighbours, so a single high-harm {kind[:-1]} "
                     "does not show as a hot spot. Read the figures above for where harm is.")
    return sentence


def launch_headlines(areas: pd.DataFrame | None, series: pd.DataFrame, layer: pd.DataFrame,
                     *, concentration: str, kind: str = "ward", layer_kind: str = "units",
                     total: float | None = None) -> Headlines:
    """Return the headline sentences of a locality profile, plain words first.

    Parameters
    ----------
    areas : pandas.DataFrame or None
        Disclosed named areas (``name``, ``harm``) for where harm concentrates.
    series : pandas.DataFrame
        Disclosed monthly or quarterly ``harm``.
    layer : pandas.DataFrame
        The mapped layer with ``hotspot_bin`` (for the statistic).
    concentration : str
        The cell concentration sentence (:meth:`ConcentrationSummary.sentence`).
    kind, layer_kind : str
        What an area is (singular) and what a mapped unit is (plural).
    total : float, optional
        Total harm to share against (default the areas' sum).
    """
    lead = concentration_sentences(areas, kind=kind, total=total) if areas is not None else []
    change = change_sentence(series)
    lead = [*lead, *([change] if change else []),
            f"Over the map's cells: {concentration[0].lower()}{concentration[1:]}."]
    statistic = statistic_sentence(layer, kind=layer_kind) or ""
    return Headlines(lead=tuple(lead), statistic=statistic)
