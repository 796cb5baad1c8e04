"""Read the public registers partners keep as raw asset records.

Open Referral UK directories and the Charity Commission register extract become records for
:func:`geosoc.assets.validate_assets`.

**Open Referral UK** (the UK profile of the HSDS open standard) comes as JSON (a list of
services, one service, or an API page ``{"content": [...]}``; each service with its
``organization`` and ``service_at_locations[].location`` holding ``latitude``/``longitude``
and ``physical_addresses[].postal_code``) or as CSV tables in a folder or ``.zip``:
``services.csv``, ``organizations.csv``, ``locations.csv``, ``physical_addresses.csv``,
``service_at_locations.csv``. One asset per service *at a location*; services with no
location (phone or online only) are skipped and counted in ``attrs["skipped"]``.

**Charity Commission register extract** (``publicextract.charity`` as tab-separated
``.txt``, CSV or JSON): registered main charities (``linked_charity_number`` 0) whose
``charity_contact_postcode`` is in the postcode lookup given (the study area's stored
postcodes) become assets at that postcode's centroid; the rest are skipped and counted.
An optional ``publicextract.charity_classification`` file sets the category.

Every reader returns text columns named as :data:`geosoc.assets.RECORD_COLUMNS` plus
``attrs["row_numbers"]`` (each record's row or item in the source, as a person counts it)
and ``attrs["skipped"]`` (reason -> count). Coordinates are WGS84 degrees.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.assets.files import normalise_postcodes
from geosoc.assets.model import normalise_categories
from geosoc.errors import InputFileError, Problem

ORUK_TABLES = ("services", "organizations", "locations", "physical_addresses",
               "service_at_locations")
#: Charity Commission classification codes -> asset category (first match wins).
CHARITY_CATEGORIES = (("201", "youth"), ("108", "faith"), ("110", "sport"),
                      ("107", "housing"), ("103", "health"), ("102", "education"),
                      ("105", "advice/debt"), ("113", "employment"))


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="object")
    values = frame[name].astype("object")
    return values.where(values.notna(), "").astype(str).str.strip()


def _input_error(path: Path, message: str, fix: str) -> InputFileError:
    return InputFileError(f"{path.name}: {message}", [Problem(message, file=str(path), fix=fix)])


def _records(frame: pd.DataFrame, rows: np.ndarray, skipped: dict[str, int]) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.attrs["row_numbers"] = np.asarray(rows)
    frame.attrs["skipped"] = {k: int(v) for k, v in skipped.items() if v}
    return frame


# ---------------------------------------------------------------- Open Referral UK


def _oruk_json(path: Path) -> pd.DataFrame:
    """Flatten ORUK services (JSON) to one row per service at a location."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as err:
        raise _input_error(path, f"not valid JSON: {err}", "save the directory as UTF-8 "
                           "JSON (an Open Referral UK /services page)") from err
    except RecursionError:
        raise _input_error(path, "the JSON is nested too deeply to be read (an Open Referral "
                           "services list is a few levels deep)", "download the services "
                           "again from the directory's Open Referral API (/services pages), "
                           "or give its CSV tables (a folder or .zip)") from None
    services = data.get("content", data.get("items", [data])) if isinstance(data, dict) else data
    if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
        raise _input_error(path, "no list of services found", "give the JSON list of "
                           "services, or an API page with a 'content' list")
    frame = pd.json_normalize(services, sep=".")
    frame["item"] = np.arange(1, len(frame) + 1)
    sal = frame.get("service_at_locations", pd.Series([[]] * len(frame)))
    frame["sal"] = sal.map(lambda v: v if isinstance(v, list) and v else [None])
    frame = frame.explode("sal", ignore_index=True)
    loc = pd.json_normalize(frame["sal"].map(
        lambda s: (s or {}).get("location") or {}).tolist(), sep=".")
    address = loc.get("physical_addresses", pd.Series([[]] * len(loc))).map(
        lambda a: a[0] if isinstance(a, list) and a else {})
    taxonomies = frame.get("service_taxonomys", pd.Series([[]] * len(frame))).map(
        lambda ts: "; ".join(str((t.get("taxonomy") or {}).get("name", ""))
                             for t in ts if isinstance(t, dict))
        if isinstance(ts, list) else "")
    return pd.DataFrame({
        "item": frame["item"], "service_id": _col(frame, "id"),
        "name": _col(frame, "name"), "description": _col(frame, "description"),
        "organization": _col(frame, "organization.name"), "url": _col(frame, "url"),
        "email": _col(frame, "email"), "location_id": _col(loc, "id"),
        "latitude": _col(loc, "latitude"), "longitude": _col(loc, "longitude"),
        "postal_code": address.map(lambda a: str(a.get("postal_code") or "")),
        "taxonomy": taxonomies,
    })


