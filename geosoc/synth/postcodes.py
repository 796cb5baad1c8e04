"""Fictional postcode units (area ``ZZ``) for the demo town, laid out like Code-Point Open.

``ZZ`` is not a real UK postcode area, so demo postcodes can never be mistaken for real
addresses. Districts are a central ``ZZ1`` and five wedges ``ZZ2``-``ZZ6`` around it; each
district has up to four sectors; units are numbered north to south within their sector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.synth.geography import LAD_CODE, Geography, sample_by_density

#: Letters allowed in the inward part of a UK postcode (no C, I, K, M, O, V).
INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
N_UNITS = 2000
CENTRAL_RADIUS_M = 900.0


def build_postcodes(rng: np.random.Generator, geography: Geography) -> pd.DataFrame:
    """Place about 2,000 postcode unit centroids, spread by population density.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town (EPSG:27700).

    Returns
    -------
    pandas.DataFrame
        ``postcode`` (``"ZZ3 2AB"``), ``easting``, ``northing`` (int64 metres, EPSG:27700),
        ``ward_code``, ``lad_code``, ``lsoa_code``; sorted by postcode.
    """
    xs, ys, lsoa_pos = sample_by_density(rng, geography, N_UNITS, floor=0.15)
    xs, ys = np.round(xs), np.round(ys)
    dx, dy = xs - geography.centre[0], ys - geography.centre[1]
    radius = np.hypot(dx, dy)
    angle = np.mod(np.arctan2(dy, dx), 2 * np.pi)
    central = radius < CENTRAL_RADIUS_M
    district = np.where(central, 1, 2 + np.floor(angle / (2 * np.pi / 5)).astype(int))
    # Within a district, sectors split the central one by angle and the wedges by distance.
    key = np.where(central, angle, radius)
    frame = pd.DataFrame({"district": district, "key": key})
    quantile = frame.groupby("district")["key"].rank(pct=True).to_numpy()
    sector = 1 + np.minimum((quantile * 4).astype(int), 3)
    order = np.lexsort((xs, -ys, sector, district))
    district, sector = district[order], sector[order]
    group = district * 10 + sector
    ordinal = np.arange(group.size) - np.searchsorted(group, group)
    inward = (
        sector.astype(str)
        + INWARD_LETTERS[ordinal // INWARD_LETTERS.size]
        + INWARD_LETTERS[ordinal % INWARD_LETTERS.size]
    )
    postcode = np.char.add(np.char.add("ZZ", district.astype(str)), np.char.add(" ", inward))
    lsoas = geography.lsoas.iloc[lsoa_pos[order]]
    return pd.DataFrame(
        {
            "postcode": postcode.astype(str),
            "easting": xs[order].astype("int64"),
            "northing": ys[order].astype("int64"),
            "ward_code": lsoas["ward_code"].to_numpy().astype(str),
            "lad_code": LAD_CODE,
            "lsoa_code": lsoas.index.to_numpy().astype(str),
        }
    )
