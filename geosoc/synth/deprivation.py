"""IMD-2019-like deprivation for the demo town's LSOAs, in the MHCLG/GLA column layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from geosoc.synth.geography import LAD_CODE, LAD_NAME, Geography

#: Number of LSOAs in England (IMD 2019), the denominator of national ranks.
ENGLAND_LSOAS = 32844
#: Log-normal approximation of the national IMD 2019 score distribution (median, log sd).
NATIONAL_MEDIAN_SCORE = 17.0
NATIONAL_LOG_SD = 0.62


def imd_table(rng: np.random.Generator, geography: Geography, level: np.ndarray) -> pd.DataFrame:
    """IMD score, national rank and decile per LSOA, rising with latent deprivation.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town.
    level : numpy.ndarray
        Standardised latent deprivation per LSOA (the same that raises the crime rate).

    Returns
    -------
    pandas.DataFrame
        Columns named as in the IMD 2019 file (``LSOA code (2011)``, ...,
        ``Index of Multiple Deprivation (IMD) Decile (...)``) and
        ``Total population: mid 2015 (excluding prisoners)``.
    """
    lsoas = geography.lsoas
    log_score = np.log(NATIONAL_MEDIAN_SCORE) + 0.3 + 0.55 * level
    log_score += 0.08 * rng.standard_normal(level.size)
    score = np.round(np.exp(log_score), 3)
    share_more_deprived = norm.sf((np.log(score) - np.log(NATIONAL_MEDIAN_SCORE)) / NATIONAL_LOG_SD)
    rank = np.clip(np.round(share_more_deprived * ENGLAND_LSOAS), 1, ENGLAND_LSOAS).astype("int64")
    decile = np.minimum(1 + (rank - 1) * 10 // ENGLAND_LSOAS, 10)
    return pd.DataFrame(
        {
            "LSOA code (2011)": lsoas.index.to_numpy().astype(str),
            "LSOA name (2011)": lsoas["name"].to_numpy().astype(str),
            "Local Authority District code (2019)": LAD_CODE,
            "Local Authority District name (2019)": LAD_NAME,
            "Index of Multiple Deprivation (IMD) Score": score,
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": rank,
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)":
                decile,
            **_domains(rng, share_more_deprived),
            "Total population: mid 2015 (excluding prisoners)": lsoas["population"].to_numpy(),
        }
    )


#: IMD 2019 domain names as File 7 spells them, with how closely each follows the IMD.
DOMAIN_TITLES = {
    "Income": 0.9, "Employment": 0.85, "Education, Skills and Training": 0.7,
    "Health Deprivation and Disability": 0.75, "Crime": 0.6,
    "Barriers to Housing and Services": 0.2, "Living Environment": 0.4,
}


def _domains(rng: np.random.Generator, share: np.ndarray) -> dict[str, np.ndarray]:
    """Domain scores, ranks and deciles in File 7 columns, correlated with the IMD share."""
    columns: dict[str, np.ndarray] = {}
    base = norm.isf(np.clip(share, 1e-6, 1 - 1e-6))
    for title, weight in DOMAIN_TITLES.items():
        latent = weight * base + np.sqrt(1 - weight ** 2) * rng.standard_normal(share.size)
        rank = np.clip(np.round(norm.sf(latent) * ENGLAND_LSOAS), 1, ENGLAND_LSOAS)
        rank = rank.astype("int64")
        columns[f"{title} Score"] = np.round(latent, 3)
        columns[f"{title} Rank (where 1 is most deprived)"] = rank
        columns[f"{title} Decile (where 1 is most deprived 10% of LSOAs)"] = np.minimum(
            1 + (rank - 1) * 10 // ENGLAND_LSOAS, 10)
    return columns
