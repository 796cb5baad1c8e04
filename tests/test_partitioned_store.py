"""Issue 20 (item 3): large incident datasets stored partitioned by month, with their harm cube.

Real workspaces, real police.uk CSVs (the demo town's, and small files written here) read by
the ingest readers, the real CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from geopandas.testing import assert_geodataframe_equal

from geosoc import schema
from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.aggregate.tables import harm_by_cell, harm_by_month
from geosoc.cli import main
from geosoc.engine.cube import (
    KEY_SEP,
    KEYS,
    combine_cubes,
    cube_cells,
    cube_months,
    cube_unlocated,
    key_parts,
    partition_cube,
)
from geosoc.engine.stored import (
    STORED_RESOLUTION,
    default_weights_sha256,
    stored_cube_spec,
    stored_harm_cube,
    sum_cube_rows,
)
from geosoc.errors import WorkspaceError
from geosoc.harm import apply_harm_weights
from geosoc.ingest import Ingested, read_points, read_policeuk
from geosoc.synth.demo import PARTNER_MAPPINGS, ensure_demo
from geosoc.synth.writer import PARTNER_FILES, POLICE_DIR
from geosoc.workspace import Workspace
from geosoc.workspace import partitioned as part_mod
from geosoc.workspace.backup import backup_workspace, restore_workspace
from geosoc.workspace.cubes import load_cube, workspace_cube
from geosoc.workspace.dataset_files import remove_orphans
from geosoc.workspace.dataset_store import (
    _READ_FRAMES,
    datasets_dir,
    list_datasets,
    load_dataset,
    load_incidents,
    store_dataset,
)
from geosoc.workspace.datasets import file_sha256
from geosoc.workspace.partitioned import MANIFEST_NAME, PARTITION_ROWS
from geosoc.workspace.retention import delete_dataset
from geosoc.workspace.sharing import SharingRecord

ANALYST = {"user": "ana", "role": "analyst"}


def analysts_only() -> SharingRecord:
    """Sharing terms keeping a dataset to analysts (partners never see it)."""
    return SharingRecord(owner_agency="Demoford Police", isa_reference="ISA-1",
                         legal_basis="Crime and Disorder Act 1998 s115",
                         protective_marking="OFFICIAL-SENSITIVE", widest_role="analyst",
                         delete_by="2030-01-01")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="module")
def police(demo_dir: Path) -> Ingested:
    """The demo town's police.uk street files (36 monthly folders), as the reader gives them."""
    return read_policeuk(demo_dir / POLICE_DIR)


@pytest.fixture(scope="module")
def fire(demo_dir: Path) -> Ingested:
    """The demo town's fire service points, shuffled (so not in month order)."""
    ingested = read_points(demo_dir / PARTNER_FILES["fire"], PARTNER_MAPPINGS["fire"],
                           source="fire")
    shuffled = ingested.data.sample(frac=1.0, random_state=7).reset_index(drop=True)
    return Ingested(shuffled, ingested.report)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "chb.sqlite") as workspace:
        yield workspace


def both_ways(ws: Workspace, ingested: Ingested, stem: str = "police",
              sharing: SharingRecord | None = None) -> None:
    for name, split in ((f"{stem}_file", False), (f"{stem}_parts", True)):
        store_dataset(ws, ingested, name=name, kind="incidents", partitioned=split,
                      cube=stored_harm_cube, sharing=sharing, **ANALYST)


def snapshot(ws: Workspace) -> tuple:
    """Everything a rejected import must leave untouched."""
    folder = datasets_dir(ws)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) \
        if folder.exists() else None
    return (ws.datasets.list().to_dict("records"), files,
            ws.audit_log(role="analyst").to_dict("records"))


def month_file(folder: Path, month: str, rows: list[str]) -> Path:
    (folder / month).mkdir(parents=True, exist_ok=True)
    path = folder / month / f"{month}-force-street.csv"
    path.write_text("\n".join([",".join(schema.POLICEUK_COLUMNS), *rows]) + "\n")
    return path


