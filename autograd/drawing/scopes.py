"""Drawing scopes: ``with scope("neuron") as s:`` records the nodes made inside it, for ``draw(..., group_by=s)``."""

from __future__ import annotations

from autograd import modes
from autograd.value import Value

GroupPath = tuple[str, ...]


class Scope:
    """The nodes made inside ``with scope(name):``, kept by the object the user holds.

    Nothing is stored globally, so a scope keeps its nodes alive only as long as
    the user keeps the scope. Scopes nest: an inner scope is a child of the outer
    one, and ``draw(root, group_by=outer)`` boxes the inner scopes inside it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[Value] = []
        self.children: list[Scope] = []

    def __enter__(self) -> Scope:
        parent = modes.current_scope()
        if isinstance(parent, Scope) and not any(c is self for c in parent.children):
            parent.children.append(self)
        modes.push_scope(self)
        return self

    def __exit__(self, *exc: object) -> None:
        modes.pop_scope(self)

    def groups(self) -> dict[Value, GroupPath]:
        """Every recorded node -> the names of the scopes it was made in, this one first."""
        out: dict[Value, GroupPath] = {}
        stack: list[tuple[Scope, GroupPath]] = [(self, (self.name,))]
        while stack:
            s, path = stack.pop()
            for node in s.nodes:
                out[node] = path
            stack.extend((c, (*path, c.name)) for c in s.children)
        return out

    def __repr__(self) -> str:
        return f"Scope({self.name!r}, {len(self.nodes)} nodes, {len(self.children)} inner scopes)"


def scope(name: str) -> Scope:
    """A context manager that records every node made inside it, for ``draw(..., group_by=s)``.

    Usage::

        with scope("neuron") as s:
            out = (x1 * w1 + x2 * w2 + b).tanh()
        draw(out, group_by=s)

    Costs nothing while no scope is active: recording goes through the same
    per-node hook as ``no_grad``, which is only called while a mode is on.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope needs a non-empty string name, got {name!r}")
    return Scope(name)