def _oruk_tables(path: Path) -> pd.DataFrame:
    """Join the ORUK CSV tables (folder or zip) to one row per service at a location."""
    tables: dict[str, pd.DataFrame] = {}
    if path.is_dir():
        files = {p.stem.lower(): p for p in path.glob("*.csv")}
        for name in ORUK_TABLES:
            if name in files:
                tables[name] = pd.read_csv(files[name], dtype=str, keep_default_na=False,
                                           encoding="utf-8-sig")
    else:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                stem = Path(member).stem.lower()
                if stem in ORUK_TABLES and member.lower().endswith(".csv"):
                    with archive.open(member) as handle:
                        tables[stem] = pd.read_csv(handle, dtype=str, keep_default_na=False,
                                                   encoding="utf-8-sig")
    if "services" not in tables:
        raise _input_error(path, "services.csv not found", "give the folder or zip of "
                           "Open Referral UK tables (services.csv, locations.csv, ...)")
    services = tables["services"].copy()
    services["item"] = np.arange(2, len(services) + 2)
    orgs = tables.get("organizations", pd.DataFrame(columns=["id", "name"]))
    services = services.merge(orgs[["id", "name"]].rename(
        columns={"id": "organization_id", "name": "organization"}),
        on="organization_id", how="left") if "organization_id" in services else services
    sal = tables.get("service_at_locations", pd.DataFrame(columns=["service_id",
                                                                   "location_id"]))
    services = services.merge(sal[["service_id", "location_id"]], left_on="id",
                              right_on="service_id", how="left")
    locations = tables.get("locations", pd.DataFrame(columns=["id"]))
    locations = locations.rename(columns={"id": "location_id", "name": "location_name",
                                          "description": "location_description"})
    addresses = tables.get("physical_addresses", pd.DataFrame(columns=["location_id"]))
    addresses = addresses.drop_duplicates("location_id")
    locations = locations.merge(addresses.drop(columns=["id"], errors="ignore"),
                                on="location_id", how="left")
    joined = services.merge(locations, on="location_id", how="left")
    return pd.DataFrame({
        "item": joined["item"], "service_id": _col(joined, "id"),
        "name": _col(joined, "name"), "description": _col(joined, "description"),
        "organization": _col(joined, "organization"), "url": _col(joined, "url"),
        "email": _col(joined, "email"), "location_id": _col(joined, "location_id"),
        "latitude": _col(joined, "latitude"), "longitude": _col(joined, "longitude"),
        "postal_code": _col(joined, "postal_code"), "taxonomy": "",
    })


def read_open_referral(path: str | Path) -> pd.DataFrame:
    """Read an Open Referral UK directory (JSON, or CSV tables in a folder or zip).

    Parameters
    ----------
    path : str or Path
        ``.json`` file, folder of CSV tables, or ``.zip`` of them.

    Returns
    -------
    pandas.DataFrame
        Raw asset records (see the module docstring): ``name`` (the service), ``category``
        (from the taxonomy terms where one is an asset category, else ``other``),
        ``sector`` ``voluntary/community``, ``services`` (the description),
        ``capabilities`` (the taxonomy terms), ``contact`` (url and email), ``lon``/``lat``,
        ``postcode``, ``external_id`` ``openreferral:<service id>@<location id>``.
    """
    path = Path(path)
    if not path.exists():
        raise _input_error(path, "file or folder not found", "check the path")
    flat = _oruk_json(path) if path.suffix.lower() == ".json" else _oruk_tables(path)
    located = (flat["latitude"].ne("") | flat["longitude"].ne("") | flat["postal_code"].ne(""))
    skipped = {"service without a location": int((~located).sum())}
    flat = flat[located]
    terms = flat["taxonomy"].str.split(r"\s*;\s*", regex=True).explode()
    category = (normalise_categories(terms).dropna().groupby(level=0).first()
                .reindex(flat.index).fillna("other"))
    contact = (flat["url"] + " " + flat["email"]).str.strip()
    records = pd.DataFrame({
        "name": flat["name"], "category": category, "sector": "voluntary/community",
        "services": flat["description"], "capabilities": flat["taxonomy"],
        "contact": contact, "source": "Open Referral UK " + path.name,
        "lon": flat["longitude"], "lat": flat["latitude"], "postcode": flat["postal_code"],
        "external_id": "openreferral:" + flat["service_id"] + "@" + flat["location_id"],
    })
    has_org = flat["organization"].ne("") & flat["organization"].ne(flat["name"])
    records["serves"] = np.where(has_org, "run by " + flat["organization"], "")
    return _records(records, flat["item"].to_numpy(), skipped)


