"""Crash safety (SIGKILL mid-import) and concurrent writers from separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from geosoc.assets.files import validate_assets
from geosoc.errors import ConflictError
from geosoc.workspace import Workspace

WRITER = textwrap.dedent("""
    import sys
    import time
    import pandas as pd
    from geosoc.assets.files import validate_assets
    from geosoc.workspace import Workspace, audit

    real_record = audit.record

    def record_then_stall(conn, **kwargs):
        # the 4th import has written all its rows, uncommitted: say so and wait to be killed
        real_record(conn, **kwargs)
        if kwargs["details"]["source"] == "3":
            conn.execute("PRAGMA cache_size = 1")  # push dirty pages to the WAL file
            print("inside", flush=True)
            time.sleep(60)

    audit.record = record_then_stall

    size = 3000
    template = validate_assets(pd.DataFrame({
        "name": [f"row {i}" for i in range(size)], "category": "sport",
        "lon": -0.1, "lat": 51.5}))
    with Workspace.open(sys.argv[1]) as ws:
        batch = 0
        while True:
            frame = template.assign(
                name=[f"batch {batch} row {i}" for i in range(size)],
                asset_id=[f"{batch:08d}-0000-4000-8000-{i:012d}" for i in range(size)],
                source=f"batch {batch}")
            ws.assets.import_frame(frame, user="bot", role="analyst", source=str(batch))
            print(batch, flush=True)
            batch += 1
""")


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_sigkill_mid_import_leaves_only_whole_committed_imports(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    Workspace.open(path).close()
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                             stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, child.kill)  # never hang the suite on a stuck child
    watchdog.start()
    try:
        lines = [child.stdout.readline().strip() for _ in range(4)]
    finally:
        watchdog.cancel()
    assert lines == ["0", "1", "2", "inside"]
    child.send_signal(signal.SIGKILL)  # it is now inside the 4th import's transaction
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with Workspace.open(path, create=False) as ws:
        assert ws.integrity_check() == "ok"
        rows = ws.assets.frame()
        per_batch = rows["source"].value_counts()
        assert sorted(per_batch.index) == ["batch 0", "batch 1", "batch 2"]
        assert per_batch.eq(3000).all(), per_batch  # every committed row, no partial import
        history = ws._conn.execute("SELECT COUNT(*) FROM asset_history").fetchone()[0]
        assert history == len(rows)
        assert (ws.audit_log(role="analyst")["action"] == "asset.import").sum() == len(per_batch)
        assert ws.verify_audit_chain().ok


def test_threads_with_their_own_handles_conflict_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite"
    with Workspace.open(path) as ws:
        asset = ws.assets.add({"name": "Hall", "category": "community centre", "lon": -0.1,
                               "lat": 51.5}, user="ana", role="analyst")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def edit(user: str) -> None:
        with Workspace.open(path) as mine:
            barrier.wait()
            try:
                mine.assets.edit(asset["asset_id"], {"name": f"by {user}"},
                                 expected_version=1, user=user, role="partner")
                outcomes.append("saved")
            except ConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(u,)) for u in ("pat", "sam")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    with Workspace.open(path) as ws:
        assert ws.assets.get(asset["asset_id"])["version"] == 2
        assert ws.assets.history(asset["asset_id"])["version"].tolist() == [1, 2]


def test_validated_template_is_importable(tmp_path: Path) -> None:
    """The crash writer's ids are valid UUIDs, so its failure could only be the kill."""
    frame = validate_assets(pd.DataFrame({
        "name": ["a"], "category": "sport", "lon": -0.1, "lat": 51.5,
        "asset_id": [f"{7:08d}-0000-4000-8000-{3:012d}"]}))
    with Workspace.open(tmp_path / "t.sqlite") as ws:
        assert ws.assets.import_frame(frame, user="bot", role="analyst", source="t") == 1
