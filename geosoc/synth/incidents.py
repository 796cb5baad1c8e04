"""Police incidents of the demo town, drawn as police.uk street-level rows.

Counts are Poisson draws of the expected count at every (map point, month, crime type); the
rows are then expanded with :func:`numpy.repeat`, so there is no Python loop per incident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.schema import POLICEUK_COLUMNS
from geosoc.synth.categories import ASB, CATEGORIES, OUTCOMES
from geosoc.synth.geography import TO_LONLAT, Geography
from geosoc.synth.intensity import MapPoints
from geosoc.synth.scenario import MONTHS

#: The (fictional) force written in ``Reported by`` and ``Falls within``.
FORCE = "Demoford Constabulary (fictional)"
#: Share of police rows published without a location ("No Location"), as police.uk does.
NO_LOCATION_SHARE = 0.02


def draw_events(rng: np.random.Generator, expected: np.ndarray) -> pd.DataFrame:
    """Draw Poisson counts and expand them to one row per event.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    expected : numpy.ndarray
        ``(n_points, n_months, n_types)`` expected counts.

    Returns
    -------
    pandas.DataFrame
        ``point``, ``month_pos``, ``type_pos`` (int64 positions), ordered by month then at
        random within the month.
    """
    counts = rng.poisson(expected)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    point, month, kind = np.unravel_index(flat, counts.shape)
    order = np.lexsort((rng.random(flat.size), month))
    return pd.DataFrame(
        {"point": point[order], "month_pos": month[order], "type_pos": kind[order]}
    )


def police_rows(
    rng: np.random.Generator, events: pd.DataFrame, points: MapPoints, geography: Geography
) -> pd.DataFrame:
    """Turn drawn police events into police.uk street-level rows.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (crime ids, outcomes, missing locations).
    events : pandas.DataFrame
        Output of :func:`draw_events` for police types.
    points : MapPoints
        The map points the events sit on (EPSG:27700).
    geography : Geography
        The town, for LSOA codes and names.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`geosoc.schema.POLICEUK_COLUMNS`; ``Longitude``/``Latitude`` are
        WGS84 degrees rounded to 6 dp (NaN without a location); empty strings elsewhere.
    """
    n = len(events)
    point = events["point"].to_numpy()
    kind = events["type_pos"].to_numpy()
    lon, lat = TO_LONLAT.transform(points.x, points.y)
    lsoas = geography.lsoas
    lsoa_pos = points.lsoa_pos[point]
    located = rng.random(n) >= NO_LOCATION_SHARE
    crime_id = np.frombuffer(rng.bytes(32 * n).hex().encode("ascii"), dtype="S64").astype(str)
    return pd.DataFrame(
        {
            "Crime ID": np.where(kind == ASB, "", crime_id),
            "Month": np.asarray(MONTHS.strftime("%Y-%m"))[events["month_pos"].to_numpy()],
            "Reported by": FORCE,
            "Falls within": FORCE,
            "Longitude": np.where(located, np.round(lon[point], 6), np.nan),
            "Latitude": np.where(located, np.round(lat[point], 6), np.nan),
            "Location": np.where(
                located, np.char.add("On or near ", points.street[point]), "No Location"
            ),
            "LSOA code": np.where(located, lsoas.index.to_numpy().astype(str)[lsoa_pos], ""),
            "LSOA name": np.where(located, lsoas["name"].to_numpy().astype(str)[lsoa_pos], ""),
            "Crime type": CATEGORIES[kind],
            "Last outcome category": _outcomes(rng, kind),
            "Context": "",
        },
        columns=list(POLICEUK_COLUMNS),
    )


def _outcomes(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Draw a last outcome category per row from its crime type's distribution."""
    outcome = np.full(kind.size, "", dtype=object)
    for pos, category in enumerate(CATEGORIES):
        rows = np.flatnonzero(kind == pos)
        names, probs = zip(*OUTCOMES[str(category)], strict=True)
        outcome[rows] = rng.choice(np.array(names), size=rows.size, p=np.array(probs))
    return outcome.astype(str)
