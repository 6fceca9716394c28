"""The package's modules form layers: no import cycle, the engine imports only below itself.

Imports are read with ``ast`` from the source, those inside functions included
(a lazy import is still a dependency). Each engine module is also imported
alone in a fresh interpreter, which must not pull in anything optional.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.imports import ROOT, find_cycle, modules_of
from tests.imports import import_graph as package_import_graph

# Bottom first: each may import only the modules listed before it (ARCHITECTURE.md, layers 1 and 2).
ENGINE_LAYERS = [
    "autograd.ops",  # the op table: imports nothing of the package
    "autograd.version",
    "autograd.exit_status",  # how the command lines end (imports nothing of the package)
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


def all_modules() -> dict[str, Path]:
    return modules_of("autograd")


def import_graph() -> dict[str, set[str]]:
    return package_import_graph("autograd")


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
