"""Interim stand-in for :mod:`autograd.hierarchy` (same interface), used only until that module exists.

Boxes come from ``group_by`` (as ``draw`` reads it) and from automatic
chunking by topological position; no module paths are recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from autograd.drawing.grouping import group_derivatives, resolve_groups
from autograd.graph import topological_order
from autograd.value import Value

DEFAULT_MAX_ITEMS = 40


class Box:
    def __init__(self, name: str, kind: str, parent: Box | None) -> None:
        self.name, self.kind, self.parent = name, kind, parent
        self.path: tuple[str, ...] = (*parent.path, name) if parent is not None and parent.parent is not None else (
            (name,) if parent is not None else ())
        self.children: list[Box] = []
        self.nodes: list[Value] = []
        self.module: Any = None
        self.count = 0
        self.inputs: list[Value] = []
        self.outputs: list[Value] = []
        self._where: dict[Value, Box] = {}

    def walk(self) -> Iterator[Box]:
        stack = [self]
        while stack:
            b = stack.pop()
            yield b
            stack.extend(reversed(b.children))

    def box_of(self, node: Value) -> Box:
        return self._where[node]


def _chunk(box: Box, max_items: int) -> None:
    items: list[Any] = [*box.children, *box.nodes]
    if len(items) <= max_items:
        return
    # items in order of their first value; each chunk takes a run of max_items
    firsts = {id(c): c._first for c in box.children}
    items.sort(key=lambda it: firsts[id(it)] if isinstance(it, Box) else it_pos[it])
    runs = [items[i:i + max_items] for i in range(0, len(items), max_items)]
    box.children, box.nodes = [], []
    for j, run in enumerate(runs):
        c = Box(f"part {j + 1}", "chunk", box)
        c._first = min(firsts[id(it)] if isinstance(it, Box) else it_pos[it] for it in run)
        for it in run:
            if isinstance(it, Box):
                it.parent = c
                c.children.append(it)
            else:
                c.nodes.append(it)
        box.children.append(c)
    _chunk(box, max_items)
    for c in box.children:
        if c.kind == "chunk":
            _chunk(c, max_items)


it_pos: dict[Value, int] = {}


def hierarchy(root: Value, order: Sequence[Value] | None = None, group_by: Any = None,
              max_items: int = DEFAULT_MAX_ITEMS) -> Box:
    order = list(order) if order is not None else topological_order(root)
    it_pos.clear()
    it_pos.update((n, k) for k, n in enumerate(order))
    top = Box("graph", "graph", None)
    top._first = 0
    groups = resolve_groups(order, group_by)
    made: dict[tuple[str, ...], Box] = {(): top}
    for k, node in enumerate(order):
        path = groups.get(node, ())
        for d in range(1, len(path) + 1):
            if path[:d] not in made:
                b = Box(path[d - 1], "group", made[path[:d - 1]])
                b._first = k
                made[path[:d - 1]].children.append(b)
                made[path[:d]] = b
        made[path].nodes.append(node)
    _chunk(top, max_items)
    where: dict[Value, Box] = {}
    for b in top.walk():
        for n in b.nodes:
            where[n] = b
    users = defaultdict(list)
    for n in order:
        for p in n.parents:
            users[p].append(n)
    for b in reversed(list(top.walk())):
        b.count = len(b.nodes) + sum(c.count for c in b.children)
    for b in top.walk():
        b._where = where
        inside = set()
        for d in b.walk():
            inside.update(d.nodes)
        ins: dict[Value, None] = {}
        for n in order:
            if n in inside:
                for p in n.parents:
                    if p not in inside:
                        ins[p] = None
        b.inputs = list(ins)
        b.outputs = [n for n in order if n in inside and (n is root or any(u not in inside for u in users[n]))]
        b._members = [n for n in order if n in inside]
    return top


def box_derivatives(box: Box, output: Value | None = None) -> dict[Value, float]:
    if output is None:
        if len(box.outputs) != 1:
            raise ValueError(f"box {box.name!r} has {len(box.outputs)} outputs: name one")
        output = box.outputs[0]
    members = box._members
    return dict(group_derivatives(members, output, set(members)))
