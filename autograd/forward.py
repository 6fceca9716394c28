"""Forward mode: dual numbers, ``jvp``, and what forward mode costs next to backprop.

A dual number ``a + b·ε`` with ``ε² = 0`` carries a value ``a`` and its
derivative ``b`` along one chosen direction. Expanding ``f`` to first order,

    f(a + b·ε) = f(a) + f'(a)·b·ε,

so applying an op to a dual number gives the op's value and pushes the tangent
forward through the chain rule, one op at a time. For an op of several inputs
the tangent is ``Σ_i ∂f/∂x_i · b_i``.

No derivative formula is written here. Every ``∂f/∂x_i`` is the local
derivative the engine already stores (``value.py``, ``functional.py``): a Dual
op runs the very same ``Value`` op on temporary leaves made from the primals,
then sweeps forward over the little graph that op built,
``tangent(node) = Σ_i local_grads[i] · tangent(parents[i])`` in topological
order, starting from the operands' tangents. Conventions (``relu'(0) = 0``,
``|x|'(0) = 0``, ``max`` routing to its first arg max) and errors are therefore
Value's own.

One forward-mode pass gives one directional derivative ``∇f · v``. The full
gradient of a scalar loss of ``n`` inputs therefore needs ``n`` passes, one per
input, while reverse mode (backprop) gets all ``n`` from one backward pass.
:func:`compare_modes` measures exactly that.
"""

from __future__ import annotations

import builtins
import math
import operator
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union, overload

from autograd import functional as _functional
from autograd import value as _value
from autograd.graph import grad, topological_order
from autograd.inputs import Inputs, InputsLike, as_inputs
from autograd.modes import enable_grad
from autograd.value import Value, _describe, as_float

# ``max`` is left out: ``from autograd.forward import *`` must not shadow the built-in
__all__ = ["Dual", "ModeComparison", "compare_modes", "dot", "forward_mode_gradient", "jvp", "log_softmax",
           "logsumexp", "mlp_loss", "softmax", "total"]

Number = Union[int, float]
DualOperand = Union["Dual", int, float]


@overload
def _apply(fn: Callable[..., Value], *args: object, op: str) -> Dual: ...
@overload
def _apply(fn: Callable[..., list[Value]], *args: object, op: str) -> list[Dual]: ...
def _apply(fn: Callable[..., Value | list[Value]], *args: object, op: str) -> Dual | list[Dual]:
    """``fn`` (a Value op) applied to Duals: the value by the op, the tangent by a forward sweep.

    Each Dual among ``args`` (or inside a list in ``args``) becomes a temporary
    leaf ``Value`` of its primal; plain numbers stay plain numbers, i.e.
    constants with tangent 0. ``fn`` builds its node(s) on those leaves, and
    every node's tangent is ``Σ local_grad · tangent(parent)``, parents first.
    """
    leaves: dict[Dual, Value] = {}

    def lift(x: object) -> object:
        if type(x) is Dual:
            if x not in leaves:  # the same Dual twice is the same leaf, as a Value would be
                leaves[x] = Value(x.primal, label=f"operand {len(leaves)}")  # labels keep reprs distinct
            return leaves[x]
        if isinstance(x, Value):
            raise TypeError(f"cannot mix a Value ({x!r}) with a Dual in {op!r}: use one mode per computation")
        return x

    lifted = [[lift(x) for x in a] if isinstance(a, list) else lift(a) for a in args]
    try:
        with enable_grad():  # the tangent is read from the edges, so they must be recorded even under no_grad()
            out = fn(*lifted)
    except Exception as e:  # the op's own error: name the Duals, not the temporary leaves
        if len(e.args) == 1 and isinstance(e.args[0], str):
            message = e.args[0]
            for dual, leaf in leaves.items():
                message = message.replace(repr(leaf), repr(dual))
            e.args = (message,)
        raise

    tangent = {leaf: dual.tangent for dual, leaf in leaves.items()}  # matched by identity

    def sweep(root: Value) -> Dual:
        for node in topological_order(root):
            if node not in tangent:  # an interior node, or a constant leaf (tangent 0)
                tangent[node] = sum(g * tangent[p] for p, g in zip(node.parents, node.local_grads))
        return Dual(root.data, tangent[root])

    return [sweep(o) for o in out] if isinstance(out, list) else sweep(out)


