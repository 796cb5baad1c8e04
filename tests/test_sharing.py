"""Data-sharing records: widest role enforced by the loaders, retention, the ISA register.

Library and CLI on a real workspace holding the demo town's police.uk files and its A&E
extract (health data limited to analysts), read through the real ingest readers.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from geosoc.cli import main
from geosoc.errors import AccessDeniedError, WorkspaceError
from geosoc.ingest import read_boundaries, read_points, read_policeuk, read_postcodes
from geosoc.synth import writer
from geosoc.synth.demo import PARTNER_MAPPINGS, ensure_demo
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import (
    datasets_dir,
    hidden_datasets,
    list_datasets,
    load_dataset,
    load_incidents,
    store_dataset,
)
from geosoc.workspace.retention import apply_retention, delete_dataset
from geosoc.workspace.sharing import SharingRecord, allows
from geosoc.workspace.study import load_study

ANALYST = {"user": "ana", "role": "analyst"}
HEALTH_ONLY = "Assault - "  # categories only the A&E extract has


def terms(widest: str, delete_by: str = "2030-01-01", **extra: str) -> SharingRecord:
    return SharingRecord(owner_agency=extra.get("owner", "Demoford Police"),
                         isa_reference=extra.get("isa", "ISA-1"),
                         legal_basis="Crime and Disorder Act 1998 s115",
                         protective_marking="OFFICIAL-SENSITIVE", widest_role=widest,
                         delete_by=delete_by)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo"))


def build_workspace(demo: Path, path: Path, *, health_delete_by: str = "2030-01-01") -> Path:
    """Police (public), fire (partner), A&E (analyst only), wards; users ana and pat."""
    with Workspace.open(path) as ws:
        postcodes = read_postcodes(demo / writer.POSTCODE_FILE).data
        store_dataset(ws, read_policeuk(demo / writer.POLICE_DIR), name="police",
                      kind="incidents", sharing=terms("public"), **ANALYST)
        for source, widest, until in (("fire", "partner", "2030-01-01"),
                                      ("health_ae", "analyst", health_delete_by)):
            data = read_points(demo / writer.PARTNER_FILES[source], PARTNER_MAPPINGS[source],
                               source=source, postcodes=postcodes)
            store_dataset(ws, data, name=source, kind="incidents", **ANALYST,
                          sharing=terms(widest, until, owner=f"{source} owner",
                                        isa=f"ISA-{source}"))
        store_dataset(ws, read_boundaries(demo / writer.BOUNDARY_FILES["wards"], kind="ward"),
                      name="wards", kind="boundaries", **ANALYST)
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.users.create_user("pat", "correct horse battery staple", "partner", by="ana")
    return path


@pytest.fixture(scope="module")
def workspace(demo: Path, tmp_path_factory) -> Path:
    return build_workspace(demo, tmp_path_factory.mktemp("ws") / "chb.sqlite")


def test_role_order() -> None:
    assert allows("public", "partner") and allows("partner", "analyst")
    assert not allows("analyst", "partner") and not allows("partner", "public")
    assert not allows("public", "coordinator")  # an unknown role sees nothing


def test_record_is_checked_before_anything_is_stored(tmp_path: Path, demo: Path) -> None:
    with Workspace.open(tmp_path / "w.sqlite") as ws:
        bad = SharingRecord("Council", "ISA-1", "s115", "SECRET", "everyone", "31/12/2026")
        with pytest.raises(WorkspaceError) as err:
            store_dataset(ws, read_policeuk(demo / writer.POLICE_DIR), name="police",
                          kind="incidents", sharing=bad, **ANALYST)
        columns = {p.column for p in err.value.problems}
        assert columns == {"protective_marking", "widest_role", "delete_by"}
        assert ws.datasets.list().empty
        assert not datasets_dir(ws).exists() or not any(datasets_dir(ws).iterdir())
        with pytest.raises(WorkspaceError) as missing:
            SharingRecord.from_mapping({"owner_agency": "Council"})
        assert "isa_reference" in {p.column for p in missing.value.problems}


def test_loaders_leave_out_datasets_narrower_than_the_role(workspace: Path) -> None:
    with Workspace.open(workspace, create=False) as ws:
        everything = load_incidents(ws, role="analyst")
        partner = load_incidents(ws, role="partner")
        public = load_incidents(ws, role="public")
        study = load_study(ws, role="partner")
        assert hidden_datasets(ws, "partner") == ["health_ae"]
        assert hidden_datasets(ws, "public") == ["fire", "health_ae"]
    assert set(everything["source"]) == {"police", "fire", "health_ae"}
    assert set(partner["source"]) == {"police", "fire"}
    assert set(public["source"]) == {"police"}
    assert not partner["category"].str.startswith(HEALTH_ONLY).any()
    assert set(study.incidents["source"]) == {"police", "fire"}
    assert study.owners == {"police": "Demoford Police", "fire": "fire owner"}
    with Workspace.open(workspace, create=False) as ws, pytest.raises(WorkspaceError) as err:
        load_incidents(ws, role="public", sources=["health_ae"])
    assert "limited to narrower roles" in str(err.value.to_dict())


def test_list_shows_terms_beside_each_dataset(workspace: Path) -> None:
    with Workspace.open(workspace, create=False) as ws:
        listed = list_datasets(ws).set_index("name")
    assert listed.loc["health_ae", "widest_role"] == "analyst"
    assert listed.loc["fire", "owner_agency"] == "fire owner"
    assert listed.loc["wards", "widest_role"] == ""  # no record


def test_retention_deletes_file_and_row_and_audits(demo: Path, tmp_path: Path) -> None:
    path = build_workspace(demo, tmp_path / "ret.sqlite", health_delete_by="2025-06-30")
    with Workspace.open(path, create=False) as ws:
        stored = Path(str(ws.datasets.get("health_ae")["path"]))
        assert stored.is_file()
        assert apply_retention(ws, on=date(2025, 6, 29)) == []  # not yet
        deleted = apply_retention(ws, on=date(2025, 6, 30))
        assert [d["dataset"] for d in deleted] == ["health_ae"]
        assert not stored.exists()
        assert "health_ae" not in set(ws.datasets.list()["name"])
        assert not list(datasets_dir(ws).glob(".deleting-*"))
        with pytest.raises(WorkspaceError):
            load_dataset(ws, "health_ae")
        record = ws.sharing.get("health_ae")
        assert record["status"] == "deleted" and "2025-06-30" in record["deleted_reason"]
        log = ws.audit_log(role="analyst")
        entry = log[log["action"] == "dataset.delete"].iloc[-1]
        details = entry["details"]
        assert entry["target"] == "dataset:health_ae" and entry["who"] == "geosoc:retention"
        assert details["rows"] == 828 and details["file"] == stored.name
        assert "delete-by 2025-06-30" in details["reason"]
        assert ws.verify_audit_chain().ok
        assert set(load_incidents(ws, role="analyst")["source"]) == {"police", "fire"}
        assert apply_retention(ws, on=date(2025, 7, 1)) == []  # once only


def test_only_analysts_delete(workspace: Path) -> None:
    with Workspace.open(workspace, create=False) as ws, pytest.raises(AccessDeniedError):
        delete_dataset(ws, "fire", who="pat", role="partner", reason="tidy")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_retention_deletes_expired_and_says_so(demo: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = build_workspace(demo, tmp_path / "cli.sqlite", health_delete_by="2025-01-31")
    code, out, _ = run(["workspace", "retention", "--workspace", str(path), "--user", "ana",
                        "--on", "2025-02-01", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert [d["dataset"] for d in result["deleted"]] == ["health_ae"]
    code, out, _ = run(["datasets", "list", "--workspace", str(path), "--user", "ana",
                        "--json"], capsys)
    listed = {r["dataset"]: r for r in json.loads(out)}
    assert listed["health_ae"]["status"] == "deleted"
    assert listed["wards"]["status"] == "no sharing record"
    with Workspace.open(path, create=False) as ws:
        log = ws.audit_log(role="analyst")
    assert (log["action"] == "dataset.delete").sum() == 1
    assert log[log["action"] == "dataset.delete"].iloc[0]["who"] == "ana"
    code, _, err = run(["workspace", "retention", "--workspace", str(path), "--user", "pat"],
                       capsys)
    assert code == 2 and "analyst" in err


def test_cli_register_export_for_the_dpo(workspace: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "isa-register.csv"
    code, _, _ = run(["datasets", "register", "--workspace", str(workspace), "--user", "ana",
                      "--csv", str(out), "--purpose", "DPO quarterly review"], capsys)
    assert code == 0
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# OFFICIAL-SENSITIVE") and "geosoc-audit-anchor" in first
    table = pd.read_csv(out, skiprows=1).set_index("dataset")
    assert table.loc["health_ae", "widest_role"] == "analyst"
    assert table.loc["health_ae", "isa_reference"] == "ISA-health_ae"
    assert table.loc["police", "legal_basis"] == "Crime and Disorder Act 1998 s115"
    assert table.loc["wards", "status"] == "no sharing record"
    assert table.loc["fire", "rows"] == 842
    with Workspace.open(workspace, create=False) as ws:
        entry = ws.audit_log(role="analyst").iloc[-1]
    assert entry["action"] == "export.sharing_register" and entry["purpose"]
    code, _, err = run(["datasets", "register", "--workspace", str(workspace), "--user", "pat",
                        "--csv", str(tmp_path / "p.csv"), "--purpose", "x"], capsys)
    assert code == 2 and "analyst" in err and not (tmp_path / "p.csv").exists()


def test_cli_share_and_ingest_with_a_record(demo: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ingest.sqlite"
    fire = demo / writer.PARTNER_FILES["fire"]
    flags = ["--owner", "Demoshire Fire", "--isa", "ISA-9", "--legal-basis",
             "Crime and Disorder Act 1998 s115", "--marking", "OFFICIAL",
             "--widest-role", "analyst", "--delete-by", "2027-03-31"]
    code, _, err = run(["ingest", str(fire), "--kind", "points", "--date", "date", "--lon",
                        "lng", "--lat", "lat", "--category", "incident_type", "--source",
                        "fire", "--workspace", str(path), "--name", "fire",
                        "--owner", "Demoshire Fire"], capsys)
    assert code == 2 and "isa_reference" in err and not path.exists()
    code, _, _ = run(["ingest", str(fire), "--kind", "points", "--date", "date", "--lon",
                      "lng", "--lat", "lat", "--category", "incident_type", "--source", "fire",
                      "--workspace", str(path), "--name", "fire", *flags], capsys)
    assert code == 0
    with Workspace.open(path, create=False) as ws:
        assert ws.sharing.get("fire")["widest_role"] == "analyst"
        actions = ws.audit_log(role="analyst")["action"].tolist()
    assert actions[-2:] == ["dataset.load", "dataset.sharing"]
    records = tmp_path / "records.csv"
    records.write_text("dataset,owner_agency,isa_reference,legal_basis,protective_marking,"
                       "widest_role,delete_by\nfire,Demoshire Fire,ISA-9,s115,OFFICIAL,"
                       "partner,2027-03-31\nasb,Council,ISA-10,s115,OFFICIAL,all,2027\n")
    code, _, err = run(["datasets", "share", "--csv", str(records), "--workspace", str(path)],
                       capsys)
    assert code == 2 and "row 3" in err and "widest_role" in err, err
    with Workspace.open(path, create=False) as ws:
        assert ws.sharing.get("fire")["widest_role"] == "analyst"  # none were recorded


def test_cli_partner_never_gets_the_analyst_only_dataset(
        workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``export profile --role partner`` by an analyst, and ``profile`` by a partner user."""
    pack = tmp_path / "partner.html"
    code, _, err = run(["export", "profile", "--workspace", str(workspace), "--user", "ana",
                        "--role", "partner", "--purpose", "launch", "--out", str(pack),
                        "--resolution", "8"], capsys)
    assert code == 0, err
    html = pack.read_text(encoding="utf-8")
    assert "health_ae" not in html and HEALTH_ONLY not in html
    assert "fire" in html  # shared with partners: present
    folder = tmp_path / "partner-profile"
    code, _, err = run(["profile", "--workspace", str(workspace), "--user", "pat", "--out",
                      str(folder), "--format", "parquet", "--emerging", "none",
                      "--permutations", "0", "--purpose", "partner view"], capsys)
    assert code == 0
    import geopandas as gpd

    tables = [pd.DataFrame(gpd.read_parquet(p)).drop(columns="geometry", errors="ignore")
              for p in folder.rglob("*.parquet")]
    assert tables
    text = " ".join([" ".join(map(str, t.columns)) for t in tables]
                    + [t[c].astype(str).str.cat(sep=" ") for t in tables for c in t.columns
                       if t[c].dtype == object])
    assert "health_ae" not in text and HEALTH_ONLY not in text
    contribution = pd.read_csv(folder / "contribution.csv")
    assert contribution["source"].tolist() == ["police", "fire"]
    assert contribution["agency"].tolist() == ["Demoford Police", "fire owner"]


