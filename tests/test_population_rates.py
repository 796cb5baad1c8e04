"""ONS population estimates in their published layouts, and rates per 1,000 residents."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geosoc.aggregate.rates import (
    SMALL_POPULATION,
    apportion_population,
    population_for,
    rate_per_1000,
    with_rates,
)
from geosoc.cli import main
from geosoc.errors import SchemaError
from geosoc.ingest import read_imd, read_population
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import load_table


def ons_lsoa_workbook(path: Path) -> Path:
    """The 'sapelsoasyoa' layout: cover and notes sheets, one sheet per year, title rows."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Lower layer Super Output Area population estimates, mid-2019 to 2022"])
    book.create_sheet("Notes").append(["Note 1", "Figures may not sum due to rounding"])
    for year, bump in ((2021, 0), (2022, 10)):
        sheet = book.create_sheet(f"Mid-{year} LSOA 2021")
        sheet.append([f"Mid-{year} population estimates for LSOAs in England and Wales"])
        sheet.append(["This worksheet contains one table."])
        sheet.append(["Source: Office for National Statistics"])
        sheet.append(["LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name",
                      "Total", "F0", "F1"])
        for code, total in (("E01000001", 1500), ("E01000002", 1620), ("E01000003", 80)):
            sheet.append(["E09000001", "City of London", code, f"City {code[-3:]}",
                          total + bump, 10, 11])
    book.save(path)
    return path


def ons_ward_csv(path: Path) -> Path:
    """The ward estimates layout (``Ward 2022 Code``...), with thousands separators."""
    path.write_text("Ward 2022 Code,Ward 2022 Name,LAD 2022 Code,LAD 2022 Name,Total,F0\n"
                    'E05009288,Aldersgate,E09000001,City of London,"1,475",10\n'
                    "E05009289,Aldgate,E09000001,City of London,302,3\n", encoding="utf-8")
    return path


def test_lsoa_workbook_latest_year_sheet(tmp_path: Path) -> None:
    result = read_population(ons_lsoa_workbook(tmp_path / "sapelsoasyoa20192022.xlsx"))
    data = result.data
    assert data.index.name == "area_code" and set(data["kind"]) == {"lsoa"}
    assert data["population"].tolist() == [1510, 1630, 90]  # mid-2022, not mid-2021
    assert data["population"].dtype == "int64"
    notes = " ".join(result.report.notes)
    assert "Mid-2022 LSOA 2021" in notes and "row 4" in notes and "mid-2022" in notes
    older = read_population(tmp_path / "sapelsoasyoa20192022.xlsx", sheet="Mid-2021 LSOA 2021")
    assert older.data["population"].tolist() == [1500, 1620, 80]


def test_ward_csv_and_old_layouts(tmp_path: Path) -> None:
    wards = read_population(ons_ward_csv(tmp_path / "wards.csv")).data
    assert wards.loc["E05009288", "population"] == 1475 and set(wards["kind"]) == {"ward"}
    old = tmp_path / "old.csv"  # mid-2020 "Persons" sheets saved as CSV
    old.write_text("Ward Code 1,Ward Name 1,LA Code (2021 boundaries),All Ages,0\n"
                   "E05000001,North,E09000001,2100,30\n", encoding="utf-8")
    assert read_population(old).data.loc["E05000001", "population"] == 2100
    plain = tmp_path / "plain.csv"
    plain.write_text("lsoa_code,population\nE01000001,1296\n", encoding="utf-8")
    assert read_population(plain).data.loc["E01000001", "kind"] == "lsoa"