def street_row(ident: str, month: str, category: str = "Burglary") -> str:
    return (f"{ident},{month},Force,Force,-0.0915,51.5141,On or near X,E01000001,City 001A,"
            f"{category},,")


# --- storage and round trip ---------------------------------------------------------------

def test_partitioned_police_reads_back_as_the_single_file_frame(ws: Workspace,
                                                                police: Ingested) -> None:
    both_ways(ws, police)
    _READ_FRAMES.clear()
    single, parts = load_dataset(ws, "police_file"), load_dataset(ws, "police_parts")
    assert_geodataframe_equal(parts, single)
    pd.testing.assert_frame_equal(parts, single)
    assert_geodataframe_equal(parts, police.data)
    assert isinstance(parts.index, pd.RangeIndex) and parts.crs.to_epsg() == 4326
    # read again (from the memo, parts re-checked): the same frame, a copy
    again = load_dataset(ws, "police_parts")
    assert_geodataframe_equal(again, single)
    again.loc[0, "category"] = "changed"
    assert load_dataset(ws, "police_parts").loc[0, "category"] != "changed"


def test_folder_holds_monthly_lonlat_parts_and_a_manifest(ws: Workspace,
                                                          police: Ingested) -> None:
    record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                           **ANALYST)
    meta = record["metadata"]
    folder = datasets_dir(ws) / meta["file"]
    assert folder.is_dir() and Path(record["path"]) == folder / MANIFEST_NAME
    assert meta["partitioned"] is True
    assert record["sha256"] == file_sha256(folder / MANIFEST_NAME)
    assert folder.name == f"police-{record['sha256'][:16]}"
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    months = sorted(police.data["month"].astype(str).unique())
    assert [p["file"] for p in manifest["parts"]] == [f"month={m}.parquet" for m in months]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST_NAME] + [f"month={m}.parquet" for m in months])
    assert [p["file"] for p in meta["parts"]] == [p["file"] for p in manifest["parts"]]
    assert sum(p["rows"] for p in manifest["parts"]) == record["rows"] == len(police.data)
    for entry in manifest["parts"]:
        path = folder / entry["file"]
        assert file_sha256(path) == entry["sha256"]
        names = pq.read_schema(path).names
        assert "geometry" not in names and {"lon", "lat"} <= set(names)
        assert set(pq.read_table(path, columns=["month"]).to_pandas()["month"].astype(str)) \
            == {entry["month"]}
    assert manifest["ordered"] is True  # police.uk files arrive month by month
    listed = list_datasets(ws).set_index("name")
    assert bool(listed.at["police", "partitioned"]) and not bool(listed.at["police", "cube"])


def test_rows_out_of_month_order_and_without_location_come_back_in_place(
        ws: Workspace, fire: Ingested) -> None:
    data = fire.data.copy()
    data.loc[data.index[:3], ["lon", "lat"]] = np.nan  # a located-by-postcode miss
    data.loc[data.index[:3], "geometry"] = None
    data.loc[data.index[3:5], "month"] = pd.NaT  # no usable month
    ingested = Ingested(gpd.GeoDataFrame(data, crs=fire.data.crs), fire.report)
    both_ways(ws, ingested, "fire")
    _READ_FRAMES.clear()
    single, parts = load_dataset(ws, "fire_file"), load_dataset(ws, "fire_parts")
    assert_geodataframe_equal(parts, single)
    assert parts.geometry.isna().sum() == 3
    folder = datasets_dir(ws) / ws.datasets.get("fire_parts")["metadata"]["file"]
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert manifest["ordered"] is False and manifest["parts"][-1]["file"] == "month=none.parquet"
    assert manifest["parts"][-1]["rows"] == 2


