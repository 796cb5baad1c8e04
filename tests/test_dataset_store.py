"""Datasets stored in the workspace: round trips, atomicity, tamper detection, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geosoc import schema
from geosoc.cli import main
from geosoc.errors import AccessDeniedError, WorkspaceError
from geosoc.ingest import (
    PointMapping,
    read_area_counts,
    read_boundaries,
    read_imd,
    read_points,
    read_policeuk,
    read_postcodes,
)
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_files import read_parquet_frame
from geosoc.workspace.dataset_store import (
    datasets_dir,
    list_datasets,
    load_areas,
    load_dataset,
    load_incidents,
    load_table,
    store_dataset,
)
from geosoc.workspace.study import load_study

ANALYST = {"user": "ana", "role": "analyst"}


def police_csv(folder: Path) -> Path:
    """Write a two-month police.uk street file (one ASB row without an ID, one no-location)."""
    header = ",".join(schema.POLICEUK_COLUMNS)
    rows = [
        "c1,2024-01,Force,Force,-0.0915,51.5141,On or near X,E01000001,City 001A,Burglary,,",
        ",2024-01,Force,Force,-0.0920,51.5150,On or near Y,E01000001,City 001A,"
        "Anti-social behaviour,,",
        "c3,2024-02,Force,Force,-0.0930,51.5160,On or near Z,E01000002,City 001B,Drugs,,",
        "c4,2024-02,Force,Force,,,No location,,,Robbery,,",
    ]
    path = folder / "2024-01-force-street.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def partner_csv(folder: Path) -> Path:
    path = folder / "fire.csv"
    path.write_text("when,x,y,type\n2024-01-02,-0.1,51.5,Deliberate\n2024-02-03,-0.09,51.51,"
                    "Refuse\n")
    return path


def wards_geojson(folder: Path) -> Path:
    frame = gpd.GeoDataFrame({"WD24CD": ["E05000001", "E05000002"],
                              "WD24NM": ["North", "South"]},
                             geometry=[box(-0.1, 51.5, -0.09, 51.51),
                                       box(-0.09, 51.5, -0.08, 51.51)], crs="EPSG:4326")
    path = folder / "wards.geojson"
    frame.to_file(path)
    return path


def postcodes_csv(folder: Path) -> Path:
    path = folder / "codepoint.csv"
    path.write_text('"EC1A1AA",10,531131,182382,"E92000001","E19000003","E18000007","",'
                    '"E09000019","E05000370"\n'
                    '"EC1A 1AH",10,531070,182310,"E92000001","E19000003","E18000007","",'
                    '"E09000019","E05000370"\n')
    return path


def imd_csv(folder: Path) -> Path:
    path = folder / "imd.csv"
    path.write_text("lsoa_code,imd_score,imd_rank,imd_decile\nE01000001,6.2,29199,9\n"
                    "E01000002,40.5,1200,1\n")
    return path


def counts_csv(folder: Path) -> Path:
    path = folder / "counts.csv"
    path.write_text("area_code,month,category,count\nE05000001,2024-01,Noise,4\n"
                    "E05000002,2024-02,Noise,2\n")
    return path


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "chb.sqlite") as opened:
        yield opened


def snapshot(ws: Workspace) -> tuple:
    """Everything a rejected import must leave untouched."""
    folder = datasets_dir(ws)
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    return (ws.datasets.list().to_dict("records"), files,
            ws.audit_log(role="analyst").to_dict("records"))


def test_policeuk_round_trip_keeps_the_contract(ws: Workspace, tmp_path: Path) -> None:
    ingested = read_policeuk(police_csv(tmp_path))
    record = store_dataset(ws, ingested, name="police", kind="incidents", **ANALYST)
    assert record["rows"] == 3 and record["metadata"]["report"]["dropped"] == {
        "no location": 1}
    assert record["metadata"]["months"] == ["2024-01", "2024-02"]
    back = load_dataset(ws, "police")
    pd.testing.assert_frame_equal(back, ingested.data)
    assert isinstance(back[schema.MONTH].dtype, pd.PeriodDtype)
    assert back.crs == "EPSG:4326"
    schema.validate_incidents(back)
    path = Path(str(record["path"]))
    assert path.parent == tmp_path / "chb.datasets" and path.name.startswith("police-")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    log = ws.audit_log(role="analyst")
    assert log.iloc[-1]["action"] == "dataset.load"
    assert log.iloc[-1]["target"] == "dataset:police"


def test_partner_points_join_police_in_load_incidents(ws: Workspace, tmp_path: Path) -> None:
    police = read_policeuk(police_csv(tmp_path))
    fire = read_points(partner_csv(tmp_path),
                       PointMapping(date="when", lon="x", lat="y", category="type"),
                       source="fire")
    store_dataset(ws, police, name="police", kind="incidents", **ANALYST)
    store_dataset(ws, fire, name="fire", kind="incidents", **ANALYST)
    pd.testing.assert_frame_equal(load_dataset(ws, "fire"), fire.data)
    both = load_incidents(ws, role="analyst")
    schema.validate_incidents(both)
    assert both[schema.SOURCE].value_counts().to_dict() == {"police": 3, "fire": 2}
    assert list(both.index) == list(range(5))
    assert len(load_incidents(ws, role="analyst", sources=["fire"])) == 2
    with pytest.raises(WorkspaceError, match="no incidents from health"):
        load_incidents(ws, role="analyst", sources=["health"])


def test_boundaries_round_trip_by_area_kind(ws: Workspace, tmp_path: Path) -> None:
    wards = read_boundaries(wards_geojson(tmp_path), kind="ward")
    store_dataset(ws, wards, name="wards", kind="boundaries", **ANALYST)
    back = load_areas(ws, "ward")
    pd.testing.assert_frame_equal(back, wards.data)
    schema.validate_areas(back)
    assert back.index.name == "area_code"
    assert load_areas(ws, "lsoa", required=False) is None
    with pytest.raises(WorkspaceError) as err:
        load_areas(ws, "lsoa")
    assert "--area-kind lsoa" in err.value.problems[0].fix


@pytest.mark.parametrize(("kind", "write", "read"), [
    ("postcodes", postcodes_csv, read_postcodes),
    ("imd", imd_csv, read_imd),
    ("area_counts", counts_csv, lambda p: read_area_counts(p, source="council")),
])
def test_tables_round_trip(ws: Workspace, tmp_path: Path, kind, write, read) -> None:
    ingested = read(write(tmp_path))
    store_dataset(ws, ingested, name=kind, kind=kind, **ANALYST)
    back = load_table(ws, kind, role="analyst")
    pd.testing.assert_frame_equal(back, ingested.data)
    if kind == "imd":
        assert back.index.name == "lsoa_code"
    if kind == "area_counts":
        assert isinstance(back[schema.MONTH].dtype, pd.PeriodDtype)


def test_existing_name_needs_replace_and_old_file_goes_after(ws: Workspace,
                                                             tmp_path: Path) -> None:
    first = store_dataset(ws, read_imd(imd_csv(tmp_path)), name="imd", kind="imd", **ANALYST)
    before = snapshot(ws)
    with pytest.raises(WorkspaceError, match="dataset not stored") as err:
        store_dataset(ws, read_imd(imd_csv(tmp_path)), name="imd", kind="imd", **ANALYST)
    assert "--replace" in err.value.problems[0].fix
    assert snapshot(ws) == before
    (tmp_path / "imd2.csv").write_text("lsoa_code,imd_score,imd_rank,imd_decile\n"
                                       "E01000003,12.0,15000,5\n")
    second = store_dataset(ws, read_imd(tmp_path / "imd2.csv"), name="imd", kind="imd",
                           replace=True, **ANALYST)
    assert second["sha256"] != first["sha256"]
    assert not Path(str(first["path"])).exists() and Path(str(second["path"])).exists()
    assert load_table(ws, "imd", role="analyst").index.tolist() == ["E01000003"]


def test_only_analysts_store_and_nothing_is_written_otherwise(ws: Workspace,
                                                              tmp_path: Path) -> None:
    before = snapshot(ws)
    with pytest.raises(AccessDeniedError):
        store_dataset(ws, read_policeuk(police_csv(tmp_path)), name="police",
                      kind="incidents", user="pat", role="partner")
    assert snapshot(ws) == before


def test_failure_while_registering_leaves_no_orphan_file(ws: Workspace, tmp_path: Path,
                                                         monkeypatch) -> None:
    before = snapshot(ws)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ws.datasets, "register", broken)
    with pytest.raises(OSError, match="disk full"):
        store_dataset(ws, read_imd(imd_csv(tmp_path)), name="imd", kind="imd", **ANALYST)
    assert not datasets_dir(ws).exists()  # not even the empty folder it made
    assert snapshot(ws) == before


def test_altered_or_missing_file_is_detected(ws: Workspace, tmp_path: Path) -> None:
    record = store_dataset(ws, read_imd(imd_csv(tmp_path)), name="imd", kind="imd", **ANALYST)
    path = Path(str(record["path"]))
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(WorkspaceError, match="'imd' was altered") as err:
        load_table(ws, "imd", role="analyst")
    assert "re-ingest" in err.value.problems[0].fix and err.value.problems[0].file == str(path)
    path.unlink()
    with pytest.raises(WorkspaceError, match="missing its file"):
        load_dataset(ws, "imd")


def test_raw_registration_is_listed_but_not_loadable(ws: Workspace, tmp_path: Path) -> None:
    raw = imd_csv(tmp_path)
    ws.datasets.register("raw_imd", "imd", raw, rows=2, **ANALYST)
    listed = list_datasets(ws).set_index("name")
    assert not listed.loc["raw_imd", "stored"]
    assert load_table(ws, "imd", required=False, role="analyst") is None
    with pytest.raises(WorkspaceError, match="no stored data"):
        load_dataset(ws, "raw_imd")


def test_study_lists_every_missing_essential(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError) as err:
        load_study(ws, role="analyst")
    messages = " ".join(p.message for p in err.value.problems)
    assert "incident" in messages and "ward" in messages


def test_cli_stores_a_good_file_and_a_rejected_one_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ws_path = tmp_path / "chb.sqlite"
    police_csv(tmp_path)
    code = main(["ingest", str(tmp_path / "2024-01-force-street.csv"), "--kind", "policeuk",
                 "--workspace", str(ws_path), "--name", "police", "--user", "ana", "--json"])
    assert code == 0
    stored = json.loads(capsys.readouterr().out)["stored"]
    assert stored["rows"] == 3 and stored["loaded_by"] == "ana"
    with Workspace.open(ws_path) as ws:
        before = snapshot(ws)
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,police,file\n1,2,3,4\n")
    code = main(["ingest", str(bad), "--kind", "policeuk", "--workspace", str(ws_path),
                 "--name", "police2", "--json"])
    assert code == 2 and json.loads(capsys.readouterr().out)["error"]
    with Workspace.open(ws_path) as ws:
        assert snapshot(ws) == before
        assert len(load_incidents(ws, role="analyst")) == 3


def test_cli_rejected_file_does_not_create_a_workspace(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "imd.csv"
    bad.write_text("")
    ws_path = tmp_path / "new.sqlite"
    assert main(["ingest", str(bad), "--kind", "imd", "--workspace", str(ws_path),
                 "--name", "imd"]) == 2
    assert not ws_path.exists() and not (tmp_path / "new.datasets").exists()
    capsys.readouterr()
    readable = tmp_path / "imd2.csv"  # a file that passes the first checks: then the flags
    readable.write_text("a,b\n1,2\n")
    assert main(["ingest", str(readable), "--kind", "imd", "--name", "imd"]) == 2
    assert "--workspace" in capsys.readouterr().err


def test_months_stored_as_text_or_ordinals_come_back_as_periods(tmp_path: Path) -> None:
    months = pd.PeriodIndex(["2024-01", "2024-02"], freq="M")
    frame = pd.DataFrame({"as_text": months.astype(str), "as_int": months.asi8},
                         index=pd.Index(["a", "b"], name="area_code"))
    frame.to_parquet(tmp_path / "m.parquet")
    back = read_parquet_frame(tmp_path / "m.parquet", geo=False, index="area_code",
                              period_columns=["as_text", "as_int"])
    for column in ("as_text", "as_int"):
        assert back[column].tolist() == list(months)
    assert back.index.name == "area_code"
