"""nn's modules form layers: no import cycle, at module level or inside functions (#20: module <-> checkpoint)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The nn modules ``path`` imports anywhere (``from nn import x`` counts ``nn.x`` when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m in known}


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / "nn").rglob("*.py")}
    known = set(files)
    graph = {}
    for name, path in files.items():
        # a package's __init__ re-exports its modules: importing a submodule of nn always runs it first,
        # so edges into a package from its own modules are not cycles of the code's layers
        graph[name] = {m for m in _imports(path, known) if m != name and not name.startswith(m + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def test_nn_has_no_import_cycle():
    graph = import_graph()
    assert "nn.checkpoint" in graph["nn.module"] and "nn.module" not in graph["nn.checkpoint"]
    assert find_cycle({k: v - {"nn"} for k, v in graph.items()}) is None


def test_the_lowest_layers_import_nothing_above_them():
    graph = import_graph()
    assert graph["nn.interrupts"] == set()
    assert graph["nn.files"] == {"nn.interrupts"}
    assert graph["nn.checks"] == set()
    assert graph["nn.checkpoint"] <= {"nn.files"}
