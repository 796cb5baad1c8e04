"""`geosoc ingest` makes a disclosure release when the data change and keeps the earlier ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from geosoc.cli import main
from geosoc.workspace import Workspace


def _ingest(*args: str) -> None:
    assert main(["ingest", *args]) == 0


def test_each_change_of_data_gets_its_own_release_and_old_ones_stay(demo_dir: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    ws_path = tmp_path / "w.sqlite"
    _ingest(str(demo_dir / "boundaries" / "wards.geojson"), "--kind", "boundaries",
            "--area-kind", "ward", "--workspace", str(ws_path), "--name", "wards")
    with Workspace.open(ws_path) as ws:
        assert ws.releases.list().empty  # boundaries alone: nothing to release yet
    months = sorted((demo_dir / "police").iterdir())
    first, more = tmp_path / "first", tmp_path / "more"
    first.mkdir()
    more.mkdir()
    for month in months[:12]:
        shutil.copytree(month, first / month.name)
    for month in months[12:24]:
        shutil.copytree(month, more / month.name)
    _ingest(str(first), "--kind", "policeuk", "--workspace", str(ws_path), "--name", "p1")
    assert "now see release 1" in capsys.readouterr().out
    with Workspace.open(ws_path) as ws:
        before = ws.releases.load(1)
    _ingest(str(more), "--kind", "policeuk", "--workspace", str(ws_path), "--name", "p2")
    assert "now see release 2" in capsys.readouterr().out
    with Workspace.open(ws_path) as ws:
        listed = ws.releases.list()
        assert listed["release_id"].tolist() == [1, 2]
        # the first release's figures stay as they were published
        pd.testing.assert_frame_equal(ws.releases.load(1), before)
