r"""Turn OpenStreetMap-tagged features into asset records.

Rules are tried top to bottom; the first that matches a feature sets its category and sector
(``*`` matches any non-empty value). An ``operator:type`` tag (public, community, religious,
private, ...) overrides the sector when present. Features no rule matches are dropped and
counted in ``frame.attrs["osm_unmatched"]``.

==========================================================  =================  ===================
tag = value                                                 category           sector
==========================================================  =================  ===================
social_facility = food_bank                                 food               third sector
social_facility = outreach                                  advice/debt        voluntary/community
social_facility = shelter \| group_home \| housing          housing            third sector
amenity = food_bank                                         food               third sector
amenity = youth_centre                                      youth              voluntary/community
amenity = community_centre \| social_centre                 community centre   voluntary/community
amenity = townhall                                          community centre   statutory
amenity = place_of_worship                                  faith              faith
amenity = library                                           library            statutory
amenity = school \| college \| university \| kindergarten   education          statutory
amenity = doctors \| clinic \| hospital \| dentist           health             statutory
amenity = pharmacy                                          health             private
amenity = social_facility                                   other              voluntary/community
leisure = sports_centre \| pitch \| stadium \| track          sport              (operator:type)
leisure = fitness_centre \| swimming_pool \| sports_hall      sport              (operator:type)
leisure = playground                                        youth              statutory
healthcare = *                                              health             statutory
club = sport                                                sport              voluntary/community
club = youth                                                youth              voluntary/community
club = *                                                    other              voluntary/community
office = employment_agency                                  employment         private
office = charity \| ngo \| association                       other              third sector
shop = charity                                              business           third sector
shop = *                                                    business           private
religion = *                                                faith              faith
==========================================================  =================  ===================

``name`` becomes the asset name (unnamed features get ``"Unnamed <category>"``);
``opening_hours`` -> ``opening_times``; ``phone``, ``email``, ``website`` (or their
``contact:*`` forms) -> ``contact``, space-separated; the matched ``tag=value`` ->
``services``; ``addr:postcode`` -> ``postcode``; ``source`` is ``"OpenStreetMap"`` plus
the OSM id when one of ``@id``/``osm_id``/``id`` is present.
"""

from __future__ import annotations

import pandas as pd

#: (tag, values or "*", category, sector or None to leave to operator:type), in order.
OSM_RULES: tuple[tuple[str, tuple[str, ...] | str, str, str | None], ...] = (
    ("social_facility", ("food_bank",), "food", "third sector"),
    ("social_facility", ("outreach",), "advice/debt", "voluntary/community"),
    ("social_facility", ("shelter", "group_home", "housing"), "housing", "third sector"),
    ("amenity", ("food_bank",), "food", "third sector"),
    ("amenity", ("youth_centre",), "youth", "voluntary/community"),
    ("amenity", ("community_centre", "social_centre"), "community centre", "voluntary/community"),
    ("amenity", ("townhall",), "community centre", "statutory"),
    ("amenity", ("place_of_worship",), "faith", "faith"),
    ("amenity", ("library",), "library", "statutory"),
    ("amenity", ("school", "college", "university", "kindergarten"), "education", "statutory"),
    ("amenity", ("doctors", "clinic", "hospital", "dentist"), "health", "statutory"),
    ("amenity", ("pharmacy",), "health", "private"),
    ("amenity", ("social_facility",), "other", "voluntary/community"),
    ("leisure", ("sports_centre", "pitch", "stadium", "track", "fitness_centre",
                 "swimming_pool", "sports_hall"), "sport", None),
    ("leisure", ("playground",), "youth", "statutory"),
    ("healthcare", "*", "health", "statutory"),
    ("club", ("sport",), "sport", "voluntary/community"),
    ("club", ("youth",), "youth", "voluntary/community"),
    ("club", "*", "other", "voluntary/community"),
    ("office", ("employment_agency",), "employment", "private"),
    ("office", ("charity", "ngo", "association"), "other", "third sector"),
    ("shop", ("charity",), "business", "third sector"),
    ("shop", "*", "business", "private"),
    ("religion", "*", "faith", "faith"),
)

#: ``operator:type`` values and the sector they imply.
OPERATOR_SECTORS = {
    "public": "statutory", "government": "statutory", "council": "statutory",
    "community": "voluntary/community", "religious": "faith", "private": "private",
    "business": "private", "charitable": "third sector", "ngo": "third sector",
}


def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    if key not in frame.columns:
        return pd.Series("", index=frame.index, dtype="object")
    values = frame[key].astype("object")
    return values.where(values.notna(), "").astype(str).str.strip()


def _first(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series:
    """Return, per row, the first non-empty value among the tags ``keys``."""
    value = _tag(frame, keys[0])
    for key in keys[1:]:
        value = value.where(value.ne(""), _tag(frame, key))
    return value


def assets_from_osm(frame: pd.DataFrame) -> pd.DataFrame:
    """Map OpenStreetMap tags to raw asset records (see the module table).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per OSM feature with tag columns (``amenity``, ``leisure``, ``shop``,
        ``office``, ``club``, ``healthcare``, ``social_facility``, ``religion``, ``name``...)
        and ``lon``/``lat`` in WGS84 degrees (a GeoDataFrame's geometry is not read here;
        :func:`geosoc.assets.files.read_assets` supplies ``lon``/``lat``).

    Returns
    -------
    pandas.DataFrame
        Raw records for :func:`geosoc.assets.files.validate_assets` (text columns), matched
        features only, original index kept; ``attrs["osm_unmatched"]`` counts the rest.
    """
    category = pd.Series(pd.NA, index=frame.index, dtype="object")
    sector = category.copy()
    services = category.copy()
    for tag, values, cat, sec in OSM_RULES:  # a fixed rule list, each vectorised over rows
        column = _tag(frame, tag)
        hit = (column.ne("") if values == "*" else column.isin(values)) & category.isna()
        category[hit] = cat
        sector[hit] = sec
        services[hit] = tag + "=" + column[hit]
    operator = _tag(frame, "operator:type").str.lower().map(OPERATOR_SECTORS)
    sector = operator.where(operator.notna(), sector).fillna("")
    matched = category.notna()
    name = _tag(frame, "name")
    contact = _first(frame, ("phone", "contact:phone"))
    for key in ("email", "website"):  # joined with spaces, empty parts skipped
        part = _first(frame, (key, f"contact:{key}"))
        contact = contact.where(part.eq(""), contact.where(contact.eq(""), contact + " ") + part)
    osm_id = _first(frame, ("@id", "osm_id", "id"))
    out = pd.DataFrame({
        "name": name.where(name.ne(""), "Unnamed " + category.fillna("")),
        "category": category,
        "sector": sector,
        "services": services,
        "opening_times": _tag(frame, "opening_hours"),
        "contact": contact,
        "source": ("OpenStreetMap " + osm_id).str.strip(),
        "lon": _tag(frame, "lon"),
        "lat": _tag(frame, "lat"),
        "postcode": _tag(frame, "addr:postcode"),
    }, index=frame.index)[matched]
    out.attrs["osm_unmatched"] = int((~matched).sum())
    return out