def test_large_incidents_are_partitioned_without_the_flag(ws: Workspace, police: Ingested,
                                                         monkeypatch) -> None:
    assert PARTITION_ROWS == 2_000_000
    monkeypatch.setattr(part_mod, "PARTITION_ROWS", len(police.data) - 1)
    auto = store_dataset(ws, police, name="auto", kind="incidents", **ANALYST)
    forced = store_dataset(ws, police, name="one_file", kind="incidents", partitioned=False,
                           **ANALYST)
    assert auto["metadata"].get("partitioned") is True
    assert "partitioned" not in forced["metadata"]
    assert (datasets_dir(ws) / forced["metadata"]["file"]).is_file()


# --- checks on load -----------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["alter", "delete"])
def test_missing_or_altered_part_is_named(ws: Workspace, police: Ingested, damage: str) -> None:
    record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                           **ANALYST)
    load_dataset(ws, "police")  # in the memo now: the check must still run
    folder = datasets_dir(ws) / record["metadata"]["file"]
    victim = folder / "month=2024-06.parquet"
    if damage == "alter":
        victim.write_bytes(victim.read_bytes()[:-8] + b"\0" * 8)
    else:
        victim.unlink()
    for read in (lambda: load_dataset(ws, "police"),
                 lambda: load_incidents(ws, role="analyst", months=("2024-05", "2024-07"))):
        with pytest.raises(WorkspaceError) as err:
            read()
        problem = err.value.problems[0]
        assert problem.file == str(victim) and "--replace" in problem.fix
    # months whose parts are intact still read
    assert len(load_incidents(ws, role="analyst", months=("2023-01", "2023-02")))


def test_altered_manifest_is_refused(ws: Workspace, police: Ingested) -> None:
    record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                           **ANALYST)
    manifest = Path(record["path"])
    manifest.write_text(manifest.read_text().replace('"rows"', '"rows" ', 1))
    with pytest.raises(WorkspaceError, match="altered") as err:
        load_dataset(ws, "police")
    assert err.value.problems[0].file == str(manifest)


# --- subset reads -------------------------------------------------------------------------

