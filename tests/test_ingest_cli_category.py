"""``geosoc ingest --kind points`` without a category names the command-line flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.cli import main


def test_points_without_category_name_the_cli_flags(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "fire.csv"
    path.write_text("when,x,y\n2024-01-02,-0.1,51.5\n")
    assert main(["ingest", str(path), "--kind", "points", "--date", "when", "--lon", "x",
                 "--lat", "y", "--source", "fire"]) == 2
    err = capsys.readouterr().err
    assert "--category" in err and "--category-value" in err
    assert str(path) in err
