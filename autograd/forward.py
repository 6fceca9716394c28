"""Forward mode: dual numbers, ``jvp``, and what forward mode costs next to backprop.

A dual number ``a + a' ε`` with ``ε² = 0`` carries a value and its derivative
along one chosen direction. Applying ``f`` to it gives
``f(a) + f'(a) a' ε``: the chain rule happens *forward*, one op at a time,
with the same local derivatives that ``value.py`` stores on its edges.

One forward-mode pass gives one directional derivative ``∇f · v``. The full
gradient of a scalar loss of ``n`` inputs therefore needs ``n`` passes, one per
input, while reverse mode (backprop) gets all ``n`` from one backward pass.
:func:`compare_modes` measures exactly that.

The local derivative conventions match ``Value``'s: ``relu'(0) = 0``,
``|x|'(0) = 0``, ``max`` routes to its first arg max, and the same inputs are
rejected with the same kind of error.
"""

from __future__ import annotations

import builtins
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Union

from autograd.value import Value, _power, as_float

Number = Union[int, float]
DualOperand = Union["Dual", int, float]


def _constant(x: object, op: str) -> float:
    """A plain-number operand of ``op``; a Value here is a mistake worth naming."""
    if isinstance(x, Value):
        raise TypeError(f"cannot mix a Value ({x!r}) with a Dual in {op!r}: use one mode per computation")
    return as_float(x, what=f"operand of {op!r}")


