"""How concentrated harm is: Lorenz curve, "X% of harm in Y% of area", (generalised) Gini.

Weisburd's law of crime concentration: about 50% of crime happens on 2-6% of street
segments. With fewer events than units (sparse data: n < N), even perfectly spread events
leave ``N - n`` units empty, so the ordinary Gini is inflated. Bernasco & Steenbeek (2017,
*J. Quant. Criminol.* 33:451-467) compare the Lorenz curve with *maximal equality given the
data* (n units with one event each) instead of perfect equality. Writing the ordinary Gini as
``G = 1 - 2 A`` with ``A`` the area under the Lorenz curve, the area under the
maximal-equality line is ``n / (2N)``, so

    ``G' = 1 - (N / n) (1 - G)``  when ``n < N``,  and ``G' = G`` otherwise,

which is 0 for maximal equality and tends to ``G`` as ``n`` approaches ``N``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geosoc.errors import AnalysisError, Problem


def _clean(values: np.ndarray | pd.Series) -> np.ndarray:
    """Return finite non-negative float values or raise listing what is wrong."""
    x = np.asarray(values, dtype=float).ravel()
    problems = []
    if x.size == 0:
        problems.append(Problem("no units to measure", fix="pass at least one cell or area"))
    if np.isnan(x).any():
        problems.append(Problem(f"{int(np.isnan(x).sum())} missing value(s)",
                                fix="fill units with no events with 0"))
    if (x < 0).any():
        problems.append(Problem("negative values", fix="harm and counts must be >= 0"))
    if problems:
        raise AnalysisError("cannot measure concentration", problems)
    return x


def lorenz_curve(values: np.ndarray | pd.Series) -> pd.DataFrame:
    """Lorenz curve of harm over units (cells or areas), from (0, 0) to (1, 1).

    Parameters
    ----------
    values : array-like
        Harm (or counts) per unit, zero units included.

    Returns
    -------
    pandas.DataFrame
        ``share_of_units`` and ``share_of_harm`` (0-1), units sorted from least to most
        harmed (the classic Lorenz order); ``N + 1`` rows.
    """
    x = np.sort(_clean(values))
    total = x.sum()
    cum = np.concatenate([[0.0], np.cumsum(x)])
    share = cum / total if total > 0 else np.linspace(0.0, 1.0, len(cum))
    return pd.DataFrame({"share_of_units": np.linspace(0.0, 1.0, len(cum)),
                         "share_of_harm": share})


def gini(values: np.ndarray | pd.Series) -> float:
    """Ordinary Gini coefficient ``sum((2i - N - 1) x_(i)) / (N sum x)``, x ascending.

    0 when every unit has the same harm, ``1 - 1/N`` when one unit has it all.
    """
    x = np.sort(_clean(values))
    total = x.sum()
    if total == 0:
        return 0.0
    n = len(x)
    rank = np.arange(1, n + 1)
    return float(((2 * rank - n - 1) * x).sum() / (n * total))


def generalised_gini(values: np.ndarray | pd.Series, n_events: int | None = None) -> float:
    """Bernasco & Steenbeek (2017) generalised Gini for sparse data (fewer events than units).

    Parameters
    ----------
    values : array-like
        Harm or counts per unit, zero units included.
    n_events : int, optional
        Number of events behind ``values``; defaults to ``round(sum(values))``, right for
        counts. Pass the incident count when ``values`` are harm weights.

    Returns
    -------
    float
        ``1 - (N / n)(1 - G)`` when ``n < N``, else the ordinary Gini ``G``.
    """
    x = _clean(values)
    n_units = len(x)
    n = round(float(x.sum())) if n_events is None else int(n_events)
    g = gini(x)
    if n <= 0 or n >= n_units:
        return g
    return max(0.0, 1.0 - (n_units / n) * (1.0 - g))


@dataclass(frozen=True)
class ConcentrationSummary:
    """Headline concentration figures (shares are 0-1).

    Attributes
    ----------
    n_units : int
        Number of cells or areas (zero units included).
    total : float
        Total harm (or count).
    share_of_harm : float
        The harm share asked about (e.g. 0.5).
    units_needed : int
        Fewest top units holding at least ``share_of_harm`` of the harm.
    share_of_units : float
        ``units_needed / n_units``.
    share_of_area : float or None
        Their share of the total area when areas were given.
    top5_share_of_harm : float
        Share of harm in the top 5% of units (at least one unit).
    gini, generalised_gini : float
        Ordinary and Bernasco-Steenbeek generalised Gini.
    unit : str
        What a unit is, for sentences ("cells", "wards"...).
    """

    n_units: int
    total: float
    share_of_harm: float
    units_needed: int
    share_of_units: float
    share_of_area: float | None
    top5_share_of_harm: float
    gini: float
    generalised_gini: float
    unit: str = "cells"

    def sentence(self) -> str:
        """Return e.g. ``"50% of harm is in 3.1% of cells (2.9% of the area)"``."""
        text = (f"{self.share_of_harm:.0%} of harm is in {self.share_of_units:.1%} of "
                f"{self.unit} ({self.units_needed} of {self.n_units})")
        if self.share_of_area is not None:
            text += f", {self.share_of_area:.1%} of the area"
        return text

    def to_dict(self) -> dict[str, object]:
        """Return the figures and the sentence as a JSON-ready dict."""
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__},
                "sentence": self.sentence()}


def concentration_summary(
    values: np.ndarray | pd.Series,
    areas_km2: np.ndarray | pd.Series | None = None,
    *,
    share: float = 0.5,
    n_events: int | None = None,
    unit: str = "cells",
) -> ConcentrationSummary:
    """Summarise how concentrated harm is: "X% of harm in Y% of cells / area".

    Parameters
    ----------
    values : array-like
        Harm (or counts) per unit, zero units included.
    areas_km2 : array-like, optional
        Area of each unit in km² (EPSG:27700 measurement), same order as ``values``.
    share : float
        Share of harm to locate (0 < share <= 1).
    n_events : int, optional
        Number of events, for the generalised Gini (see :func:`generalised_gini`).
    unit : str
        Plural name of the units, for :meth:`ConcentrationSummary.sentence`.

    Returns
    -------
    ConcentrationSummary
        The figures; units are taken from most to least harmed.
    """
    if not 0 < share <= 1:
        raise AnalysisError("share must be in (0, 1]",
                            [Problem(f"share={share}", fix="e.g. 0.5 for half the harm")])
    x = _clean(values)
    order = np.argsort(-x, kind="stable")
    desc = x[order]
    total = float(x.sum())
    n_units = len(x)
    if total > 0:
        cum = np.cumsum(desc) / total
        needed = int(np.searchsorted(cum, share - 1e-12, side="left")) + 1
        top5 = float(desc[: max(1, math.ceil(0.05 * n_units))].sum() / total)
    else:
        needed, top5 = 0, 0.0
    area_share = None
    if areas_km2 is not None:
        area = np.asarray(areas_km2, dtype=float).ravel()
        if area.shape != x.shape:
            raise AnalysisError("areas_km2 must match values",
                                [Problem(f"{area.size} areas for {x.size} values",
                                         fix="pass one area per unit")])
        area_share = float(area[order][:needed].sum() / area.sum())
    return ConcentrationSummary(
        n_units=n_units, total=total, share_of_harm=share, units_needed=needed,
        share_of_units=needed / n_units, share_of_area=area_share,
        top5_share_of_harm=top5, gini=gini(x),
        generalised_gini=generalised_gini(x, n_events), unit=unit,
    )
