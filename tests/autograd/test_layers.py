"""The package's modules form layers: no import cycle, the engine imports only below itself.

Imports are read with ``ast`` from the source, those inside functions included
(a lazy import is still a dependency). Each engine module is also imported
alone in a fresh interpreter, which must not pull in anything optional.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "autograd"

# Bottom first: each may import only the modules listed before it (ARCHITECTURE.md, layers 1 and 2).
ENGINE_LAYERS = [
    "autograd.ops",  # the op table: imports nothing of the package
    "autograd.version",
    "autograd.collector",  # pauses of the cyclic collector during the engine's bounded work
    "autograd.value",  # Value and its generated ops; the layers above register what it calls
    "autograd.roles",  # what a leaf is (input, parameter, constant), marked on the node
    "autograd.serialize",  # installs Value's pickle and copy protocol
    "autograd.inputs",
    "autograd.modes",  # no_grad, anomaly, scopes: registers its node hook on value
    "autograd.scopes",  # (where the tree has it) the hierarchy's frames, recorded while nodes are made
    "autograd.graph",  # sorts, backward (registered on value), grad
    "autograd.functional",
    "autograd.trace",
    "autograd.hierarchy",  # (where the tree has it) the graph's model > layer > neuron tree
    "autograd.pathsum",
    "autograd.higher",
    "autograd.check",
    "autograd.forward",
]
OPTIONAL = ("graphviz", "numpy", "nn", "autograd.drawing", "autograd.compiled", "autograd.cli", "importlib.metadata")


def present_layers() -> list[str]:
    """ENGINE_LAYERS without the modules this tree does not have."""
    modules = all_modules()
    return [m for m in ENGINE_LAYERS if m in modules]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules ``path`` imports anywhere in its code (``from autograd import ops`` is autograd.ops)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "autograd")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "autograd":
            for a in node.names:
                full = f"{node.module}.{a.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; the package uses absolute imports")
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle ``[a, b, ..., a]`` of the graph, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt) and nxt in graph:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "autograd.value" in graph and "autograd.drawing.build" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_every_engine_module_is_in_a_layer():
    top_level = {name for name in all_modules() if name.count(".") == 1}
    others = {"autograd.cli", "autograd.__main__", "autograd.drawing", "autograd.compiled"}
    assert top_level - others == set(present_layers()), "place a new engine module in ENGINE_LAYERS"
    assert {"autograd.ops", "autograd.value", "autograd.graph"} <= set(present_layers())


@pytest.mark.parametrize("module", ENGINE_LAYERS)
def test_engine_modules_import_only_below_themselves(module):
    layers = present_layers()
    if module not in layers:
        pytest.skip(f"{module} is not in this tree")
    graph = import_graph()
    below = set(layers[:layers.index(module)])
    upward = graph[module] - below
    assert not upward, f"{module} imports {sorted(upward)}, which are not below it"


@pytest.mark.parametrize("module", ENGINE_LAYERS)
def test_each_engine_module_imports_alone_without_optional_packages(module):
    if module not in present_layers():
        pytest.skip(f"{module} is not in this tree")
    code = (f"import sys, {module}\n"
            f"loaded = [m for m in {OPTIONAL!r} if m in sys.modules]\n"
            "assert not loaded, loaded\n"
            "from autograd import Value\n"
            "x = Value(2.0)\n"
            "(x * x).backward()\n"
            "assert x.grad == 4.0\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
