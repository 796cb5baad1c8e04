"""Configuration: defaults, relative paths, and every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from geosoc.config import Settings, load_config
from geosoc.errors import ConfigError


def test_defaults_without_a_file() -> None:
    assert load_config(None) == Settings()


def test_values_are_read_and_paths_resolved(tmp_path: Path) -> None:
    cfg = tmp_path / "geosoc.toml"
    cfg.write_text('workspace = "ws.sqlite"\nresolution = 8\nasb_weight = 0\n'
                   '[map]\ntiles = "https://tiles.example/{z}/{x}/{y}.png"\n', encoding="utf-8")
    settings = load_config(cfg)
    assert settings.workspace == tmp_path / "ws.sqlite"
    assert settings.resolution == 8 and settings.asb_weight == 0.0
    assert settings.map.tiles is not None


def test_all_problems_are_listed(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('resolution = 12\npartner_min_count = 2\ncolour = "red"\n'
                   '[map]\ntiles = "not a template"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    columns = {p.column for p in info.value.problems}
    assert columns == {"resolution", "partner_min_count", "colour", "map.tiles"}
    assert all(p.fix for p in info.value.problems)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text("resolution = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
