"""The demo town's story: hotspots, deprivation, the CHB site, its phases and controls.

All geometry is in EPSG:27700 (metres). Month positions index into :data:`MONTHS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.synth.geography import Geography

#: The 36 months of incident data.
MONTHS = pd.period_range("2023-01", "2025-12", freq="M")
#: CHB phases as inclusive month positions into :data:`MONTHS`.
PHASES = {"baseline": (0, 11), "clear": (12, 14), "hold": (15, 20), "build": (21, 35)}
#: Distance bands (m) of the rings around the site used for displacement.
RING_BANDS_M = (250.0, 500.0)
#: (id, kind, expected events per month in the first month, in the last month, sigma in m).
HOTSPOT_SPECS = (
    ("P1", "persistent", 90.0, 90.0, 170.0),
    ("P2", "persistent", 55.0, 55.0, 160.0),
    ("P3", "persistent", 45.0, 45.0, 190.0),
    ("E1", "emerging", 4.0, 60.0, 170.0),
    ("F1", "fading", 55.0, 5.0, 170.0),
)
#: Minimum distance (m) between hotspot centres, and from the site for the others.
MIN_SPACING_M = 1200.0
SITE_CLEARANCE_M = 1000.0


@dataclass(frozen=True)
class Hotspot:
    """One hotspot kernel: a Gaussian bump of expected events around a centre (EPSG:27700)."""

    id: str
    kind: str
    x: float
    y: float
    mean_first: float
    mean_last: float
    sigma_m: float

    def monthly_means(self) -> np.ndarray:
        """Return expected events per month over :data:`MONTHS` (linear, first to last)."""
        return np.linspace(self.mean_first, self.mean_last, len(MONTHS))


@dataclass(frozen=True)
class Scenario:
    """Ground truth chosen for one seed.

    Attributes
    ----------
    hotspots : tuple of Hotspot
        ``P1`` is the worst persistent hotspot and lies in the site ward.
    site_ward : str
        Ward code of the CHB site.
    site : shapely.Polygon
        Site geometry (the ward), EPSG:27700.
    deprivation : numpy.ndarray
        Latent deprivation per LSOA (standardised, higher = more deprived), in LSOA order.
    control_wards : tuple of str
        Wards clear of the site's 500 m ring and of the emerging/fading hotspots.
    """

    hotspots: tuple[Hotspot, ...]
    site_ward: str
    site: shapely.Polygon
    deprivation: np.ndarray
    control_wards: tuple[str, ...]


def build_scenario(rng: np.random.Generator, geography: Geography) -> Scenario:
    """Pick the site, place the hotspots, derive deprivation and control wards.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town (EPSG:27700).

    Returns
    -------
    Scenario
    """
    wards = geography.wards
    cx, cy = geography.centre
    aim = np.array([cx, cy]) + rng.uniform(-600, 600, 2)
    ward_centres = shapely.get_coordinates(shapely.centroid(wards.geometry.to_numpy()))
    site_pos = int(np.argmin(np.hypot(*(ward_centres - aim).T)))
    site_ward = str(wards.index[site_pos])
    site = wards.geometry.iloc[site_pos]
    p1 = shapely.point_on_surface(site)
    centres = [(p1.x, p1.y)]

    minx, miny, maxx, maxy = geography.outline.bounds
    xs, ys = rng.uniform(minx, maxx, 4000), rng.uniform(miny, maxy, 4000)
    points = shapely.points(xs, ys)
    ok = (
        shapely.contains_xy(geography.outline.buffer(-500.0), xs, ys)
        & (shapely.distance(site, points) > SITE_CLEARANCE_M)
    )
    for x, y in zip(xs[ok], ys[ok], strict=True):
        if len(centres) == len(HOTSPOT_SPECS):
            break
        if min(np.hypot(x - px, y - py) for px, py in centres) >= MIN_SPACING_M:
            centres.append((float(x), float(y)))
    if len(centres) < len(HOTSPOT_SPECS):  # pragma: no cover - geometry makes this unreachable
        raise RuntimeError("could not place the demo hotspots; try another seed")
    hotspots = tuple(
        Hotspot(hid, kind, float(x), float(y), first, last, sigma)
        for (hid, kind, first, last, sigma), (x, y) in zip(HOTSPOT_SPECS, centres, strict=True)
    )
    deprivation = _deprivation(rng, geography, hotspots)
    controls = _control_wards(wards, site, hotspots)
    return Scenario(hotspots, site_ward, site, deprivation, controls)


def _deprivation(
    rng: np.random.Generator, geography: Geography, hotspots: tuple[Hotspot, ...]
) -> np.ndarray:
    """Latent deprivation per LSOA: high near hotspots and the centre, plus noise."""
    xy = shapely.get_coordinates(shapely.centroid(geography.lsoas.geometry.to_numpy()))
    level = 0.4 * np.exp(-(np.hypot(*(xy - geography.centre).T) / 2000.0) ** 2)
    for spot in hotspots:
        dist = np.hypot(xy[:, 0] - spot.x, xy[:, 1] - spot.y)
        level += 0.9 * np.exp(-0.5 * (dist / 700.0) ** 2)
    level += 0.3 * rng.standard_normal(level.size)
    return (level - level.mean()) / level.std()


def _control_wards(
    wards: gpd.GeoDataFrame, site: shapely.Polygon, hotspots: tuple[Hotspot, ...]
) -> tuple[str, ...]:
    """Wards that do not touch the site's outer ring and keep away from trending hotspots."""
    geoms = wards.geometry.to_numpy()
    clear = ~shapely.intersects(geoms, site.buffer(RING_BANDS_M[-1] + 100.0))
    for spot in hotspots:
        if spot.kind != "persistent":
            clear &= shapely.distance(geoms, shapely.Point(spot.x, spot.y)) > 3 * spot.sigma_m
    return tuple(str(code) for code in wards.index[clear])
