"""Population files in ONS and common column names; areas missing read "not known"."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_force_data import (
    WARD_CODES,
    write_population_xlsx,
    write_ward_gpkg_plain,
    write_ward_population_xlsx,
)

from geosoc.aggregate.rates import with_rates
from geosoc.cli import main
from geosoc.errors import SchemaError
from geosoc.ingest import read_population
from geosoc.ingest.population import population_gaps

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("header", "kind"), [
    ("gss_code,ward,population", "ward"),
    ("ward_code,ward_name,population", "ward"),
    ("WD22CD,WD22NM,Total", "ward"),
    ("area_code,name,population", "ward"),
    ("LSOA21CD,LSOA21NM,All Ages", "lsoa"),
    ("LSOA11CD,LSOA11NM,population", "lsoa"),
    ("code,name,usual residents", "lsoa"),
    ("geography code,geography,All usual residents", "ward"),
])
def test_common_column_names_are_detected(tmp_path: Path, header: str, kind: str) -> None:
    prefix = "E05" if kind == "ward" else "E01"
    path = _csv(tmp_path / "pop.csv", header, [f"{prefix}000001,A,1200", f"{prefix}000002,B,900"])
    result = read_population(path)
    assert result.data["kind"].unique().tolist() == [kind]
    assert result.data["population"].tolist() == [1200, 900]


def test_the_ons_ward_workbook_reads(tmp_path: Path) -> None:
    result = read_population(write_ward_population_xlsx(tmp_path / "w.xlsx"))
    assert result.data.index.tolist() == list(WARD_CODES[:3])
    assert set(result.data["kind"]) == {"ward"}
    assert any("gss_code" in n and "ward codes" in n for n in result.report.notes)


def test_the_suggested_fix_works(tmp_path: Path) -> None:
    path = _csv(tmp_path / "pop.csv", "zone,people", ["E05000001,1200"])
    with pytest.raises(SchemaError) as err:
        read_population(path)
    fix = err.value.problems[0].fix
    code_name, total_name = re.search(r"code column (\w+) .*residents column (\w+)", fix).groups()
    _csv(path, f"{code_name},{total_name}", ["E05000001,1200"])  # follow the fix literally
    assert read_population(path).data.loc["E05000001", "population"] == 1200


def test_a_multi_year_file_keeps_the_latest_past_year(tmp_path: Path) -> None:
    path = tmp_path / "gla.csv.gz"
    rows = [f"E05000001,Borough,Park,{y},{1000 + y - 2011}" for y in (2011, 2021, 2050)]
    path.write_bytes(gzip.compress(("Code,Borough,Ward_Name,Year,Population\n"
                                    + "\n".join(rows) + "\n").encode()))
    result = read_population(path)
    assert result.data.loc["E05000001", "population"] == 1010  # 2021, not the 2050 projection
    assert any("read 2021" in n for n in result.report.notes)


def test_missing_wards_read_population_not_known() -> None:
    areas = pd.DataFrame({"count": [10.0, 3.0]}, index=pd.Index(["E05000001", "E05000009"]))
    out = with_rates(areas, pd.Series({"E05000001": 2500}))
    assert np.isnan(out.loc["E05000009", "population"])
    assert not out.loc["E05000009", "small_population"]  # not "under 100 residents"
    pop = pd.DataFrame({"population": [2500], "kind": "ward"},
                       index=pd.Index(["E05000001"], name="area_code"))
    gap = population_gaps(pop, areas, "ward")
    assert gap.startswith("1 of 2 wards have no population") and "E05000009" in gap
    assert population_gaps(pop, areas.iloc[:1], "ward") is None


def test_ingest_warns_how_many_wards_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GEOSOC_USER", "ana")
    ws = str(tmp_path / "chb.sqlite")
    assert main(["workspace", "init", "--workspace", ws, "--name", "T"]) == 0
    wards = write_ward_gpkg_plain(tmp_path / "wards.gpkg")
    assert main(["ingest", str(wards), "--kind", "boundaries", "--workspace", ws,
                 "--name", "wards"]) == 0
    capsys.readouterr()
    book = write_ward_population_xlsx(tmp_path / "w.xlsx")
    assert main(["ingest", str(book), "--kind", "population", "--workspace", ws,
                 "--name", "population"]) == 0
    out, err = capsys.readouterr()
    assert "1 of 4 wards have no population in this file" in err
    assert WARD_CODES[3] in err and "population not known" in out


def test_the_lsoa_workbook_still_reads(tmp_path: Path) -> None:
    result = read_population(write_population_xlsx(tmp_path / "l.xlsx"))
    assert len(result.data) == 3 and set(result.data["kind"]) == {"lsoa"}


@pytest.mark.skipif(not (SHARED / "city-of-london").is_dir(),
                    reason="real data not found at ../shared/data")
def test_the_real_gla_ward_population_file() -> None:
    result = read_population(SHARED / "city-of-london" / "population" / "london_ward_pop.csv.gz")
    assert len(result.data) == 624 and set(result.data["kind"]) == {"ward"}