def test_deleted_dataset_drops_from_what_the_app_loads(demo: Path, tmp_path: Path) -> None:
    from geosoc.ui.study import load_workspace_study

    path = build_workspace(demo, tmp_path / "app.sqlite", health_delete_by="2024-01-01")
    assert "health_ae" in load_workspace_study(path).sources
    assert "health_ae" not in load_workspace_study(path, role="partner").sources
    with Workspace.open(path, create=False,
                        clock=lambda: datetime(2024, 1, 2, tzinfo=UTC)) as ws:
        apply_retention(ws)
    assert "health_ae" not in load_workspace_study(path).sources


def test_cli_partner_list_names_only_what_partners_may_see(
        workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["datasets", "list", "--workspace", str(workspace), "--user", "pat",
                        "--json"], capsys)
    assert code == 0
    assert {r["dataset"] for r in json.loads(out)} == {"police", "fire", "wards"}
    code, out, _ = run(["datasets", "list", "--workspace", str(workspace), "--user", "ana",
                        "--json"], capsys)
    listed = {r["dataset"]: r["you_may_see"] for r in json.loads(out)}
    assert listed == {"police": True, "fire": True, "health_ae": True, "wards": True}


def test_demo_records_keep_the_ae_data_from_partners(demo: Path) -> None:
    from geosoc.synth.demo import load_demo
    from geosoc.workspace.sharing import restrict_by_source

    town = load_demo(demo)
    assert set(town.sharing["dataset"]) == (set(town.incidents["source"])
                                            | set(town.area_counts["source"]))
    for role, expected in (("analyst", {"police", "council_asb", "fire", "health_ae"}),
                           ("partner", {"police", "council_asb", "fire"}),
                           ("public", {"police", "council_asb", "fire"})):
        kept = restrict_by_source(town.incidents, town.sharing, role)
        assert set(kept["source"]) == expected, role


