"""A London ward as a pseudo-site on real police.uk LSOA counts (no intervention happened).

Site = the LSOAs of one Camden ward (best-fit lookup), buffer = the LSOAs adjacent to it,
control = every other Camden LSOA. Phases are placed in 2024-2026, after the incomplete
months 2023-05..09. With no intervention the analysis must not claim an effect.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geosoc.phases.change import LAYER_HARM, LAYER_POLICE, PhasePlan, compare_phases_counts
from geosoc.phases.displacement import displacement_report_counts
from geosoc.phases.rings import adjacent_areas

pytestmark = pytest.mark.integration

CAMDEN = "E09000007"
WARD = "E05013659"  # a Camden ward (2022 boundaries) chosen once; any quiet ward will do
PLAN = PhasePlan.from_dates(baseline=("2024-01", "2024-12"), clear=("2025-01", "2025-03"),
                            hold=("2025-04", "2025-09"), build=("2025-10", "2026-03"))


@pytest.fixture(scope="module")
def camden(shared_data: Path) -> dict[str, object]:
    raw = pd.read_parquet(
        shared_data / "london" / "policeuk_lsoa_month_counts_2023-05_2026-03.parquet",
        filters=[("year", ">=", 2024), ("borough", "==", "Camden")])
    lsoa = gpd.read_file(shared_data / "london" / "lsoa_by_lad" / f"{CAMDEN}.json")
    areas = gpd.GeoDataFrame(
        {"name": lsoa["LSOA11NM"].to_numpy(), "kind": "lsoa"}, geometry=lsoa.geometry.to_numpy(),
        crs="EPSG:4326", index=pd.Index(lsoa["LSOA11CD"].to_numpy(), name="area_code"))
    months = pd.PeriodIndex(pd.to_datetime(pd.DataFrame({"year": raw["year"],
                                                         "month": raw["month"], "day": 1})),
                            freq="M")
    counts = pd.DataFrame({"area_code": raw["lsoa_code"].to_numpy(), "month": months,
                           "category": raw["category"].to_numpy(), "source": "police",
                           "count": raw["crime_count"].to_numpy()})
    lookup = pd.read_csv(shared_data / "city-of-london" / "lookups" / "lsoa_to_ward.csv")
    site = sorted(set(lookup.loc[lookup["ward_code"] == WARD, "lsoa_code"]) & set(areas.index))
    buffer = adjacent_areas(areas.loc[site].union_all(), areas).index.difference(site)
    control = areas.index.difference(buffer).difference(site)
    return {"counts": counts, "raw": raw, "site": site, "buffer": list(buffer),
            "control": list(control)}


def test_zones_are_disjoint_and_sensible(camden):
    site, buffer, control = (set(camden[k]) for k in ("site", "buffer", "control"))
    assert len(site) >= 3
    assert len(buffer) >= 3
    assert site.isdisjoint(buffer) and site.isdisjoint(control) and buffer.isdisjoint(control)


def test_phase_counts_match_an_independent_sum(camden):
    table = compare_phases_counts(camden["counts"], camden["site"], PLAN)
    raw = camden["raw"]
    in_site = raw[raw["lsoa_code"].isin(camden["site"])]
    clear = in_site[(in_site["year"] == 2025) & in_site["month"].between(1, 3)]
    police = clear["category"].isin(["Drugs", "Possession of weapons"])
    key = table.set_index(["phase", "layer", "category"])
    harm_count = clear.loc[~police, "crime_count"].sum()
    police_count = clear.loc[police, "crime_count"].sum()
    assert key.loc[("clear", LAYER_HARM, "all"), "count"] == harm_count
    assert key.loc[("clear", LAYER_POLICE, "all"), "count"] == police_count
    baseline = in_site[in_site["year"] == 2024]["crime_count"].sum()
    total = key.xs("baseline", level="phase").xs("all", level="category")["count"].sum()
    assert total == baseline


def test_no_intervention_no_significant_displacement_claim(camden):
    report = displacement_report_counts(
        camden["counts"], PLAN, site_codes=camden["site"],
        ring_codes={"adjacent LSOAs": camden["buffer"]}, control_codes=camden["control"])
    assert report["phase"].tolist() == ["clear", "hold", "build"]
    assert (report["wdd_z"].abs() < 1.96).all(), report[["phase", "wdd", "wdd_z"]]
    assert report["reading"].str.endswith("the WDD interval includes 0").all()
    assert not report["wdd_reading"].str.contains("significant").any()


def test_unscaled_poisson_wdd_would_overclaim(camden):
    """The published test with a borough-sized control 'finds' an effect; the scaled,
    overdispersion-aware test does not (why both options default to on)."""
    kwargs = {"site_codes": camden["site"], "ring_codes": {"adjacent LSOAs": camden["buffer"]},
              "control_codes": camden["control"]}
    naive = displacement_report_counts(camden["counts"], PLAN, scale_controls=False,
                                       overdispersion=False, **kwargs)
    careful = displacement_report_counts(camden["counts"], PLAN, **kwargs)
    assert (naive["wdd_z"].abs() > 1.96).all()
    assert np.all(np.abs(careful["wdd_z"]) < np.abs(naive["wdd_z"]))
