"""Hold-phase displacement watch: each Hold month, observed against expected, with alerts.

For every zone (the site, each ring, each neighbouring area) and every Hold month:

* **expected** = the zone's baseline monthly mean x the month's typical change in matched
  untreated donor areas (``exp`` of the donors' median log ratio of that month to their own
  baseline mean), so season and city-wide trend are allowed for;
* the zone's log ratio ``log((observed + 0.5) / (baseline mean + 0.5))`` is compared with its
  donors' for the same month (:func:`geosoc.phases.evaluation.placebo_test`);
* **alert** when the one-sided p-value for a *rise* is below ``alpha`` (default 0.025). The
  false-alarm rate per area-month on real null sites is measured by
  ``bench/bench_null_sites.py`` (target at most 5%).

Zones whose baseline cannot support a verdict (fewer than 12 months, too few events, too few
comparable donors) get ``status = "cannot evaluate yet"`` and no alert.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geosoc.phases.controls import baseline_features, match_donors
from geosoc.phases.evaluation import (
    CANNOT,
    DONORS_K,
    MIN_BASELINE_MONTHS,
    MIN_DONORS,
    MIN_EVENTS,
    placebo_test,
)
from geosoc.phases.plan import PhasePlan

#: One-sided level of a watch alert.
WATCH_ALPHA = 0.025


def _reason(months: int, events: float, donors: int, zone: str) -> str | None:
    if months < MIN_BASELINE_MONTHS:
        return f"the baseline has {months} months; at least {MIN_BASELINE_MONTHS} are needed"
    if events < MIN_EVENTS:
        return f"only {events:.0f} events in the {zone} baseline; at least {MIN_EVENTS} needed"
    if donors < MIN_DONORS:
        return f"only {donors} comparable untreated areas; at least {MIN_DONORS} needed"
    return None


def watch_table(
    series: pd.DataFrame, donors: pd.DataFrame, plan: PhasePlan, *,
    donor_km: pd.Series | None = None, alpha: float = WATCH_ALPHA, k: int = DONORS_K,
) -> pd.DataFrame:
    """Observed against expected per Hold month and zone, with a displacement alert flag.

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
    alpha : float
        One-sided level of an alert.
    k : int
        Donors matched per zone.

    Returns
    -------
    pandas.DataFrame
        One row per Hold month x zone: ``month`` (str), ``zone``, ``observed``, ``expected``
        (events), ``ratio`` (observed/expected), ``p`` (one-sided, rise), ``alert`` (bool),
        ``n_donors``, ``status`` and ``reading``. Empty when there is no Hold phase.
    """
    columns = ["month", "zone", "observed", "expected", "ratio", "p", "alert", "n_donors",
               "status", "reading"]
    months = pd.PeriodIndex(series.columns)
    if plan.hold is None:
        return pd.DataFrame(columns=columns)
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
        for t in hold:
            stat = math.log((y[t] + 0.5) / (mean + 0.5))
            ds = np.log((pv[picked, t] + 0.5) / (dmean + 0.5))
            test = placebo_test([stat], ds[None, :])
            expected = (mean + 0.5) * math.exp(test["loc"][0]) - 0.5 if reason is None else (
                math.nan)
            p = float(test["p"][0] / 2 if test["z"][0] > 0 else 1 - test["p"][0] / 2)
            alert = reason is None and p < alpha
            label = str(months[t])
            where = "the site" if zone == "site" else zone if zone.startswith("the ") else (
                f"the {zone}")
            if reason is not None:
                text = f"{label}, {where}: {CANNOT}: {reason}"
            else:
                text = (f"{label}, {where}: {y[t]:.0f} events against about {expected:.0f} "
                        f"expected" + (" - ALERT: higher than comparable areas allow "
                                       f"(p={p:.3f}), check for displacement" if alert
                                       else " - within the usual range"))
            rows.append({"month": label, "zone": zone, "observed": y[t],
                         "expected": expected, "ratio": y[t] / expected if reason is None
                         and expected > 0 else math.nan,
                         "p": p if reason is None else math.nan, "alert": bool(alert),
                         "n_donors": len(picked),
                         "status": "tested" if reason is None else CANNOT, "reading": text})
    return pd.DataFrame(rows, columns=columns)