class Dual:
    """A dual number ``primal + tangent·ε`` (``ε² = 0``).

    ``tangent`` is the derivative of ``primal`` along the direction seeded in
    the inputs. Plain numbers mixed into an op are constants (tangent 0).
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: Number, tangent: Number = 0.0) -> None:
        self.primal = as_float(primal, what="Dual primal")
        self.tangent = as_float(tangent, what="Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    # Each op: the value, then tangent = Σ local_derivative_i * tangent_i,
    # with the same local derivatives as the matching op in value.py.

    # d(a+b) = da + db
    def __add__(self, other: DualOperand) -> Dual:
        if type(other) is Dual:
            return Dual(self.primal + other.primal, self.tangent + other.tangent)
        return Dual(self.primal + _constant(other, "+"), self.tangent)

    __radd__ = __add__

    # d(a-b) = da - db
    def __sub__(self, other: DualOperand) -> Dual:
        if type(other) is Dual:
            return Dual(self.primal - other.primal, self.tangent - other.tangent)
        return Dual(self.primal - _constant(other, "-"), self.tangent)

    def __rsub__(self, other: Number) -> Dual:
        return Dual(_constant(other, "-") - self.primal, -self.tangent)

    # d(ab) = b da + a db
    def __mul__(self, other: DualOperand) -> Dual:
        if type(other) is Dual:
            return Dual(self.primal * other.primal, other.primal * self.tangent + self.primal * other.tangent)
        c = _constant(other, "*")
        return Dual(self.primal * c, c * self.tangent)

    __rmul__ = __mul__

    # d(a/b) = da / b - (a / b^2) db
    def __truediv__(self, other: DualOperand) -> Dual:
        if type(other) is Dual:
            b = other.primal
            if b == 0.0:
                raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
            q = self.primal / b
            return Dual(q, self.tangent / b - (q / b) * other.tangent)
        c = _constant(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        return Dual(self.primal / c, self.tangent / c)

    def __rtruediv__(self, other: Number) -> Dual:
        c = _constant(other, "/")
        b = self.primal
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {other!r} / {self!r}")
        q = c / b
        return Dual(q, (-q / b) * self.tangent)

    # d(-a) = -da
    def __neg__(self) -> Dual:
        return Dual(-self.primal, -self.tangent)

    def __pos__(self) -> Dual:
        return self

    # d|a| = sign(a) da, with sign(0) = 0 as in Value.__abs__
    def __abs__(self) -> Dual:
        a = self.primal
        sign = 1.0 if a > 0 else -1.0 if a < 0 else 0.0
        return Dual(abs(a), sign * self.tangent)

    # d(a^p) = p a^(p-1) da + a^p ln(a) dp
    def __pow__(self, other: DualOperand) -> Dual:
        a = self.primal
        if type(other) is Dual:
            p = other.primal
            if not a > 0.0:
                raise ValueError(
                    f"{self!r} ** {other!r}: the base must be > 0 when the exponent is a Dual "
                    "(d(a**p)/dp = a**p * ln(a) is undefined otherwise)"
                )
            out = _power(a, p, self, other)
            local_a = p * _power(a, p - 1.0, self, other)
            return Dual(out, local_a * self.tangent + out * math.log(a) * other.tangent)
        p = _constant(other, "**")
        out = _power(a, p, self, other)
        if p == 0.0:
            local = 0.0
        elif a == 0.0 and p < 1.0:
            local = math.inf  # same convention as Value: the slope of a**p at 0 is infinite
        else:
            local = p * _power(a, p - 1.0, self, other)
        return Dual(out, local * self.tangent)

    # d(c^a) = c^a ln(c) da
    def __rpow__(self, other: Number) -> Dual:
        c = _constant(other, "**")
        if not c > 0.0:
            raise ValueError(f"{other!r} ** {self!r}: the base must be > 0 when the exponent is a Dual")
        out = _power(c, self.primal, other, self)
        return Dual(out, out * math.log(c) * self.tangent)

    # d(e^a) = e^a da
    def exp(self) -> Dual:
        try:
            e = math.exp(self.primal)
        except OverflowError:
            raise OverflowError(f"exp({self!r}) overflows a float (the argument must be <= ~709.78)") from None
        return Dual(e, e * self.tangent)

    # d(ln a) = da / a
    def log(self) -> Dual:
        a = self.primal
        if not a > 0.0:
            raise ValueError(f"log({self!r}) is undefined: log needs a value > 0")
        return Dual(math.log(a), self.tangent / a)

    # d(sqrt a) = da / (2 sqrt a)
    def sqrt(self) -> Dual:
        a = self.primal
        if a < 0.0:
            raise ValueError(f"sqrt({self!r}) is undefined: sqrt needs a value >= 0")
        s = math.sqrt(a)
        return Dual(s, (0.5 / s if s > 0.0 else math.inf) * self.tangent)

    # d(tanh a) = (1 - tanh(a)^2) da
    def tanh(self) -> Dual:
        t = math.tanh(self.primal)
        return Dual(t, (1.0 - t * t) * self.tangent)

    # d(sigma(a)) = sigma(a) (1 - sigma(a)) da; two branches so exp never overflows
    def sigmoid(self) -> Dual:
        a = self.primal
        if a >= 0.0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return Dual(s, s * (1.0 - s) * self.tangent)

    # d relu(a) = [a > 0] da (0 at the kink, as Value.relu)
    def relu(self) -> Dual:
        if self.primal > 0.0:
            return Dual(self.primal, self.tangent)
        return Dual(0.0, 0.0 * self.tangent)

    # d(sin a) = cos(a) da
    def sin(self) -> Dual:
        return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)

    # d(cos a) = -sin(a) da
    def cos(self) -> Dual:
        return Dual(math.cos(self.primal), -math.sin(self.primal) * self.tangent)


# -- n-ary functions, mirroring autograd.total / dot / max and autograd.functional --


def _duals(xs: Iterable[DualOperand], who: str) -> list[Dual]:
    items = list(xs)
    if not items:
        raise ValueError(f"{who} of an empty list is undefined")
    return [x if type(x) is Dual else Dual(_constant(x, who)) for x in items]


def total(values: Iterable[DualOperand], start: DualOperand = 0.0) -> Dual:
    """``start + Σ values``; its tangent is the sum of the tangents."""
    out = start if type(start) is Dual else Dual(_constant(start, "sum"))
    for v in values:
        out = out + v
    return out


def dot(a: Iterable[DualOperand], b: Iterable[DualOperand], start: DualOperand = 0.0) -> Dual:
    """``start + Σ a_i b_i``; tangent ``Σ (b_i da_i + a_i db_i)`` (+ d start)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"dot needs two sequences of the same length, got {len(a)} and {len(b)}")
    out = start if type(start) is Dual else Dual(_constant(start, "dot"))
    for x, y in zip(a, b):
        out = out + x * y
    return out


def max(values: Iterable[DualOperand]) -> Dual:  # noqa: A001 - mirrors autograd.max
    """The first arg max, tangent included: the derivative routes to it alone."""
    vs = _duals(values, "max")
    best = vs[0]
    for v in vs[1:]:
        if v.primal > best.primal:
            best = v
    return Dual(best.primal, best.tangent)


