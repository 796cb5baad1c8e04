"""Safe archive unpacking and text sniffing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from geosoc.errors import InputFileError
from geosoc.ingest.archives import extract_zip, local_input


def test_extract_zip_writes_members_and_local_input_cleans_up(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2024-01/x.csv", "a,b\n1,2\n")
        z.writestr("2024-02/", "")
    out = tmp_path / "out"
    out.mkdir()
    assert extract_zip(archive, out) == [out / "2024-01" / "x.csv"]
    with local_input(archive) as root:
        assert (root / "2024-01" / "x.csv").read_text() == "a,b\n1,2\n"
    assert not root.exists()


def test_total_unpacked_bytes_are_capped(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("x.csv", "a" * 5000)
        z.writestr("y.csv", "b" * 5000)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputFileError, match="unpack to 10,000 bytes"):
        extract_zip(archive, out, max_bytes=8000)


@pytest.mark.parametrize("name", ["/etc/evil.csv", "a/../../evil.csv", "C:\\evil.csv"])
def test_unsafe_member_names(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo(name), "x")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputFileError, match="path traversal"):
        extract_zip(archive, out)
    assert list(out.iterdir()) == []


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.zip"
    path.write_text("hello")
    with pytest.raises(InputFileError, match="not a readable zip"), local_input(path):
        pass


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"), local_input(tmp_path / "no"):
        pass


HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


def _big_police_csv(path: Path, last_line: str = "") -> Path:
    """A police.uk CSV over the pyarrow threshold (1 MiB), Windows-1252 with a BOM-free head."""
    row = ("abc,2024-01,City of London Police,City of London Police,-0.09,51.51,"
           "On or near Caf\u00e9 Street,E01000001,City of London 001A,Drugs,,")
    lines = [HEADER] + [row.replace("abc", f"id{i}") for i in range(9_000)]
    text = "\n".join(lines) + "\n" + last_line
    path.write_bytes(text.encode("cp1252"))
    assert path.stat().st_size > 1024**2
    return path


def test_large_cp1252_file_uses_the_fast_path_and_notes_encoding(tmp_path: Path) -> None:
    from geosoc.ingest import read_policeuk

    result = read_policeuk(_big_police_csv(tmp_path / "big.csv"))
    assert result.report.rows_kept == 9_000
    assert result.data.loc[0, "location"] == "On or near Caf\u00e9 Street"
    assert any("Windows-1252" in n for n in result.report.notes)


def test_large_file_ragged_row_names_the_line(tmp_path: Path) -> None:
    from geosoc.ingest import read_policeuk

    path = _big_police_csv(tmp_path / "big.csv", last_line=",".join("x" * 14) + "\n")
    with pytest.raises(InputFileError) as info:
        read_policeuk(path)
    assert info.value.problems[0].row == 9_002
