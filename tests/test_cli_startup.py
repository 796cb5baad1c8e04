"""The command line starts fast: ``geosoc --help`` imports no analysis module."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from geosoc.cli import SUBCOMMANDS, build_parser
from geosoc.cli.app_cmd import STREAMLIT_OPTIONS, streamlit_command

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("geosoc.hotspots", "geosoc.aggregate", "geosoc.sites", "geosoc.phases",
         "geosoc.report", "geosoc.maps", "geosoc.workspace", "libpysal", "pandas", "folium")


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    return set(out.split())


def test_help_lists_every_command_without_importing_them() -> None:
    loaded = _modules_after("from geosoc.cli import build_parser\nbuild_parser()")
    assert not [m for m in HEAVY if m in loaded]
    assert not [m for m in loaded if m.startswith("geosoc.cli.") and m.endswith("_cmd")]
    helptext = build_parser().format_help()
    assert all(name in helptext for name in SUBCOMMANDS)


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _modules_after("from geosoc.cli import build_parser\nbuild_parser('users')")
    assert "geosoc.cli.users_cmd" in loaded
    assert not {"geosoc.cli.profile_cmd", "geosoc.hotspots", "libpysal"} & loaded


def test_every_command_module_registers_under_its_name() -> None:
    for name in SUBCOMMANDS:
        parser = build_parser(name)
        assert name in parser._subparsers._group_actions[0].choices


def test_app_options_match_the_repository_streamlit_config() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
            for section, values in config.items() for key, value in values.items()}
    assert flat == STREAMLIT_OPTIONS


def test_app_runs_the_packaged_entry_with_static_serving() -> None:
    command = streamlit_command(8600, "127.0.0.1")
    entry = Path(command[4])
    assert entry.name == "entry.py" and (entry.parent / "static").is_dir()
    assert command[command.index("--server.enableStaticServing") + 1] == "true"


def test_default_harm_weights_ship_inside_the_package() -> None:
    from geosoc.harm import DEFAULT_WEIGHTS_PATH, load_harm_weights

    assert DEFAULT_WEIGHTS_PATH.is_relative_to(ROOT / "geosoc")
    assert len(load_harm_weights()) > 10


def test_a_plain_install_finds_its_weights_pages_and_map_files(tmp_path: Path) -> None:
    """``pip install .`` (not editable) + ``geosoc app`` needs no repository beside it."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(ROOT)], check=True, capture_output=True)
    env = {"PYTHONPATH": str(target), "GEOSOC_DEMO_DIR": str(tmp_path / "demo"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = ("from geosoc.harm import load_harm_weights, DEFAULT_WEIGHTS_PATH\n"
            "print(len(load_harm_weights()), DEFAULT_WEIGHTS_PATH)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert str(target) in out and int(out.split()[0]) > 10
    run = subprocess.run([sys.executable, "-m", "geosoc", "app", "--check"], env=env,
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(target / "geosoc" / "ui" / "entry.py") in run.stdout
    assert (target / "geosoc" / "ui" / "pages" / "profile.py").is_file()
    assert (tmp_path / "demo" / "manifest.json").is_file() or any((tmp_path / "demo").iterdir())