def logsumexp(values: Iterable[DualOperand]) -> Dual:
    """``log Σ exp(x_i)``, stable; tangent ``Σ softmax(x)_i dx_i``."""
    vs = _duals(values, "logsumexp")
    m = builtins.max(v.primal for v in vs)
    if math.isinf(m):
        return Dual(m, math.fsum(v.tangent for v in vs if v.primal == m))
    exps = [math.exp(v.primal - m) for v in vs]
    s = math.fsum(exps)
    return Dual(m + math.log(s), math.fsum(e / s * v.tangent for e, v in zip(exps, vs)))


def log_softmax(values: Iterable[DualOperand]) -> list[Dual]:
    """``x_i - logsumexp(x)`` for each i."""
    vs = _duals(values, "log_softmax")
    lse = logsumexp(vs)
    return [v - lse for v in vs]


def softmax(values: Iterable[DualOperand]) -> list[Dual]:
    """``exp(log_softmax(x)_i)``: the exponent is <= 0, so nothing overflows."""
    return [ls.exp() for ls in log_softmax(values)]


# -- jvp and the full gradient by forward mode ------------------------------------------


def _seed(inputs: Sequence[Number], tangents: Sequence[Number]) -> list[Dual]:
    inputs, tangents = list(inputs), list(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp needs one tangent per input: got {len(inputs)} inputs and {len(tangents)} tangents")
    return [Dual(as_float(x, what=f"input {i}"), as_float(t, what=f"tangent {i}"))
            for i, (x, t) in enumerate(zip(inputs, tangents))]


def _unpack(out: object) -> tuple[float, float]:
    if type(out) is Dual:
        return out.primal, out.tangent
    if isinstance(out, Value):
        raise TypeError(f"f returned a Value ({out!r}): in forward mode it must compute with the Duals it is given")
    return as_float(out, what="output of f"), 0.0  # a constant output: derivative 0


def jvp(
    f: Callable[[list[Dual]], object], inputs: Sequence[Number], tangents: Sequence[Number]
) -> tuple[float | list[float], float | list[float]]:
    """``(f(x), J_f(x) · v)`` in one forward pass, for ``x = inputs`` and ``v = tangents``.

    ``f`` takes a list of Duals and returns a Dual or a list of Duals (use the
    operators, the methods and this module's n-ary functions). With
    ``v = e_i`` the tangent is ``∂f/∂x_i``.
    """
    out = f(_seed(inputs, tangents))
    if isinstance(out, (list, tuple)):
        pairs = [_unpack(o) for o in out]
        return [p for p, _ in pairs], [t for _, t in pairs]
    return _unpack(out)


def forward_mode_gradient(f: Callable[[list[Dual]], object], inputs: Sequence[Number]) -> list[float]:
    """``∇f(x)`` of a scalar ``f`` by forward mode: one pass per input, seeding ``e_i``."""
    n = len(inputs)
    grads = []
    for i in range(n):
        _, t = jvp(f, inputs, [1.0 if j == i else 0.0 for j in range(n)])
        if isinstance(t, list):
            raise TypeError(f"forward_mode_gradient needs a scalar f; it returned {len(t)} outputs")
        grads.append(t)
    return grads


# -- forward against reverse: the cost of a full gradient ----------------------------------


@dataclass(frozen=True)
class ModeComparison:
    """Cost of the full gradient of a scalar function of ``n_inputs`` inputs.

    A chain-rule *multiply-add* is one ``local_grad * incoming`` product added
    to a sum: forward mode does one per edge of the graph per pass (pushing a
    tangent), reverse mode one per edge in its single backward pass.
    """

    n_inputs: int
    ops: int  # elementary ops in one evaluation of f
    edges: int  # edges (op input -> op) in one evaluation of f
    forward_passes: int  # = n_inputs
    reverse_passes: int  # = 1 (one recorded evaluation + one backward pass)
    forward_multiply_adds: int  # n_inputs * edges
    reverse_multiply_adds: int  # edges
    forward_seconds: float  # best wall time of the n forward-mode passes
    reverse_seconds: float  # best wall time of one recorded evaluation + backward
    max_abs_difference: float  # between the two gradients (they must agree)

    def __str__(self) -> str:
        rows = [
            ("", "forward mode", "reverse mode"),
            ("passes", str(self.forward_passes), str(self.reverse_passes)),
            ("multiply-adds", str(self.forward_multiply_adds), str(self.reverse_multiply_adds)),
            ("seconds", f"{self.forward_seconds:.4f}", f"{self.reverse_seconds:.4f}"),
        ]
        head = f"gradient of a scalar of {self.n_inputs} inputs ({self.ops} ops, {self.edges} edges per evaluation)"
        table = "\n".join(f"{a:<14}{b:>14}{c:>14}" for a, b, c in rows)
        return f"{head}\n{table}\nmax |forward - reverse| = {self.max_abs_difference:.3g}"


def compare_modes(f: Callable[[list], object], inputs: Sequence[Number], repeat: int = 3) -> ModeComparison:
    """Compute ``∇f(inputs)`` by forward mode (n passes) and reverse mode (1 pass) and compare.

    ``f`` must be generic: it gets a list of Values for reverse mode and a list
    of Duals for forward mode, so it may use only operators and methods common
    to both (``+ - * / **``, ``exp``, ``tanh``, ...; ``sum`` works too).
    Wall times are the best of ``repeat`` runs.
    """
    from autograd.graph import grad, topological_order

    xs = [as_float(x, what=f"input {i}") for i, x in enumerate(inputs)]
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat!r}")

    reverse_seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        leaves = [Value(x) for x in xs]
        root = f(leaves)
        if not isinstance(root, Value):
            raise TypeError(f"compare_modes needs f to return one scalar; with Values it returned {root!r}")
        reverse = grad(root, leaves)
        reverse_seconds = builtins.min(reverse_seconds, time.perf_counter() - start)

    forward_seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        forward = forward_mode_gradient(f, xs)
        forward_seconds = builtins.min(forward_seconds, time.perf_counter() - start)

    nodes = [n for n in topological_order(root) if n.parents]
    edges = sum(len(n.parents) for n in nodes)
    n = len(xs)
    return ModeComparison(
        n_inputs=n,
        ops=len(nodes),
        edges=edges,
        forward_passes=n,
        reverse_passes=1,
        forward_multiply_adds=n * edges,
        reverse_multiply_adds=edges,
        forward_seconds=forward_seconds,
        reverse_seconds=reverse_seconds,
        max_abs_difference=builtins.max((abs(a - b) for a, b in zip(forward, reverse)), default=0.0),
    )


