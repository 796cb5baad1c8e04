"""The package layout shows the architecture: stages import only from earlier stages, no circles.

Stages, earliest first (``docs/architecture.md``)::

    base (errors, schema, config) → ingest → harm → aggregate → hotspots, assets
    → sites, phases, operations → synth → disclosure → workspace, engine → maps → report
    → cli, ui

A module may import from its own package, or from a package of an *earlier* stage. Two
packages of the same stage stay independent of each other. Every import counts, including
the lazy ones inside functions (a lazy back-import is still a back-import).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / "geosoc"

#: Stage rank of every top-level package or module of ``geosoc``.
STAGES: dict[str, float] = {
    "errors": 0, "schema": 0.5, "config": 0.5, "memo": 0.5,
    "ingest": 1,
    "harm": 2,
    "aggregate": 3,
    "hotspots": 4, "assets": 4,
    "sites": 5, "phases": 5, "operations": 5, "synth": 5.5,
    "disclosure": 6,
    "workspace": 7, "engine": 7,
    "maps": 8,
    "report": 9,
    "cli": 10, "ui": 10,
}
#: Cross-cutting top-level modules allowed beside the packages.
TOP_LEVEL_MODULES = {"__init__", "__main__", "errors", "schema", "config", "memo", "harm"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LIBRARY.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in LIBRARY.rglob("*.py") if "static" not in p.parts}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the geosoc modules ``path`` imports (a name that is a submodule counts as it)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("geosoc"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("geosoc"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_entry_has_a_stage() -> None:
    entries = {p.stem if p.is_file() else p.name for p in LIBRARY.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    unknown = entries - set(STAGES) - TOP_LEVEL_MODULES
    assert not unknown, f"give these a stage in STAGES and docs/architecture.md: {unknown}"
    loose = {p.stem for p in LIBRARY.glob("*.py")} - TOP_LEVEL_MODULES
    assert not loose, f"top-level modules belong in a stage package: {loose}"


def test_no_import_from_a_later_or_sibling_stage() -> None:
    modules = _modules()
    bad = []
    for name, path in modules.items():
        here = _stage(name)
        if here in ("__init__", "__main__"):
            continue
        for target in _imports(path, modules):
            there = _stage(target)
            if there == here or there == "__init__":
                continue
            if STAGES[there] >= STAGES[here]:
                bad.append(f"{name} imports {target}")
    assert not bad, "imports against the flow:\n" + "\n".join(sorted(bad))


def test_no_import_circles() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("bad_source, expected", [
    ("from geosoc.ui import cache\n", "imports geosoc.ui"),
    ("from geosoc.sites import rank_sites\n", "imports geosoc.sites"),
])
def test_the_flow_check_can_fail(tmp_path: Path, bad_source: str, expected: str) -> None:
    """The check finds a back-import planted in an early stage (so it cannot pass vacuously)."""
    path = LIBRARY / "aggregate" / "tables.py"
    modules = _modules()
    planted = tmp_path / "tables.py"
    planted.write_text(path.read_text(encoding="utf-8") + "\n" + bad_source, encoding="utf-8")
    targets = _imports(planted, modules)
    back = [t for t in targets if _stage(t) not in ("aggregate", "__init__")
            and STAGES[_stage(t)] >= STAGES["aggregate"]]
    assert back and expected.split()[-1] in {t.rsplit(".", 1)[0] if t.count(".") > 1 else t
                                              for t in back}


def test_no_module_over_the_size_limit() -> None:
    """One job per module: nothing over ~400 lines."""
    big = {_module_name(p): n for p in LIBRARY.rglob("*.py") if "static" not in p.parts
           and (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert not big, f"split these by responsibility: {big}"
