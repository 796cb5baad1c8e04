"""Hold-phase displacement watch: each Hold month, observed against expected, with alerts.

For every zone (the site, each ring, each neighbouring area) and every Hold month:

* **expected** = the zone's baseline monthly mean x the comparable areas' change *for that
  same month* (``exp`` of the matched donors' median log ratio of the month to their own
  baseline mean). A town-wide step or trend since the baseline year (a lockdown year, a
  recording change) moves the donors as much as the zone, so it moves the expected count and
  does not read as displacement;
* the zone's log ratio ``log((observed + 0.5) / (baseline mean + 0.5))`` is compared with its
  donors' (:func:`geosoc.phases.evaluation.placebo_test`) and the one-sided p-value for a
  *rise* comes from a **calibrated null**: every donor is tested against the other donors in
  the same way (placebo of placebos) and Student's t is fitted to those z-scores
  (:func:`geosoc.phases.evaluation.null_scale`), so the heavy tails of real areas' month to
  month swings are allowed for.

:func:`watch_alerts` then controls false alarms over the whole family of one Hold (every
zone x every Hold month, ``Z x M`` tests). An alert needs either

* **two consecutive months** each below a threshold set so that the chance of any such
  pair in the family is ``alpha_pair`` (persistence). Real areas' months are not
  independent (an area that drifts up stays up), so the threshold allows for the
  correlation of consecutive months' scores measured in the comparable areas themselves
  (``sqrt(alpha_pair / (Z (M - 1)))`` only when they are uncorrelated), or
* **one month far out**, ``p < alpha_single / (Z M)`` (Bonferroni).

``alpha_pair = alpha_single = 0.025`` by default, so the chance of any alert in a null Hold
is at most about 5%. Measured by ``bench/bench_null_sites.py`` (one run each): 4.2% of 120
null Holds on London and Liverpool LSOA counts (site and rings), 5.0% of 40 with a baseline
year 30% lower town-wide; 2 of 25 City of London wards (police.uk points, site, rings and
neighbouring wards), from two real unusual ward-months (Aldgate 2025-05, Dowgate 2025-08)
that several overlapping pseudo-sites watch. Every row carries a one-line reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from geosoc.phases.controls import baseline_features, match_donors
from geosoc.phases.evaluation import (
    CANNOT,
    DONORS_K,
    MIN_BASELINE_MONTHS,
    MIN_DONORS,
    MIN_EVENTS,
    null_scale,
    placebo_test,
)
from geosoc.phases.plan import PhasePlan

#: Family-wise false-alarm budget of the two alert routes (persistent pair, single month).
ALPHA_PAIR, ALPHA_SINGLE = 0.025, 0.025
#: Hold length assumed for the thresholds while a Hold is shorter (or still running).
MIN_HOLD_MONTHS = 6
COLUMNS = ["month", "zone", "observed", "expected", "ratio", "donor_ratio", "p", "n_donors",
           "rho", "status", "reason"]


def _reason(months: int, events: float, donors: int, zone: str) -> str | None:
    if months < MIN_BASELINE_MONTHS:
        return f"the baseline has {months} months; at least {MIN_BASELINE_MONTHS} are needed"
    if events < MIN_EVENTS:
        return (f"only {events:.0f} events in the baseline of {zone_label(zone)}; at least "
                f"{MIN_EVENTS} needed")
    if donors < MIN_DONORS:
        return f"only {donors} comparable untreated areas; at least {MIN_DONORS} needed"
    return None


def zone_label(zone: str, kind: str | None = None) -> str:
    """Name a zone for a sentence: ``"the site"``, ``"the 0-250 m ring"``, ``"Aylestone ward"``."""
    if zone == "site":
        return "the site"
    if kind == "neighbour":
        return zone if zone.lower().endswith(("ward", "area")) else f"{zone} ward"
    return zone if zone.startswith("the ") else f"the {zone}"


def _loo_z(ds: np.ndarray) -> np.ndarray:
    """Each donor's z against the other donors (``(n,)`` statistics of one month)."""
    n = len(ds)
    if n < 4:
        return np.full(n, np.nan)
    others = np.broadcast_to(ds, (n, n))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    return placebo_test(ds, others)["z"]


