"""Community assets of the demo town (FB5 community asset mapping), with a deliberate gap.

About 150 fictional groups and facilities across sectors and categories, placed at postcode
centroids (jittered a few metres). Youth provision is deliberately absent within
:data:`YOUTH_GAP_RADIUS_M` of the site's hotspot, so gap analysis has something to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geosoc.synth.geography import TO_LONLAT, Geography
from geosoc.synth.scenario import Hotspot

YOUTH_GAP_RADIUS_M = 800.0
#: category -> (how many, sectors to draw from, services, who it serves, name suffixes).
ASSET_TYPES = {
    "youth": (14, ("voluntary/community", "statutory"),
              "youth club; detached youth work; mentoring", "young people 11-19",
              ("Youth Club", "Youth Project", "Young People's Hub")),
    "sport": (16, ("voluntary/community", "private"), "football; boxing; gym sessions",
              "all ages", ("Boxing Club", "Juniors FC", "Leisure Centre", "Cricket Club")),
    "faith": (14, ("faith",), "worship; community meals; pastoral support", "all ages",
              ("Methodist Church", "Mosque", "Gurdwara", "Parish Church")),
    "health": (12, ("statutory", "private"), "GP services; pharmacy; sexual health",
               "registered patients", ("Medical Centre", "Pharmacy", "Health Centre")),
    "education": (14, ("statutory",), "primary and secondary education; adult learning",
                  "children and families", ("Primary School", "Academy", "Adult Learning Centre")),
    "housing": (8, ("statutory", "third sector"), "tenancy support; homelessness advice",
                "tenants; people at risk of homelessness", ("Housing Office", "Hostel")),
    "food": (10, ("third sector", "faith"), "food parcels; community pantry; hot meals",
             "people in food poverty", ("Food Bank", "Community Pantry", "Community Kitchen")),
    "advice/debt": (10, ("third sector",), "debt advice; benefits checks; legal advice",
                    "adults", ("Advice Centre", "Debt Advice Drop-in")),
    "employment": (8, ("statutory", "third sector"), "job search; CV help; training",
                   "adults out of work", ("Jobs Hub", "Employment Support")),
    "community centre": (14, ("voluntary/community",), "room hire; clubs; coffee mornings",
                         "all ages", ("Community Centre", "Village Hall", "Neighbourhood Hub")),
    "business": (18, ("private",), "shop; licensed premises; business association",
                 "customers", ("Traders' Association", "Convenience Store", "Arms (pub)")),
    "substance misuse": (6, ("third sector", "statutory"),
                         "drug and alcohol support; needle exchange",
                         "adults who use drugs or alcohol", ("Recovery Service", "Recovery Cafe")),
    "family support": (6, ("statutory", "third sector"), "parenting support; early help",
                       "families with children", ("Family Hub", "Children's Centre")),
}
OPENING_TIMES = np.array([
    "Mon-Fri 09:00-17:00", "Mon-Sat 08:00-22:00", "Tue and Thu 18:00-21:00",
    "Sun 10:00-12:00", "Mon-Fri 08:30-18:30", "Wed 10:00-14:00", "By appointment",
])
SOURCES = np.array([
    "council directory", "community asset mapping workshop", "partner return",
    "OpenStreetMap (demo)",
])


def build_assets(
    rng: np.random.Generator, geography: Geography, postcodes: pd.DataFrame, gap: Hotspot
) -> pd.DataFrame:
    """Generate the community asset register.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town.
    postcodes : pandas.DataFrame
        Postcode units (``postcode``, ``easting``, ``northing``, ``ward_code``).
    gap : Hotspot
        The hotspot left without youth provision within :data:`YOUTH_GAP_RADIUS_M`.

    Returns
    -------
    pandas.DataFrame
        ``asset_id``, ``name``, ``category``, ``sector``, ``services``, ``serves``,
        ``opening_times``, ``contact``, ``source``, ``last_verified`` (ISO date),
        ``lon``, ``lat`` (WGS84, 6 dp), ``postcode``.
    """
    spec = pd.DataFrame.from_dict(
        ASSET_TYPES, orient="index", columns=["n", "sectors", "services", "serves", "suffixes"]
    )
    rows = spec.loc[spec.index.repeat(spec["n"])]
    n = len(rows)
    category = rows.index.to_numpy().astype(str)
    pick = rng.random(n)
    sector = _pick(rows["sectors"], pick)
    suffix = _pick(rows["suffixes"], rng.random(n))
    far = np.hypot(postcodes["easting"] - gap.x, postcodes["northing"] - gap.y).to_numpy()
    allowed = np.where(
        (category == "youth")[:, None], (far > YOUTH_GAP_RADIUS_M)[None, :], True
    )
    unit = np.argmax(rng.random(allowed.shape) * allowed, axis=1)
    units = postcodes.iloc[unit]
    place = geography.wards["name"].reindex(units["ward_code"]).to_numpy().astype(str)
    name = pd.Series(np.char.add(np.char.add(place, " "), suffix))
    repeat = name.groupby(name).cumcount().to_numpy()
    name = np.where(repeat > 0, name + " (" + (repeat + 1).astype(str) + ")", name)
    slug = np.char.replace(np.char.replace(np.char.lower(name.astype(str)), " ", "-"), "'", "")
    phone = np.char.add("01632 960", np.char.zfill(rng.integers(0, 1000, n).astype(str), 3))
    email = np.char.add(np.char.add("hello@", slug), ".example")
    lon, lat = TO_LONLAT.transform(
        units["easting"].to_numpy() + rng.normal(0, 8, n),
        units["northing"].to_numpy() + rng.normal(0, 8, n),
    )
    verified = pd.Timestamp("2022-06-01") + pd.to_timedelta(rng.integers(0, 1300, n), unit="D")
    return pd.DataFrame(
        {
            "asset_id": np.char.add("DEMO-A", np.char.zfill(np.arange(1, n + 1).astype(str), 3)),
            "name": name,
            "category": category,
            "sector": sector,
            "services": rows["services"].to_numpy().astype(str),
            "serves": rows["serves"].to_numpy().astype(str),
            "opening_times": rng.choice(OPENING_TIMES, n),
            "contact": np.where(rng.random(n) < 0.5, phone, email),
            "source": rng.choice(SOURCES, n, p=[0.4, 0.3, 0.2, 0.1]),
            "last_verified": verified.strftime("%Y-%m-%d"),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "postcode": units["postcode"].to_numpy().astype(str),
        }
    )


def _pick(options: pd.Series, u: np.ndarray) -> np.ndarray:
    """Pick one element of each row's tuple of options, using uniforms ``u`` in [0, 1)."""
    lengths = options.map(len).to_numpy()
    flat = np.concatenate(options.to_numpy())
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return flat[offsets + np.floor(u * lengths).astype(int)].astype(str)
