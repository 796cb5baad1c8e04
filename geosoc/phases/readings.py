"""One-line plain-English readings of change and displacement results.

The calibrated verdict (:mod:`geosoc.phases.verdicts`) is the only reading that may say
"significant", "evidence", "displacement" or "diffusion". The published measures are
written by :func:`describe_published` as numbers under their own names. The WDQ bands below
are the published interpretation, kept for reference tables; reports do not print them as
sentences.

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
    """Return ``"WDQ -0.20"`` or why there is no WDQ (the band is not written as words).

    Parameters
    ----------
    wdq : float or None
        The weighted displacement quotient.
    refused_reason : str, optional
        Why the quotient was not computed.

    Returns
    -------
    str
        The quotient, or ``"no WDQ: <reason>"``.
    """
    if wdq is None:
        return f"no WDQ: {refused_reason or 'not meaningful'}"
    return f"WDQ {wdq:+.2f}"


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
        Whether the WDD confidence interval excludes zero; when given the sentence ends by
        saying whether the interval includes 0 (a published test, not the verdict).

    Returns
    -------
    str
        E.g. ``"harm fell 38% in the site during Hold; the 250 m ring rose 6%
        (WDQ -0.20)"``.
    """
    context = describe_wdq(wdq, refused_reason)
    if control_pct is not None and math.isfinite(control_pct):
        moved = "was unchanged" if round(control_pct) == 0 else (
            f"{'rose' if control_pct > 0 else 'fell'} {abs(control_pct):.0f}%")
        context = f"control {moved}; {context}"
    text = (f"{describe_pct_change(measure, site_pct, 'the site', phase)}; "
            f"{describe_ring_change(ring_pct, ring)} ({context})")
    if wdd_significant is not None:
        text += ("; the WDD interval excludes 0" if wdd_significant
                 else "; the WDD interval includes 0")
    return text


#: Tag of the published tests' figures: they are shown, never read as a verdict.
PUBLISHED_TEST = "published test, not calibrated: no verdict"


def describe_wdd(
    wdd: float, ci_low: float, ci_high: float, p: float, *, confidence: float = 0.95
) -> str:
    """Write a weighted displacement difference and its interval as numbers, no verdict.

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
        ``"WDD -120.3, 95% CI -211.9 to -28.6, p=0.01 (published test, ...)"``, or
        ``"cannot test: ..."`` without an interval.
    """
    level = f"{confidence * 100:.0f}%"
    interval = f"WDD {wdd:+.1f}, {level} CI {ci_low:+.1f} to {ci_high:+.1f}, p={p:.2f}"
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return f"cannot test: {interval}"
    return f"{interval} ({PUBLISHED_TEST})"


def describe_rate_ratio(
    rate_ratio: float, ci_low: float, ci_high: float, p: float, *, confidence: float = 0.95
) -> str:
    """Write a Poisson rate-ratio test (phase rate against baseline rate) as numbers.

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
        ``"rate ratio 0.76, 95% CI 0.59 to 0.99, p=0.038 (published test, ...)"``; the
        calibrated verdict, not this, says whether a change stands out.
    """
    level = f"{confidence * 100:.0f}%"
    if not math.isfinite(rate_ratio) or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "cannot test (no events in the baseline or the phase)"
    return (f"rate ratio {rate_ratio:.2f}, {level} CI {ci_low:.2f} to {ci_high:.2f}, "
            f"p={p:.3f} ({PUBLISHED_TEST})")


def _signed(pct: float | None) -> str:
    return "n/a" if pct is None or not math.isfinite(pct) else f"{pct:+.0f}%"


def describe_published(phase: str, ring: str, measure: str, site_pct: float | None,
                       ring_pct: float | None, control_pct: float | None, wdq: float | None,
                       wdd: float | None, wdd_se: float | None) -> str:
    """Write the published measures of one phase x ring as numbers, with no verdict words.

    Returns
    -------
    str
        E.g. ``"Hold, 0-250 m ring, crime: raw change site -30%, ring +26%, control +2%;
        WDQ -0.51; WDD -138.3 (SE 78.8)"``.
    """
    what = "crime" if measure == "count" else measure
    q = f"WDQ {wdq:+.2f}" if wdq is not None and math.isfinite(wdq) else "no WDQ"
    d = (f"WDD {wdd:+.1f} (SE {wdd_se:.1f})" if wdd is not None and wdd_se is not None
         and math.isfinite(wdd) and math.isfinite(wdd_se) else "no WDD")
    return (f"{phase.capitalize()}, {ring}, {what}: raw change site {_signed(site_pct)}, "
            f"ring {_signed(ring_pct)}, control {_signed(control_pct)}; {q}; {d}")
