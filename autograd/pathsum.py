"""Nielsen's view of backpropagation: a gradient is a sum over paths.

For a leaf ``x`` and a root ``y``,

    d y / d x = sum over every path x = n0 -> n1 -> ... -> nk = y of
                prod_{j=1..k} d n_j / d n_{j-1}

i.e. multiply the local derivatives along each path and add the products.
Backpropagation computes the same number in time linear in the number of
edges by sharing the partial sums; enumerating paths instead can take time
exponential in the graph's depth (a chain of 40 diamonds has 2**40 paths).
:func:`count_paths` shows this without enumerating, and :func:`paths` refuses
to start an enumeration longer than ``limit``.

Parallel edges are distinct paths: ``x * x`` has two edges from ``x``, each
with local derivative ``x``, and the two paths sum to ``2x``. Hooks are not
applied here (they act on the backward pass only).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from autograd.graph import check_value, topological_order
from autograd.value import Value, _describe

DEFAULT_LIMIT = 100_000


class PathLimitError(RuntimeError):
    """Enumerating the paths would take too long: there are more than the limit."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"{count:,} paths lead from the leaf to the root, more than limit={limit:,}; "
            "use count_paths(root, leaf) to count them without enumerating, "
            "or backward() for the gradient (linear in the number of edges)"
        )
        self.count = count
        self.limit = limit


@dataclass(frozen=True)
class Path:
    """One path from a leaf up to the root.

    ``nodes`` runs leaf ... root; ``edges[j]`` is the index of ``nodes[j]``
    among the parents of ``nodes[j + 1]`` and ``local_grads[j]`` is the local
    derivative d nodes[j+1] / d nodes[j] on that edge.
    """

    nodes: tuple[Value, ...]
    local_grads: tuple[float, ...]
    edges: tuple[int, ...]

    @property
    def product(self) -> float:
        """The product of the local derivatives along the path (1.0 for a path of no edges)."""
        return math.prod(self.local_grads)

    def __len__(self) -> int:
        """The number of edges."""
        return len(self.local_grads)

    def __str__(self) -> str:
        names = [n.label or str(n.op) or "?" for n in self.nodes]
        factors = " * ".join(f"{g:.6g}" for g in self.local_grads) or "1"
        return f"{' -> '.join(names)}: {factors} = {self.product:.6g}"

    def __repr__(self) -> str:  # the route and its product, not every node's full repr
        return f"Path({self})"


def _check(root: object, leaf: object, who: str) -> None:
    check_value(root, who, " as root")
    check_value(leaf, who, " as leaf")


def _count(order: list[Value], leaf: Value) -> int:
    # ways[n] = number of paths leaf -> n; a node's count is the sum over its
    # incoming edges, so one pass in topological order settles all of them.
    ways = {leaf: 1}
    get = ways.get
    for node in order:
        if node is leaf:
            continue
        c = 0
        for p in node.parents:
            c += get(p, 0)
        if c:
            ways[node] = c
    return ways.get(order[-1], 0)


def count_paths(root: Value, leaf: Value) -> int:
    r"""The number of paths from ``leaf`` to ``root``, by dynamic programming.

    $$N(\mathrm{leaf} \to n) = \sum_{\text{edges } p \to n} N(\mathrm{leaf} \to p),$$
    computed once per node in topological order: time linear in the number of edges,
    with exact Python integers (2**40 paths count instantly). 0 when ``root``
    does not depend on ``leaf``; 1 when ``leaf is root``.

    Examples:
        >>> from autograd import Value
        >>> x = Value(1.0)
        >>> v = x
        >>> for _ in range(40):
        ...     v = v * 0.5 + v * 0.5      # two paths per level
        >>> count_paths(v, x) == 2 ** 40
        True
    """
    _check(root, leaf, "count_paths")
    return _count(topological_order(root), leaf)


