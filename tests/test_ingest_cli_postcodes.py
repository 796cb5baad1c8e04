"""``geosoc ingest --kind points --postcode``: the error names the command-line fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.cli import main


def test_postcode_points_without_postcode_file_name_the_cli_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "ae.csv"
    path.write_text("pc,when\nEC4M 7AN,2024-01-02\n")
    assert main(["ingest", str(path), "--kind", "points", "--postcode", "pc",
                 "--date", "when", "--source", "health_ae",
                 "--category-value", "Assault attendance"]) == 2
    err = capsys.readouterr().err
    assert "--postcodes PATH" in err
    assert str(path) in err
    assert "read_postcodes" not in err
