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

from geosoc.phases.evaluation import CANNOT, METHOD, NO_EVIDENCE, holm, power

#: Verdict labels.
SIG_FALL, SIG_RISE = "significant fall", "significant rise"
#: The change whose chance of detection is given beside every "no evidence".
POWER_CHANGE = 0.4


def _tens(p: float) -> str:
    return "about 1 time in 10 or less" if p < 0.15 else (
        "almost always" if p > 0.95 else f"about {round(p * 10):.0f} times in 10")


def power_sentence(row: pd.Series, where: str = "") -> str:
    """``"with this baseline, a fall of 40% would be detected about 8 times in 10"``."""
    if not math.isfinite(row.get("power", math.nan)):
        return ""
    what = "a fall" if row["zone"] == "site" else "a rise"
    return (f"with this baseline, {what} of {POWER_CHANGE:.0%}{where} would be detected "
            f"{_tens(float(row['power']))}")


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
        return f"{head}: {NO_EVIDENCE} ({base}); {power_sentence(row)}"
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
        rise"``, ``"no evidence of an effect"`` or ``"cannot evaluate yet"``), ``power``
        (chance that a 40% fall in the site, or a 40% rise in a ring, would be called
        significant in this family: :func:`geosoc.phases.evaluation.power`), ``method`` and
        ``reading`` (one plain-English line).
    """
    out = table.reset_index(drop=True).copy()
    out["p_adjusted"] = holm(out["p"].to_numpy(dtype=float))
    n_tests = int(np.isfinite(out["p"].to_numpy(dtype=float)).sum())
    change = np.where(out["zone"] == "site", -POWER_CHANGE, POWER_CHANGE)
    out["power"] = [float(power(z, c, d, sc, alpha=alpha, n_tests=n_tests))
                    for z, c, d, sc in zip(out["z_per_log"], change, out["null_df"],
                                           out["null_scale"], strict=True)]
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
        site = tested[tested["zone"] == "site"]
        hold = site[site["phase"] == "hold"]
        pick = (hold if len(hold) else site).head(1)
        power_text = ""
        if len(pick):
            row = pick.iloc[0]
            power_text = "; " + power_sentence(
                row, f" in the site during {row['phase'].capitalize()}")
        return {"claim": False, "verdict": NO_EVIDENCE, "method": method,
                "power": float(pick["power"].iloc[0]) if len(pick) else math.nan,
                "reading": f"{NO_EVIDENCE}: no change in the site or its rings stands out from "
                           f"comparable untreated areas ({n} tests, Holm-adjusted){power_text}"}
    parts = [f"{r.verdict} in {_where(r.zone)} during {r.phase.capitalize()} ({r.measure})"
             for r in hits.itertuples()]
    return {"claim": True, "verdict": "effect", "method": method,
            "reading": "evidence of an effect: " + "; ".join(parts)}


#: Label of the published measures, which are shown but never give the verdict.
DESCRIPTIVE = "published measure, not calibrated: no verdict"


def descriptive_change(phase: str, harm_pct: float, rate_ratio: float) -> str:
    """Write a site-change line from the published rate ratio, as numbers only."""
    pct = f"{harm_pct:+.0f}%" if math.isfinite(harm_pct) else "n/a (no baseline harm)"
    rr = f"crime rate ratio {rate_ratio:.2f}" if math.isfinite(rate_ratio) else "no rate ratio"
    return f"{phase.capitalize()}, harm in the site: raw change {pct}; {rr} [{DESCRIPTIVE}]"
