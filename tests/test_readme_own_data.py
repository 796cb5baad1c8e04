"""Every command of the README's "Your own force's data" block runs on files of those layouts.

The block is parsed from README.md (continuation lines joined, ``$G`` replaced by the
``geosoc`` entry point) and each command is run, in order, in a folder holding small synthetic
files in the same layouts (:mod:`own_force_data`): a police.uk download, a tab-separated
reduced extract with lower-case columns, EPSG:27700 wards with arbitrary column names, a
WD13-era GeoJSON, Code-Point Open without a header, an ONS population workbook.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from own_force_data import write_all

from geosoc.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[list[str]]:
    """Return the argument lists of the ``$G ...`` lines of the own-data section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your own force's data", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    joined = block.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$G "):
            commands.append(shlex.split(line, comments=True)[1:])
    return commands


def test_the_section_covers_every_layout() -> None:
    text = " ".join(" ".join(c) for c in readme_commands())
    for fragment in ("--kind policeuk", "--delimiter tab", "wards_27700.gpkg", "--code-field",
                     "wards_2013.geojson", "codepo/", "--kind postcodes", ".xlsx",
                     "workspace backup", "workspace restore", "police-2023-2025/",
                     ".csv.gz", "--crime-type", "ward_population_2022.xlsx",
                     "profile police-2023-2025/", "profile asb_points_2025.csv",
                     "profile 2025-q2-northtown-street.csv.gz"):
        assert fragment in text, fragment


def test_every_readme_command_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_all(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GEOSOC_USER", "ana")
    printed = {}
    for args in readme_commands():
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 0, f"geosoc {' '.join(args)} exited {code}:\n{out}\n{err}"
        printed[" ".join(args[:2])] = out + err
    assert ("kept and counted 12: Crime ID also listed in another month"
            in printed["ingest police-2023-2025/"])
    assert "gzip-compressed" in printed["ingest 2025-q2-northtown-street.csv.gz"]
    assert "200 rows read, 200 kept" in printed["ingest asb_points_2025.csv"]
    assert ("1 of 4 wards have no population in this file"
            in printed["ingest ward_population_2022.xlsx"])
    assert "540 incidents" in printed["profile police-2023-2025/"]
    summary = json.loads((tmp_path / "profile" / "summary.json").read_text())
    assert summary["title"] == "Northtown CHB 2026: locality profile"
    assert summary["rows"]["rows_read"] > 0 and not summary["demo"]
    assert (tmp_path / "restored" / "chb.datasets").is_dir()
    page = (tmp_path / "alder.html").read_text()
    assert "Northtown CHB 2026" in page and "Site: Alder" in page
