"""Activity types stored under another name are named on import, never mapped silently."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geosoc.cli import main
from geosoc.operations.activities import validate_activities
from geosoc.workspace import Workspace

NOW = datetime(2025, 12, 1, 12, tzinfo=UTC)
ROWS = [{"date": "2025-01-20", "pillar": "protect", "agency": "Council",
         "activity_type": "Target  hardening", "phase": "clear"},
        {"date": "2025-01-21", "pillar": "protect", "agency": "Council",
         "activity_type": "target hardening", "phase": "clear"},
        {"date": "2025-01-22", "pillar": "pursue", "agency": "Police",
         "activity_type": "warrant", "phase": "clear"},
        {"date": "2025-01-23", "pillar": "pursue", "agency": "Police",
         "activity_type": "charged", "phase": "clear"}]


def test_validate_says_what_it_mapped() -> None:
    out = validate_activities(pd.DataFrame(ROWS), today=date(2025, 12, 1))
    assert out["activity_type"].tolist() == ["environmental fix", "environmental fix",
                                             "warrant", "arrest"]
    assert out.attrs["mapped"] == ["'charged' stored as 'arrest' (1 row)",
                                   "'target hardening' stored as 'environmental fix' (2 rows)"]


def test_cli_import_prints_the_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ops.sqlite"
    with Workspace.open(path, clock=lambda: NOW) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.sites.add("Site A", shapely.box(-2.11, 52.79, -2.09, 52.81), reason="test",
                     chosen_by="ana", chosen_on="2024-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Site A", {"clear": ("2025-01", "2025-03")}, user="ana",
                            role="analyst")
    monkeypatch.setenv("GEOSOC_USER", "ana")
    log = tmp_path / "log.csv"
    pd.DataFrame(ROWS).drop(columns="phase").to_csv(log, index=False)
    assert main(["activities", "import", str(log), "--workspace", str(path),
                 "--site", "Site A"]) == 0
    out = capsys.readouterr().out
    assert "imported 4 activities for Site A" in out
    assert "activity type 'target hardening' stored as 'environmental fix' (2 rows)" in out