def watch_table(
    series: pd.DataFrame, donors: pd.DataFrame, plan: PhasePlan, *,
    donor_km: pd.Series | None = None, k: int = DONORS_K,
) -> pd.DataFrame:
    """Observed against expected per Hold month and zone, with a calibrated one-sided p.

    Parameters
    ----------
    series : pandas.DataFrame
        Wide counts: index zone names, columns months (``Period[M]``), zero-filled.
    donors : pandas.DataFrame
        Wide donor counts, index ``(zone, donor)``, same month columns (as for
        :func:`geosoc.phases.evaluation.evaluate_change`).
    plan : PhasePlan
        Dated phases; the table covers the Hold months present in ``series``.
    donor_km : pandas.Series, optional
        Distance of each donor from the site in km, indexed like ``donors``.
    k : int
        Donors matched per zone.

    Returns
    -------
    pandas.DataFrame
        One row per Hold month x zone: ``month`` (str), ``zone``, ``observed``, ``expected``
        (events), ``ratio`` (observed over the zone's baseline monthly mean), ``donor_ratio``
        (the comparable areas' typical ratio that month), ``p`` (one-sided, rise, from the
        calibrated null), ``n_donors``, ``status`` and ``reason`` (why it cannot be
        evaluated). Alerts and readings come from :func:`watch_alerts` over the whole
        family. Empty when there is no Hold phase.
    """
    months = pd.PeriodIndex(series.columns)
    if plan.hold is None:
        return pd.DataFrame(columns=COLUMNS)
    base = plan.phases[0]
    bmask = (months >= base.start) & (months <= base.end)
    hold = np.flatnonzero((months >= plan.hold.start) & (months <= plan.hold.end))
    rows = []
    for zone in series.index:
        y = series.loc[zone].to_numpy(dtype=float)
        pool = (donors.xs(zone, level=0) if zone in donors.index.get_level_values(0)
                else donors.iloc[:0].droplevel(0)).reindex(columns=months)
        pv = pool.to_numpy(dtype=float)
        km = (donor_km.xs(zone, level=0).reindex(pool.index).to_numpy(dtype=float)
              if donor_km is not None else None)
        picked = match_donors(baseline_features(y[None, bmask]), baseline_features(pv[:, bmask]),
                              k=k, distance_km=km)[0]
        picked = picked[picked >= 0]
        reason = _reason(base.months, y[bmask].sum(), len(picked), zone)
        mean, dmean = y[bmask].mean(), pv[picked][:, bmask].mean(axis=1)
        stat = np.log((y[hold] + 0.5) / (mean + 0.5))
        ds = np.log((pv[picked][:, hold] + 0.5) / (dmean[:, None] + 0.5)).T  # (months, n)
        test = placebo_test(stat, ds)
        ref_z = np.array([_loo_z(d) for d in ds]) if reason is None else np.zeros((0, 0))
        df, scale = null_scale(ref_z.ravel())
        rho = _lag_correlation(ref_z)
        p = stats.t.sf(test["z"] / scale, df)
        for j, t in enumerate(hold):
            ok = reason is None
            expected = (mean + 0.5) * math.exp(test["loc"][j]) - 0.5 if ok else math.nan
            rows.append({"month": str(months[t]), "zone": zone, "observed": y[t],
                         "expected": expected,
                         "ratio": (y[t] + 0.5) / (mean + 0.5) if ok else math.nan,
                         "donor_ratio": math.exp(test["loc"][j]) if ok else math.nan,
                         "p": float(p[j]) if ok else math.nan, "n_donors": len(picked),
                         "rho": rho,
                         "status": "tested" if ok else CANNOT, "reason": reason})
    return pd.DataFrame(rows, columns=COLUMNS)


def _lag_correlation(z: np.ndarray) -> float:
    """Correlation of comparable areas' z-scores in consecutive Hold months (0 if unknown).

    ``z`` is ``(months, donors)``. Real areas that drift stay drifted, so two high months in
    a row are likelier than two independent draws; the pair threshold allows for it.
    """
    if z.ndim != 2 or z.shape[0] < 2:
        return 0.0
    a, b = z[:-1].ravel(), z[1:].ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 20:
        return 0.0
    return float(np.clip(np.corrcoef(a[ok], b[ok])[0, 1], 0.0, 0.95))


def _pair_p(budget: float, rho: float) -> float:
    """Per-month p threshold with P(two months in a row below it) = ``budget``.

    The two months' normal scores are taken as bivariate normal with correlation ``rho``
    (``sqrt(budget)`` when ``rho = 0``, ``budget`` when they move together).
    """
    if rho <= 0:
        return math.sqrt(budget)
    both = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    c = optimize.brentq(lambda c: both.cdf([-c, -c]) - budget, 0.0, 10.0)
    return float(stats.norm.sf(c))


def thresholds(n_zones: int, n_months: int, *, rho: float = 0.0,
               alpha_pair: float = ALPHA_PAIR, alpha_single: float = ALPHA_SINGLE
               ) -> tuple[float, float]:
    """Per-month p thresholds ``(pair, single)`` for a family of zones x Hold months.

    ``rho`` is the correlation of consecutive months' scores in comparable areas
    (:func:`watch_table`'s ``rho``); the pair budget ``alpha_pair`` is shared by the
    ``Z (M - 1)`` consecutive pairs, the single budget by the ``Z M`` zone-months.
    """
    m = max(n_months, MIN_HOLD_MONTHS)
    z = max(n_zones, 1)
    return _pair_p(alpha_pair / (z * (m - 1)), rho), alpha_single / (z * m)


