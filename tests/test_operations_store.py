"""Operations in the workspace: one transaction per import, audited, role-aware, via the CLI too."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geosoc.cli import main
from geosoc.errors import AccessDeniedError, SchemaError
from geosoc.workspace import Workspace

PASSWORD = "correct horse battery staple"
NOW = datetime(2025, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ops.sqlite"
    with Workspace.open(path, clock=lambda: NOW) as ws:
        ws.users.create_user("ana", PASSWORD, "analyst")
        ws.users.create_user("pat", PASSWORD, "partner", by="ana")
        ws.users.create_user("pub", PASSWORD, "public", by="ana")
        ws.operations.set_agency("pat", "Council", by="ana", role="analyst")
        ws.sites.add("Site A", shapely.box(-2.11, 52.79, -2.09, 52.81), reason="test",
                     chosen_by="ana", chosen_on="2024-12-01", user="ana", role="analyst")
        ws.sites.set_phases("Site A", {"clear": ("2025-01", "2025-03"),
                                       "hold": ("2025-04", "2025-09"), "build": ("2025-10", None)},
                            user="ana", role="analyst")
    return path


def activity_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


GOOD = [
    {"activity_id": "P1", "date": "2025-01-20", "pillar": "pursue", "agency": "Police",
     "activity_type": "warrant", "outcome": "2 arrests", "notes": "OCG-12 address"},
    {"activity_id": "C1", "date": "2025-05-02", "pillar": "prevent", "agency": "Council",
     "activity_type": "youth diversion", "outcome": "15 engaged", "notes": "<b>council note</b>"},
]


def audit_size(path: Path) -> int:
    with Workspace.open(path) as ws:
        return len(ws.audit_log(role="analyst"))


def test_import_is_audited_and_a_bad_file_changes_nothing(workspace: Path) -> None:
    with Workspace.open(workspace, clock=lambda: NOW) as ws:
        ws.operations.import_activities("Site A", pd.DataFrame(GOOD), user="ana",
                                        role="analyst", source="log.csv")
        before = audit_size(workspace)
        bad = [dict(GOOD[0], activity_id="P2"), dict(GOOD[1], activity_id="C2",
                                                     pillar="enforce")]
        with pytest.raises(SchemaError) as err:
            ws.operations.import_activities("Site A", pd.DataFrame(bad), user="ana",
                                            role="analyst", source="bad.csv")
        assert [(p.file, p.row, p.column) for p in err.value.problems] == [
            ("bad.csv", 3, "pillar")]
        assert len(ws.operations.activities("Site A", user="ana", role="analyst")) == 2
    assert audit_size(workspace) == before
    with Workspace.open(workspace) as ws:
        log = ws.audit_log(role="analyst")
        assert "activity.import" in log["action"].tolist()
        assert ws.verify_audit_chain().ok


def test_partners_record_and_read_their_own_agency_only(workspace: Path) -> None:
    with Workspace.open(workspace, clock=lambda: NOW) as ws:
        with pytest.raises(AccessDeniedError):
            ws.operations.import_activities("Site A", pd.DataFrame(GOOD), user="pat",
                                            role="partner", source="x.csv")
        with pytest.raises(AccessDeniedError):
            ws.operations.import_activities("Site A", pd.DataFrame(GOOD[1:]), user="pub",
                                            role="public", source="x.csv")
        assert ws.operations.activities("Site A", user="ana", role="analyst").empty
        ws.operations.import_activities("Site A", pd.DataFrame(GOOD[1:]), user="pat",
                                        role="partner", source="council.csv")
        ws.operations.import_activities("Site A", pd.DataFrame(GOOD[:1]), user="ana",
                                        role="analyst", source="police.csv")
        partner = ws.operations.activities("Site A", user="pat", role="partner")
        assert partner.set_index("activity_id")["notes"].to_dict() == {
            "P1": "", "C1": "<b>council note</b>"}
        public = ws.operations.activities("Site A", user="pub", role="public")
        assert "notes" not in public.columns and "outcome" not in public.columns
        assert public["phase"].tolist() == ["clear", "hold"]


def test_morile_and_waves_are_stored_and_replaced(workspace: Path) -> None:
    with Workspace.open(workspace, clock=lambda: NOW) as ws:
        ws.operations.import_morile("Site A", pd.DataFrame(
            {"date": ["2024-10-01", "2025-06-01"], "score": ["400", "250"],
             "ocg_ref": ["OCG-1", "OCG-1"]}), user="ana", role="analyst", source="m.csv")
        assert ws.operations.morile("Site A")["score"].tolist() == [400.0, 250.0]
        with pytest.raises(AccessDeniedError):
            ws.operations.import_morile("Site A", pd.DataFrame({"date": ["2025-01-01"],
                                        "score": ["1"]}), user="pat", role="partner",
                                        source="m.csv")
        wave = pd.DataFrame({"wave": ["W1", "W1"], "question": ["safe?", "safe?"],
                             "response": ["yes", "no"], "respondents": ["40", "60"]})
        ws.operations.import_waves("Site A", wave, user="ana", role="analyst", source="w.csv")
        ws.operations.import_waves("Site A", wave.assign(respondents=["45", "55"]),
                                   user="ana", role="analyst", source="w2.csv")
        assert ws.operations.waves("Site A")["respondents"].tolist() == [45, 55]


def test_cli_import_list_export_and_refusal(workspace: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOSOC_USER", "ana")
    good = activity_csv(tmp_path / "log.csv", [dict(GOOD[0], notes="=HYPERLINK(1)"), GOOD[1]])
    base = ["--workspace", str(workspace), "--site", "Site A"]
    assert main(["activities", "import", str(good), *base]) == 0
    assert "imported 2 activities" in capsys.readouterr().out
    bad = activity_csv(tmp_path / "bad.csv", [dict(GOOD[0], activity_id="P9",
                                                   date="2031-01-01")])
    assert main(["activities", "import", str(bad), *base, "--json"]) == 2
    assert '"row": 2' in capsys.readouterr().out
    out = tmp_path / "export.csv"
    assert main(["activities", "export", *base, "--out", str(out), "--purpose", "review"]) == 0
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert exported.loc[0, "notes"] == "'=HYPERLINK(1)"
    assert not out.with_name("export.csv.partial").exists()
    assert not list(tmp_path.glob("*.partial"))
    waves = tmp_path / "waves.csv"
    pd.DataFrame({"wave": ["W1"] * 2 + ["W2"] * 2, "question": ["safe?"] * 4,
                  "response": ["yes", "no"] * 2, "respondents": [40, 160, 90, 110]}
                 ).to_csv(waves, index=False)
    assert main(["perception", "import", str(waves), *base]) == 0
    capsys.readouterr()
    assert main(["perception", "compare", "W1", "W2", *base, "--json"]) == 0
    assert "significant change" in capsys.readouterr().out


def test_an_old_workspace_is_migrated_with_empty_agencies(tmp_path: Path) -> None:
    import sqlite3

    from geosoc.workspace.migrations import MIGRATIONS

    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01')")
    conn.execute("INSERT INTO users VALUES ('old', 'partner', 'x', 0, NULL, '2025-01-01')")
    conn.commit()
    conn.close()
    with Workspace.open(path) as ws:
        assert ws.schema_version() == len(MIGRATIONS)
        assert ws.operations.agency_of("old") == ""


def test_a_location_is_snapped_to_a_zone_and_never_stored(workspace: Path) -> None:
    import sqlite3

    rows = [dict(GOOD[0], activity_id="L1", lon="-2.1", lat="52.8"),       # inside the site
            dict(GOOD[0], activity_id="L2", lon="-2.1", lat="52.8127"),    # ~300 m north
            dict(GOOD[0], activity_id="L3", lon="", lat="", zone="estate")]
    with Workspace.open(workspace, clock=lambda: NOW) as ws:
        ws.operations.import_activities("Site A", pd.DataFrame(rows), user="ana",
                                        role="analyst", source="located.csv")
        stored = ws.operations.activities("Site A", user="ana", role="analyst")
    assert stored.set_index("activity_id")["zone"].to_dict() == {
        "L1": "site", "L2": "ring 250-500 m", "L3": "estate"}
    columns = {r[1] for r in sqlite3.connect(workspace).execute("PRAGMA table_info(activities)")}
    assert not {"lon", "lat"} & columns


def test_cli_morile_hand_entry_uses_the_file_checks(workspace: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GEOSOC_USER", "ana")
    base = ["--workspace", str(workspace), "--site", "Site A"]
    assert main(["morile", "add", *base, "--date", "2025-03-01", "--score", "310",
                 "--ocg-ref", "OCG-7"]) == 0
    assert main(["morile", "add", *base, "--date", "2025-03-01", "--score", "1",
                 "--ocg-ref", "Joe Bloggs"]) == 2
    assert "opaque reference" in capsys.readouterr().err
    with Workspace.open(workspace) as ws:
        assert ws.operations.morile("Site A")["score"].tolist() == [310.0]


def test_cli_users_carry_an_agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "agency.sqlite")
    monkeypatch.setenv("GEOSOC_PASSWORD", PASSWORD)
    monkeypatch.setenv("GEOSOC_NEW_PASSWORD", PASSWORD)
    monkeypatch.setenv("GEOSOC_USER", "ana")
    assert main(["users", "add", "ana", "--role", "analyst", "--workspace", path]) == 0
    assert main(["users", "add", "pat", "--role", "partner", "--agency", "Council",
                 "--workspace", path]) == 0
    assert main(["users", "agency", "ana", "Demoford Police", "--workspace", path]) == 0
    monkeypatch.setenv("GEOSOC_USER", "pat")
    assert main(["users", "agency", "pat", "Housing", "--workspace", path]) == 2  # analysts only
    with Workspace.open(path) as ws:
        assert ws.operations.agency_of("pat") == "Council"
        assert ws.operations.agency_of("ana") == "Demoford Police"
