"""House rules that must not rot: lint clean, UI-free library, one-way imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "geosoc"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_ui_imports_streamlit_and_only_maps_report_ui_import_folium() -> None:
    for path in LIBRARY.rglob("*.py"):
        rel = path.relative_to(LIBRARY).as_posix()
        mods = {m.split(".")[0] for m in _imports(path)}
        if not rel.startswith("ui/"):
            assert "streamlit" not in mods, f"{rel} imports streamlit"
            assert "streamlit_folium" not in mods, f"{rel} imports streamlit_folium"
        if not rel.startswith(("ui/", "maps/", "report/")):
            assert "folium" not in mods, f"{rel} imports folium"


def test_no_grab_bag_modules() -> None:
    banned = {"utils.py", "helpers.py", "misc.py"}
    assert not [p for p in LIBRARY.rglob("*.py") if p.name in banned]
