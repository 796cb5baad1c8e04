"""Published police.uk downloads as they ship: IDs re-listed in later months, gzip/bzip2
files, reduced extracts without a crime type (fixtures in :mod:`own_force_data`)."""

from __future__ import annotations

import bz2
import gzip
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from own_force_data import (
    write_gzip_month,
    write_multi_year_download,
    write_points_extract,
)

from geosoc.cli import main
from geosoc.errors import ConfigError, InputFileError, SchemaError
from geosoc.ingest import read_points, read_policeuk
from geosoc.ingest.extracts import needs_crime_type
from geosoc.ingest.points import PointMapping
from geosoc.ingest.repeats import OTHER_MONTH, SAME_MONTH


def test_ids_relisted_in_later_months_are_kept_and_counted(tmp_path: Path) -> None:
    root = write_multi_year_download(tmp_path / "dl")
    result = read_policeuk(root)
    # 4 ids of 2023-01 are listed again in 2023-02 and one of them in 2023-03, -06, -10 and
    # 2024-09: 4 + 4 + 1 + 1 + 1 + 1 = 12 rows carry an id of another month
    assert result.report.counted[OTHER_MONTH] == 12
    assert result.report.rows_kept == result.report.rows_read == 36 * 15
    assert any("12 rows carry a Crime ID also listed in another month" in n
               and "2023-01, 2023-02, 2023-03, 2023-06, 2023-10, 2024-09" in n
               for n in result.report.notes)
    assert (result.data["incident_id"] == "2023-01-0000").sum() == 6


def test_a_month_copied_twice_is_still_refused(tmp_path: Path) -> None:
    root = write_multi_year_download(tmp_path / "dl", years=1)
    shutil.copytree(root / "2023-05", root / "2023-05 (1)")
    with pytest.raises(InputFileError, match="read twice") as err:
        read_policeuk(root)
    assert "2023-05 (1)" in str(err.value) and "byte-for-byte identical" in str(err.value)
    # the same month again, one row edited: the shared ids give it away
    copy = next((root / "2023-05 (1)").glob("*.csv"))
    copy.write_text(copy.read_text().replace("Northtown Police", "Northtown police"))
    with pytest.raises(SchemaError, match="same month") as err:
        read_policeuk(root)
    assert "2023-05-0000" in str(err.value)


@pytest.mark.parametrize("packer", ["gzip", "bz2"])
def test_compressed_files_are_read_everywhere(tmp_path: Path, packer: str) -> None:
    plain = write_points_extract(tmp_path / "extract.csv")
    squash = gzip.compress if packer == "gzip" else bz2.compress
    suffix = ".gz" if packer == "gzip" else ".bz2"
    packed = tmp_path / f"extract.csv{suffix}"
    packed.write_bytes(squash(plain.read_bytes()))
    a = read_policeuk(plain, crime_type="Anti-social behaviour").data
    b = read_policeuk(packed, crime_type="Anti-social behaviour")
    assert b.data.drop(columns="geometry").equals(a.drop(columns="geometry"))
    assert any("compressed" in n for n in b.report.notes)
    fires = read_points(packed, PointMapping(date="month", lon="longitude", lat="latitude",
                                             category_value="Deliberate fire"), source="fire")
    assert len(fires.data) == len(a)


def test_a_download_of_gzip_month_files_in_a_zip(tmp_path: Path) -> None:
    month = write_gzip_month(tmp_path / "2025-04-northtown-street.csv.gz")
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(month, "2025-04/2025-04-northtown-street.csv.gz")
        z.writestr("2025-04/2025-04-northtown-outcomes.csv", "Crime ID\n")
    result = read_policeuk(archive)
    assert result.report.rows_read == 120
    assert any("skipped 1 non-street" in n for n in result.report.notes)


def test_a_broken_gzip_file_is_named_with_the_fix(tmp_path: Path) -> None:
    month = write_gzip_month(tmp_path / "m.csv.gz")
    month.write_bytes(month.read_bytes()[:200])  # cut short
    with pytest.raises(InputFileError) as err:
        read_policeuk(month)
    text = str(err.value)
    assert "m.csv.gz" in text and "could not be decompressed" in text
    assert "download the file again" in text and "NUL" not in text