def _reading(row: pd.Series, where: str, pair: float, single: float) -> str:
    head = f"{row['month']}, {where}"
    if row["status"] == CANNOT:
        return f"{head}: {CANNOT}: {row['reason']}"
    verb = "rose" if row["ratio"] >= 1 else "fell"
    moved = (f"{row['observed']:.0f} events against about {row['expected']:.0f} expected "
             f"({verb} x{row['ratio']:.2f} on its baseline average, comparable areas x"
             f"{row['donor_ratio']:.2f} this month)")
    if row["alert"]:
        why = ("a second month in a row above what comparable areas allow"
               if row["alert_rule"] == "pair" else "far above what comparable areas allow")
        return (f"{head}: {moved} - ALERT: {why} (p={row['p']:.4f}); check for "
                "displacement")
    if row["p"] < pair:
        return (f"{head}: {moved} - high (p={row['p']:.3f}) but not yet two months in a row; "
                "no alert")
    if row["observed"] > row["expected"]:
        return (f"{head}: {moved} - above expected but within how much comparable areas "
                f"vary this month (p={row['p']:.2f}); no alert")
    return f"{head}: {moved} - at or below expected; no alert"


def watch_alerts(table: pd.DataFrame, *, hold_months: int | None = None,
                 alpha_pair: float = ALPHA_PAIR, alpha_single: float = ALPHA_SINGLE
                 ) -> pd.DataFrame:
    """Add ``alert``, ``alert_rule``, ``high`` and ``reading`` to one Hold's watch rows.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`watch_table` rows of every zone of one site (optional ``kind`` column:
        ``"site"``, ``"ring"``, ``"neighbour"``, used to name the zones).
    hold_months : int, optional
        Planned Hold length (default the months present, at least 6).
    alpha_pair, alpha_single : float
        False-alarm budgets of the two routes (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``alert`` (bool), ``alert_rule`` (``"pair"``, ``"single"`` or None),
        ``high`` (month below the pair threshold), ``threshold_pair``, ``threshold_single``
        and ``reading`` (one line with its reason).
    """
    out = table.reset_index(drop=True).copy()
    if out.empty:
        return out.assign(alert=pd.Series(dtype=bool), alert_rule=None, high=False,
                          reading=pd.Series(dtype=str))
    tested = out["status"] == "tested"
    n_zones = int(out.loc[tested, "zone"].nunique())
    months = hold_months or int(out["month"].nunique())
    rhos = out.loc[tested, "rho"] if "rho" in out.columns else pd.Series(dtype=float)
    rho = float(rhos.groupby(out.loc[tested, "zone"]).first().median()) if len(rhos) else 0.0
    pair, single = thresholds(n_zones, months, rho=rho if math.isfinite(rho) else 0.0,
                              alpha_pair=alpha_pair, alpha_single=alpha_single)
    p = out["p"].to_numpy(dtype=float)
    high = tested.to_numpy() & (np.nan_to_num(p, nan=1.0) < pair)
    out["high"] = high
    order = out.sort_values(["zone", "month"]).index
    prev = out.loc[order].groupby("zone")["high"].shift(1, fill_value=False)
    pair_hit = pd.Series(high, index=out.index) & prev.reindex(out.index).fillna(False)
    single_hit = tested & (np.nan_to_num(p, nan=1.0) < single)
    out["alert"] = (pair_hit | single_hit).astype(bool)
    out["alert_rule"] = np.where(single_hit, "single", np.where(pair_hit, "pair", None))
    out["threshold_pair"], out["threshold_single"] = pair, single
    kinds = out["kind"] if "kind" in out.columns else pd.Series(None, index=out.index)
    out["reading"] = [_reading(r, zone_label(r["zone"], k), pair, single)
                      for (_, r), k in zip(out.iterrows(), kinds, strict=True)]
    return out


def watch_digest(table: pd.DataFrame, since: str | pd.Period) -> list[str]:
    """One line per alert from ``since`` (a month) on, or a line saying there is none.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`watch_alerts` rows.
    since : str or pandas.Period
        First month of the digest (``"YYYY-MM"``), e.g. the month just ingested.
    """
    first = str(pd.Period(since, freq="M"))
    if table.empty:
        return ["no Hold months in the data yet"]
    recent = table[table["month"] >= first]
    if recent.empty:
        return [f"no Hold months from {first} in the data"]
    alerts = recent[recent["alert"]]
    months = sorted(recent["month"].unique())
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    if alerts.empty:
        high = recent[recent["high"]]
        note = (f"; {len(high)} zone-month(s) high but not yet two months in a row: "
                + ", ".join(f"{m} {zone_label(z, k)}" for m, z, k in zip(
                    high["month"], high["zone"], high.get("kind", [None] * len(high)),
                    strict=True))) if len(high) else ""
        return [f"no displacement alert in {span} ({recent['zone'].nunique()} zones "
                f"watched){note}"]
    return [f"{len(alerts)} alert(s) in {span}:", *alerts["reading"].tolist()]
