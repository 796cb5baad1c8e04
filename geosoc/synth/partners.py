"""Partner datasets of the demo town, each in the format a real partner would send.

- council ASB reports: CSV with British National Grid ``Easting``/``Northing`` (m), the
  council's own categories and UK ``dd/mm/yyyy`` dates;
- fire service deliberate fires: CSV with WGS84 ``lat``/``lng`` columns and ISO dates;
- A&E assault attendances: CSV with a patient ``postcode`` and a ``month`` only, a few
  postcodes deliberately absent from the postcode file.

Every dataset follows the same spatial process as the police data (including the CHB
effects), scaled: each is a Poisson draw from a share of one police crime type's expected
counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geosoc.synth.categories import CATEGORIES
from geosoc.synth.geography import TO_LONLAT
from geosoc.synth.incidents import draw_events
from geosoc.synth.intensity import MapPoints
from geosoc.synth.scenario import MONTHS

#: source name -> (police type it follows, share of that type's expected count).
PARTNER_RATES = {
    "council_asb": ("Anti-social behaviour", 0.45),
    "fire": ("Criminal damage and arson", 0.30),
    "health_ae": ("Violence and sexual offences", 0.08),
}
COUNCIL_TYPES = np.array([
    "Noise nuisance", "Neighbour dispute", "Youth nuisance", "Fly-tipping", "Graffiti",
    "Drug-related litter", "Street drinking", "Abandoned vehicle",
])
COUNCIL_TYPE_SHARES = np.array([0.24, 0.16, 0.16, 0.14, 0.1, 0.08, 0.07, 0.05])
FIRE_TYPES = np.array([
    "Deliberate secondary fire - refuse", "Deliberate secondary fire - grassland",
    "Deliberate vehicle fire", "Deliberate primary fire - dwelling",
    "Deliberate primary fire - other building",
])
FIRE_TYPE_SHARES = np.array([0.45, 0.2, 0.2, 0.08, 0.07])
AE_TYPES = np.array(["Assault - body part", "Assault - blunt object", "Assault - sharp object"])
AE_TYPE_SHARES = np.array([0.72, 0.18, 0.10])
#: Share of A&E rows whose postcode is deliberately not in the postcode file.
UNMATCHED_POSTCODE_SHARE = 0.015


def _events(rng: np.random.Generator, expected: np.ndarray, source: str) -> pd.DataFrame:
    category, share = PARTNER_RATES[source]
    pos = int(np.flatnonzero(category == CATEGORIES)[0])
    return draw_events(rng, share * expected[:, :, pos : pos + 1])


def _dates(rng: np.random.Generator, month_pos: np.ndarray) -> pd.DatetimeIndex:
    """Draw a random day within each event's month."""
    starts = MONTHS.to_timestamp()[month_pos]
    days = np.asarray(MONTHS.days_in_month)[month_pos]
    return starts + pd.to_timedelta(np.floor(rng.random(month_pos.size) * days), unit="D")


def council_asb(rng: np.random.Generator, expected: np.ndarray, points: MapPoints) -> pd.DataFrame:
    """Draw the council's ASB case list.

    Columns ``Reference``, ``Date reported`` (dd/mm/yyyy), ``ASB type``, ``Easting``,
    ``Northing`` (EPSG:27700, whole metres) and ``Status``.
    """
    events = _events(rng, expected, "council_asb")
    n = len(events)
    point, month = events["point"].to_numpy(), events["month_pos"].to_numpy()
    dates = _dates(rng, month)
    order = np.argsort(dates.to_numpy(), kind="stable")
    return pd.DataFrame(
        {
            "Reference": np.char.add("ASB-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "Date reported": dates[order].strftime("%d/%m/%Y"),
            "ASB type": rng.choice(COUNCIL_TYPES, n, p=COUNCIL_TYPE_SHARES),
            "Easting": np.round(points.x[point] + rng.normal(0, 25, n))[order].astype("int64"),
            "Northing": np.round(points.y[point] + rng.normal(0, 25, n))[order].astype("int64"),
            "Status": rng.choice(np.array(["Closed", "Open"]), n, p=[0.9, 0.1]),
        }
    )


def fire_deliberate(
    rng: np.random.Generator, expected: np.ndarray, points: MapPoints
) -> pd.DataFrame:
    """Draw the fire service's deliberate fires.

    Columns ``incident_id``, ``date`` (ISO), ``incident_type``, ``lat``, ``lng`` (WGS84
    degrees, 5 dp).
    """
    events = _events(rng, expected, "fire")
    n = len(events)
    point, month = events["point"].to_numpy(), events["month_pos"].to_numpy()
    dates = _dates(rng, month)
    order = np.argsort(dates.to_numpy(), kind="stable")
    lon, lat = TO_LONLAT.transform(
        points.x[point] + rng.normal(0, 20, n), points.y[point] + rng.normal(0, 20, n)
    )
    return pd.DataFrame(
        {
            "incident_id": np.char.add("DFRS", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "date": dates[order].strftime("%Y-%m-%d"),
            "incident_type": rng.choice(FIRE_TYPES, n, p=FIRE_TYPE_SHARES),
            "lat": np.round(lat[order], 5),
            "lng": np.round(lon[order], 5),
        }
    )


def ae_assaults(
    rng: np.random.Generator, expected: np.ndarray, points: MapPoints, postcodes: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """A&E assault attendances: ``month`` (``YYYY-MM``), ``postcode``, ``attendance_type``.

    The postcode is the unit nearest to a point up to a few hundred metres from the event
    (where the patient lives); about 1.5% are replaced by well-formed postcodes that do not
    exist in the ``ZZ`` file (districts ``ZZ0``/``ZZ9``), so matching must report them.

    Returns
    -------
    frame : pandas.DataFrame
        The attendances, in month order.
    unmatched : int
        How many rows carry a postcode absent from ``postcodes``.
    """
    events = _events(rng, expected, "health_ae")
    n = len(events)
    point, month = events["point"].to_numpy(), events["month_pos"].to_numpy()
    home = np.column_stack(
        [points.x[point] + rng.normal(0, 150, n), points.y[point] + rng.normal(0, 150, n)]
    )
    tree = cKDTree(postcodes[["easting", "northing"]].to_numpy(dtype=float))
    postcode = postcodes["postcode"].to_numpy()[tree.query(home)[1]].astype(object)
    unmatched = rng.random(n) < UNMATCHED_POSTCODE_SHARE
    k = int(unmatched.sum())
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    fake = np.char.add(
        np.char.add(rng.choice(np.array(["ZZ0 ", "ZZ9 "]), k), rng.integers(1, 9, k).astype(str)),
        np.char.add(rng.choice(letters, k), rng.choice(letters, k)),
    )
    postcode[unmatched] = fake
    frame = pd.DataFrame(
        {
            "month": np.asarray(MONTHS.strftime("%Y-%m"))[month],
            "postcode": postcode.astype(str),
            "attendance_type": rng.choice(AE_TYPES, n, p=AE_TYPE_SHARES),
        }
    )
    return frame, k
