"""The demo town's data-sharing records and ONS-style population files.

Every dataset of Demoford has a sharing record, as an information sharing agreement would
give it: the A&E assault attendances (health data shared with police analysts under the
Information Sharing to Tackle Violence standard) are limited to analysts, so the demo shows
the widest-role rule at work: a partner or public view never contains them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geosoc.synth.geography import LAD_CODE, LAD_NAME, Geography

#: Population files written by :func:`write_population` (ONS mid-year estimate layouts).
POPULATION_FILES = {
    "lsoa": "population/sapelsoa_mid2022_demoford.csv",
    "ward": "population/sapewards_mid2022_demoford.csv",
}

#: Sharing records of the demo datasets (dataset name == source name), in the CSV layout
#: ``geosoc datasets share --csv`` reads.
_RECORDS = (
    ("police", "Demoford Police (fictional)", "ISA-DEMO-001", "DPIA-DEMO-01",
     "DPA 2018 Part 3 (law enforcement processing)", "OFFICIAL-SENSITIVE", "public",
     "police.uk street-level data; published openly, held here at point level"),
    ("council_asb", "Demoford Council (fictional)", "ISA-DEMO-002", "DPIA-DEMO-02",
     "Crime and Disorder Act 1998 s115", "OFFICIAL-SENSITIVE", "public",
     "ASB reports; aggregated outputs may be shown at the launch"),
    ("fire", "Demoshire Fire and Rescue (fictional)", "ISA-DEMO-003", "DPIA-DEMO-03",
     "Crime and Disorder Act 1998 s115", "OFFICIAL", "public",
     "deliberate fires"),
    ("health_ae", "Demoford Hospitals NHS Trust (fictional)", "ISA-DEMO-004", "DPIA-DEMO-04",
     "Crime and Disorder Act 1998 s115", "OFFICIAL-SENSITIVE", "analyst",
     "ISTV A&E assault attendances: police analysts only, never shown to partners"),
    ("health", "Demoford Integrated Care Board (fictional)", "ISA-DEMO-005", "DPIA-DEMO-05",
     "Crime and Disorder Act 1998 s115", "OFFICIAL-SENSITIVE", "public",
     "A&E attendance counts per LSOA and month; disclosed aggregates may be shown at the launch"),
    ("housing", "Demoford Homes (fictional)", "ISA-DEMO-006", "DPIA-DEMO-06",
     "Crime and Disorder Act 1998 s115", "OFFICIAL-SENSITIVE", "public",
     "tenancy ASB and enforcement counts per LSOA and month"),
    ("youth", "Demoford Youth Service (fictional)", "ISA-DEMO-007", "DPIA-DEMO-07",
     "Crime and Disorder Act 1998 s115", "OFFICIAL-SENSITIVE", "public",
     "youth referral counts per ward and month"),
    ("vulnerability", "Demoford Community Safety Partnership (fictional)", "ISA-DEMO-008",
     "DPIA-DEMO-08", "Crime and Disorder Act 1998 s115; DPA 2018 Part 3",
     "OFFICIAL-SENSITIVE", "partner",
     "safeguarding signals (cuckooing, exploitation, missing episodes): partners, not public"),
)


def demo_sharing_records(last_month: str) -> pd.DataFrame:
    """Return the demo datasets' sharing records.

    Parameters
    ----------
    last_month : str
        The demo's last month ``YYYY-MM``; every delete-by date is two years after it.

    Returns
    -------
    pandas.DataFrame
        ``dataset``, ``owner_agency``, ``isa_reference``, ``dpia_reference``,
        ``legal_basis``, ``protective_marking``, ``widest_role``, ``delete_by``, ``notes``.
    """
    delete_by = (pd.Period(last_month, freq="M") + 24).to_timestamp(how="end").date()
    columns = ["dataset", "owner_agency", "isa_reference", "dpia_reference", "legal_basis",
               "protective_marking", "widest_role", "notes"]
    frame = pd.DataFrame(list(_RECORDS), columns=columns)
    frame.insert(7, "delete_by", delete_by.isoformat())
    return frame


def write_population(root: Path, geography: Geography) -> list[Path]:
    """Write LSOA and ward population files in the ONS mid-year estimate CSV layouts.

    Parameters
    ----------
    root : Path
        The demo folder.
    geography : Geography
        The town (``lsoas`` with ``population`` and ``ward_code``; ``wards`` with ``name``).

    Returns
    -------
    list of Path
        The two files written (persons, all ages).
    """
    lsoas = geography.lsoas
    lsoa = pd.DataFrame({
        "LAD 2021 Code": LAD_CODE, "LAD 2021 Name": LAD_NAME,
        "LSOA 2021 Code": lsoas.index.astype(str), "LSOA 2021 Name": lsoas["name"].astype(str),
        "Total": lsoas["population"].astype("int64").to_numpy(),
    })
    per_ward = lsoas.groupby("ward_code")["population"].sum().astype("int64")
    ward = pd.DataFrame({
        "Ward 2022 Code": per_ward.index.astype(str),
        "Ward 2022 Name": geography.wards["name"].reindex(per_ward.index).astype(str).to_numpy(),
        "LAD 2022 Code": LAD_CODE, "LAD 2022 Name": LAD_NAME,
        "Total": per_ward.to_numpy(),
    })
    written = []
    for key, frame in (("lsoa", lsoa), ("ward", ward)):
        path = root / POPULATION_FILES[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written
