"""``geosoc phases report`` says what it read, kept and left out (nothing silent)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geosoc.cli import main


def test_phase_report_accounts_for_every_row(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "phases"
    assert main(["phases", "report", "--demo", "--out", str(out), "--json"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["rows"]
    assert rows["rows_read"] > rows["rows_kept"] > 0
    reasons = {d["reason"] for d in rows["dropped"]}
    assert "not in the chosen sources" in reasons  # partner rows: --source police
    assert any("police-activity rows" in note for note in rows["notes"])
    drops = pd.read_csv(out / "drops.csv")
    assert drops["rows"].iloc[0] == rows["rows_read"]
    assert drops["rows"].iloc[-1] == rows["rows_kept"]
    assert drops["rows"].sum() == 2 * rows["rows_kept"]  # read - dropped = kept
    assert str(out / "drops.csv") in summary["files"]


def test_export_profile_accounts_for_its_rows(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "profile", "--demo", "--role", "partner", "--out",
                 str(tmp_path / "p.html"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows["rows_read"] > 40_000 and rows["rows_kept"] <= rows["rows_read"]
    assert main(["export", "profile", "--demo", "--role", "partner", "--out",
                 str(tmp_path / "q.html")]) == 0
    assert "rows read" in capsys.readouterr().out
