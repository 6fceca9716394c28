"""The boxes the explorer collapses and expands: the graph's hierarchy, as JSON-ready rows.

The tree comes from :func:`autograd.hierarchy.hierarchy` (the modules, scopes
and examples recorded while the graph was built, and automatic chunks where a
level would be too large). Each box becomes one row of ``boxes`` in the page's
data, in preorder (a box before its children), and each value carries the
index of its innermost box:

* ``name``, ``kind``, ``parent`` (-1 for the root box), ``count`` (values in
  the box and below);
* ``gs`` and ``np``: for a box made by an ``nn`` module, the mean ``|dL/dw|``
  of its parameters in this backward pass and how many there are, which the
  page colours on a log scale with ``nn.health``'s thresholds (see
  :data:`GRADIENT_FLOW`).

A box's inputs, outputs and the derivatives on the edges into it when it is
collapsed (``d output / d input``, what :func:`autograd.hierarchy.box_derivatives`
computes: a backward pass inside the box) are not stored: the page computes
them from the values' boxes for the boxes it draws, with the same float
operations in the same order. Stored, they made a 100,000-value MLP page
three times as large.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd.drawing import text
from autograd.drawing.explorer.numbers import num
from autograd.value import Value

# nn.health's default thresholds (nn.HealthThresholds: vanishing, exploding), as numbers so that
# autograd never imports nn; a test keeps them equal. A module's mean |dL/dw| below `vanishing` times
# the largest module's is vanishing; above `exploding` times the output module's, exploding.
GRADIENT_FLOW = {"vanishing": 1e-3, "exploding": 1e3}


def gradient_flow(thresholds: Any = None) -> dict[str, float]:
    """The thresholds the page colours module boxes with: :data:`GRADIENT_FLOW` or those of ``thresholds``.

    ``thresholds`` is anything with ``vanishing`` and ``exploding`` numbers,
    e.g. ``nn.HealthThresholds(vanishing=1e-4)``.
    """
    if thresholds is None:
        return dict(GRADIENT_FLOW)
    out = {}
    for name in GRADIENT_FLOW:
        value = getattr(thresholds, name, None)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"thresholds.{name} must be a positive finite number, got {value!r} "
                             f"(from {thresholds!r})")
        out[name] = float(value)
    return out


def module_parameters(module: Any, in_graph: dict[Value, int]) -> list[int]:
    """Indices of the graph's values that are parameters of ``module`` (an nn Module, read by duck typing)."""
    params = getattr(module, "parameters", None)
    if not callable(params):
        return []
    try:
        found = params()
    except Exception:  # a module that cannot list its parameters has no gradient size to show  # noqa: BLE001
        return []
    return [in_graph[p] for p in found if isinstance(p, Value) and p in in_graph]


def box_rows(tree: Any, order: Sequence[Value], index: dict[Value, int],
             grads: dict[Value, float]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows of ``boxes`` (preorder) and each value's innermost box (a list aligned with ``index``)."""
    boxes = list(tree.walk())
    number = {id(b): j for j, b in enumerate(boxes)}
    sizes_of: dict[int, tuple[Any, int]] = {}  # per module: (mean |dL/dw|, count), computed once
    of_node = [0] * len(index)
    rows: list[dict[str, Any]] = []
    for j, box in enumerate(boxes):
        for node in box.nodes:
            of_node[index[node]] = j
        row: dict[str, Any] = {
            "name": text.plain(box.name),
            "kind": box.kind,
            "parent": number[id(box.parent)] if box.parent is not None else -1,
            "count": box.count,
        }
        if box.module is not None:
            if id(box.module) not in sizes_of:
                params = module_parameters(box.module, index)
                sizes = [abs(grads.get(order[k], 0.0)) for k in params]
                finite = all(map(math.isfinite, sizes))
                mean = (math.fsum(sizes) / len(sizes) if finite else math.inf) if sizes else None
                sizes_of[id(box.module)] = (mean, len(params))
            mean, count = sizes_of[id(box.module)]
            if mean is not None:
                row["gs"], row["np"] = num(mean), count
        rows.append(row)
    return rows, of_node


def leaf_order(root: Value, tree: Any, index: dict[Value, int]) -> list[int]:
    """The leaves in the order the forward computation used them, a model's parameters in the model's order.

    A graph does not record when a leaf was made; the order its expression
    reads (a depth-first walk from the root, each op's inputs left to right)
    is that order whenever leaves are made where they are used, and an nn
    model lists its parameters in the order its constructor made them.
    """
    group_of: dict[int, list[int]] = {}
    modules: set[int] = set()
    for box in tree.walk():
        if box.module is not None and id(box.module) not in modules:
            modules.add(id(box.module))
            params = module_parameters(box.module, index)
            for k in params:
                group_of.setdefault(k, params)
    placed: list[int] = []
    seen: set[int] = set()
    visited: set[Value] = set()
    stack: list[tuple[Value, int]] = [(root, 0)]
    while stack:  # iterative: a chain of 100,000 values is fine
        node, i = stack.pop()
        if i == 0:
            if node in visited:
                continue
            visited.add(node)
        if i < len(node.parents):
            stack.append((node, i + 1))
            stack.append((node.parents[i], 0))
            continue
        if node.parents:
            continue
        for j in group_of.get(index[node], (index[node],)):
            if j not in seen:
                seen.add(j)
                placed.append(j)
    return placed