def paths(root: Value, leaf: Value, limit: int = DEFAULT_LIMIT) -> Iterator[Path]:
    """Iterate over every path from ``leaf`` up to ``root`` (see :class:`Path`).

    Paths are counted first: if there are more than ``limit``, raise
    :class:`PathLimitError` (with the count) before enumerating anything. The
    walk is iterative, so long chains need no recursion; it never enters a dead
    end, as every node of the graph leads to the root.

    Examples:
        >>> from autograd import Value
        >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        >>> c = a * b + a
        >>> for p in paths(c, a):
        ...     print([n.label or n.op for n in p.nodes], p.local_grads, p.product)
        ['a', '*', '+'] (-3.0, 1.0) -3.0
        ['a', '+'] (1.0,) 1.0
    """
    _check(root, leaf, "paths")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"paths' limit must be a non-negative int, got {_describe(limit)}")
    order = topological_order(root)
    count = _count(order, leaf)
    if count > limit:
        raise PathLimitError(count, limit)
    if count == 0:
        return iter(())
    return _walk(root, leaf, consumers(order))


def consumers(order: list[Value]) -> dict[Value, list[tuple[Value, int]]]:
    """Every node -> the edges leaving it toward the root: ``(child, index among the child's parents)``.

    ``order`` is a topological order (parents first), so each node's edges come in the children's order.
    """
    out: dict[Value, list[tuple[Value, int]]] = {}
    for child in order:
        for i, p in enumerate(child.parents):
            out.setdefault(p, []).append((child, i))
    return out


def first_paths(root: Value, leaf: Value, limit: int, order: list[Value] | None = None) -> tuple[int, list[Path]]:
    """``(number of paths leaf -> root, the first `limit` of them)``, however many there are.

    Counting is linear in the edges (:func:`count_paths`); listing costs the
    length of the listed paths, so a drawing can name a few of 2**40 paths.
    ``order``, when the caller has it, is ``topological_order(root)``.
    """
    if order is None:
        order = topological_order(root)
    count = _count(order, leaf)
    if not count:
        return 0, []
    return count, list(islice(_walk(root, leaf, consumers(order)), limit))


def _walk(root: Value, leaf: Value, consumers: dict[Value, list[tuple[Value, int]]]) -> Iterator[Path]:
    # depth-first with an explicit stack: nodes/locals/edges hold the current
    # partial path, iters the untried edges out of each node on it
    nodes = [leaf]
    locals_: list[float] = []
    edges: list[int] = []
    iters = [iter(consumers.get(leaf, ()))]
    while iters:
        if nodes[-1] is root:
            yield Path(tuple(nodes), tuple(locals_), tuple(edges))
            step = None
        else:
            step = next(iters[-1], None)
        if step is None:  # this node is done: back up one edge
            nodes.pop()
            iters.pop()
            if locals_:
                locals_.pop()
                edges.pop()
            continue
        child, i = step
        nodes.append(child)
        locals_.append(child.local_grads[i])
        edges.append(i)
        iters.append(iter(consumers.get(child, ())))


def sum_over_paths(root: Value, leaf: Value, limit: int = DEFAULT_LIMIT) -> float:
    r"""``d root / d leaf`` as Nielsen's sum over paths of products of local derivatives.

    $$\frac{\partial\,\mathrm{root}}{\partial\,\mathrm{leaf}}
      = \sum_{\text{paths}} \prod_{\text{edges } e} \mathrm{local}(e)$$

    Equals the gradient ``backward()`` gives (up to rounding, and without
    hooks); raises :class:`PathLimitError` when there are more than ``limit``
    paths. 0.0 when ``root`` does not depend on ``leaf``.

    Examples:
        >>> from autograd import Value
        >>> x = Value(2.0)
        >>> sum_over_paths(x * x + x, x)   # paths x->*->+ (twice, product 2 each) and x->+ (1)
        5.0
    """
    return math.fsum(p.product for p in paths(root, leaf, limit))
