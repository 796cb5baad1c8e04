"""The launch's first sentence: the CHB site's share of the place's harm, in words.

"Market Square holds about 1 in 5 of Demoford's recorded harm in 1% of its area." A room
full of residents reads a share and an area, not "2,956,205 days of imprisonment
equivalent". The share is computed from the layer the audience sees (for the launch: the
public ward layer, counts rounded and small ones suppressed), so it carries nothing the
released values do not. Where a ward inside the site is suppressed no share is given; where
wards outside it are suppressed the share is a bound ("up to"), never a figure computed as
if the hidden values did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geosoc.schema import CRS_METRIC, HARM

#: What harm means, for an audience that has never met the Cambridge Crime Harm Index.
HARM_IN_WORDS = ("Harm counts each recorded crime by how seriously the courts treat it "
                 "(the Cambridge Crime Harm Index), so one robbery weighs far more than "
                 "one shoplifting.")


@dataclass(frozen=True)
class SiteShare:
    """The site's share of harm and of area, and how sure the share is.

    ``harm_share`` is None when a ward inside the site is suppressed; ``bound`` is True when
    wards outside it are (the true share is then at most ``harm_share``).
    """

    site: str
    place: str
    harm_share: float | None
    area_share: float
    wards: int
    bound: bool

    def sentence(self) -> str | None:
        """Return the headline in words, or None when the share cannot be said."""
        if self.harm_share is None or self.harm_share <= 0:
            return None
        share = _as_words(self.harm_share)
        hedge = "up to " if self.bound else ""
        return (f"{self.site} holds {hedge}{share} of {self.place}'s recorded harm "
                f"in {_percent(self.area_share)} of its area.")


def site_share(areas: gpd.GeoDataFrame, site: shapely.Geometry, *, site_name: str,
               place: str) -> SiteShare | None:
    """Measure the site's share of harm over the areas whose inner point lies in it.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The audience's area layer (EPSG:4326): ``harm`` (NaN where suppressed), geometry.
    site : shapely.Geometry
        The site's outline (EPSG:4326).
    site_name, place : str
        The site's and the town's (or force area's) names.

    Returns
    -------
    SiteShare or None
        None when no area lies in the site (a site smaller than every area: its figure is
        not available at this geography).
    """
    if areas.empty:
        return None
    inner = areas.geometry.representative_point()
    inside = np.asarray(shapely.within(inner.to_numpy(), site.buffer(1e-9)))
    if not inside.any():
        return None
    harm = areas[HARM].astype(float)
    hidden_in, hidden_out = bool(harm[inside].isna().any()), bool(harm[~inside].isna().any())
    total = float(harm.sum())  # shown values only: with hidden ones the true total is larger
    share = None if hidden_in or total <= 0 else float(harm[inside].sum()) / total
    metric = areas.to_crs(CRS_METRIC).geometry.area
    site_area = float(gpd.GeoSeries([site], crs="EPSG:4326").to_crs(CRS_METRIC).area.iloc[0])
    return SiteShare(site=site_name, place=place, harm_share=share,
                     area_share=min(1.0, site_area / float(metric.sum())),
                     wards=int(inside.sum()), bound=hidden_out)


def _as_words(share: float) -> str:
    """Say a share as a reader would: "about 1 in 5", "about half", "about 3 in 4"."""
    if share >= 0.95:
        return "almost all"
    if 0.45 <= share < 0.55:
        return "about half"
    if share > 0.55:
        return f"about {share:.0%}"
    return f"about 1 in {max(2, round(1 / share))}"


def _percent(share: float) -> str:
    """Return an area share as a whole per cent, "under 1%" below one."""
    return "under 1%" if share < 0.01 else f"{share:.0%}"
