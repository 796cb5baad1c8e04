"""Point 6 of issue 15: a workspace (database + dataset folder) backs up to one archive,
restores only when verified, never overwrites silently, and both steps are audited."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from own_force_data import write_wards_gpkg

from geosoc.cli import main
from geosoc.errors import WorkspaceError
from geosoc.ingest import read_boundaries
from geosoc.workspace import Workspace
from geosoc.workspace.backup import backup_workspace, restore_workspace, verify_archive
from geosoc.workspace.dataset_store import load_areas, store_dataset
from geosoc.workspace.study_name import set_study_name, study_name


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "chb.sqlite"
    wards = read_boundaries(write_wards_gpkg(tmp_path / "w.gpkg"), kind="ward",
                            code_field="ward_ref", name_field="ward_label")
    with Workspace.open(path) as ws:
        set_study_name(ws, "Northtown CHB 2026", user="ana", role="analyst")
        store_dataset(ws, wards, name="wards", kind="boundaries", user="ana", role="analyst")
    return path


def test_round_trip_keeps_datasets_and_audits_both_steps(workspace: Path, tmp_path: Path
                                                         ) -> None:
    archive = tmp_path / "backup.zip"
    manifest = backup_workspace(workspace, archive, user="ana", role="analyst")
    assert set(manifest["files"]) == {"workspace.sqlite"} | {
        n for n in manifest["files"] if n.startswith("datasets/")}
    assert len(manifest["files"]) == 2
    with zipfile.ZipFile(archive) as zf:
        assert "manifest.json" in zf.namelist()
    target = tmp_path / "elsewhere" / "copy.sqlite"
    result = restore_workspace(archive, target, user="ana")
    assert result["files"] == 2 and not result["set_aside"]
    with Workspace.open(target, create=False) as ws:
        assert sorted(load_areas(ws, "ward").index) == ["E05900001", "E05900002",
                                                        "E05900003", "E05900004"]
        assert study_name(ws) == "Northtown CHB 2026"
        actions = ws.audit_log(role="analyst")["action"].tolist()
        assert ws.verify_audit_chain().ok
    assert actions[-2:] == ["workspace.backup", "workspace.restore"]


def test_a_corrupted_archive_is_refused(workspace: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    backup_workspace(workspace, archive, user="ana", role="analyst")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("datasets/"):
                data = data[:-10] + b"x" * 10
            dst.writestr(info, data)
    with pytest.raises(WorkspaceError, match="SHA-256"):
        verify_archive(tampered)
    target = tmp_path / "r.sqlite"
    with pytest.raises(WorkspaceError):
        restore_workspace(tampered, target, user="ana")
    assert not target.exists() and not (tmp_path / "r.datasets").exists()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(WorkspaceError):
        verify_archive(truncated)


def test_restore_never_overwrites_silently(workspace: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "backup.zip"
    assert main(["workspace", "backup", "--workspace", str(workspace), "--out", str(archive),
                 "--user", "ana", "--json"]) == 0
    capsys.readouterr()
    assert main(["workspace", "backup", "--workspace", str(workspace), "--out", str(archive),
                 "--json"]) == 2  # the archive exists
    assert "--overwrite" in capsys.readouterr().out
    before = workspace.read_bytes()
    assert main(["workspace", "restore", str(archive), "--workspace", str(workspace),
                 "--json"]) == 2
    assert "--replace" in capsys.readouterr().out and workspace.read_bytes() == before
    assert main(["workspace", "restore", str(archive), "--workspace", str(workspace),
                 "--replace", "--user", "ana", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["set_aside"]) == 2
    assert all(Path(p).exists() for p in result["set_aside"])


def test_init_stores_the_study_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    path = tmp_path / "new.sqlite"
    assert main(["workspace", "init", "--workspace", str(path), "--name",
                 "  Eastfield   CHB ", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Eastfield CHB"
    assert main(["workspace", "init", "--workspace", str(path), "--name", " ", "--json"]) == 2
    assert "--name" in capsys.readouterr().out
