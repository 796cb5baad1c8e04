"""Crime-type tables used to generate the demo town's police incidents.

Background shares follow the England and Wales police.uk mix (ASB and violence about 30%
each); hotspots carry more violence, robbery, drugs and weapons, as places of serious and
organised crime do. Harm
weights are the DOMAIN.md CCHI defaults (days of imprisonment) and are used only to state
the harm-weighted ground truth in the manifest, never to generate data.
"""

from __future__ import annotations

import numpy as np

from geosoc.schema import POLICE_ACTIVITY_CATEGORIES, POLICEUK_CRIME_TYPES

#: Share of each police.uk crime type in the background (sums to 1).
CATEGORY_SHARES = {
    "Anti-social behaviour": 0.30,
    "Bicycle theft": 0.01,
    "Burglary": 0.04,
    "Criminal damage and arson": 0.07,
    "Drugs": 0.02,
    "Other crime": 0.02,
    "Other theft": 0.06,
    "Possession of weapons": 0.01,
    "Public order": 0.07,
    "Robbery": 0.01,
    "Shoplifting": 0.06,
    "Theft from the person": 0.01,
    "Vehicle crime": 0.05,
    "Violence and sexual offences": 0.27,
}
#: Share of each crime type in the hotspot kernels (sums to 1).
HOTSPOT_SHARES = {
    "Anti-social behaviour": 0.22,
    "Bicycle theft": 0.005,
    "Burglary": 0.02,
    "Criminal damage and arson": 0.06,
    "Drugs": 0.06,
    "Other crime": 0.015,
    "Other theft": 0.05,
    "Possession of weapons": 0.02,
    "Public order": 0.09,
    "Robbery": 0.03,
    "Shoplifting": 0.05,
    "Theft from the person": 0.02,
    "Vehicle crime": 0.02,
    "Violence and sexual offences": 0.34,
}
#: CCHI default weights (days), DOMAIN.md section 4; ASB counted as 1.
CCHI_DAYS = {
    "Anti-social behaviour": 1.0,
    "Bicycle theft": 2.0,
    "Burglary": 245.0,
    "Criminal damage and arson": 11.0,
    "Drugs": 3.7,
    "Other crime": 10.0,
    "Other theft": 2.0,
    "Possession of weapons": 274.0,
    "Public order": 7.5,
    "Robbery": 365.0,
    "Shoplifting": 1.0,
    "Theft from the person": 2.0,
    "Vehicle crime": 5.0,
    "Violence and sexual offences": 194.0,
}
CATEGORIES = np.array(POLICEUK_CRIME_TYPES)
SHARES = np.array([CATEGORY_SHARES[c] for c in POLICEUK_CRIME_TYPES])
HOT_SHARES = np.array([HOTSPOT_SHARES[c] for c in POLICEUK_CRIME_TYPES])
WEIGHTS = np.array([CCHI_DAYS[c] for c in POLICEUK_CRIME_TYPES])
#: True for the categories police activity generates (Drugs, Possession of weapons).
ACTIVITY = np.isin(CATEGORIES, POLICE_ACTIVITY_CATEGORIES)
ASB = int(np.flatnonzero(CATEGORIES == "Anti-social behaviour")[0])

_NO_SUSPECT = "Investigation complete; no suspect identified"
_UNABLE = "Unable to prosecute suspect"
_COURT = "Court result unavailable"
_STATUS = "Status update unavailable"
_CAUTION = "Offender given a caution"
_LOCAL = "Local resolution"
_UNDER = "Under investigation"
_THEFT = ((_NO_SUSPECT, 0.62), (_STATUS, 0.12), (_COURT, 0.08), (_UNABLE, 0.1), (_UNDER, 0.08))
_PERSON = ((_UNABLE, 0.4), (_STATUS, 0.2), (_NO_SUSPECT, 0.15), (_COURT, 0.12), (_CAUTION, 0.04),
           (_LOCAL, 0.02), (_UNDER, 0.07))
_FOUND = (("Offender given a drugs possession warning", 0.25), (_COURT, 0.3), (_STATUS, 0.15),
          (_UNABLE, 0.1), ("Formal action is not in the public interest", 0.06), (_CAUTION, 0.06),
          (_LOCAL, 0.04), (_UNDER, 0.04))
_WEAPONS = ((_COURT, 0.4), (_STATUS, 0.2), (_UNABLE, 0.15), ("Awaiting court outcome", 0.1),
            (_CAUTION, 0.05), (_UNDER, 0.1))
#: Last outcome category distribution per crime type (ASB has none).
OUTCOMES = {
    "Anti-social behaviour": (("", 1.0),),
    "Bicycle theft": _THEFT,
    "Burglary": _THEFT,
    "Criminal damage and arson": _THEFT,
    "Drugs": _FOUND,
    "Other crime": _PERSON,
    "Other theft": _THEFT,
    "Possession of weapons": _WEAPONS,
    "Public order": _PERSON,
    "Robbery": _THEFT,
    "Shoplifting": ((_NO_SUSPECT, 0.4), (_COURT, 0.25), (_STATUS, 0.12), (_UNABLE, 0.1),
                    (_CAUTION, 0.05), (_LOCAL, 0.03), (_UNDER, 0.05)),
    "Theft from the person": _THEFT,
    "Vehicle crime": _THEFT,
    "Violence and sexual offences": _PERSON,
}
