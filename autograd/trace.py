"""The backward pass as data: one :class:`Step` per chain-rule application.

For the edge from a node ``n`` to its parent ``p`` the backward pass computes

    contribution = (d root / d n) * (d n / d p) = upstream * local_grad

and adds it to ``p``'s gradient. :func:`trace_backward` records every such
step in the order the pass applies them, so the table can be read top to
bottom as the chain rule at work. It is built on
:func:`autograd.graph.chain_rule_steps`, the same walk ``backward()`` does
(same order, same arithmetic, hooks included), but with the gradients kept
in the table, as ``autograd.grad()`` keeps them: no ``.grad`` is read or
written, so tracing a graph whose gradients are filled never doubles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograd.graph import chain_rule_steps, check_value, topological_order
from autograd.value import Value

_REPR_ROWS = 30  # steps a REPL repr shows before cutting
_COLUMNS = ("#", "node", "op", "parent", "local_grad", "upstream", "contribution", "parent_grad")


@dataclass(frozen=True)
class Step:
    """One chain-rule application on the edge ``node -> node.parents[index]``.

    ``upstream`` is d root / d node (after the node's hooks ran), ``local_grad``
    is d node / d parent, ``contribution = upstream * local_grad`` and
    ``parent_grad`` is the parent's gradient right after adding it.
    """

    node: Value
    parent: Value
    index: int
    local_grad: float
    upstream: float
    contribution: float
    parent_grad: float


def node_names(root: Value, order: list[Value] | None = None) -> dict[Value, str]:
    """A short, stable name for every node of ``root``'s graph.

    A node's label when it has one, else ``v<k>`` with ``k`` its position in
    :func:`autograd.topological_order` (parents first), so the numbering reads
    in the order the forward pass made the nodes. Names shared by several
    nodes (two nodes labelled ``x``, or a label ``v3`` next to a generated
    ``v3``) get ``#k`` appended so that every name in one table is unique.
    ``order``, when the caller has it already, is ``topological_order(root)``.
    """
    if order is None:
        order = topological_order(root)
    names = [node.label or f"v{k}" for k, node in enumerate(order)]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return {
        node: (f"{name}#{k}" if seen[name] > 1 else name) for k, (node, name) in enumerate(zip(order, names))
    }


def format_table(rows: Sequence[tuple[str, ...]], left: set[int]) -> list[str]:
    """Align the cells of ``rows`` in columns: columns in ``left`` to the left, the others to the right."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = (cell.ljust(w) if c in left else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths)))
        lines.append("  ".join(cells).rstrip())
    return lines


def _fmt(x: float) -> str:
    return f"{x:.6g}"


class StepTable(list[Step]):
    """A list of :class:`Step` whose ``str()`` is an aligned table.

    ``root`` is the node the pass started from and ``names`` maps every node of
    its graph to the name used in the table (see :func:`node_names`).
    ``grads`` maps every node the pass reached to its gradient d root / d node
    in this pass (what ``backward()`` on a fresh graph would leave in ``.grad``).
    """

    def __init__(self, steps: list[Step], root: Value, names: dict[Value, str],
                 grads: dict[Value, float] | None = None) -> None:
        super().__init__(steps)
        self.root = root
        self.names = names
        self.grads = {} if grads is None else grads

    def grad(self, node: Value) -> float:
        """d root / d ``node`` in this pass (0.0 for a node the pass did not reach)."""
        return self.grads.get(node, 0.0)

    def name(self, node: Value) -> str:
        """The name of ``node`` in this table (its label or a generated ``v<k>``)."""
        return self.names.get(node) or node.label or "?"

    def rows(self) -> list[tuple[str, ...]]:
        """The table's cells as strings, one tuple per step (header not included)."""
        return [
            (
                str(k),
                self.name(s.node),
                s.node.op,
                self.name(s.parent),
                _fmt(s.local_grad),
                _fmt(s.upstream),
                _fmt(s.contribution),
                _fmt(s.parent_grad),
            )
            for k, s in enumerate(self, start=1)
        ]

    def __str__(self) -> str:
        # text columns (node, op, parent) align left, numbers align right
        lines = format_table([_COLUMNS, *self.rows()], left={1, 2, 3})
        if not self:
            lines.append(f"(no steps: {self.name(self.root)} is a leaf)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The table itself at the REPL; a long one is cut after its first rows (``print`` shows all)."""
        head = f"StepTable: {len(self)} chain-rule steps from {self.name(self.root)}"
        if len(self) <= _REPR_ROWS:
            return f"{head}\n{self}"
        lines = str(self).splitlines()
        more = f"... {len(self) - _REPR_ROWS} more steps (print() shows all)"
        return "\n".join([head, *lines[: _REPR_ROWS + 1], more])


def trace_backward(root: Value, grad: float = 1.0) -> StepTable:
    """The backward pass from ``root``, every chain-rule step it applies, without touching any ``.grad``.

    The steps are those ``root.backward(grad)`` applies, in its order (nodes
    in reverse topological order, each node's edges in the order of its
    ``parents``), with the same arithmetic and the same hooks; but the
    gradients live in the table, not in the nodes, as with ``autograd.grad()``:
    no ``.grad`` is read or written, so tracing after ``backward()``, or twice,
    never doubles a gradient. ``parent_grad`` is the parent's gradient *in
    this pass*, starting from zero, after adding the step's contribution: the
    last one recorded for a node is its gradient d root / d node (before its
    own hooks, if it has any), and ``table.grads`` holds every node's final
    one. To fill ``.grad`` as well, call ``root.backward(grad)``.
    """
    check_value(root, "trace_backward")
    names = node_names(root)
    grads: dict[Value, float] = {}
    steps = [
        Step(node, node.parents[i], i, local, upstream, contribution, after)
        for node, i, local, upstream, contribution, after in chain_rule_steps(root, grad, grads)
    ]
    return StepTable(steps, root, names, grads)
