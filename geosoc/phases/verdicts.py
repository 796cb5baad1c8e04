"""Family-wise verdicts and plain-English lines from :func:`evaluate_change` tables.

:func:`calibrate` takes every phase x zone x measure row of one site as one family, adjusts
the p-values with Holm's method and gives each row a verdict and a one-line reading naming
the method. :func:`site_verdict` is the combined verdict for the site: it claims an effect
only when at least one adjusted p-value is below ``alpha``, so under no intervention it
claims one at most ``alpha`` of the time (measured by ``bench/bench_null_sites.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geosoc.phases.evaluation import CANNOT, METHOD, NO_EVIDENCE, holm
from geosoc.phases.readings import describe_pct_change

#: Verdict labels.
SIG_FALL, SIG_RISE = "significant fall", "significant rise"


def _where(zone: str) -> str:
    return "the site" if zone == "site" else f"the {zone}"


def _pct(value: float) -> str:
    if not math.isfinite(value):
        return "n/a (no baseline events)"
    return "unchanged" if round(value) == 0 else (
        f"{'rose' if value > 0 else 'fell'} {abs(value):.0f}%")


def _reading(row: pd.Series, n_tests: int) -> str:
    what = "crime" if row["measure"] == "count" else row["measure"]
    head = f"{row['phase'].capitalize()}, {what} in {_where(row['zone'])}"
    if row["status"] == CANNOT:
        return f"{head}: {CANNOT}: {row['reason']}"
    km = (f", median {row['donor_km']:.1f} km away" if math.isfinite(row["donor_km"]) else "")
    base = (f"{_pct(row['change_pct'])} against a typical change of "
            f"{row['expected_pct']:+.0f}% in {row['n_donors']} comparable areas{km}; "
            f"Holm-adjusted p={row['p_adjusted']:.2f} over {n_tests} tests")
    if row["verdict"] == NO_EVIDENCE:
        return f"{head}: {NO_EVIDENCE} ({base})"
    meaning = ""
    if row["zone"] != "site":
        meaning = (" (possible displacement)" if row["verdict"] == SIG_RISE
                   else " (possible diffusion of benefit)")
    return (f"{head}: {row['verdict']}{meaning}, {row['effect_pct']:+.0f}% beyond comparable "
            f"areas ({base})")


def calibrate(table: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Holm-adjust one site's tests together and add a verdict and reading to every row.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`geosoc.phases.evaluation.evaluate_change` for one site (all its
        phases, zones and measures concatenated).
    alpha : float
        Family-wise error rate.

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``p_adjusted``, ``verdict`` (``"significant fall"``, ``"significant
        rise"``, ``"no evidence of an effect"`` or ``"cannot evaluate yet"``), ``method`` and
        ``reading`` (one plain-English line).
    """
    out = table.reset_index(drop=True).copy()
    out["p_adjusted"] = holm(out["p"].to_numpy(dtype=float))
    n_tests = int(np.isfinite(out["p"].to_numpy(dtype=float)).sum())
    sig = out["p_adjusted"] < alpha
    out["verdict"] = np.select(
        [out["status"] == CANNOT, sig & (out["z"] < 0), sig & (out["z"] > 0)],
        [CANNOT, SIG_FALL, SIG_RISE], default=NO_EVIDENCE)
    out["method"] = [METHOD.format(n=n, m=n_tests) if s != CANNOT else "none (see reason)"
                     for n, s in zip(out["n_donors"], out["status"], strict=True)]
    out["reading"] = [_reading(r, n_tests) for _, r in out.iterrows()]
    return out


def site_verdict(calibrated: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, object]:
    """Return the one combined verdict for a site from its :func:`calibrate` rows.

    Returns
    -------
    dict
        ``claim`` (bool: some test is significant after Holm), ``verdict`` (``"effect"``,
        ``"no evidence of an effect"`` or ``"cannot evaluate yet"``), ``reading`` (one line)
        and ``method``.
    """
    tested = calibrated[calibrated["status"] != CANNOT]
    n = len(tested)
    method = ("placebo-in-space against matched untreated areas, Holm family-wise control "
              f"over {n} tests at {alpha:.0%}")
    if n == 0:
        reasons = "; ".join(dict.fromkeys(calibrated["reason"].dropna()))
        return {"claim": False, "verdict": CANNOT, "method": method,
                "reading": f"{CANNOT}: {reasons or 'no tests'}"}
    hits = tested[tested["p_adjusted"] < alpha]
    if hits.empty:
        return {"claim": False, "verdict": NO_EVIDENCE, "method": method,
                "reading": f"{NO_EVIDENCE}: no change in the site or its rings stands out from "
                           f"comparable untreated areas ({n} tests, Holm-adjusted)"}
    parts = [f"{r.verdict} in {_where(r.zone)} during {r.phase.capitalize()} ({r.measure})"
             for r in hits.itertuples()]
    return {"claim": True, "verdict": "effect", "method": method,
            "reading": "evidence of an effect: " + "; ".join(parts)}


#: Label of the published measures, which are shown but never give the verdict.
DESCRIPTIVE = "descriptive, published measure (not calibrated; the verdict is above)"


def descriptive_change(phase: str, harm_pct: float, rate_ratio: float) -> str:
    """Write a site-change line from the published rate ratio, with no significance claim."""
    moved = describe_pct_change("harm", harm_pct, "the site", phase.capitalize())
    rr = f"crime rate ratio {rate_ratio:.2f}" if math.isfinite(rate_ratio) else "no rate ratio"
    return f"{moved}; {rr} [{DESCRIPTIVE}]"


def descriptive_displacement(reading: str, wdq: float, wdd: float, se: float) -> str:
    """Write a displacement line from the published WDQ/WDD, its significance clause removed."""
    text = reading.split("; the net change is")[0]
    wdd_text = (f"WDD {wdd:+.1f} (SE {se:.1f})" if math.isfinite(wdd) and math.isfinite(se)
                else "no WDD")
    return f"{text}; {wdd_text} [{DESCRIPTIVE}]"
