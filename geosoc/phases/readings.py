"""One-line plain-English readings of change and displacement results.

Every function here takes plain numbers and returns a sentence a coordinator can read out at
a partnership meeting. The wording never claims an effect that the statistics do not support:
when a confidence interval includes "no change", the reading says so.

WDQ interpretation bands (Bowers & Johnson 2003, ``DOMAIN.md`` section 5):

==============  ================================================
WDQ             reading
==============  ================================================
> 1             diffusion of benefit larger than the direct effect
0 < WDQ <= 1    diffusion of benefit
0               no displacement or diffusion
-1 <= WDQ < 0   some displacement, net gain
< -1            displacement outweighs the gain
==============  ================================================
"""

from __future__ import annotations

import math

#: WDQ values within this distance of zero read as "no displacement or diffusion".
WDQ_ZERO_TOLERANCE = 0.05


def wdq_band(wdq: float | None) -> str:
    """Return the interpretation band of a weighted displacement quotient.

    Parameters
    ----------
    wdq : float or None
        The quotient; ``None`` when it was not meaningful (the site did not improve).

    Returns
    -------
    str
        One of ``"diffusion larger than the direct effect"``, ``"diffusion of benefit"``,
        ``"no displacement or diffusion"``, ``"some displacement, net gain"``,
        ``"displacement outweighs the gain"`` or ``"not meaningful"``.
    """
    if wdq is None or not math.isfinite(wdq):
        return "not meaningful"
    if abs(wdq) <= WDQ_ZERO_TOLERANCE:
        return "no displacement or diffusion"
    if wdq > 1:
        return "diffusion larger than the direct effect"
    if wdq > 0:
        return "diffusion of benefit"
    if wdq >= -1:
        return "some displacement, net gain"
    return "displacement outweighs the gain"


def describe_pct_change(measure: str, pct: float | None, zone: str, phase: str) -> str:
    """Say how much ``measure`` rose or fell in ``zone`` during ``phase``.

    Parameters
    ----------
    measure : str
        ``"harm"`` or ``"count"`` (read as "crime").
    pct : float or None
        Percentage change of the monthly rate against the baseline (``-38.0`` = fell 38%);
        ``None`` or non-finite when the baseline was zero.
    zone : str
        Where, e.g. ``"the site"`` or ``"the 250 m ring"``.
    phase : str
        The phase name, e.g. ``"Hold"``.

    Returns
    -------
    str
        E.g. ``"harm fell 38% in the site during Hold"``.
    """
    what = "crime" if measure == "count" else measure
    if pct is None or not math.isfinite(pct):
        return f"{what} in {zone} during {phase} cannot be compared (no baseline events)"
    if round(pct) == 0:
        return f"{what} was unchanged in {zone} during {phase}"
    verb = "rose" if pct > 0 else "fell"
    return f"{what} {verb} {abs(pct):.0f}% in {zone} during {phase}"


def describe_ring_change(pct: float | None, ring: str) -> str:
    """Say how a buffer ring moved, as the second clause of a displacement reading.

    Parameters
    ----------
    pct : float or None
        Percentage change of the ring's monthly rate against the baseline.
    ring : str
        The ring name, e.g. ``"250 m ring"``.

    Returns
    -------
    str
        E.g. ``"the 250 m ring rose 6%"``.
    """
    if pct is None or not math.isfinite(pct):
        return f"the {ring} had no baseline events"
    if round(pct) == 0:
        return f"the {ring} was unchanged"
    return f"the {ring} {'rose' if pct > 0 else 'fell'} {abs(pct):.0f}%"


def describe_wdq(wdq: float | None, refused_reason: str | None = None) -> str:
    """Return ``"WDQ -0.2: some displacement, net gain"`` or why there is no WDQ.

    Parameters
    ----------
    wdq : float or None
        The weighted displacement quotient.
    refused_reason : str, optional
        Why the quotient was not computed.

    Returns
    -------
    str
        The quotient with its band, or ``"no WDQ: <reason>"``.
    """
    if wdq is None:
        return f"no WDQ: {refused_reason or 'not meaningful'}"
    return f"WDQ {wdq:+.1f}: {wdq_band(wdq)}"