def test_bad_population_files_name_file_row_column_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("LSOA 2021 Code,Total\nE01000001,1500\nE0100002,12\nE01000003,-4\n"
                   "E01000001,x\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        read_population(bad)
    problems = {(p.row, p.column) for p in err.value.problems}
    assert (3, "LSOA 2021 Code") in problems  # a malformed code
    assert (4, "Total") in problems and (5, "Total") in problems  # negative, text
    assert (2, "LSOA 2021 Code") in problems  # E01000001 twice
    assert all(p.file == str(bad) and p.fix for p in err.value.problems)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("zone,people\nE01000001,3\n", encoding="utf-8")  # code,persons reads
    with pytest.raises(SchemaError) as err:
        read_population(wrong)
    assert "'zone', 'people'" in str(err.value.to_dict())
    book = ons_lsoa_workbook(tmp_path / "pop.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb["Mid-2022 LSOA 2021"]["E6"] = "n/a"
    wb.save(book)
    with pytest.raises(SchemaError) as err:
        read_population(book)
    assert [(p.row, p.column) for p in err.value.problems] == [(6, "Total")]  # file row


def test_rates_per_1000_with_small_population_flag() -> None:
    areas = pd.DataFrame({"count": [30.0, 2.0, np.nan, 4.0], "harm": [600.0, 50.0, 1.0, 8.0]},
                         index=pd.Index(["A", "B", "C", "D"], name="area_code"))
    population = pd.Series({"A": 1500, "B": 80, "C": 2000})
    out = with_rates(areas, population)
    assert out["count_per_1000"].tolist()[:2] == [20.0, 25.0]
    assert np.isnan(out.loc["C", "count_per_1000"])  # suppressed count: no rate
    assert np.isnan(out.loc["D", "count_per_1000"])  # no population: no rate
    assert out.loc["A", "harm_per_1000"] == 400.0
    # D has no population: "not known" (NaN), not flagged as under 100 residents
    assert out["small_population"].tolist() == [False, True, False, False]
    assert np.isnan(out.loc["D", "population"])
    assert SMALL_POPULATION == 100
    assert out.index.equals(areas.index) and "population" not in areas.columns  # new frame
    assert rate_per_1000([5.0], [0]).tolist() == [pytest.approx(np.nan, nan_ok=True)]


def test_apportioned_population_for_other_polygons() -> None:
    lsoas = gpd.GeoDataFrame({"name": ["a", "b"]}, index=pd.Index(["L1", "L2"]),
                             geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                             crs="EPSG:27700").to_crs("EPSG:4326")
    targets = gpd.GeoDataFrame(index=pd.Index(["S1", "S2"]),
                               geometry=[box(500, 0, 1500, 1000), box(1500, 0, 2000, 500)],
                               crs="EPSG:27700").to_crs("EPSG:4326")
    pop = apportion_population(targets, lsoas, pd.Series({"L1": 1000, "L2": 400}))
    assert pop["S1"] == pytest.approx(700, rel=1e-3)  # half of each
    assert pop["S2"] == pytest.approx(100, rel=1e-3)  # a quarter of L2
    table = pd.DataFrame({"population": [1000, 400], "kind": "lsoa"}, index=["L1", "L2"])
    assert population_for("postcode_sector", targets, table, lsoas)["S1"] == pytest.approx(
        700, rel=1e-3)
    assert population_for("lsoa", lsoas, table).tolist() == [1000.0, 400.0]
    assert population_for("ward", targets, None) is None


def test_population_is_stored_and_joined_to_imd(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    book = ons_lsoa_workbook(tmp_path / "pop.xlsx")
    ws_path = tmp_path / "w.sqlite"
    code = main(["ingest", str(book), "--kind", "population", "--workspace", str(ws_path),
                 "--name", "population_lsoa", "--json"])
    assert code == 0, capsys.readouterr().err
    code = main(["ingest", str(ons_ward_csv(tmp_path / "w.csv")), "--kind", "population",
                 "--level", "ward", "--workspace", str(ws_path), "--name", "population_ward"])
    assert code == 0
    with Workspace.open(ws_path, create=False) as ws:
        table = load_table(ws, "population", role="analyst")
    assert table.loc["E01000003", "population"] == 90
    assert table.loc["E05009289", "kind"] == "ward"
    imd = tmp_path / "imd.csv"
    imd.write_text("lsoa_code,imd_score,imd_rank,imd_decile\nE01000001,6.2,29199,9\n"
                   "E01000003,40.5,1200,1\n", encoding="utf-8")
    joined = read_imd(imd, population=book).data
    assert joined["population"].tolist() == [1510, 90]


def test_imd_domains_read_from_the_real_file() -> None:
    path = Path("/work/shared/data/city-of-london/deprivation/imd2019_london_lsoa.csv")
    if not path.is_file():
        pytest.skip(f"real IMD file absent: {path}")
    imd = read_imd(path).data
    assert len(imd) == 4835
    for domain in ("income", "employment", "education", "health", "crime", "barriers",
                   "living_environment"):
        assert imd[f"{domain}_decile"].between(1, 10).all(), domain
    row = imd.loc["E01000001"]
    assert (row["imd_decile"], row["barriers_decile"], row["income_rank"]) == (9, 3, 32831)


CITY = Path("/work/shared/data/city-of-london")


def test_real_city_of_london_rates_flag_the_commercial_wards() -> None:
    """Real IMD workbook populations (mid-2015), real LSOAs and wards, real police.uk."""
    if not CITY.is_dir():
        pytest.skip(f"real data absent: {CITY}")
    from geosoc.aggregate import harm_by_area
    from geosoc.harm import apply_harm_weights
    from geosoc.ingest import read_boundaries, read_policeuk

    pop = read_population(CITY / "deprivation" / "london_lsoa_deprivation.xlsx")
    assert len(pop.data) == 4835 and pop.data.loc["E01000001", "population"] == 1296
    assert any("Population figures" in n for n in pop.report.notes)
    assert any("mid-2015" in n for n in pop.report.notes)
    wards = read_boundaries(CITY / "boundaries" / "wards_by_lad" / "E09000001.json",
                            kind="ward").data
    lsoas = read_boundaries(CITY / "boundaries" / "lsoa_by_lad" / "E09000001.json",
                            kind="lsoa").data
    residents = population_for("ward", wards, pop.data, lsoas)
    city_total = pop.data["population"].reindex(lsoas.index).sum()
    assert residents.sum() == pytest.approx(city_total, rel=0.01)  # shared out, not lost
    incidents = apply_harm_weights(read_policeuk(CITY / "crime" / "2024-01").data)
    rated = with_rates(harm_by_area(incidents, wards), residents)
    small = rated[rated["small_population"]]
    assert 5 <= len(small) < len(rated)  # the City's business wards have few residents
    assert set(small.index) >= {"E05009309", "E05009306"}  # Queenhithe, Langbourn
    assert not rated.loc["E05009302", "small_population"]  # Cripplegate (the Barbican)
    expected = rated["count"] / rated["population"] * 1000
    np.testing.assert_allclose(rated["count_per_1000"], expected)


def test_partner_rates_come_from_the_disclosed_counts() -> None:
    from geosoc.disclosure.tables import disclosed_areas

    areas = gpd.GeoDataFrame({"name": ["North", "South", "East"], "kind": "ward"},
                             index=pd.Index(["E05000001", "E05000002", "E05000003"],
                                            name="area_code"),
                             geometry=[box(-1.50, 52.00, -1.49, 52.01),
                                       box(-1.49, 52.00, -1.48, 52.01),
                                       box(-1.48, 52.00, -1.47, 52.01)], crs="EPSG:4326")
    n = 70  # 37 in North, 3 in South (suppressed for partners), 30 in East
    lon = np.r_[np.full(37, -1.495), np.full(3, -1.485), np.full(30, -1.475)]
    incidents = gpd.GeoDataFrame({
        "incident_id": [f"i{i}" for i in range(n)], "source": "police",
        "category": "Burglary", "month": pd.PeriodIndex(["2024-01"] * n, freq="M"),
        "harm": 245.0, "lon": lon, "lat": 52.005},
        geometry=gpd.points_from_xy(lon, np.full(n, 52.005)), crs="EPSG:4326")
    population = pd.Series({"E05000001": 2000, "E05000002": 50, "E05000003": 1500})
    raw = disclosed_areas(incidents, areas, "analyst", population=population)
    assert raw["count_per_1000"].tolist() == [18.5, 60.0, 20.0]
    assert raw["small_population"].tolist() == [False, True, False]
    partner = disclosed_areas(incidents, areas, "partner", population=population,
                              secret=b"s" * 32)
    shown = partner[partner["count"].notna()]
    assert len(shown) >= 1
    np.testing.assert_allclose(shown["count_per_1000"],  # from the disclosed counts
                               shown["count"] / shown["population"] * 1000)
    assert np.isnan(partner.loc["E05000002", "count"])
    assert np.isnan(partner.loc["E05000002", "count_per_1000"])  # suppressed: no rate


def test_cli_profile_writes_rates_beside_counts(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from geosoc.synth.demo import ensure_demo

    monkeypatch.setenv("GEOSOC_DEMO_DIR", str(ensure_demo(tmp_path / "demo")))
    out = tmp_path / "profile"
    assert main(["profile", "--demo", "--out", str(out), "--format", "parquet",
                 "--emerging", "none", "--resolution", "8", "--json"]) == 0
    wards = gpd.read_parquet(out / "areas_ward.parquet")
    assert {"population", "count_per_1000", "harm_per_1000", "small_population"} <= set(
        wards.columns)
    np.testing.assert_allclose(wards["count_per_1000"],
                               wards["count"] / wards["population"] * 1000)
    assert "count_per_1000" in pd.read_csv(out / "areas_lsoa.csv").columns
    contribution = pd.read_csv(out / "contribution.csv")
    assert set(contribution["source"]) == {
        "police", "council_asb", "fire", "health_ae", "health (area counts by lsoa)",
        "housing (area counts by lsoa)", "youth (area counts by ward)",
        "vulnerability (area counts by lsoa)"}
    assert "Demoford Hospitals NHS Trust (fictional)" in set(contribution["agency"])