def mlp_loss(
    sizes: Sequence[int], x: Sequence[float], target: float, seed: int = 0
) -> tuple[Callable[[list], object], list[float]]:
    """A tanh MLP's squared error ``(y(x; θ) - target)²`` as a function of its flat parameters θ.

    ``sizes`` are ``[n_in, hidden..., 1]``. Returns ``(loss, theta0)`` with
    ``theta0`` random (seeded), and ``loss(theta)`` generic over Values and
    Duals, ready for :func:`compare_modes`: many parameters, one loss.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(type(s) is not int or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints [n_in, ..., n_out], got {sizes!r}")
    if len(x) != sizes[0]:
        raise ValueError(f"x has {len(x)} features but sizes[0] is {sizes[0]}")
    if sizes[-1] != 1:
        raise ValueError(f"the loss is a scalar, so the last size must be 1, got {sizes[-1]}")
    x = [as_float(v, what="x") for v in x]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    n_params = sum(nout * (nin + 1) for nin, nout in shapes)
    rng = random.Random(seed)
    theta0 = [rng.uniform(-1.0, 1.0) / math.sqrt(sizes[0]) for _ in range(n_params)]

    def loss(theta: list) -> object:
        if len(theta) != n_params:
            raise ValueError(f"this MLP has {n_params} parameters, got {len(theta)}")
        a: list = x
        k = 0
        for layer, (nin, nout) in enumerate(shapes):
            z = []
            for _ in range(nout):
                w, b = theta[k:k + nin], theta[k + nin]
                k += nin + 1
                z.append(sum((wi * ai for wi, ai in zip(w, a)), b))
            a = z if layer == len(shapes) - 1 else [zi.tanh() for zi in z]
        return (a[0] - target) ** 2

    return loss, theta0
