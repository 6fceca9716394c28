"""Which boxes of a graph's hierarchy a picture opens: all of a small graph, the top of a large one, or as asked.

A picture of a tree of boxes (:mod:`autograd.hierarchy`) shows each open box
as a frame around its contents and each closed box as one node. The root box
is always open. :func:`opened` decides:

* ``expand=None`` (``draw``'s default): everything when the whole graph has at
  most ``max_nodes`` nodes to draw; otherwise the boxes open a whole level at a
  time from the top, while the picture stays under ``budget`` nodes
  (:data:`~autograd.drawing.style.DEFAULT_EXPANDED_NODES`), twice as many
  edges and a longest path of ``length`` (:func:`drawn_length`,
  :data:`~autograd.drawing.style.DEFAULT_EXPANDED_LENGTH`), so it stays legible
  at its natural size (a level opened halfway would show some examples
  in detail and others not, and dense layers opened neuron by neuron are a
  tangle of edges);
* ``expand=True`` (or ``collapse=False``): everything;
* ``expand=`` a box, a path (``"example 0/MLP/layer 1"``, or a tuple of names
  when a name holds ``/``) or a list of them: those boxes and the boxes around
  them, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.hierarchy import Box
from autograd.value import Value


def closed_map(tree: Box, open_boxes: set[Box]) -> dict[Box, Box | None]:
    """Each box -> the closed box its values are drawn in (itself, or a closed box around it); None if open."""
    closed: dict[Box, Box | None] = {}
    for b in tree.walk():  # parents first
        outer = closed.get(b.parent) if b.parent is not None else None
        closed[b] = outer if outer is not None else (None if b is tree or b in open_boxes else b)
    return closed


def drawn_counts(tree: Box, open_boxes: set[Box]) -> tuple[int, int, int]:
    """``(values, ops, closed boxes)`` a picture of ``tree`` with ``open_boxes`` open draws."""
    values = ops = boxes = 0
    stack = [tree]
    while stack:
        box = stack.pop()
        values += len(box.nodes)
        ops += sum(1 for n in box.nodes if n.op)
        for child in box.children:
            if child in open_boxes:
                stack.append(child)
            else:
                boxes += 1
    return values, ops, boxes


def drawn_edges(tree: Box, open_boxes: set[Box]) -> int:
    """How many edges that picture draws: each edge into a drawn op, one per (tail, head) into or out of a box."""
    closed = closed_map(tree, open_boxes)
    box_of = tree._tree.box_of if tree._tree is not None else {}
    single = 0
    merged: set[tuple[int, int]] = set()
    for node, box in box_of.items():
        head = closed[box]
        for p in node.parents:
            tail = closed[box_of[p]]
            if head is None and tail is None:
                single += 1
            elif tail is not head:
                merged.add((id(tail) if tail is not None else id(p), id(head) if head is not None else id(node)))
    return single + len(merged)


def drawn_length(tree: Box, open_boxes: set[Box]) -> int:
    """The length of that picture's longest path, along the rank direction (LR or TB), in rough units.

    A value record or a closed box counts 2, an op 1: about 150 px each at the
    default sizes (a record shows a name, data and gradient side by side).
    """
    closed = closed_map(tree, open_boxes)
    box_of = tree._tree.box_of if tree._tree is not None else {}
    order = tree._tree.index if tree._tree is not None else {}
    longest: dict[Value, int] = {}
    best = 0
    for node in order:  # topological order
        item = closed[box_of[node]]
        step = (3 if node.op else 2) if item is None else 2
        length = step
        for p in node.parents:
            if item is not None and closed[box_of[p]] is item:
                length = max(length, longest[p])  # inside one closed box: no new rank
            else:
                length = max(length, longest[p] + step)
        longest[node] = length
        best = max(best, length)
    return best


def every_box(tree: Box) -> set[Box]:
    return set(tree.walk())


def top_down(tree: Box, budget: int, length: int) -> set[Box]:
    """Levels of boxes opened from the top while the picture stays within ``budget`` nodes, ``2 budget``
    edges and ``length`` (:func:`drawn_length`) along its longest path."""
    open_boxes = {tree}
    level = list(tree.children)
    while level:
        candidate = open_boxes | set(level)
        if (sum(drawn_counts(tree, candidate)) > budget or drawn_edges(tree, candidate) > 2 * budget
                or drawn_length(tree, candidate) > length):
            break
        open_boxes = candidate
        level = [c for b in level for c in b.children]
    return open_boxes


def named(tree: Box, expand: Any) -> set[Box]:
    """The boxes ``expand`` names (a Box, a path, or a list of them) and every box around them."""
    items: Iterable[Any] = [expand] if isinstance(expand, (Box, str, tuple)) else expand
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"expand must be True, a Box, a path (str or tuple of names) or a list of them; "
                        f"got {type(expand).__name__}") from None
    opened_boxes = {tree}
    for item in items:
        if isinstance(item, Box):
            if item._tree is tree._tree:
                box: Box | None = item
            elif item._tree is not None and tree._tree is not None and item._tree.root is tree._tree.root:
                box = tree.find(item.path)  # a box of a hierarchy made apart from this picture's, same graph
            else:
                raise ValueError(f"expand={item!r} is a box of another graph's hierarchy")
        elif isinstance(item, (str, tuple)) and item:
            box = tree.find(item)
        else:
            raise TypeError(f"expand takes boxes and paths (a str like 'layer 1/neuron 3', or a tuple of "
                            f"names), got {item!r}")
        while box is not None:
            opened_boxes.add(box)
            box = box.parent
    return opened_boxes


def opened(tree: Box, expand: Any, max_nodes: int | None, budget: int, length: int) -> set[Box]:
    """The open boxes of a picture of ``tree`` (see the module docstring)."""
    if expand is True:
        return every_box(tree)
    if expand is not None and expand is not False:
        return named(tree, expand)
    everything = every_box(tree)
    if max_nodes is None or sum(drawn_counts(tree, everything)) <= max_nodes:
        return everything
    return top_down(tree, budget if max_nodes is None else min(budget, max_nodes), length)