def test_a_deleted_dataset_comes_back_only_under_new_terms(demo: Path, tmp_path: Path) -> None:
    path = build_workspace(demo, tmp_path / "again.sqlite", health_delete_by="2025-06-30")
    source = demo / writer.PARTNER_FILES["health_ae"]
    with Workspace.open(path, create=False) as ws:
        apply_retention(ws, on=date(2025, 7, 1))
        postcodes = read_postcodes(demo / writer.POSTCODE_FILE).data
        data = read_points(source, PARTNER_MAPPINGS["health_ae"], source="health_ae",
                           postcodes=postcodes)
        with pytest.raises(WorkspaceError) as err:
            store_dataset(ws, data, name="health_ae", kind="incidents", **ANALYST)
        assert "--widest-role" in err.value.problems[0].fix
        assert "health_ae" not in set(ws.datasets.list()["name"])
        store_dataset(ws, data, name="health_ae", kind="incidents", **ANALYST,
                      sharing=terms("analyst", "2027-06-30"))
        assert ws.sharing.get("health_ae")["status"] == "held"
        assert "health_ae" in hidden_datasets(ws, "partner")


def test_a_deletion_killed_half_way_is_settled_by_the_next_run(demo: Path,
                                                               tmp_path: Path) -> None:
    path = build_workspace(demo, tmp_path / "crash.sqlite", health_delete_by="2030-01-01")
    with Workspace.open(path, create=False) as ws:
        fire = Path(str(ws.datasets.get("fire")["path"]))
        parked = fire.with_name(".deleting-" + fire.name)
        fire.rename(parked)  # killed after parking the file, before the row went
        assert apply_retention(ws, on=date(2026, 1, 1)) == []
        assert fire.is_file() and not parked.exists()  # put back: the row still names it
        assert len(load_dataset(ws, "fire")) == 842
        stray = datasets_dir(ws) / ".deleting-gone-0123.parquet"
        stray.write_bytes(b"x")  # its row was deleted before the crash
        apply_retention(ws, on=date(2026, 1, 1))
        assert not stray.exists()


def test_a_workspace_from_before_sharing_records_migrates(tmp_path: Path, demo: Path) -> None:
    import sqlite3

    from geosoc.workspace.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    with Workspace.open(path) as ws:
        store_dataset(ws, read_policeuk(demo / writer.POLICE_DIR), name="police",
                      kind="incidents", **ANALYST)
    conn = sqlite3.connect(path)  # back to the schema before this migration
    conn.execute("DROP TABLE dataset_sharing")
    conn.execute("DROP TABLE releases")  # (the migration after it)
    conn.execute("DELETE FROM schema_version WHERE version >= ?", (len(MIGRATIONS) - 1,))
    conn.commit()
    conn.close()
    with Workspace.open(path, create=False) as ws:
        assert ws.schema_version() == len(MIGRATIONS)
        listed = list_datasets(ws).set_index("name")
        assert listed.loc["police", "widest_role"] == ""  # no record yet
        assert len(load_incidents(ws, role="public")) == listed.loc["police", "rows"]
        ws.sharing.record("police", terms("partner"), user="ana", role="analyst")
        assert hidden_datasets(ws, "public") == ["police"]
