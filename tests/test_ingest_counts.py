"""read_area_counts: contract CSV, mapped columns, and the year/month Parquet layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geosoc import schema
from geosoc.errors import SchemaError
from geosoc.ingest import read_area_counts


def test_contract_csv(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("area_code,month,category,count\nE05000001,2024-01,Fly-tipping,3\n"
                    "E05000002,2024-02,Fly-tipping,0\n")
    result = read_area_counts(path, source="council")
    data = result.data
    assert list(data.columns) == ["area_code", "month", "category", "source", "count"]
    assert data["count"].dtype == "int64"
    assert isinstance(data[schema.MONTH].dtype, pd.PeriodDtype)
    assert (data[schema.SOURCE] == "council").all()
    assert data["count"].tolist() == [3, 0]
    assert result.report.rows_kept == 2


def test_mapping_renames_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Ward,Period,Kind,Total\nE05000001,01/03/2024,Noise,7\n")
    data = read_area_counts(path, source="council", mapping={
        "area_code": "Ward", "month": "Period", "category": "Kind", "count": "Total"}).data
    assert str(data.loc[0, schema.MONTH]) == "2024-03"
    assert data.loc[0, "count"] == 7


def test_year_month_parquet_layout(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "lsoa_code": ["E01000001", "E01000001", "E01000002"],
        "lsoa_name": ["City of London 001A"] * 2 + ["City of London 001B"],
        "borough": ["City of London"] * 3,
        "category": ["Burglary", "Drugs", "other-crime"],
        "year": [2024, 2024, 2010], "month": [1, 12, 6], "crime_count": [2, 5, 40]})
    path = tmp_path / "snap.parquet"
    frame.to_parquet(path)
    result = read_area_counts(path)
    data = result.data
    assert data[schema.MONTH].astype(str).tolist() == ["2024-01", "2024-12", "2010-06"]
    assert data["area_name"].tolist() == frame["lsoa_name"].tolist()
    assert data["count"].sum() == 47
    assert any("other-crime" in n for n in result.report.notes)


def test_bad_year_month_and_missing_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"lsoa_code": ["E01000001"] * 2, "category": ["Drugs"] * 2,
                          "year": [2024, 2024], "month": [13, 2], "crime_count": [1, 1]})
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(SchemaError) as info:
        read_area_counts(tmp_path / "bad.parquet")
    assert [p.row for p in info.value.problems] == [1]
    (tmp_path / "x.csv").write_text("area,when\nE05000001,2024-01\n")
    with pytest.raises(SchemaError) as info:
        read_area_counts(tmp_path / "x.csv")
    assert {p.column for p in info.value.problems} == {"area_code", "month", "category",
                                                        "count"}
