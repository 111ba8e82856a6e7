"""The package's shape: concept folders in layers, no module importing one above it, no circles.

Imports are read from the source (every `import`, lazy ones inside functions included), with
`latentkit.analyses` and `latentkit.cli` resolved to the top-level analyses/ and cli/ folders
they install as.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"latentkit": ROOT / "latentkit", "latentkit.analyses": ROOT / "analyses", "latentkit.cli": ROOT / "cli"}
# Lowest first: a module may import its own layer and the ones before it, never one after.
# "core" is latentkit's top-level modules; the package facade (__init__, __main__) is exempt.
LAYERS = ["core", "options", "data", "models", "generator", "space", "measure", "results", "web", "training",
          "analyses", "cli"]
MAX_TOP_LEVEL = 12


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module an imported name lives in: the longest known prefix."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Every latentkit module `module` imports, at its top or inside a function."""
    tree = ast.parse(MODULES[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("latentkit"):
            for alias in node.names:  # `from latentkit.space import geometry` imports latentkit.space.geometry
                found.add(_target(f"{node.module}.{alias.name}"))
        elif isinstance(node, ast.Import):
            found.update(_target(a.name) for a in node.names if a.name.startswith("latentkit"))
    return {m for m in found if m and m != module}


def layer(module: str) -> str | None:
    """The layer a module belongs to; None for the package facade."""
    if module in ("latentkit", "latentkit.__main__"):
        return None
    parts = module.split(".")
    if parts[1] in ("analyses", "cli"):
        return parts[1]
    return "core" if MODULES[module].parent == FOLDERS["latentkit"] else parts[1]


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_belongs_to_a_layer():
    unknown = {m: layer(m) for m in MODULES if layer(m) not in (*LAYERS, None)}
    assert not unknown, f"modules in folders that are not in LAYERS: {unknown}"


def test_top_level_holds_few_modules():
    top = sorted(p.name for p in FOLDERS["latentkit"].glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} modules at latentkit/'s top level: {top}"


def test_no_module_imports_a_layer_above_its_own():
    upward = [f"{m} ({layer(m)}) -> {t} ({layer(t)})" for m, targets in GRAPH.items() for t in targets
              if layer(m) is not None and layer(t) is not None and LAYERS.index(layer(t)) > LAYERS.index(layer(m))]
    assert not upward, "imports that run up the layers:\n" + "\n".join(sorted(upward))


def test_no_import_circles():
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if layer(w) is None:  # the facade re-exports lazily: `from latentkit import __version__` is no circle
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index and layer(module) is not None:
            visit(module)
    assert not circles, f"import circles: {circles}"


@pytest.mark.parametrize("name", ["latentkit.generator.contract", "latentkit.cli.main", "latentkit.analyses.sweep"])
def test_import_reader_sees_lazy_and_aliased_imports(name):
    # The checks above are only as good as the reader: it must see imports inside functions
    # and resolve the analyses/cli names to their folders.
    assert GRAPH[name], f"no imports read from {name}"
    assert all(t in MODULES for t in GRAPH[name])