def test_subset_reads_match_on_both_layouts_and_keep_role_rules(
        ws: Workspace, police: Ingested) -> None:
    both_ways(ws, police, sharing=analysts_only())
    lon, lat = police.data["lon"].median(), police.data["lat"].median()
    box = (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
    months = ("2024-01", "2024-06")
    data = police.data
    inside = ((data["month"] >= pd.Period("2024-01", "M"))
              & (data["month"] <= pd.Period("2024-06", "M"))
              & data["lon"].between(box[0], box[2]) & data["lat"].between(box[1], box[3]))
    expected = data[inside].reset_index(drop=True)
    assert 0 < len(expected) < len(data) / 10
    single = load_dataset(ws, "police_file", months=months, bbox=box)
    parts = load_dataset(ws, "police_parts", months=months, bbox=box)
    assert_geodataframe_equal(single, expected)
    assert_geodataframe_equal(parts, expected)
    only_months = load_dataset(ws, "police_parts", months=months)
    assert set(only_months["month"].astype(str)) == {f"2024-0{m}" for m in range(1, 7)}
    both = load_incidents(ws, role="analyst", months=months, bbox=box)
    assert len(both) == 2 * len(expected)
    # a box with nothing in it is an empty frame, not an error
    empty = load_incidents(ws, role="analyst", months=months, bbox=(10, 10, 10.1, 10.1))
    assert empty.empty and list(empty.columns) == list(expected.columns)
    # the partner role sees no police data: the subset read refuses as the full one does
    with pytest.raises(WorkspaceError, match="partner role"):
        load_incidents(ws, role="partner", months=months, bbox=box)


# --- atomicity ----------------------------------------------------------------------------

def test_cli_bad_row_in_the_last_month_stores_nothing(tmp_path: Path, capsys) -> None:
    ws_path = tmp_path / "chb.sqlite"
    good = tmp_path / "good"
    for month in ("2024-01", "2024-02"):
        month_file(good, month, [street_row(f"{month}-a", month), street_row(f"{month}-b", month)])
    assert main(["ingest", str(good), "--kind", "policeuk", "--workspace", str(ws_path),
                 "--name", "police", "--user", "ana", "--partitioned"]) == 0
    out = capsys.readouterr().out
    assert "partitioned into 2 monthly files" in out and "harm cube" in out
    with Workspace.open(ws_path) as ws:
        before = snapshot(ws)
    bad = tmp_path / "bad"
    for month in ("2024-01", "2024-02", "2024-03"):
        rows = [street_row(f"{month}-a", month), street_row(f"{month}-b", month)]
        if month == "2024-03":
            rows.append(street_row("x", month, category="Alien abduction"))
        month_file(bad, month, rows)
    code = main(["ingest", str(bad), "--kind", "policeuk", "--workspace", str(ws_path),
                 "--name", "more", "--user", "ana", "--partitioned", "--json"])
    assert code == 2
    assert "Alien abduction" in capsys.readouterr().out
    with Workspace.open(ws_path) as ws:
        assert snapshot(ws) == before
        assert len(load_incidents(ws, role="analyst")) == 4


def test_failure_writing_the_last_part_leaves_no_folder(ws: Workspace, police: Ingested,
                                                        monkeypatch) -> None:
    store_dataset(ws, police, name="kept", kind="incidents", **ANALYST)
    before = snapshot(ws)
    real = part_mod._write_bytes

    def fail_on_last(path: Path, data: object) -> None:
        if path.name == "month=2025-12.parquet":
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(part_mod, "_write_bytes", fail_on_last)
    with pytest.raises(WorkspaceError, match="not stored") as err:
        store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                      cube=stored_harm_cube, **ANALYST)
    assert "free disk space" in err.value.problems[0].fix
    assert snapshot(ws) == before


def test_failed_register_removes_the_new_folder_and_cube(ws: Workspace, police: Ingested,
                                                         monkeypatch) -> None:
    before = snapshot(ws)

    def refuse(*args: object, **kwargs: object) -> None:
        raise WorkspaceError("dataset not stored", [])

    monkeypatch.setattr(ws.datasets, "register", refuse)
    with pytest.raises(WorkspaceError):
        store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                      cube=stored_harm_cube, **ANALYST)
    assert snapshot(ws) == before


def test_replace_keeps_the_old_folder_until_the_new_one_is_registered(
        ws: Workspace, police: Ingested, monkeypatch) -> None:
    first = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                          cube=stored_harm_cube, **ANALYST)
    old_folder = datasets_dir(ws) / first["metadata"]["file"]
    old_cube = datasets_dir(ws) / first["metadata"]["cube"]["file"]
    smaller = Ingested(police.data.iloc[: len(police.data) // 2].copy(), police.report)

    def refuse(*args: object, **kwargs: object) -> None:
        assert old_folder.is_dir() and old_cube.is_file()  # still there while registering
        raise WorkspaceError("dataset not stored", [])

    with monkeypatch.context() as patch:
        patch.setattr(ws.datasets, "register", refuse)
        with pytest.raises(WorkspaceError):
            store_dataset(ws, smaller, name="police", kind="incidents", partitioned=True,
                          cube=stored_harm_cube, replace=True, **ANALYST)
    assert len(load_dataset(ws, "police")) == len(police.data)
    second = store_dataset(ws, smaller, name="police", kind="incidents", partitioned=True,
                           cube=stored_harm_cube, replace=True, **ANALYST)
    assert not old_folder.exists() and not old_cube.exists()
    assert len(load_dataset(ws, "police")) == len(smaller.data)
    assert sorted(p.name for p in datasets_dir(ws).iterdir()) == sorted(
        [second["metadata"]["file"], second["metadata"]["cube"]["file"]])


def test_orphan_folders_go_registered_ones_and_cubes_stay(ws: Workspace,
                                                          police: Ingested) -> None:
    record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                           cube=stored_harm_cube, **ANALYST)
    folder = datasets_dir(ws)
    kept = folder / record["metadata"]["file"]
    orphan = folder / "gone-0123456789abcdef"
    shutil.copytree(kept, orphan)
    incoming = folder / ".incoming-abc"
    incoming.mkdir()
    (incoming / "month=2024-01.parquet").write_bytes(b"partial")
    other = folder / "notes"  # not ours: left alone
    other.mkdir()
    removed = remove_orphans(folder, [kept.name], min_age_s=0)
    assert sorted(p.name for p in removed) == sorted([orphan.name, incoming.name])
    assert kept.is_dir() and (folder / record["metadata"]["cube"]["file"]).is_file()
    assert other.is_dir()


# --- deletion, backup and restore ---------------------------------------------------------

def test_delete_removes_the_folder_and_its_cube(ws: Workspace, police: Ingested) -> None:
    record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                           cube=stored_harm_cube, **ANALYST)
    result = delete_dataset(ws, "police", who="ana", role="analyst", reason="ISA ended")
    assert result["file"] == record["metadata"]["file"]
    assert list(datasets_dir(ws).iterdir()) == []
    assert "police" not in set(ws.datasets.list()["name"])