# ---------------------------------------------------------------- Charity Commission


def _read_extract(path: Path) -> pd.DataFrame:
    if not path.is_file() or path.stat().st_size == 0:
        raise _input_error(path, "file is missing or empty", "check the path")
    try:
        if path.suffix.lower() == ".json":
            return pd.DataFrame(json.loads(path.read_text(encoding="utf-8-sig"))).astype(str)
        with path.open(encoding="utf-8-sig") as handle:
            sep = "\t" if "\t" in handle.readline() else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                           encoding="utf-8-sig", quoting=3 if sep == "\t" else 0)
    except (ValueError, UnicodeDecodeError) as err:
        raise _input_error(path, f"cannot be read: {err}", "use the Charity Commission "
                           "extract as downloaded (tab-separated .txt or .json)") from err


def read_charity_register(path: str | Path, *, postcodes: pd.DataFrame,
                          classifications: str | Path | None = None) -> pd.DataFrame:
    """Read the Charity Commission register extract for the charities in the study area.

    Parameters
    ----------
    path : str or Path
        ``publicextract.charity`` (tab-separated ``.txt``, ``.csv`` or ``.json``).
    postcodes : pandas.DataFrame
        Postcode centroids (``postcode``, ``lon``, ``lat`` WGS84), e.g. the workspace's
        stored postcodes; only charities whose contact postcode is listed are kept.
    classifications : str or Path, optional
        ``publicextract.charity_classification``; sets the category by
        :data:`CHARITY_CATEGORIES` (else ``other``).

    Returns
    -------
    pandas.DataFrame
        Raw asset records: ``name``, ``category``, ``sector`` ``third sector``,
        ``services`` (``charity_activities``), ``contact`` (phone, email, web),
        ``postcode`` (placed by the caller's lookup), ``external_id``
        ``charity:<registered number>``; ``attrs`` as in the module docstring.
    """
    path = Path(path)
    raw = _read_extract(path)
    missing = [c for c in ("registered_charity_number", "charity_name",
                           "charity_contact_postcode") if c not in raw.columns]
    if missing:
        raise InputFileError(f"{path.name}: not a Charity Commission extract", [Problem(
            f"column '{c}' is missing", file=str(path), column=c,
            fix="use publicextract.charity from the Charity Commission register extract")
            for c in missing])
    rows = np.arange(2, len(raw) + 2) if path.suffix.lower() != ".json" else np.arange(
        1, len(raw) + 1)
    status = _col(raw, "charity_registration_status").str.lower()
    linked = _col(raw, "linked_charity_number")
    main = linked.isin(["", "0"])
    registered = status.isin(["", "registered"])
    postcode = normalise_postcodes(_col(raw, "charity_contact_postcode"))
    known = set(normalise_postcodes(postcodes["postcode"]))
    inside = postcode.isin(known)
    keep = main & registered & inside
    skipped = {"removed from the register": int((main & ~registered).sum()),
               "linked (subsidiary) charity": int((~main).sum()),
               "postcode outside the stored postcodes": int((main & registered & ~inside)
                                                            .sum())}
    kept = raw[keep]
    number = _col(kept, "registered_charity_number")
    category = pd.Series("other", index=kept.index, dtype="object")
    if classifications is not None:
        classes = _read_extract(Path(classifications))
        codes = classes.assign(n=_col(classes, "registered_charity_number"),
                               code=_col(classes, "classification_code"))
        codes = codes[_col(classes, "linked_charity_number").isin(["", "0"])]
        for code, name in reversed(CHARITY_CATEGORIES):  # first in the list wins
            has = number.isin(codes.loc[codes["code"] == code, "n"])
            category = category.where(~has.to_numpy(), name)
    contact = (_col(kept, "charity_contact_phone") + " " + _col(kept, "charity_contact_email")
               + " " + _col(kept, "charity_contact_web")).str.replace(r"\s+", " ", regex=True)
    dated = _col(kept, "date_of_extract").str[:10]
    records = pd.DataFrame({
        "name": _col(kept, "charity_name"), "category": category, "sector": "third sector",
        "services": _col(kept, "charity_activities"), "contact": contact.str.strip(),
        "source": ("Charity Commission register " + dated).str.strip(),
        "postcode": postcode[keep], "external_id": "charity:" + number,
    })
    return _records(records, rows[keep.to_numpy()], skipped)
