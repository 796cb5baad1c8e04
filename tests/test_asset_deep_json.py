"""A deeply nested JSON given as an Open Referral directory gets the Open Referral fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.assets.registers import read_open_referral
from geosoc.errors import InputFileError


def test_deep_json_names_the_file_and_an_open_referral_fix(tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_open_referral(path)
    text = str(err.value)
    assert "services.json" in text and "nested too deeply" in text
    assert "Open Referral API" in text and "polygon" not in text