def describe_displacement(
    measure: str,
    site_pct: float | None,
    ring_pct: float | None,
    phase: str,
    ring: str,
    wdq: float | None,
    refused_reason: str | None = None,
    *,
    control_pct: float | None = None,
    wdd_significant: bool | None = None,
) -> str:
    """Combine site change, ring change, WDQ and WDD significance into one sentence.

    Parameters
    ----------
    measure : str
        ``"harm"`` or ``"count"``.
    site_pct, ring_pct : float or None
        Percentage change of the monthly rate against the baseline in the site and the ring.
    phase : str
        The phase name.
    ring : str
        The ring name, e.g. ``"250 m ring"``.
    wdq : float or None
        The weighted displacement quotient.
    refused_reason : str, optional
        Why no WDQ was computed.
    control_pct : float, optional
        Change in the control; WDQ is relative to it, so it is shown when given.
    wdd_significant : bool, optional
        Whether the WDD confidence interval excludes zero; when given the sentence ends with
        whether the net change is statistically significant.

    Returns
    -------
    str
        E.g. ``"harm fell 38% in the site during Hold; the 250 m ring rose 6%
        (WDQ -0.2: some displacement, net gain)"``.
    """
    context = describe_wdq(wdq, refused_reason)
    if control_pct is not None and math.isfinite(control_pct):
        moved = "was unchanged" if round(control_pct) == 0 else (
            f"{'rose' if control_pct > 0 else 'fell'} {abs(control_pct):.0f}%")
        context = f"control {moved}; {context}"
    text = (f"{describe_pct_change(measure, site_pct, 'the site', phase)}; "
            f"{describe_ring_change(ring_pct, ring)} ({context})")
    if wdd_significant is not None:
        text += ("; the net change is statistically significant" if wdd_significant
                 else "; the net change is not statistically significant")
    return text


def describe_wdd(
    wdd: float, ci_low: float, ci_high: float, p: float, *, confidence: float = 0.95
) -> str:
    """Read a weighted displacement difference without over-claiming.

    Parameters
    ----------
    wdd : float
        WDD in events (negative = net fall in site plus buffer relative to control).
    ci_low, ci_high : float
        Confidence interval of the WDD.
    p : float
        Two-sided p-value.
    confidence : float
        The confidence level of the interval.

    Returns
    -------
    str
        ``"no significant change: ..."`` whenever the interval includes zero.
    """
    level = f"{confidence * 100:.0f}%"
    interval = f"WDD {wdd:+.1f}, {level} CI {ci_low:+.1f} to {ci_high:+.1f}, p={p:.2f}"
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return f"cannot test: {interval}"
    if ci_low <= 0 <= ci_high:
        return f"no significant change relative to control ({interval})"
    direction = "net fall" if wdd < 0 else "net rise"
    return f"significant {direction} in site and buffer relative to control ({interval})"


def describe_rate_ratio(
    rate_ratio: float, ci_low: float, ci_high: float, p: float, *, confidence: float = 0.95
) -> str:
    """Read a Poisson rate-ratio test (phase rate against baseline rate).

    Parameters
    ----------
    rate_ratio : float
        Monthly rate in the phase divided by the baseline monthly rate.
    ci_low, ci_high : float
        Confidence interval of the rate ratio.
    p : float
        Two-sided p-value.
    confidence : float
        The confidence level of the interval.

    Returns
    -------
    str
        ``"no significant change"`` whenever the interval includes 1.
    """
    level = f"{confidence * 100:.0f}%"
    if not math.isfinite(rate_ratio) or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "cannot test (no events in the baseline or the phase)"
    interval = f"rate ratio {rate_ratio:.2f}, {level} CI {ci_low:.2f} to {ci_high:.2f}, p={p:.3f}"
    if ci_low <= 1 <= ci_high:
        return f"no significant change ({interval})"
    return f"significant {'rise' if rate_ratio > 1 else 'fall'} ({interval})"
