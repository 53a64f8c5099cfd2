"""The package layout: no import cycles, and no module imports a layer above its own.

The import graph is read from the source with `ast` (every import, also those inside functions
and under TYPE_CHECKING), so a lazy import cannot hide a dependency. A library (grimp,
import-linter) would do the same from a built graph; ast keeps the test free of a dependency
for some forty lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import aibot

PACKAGE = Path(aibot.__file__).parent

# Lowest first: a module may import its own layer and the layers before it, never one after.
LAYERS = [
    {"support"},
    {"models", "config", "store", "report"},
    {"posts"},
    {"collect"},
    {"cluster"},
    {"write"},
    {"render"},
    {"commands"},
    {"pipeline"},
    {"cli", "__main__"},
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("aibot", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the aibot modules it imports (`from aibot.x import y` counts as aibot.x.y when
    that is a module, else as aibot.x)."""
    known = modules()
    graph = {}
    for name, path in known.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    imported.add(full if full in known else node.module)
        graph[name] = {m for m in imported if m in known and m != name}
    return graph


def layer(module: str) -> int:
    """The layer of a module. The package's __init__ counts as the lowest: it imports nothing at
    import time (the public API is imported lazily, by name), so modules may take its
    __version__."""
    if module == "aibot":
        return 0
    top = module.split(".")[1]
    return next(n for n, names in enumerate(LAYERS) if top in names)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each as the path that closes it (depth-first search)."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(path[path.index(module) :] + [module])
            return
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in modules() if m != "aibot" and not any(
        m.split(".")[1] in names for names in LAYERS)]  # fmt: skip
    assert unplaced == []


def test_the_graph_sees_lazy_imports() -> None:
    # pipeline imports the stages at the top; cli imports them inside its commands.
    graph = import_graph()
    assert "aibot.pipeline" in graph["aibot.cli"]
    assert "aibot.collect.stage" in graph["aibot.pipeline"]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = sorted(
        f"{module} imports {imported}"
        for module, imports in import_graph().items()
        for imported in imports
        if layer(imported) > layer(module)
    )
    assert upward == []


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_test_module_imports_another() -> None:
    tests = Path(__file__).parent
    imports = sorted(
        f"{path.relative_to(tests)} imports {node.module}"
        for path in tests.rglob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests")
        for name in (node.module or "", *(f"{node.module}.{a.name}" for a in node.names))
        if name.rpartition(".")[2].startswith("test_")
    )
    assert imports == []


def test_tests_mirror_the_packages() -> None:
    tests = Path(__file__).parent
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    mirrored = {p.name for p in tests.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= mirrored
