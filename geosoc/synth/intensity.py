"""Anonymous map points and the expected number of events at each, per month and type.

police.uk snaps every crime to an anonymous map point with a street name; the demo does the
same by construction: events are drawn directly on about 4,000 map points. The expected
count at a point is a population-and-deprivation background plus Gaussian hotspot kernels,
times a mild seasonal cycle, split by the police.uk crime-type shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geosoc.synth.categories import HOT_SHARES, SHARES
from geosoc.synth.geography import Geography, sample_by_density
from geosoc.synth.scenario import MONTHS, Scenario

N_MAP_POINTS = 4000
#: Expected background police events per month over the whole town (before seasonality).
BACKGROUND_PER_MONTH = 900.0
#: How strongly latent deprivation raises the background rate (log-linear coefficient).
DEPRIVATION_EFFECT = 0.9
#: Street-name cell size (m): map points in the same cell share a street.
STREET_CELL_M = 160.0
_STREET_STEMS = (
    "Abbey", "Alder", "Ash", "Bank", "Beech", "Birch", "Bridge", "Brook", "Castle", "Cedar",
    "Chapel", "Cherry", "Church", "Clay", "Cliff", "Coronation", "Dove", "Elm", "Field",
    "Forge", "Garden", "Hawthorn", "Hazel", "High", "Hill", "Holly", "Kiln", "Lark", "Lime",
    "Maple", "Mill", "Moor", "Oak", "Orchard", "Park", "Potters", "Queen", "Rowan", "Saxon",
    "School", "Spring", "Station", "Tanners", "Victoria", "Well", "Willow", "Windmill", "York",
)
_STREET_KINDS = (
    "Street", "Road", "Lane", "Close", "Avenue", "Way", "Grove", "Crescent", "Place", "Walk",
)
_PLACES = (
    "Supermarket", "Parking Area", "Petrol Station", "Nightclub", "Shopping Area",
    "Sports/recreation Area", "Pedestrian Subway", "Conference/exhibition Centre",
)


@dataclass(frozen=True)
class MapPoints:
    """The town's anonymous map points (EPSG:27700).

    Attributes
    ----------
    x, y : numpy.ndarray
        Easting and northing in metres.
    lsoa_pos : numpy.ndarray
        Row position of each point's LSOA in ``geography.lsoas``.
    street : numpy.ndarray
        Street or place name written as ``"On or near <street>"``.
    """

    x: np.ndarray
    y: np.ndarray
    lsoa_pos: np.ndarray
    street: np.ndarray


def build_map_points(rng: np.random.Generator, geography: Geography) -> MapPoints:
    """Place the anonymous map points by population density and name their streets.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town.

    Returns
    -------
    MapPoints
    """
    xs, ys, lsoa_pos = sample_by_density(rng, geography, N_MAP_POINTS, floor=0.25)
    streets = np.char.add(
        np.char.add(np.repeat(_STREET_STEMS, len(_STREET_KINDS)), " "),
        np.tile(_STREET_KINDS, len(_STREET_STEMS)),
    )
    streets = streets[rng.permutation(streets.size)]
    col = np.floor(xs / STREET_CELL_M).astype(np.int64)
    row = np.floor(ys / STREET_CELL_M).astype(np.int64)
    street = streets[(col * 7919 + row * 104729) % streets.size]
    is_place = rng.uniform(size=xs.size) < 0.06
    street = np.where(is_place, rng.choice(np.array(_PLACES), xs.size), street)
    return MapPoints(xs, ys, lsoa_pos, street.astype(str))


def hotspot_kernels(points: MapPoints, scenario: Scenario) -> np.ndarray:
    """Each hotspot's Gaussian kernel over the map points, normalised to sum to 1.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_hotspots, n_points)``.
    """
    centres = np.array([(h.x, h.y) for h in scenario.hotspots])
    sigma = np.array([h.sigma_m for h in scenario.hotspots])
    d2 = (points.x[None, :] - centres[:, :1]) ** 2 + (points.y[None, :] - centres[:, 1:]) ** 2
    kernel = np.exp(-0.5 * d2 / sigma[:, None] ** 2)
    return kernel / kernel.sum(axis=1, keepdims=True)


def seasonality() -> np.ndarray:
    """Monthly multiplier over :data:`MONTHS`: +/-8% with a peak in July."""
    month = np.asarray(MONTHS.month)
    return 1.0 + 0.08 * np.cos(2 * np.pi * (month - 7) / 12.0)


def expected_counts(points: MapPoints, geography: Geography, scenario: Scenario) -> np.ndarray:
    """Compute expected police events per map point, month and type, before CHB effects.

    Parameters
    ----------
    points : MapPoints
        Map points.
    geography : Geography
        The town.
    scenario : Scenario
        Hotspots and deprivation.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_points, n_months, n_types)`` expected counts, types in
        ``schema.POLICEUK_CRIME_TYPES`` order: background split by the background shares
        plus hotspot kernels split by the hotspot shares.
    """
    lsoas = geography.lsoas
    rate = lsoas["population"].to_numpy() * np.exp(DEPRIVATION_EFFECT * scenario.deprivation)
    per_lsoa = np.bincount(points.lsoa_pos, minlength=len(lsoas))
    weight = rate[points.lsoa_pos] / per_lsoa[points.lsoa_pos]
    weight = weight / weight.sum()
    season = seasonality()
    background = np.outer(weight * BACKGROUND_PER_MONTH, season)
    means = np.array([h.monthly_means() for h in scenario.hotspots]) * season[None, :]
    hot = hotspot_kernels(points, scenario).T @ means
    return background[:, :, None] * SHARES + hot[:, :, None] * HOT_SHARES