def test_backup_holds_the_parts_and_restore_reads_them(tmp_path: Path, police: Ingested
                                                       ) -> None:
    source = tmp_path / "chb.sqlite"
    with Workspace.open(source) as ws:
        record = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                               cube=stored_harm_cube, **ANALYST)
        original = load_dataset(ws, "police")
    folder = record["metadata"]["file"]
    manifest = backup_workspace(source, tmp_path / "backup.zip", **ANALYST)
    members = set(manifest["files"])
    parts = json.loads((tmp_path / "chb.datasets" / folder / MANIFEST_NAME).read_text())["parts"]
    assert {f"datasets/{folder}/{p['file']}" for p in parts} <= members
    assert f"datasets/{folder}/{MANIFEST_NAME}" in members
    assert f"datasets/{record['metadata']['cube']['file']}" in members
    target = tmp_path / "elsewhere" / "copy.sqlite"
    restore_workspace(tmp_path / "backup.zip", target, user="ana")
    _READ_FRAMES.clear()
    with Workspace.open(target, create=False) as ws:
        assert_geodataframe_equal(load_dataset(ws, "police"), original)
        assert len(load_cube(ws, "police")) == record["metadata"]["cube"]["rows"]


# --- the stored harm cube -----------------------------------------------------------------

def test_stored_cube_totals_equal_the_points(ws: Workspace, police: Ingested,
                                             fire: Ingested) -> None:
    both_ways(ws, police)
    store_dataset(ws, fire, name="fire", kind="incidents", cube=stored_harm_cube, **ANALYST)
    meta = ws.datasets.get("police_parts")["metadata"]["cube"]
    assert meta["resolution"] == STORED_RESOLUTION == 10
    assert meta["weights"] == "default" and meta["weights_sha256"] == default_weights_sha256()
    assert meta["by"] == "source_category" and meta["scheme"] == "harm"
    pd.testing.assert_frame_equal(load_cube(ws, "police_parts"), load_cube(ws, "police_file"))
    cube, info = workspace_cube(ws, role="analyst")
    assert info["datasets"] == ["fire", "police_file", "police_parts"]
    parts = [load_cube(ws, n) for n in ("fire", "police_file", "police_parts")]
    pd.testing.assert_frame_equal(cube, sum_cube_rows(parts))
    harm_part = [*KEYS, "count", "harm_micro"]  # the engine's cube, summed apart
    pd.testing.assert_frame_equal(combine_cubes([cube[harm_part]]),
                                  combine_cubes([p[harm_part] for p in parts]))
    points = apply_harm_weights(load_incidents(ws, role="analyst"))
    points["h3"] = lonlat_to_cells(points["lon"].to_numpy(), points["lat"].to_numpy(), 10)
    points.attrs["h3_resolution"] = 10  # coarser cells: parents of the res-10 ones, as stored
    for resolution in (10, 8):
        expected = harm_by_cell(points, resolution)
        got = cube_cells(cube, resolution)
        assert got.index.tolist() == [int(h, 16) for h in expected.index]
        assert got["count"].tolist() == expected["count"].tolist()
        np.testing.assert_allclose(got["harm"], expected["harm"], rtol=0, atol=1e-6)
    monthly = cube_months(cube)
    expected = harm_by_month(points)
    assert monthly["month"].tolist() == expected["month"].tolist()
    assert monthly["count"].tolist() == expected["count"].tolist()
    np.testing.assert_allclose(monthly["harm"], expected["harm"], rtol=0, atol=1e-6)
    assert cube_unlocated(cube) == 0
    sources, _ = key_parts(cube["key"].to_numpy())
    by_source = cube.assign(source=sources).groupby("source")[["count", "harm_micro"]].sum()
    expected = points.groupby("source")[["harm"]].agg(["count", "sum"])
    assert by_source["count"].to_dict() == expected[("harm", "count")].to_dict()
    np.testing.assert_allclose(by_source["harm_micro"] / 1e6,
                               expected[("harm", "sum")].reindex(by_source.index), atol=1e-6)
    assert all(KEY_SEP in k for k in cube["key"].cat.categories)
    police_only, _ = workspace_cube(ws, role="analyst", sources=["police"])
    assert int(police_only["count"].sum()) == 2 * len(police.data)


