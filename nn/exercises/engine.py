"""Checks for notebook 0, "build your own engine": the learner's ``Value`` class, step by step.

The learner's class has ``data``, ``grad``, ``parents`` and ``local_grads`` (the local derivative
on each edge, as ``autograd.Value`` has). Each check builds random expressions twice, once with the
learner's class and once with ``autograd.Value``, and compares values and gradients: the project's
engine is the oracle.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import autograd
from nn.exercises.core import NotYet, call, exercise, number, same

ATTRS = ("data", "grad", "parents", "local_grads")


def _make(V: Any, x: float) -> Any:
    v = call(V, x, what=f"{getattr(V, '__name__', 'your class')}({x!r})")
    for attr in ATTRS:
        if not hasattr(v, attr):
            raise NotYet(f"a Value needs the attribute {attr!r}")
    return v


def _node(v: Any, what: str) -> tuple[float, tuple[Any, ...], tuple[float, ...]]:
    """(data, parents, local_grads) of the learner's node, checked for shape."""
    for attr in ATTRS:
        if not hasattr(v, attr):
            raise NotYet(f"{what} returned {v!r}, which has no attribute {attr!r}: return a Value")
    parents, local = tuple(v.parents), tuple(v.local_grads)
    if len(parents) != len(local):
        raise NotYet(f"{what} has {len(parents)} parents but {len(local)} local derivatives: one per edge")
    return number(v.data, f"{what}.data"), parents, tuple(number(g, f"a local derivative of {what}") for g in local)


@exercise("0.1", "addition, multiplication and tanh, each with its local derivatives")
def _ops(V: Any) -> str:
    if not isinstance(V, type):
        raise NotYet(f"pass your class itself (check(\"0.1\", Value)), got {type(V).__name__}")
    rng = random.Random(1)
    for _ in range(20):
        a, b = rng.uniform(-2, 2), rng.uniform(-2, 2)
        x, y = _make(V, a), _make(V, b)
        ref_x, ref_y = autograd.Value(a), autograd.Value(b)
        cases: list[tuple[str, Callable[..., Any], autograd.Value, tuple[Any, ...] | None]] = [
            (f"Value({a:.3g}) + Value({b:.3g})", lambda x=x, y=y: x + y, ref_x + ref_y, (x, y)),
            (f"Value({a:.3g}) * Value({b:.3g})", lambda x=x, y=y: x * y, ref_x * ref_y, (x, y)),
            (f"Value({a:.3g}).tanh()", lambda x=x: x.tanh(), ref_x.tanh(), (x,)),
            (f"Value({a:.3g}) + {b:.3g}", lambda x=x, b=b: x + b, ref_x + b, None),
            (f"{b:.3g} * Value({a:.3g})", lambda x=x, b=b: b * x, b * ref_x, None),
        ]
        for what, build, ref, parents in cases:
            out = call(build, what=what)
            data, got_parents, local = _node(out, what)
            same(data, ref.data, f"{what}: its data", reveal=True)
            if parents is None:
                # a plain number: autograd bakes it into the op; your class may wrap it in a Value.
                # Either way the edge to x must carry autograd's derivative with respect to x.
                edges = [g for p, g in zip(got_parents, local) if p is x]
                if len(edges) != 1:
                    raise NotYet(f"{what}: x should be a parent of the result exactly once")
                same(edges[0], ref.local_grads[0], f"{what}: the local derivative on the edge to x", reveal=True)
                continue
            if len(got_parents) != len(parents) or any(p is not q for p, q in zip(got_parents, parents)):
                raise NotYet(f"{what}: its parents should be the operands themselves, in order (not copies)")
            for k, (g, r) in enumerate(zip(local, ref.local_grads)):
                same(g, r, f"{what}: the local derivative on edge {k}", reveal=True)
    return "values and local derivatives of +, * and tanh agree with autograd.Value on 100 cases"


