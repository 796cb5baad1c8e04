"""Clear, Hold, Build effects injected into the demo town's expected counts.

Multipliers apply to the expected count of every map point in a zone (site, 0-250 m ring,
250-500 m ring) during a phase. "Harm" categories are every type except the police-activity
ones (Drugs, Possession of weapons), which *rise* when police go looking for them. In Hold a
stated share of the events prevented in the site reappears in the rings (displacement).
"""

from __future__ import annotations

import numpy as np
import shapely

from geosoc.synth.categories import ACTIVITY, WEIGHTS
from geosoc.synth.intensity import MapPoints
from geosoc.synth.scenario import MONTHS, PHASES, RING_BANDS_M

ZONES = ("outside", "site", "ring_0_250", "ring_250_500")
#: Per phase: multiplier on non-activity types in the site, on activity types in the site,
#: and on non-activity types in each ring (diffusion of benefit when < 1).
PHASE_MULTIPLIERS = {
    "clear": {"site": 0.60, "site_activity": 2.0, "ring_0_250": 1.0, "ring_250_500": 1.0},
    "hold": {"site": 0.65, "site_activity": 1.3, "ring_0_250": 1.0, "ring_250_500": 1.0},
    "build": {"site": 0.70, "site_activity": 1.0, "ring_0_250": 0.90, "ring_250_500": 0.95},
}
#: Share of the events prevented in the site during Hold that move into the rings.
DISPLACEMENT_SHARE = 0.50
#: How displaced events split between the inner and the outer ring.
DISPLACEMENT_SPLIT = {"ring_0_250": 2 / 3, "ring_250_500": 1 / 3}


def zone_of(points: MapPoints, site: shapely.Polygon) -> np.ndarray:
    """Zone index (into :data:`ZONES`) of each map point; distances in EPSG:27700 metres."""
    dist = shapely.distance(site, shapely.points(points.x, points.y))
    inner, outer = RING_BANDS_M
    return np.select([dist == 0.0, dist <= inner, dist <= outer], [1, 2, 3], default=0)


def apply_effects(expected: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Return expected counts with the CHB phase effects and Hold displacement applied.

    Parameters
    ----------
    expected : numpy.ndarray
        ``(n_points, n_months, n_types)`` expected counts without effects.
    zone : numpy.ndarray
        Zone index per point (see :func:`zone_of`).

    Returns
    -------
    numpy.ndarray
        A new array of the same shape.
    """
    table = np.ones((len(ZONES), len(MONTHS), ACTIVITY.size))
    for phase, mult in PHASE_MULTIPLIERS.items():
        first, last = PHASES[phase]
        months = slice(first, last + 1)
        table[1, months, ~ACTIVITY] = mult["site"]
        table[1, months, ACTIVITY] = mult["site_activity"]
        table[2, months, ~ACTIVITY] = mult["ring_0_250"]
        table[3, months, ~ACTIVITY] = mult["ring_250_500"]
    result = expected * table[zone]
    first, last = PHASES["hold"]
    hold = np.arange(first, last + 1)
    prevented = (expected - result)[zone == 1][:, hold, :].sum(axis=0) * ~ACTIVITY
    for name, split in DISPLACEMENT_SPLIT.items():
        in_ring = zone == ZONES.index(name)
        ring = result[np.ix_(in_ring, hold)]
        share = ring / ring.sum(axis=0, keepdims=True)
        result[np.ix_(in_ring, hold)] = ring + share * (DISPLACEMENT_SHARE * split * prevented)
    return result


def expected_changes(before: np.ndarray, after: np.ndarray, zone: np.ndarray) -> dict:
    """Compute the expected % change per phase and zone against the no-CHB counterfactual.

    The change is ``sum(after) / sum(before) - 1`` over the phase's months and the zone's
    points, so it is what a comparison against an unaffected control estimates.

    Returns
    -------
    dict
        ``{phase: {zone: {"count_pct", "harm_pct", "activity_pct"}}}`` in percent.
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for phase, (first, last) in PHASES.items():
        if phase == "baseline":
            continue
        months = np.arange(first, last + 1)
        out[phase] = {}
        for code, name in enumerate(ZONES[1:], start=1):
            b = before[zone == code][:, months, :].sum(axis=(0, 1))
            a = after[zone == code][:, months, :].sum(axis=(0, 1))
            harm = ~ACTIVITY
            out[phase][name] = {
                "count_pct": _pct(a[harm].sum(), b[harm].sum()),
                "harm_pct": _pct((a * WEIGHTS)[harm].sum(), (b * WEIGHTS)[harm].sum()),
                "activity_pct": _pct(a[ACTIVITY].sum(), b[ACTIVITY].sum()),
            }
    return out


def _pct(after: float, before: float) -> float:
    return round(100.0 * (after / before - 1.0), 2)