def test_workspace_cube_follows_roles_and_names_a_missing_cube(ws: Workspace,
                                                               police: Ingested) -> None:
    store_dataset(ws, police, name="police", kind="incidents", cube=stored_harm_cube,
                  sharing=analysts_only(), **ANALYST)
    with pytest.raises(WorkspaceError, match="no incidents"):
        workspace_cube(ws, role="partner")  # police data is not shared with partners
    store_dataset(ws, police, name="old", kind="incidents", **ANALYST)  # stored without one
    with pytest.raises(WorkspaceError, match="no stored harm cube") as err:
        workspace_cube(ws, role="analyst")
    assert "--replace" in err.value.problems[0].fix
    cube_file = datasets_dir(ws) / ws.datasets.get("police")["metadata"]["cube"]["file"]
    cube_file.write_bytes(cube_file.read_bytes() + b"\0")
    with pytest.raises(WorkspaceError, match="altered") as err:
        load_cube(ws, "police")
    assert err.value.problems[0].file == str(cube_file)


# --- CLI ----------------------------------------------------------------------------------

def test_cli_flags_and_datasets_list(tmp_path: Path, demo_dir: Path, capsys) -> None:
    ws_path = tmp_path / "chb.sqlite"
    assert main(["ingest", str(demo_dir / POLICE_DIR), "--kind", "policeuk", "--workspace",
                 str(ws_path), "--name", "police", "--user", "ana", "--partitioned",
                 "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)["stored"]
    assert stored["partitioned"] and stored["parts"] == 36 and stored["cube_rows"] > 0
    assert main(["ingest", str(demo_dir / POLICE_DIR), "--kind", "policeuk", "--workspace",
                 str(ws_path), "--name", "police_one", "--user", "ana",
                 "--no-partition"]) == 0
    out = capsys.readouterr().out
    assert "partitioned" not in out and "harm cube" in out
    assert main(["datasets", "list", "--workspace", str(ws_path), "--user", "ana",
                 "--json"]) == 0
    listed = {r["dataset"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["police"]["partitioned"] is True
    assert listed["police_one"]["partitioned"] is False
    assert main(["ingest", str(demo_dir / POLICE_DIR), "--kind", "boundaries",
                 "--workspace", str(ws_path), "--name", "x", "--partitioned"]) == 2
    assert "--partitioned" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert "2,000,000" in capsys.readouterr().out


def test_cube_is_the_same_however_the_months_are_batched(police: Ingested, monkeypatch) -> None:
    from geosoc.engine import stored
    from geosoc.workspace.partitioned import month_groups

    plain = pd.DataFrame(police.data[["lon", "lat", "month", "category", "source"]])
    monthly = [plain.iloc[rows] for _, rows in month_groups(plain)]
    one, _ = stored_harm_cube(monthly)  # one batch: not passed through sum_cube_rows
    pd.testing.assert_frame_equal(one, sum_cube_rows([one]))
    # its harm half is the engine's cube of the same points (partition_cube, resolution 10)
    harm_part = [*KEYS, "count", "harm_micro"]
    pd.testing.assert_frame_equal(combine_cubes([one[harm_part]]),
                                  partition_cube(plain, stored_cube_spec()))
    monkeypatch.setattr(stored, "BATCH_ROWS", len(plain) // 5)
    assert len(stored._batches(monthly)) >= 5
    batched, _ = stored_harm_cube(monthly)
    pd.testing.assert_frame_equal(batched, one)


def test_replacing_with_the_same_data_keeps_its_folder(ws: Workspace, police: Ingested) -> None:
    first = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                          cube=stored_harm_cube, **ANALYST)
    again = store_dataset(ws, police, name="police", kind="incidents", partitioned=True,
                          cube=stored_harm_cube, replace=True, **ANALYST)
    assert again["sha256"] == first["sha256"] and again["path"] == first["path"]
    assert sorted(p.name for p in datasets_dir(ws).iterdir()) == sorted(
        [first["metadata"]["file"], first["metadata"]["cube"]["file"]])
    _READ_FRAMES.clear()
    assert_geodataframe_equal(load_dataset(ws, "police"), police.data)


def test_the_study_loads_a_partitioned_workspace(tmp_path: Path, demo_dir: Path,
                                                 police: Ingested) -> None:
    from geosoc.ingest import read_boundaries
    from geosoc.synth.writer import BOUNDARY_FILES
    from geosoc.workspace.study import load_study

    wards = read_boundaries(demo_dir / BOUNDARY_FILES["wards"], kind="ward")
    studies = []
    for split in (False, True):
        with Workspace.open(tmp_path / f"{split}.sqlite") as ws:
            store_dataset(ws, wards, name="wards", kind="boundaries", **ANALYST)
            store_dataset(ws, police, name="police", kind="incidents", partitioned=split,
                          **ANALYST)
            _READ_FRAMES.clear()
            studies.append(load_study(ws, role="analyst"))
    assert_geodataframe_equal(studies[1].incidents, studies[0].incidents)
    assert len(studies[1].incidents) == len(police.data)


@pytest.mark.parametrize("source", ["council_asb", "fire", "health_ae"])
def test_partner_points_of_every_location_kind_round_trip(ws: Workspace, demo_dir: Path,
                                                          source: str) -> None:
    """Eastings/northings, lon/lat and postcode-located points all rebuild exactly."""
    from geosoc.ingest import read_postcodes
    from geosoc.synth.writer import POSTCODE_FILE

    postcodes = read_postcodes(demo_dir / POSTCODE_FILE).data
    ingested = read_points(demo_dir / PARTNER_FILES[source], PARTNER_MAPPINGS[source],
                           source=source, postcodes=postcodes)
    both_ways(ws, ingested, source)
    _READ_FRAMES.clear()
    assert_geodataframe_equal(load_dataset(ws, f"{source}_parts"),
                              load_dataset(ws, f"{source}_file"))
    assert_geodataframe_equal(load_dataset(ws, f"{source}_parts"), ingested.data)