def _random_graph(V: Any, rng: random.Random, reuse: bool) -> tuple[list[Any], Any, list[Any], Any]:
    """The same random expression built with the learner's class and autograd's: (leaves, root) twice."""
    mine: list[Any] = []
    ref: list[Any] = []
    if reuse:
        xs = [rng.uniform(-1.5, 1.5) for _ in range(rng.randint(1, 4))]
        mine += [_make(V, x) for x in xs]
        ref += [autograd.Value(x) for x in xs]
        nodes = list(zip(mine, ref))
        for _ in range(rng.randint(2, 7)):
            op = rng.choice("+*t")
            (a, ra), (b, rb) = rng.choice(nodes), rng.choice(nodes)  # the same node may be drawn twice
            if op == "+":
                nodes.append((a + b, ra + rb))
            elif op == "*":
                nodes.append((a * b, ra * rb))
            else:
                nodes.append((a.tanh(), ra.tanh()))
        root, rroot = nodes[-1]
    else:
        def tree(depth: int) -> tuple[Any, Any]:
            if depth == 0 or rng.random() < 0.25:
                x = rng.uniform(-1.5, 1.5)
                leaf = (_make(V, x), autograd.Value(x))  # a fresh leaf: no node is used twice
                mine.append(leaf[0])
                ref.append(leaf[1])
                return leaf
            op = rng.choice("+*t")
            a, ra = tree(depth - 1)
            if op == "t":
                return a.tanh(), ra.tanh()
            b, rb = tree(depth - 1)
            return (a + b, ra + rb) if op == "+" else (a * b, ra * rb)

        root, rroot = tree(4)
    return mine, root, ref, rroot


def _needs_ops(V: Any) -> None:
    """Backward is checked on graphs built with the learner's ops: those must work first."""
    try:
        _ops(V)
    except NotYet as e:
        raise NotYet(f"the ops of exercise 0.1 first: {e}") from None
    if not callable(getattr(V, "backward", None)):
        raise NotYet("give your class a backward method: Value.backward = backward")


def _compare_backward(V: Any, reuse: bool, cases: int) -> None:
    _needs_ops(V)
    rng = random.Random(2 if reuse else 3)
    for case in range(cases):
        mine, root, ref, rroot = call(lambda: _random_graph(V, rng, reuse), what="building a graph with your Value")
        call(root.backward, what="root.backward()")
        expected = autograd.grad(rroot, ref) if ref else []
        for k, (leaf, g) in enumerate(zip(mine, expected)):
            same(number(leaf.grad, "a leaf's grad"), g, f"graph {case}: the gradient of leaf {k}", reveal=True)


@exercise("0.2", "backward(): the chain rule over a topological order, on graphs where no node is reused")
def _backward_tree(V: Any) -> str:
    _compare_backward(V, reuse=False, cases=40)
    return "leaf gradients agree with autograd.grad on 40 random expression trees"


@exercise("0.3", "backward() that accumulates: nodes used more than once")
def _backward_dag(V: Any) -> str:
    _needs_ops(V)
    a = _make(V, 3.0)
    b = call(lambda: a + a, what="a + a")
    call(b.backward, what="(a + a).backward()")
    if number(a.grad, "a.grad") != 2.0:
        raise NotYet(f"for b = a + a, a.grad is {a.grad!r}; d(a + a)/da = 2: both edges must add their share")
    x = _make(V, -1.5)
    y = call(lambda: x * x, what="x * x")
    call(y.backward, what="(x * x).backward()")
    same(number(x.grad, "x.grad"), -3.0, "for y = x * x at x = -1.5, x.grad", reveal=True)
    _compare_backward(V, reuse=True, cases=60)
    return "a + a, x * x and 60 random graphs with reused nodes agree with autograd.grad"


def _f1(v: list[float]) -> float:
    return v[0] * v[1] + math.tanh(v[0])


def _f2(v: list[float]) -> float:
    return math.exp(-v[0] * v[0]) * v[2] + v[1] ** 3


_GRADS: dict[Callable[[list[float]], float], Callable[[list[float]], list[float]]] = {
    _f1: lambda v: [v[1] + 1 - math.tanh(v[0]) ** 2, v[0]],
    _f2: lambda v: [-2 * v[0] * math.exp(-v[0] * v[0]) * v[2], 3 * v[1] ** 2, math.exp(-v[0] * v[0])],
}


@exercise("0.4", "central differences: numeric_grad(f, xs, i, eps)")
def _numeric(numeric_grad: Any) -> str:
    rng = random.Random(4)
    for f, exact in _GRADS.items():
        for _ in range(5):
            n = 2 if f is _f1 else 3
            xs = [rng.uniform(-1, 1) for _ in range(n)]
            before = list(xs)
            for i, g in enumerate(exact(xs)):
                got = number(call(numeric_grad, f, xs, i, 1e-6, what=f"numeric_grad(f, {xs!r}, {i}, 1e-6)"),
                             "numeric_grad's result")
                if xs != before:
                    raise NotYet("numeric_grad changed the list xs it was given: nudge a copy")
                same(got, g, f"numeric_grad at {xs!r}, input {i}", tol=1e-6, reveal=True)
    return "central differences agree with the exact derivatives to 1e-6 on two functions"
