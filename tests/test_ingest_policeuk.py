"""read_policeuk on small synthetic police.uk files built in tmp_path."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from geosoc import schema
from geosoc.ingest import read_policeuk

HEADER = ",".join(schema.POLICEUK_COLUMNS)


def row(crime_id: str, month: str, lon: str, lat: str, crime_type: str, lsoa: str = "E01000001",
        outcome: str = "Under investigation") -> str:
    return (f"{crime_id},{month},City of London Police,City of London Police,{lon},{lat},"
            f"On or near Cheapside,{lsoa},City of London 001A,{crime_type},{outcome},")


def month_file(root: Path, month: str, rows: list[str]) -> Path:
    folder = root / month
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month}-city-of-london-street.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def download(tmp_path: Path) -> Path:
    """Two months: 3 + 3 rows; one ASB, one no-location, one in France (snapped far away)."""
    root = tmp_path / "police"
    month_file(root, "2024-01", [
        row("a1", "2024-01", "-0.0930", "51.5140", "Burglary"),
        row("", "2024-01", "-0.0931", "51.5141", "Anti-social behaviour", outcome=""),
        row("a3", "2024-01", "", "", "Drugs", lsoa=""),
    ])
    month_file(root, "2024-02", [
        row("b1", "2024-02", "-0.0932", "51.5142", "Shoplifting"),
        row("b2", "2024-02", "2.3500", "48.8500", "Robbery"),
        row("b3", "2024-02", "-3.0000", "53.4000", "Vehicle crime"),
    ])
    (root / "2024-02" / "2024-02-city-of-london-outcomes.csv").write_text("x\n1\n")
    return root


def test_folder_months_are_merged_with_contract_columns(download: Path) -> None:
    result = read_policeuk(download)
    data, report = result.data, result.report
    assert list(data.columns[:6]) == list(schema.INCIDENT_COLUMNS)
    schema.validate_incidents(data)
    assert isinstance(data.index, pd.RangeIndex)
    assert data[schema.MONTH].astype(str).tolist() == ["2024-01", "2024-01", "2024-02",
                                                       "2024-02"]
    assert data[schema.INCIDENT_ID].tolist() == ["a1", "", "b1", "b3"]
    assert (data[schema.SOURCE] == "police").all()
    assert data.loc[0, "lsoa_code"] == "E01000001"
    assert data.loc[0, "outcome"] == "Under investigation"
    assert data.geometry.x.tolist() == pytest.approx(data[schema.LON].tolist())
    assert (report.rows_read, report.rows_kept) == (6, 4)
    assert report.dropped == {"no location": 1, "outside the UK": 1}
    assert any("outside the UK" in n for n in report.notes)
    assert any("skipped 1 non-street CSV" in n for n in report.notes)
    assert any("more than 50 km" in n for n in report.notes)


def test_asb_rows_are_kept_without_crime_id(download: Path) -> None:
    data = read_policeuk(download).data
    asb = data[data[schema.CATEGORY] == "Anti-social behaviour"]
    assert asb[schema.INCIDENT_ID].tolist() == [""]


def test_zip_of_a_download_reads_like_the_folder(download: Path, tmp_path: Path) -> None:
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in download.rglob("*.csv"):
            z.write(path, path.relative_to(download).as_posix())
    from_zip = read_policeuk(archive).data
    from_folder = read_policeuk(download).data
    pd.testing.assert_frame_equal(pd.DataFrame(from_zip.drop(columns="geometry")),
                                  pd.DataFrame(from_folder.drop(columns="geometry")))


def test_single_file_and_repeated_ids_within_a_month(tmp_path: Path) -> None:
    path = month_file(tmp_path, "2024-03", [
        row("same", "2024-03", "-0.0930", "51.5140", "Drugs"),
        row("same", "2024-03", "-0.0940", "51.5150", "Drugs", outcome="Local resolution"),
    ])
    result = read_policeuk(path)
    assert len(result.data) == 2
    assert any("share a Crime ID" in n for n in result.report.notes)


def test_windows_1252_file_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "2024-04-x-street.csv"
    text = HEADER + "\n" + row("c1", "2024-04", "-0.09", "51.51", "Drugs").replace(
        "Cheapside", "Caf\u00e9 Street") + "\n"
    path.write_bytes(text.encode("cp1252"))
    result = read_policeuk(path)
    assert result.data.loc[0, "location"] == "On or near Caf\u00e9 Street"
    assert any("Windows-1252" in n for n in result.report.notes)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\n" + row("d1", "2024-05", "-0.09", "51.51",
                                                      "Drugs") + "\n").encode("utf-8"))
    assert read_policeuk(path).data.loc[0, schema.INCIDENT_ID] == "d1"


def test_input_file_is_not_modified(download: Path) -> None:
    before = {p: p.read_bytes() for p in download.rglob("*.csv")}
    read_policeuk(download)
    assert before == {p: p.read_bytes() for p in download.rglob("*.csv")}


def test_report_round_trips_to_dict_and_summary(download: Path) -> None:
    report = read_policeuk(download).report
    as_dict = report.to_dict()
    assert as_dict["kind"] == "policeuk"
    assert as_dict["dropped"]["no location"] == 1
    summary = report.summary()
    assert "6 rows read, 4 kept" in summary
    assert "dropped 1: no location" in summary
