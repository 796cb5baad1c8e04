"""``geosoc export profile``: a registered partner cannot export the analyst view."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.cli import main
from geosoc.workspace import Workspace


def test_partner_user_may_not_export_for_analysts(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    ws_path = tmp_path / "ws.sqlite"
    with Workspace.open(ws_path) as ws:
        ws.users.create_user("ana", "correct horse battery staple", "analyst")
        ws.users.create_user("pat", "correct horse battery staple", "partner", by="ana")
    out = tmp_path / "analyst.html"
    code = main(["export", "profile", "--role", "analyst", "--out", str(out), "--workspace",
                 str(ws_path), "--user", "pat", "--purpose", "curious", "--demo"])
    assert code == 2
    err = capsys.readouterr().err
    assert "partner" in err and "--role" in err
    assert not out.exists()
