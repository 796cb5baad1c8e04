"""The versioned asset register: add, edit, retire, history, conflicts, roles, atomic import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from geosoc.assets.files import read_assets, validate_assets
from geosoc.errors import AccessDeniedError, ConflictError, SchemaError, WorkspaceError
from geosoc.workspace import Workspace

HUB = {"name": "Hub", "category": "youth", "sector": "voluntary", "lon": -0.09, "lat": 51.515,
       "contact": "0207 000 0000"}


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws.sqlite",
                        clock=lambda: datetime(2025, 5, 1, tzinfo=UTC)) as workspace:
        yield workspace


def test_add_edit_retire_keep_every_version(ws: Workspace) -> None:
    first = ws.assets.add(HUB, user="ana", role="analyst")
    assert (first["version"], first["category"], first["status"]) == (1, "youth", "active")
    second = ws.assets.edit(first["asset_id"], {"opening_times": "Mon 6-9pm"},
                            expected_version=1, user="pat", role="partner")
    assert (second["version"], second["updated_by"]) == (2, "pat")
    third = ws.assets.retire(first["asset_id"], expected_version=2, user="pat",
                             role="partner", reason="closed")
    assert (third["version"], third["status"]) == (3, "retired")
    history = ws.assets.history(first["asset_id"])
    assert history["version"].tolist() == [1, 2, 3]
    assert history["change"].tolist() == ["add", "edit", "retire"]
    assert history["opening_times"].tolist() == ["", "Mon 6-9pm", "Mon 6-9pm"]
    assert ws.assets.frame().empty
    assert len(ws.assets.frame(include_retired=True)) == 1
    log = ws.audit_log(role="analyst")
    assert log["action"].tolist() == ["asset.add", "asset.edit", "asset.retire"]
    assert log["details"].iloc[2] == {"version": 3, "reason": "closed"}
    assert ws.verify_audit_chain().ok


def test_an_edit_that_changes_nothing_makes_no_version(ws: Workspace) -> None:
    asset = ws.assets.add(HUB, user="ana", role="analyst")
    same = ws.assets.edit(asset["asset_id"], {"name": "Hub", "lon": -0.09},
                          expected_version=1, user="pat", role="partner")
    assert same["version"] == 1 and same["updated_by"] == "ana"
    assert ws.assets.history(asset["asset_id"])["version"].tolist() == [1]


def test_stale_edit_names_the_current_version_and_editor(ws: Workspace) -> None:
    asset = ws.assets.add(HUB, user="ana", role="analyst")
    ws.assets.edit(asset["asset_id"], {"name": "Hub 2"}, expected_version=1, user="pat",
                   role="partner")
    with pytest.raises(ConflictError) as err:
        ws.assets.edit(asset["asset_id"], {"name": "Mine"}, expected_version=1, user="ana",
                       role="analyst")
    assert "version 2" in str(err.value) and "changed by pat" in str(err.value)
    assert ws.assets.get(asset["asset_id"])["name"] == "Hub 2"
    with pytest.raises(ConflictError):
        ws.assets.retire(asset["asset_id"], expected_version=1, user="ana", role="analyst")


def test_edits_are_validated_and_limited_to_record_fields(ws: Workspace) -> None:
    asset = ws.assets.add(HUB, user="ana", role="analyst")
    with pytest.raises(SchemaError, match="category"):
        ws.assets.edit(asset["asset_id"], {"category": "spaceport"}, expected_version=1,
                       user="ana", role="analyst")
    with pytest.raises(SchemaError, match="editable"):
        ws.assets.edit(asset["asset_id"], {"version": 9, "updated_by": "x"},
                       expected_version=1, user="ana", role="analyst")
    with pytest.raises(SchemaError, match="outside the UK"):
        ws.assets.edit(asset["asset_id"], {"lon": 2.35, "lat": 48.85}, expected_version=1,
                       user="ana", role="analyst")
    assert ws.assets.get(asset["asset_id"])["version"] == 1
    assert ws.assets.history(asset["asset_id"])["version"].tolist() == [1]


def test_changing_the_postcode_moves_the_asset(ws: Workspace) -> None:
    postcodes = pd.DataFrame({"postcode": ["EC1A 1BB", "E1 6AN"], "lon": [-0.0977, -0.0729],
                              "lat": [51.5202, 51.5168]})
    asset = ws.assets.add({"name": "Food bank", "category": "food", "postcode": "EC1A 1BB"},
                          user="ana", role="analyst", postcodes=postcodes)
    assert (asset["lon"], asset["lat"]) == (-0.0977, 51.5202)
    moved = ws.assets.edit(asset["asset_id"], {"postcode": "e16an"}, expected_version=1,
                           user="ana", role="analyst", postcodes=postcodes)
    assert (moved["postcode"], moved["lon"], moved["lat"]) == ("E1 6AN", -0.0729, 51.5168)


def test_public_role_may_not_write(ws: Workspace) -> None:
    asset = ws.assets.add(HUB, user="ana", role="analyst")
    with pytest.raises(AccessDeniedError):
        ws.assets.add(HUB, user="anon", role="public")
    with pytest.raises(AccessDeniedError):
        ws.assets.edit(asset["asset_id"], {"name": "x"}, expected_version=1, user="anon",
                       role="public")
    with pytest.raises(AccessDeniedError):
        ws.assets.retire(asset["asset_id"], expected_version=1, user="anon", role="public")
    with pytest.raises(AccessDeniedError):
        ws.assets.import_frame(validate_assets(pd.DataFrame([HUB])), user="anon",
                               role="public", source="x")
    assert len(ws.assets.frame()) == 1


def test_a_file_with_one_bad_row_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    ws.assets.add(HUB, user="ana", role="analyst")
    before = ws.assets.frame(include_retired=True)
    log_before = len(ws.audit_log(role="analyst"))
    rows = "\n".join(f"Asset {i},sport,-0.1,51.5" for i in range(50))
    path = tmp_path / "bad.csv"
    path.write_text(f"name,category,lon,lat\n{rows}\nBroken,sport,-0.1,95\n")
    with pytest.raises(SchemaError) as err:
        ws.assets.import_frame(read_assets(path), user="ana", role="analyst", source="bad")
    assert [(p.row, p.column) for p in err.value.problems] == [(52, "lon")]
    pd.testing.assert_frame_equal(ws.assets.frame(include_retired=True), before)
    assert len(ws.audit_log(role="analyst")) == log_before


def test_an_import_failing_inside_the_database_rolls_back(ws: Workspace) -> None:
    existing = ws.assets.add(HUB, user="ana", role="analyst")
    batch = validate_assets(pd.DataFrame([{**HUB, "name": f"New {i}"} for i in range(20)]))
    batch.loc[15, "asset_id"] = existing["asset_id"]  # collides with the register
    with pytest.raises(SchemaError, match="already"):
        ws.assets.import_frame(batch, user="ana", role="analyst", source="dup")
    assert ws.assets.frame()["name"].tolist() == ["Hub"]
    assert ws._conn.execute("SELECT COUNT(*) FROM asset_history").fetchone()[0] == 1


def test_unknown_assets_and_unvalidated_imports_are_refused(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="no asset"):
        ws.assets.get("00000000-0000-0000-0000-000000000000")
    with pytest.raises(WorkspaceError, match="no asset"):
        ws.assets.history("00000000-0000-0000-0000-000000000000")
    with pytest.raises(SchemaError, match="missing"):
        ws.assets.import_frame(pd.DataFrame({"name": ["x"]}), user="ana", role="analyst",
                               source="raw")


def test_two_handles_editing_one_asset_give_one_conflict(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with Workspace.open(path) as a, Workspace.open(path) as b:
        asset = a.assets.add(HUB, user="ana", role="analyst")
        seen_by_a = a.assets.get(asset["asset_id"])["version"]
        seen_by_b = b.assets.get(asset["asset_id"])["version"]
        a.assets.edit(asset["asset_id"], {"name": "A's"}, expected_version=seen_by_a,
                      user="ana", role="analyst")
        with pytest.raises(ConflictError, match="changed by ana"):
            b.assets.edit(asset["asset_id"], {"name": "B's"}, expected_version=seen_by_b,
                          user="pat", role="partner")
        assert b.assets.get(asset["asset_id"])["name"] == "A's"
        assert b.verify_audit_chain().ok
