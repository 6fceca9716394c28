"""Bugs inside a tiny engine (bugs 3 and 10): the 30-line ``Value`` of notebook 0, written twice wrong.

Each tiny engine stores, like ``autograd.Value``, its parents and the local derivative on each edge;
``backward()`` walks a topological order backwards. The checks of notebook 0's exercises (which
compare with ``autograd`` on random graphs) are the test a repaired engine must pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nn.bugs.zoo import Bug, Demo, register
from nn.exercises.engine import _backward_dag, _ops

Number = float


def _topological(root: Any) -> list[Any]:
    order: list[Any] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:  # iterative depth-first search: parents before children
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack += [(p, False) for p in node.parents]
    return order


class TinyValue:
    """A number in a graph; the bug: see the zoo (bug 3)."""

    def __init__(self, data: Number, parents: tuple[Any, ...] = (), local_grads: tuple[float, ...] = ()) -> None:
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads

    def __add__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def tanh(self) -> TinyValue:
        t = math.tanh(self.data)
        return TinyValue(t, (self,), (1.0 - t * t,))

    def backward(self) -> None:
        self.grad = 1.0
        for node in reversed(_topological(self)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad = local * node.grad


class TinyValue2:
    """Another tiny engine; the bug: see the zoo (bug 10)."""

    def __init__(self, data: Number, parents: tuple[Any, ...] = (), local_grads: tuple[float, ...] = ()) -> None:
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads

    def __add__(self, other: Any) -> TinyValue2:
        other = other if isinstance(other, TinyValue2) else TinyValue2(other)
        return TinyValue2(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> TinyValue2:
        other = other if isinstance(other, TinyValue2) else TinyValue2(other)
        return TinyValue2(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def tanh(self) -> TinyValue2:
        t = math.tanh(self.data)
        return TinyValue2(t, (self,), (1.0 - self.data * self.data,))

    def backward(self) -> None:
        self.grad = 1.0
        for node in reversed(_topological(self)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad


class _FixedTinyValue(TinyValue):
    """Bugs 3 and 10 repaired: accumulate with +=, and tanh's derivative 1 - t^2 of its output t."""

    def __add__(self, other: Any) -> _FixedTinyValue:
        other = other if isinstance(other, TinyValue) else _FixedTinyValue(other)
        return _FixedTinyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> _FixedTinyValue:
        other = other if isinstance(other, TinyValue) else _FixedTinyValue(other)
        return _FixedTinyValue(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def tanh(self) -> _FixedTinyValue:
        t = math.tanh(self.data)
        return _FixedTinyValue(t, (self,), (1.0 - t * t,))

    def backward(self) -> None:
        self.grad = 1.0
        for node in reversed(_topological(self)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad


def _accept_engine(V: Any) -> str:
    _ops(V)
    _backward_dag(V)
    return "values, local derivatives and gradients agree with autograd on random graphs with reused nodes"


def _demo_overwrite() -> Demo:
    a = TinyValue(3.0)
    (a + a).backward()
    x = TinyValue(-1.5)
    (x * x).backward()
    u, v = TinyValue(0.5), TinyValue(-2.0)
    (u * v + u.tanh()).backward()  # u feeds two ops
    w1, w2 = TinyValue(0.3), TinyValue(0.7)
    ((w1 * w2).tanh() + 2.0).backward()  # a tree: every node feeds one op
    text = (f"b = a + a at a = 3:        a.grad = {a.grad} (d b/d a = 2)\n"
            f"y = x * x at x = -1.5:     x.grad = {x.grad} (d y/d x = 2x = -3)\n"
            f"u * v + tanh(u):           u.grad = {u.grad:.6f} "
            f"(v + 1 - tanh(u)^2 = {-2.0 + 1 - math.tanh(0.5) ** 2:.6f})\n"
            f"tanh(w1 * w2) + 2:         w1.grad = {w1.grad:.6f} (w2 (1 - tanh^2) = "
            f"{0.7 * (1 - math.tanh(0.21) ** 2):.6f})")
    return Demo(text, {"a_grad": a.grad, "x_grad": x.grad, "u_grad": u.grad, "w1_grad": w1.grad})


def _demo_derivative() -> Demo:
    cases: dict[str, Callable[[Any, Any], Any]] = {
        "x * y + x": lambda x, y: x * y + x, "tanh(x) * y": lambda x, y: x.tanh() * y,
        "tanh(x * y)": lambda x, y: (x * y).tanh()}
    import autograd

    lines, data = [], {}
    for name, f in cases.items():
        for x0 in (0.1, 0.9):
            x, y = TinyValue2(x0), TinyValue2(-0.7)
            f(x, y).backward()
            report = autograd.gradcheck(lambda v, f=f: f(v[0], v[1]), [x0, -0.7])
            ok = all(math.isclose(x.grad, e.numeric, rel_tol=1e-6, abs_tol=1e-9) for e in report.entries[:1])
            lines.append(f"{name:<12} at x = {x0}: tiny engine dx = {x.grad:+.6f}, central difference "
                         f"{report.entries[0].numeric:+.6f}  {'ok' if ok else 'MISMATCH'}")
            data[(name, x0)] = ok
    return Demo("\n".join(lines), data)


register(Bug(
    number=3,
    title="a 30-line engine (notebook 0's design): Value with +, * and tanh, and backward()",
    symptom="gradients of expression trees are right, but b = a + a gives a.grad = 1 and x * x gives x.grad = x: "
            "wherever a node is used more than once, one use is lost",
    tools="autograd.trace_backward on the same expression (two rows end in a), or the explorer's paths",
    broken=TinyValue,
    run=_demo_overwrite,
    task="a class like TinyValue (data, grad, parents, local_grads, +, *, tanh, backward) that agrees with autograd",
    _diagnosis="overwritten-gradient",
    _accept=_accept_engine,
    _fixed=_FixedTinyValue,
))

register(Bug(
    number=10,
    title="another 30-line engine: Value with +, * and tanh, and backward()",
    symptom="gradcheck agrees wherever the expression has only + and *, and disagrees as soon as a tanh is in "
            "the path; near x = 0 the error is small, far from it large",
    tools="autograd.gradcheck on small expressions, one op at a time; compare each node's local_grads with "
          "autograd.Value's for the same op",
    broken=TinyValue2,
    run=_demo_derivative,
    task="a class like TinyValue2 (data, grad, parents, local_grads, +, *, tanh, backward) that agrees with autograd",
    _diagnosis="wrong-local-derivative",
    _details={"op": "tanh"},
    _accept=_accept_engine,
    _fixed=_FixedTinyValue,
))
