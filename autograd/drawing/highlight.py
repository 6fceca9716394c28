"""Highlighting: the paths from a leaf (or one given path) to the root, and a caption with their products.

Everything here is linear in the size of the graph: the paths are counted and
summed by dynamic programming over the topological order, and the few listed
paths are found by a depth-first walk that shares prefixes (a linked list of
steps) instead of copying the path at every step.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from autograd.drawing.style import fmt
from autograd.pathsum import first_paths
from autograd.value import Value

Edge = tuple[Value, int]  # (child, index of the parent in child.parents)


class NodePath(Protocol):
    """A path ``highlight=`` takes besides a node: its ``nodes`` from a leaf to the root (a ``paths()`` item).

    ``local_grads`` and ``edges`` (the parent index of every edge), when it has them, tell parallel edges apart.
    """

    @property
    def nodes(self) -> Sequence[Value]: ...

MAX_LISTED_PATHS = 12
_ROUTE_ENDS = 6  # a long path shows its first and last nodes and factors, the middle as "..."


@dataclass
class Highlight:
    edges: set[Edge]
    nodes: set[Value]
    caption: list[str]


def _shorten(items: list[str], sep: str) -> str:
    if len(items) <= 2 * _ROUTE_ENDS:
        return sep.join(items)
    hidden = len(items) - 2 * _ROUTE_ENDS
    return sep.join([*items[:_ROUTE_ENDS], f"... ({hidden:,} more)", *items[-_ROUTE_ENDS:]])


def path_line(nodes: Sequence[Value], grads: Sequence[float], names: dict[Value, str], precision: int) -> str:
    """``a -> b -> c:  g1 x g2 = product`` (long paths shortened in the middle)."""
    f = functools.partial(fmt, precision=precision)
    product = 1.0
    for g in grads:
        product *= g
    route = _shorten([names[n] for n in nodes], " -> ")
    factors = _shorten([f(g) for g in grads], " x ") or "1"
    return f"{route}:  {factors} = {f(product)}"


def highlight_leaf(leaf: Value, root: Value, order: Sequence[Value], names: dict[Value, str],
                   precision: int) -> Highlight:
    """Every edge on a path leaf -> root, and a caption listing the paths' products and their sum."""
    reach = {leaf}
    for node in order:  # a node lies on a path iff it depends on the leaf
        for p in node.parents:
            if p in reach:
                reach.add(node)
                break
    edges = {(c, i) for c in order if c in reach for i, p in enumerate(c.parents) if p in reach}
    # The sum over paths by dynamic programming, so huge path counts stay cheap.
    total = {leaf: 1.0}
    for node in order:
        if node is not leaf and node in reach:
            total[node] = sum(total[p] * lg for p, lg in zip(node.parents, node.local_grads) if p in reach)
    f = functools.partial(fmt, precision=precision)
    lines = [f"paths from {names[leaf]} to {names[root]} (product of the edge labels on each):"]
    n_paths, listed = first_paths(root, leaf, MAX_LISTED_PATHS, list(order))
    lines += ["  " + path_line(p.nodes, p.local_grads, names, precision) for p in listed]
    if n_paths > len(listed):
        lines.append(f"  ... and {n_paths - len(listed):,} more paths")
    noun = "path" if n_paths == 1 else "paths"
    lines.append(f"sum over {n_paths:,} {noun} = d {names[root]} / d {names[leaf]} = {f(total.get(root, 0.0))}")
    return Highlight(edges, reach, lines)


def highlight_path(path: NodePath, order: Sequence[Value], names: dict[Value, str], precision: int) -> Highlight:
    """The edges of one path object with ``.nodes`` (leaf ... root), e.g. from ``paths()``."""
    nodes = list(path.nodes)
    in_graph = set(order)
    for n in nodes:
        if not isinstance(n, Value) or n not in in_graph:
            raise ValueError(f"highlight path contains {n!r}, which is not a node of the drawn graph")
    wanted = list(getattr(path, "local_grads", ()) or ())
    # autograd.paths() gives the parent index of every edge, which tells parallel edges apart
    indices = getattr(path, "edges", None)
    edges: set[Edge] = set()
    grads: list[float] = []
    for k, (parent, child) in enumerate(zip(nodes, nodes[1:])):
        candidates = [i for i, p in enumerate(child.parents) if p is parent]
        if not candidates:
            raise ValueError(f"highlight path: {names[parent]} is not an input of {names[child]}")
        i = candidates[0]
        if indices is not None and indices[k] in candidates:
            i = indices[k]
        elif k < len(wanted):
            # Parallel edges (x * y with x is y) differ only by index; pick the one with the path's factor.
            i = next((j for j in candidates if child.local_grads[j] == wanted[k]), i)
        edges.add((child, i))
        grads.append(child.local_grads[i])
    return Highlight(edges, set(nodes), ["path " + path_line(nodes, grads, names, precision)])