def test_a_problem_inside_a_gzip_file_names_the_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(gzip.compress(b"Month,Longitude,Latitude,Crime type\n"
                                   b"2025-01,-1.5,53.8,Burglary\n2025-13,-1.5,53.8,Burglary\n"))
    with pytest.raises(SchemaError) as err:
        read_policeuk(path)
    assert str(tmp_path / "bad.csv.gz") in str(err.value) and "row 3" in str(err.value)
    assert "geosoc-plain" not in str(err.value)


def test_a_reduced_extract_without_crime_type(tmp_path: Path) -> None:
    path = write_points_extract(tmp_path / "asb.csv")
    with pytest.raises(SchemaError) as err:
        read_policeuk(path)
    assert "--crime-type" in str(err.value) and "'Crime type' is missing" in str(err.value)
    result = read_policeuk(path, crime_type="anti-social BEHAVIOUR")
    assert set(result.data["category"]) == {"Anti-social behaviour"}
    assert result.report.rows_kept == 200
    assert result.data["location"].iloc[0] == "On or near High Street"
    with pytest.raises(ConfigError, match=r"not a police.uk crime type"):
        read_policeuk(path, crime_type="Knife crime")


def test_crime_type_refused_when_the_file_has_the_column(tmp_path: Path) -> None:
    month = write_gzip_month(tmp_path / "m.csv.gz")
    with pytest.raises(SchemaError, match="drop --crime-type"):
        read_policeuk(month, crime_type="Burglary")


def test_cli_ingest_and_profile_read_a_reduced_gzip_extract(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = write_points_extract(tmp_path / "asb.csv")
    packed = tmp_path / "asb.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert main(["ingest", str(packed), "--kind", "policeuk"]) == 2
    err = capsys.readouterr().err
    assert "--crime-type" in err
    assert main(["ingest", str(packed), "--kind", "policeuk", "--crime-type",
                 "Anti-social behaviour"]) == 0
    assert "200 rows read, 200 kept" in capsys.readouterr().out
    assert main(["profile", str(packed), "--crime-type", "Anti-social behaviour", "--out",
                 str(tmp_path / "p"), "--emerging", "none"]) == 0
    assert (tmp_path / "p" / "summary.json").is_file()


def test_two_forces_files_of_one_month_sharing_a_few_ids_are_kept(tmp_path: Path) -> None:
    root = write_multi_year_download(tmp_path / "dl", years=1)
    first = next((root / "2023-04").glob("*.csv"))
    other = pd.read_csv(first, dtype=str, keep_default_na=False)
    other["Crime ID"] = [f"n-{i}" if c else "" for i, c in enumerate(other["Crime ID"])]
    shared = other.index[other["Crime ID"] != ""][:1]
    other.loc[shared, "Crime ID"] = "2023-04-0000"  # one cross-border crime in both files
    if "2023-04-0000" not in set(pd.read_csv(first, dtype=str)["Crime ID"]):
        pytest.skip("the fixture's first id of 2023-04 is ASB")
    other["Falls within"] = "Southtown Police"
    other.to_csv(root / "2023-04" / "2023-04-southtown-street.csv", index=False)
    result = read_policeuk(root)
    assert result.report.counted[SAME_MONTH] == 2
    assert result.report.rows_kept == 12 * 15 + 15


def test_the_data_page_can_ask_whether_a_type_is_needed(tmp_path: Path) -> None:
    plain = write_points_extract(tmp_path / "asb.csv")
    packed = tmp_path / "asb.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert needs_crime_type(plain) and needs_crime_type(packed)
    assert not needs_crime_type(write_gzip_month(tmp_path / "m.csv.gz"))
    assert needs_crime_type(write_gzip_month(tmp_path / "n.csv.gz"), category="offence")
    assert not needs_crime_type(tmp_path)  # a folder: read_policeuk's error names crime_type
