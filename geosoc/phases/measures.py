"""Displacement measures on counts: the WDQ and the WDD test (with harm weighting).

Three zones: the **site** (A / T), a **buffer** ring around it (B / D) and a **control** area
(C / Ct / Cd) that saw no intervention. ``0`` is the before period (the baseline), ``1`` the
after period (a phase: Clear, Hold or Build).

* WDQ (Bowers & Johnson 2003): ``SM = A1/C1 - A0/C0``, ``BDM = B1/C1 - B0/C0``,
  ``WDQ = BDM/SM`` only when ``SM < 0``, ``TNE = (A0*C1/C0 - A1) + (B0*C1/C0 - B1)``.
* WDD (Wheeler & Ratcliffe 2018): ``local = (T1-T0) - (Ct1-Ct0)``,
  ``disp = (D1-D0) - (Cd1-Cd0)``, ``WDD = local + disp``; counts are Poisson so the variance is
  the sum of the counts and ``Z = WDD/SE``.

**Unequal period lengths.** When the before period lasts ``m0`` months and the after period
``m1`` months, every before count ``X0`` is converted to a monthly rate and scaled to the
after-period length: ``X0' = X0 * m1/m0``. The after counts are untouched, so WDD is in events
*over the after period*. A Poisson count scaled by ``r = m1/m0`` has variance ``r**2 * X0``,
so ``Var(local) = T1 + Ct1 + r**2 * (T0 + Ct0)`` (likewise for ``disp``). WDQ needs no scaling:
every term is a ratio of two counts from the same period.

Control areas with no events cannot stand in for "what would have happened": both statistics
then refuse, with a reason, instead of dividing by zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from geosoc.errors import AnalysisError, Problem
from geosoc.phases.readings import describe_wdd, describe_wdq

#: Why a WDQ is refused when the site did not improve.
SM_NOT_NEGATIVE = (
    "the site did not improve relative to control, so a displacement quotient is meaningless"
)


@dataclass(frozen=True)
class WDQResult:
    """The weighted displacement quotient and its parts (Bowers & Johnson 2003).

    Attributes
    ----------
    sm : float
        Success measure ``A1/C1 - A0/C0``; negative means the site improved. NaN when a
        control count is zero.
    bdm : float
        Buffer displacement measure ``B1/C1 - B0/C0``; positive means the buffer worsened.
    wdq : float or None
        ``BDM/SM``; ``None`` when it is not meaningful (see ``refused_reason``).
    tne : float
        Total net effect in events, ``(A0*C1/C0 - A1) + (B0*C1/C0 - B1)``; positive = crimes
        prevented in site plus buffer.
    reading : str
        One-line reading with the interpretation band.
    refused_reason : str or None
        Why ``wdq`` is ``None``.
    """

    sm: float
    bdm: float
    wdq: float | None
    tne: float
    reading: str
    refused_reason: str | None = None


@dataclass(frozen=True)
class WDDResult:
    """The weighted displacement difference test (Wheeler & Ratcliffe 2018).

    All quantities are in events over the after period (before counts scaled by months).

    Attributes
    ----------
    local, local_se : float
        ``(T1-T0) - (Ct1-Ct0)`` and its standard error.
    displacement, displacement_se : float
        ``(D1-D0) - (Cd1-Cd0)`` and its standard error.
    wdd, se : float
        ``local + displacement`` and its standard error.
    z, p : float
        ``wdd/se`` and the two-sided normal p-value.
    ci_low, ci_high : float
        Normal confidence interval of ``wdd`` at the requested level.
    reading : str
        One-line reading that never claims an effect when the interval includes 0.
    refused_reason : str or None
        Why the test could not be computed (all fields are then NaN).
    """

    local: float
    local_se: float
    displacement: float
    displacement_se: float
    wdd: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    reading: str
    refused_reason: str | None = None


def _check_counts(**counts: float) -> None:
    problems = [
        Problem(f"count {name}={value!r} must be a finite number >= 0", column=name,
                fix="pass event counts (or harm totals) that are zero or positive")
        for name, value in counts.items()
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0
    ]
    if problems:
        raise AnalysisError("displacement needs non-negative counts", problems)


def weighted_displacement_quotient(
    a0: float, a1: float, b0: float, b1: float, c0: float, c1: float
) -> WDQResult:
    """Compute the weighted displacement quotient (Bowers & Johnson 2003).

    Parameters
    ----------
    a0, a1 : float
        Site counts (or harm totals) before and after.
    b0, b1 : float
        Buffer counts before and after.
    c0, c1 : float
        Control counts before and after.

    Returns
    -------
    WDQResult
        ``wdq`` is ``None`` when a control count is zero or when ``SM >= 0``.

    Examples
    --------
    >>> r = weighted_displacement_quotient(100, 60, 80, 90, 200, 190)
    >>> round(r.sm, 4), round(r.bdm, 4), round(r.wdq, 2), round(r.tne, 1)
    (-0.1842, 0.0737, -0.4, 21.0)
    """
    _check_counts(a0=a0, a1=a1, b0=b0, b1=b1, c0=c0, c1=c1)
    if c0 == 0 or c1 == 0:
        reason = "the control area has no events in one period, so it cannot act as a control"
        return WDQResult(math.nan, math.nan, None, math.nan, describe_wdq(None, reason), reason)
    sm = a1 / c1 - a0 / c0
    bdm = b1 / c1 - b0 / c0
    tne = (a0 * c1 / c0 - a1) + (b0 * c1 / c0 - b1)
    if sm >= 0:
        return WDQResult(sm, bdm, None, tne, describe_wdq(None, SM_NOT_NEGATIVE), SM_NOT_NEGATIVE)
    wdq = bdm / sm
    return WDQResult(sm, bdm, wdq, tne, describe_wdq(wdq))


def _refused_wdd(reason: str) -> WDDResult:
    nan = math.nan
    return WDDResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                     f"cannot test: {reason}", reason)


def _period_scale(months_before: float | None, months_after: float | None) -> float:
    if months_before is None and months_after is None:
        return 1.0
    if months_before is None or months_after is None or months_before <= 0 or months_after <= 0:
        raise AnalysisError(
            "period lengths must be given together and be positive",
            [Problem(f"months_before={months_before!r}, months_after={months_after!r}",
                     fix="pass both period lengths in months, or neither for equal periods")],
        )
    return months_after / months_before


def _finish_wdd(
    local: float, local_var: float, disp: float, disp_var: float, confidence: float
) -> WDDResult:
    """Assemble a WDDResult from the two differences and their variances."""
    wdd = local + disp
    se = math.sqrt(local_var + disp_var)
    if se == 0:
        return _refused_wdd("there are no events in any zone or period")
    z = wdd / se
    p = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    lo, hi = wdd - half, wdd + half
    return WDDResult(local, math.sqrt(local_var), disp, math.sqrt(disp_var), wdd, se, z, p,
                     lo, hi, describe_wdd(wdd, lo, hi, p, confidence=confidence))


def weighted_displacement_difference(
    t0: float, t1: float, ct0: float, ct1: float,
    d0: float, d1: float, cd0: float, cd1: float,
    *,
    months_before: float | None = None,
    months_after: float | None = None,
    scale_controls: bool = False,
    dispersion: Mapping[str, float] | None = None,
    confidence: float = 0.95,
) -> WDDResult:
    """Compute the weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    t0, t1 : float
        Site (treated) event counts before and after.
    ct0, ct1 : float
        Counts in the site's control area before and after.
    d0, d1 : float
        Counts in the buffer (displacement area) before and after.
    cd0, cd1 : float
        Counts in the buffer's control area before and after (may be the same control).
    months_before, months_after : float, optional
        Period lengths in months. When given, before counts are scaled by
        ``months_after/months_before`` and their variance by its square (module docstring).
    scale_controls : bool
        Scale each control to its treated zone's baseline volume (see
        :data:`CONTROL_SCALING_NOTE`); use it when the control is much bigger or smaller
        than the site. ``False`` is the published test.
    dispersion : mapping of str to float, optional
        Variance inflation per zone, keys ``"t"``, ``"ct"``, ``"d"``, ``"cd"`` (quasi-Poisson
        ``Var = φ·mean``; see :func:`baseline_dispersion`). Default 1 (pure Poisson).
    confidence : float
        Level of the normal confidence interval (default 0.95).

    Returns
    -------
    WDDResult
        Negative WDD = net fall across site and buffer relative to control. Refused (NaN with
        ``refused_reason``) when a control area has no events in either period (or, with
        ``scale_controls``, in the before period).

    Examples
    --------
    >>> r = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    >>> r.local, round(r.local_se, 2), r.displacement, round(r.se, 2), round(r.z, 2)
    (-30.0, 23.45, 10.0, 31.94, -0.63)
    """
    _check_counts(t0=t0, t1=t1, ct0=ct0, ct1=ct1, d0=d0, d1=d1, cd0=cd0, cd1=cd1)
    r = _period_scale(months_before, months_after)
    if ct0 + ct1 == 0 or cd0 + cd1 == 0:
        return _refused_wdd("a control area has no events in either period")
    if scale_controls and (ct0 == 0 or cd0 == 0):
        return _refused_wdd("a control area has no events in the before period to scale by")
    phi = {"t": 1.0, "ct": 1.0, "d": 1.0, "cd": 1.0, **(dispersion or {})}
    local, local_var = _difference(t0, t1, ct0, ct1, r, scale_controls, phi["t"], phi["ct"])
    disp, disp_var = _difference(d0, d1, cd0, cd1, r, scale_controls, phi["d"], phi["cd"])
    return _finish_wdd(local, local_var, disp, disp_var, confidence)


#: How :func:`weighted_displacement_difference` scales controls (``scale_controls=True``).
CONTROL_SCALING_NOTE = (
    "Each control is multiplied by k = X0/C0 (treated before count over control before "
    "count), so the difference becomes X1 - X0*C1/C0: the treated zone's after count minus "
    "what it would have been had it moved like the control (the month scaling cancels). "
    "This equals minus the matching term of the WDQ's total net effect. The variance is the "
    "delta-method variance of that expression with every count Poisson: "
    "X1 + (C1/C0)^2 X0 + (X0/C0)^2 C1 + (X0 C1/C0^2)^2 C0."
)


def _difference(
    x0: float, x1: float, c0: float, c1: float, r: float, scaled: bool,
    phi_x: float, phi_c: float,
) -> tuple[float, float]:
    """One WDD term (treated minus control change) and its variance."""
    if not scaled:
        return (float((x1 - r * x0) - (c1 - r * c0)),
                phi_x * (x1 + r * r * x0) + phi_c * (c1 + r * r * c0))
    ratio = c1 / c0
    value = x1 - x0 * ratio
    var = (phi_x * (x1 + ratio**2 * x0)
           + phi_c * ((x0 / c0) ** 2 * c1 + (x0 * c1 / c0**2) ** 2 * c0))
    return float(value), float(var)


def baseline_dispersion(monthly_counts: Sequence[float]) -> float:
    """Estimate the quasi-Poisson dispersion of a zone from its baseline monthly counts.

    Parameters
    ----------
    monthly_counts : sequence of float
        Event counts per baseline month (at least two months).

    Returns
    -------
    float
        Pearson dispersion ``Σ(x - x̄)² / x̄ / (M - 1)``, floored at 1 (never narrower than
        Poisson). Seasonality and trend in the baseline also inflate it, which errs on the
        side of not claiming an effect.
    """
    values = np.asarray(monthly_counts, dtype=float)
    mean = values.mean() if len(values) else 0.0
    if len(values) < 2 or mean <= 0:
        return 1.0
    return float(max(1.0, ((values - mean) ** 2).sum() / mean / (len(values) - 1)))


def harm_weighted_wdd(
    results: Mapping[str, WDDResult], weights: Mapping[str, float], *, confidence: float = 0.95
) -> WDDResult:
    """Combine per-category WDD results into one harm-weighted WDD.

    ``WDD = Σ w_k·WDD_k`` and ``SE = √(Σ w_k²·SE_k²)`` (categories independent); ``local`` and
    ``displacement`` are combined the same way. Refused categories are left out.

    Parameters
    ----------
    results : mapping of str to WDDResult
        One WDD per category, computed on counts.
    weights : mapping of str to float
        Harm weight per category (days of imprisonment per event).
    confidence : float
        Level of the combined confidence interval.

    Returns
    -------
    WDDResult
        In harm units (days) over the after period.
    """
    missing = [k for k in results if k not in weights]
    if missing:
        raise AnalysisError(
            "harm weights are missing for some categories",
            [Problem(f"no weight for category {k!r}", column="category",
                     fix="add the category to the harm weights table") for k in missing],
        )
    usable = {k: r for k, r in results.items() if r.refused_reason is None}
    if not usable:
        return _refused_wdd("no category could be tested")
    local = sum(weights[k] * r.local for k, r in usable.items())
    disp = sum(weights[k] * r.displacement for k, r in usable.items())
    local_var = sum(weights[k] ** 2 * r.local_se**2 for k, r in usable.items())
    disp_var = sum(weights[k] ** 2 * r.displacement_se**2 for k, r in usable.items())
    return _finish_wdd(float(local), float(local_var), float(disp), float(disp_var), confidence)
