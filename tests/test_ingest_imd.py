"""read_imd: MHCLG File 7 / GLA column names and plain contract names."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.errors import SchemaError
from geosoc.ingest import read_imd

FILE7 = ("LSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Score,"
         "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
         "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),"
         "Income Score (rate),Total population: mid 2015 (excluding prisoners)")


def test_file7_layout(tmp_path: Path) -> None:
    path = tmp_path / "imd.csv"
    path.write_text(FILE7 + "\nE01000001,City of London 001A,6.208,29199,9,0.007,\"1,296\"\n")
    data = read_imd(path).data
    assert data.index.name == "lsoa_code"
    row = data.loc["E01000001"]
    assert (row["imd_score"], row["imd_rank"], row["imd_decile"]) == (6.208, 29199, 9)
    assert row["population"] == 1296
    assert str(data["imd_rank"].dtype) == "int64"


def test_plain_columns_and_bad_decile(tmp_path: Path) -> None:
    path = tmp_path / "imd.csv"
    path.write_text("lsoa_code,imd_score,imd_rank,imd_decile\nE01000001,6.2,29199,9\n"
                    "E01000002,5.1,30379,11\n")
    with pytest.raises(SchemaError) as info:
        read_imd(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (3, "imd_decile")


def test_not_an_imd_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SchemaError, match="not an IMD file"):
        read_imd(path)
