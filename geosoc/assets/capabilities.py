"""Structured asset fields tied to the CHB response: capabilities, 4P pillars, engagement.

* ``capabilities``: what an asset can offer, from the controlled list :data:`CAPABILITIES`
  (synonyms accepted), several values joined by ``"; "``; anything else goes in the free
  text ``capabilities_other``.
* ``pillars``: which of the 4P pillars of the SOC strategy (Pursue, Prevent, Protect,
  Prepare) the asset can serve, ``"; "``-joined, in that order.
* ``engagement``: the asset's engagement with the CHB site, one of :data:`ENGAGEMENT`.
* ``contact_owner``: who in the partnership holds the relationship (analyst-only: blanked
  by :func:`redact_for_role` for every other role).
* ``last_verified``: ISO date; :func:`verification_status` flags records older than
  :data:`STALE_AFTER_MONTHS` months (or never verified) as stale.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geosoc.assets.model import suggest
from geosoc.errors import Problem

#: Controlled capabilities with the synonyms accepted on import (case-insensitive).
CAPABILITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "youth work": ("youth", "youth club", "detached youth work", "outreach youth work"),
    "mentoring": ("mentor", "mentors", "coaching", "role models"),
    "sport and physical activity": ("sport", "sports", "physical activity", "fitness"),
    "education and training": ("education", "training", "tuition", "skills training"),
    "employment support": ("employment", "jobs", "job search", "apprenticeships"),
    "mental health support": ("mental health", "wellbeing", "counselling"),
    "substance misuse support": ("substance misuse", "drugs and alcohol", "recovery"),
    "housing support": ("housing", "homelessness", "accommodation"),
    "debt and welfare advice": ("advice", "debt advice", "welfare advice", "benefits advice"),
    "food provision": ("food", "food bank", "meals", "community kitchen"),
    "family and parenting support": ("family support", "parenting", "early help"),
    "victim support": ("victims", "victim services"),
    "domestic abuse support": ("domestic abuse", "domestic violence"),
    "exploitation awareness": ("county lines", "exploitation", "child exploitation",
                               "safeguarding training"),
    "diversion": ("diversionary activities", "diversion scheme"),
    "safe space": ("safe haven", "drop-in", "drop in"),
    "venue and premises": ("venue", "premises", "room hire", "meeting space"),
    "volunteering": ("volunteers", "volunteer"),
    "arts and culture": ("arts", "culture", "music", "drama"),
    "language and interpreting": ("interpreting", "translation", "esol", "language"),
    "digital inclusion": ("digital", "it access", "computer access"),
    "community cohesion": ("cohesion", "community events", "community engagement"),
    "environmental improvement": ("street cleaning", "clean-up", "environment", "greening"),
    "guardianship and surveillance": ("cctv", "guardianship", "security", "shop watch"),
}
CAPABILITIES: tuple[str, ...] = tuple(CAPABILITY_SYNONYMS)
#: The 4P pillars of the serious and organised crime strategy, in their usual order.
PILLARS: tuple[str, ...] = ("pursue", "prevent", "protect", "prepare")
#: Engagement of an asset with the CHB site, from none to most.
ENGAGEMENT: tuple[str, ...] = ("not contacted", "engaged", "delivering")
#: A record not verified for longer than this is stale.
STALE_AFTER_MONTHS = 12
#: Columns only analysts see.
ANALYST_ONLY_COLUMNS: tuple[str, ...] = ("contact_owner",)

_SPLIT = r"\s*[;|,]\s*"


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {c: c for c in synonyms}
    table.update({a: c for c, aliases in synonyms.items() for a in aliases})
    return table


CAPABILITY_LOOKUP = _lookup(CAPABILITY_SYNONYMS)
PILLAR_LOOKUP = {p: p for p in PILLARS} | {"all": "all", "4p": "all"}
ENGAGEMENT_LOOKUP = {e: e for e in ENGAGEMENT} | {
    "not engaged": "not contacted", "none": "not contacted", "contacted": "engaged",
    "involved": "engaged", "active": "delivering", "delivering services": "delivering"}


def _multi(raw: pd.Series, lookup: dict[str, str], order: tuple[str, ...]
           ) -> tuple[pd.Series, pd.Series]:
    """Split multi-valued text, map each part through ``lookup``, join in ``order``.

    Returns the joined canonical values and the unknown parts (both ``"; "``-joined).
    """
    text = raw.fillna("").astype(str)
    parts = text.str.split(_SPLIT, regex=True).explode()
    parts = pd.DataFrame({"i": parts.index, "part": parts.fillna("").str.strip().to_numpy()})
    parts = parts[parts["part"].ne("")]
    key = parts["part"].str.lower().str.replace(r"\s+", " ", regex=True)
    parts["v"] = key.map(lookup)
    if order == PILLARS:  # "all" expands to the four pillars
        every = parts[parts["v"].eq("all")]
        expanded = every.loc[every.index.repeat(len(PILLARS))].assign(
            v=list(PILLARS) * len(every))
        parts = pd.concat([parts[parts["v"].ne("all")], expanded])
    rank = {v: i for i, v in enumerate(order)}
    known = parts.dropna(subset=["v"]).drop_duplicates(["i", "v"])
    known = known.assign(r=known["v"].map(rank)).sort_values(["i", "r"], kind="stable")
    joined = known.groupby("i")["v"].agg("; ".join).reindex(raw.index, fill_value="")
    unknown = parts[parts["v"].isna()]
    unknown_joined = (unknown.groupby("i")["part"].agg("; ".join)
                      .reindex(raw.index, fill_value=""))
    return joined.astype("object"), unknown_joined.astype("object")


def normalise_structured(out: pd.DataFrame, rows: pd.Series, file: str | None
                         ) -> tuple[pd.DataFrame, list[Problem]]:
    """Clean ``capabilities``, ``capabilities_other``, ``pillars`` and ``engagement``.

    Parameters
    ----------
    out : pandas.DataFrame
        Records with those columns as stripped text (missing ones are empty strings).
    rows : pandas.Series
        Row number of each record as a person counts it (same index).
    file : str or None
        Source name, for problems.

    Returns
    -------
    (pandas.DataFrame, list of Problem)
        A new frame with canonical values; capabilities outside the list move to
        ``capabilities_other`` (free text), unknown pillars and engagement values are
        problems (with the nearest allowed value as the fix).
    """
    out = out.copy()
    caps, extra = _multi(out["capabilities"], CAPABILITY_LOOKUP, CAPABILITIES)
    other = out["capabilities_other"].fillna("").astype(str)
    out["capabilities"] = caps
    out["capabilities_other"] = (other + extra.where(other.eq("") | extra.eq(""),
                                                     "; " + extra)).str.strip()
    pillars, bad_pillars = _multi(out["pillars"], PILLAR_LOOKUP, PILLARS)
    out["pillars"] = pillars
    problems = [Problem(f"pillars '{v}' is not one of the 4P pillars", file=file,
                        row=int(rows[i]), column="pillars",
                        fix="use pursue, prevent, protect, prepare (or all), ';'-separated")
                for i, v in bad_pillars[bad_pillars.ne("")].items()]
    key = out["engagement"].fillna("").astype(str).str.strip().str.lower()
    engagement = key.map(ENGAGEMENT_LOOKUP)
    bad = engagement.isna() & key.ne("")
    problems += [Problem(f"engagement '{v}' is not allowed", file=file, row=int(rows[i]),
                         column="engagement",
                         fix=(f"did you mean '{hint}'?" if (hint := suggest(
                             v, ENGAGEMENT_LOOKUP)) else "use " + ", ".join(ENGAGEMENT)))
                 for i, v in out["engagement"][bad].items()]
    out["engagement"] = engagement.fillna("not contacted")
    return out, problems


def verification_status(last_verified: pd.Series, *, as_of: date | None = None
                        ) -> pd.Series:
    """Return ``"current"``, ``"stale"`` or ``"never verified"`` for each record.

    Parameters
    ----------
    last_verified : pandas.Series
        ISO dates (``YYYY-MM-DD``) or empty/None.
    as_of : datetime.date, optional
        The day to judge from (default today). A record verified more than
        :data:`STALE_AFTER_MONTHS` calendar months before it is stale.

    Returns
    -------
    pandas.Series
        Category strings, same index.
    """
    day = pd.Timestamp(as_of or date.today())
    dates = pd.to_datetime(last_verified.replace("", None), format="%Y-%m-%d",
                           errors="coerce")
    cutoff = day - pd.DateOffset(months=STALE_AFTER_MONTHS)
    status = pd.Series("current", index=last_verified.index, dtype="object")
    status[dates < cutoff] = "stale"
    status[dates.isna()] = "never verified"
    return status


def stale_flags(last_verified: pd.Series, *, as_of: date | None = None) -> pd.Series:
    """Return True where a record is stale or was never verified.

    See :func:`verification_status` (same arguments).
    """
    return verification_status(last_verified, as_of=as_of).ne("current")


def redact_for_role(assets: pd.DataFrame, role: str) -> pd.DataFrame:
    """Return a copy of ``assets`` with the analyst-only columns blanked for other roles.

    Parameters
    ----------
    assets : pandas.DataFrame or geopandas.GeoDataFrame
        Asset register frame.
    role : str
        ``"analyst"``, ``"partner"`` or ``"public"``.
    """
    out = assets.copy()
    if role != "analyst":
        for column in ANALYST_ONLY_COLUMNS:
            if column in out.columns:
                out[column] = ""
    return out
