"""What the app shows: a :class:`Study` (incidents with harm, boundaries, assets, a site).

The demo town is read from its files through the same ingest readers an analyst's uploads go
through (:func:`geosoc.demo.load_demo`), so demo mode exercises the real path. Loading takes
a few seconds and is cached once per process by :mod:`geosoc.ui.cache`; pages treat a Study
as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.change import PhasePlan
from geosoc.demo import load_demo
from geosoc.errors import GeosocError
from geosoc.harm import apply_harm_weights
from geosoc.ingest import IngestReport
from geosoc.schema import CATEGORY, CRS_STORE, MONTH, SOURCE


@dataclass(frozen=True)
class Study:
    """Inputs of one analysis, read-only once loaded.

    Parameters
    ----------
    name : str
        Display name.
    incidents : geopandas.GeoDataFrame
        Incidents contract with ``harm`` and ``police_activity`` (EPSG:4326).
    areas : dict of str -> geopandas.GeoDataFrame
        Areas contract frames by kind (``"ward"``, ``"lsoa"``...).
    assets : geopandas.GeoDataFrame
        Community asset register (points, EPSG:4326).
    site : geopandas.GeoDataFrame
        The CHB site(s) indexed by name (may be empty).
    plan : PhasePlan or None
        Phase dates of the first site.
    ring_bands_m : tuple of float
        Displacement buffer ring widths in metres.
    imd : pandas.DataFrame or None
        IMD 2019 per LSOA (with population) for the vulnerability score.
    postcodes : pandas.DataFrame or None
        Postcode centroids (postcodes contract).
    reports : tuple of IngestReport
        What each reader kept and dropped.
    errors : tuple of GeosocError
        Inputs that could not be loaded (shown on the Data page); the rest still loads.
    demo : bool
        Whether this is the fictional demo town.
    """

    name: str
    incidents: gpd.GeoDataFrame
    areas: dict[str, gpd.GeoDataFrame]
    assets: gpd.GeoDataFrame
    site: gpd.GeoDataFrame
    plan: PhasePlan | None = None
    ring_bands_m: tuple[float, ...] = (250.0, 500.0)
    imd: pd.DataFrame | None = None
    postcodes: pd.DataFrame | None = None
    reports: tuple[IngestReport, ...] = field(default=())
    errors: tuple[GeosocError, ...] = field(default=())
    demo: bool = False

    @property
    def months(self) -> list[str]:
        """Every month from the first to the last incident, ``"YYYY-MM"``."""
        months = self.incidents[MONTH]
        if months.empty:
            return []
        span = pd.period_range(months.min(), months.max(), freq="M")
        return [str(p) for p in span]

    @property
    def categories(self) -> list[str]:
        """Distinct incident categories, sorted."""
        return sorted(self.incidents[CATEGORY].astype(str).unique())

    @property
    def sources(self) -> list[str]:
        """Distinct sources (``police`` first)."""
        return sorted(self.incidents[SOURCE].astype(str).unique(), key=lambda s: (s != "police", s))

    def filtered(self, months: tuple[str, ...] = (), categories: tuple[str, ...] = (),
                 sources: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        """Return the incidents within a month range and of the chosen categories/sources.

        Parameters
        ----------
        months : tuple of str
            ``(first, last)`` months ``"YYYY-MM"`` inclusive; empty keeps all.
        categories, sources : tuple of str
            Values kept; empty keeps all.

        Returns
        -------
        geopandas.GeoDataFrame
            A filtered view (new frame, original index).
        """
        frame = self.incidents
        keep = pd.Series(True, index=frame.index)
        if months:
            first, last = (pd.Period(m, freq="M") for m in (months[0], months[-1]))
            keep &= (frame[MONTH] >= first) & (frame[MONTH] <= last)
        if categories:
            keep &= frame[CATEGORY].isin(list(categories))
        if sources:
            keep &= frame[SOURCE].isin(list(sources))
        return frame[keep.to_numpy()]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(lon_min, lat_min, lon_max, lat_max)`` of the boundaries, degrees."""
        first = next(iter(self.areas.values()))
        return tuple(float(v) for v in first.total_bounds)


def load_demo_study(demo_dir: str | Path) -> Study:
    """Load the demo town (generating it if needed) through :func:`geosoc.demo.load_demo`.

    Parameters
    ----------
    demo_dir : str or pathlib.Path
        Demo folder (``data/demo`` by default in the app).

    Returns
    -------
    Study
        Police and partner incidents with CCHI harm, wards, LSOAs and postcode sectors,
        assets, the site and its phases.
    """
    town = load_demo(demo_dir)
    site = gpd.GeoDataFrame({"ward_code": [town.site.ward_code]},
                            index=pd.Index([town.site.name], name="name"),
                            geometry=[town.site.geometry], crs=CRS_STORE)
    plan = PhasePlan.from_dates(**{name: (str(a), str(b))
                                   for name, (a, b) in town.site.phases.items()})
    bands = town.manifest.site.get("ring_bands_m", (250.0, 500.0))
    return Study(
        name=town.manifest.name,
        incidents=apply_harm_weights(town.incidents, unknown=1.0),
        areas={"ward": town.wards, "lsoa": town.lsoas, "postcode_sector": town.postcode_sectors},
        assets=town.assets,
        site=site,
        plan=plan,
        ring_bands_m=tuple(float(b) for b in bands),
        imd=town.imd,
        postcodes=town.postcodes,
        reports=tuple(town.reports.values()),
        demo=True,
    )
