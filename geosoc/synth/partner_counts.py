"""Partner area-count datasets of the demo town: what health, housing and youth services share.

Partners mostly share **counts per area and month**, not points. The demo town writes:

- ``health``: drug/alcohol-related and assault A&E attendances per LSOA and month;
- ``housing``: social-housing ASB complaints and tenancy enforcement per LSOA and month;
- ``youth``: youth-service referrals per *ward* and month (a coarser geography, so
  apportioning to cells and LSOAs is exercised);
- ``vulnerability``: vulnerability signals per LSOA and month (cuckooing, child criminal
  exploitation, missing episodes, county lines referrals, loan shark reports, digital key
  activations in social housing) -- indicators, never harm.

Each is a Poisson draw around the town's expected police counts (so the CHB effects and the
Hold displacement carry through), plus a **known signal**: the LSOA of the site holding the
most expected harm (``signal_lsoa`` in the manifest truth) gets ``SIGNAL_MULTIPLIER`` times its
expected partner counts in every month and every source. Deterministic from the seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.synth.categories import CATEGORIES
from geosoc.synth.geography import Geography
from geosoc.synth.intensity import MapPoints
from geosoc.synth.scenario import MONTHS

#: source -> (area level, {category: (police type followed, share of its expected count)}).
COUNT_SOURCES: dict[str, tuple[str, dict[str, tuple[str, float]]]] = {
    "health": ("lsoa", {
        "Drug-related A&E attendance": ("Public order", 0.08),
        "Alcohol-related A&E attendance": ("Public order", 0.25),
        "Assault A&E attendance": ("Violence and sexual offences", 0.06),
    }),
    "housing": ("lsoa", {
        "Tenant ASB complaint": ("Anti-social behaviour", 0.30),
        "Tenancy enforcement action": ("Anti-social behaviour", 0.05),
        "Property damage report": ("Criminal damage and arson", 0.25),
    }),
    "youth": ("ward", {
        "Young person at risk referral": ("Violence and sexual offences", 0.05),
        "Youth ASB referral": ("Anti-social behaviour", 0.06),
    }),
    "vulnerability": ("lsoa", {
        "Cuckooing": ("Drugs", 0.04),
        "Child criminal exploitation": ("Drugs", 0.05),
        "Missing episode": ("Violence and sexual offences", 0.02),
        "County lines referral": ("Drugs", 0.04),
        "Loan shark report": ("Other theft", 0.01),
        "Digital key activation (social housing)": ("Anti-social behaviour", 0.03),
    }),
}
#: File names of the area-count datasets (relative to the demo folder).
COUNT_FILES = {source: f"partners/{source}_area_counts.csv" for source in COUNT_SOURCES}
#: Multiplier on the expected partner counts of the signal LSOA (the site's busiest).
SIGNAL_MULTIPLIER = 3.0


def signal_lsoa(expected: np.ndarray, points: MapPoints, geography: Geography,
                site_ward: str) -> str:
    """Return the LSOA code of the site ward with the most expected events over all months."""
    per_lsoa = np.bincount(points.lsoa_pos, weights=expected.sum(axis=(1, 2)),
                           minlength=len(geography.lsoas))
    in_site = (geography.lsoas["ward_code"] == site_ward).to_numpy()
    return str(geography.lsoas.index[int(np.argmax(np.where(in_site, per_lsoa, -1.0)))])


def area_count_tables(rng: np.random.Generator, expected: np.ndarray, points: MapPoints,
                      geography: Geography, site_ward: str) -> dict[str, pd.DataFrame]:
    """Draw every partner area-count dataset.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (one seeded stream of the generator).
    expected : numpy.ndarray
        Expected police counts per map point x month x police type (CHB effects applied).
    points : MapPoints
        The map points (``lsoa_pos`` places each in an LSOA).
    geography : Geography
        The town (LSOAs with ``ward_code``).
    site_ward : str
        Ward code of the CHB site.

    Returns
    -------
    dict of str to pandas.DataFrame
        Source -> ``area_code``, ``area_name``, ``month`` (``YYYY-MM``), ``category``,
        ``count``: the non-zero area x month x category counts (absent rows are zeros, as
        partners usually send them), in a stable order.
    """
    lsoas = geography.lsoas
    n_lsoa = len(lsoas)
    # expected per LSOA x month x police type (sum over the LSOA's map points)
    per_lsoa = np.zeros((n_lsoa, expected.shape[1], expected.shape[2]))
    np.add.at(per_lsoa, points.lsoa_pos, expected)
    boost = np.where(lsoas.index == signal_lsoa(expected, points, geography, site_ward),
                     SIGNAL_MULTIPLIER, 1.0)
    ward_codes = geography.wards.index.to_numpy().astype(str)
    ward_of = pd.Index(ward_codes).get_indexer(lsoas["ward_code"].to_numpy())
    months = np.asarray(MONTHS.strftime("%Y-%m"))
    out: dict[str, pd.DataFrame] = {}
    for source, (level, categories) in COUNT_SOURCES.items():
        frames = []
        for category, (police_type, share) in categories.items():
            pos = int(np.flatnonzero(police_type == CATEGORIES)[0])
            rate = share * per_lsoa[:, :, pos] * boost[:, None]
            if level == "ward":
                ward_rate = np.zeros((len(ward_codes), rate.shape[1]))
                np.add.at(ward_rate, ward_of, rate)
                rate, codes, names = ward_rate, ward_codes, geography.wards["name"].to_numpy()
            else:
                codes, names = lsoas.index.to_numpy().astype(str), lsoas["name"].to_numpy()
            counts = rng.poisson(rate)
            area, month = np.divmod(np.arange(counts.size), counts.shape[1])
            frames.append(pd.DataFrame({
                "area_code": codes[area], "area_name": names[area].astype(str),
                "month": months[month], "category": category,
                "count": counts.ravel().astype("int64"),
            }))
        table = pd.concat(frames, ignore_index=True)
        out[source] = table[table["count"] > 0].sort_values(
            ["month", "area_code", "category"], kind="stable").reset_index(drop=True)
    return out
