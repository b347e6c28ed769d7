"""The package's shape: no import circle, nothing imports upward, one module per library.

Measured from the source with ``ast``, so a new module that breaks the layout fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "foci_bot"

# What each folder may import from the package (besides itself). Top-level modules form the
# shared vocabulary; shells sit above the engine, renderers and pure cores.
ALLOWED: dict[str, set[str]] = {
    "top": {"top"},
    "checks": {"top"},
    "room": {"top"},
    "render": {"top", "checks", "room"},
    "engine": {"top", "checks", "room"},
    "bot": {"top", "checks", "room", "render", "engine"},
    "cli": {"top", "checks", "room", "render", "engine", "bot"},
}
# The library -> the one module (or package) allowed to import it.
ONLY_IMPORTER = {"aiohttp": "foci_bot.engine.http", "nio": "foci_bot.bot.matrix"}
MAX_LINES = 400  # the catalogue (a data table) is the one longer module


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, at any depth in the file (lazy imports count too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = name.split(".")[: -node.level] if path.name != "__init__.py" else name.split(".")
                base = ".".join([*package, node.module])
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return out


GRAPH = {name: {m for m in _imports(name, path) if m in MODULES} for name, path in MODULES.items()}


def _folder(module: str) -> str:
    if module == "foci_bot.__main__":  # ``python -m foci_bot``: an entry point, like the CLI
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "top"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module: str) -> None:
    """Each module imports only from its own folder and the folders below it."""
    folder = _folder(module)
    allowed = ALLOWED[folder] | {folder}
    upward = sorted(m for m in GRAPH[module] if m != "foci_bot" and _folder(m) not in allowed)
    assert not upward, f"{module} imports {upward}"


def test_no_import_circle() -> None:
    """The module graph has no cycle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(GRAPH[module]):
            if dep == module or dep == "foci_bot":
                continue
            if state.get(dep) == 1:
                raise AssertionError(" -> ".join([*stack[stack.index(dep) :], dep]))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


@pytest.mark.parametrize(("library", "owner"), sorted(ONLY_IMPORTER.items()))
def test_one_module_per_library(library: str, owner: str) -> None:
    """aiohttp only in the HTTP client, nio only in the Matrix adapter (a package)."""
    users = sorted(
        name
        for name, path in MODULES.items()
        if any(m == library or m.startswith(library + ".") for m in _imports(name, path))
    )
    assert users and all(u == owner or u.startswith(owner + ".") for u in users), users


def test_entry_point_is_imported_by_nobody() -> None:
    """``cli.main`` holds ``main()``; only ``__main__`` may import it."""
    importers = sorted(name for name, deps in GRAPH.items() if "foci_bot.cli.main" in deps)
    assert importers == ["foci_bot.__main__"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.endswith("catalogue")))
def test_modules_stay_small(module: str) -> None:
    """Small modules named for what they do."""
    assert len(MODULES[module].read_text().splitlines()) <= MAX_LINES