def _method(fn: Callable[..., Value], op: str, reflected: bool = False) -> Callable[..., Dual]:
    """A Dual method that runs the Value op ``fn`` (on ``(other, self)`` when ``reflected``)."""

    def method(self: Dual, *other: DualOperand) -> Dual:
        return _apply(fn, *other, self, op=op) if reflected else _apply(fn, self, *other, op=op)

    method.__doc__ = f"``{op}`` on dual numbers: ``{getattr(fn, '__qualname__', op)}`` and a forward sweep."
    return method


class Dual:
    """A dual number ``primal + tangent·ε`` (``ε² = 0``).

    ``tangent`` is the derivative of ``primal`` along the direction seeded in
    the inputs. Plain numbers mixed into an op are constants (tangent 0).
    Every op and method mirrors the ``Value`` one it runs (see :func:`_apply`).
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: Number, tangent: Number = 0.0) -> None:
        self.primal = as_float(primal, what="Dual primal")
        self.tangent = as_float(tangent, what="Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def __pos__(self) -> Dual:
        return self

    # Each op below *is* the Value op of the same name, run by _apply.
    __add__ = __radd__ = _method(operator.add, "+")
    __sub__ = _method(operator.sub, "-")
    __rsub__ = _method(operator.sub, "-", reflected=True)
    __mul__ = __rmul__ = _method(operator.mul, "*")
    __truediv__ = _method(operator.truediv, "/")
    __rtruediv__ = _method(operator.truediv, "/", reflected=True)
    __pow__ = _method(operator.pow, "**")
    __rpow__ = _method(operator.pow, "**", reflected=True)
    __neg__ = _method(operator.neg, "neg")
    __abs__ = _method(abs, "abs")
    exp = _method(Value.exp, "exp")
    log = _method(Value.log, "log")
    sqrt = _method(Value.sqrt, "sqrt")
    tanh = _method(Value.tanh, "tanh")
    sigmoid = _method(Value.sigmoid, "sigmoid")
    relu = _method(Value.relu, "relu")
    sin = _method(Value.sin, "sin")
    cos = _method(Value.cos, "cos")


# -- n-ary functions: autograd.total / dot / max / logsumexp / ... run on Duals --------


def total(values: Iterable[DualOperand], start: DualOperand = 0.0) -> Dual:
    """``start + Σ values``, as :func:`autograd.total`."""
    return _apply(_value.total, list(values), start, op="sum")


def dot(a: Iterable[DualOperand], b: Iterable[DualOperand], start: DualOperand = 0.0) -> Dual:
    """``start + Σ a_i b_i``, as :func:`autograd.dot`."""
    return _apply(_value.dot, list(a), list(b), start, op="dot")


def max(values: Iterable[DualOperand]) -> Dual:  # noqa: A001 - mirrors autograd.max
    """The first arg max, as :func:`autograd.max`: the tangent comes from it alone."""
    return _apply(_functional.max, list(values), op="max")


def logsumexp(values: Iterable[DualOperand]) -> Dual:
    """``log Σ exp(x_i)``, stable, as :func:`autograd.logsumexp`; tangent ``Σ softmax(x)_i dx_i``."""
    return _apply(_functional.logsumexp, list(values), op="logsumexp")


def log_softmax(values: Iterable[DualOperand]) -> list[Dual]:
    """``x_i - logsumexp(x)`` for each i, as :func:`autograd.log_softmax`."""
    return _apply(_functional.log_softmax, list(values), op="log_softmax")


def softmax(values: Iterable[DualOperand]) -> list[Dual]:
    """``exp(log_softmax(x)_i)``, as :func:`autograd.softmax`: nothing overflows."""
    return _apply(_functional.softmax, list(values), op="softmax")


# -- jvp and the full gradient by forward mode ------------------------------------------


def _unpack(out: object) -> tuple[float, float]:
    if type(out) is Dual:
        return out.primal, out.tangent
    if isinstance(out, Value):
        raise TypeError(f"f returned a Value ({out!r}): in forward mode it must compute with the Duals it is given")
    return as_float(out, what="output of f"), 0.0  # a constant output: derivative 0


def jvp(
    f: Callable[..., object], inputs: InputsLike, tangents: InputsLike
) -> tuple[float | list[float], float | list[float]]:
    """``(f(x), J_f(x) · v)`` in one forward pass, for ``x = inputs`` and ``v = tangents``.

    ``f`` takes a list of Duals and returns a Dual or a list of Duals (use the
    operators, the methods and this module's n-ary functions). With
    ``v = e_i`` the tangent is ``∂f/∂x_i``. Inputs and tangents follow the rule
    of :mod:`autograd.inputs` (a Value counts as its number): one bare input
    gives ``f`` one bare Dual.
    """
    given = as_inputs(inputs, "jvp")
    ts = as_inputs(tangents, "jvp", argument="tangents").floats()
    if len(ts) != len(given):
        raise ValueError(f"jvp needs one tangent per input: got {len(given)} inputs and {len(ts)} tangents")
    out = f(given.pack([Dual(x, t) for x, t in zip(given.floats(), ts)]))
    if isinstance(out, (list, tuple)):
        pairs = [_unpack(o) for o in out]
        return [p for p, _ in pairs], [t for _, t in pairs]
    return _unpack(out)


def _gradient(f: Callable[..., object], given: Inputs) -> list[float]:
    xs = given.floats()
    grads = []
    for i in range(len(xs)):
        _, t = _unpack_scalar(f(given.pack([Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(xs)])))
        grads.append(t)
    return grads


def _unpack_scalar(out: object) -> tuple[float, float]:
    if isinstance(out, (list, tuple)):
        raise TypeError(f"forward_mode_gradient needs a scalar f; it returned {len(out)} outputs")
    return _unpack(out)


# One bare input gives one float; a sequence of inputs a list (as autograd.inputs says).
@overload
def forward_mode_gradient(f: Callable[..., object], inputs: Value | Number) -> float: ...
@overload
def forward_mode_gradient(f: Callable[..., object], inputs: Iterable[Value | Number]) -> list[float]: ...
@overload
def forward_mode_gradient(f: Callable[..., object], inputs: InputsLike) -> list[float] | float: ...
def forward_mode_gradient(f: Callable[..., object], inputs: InputsLike) -> list[float] | float:
    """``∇f(x)`` of a scalar ``f`` by forward mode: one pass per input, seeding ``e_i``."""
    given = as_inputs(inputs, "forward_mode_gradient")
    gradient: list[float] | float = given.unpack(_gradient(f, given))
    return gradient


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


def compare_modes(f: Callable[..., object], inputs: InputsLike, repeat: int = 3) -> ModeComparison:
    """Compute ``∇f(inputs)`` by forward mode (n passes) and reverse mode (1 pass) and compare.

    ``f`` must be generic: it gets a list of Values for reverse mode and a list
    of Duals for forward mode, so it may use only operators and methods common
    to both (``+ - * / **``, ``exp``, ``tanh``, ...; ``sum`` works too).
    Wall times are the best of ``repeat`` runs.
    """
    given = as_inputs(inputs, "compare_modes")
    xs = given.floats()
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {_describe(repeat)}")

    reverse_seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        leaves = [Value(x) for x in xs]
        root = f(given.pack(leaves))
        if not isinstance(root, Value):
            raise TypeError(f"compare_modes needs f to return one scalar; with Values it returned {root!r}")
        checked: Value = root
        reverse = grad(root, leaves)
        reverse_seconds = builtins.min(reverse_seconds, time.perf_counter() - start)

    forward_seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        forward = _gradient(f, given)
        forward_seconds = builtins.min(forward_seconds, time.perf_counter() - start)

    nodes = [n for n in topological_order(checked) if n.parents]
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
) -> tuple[Callable[[list[Any]], object], list[float]]:
    """A tanh MLP's squared error ``(y(x; θ) - target)²`` as a function of its flat parameters θ.

    ``sizes`` are ``[n_in, hidden..., 1]``. Returns ``(loss, theta0)`` with
    ``theta0`` random (seeded), and ``loss(theta)`` generic over Values and
    Duals, ready for :func:`compare_modes`: many parameters, one loss.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(type(s) is not int or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints [n_in, ..., n_out], got {_describe(sizes)}")
    if len(x) != sizes[0]:
        raise ValueError(f"x has {len(x)} features but sizes[0] is {sizes[0]}")
    if sizes[-1] != 1:
        raise ValueError(f"the loss is a scalar, so the last size must be 1, got {sizes[-1]}")
    x = [as_float(v, what="x") for v in x]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    n_params = sum(nout * (nin + 1) for nin, nout in shapes)
    rng = random.Random(seed)
    theta0 = [rng.uniform(-1.0, 1.0) / math.sqrt(sizes[0]) for _ in range(n_params)]

    def loss(theta: list[Any]) -> object:
        if len(theta) != n_params:
            raise ValueError(f"this MLP has {n_params} parameters, got {len(theta)}")
        a: list[Any] = x  # floats, then Values or Duals
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
