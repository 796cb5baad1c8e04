"""Month flags of the command line: a bad month is a clear error (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.cli import main


@pytest.mark.parametrize("argv", [
    ["profile", "--out", "OUT", "--from", "2024-13"],
    ["profile", "--out", "OUT", "--to", "2024/01"],
    ["sites", "rank", "--from", "2024-00"],
    ["sites", "rank", "--to", "June 2024"],
])
def test_bad_month_flag_exits_2_naming_the_flag(argv: list[str], tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    argv = [str(tmp_path) if a == "OUT" else a for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "is not a month" in err
    assert ("--from" in err) or ("--to" in err)


def test_phases_set_bad_month_exits_2_with_fix(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    code = main(["phases", "set", "--workspace", str(tmp_path / "ws.sqlite"), "--site", "A",
                 "--clear", "2025-13:2025-03"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'2025-13'" in err
    assert "--clear" in err
    assert "YYYY-MM" in err
