"""nn's modules form layers: no import cycle, at module level or inside functions (#20: module <-> checkpoint)."""

from __future__ import annotations

from tests.imports import find_cycle
from tests.imports import import_graph as package_import_graph


def import_graph() -> dict[str, set[str]]:
    # a package's __init__ re-exports its modules: importing a submodule of nn always runs it first,
    # so edges into a package from its own modules are not cycles of the code's layers
    return {name: {m for m in imports if not name.startswith(m + ".")}
            for name, imports in package_import_graph("nn").items()}


def test_nn_has_no_import_cycle():
    graph = import_graph()
    assert "nn.checkpoint" in graph["nn.module"] and "nn.module" not in graph["nn.checkpoint"]
    assert find_cycle(graph) is None


def test_the_lowest_layers_import_nothing_above_them():
    graph = import_graph()
    assert graph["nn.interrupts"] == set()
    assert graph["nn.files"] == {"nn.interrupts"}
    assert graph["nn.checks"] == set()
    assert graph["nn.checkpoint"] <= {"nn.files"}
