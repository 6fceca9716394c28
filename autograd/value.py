"""The `Value` node and its ops.

Every op computes its result *and* the local derivative of that result with
respect to each input, right here in the forward pass, and stores them on the
new node as ``parents`` and ``local_grads``. The backward pass (``graph.py``)
only multiplies and adds those numbers; nothing anywhere else re-derives a
derivative.

Plain numbers mixed into an op are constants: they shape the result and its
local derivatives but are not recorded as parents (nobody asks for the
gradient of a literal ``2``), so ``x * 2`` has one parent, ``x``, with local
derivative ``2.0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real
from typing import Union

Number = Union[int, float]
Operand = Union["Value", int, float]

# Set by modes.py while no_grad(), detect_anomaly() or a drawing scope is active, so that normal
# runs pay one flag test per node and nothing more.
_MODES_ACTIVE = False


def _on_create(node: Value) -> None:
    """Replaced by modes.py; called only while ``_MODES_ACTIVE``."""


def _describe(x: object) -> str:
    """Short description of an offending input for error messages."""
    text = repr(x)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(x).__name__})"


def as_float(x: object, what: str = "Value data") -> float:
    """Convert a real number to ``float``; reject everything else clearly.

    ``bool`` is rejected although it is an ``int`` subclass: ``Value(True)`` is
    almost always a bug. NaN and infinities are accepted (anomaly detection is
    the tool that hunts them).
    """
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number (int or float), got {_describe(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{what} {_describe(x)} is too large for a float") from None


class Value:
    """A scalar in a computation graph.

    Attributes:
        data: the forward value.
        grad: d(root)/d(self) after a backward pass from some root (0.0 before).
        label: a name for display ("" when not given).
        op: the op that produced this node ("" for a leaf).
        parents: the op's inputs (an empty tuple for a leaf).
        local_grads: d(self)/d(parents[i]) as plain floats, aligned with ``parents``.
    """

    # Slots, not a __dict__: a node is ~100 bytes smaller and attribute access is faster.
    # ``_pending`` is scratch space for graph.reverse_topological_order (0 between passes).
    # ``__weakref__`` lets caches and explorers hold nodes weakly: 8 bytes a node (224 -> 232 bytes
    # per node of a chain, measured with tracemalloc), no measurable change in creation time.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "_hooks", "_site", "_pending",
                 "__weakref__")

    def __init__(
        self,
        data: Number,
        label: str = "",
        op: str = "",
        parents: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        if type(data) is not float:
            data = as_float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = op
        self.parents = parents
        self.local_grads = local_grads
        self._hooks: list[Callable[[float], float | None]] | None = None
        self._site: str | None = None
        self._pending = 0
        if _MODES_ACTIVE:  # no_grad(), detect_anomaly() or a drawing scope is on: see modes.py
            _on_create(self)

    # -- pickling and copying: autograd/serialize.py, iterative for graphs of any depth --------------

    def __reduce__(self) -> tuple:
        from autograd.serialize import reduce_node

        return reduce_node(self)

    def __getstate__(self) -> dict:
        from autograd.serialize import node_state

        return node_state(self)

    def __setstate__(self, state: object) -> None:
        from autograd.serialize import set_node_state

        set_node_state(self, state)

    def __copy__(self) -> Value:
        from autograd.serialize import copy_node

        return copy_node(self)

    def __deepcopy__(self, memo: dict) -> Value:
        from autograd.serialize import deepcopy_node

        return deepcopy_node(self, memo)

    # -- basic protocol -------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user (or under ``no_grad``), not by an op."""
        return not self.parents

    def backward(self, grad: float = 1.0) -> None:
        """Reverse pass from this node: fill ``.grad`` of every node it depends on.

        Interior nodes get this pass's gradient (reset first); leaves accumulate
        across passes until zeroed. See :func:`autograd.graph.backward`.
        """
        from autograd.graph import backward

        backward(self, grad)

    def register_hook(self, fn: Callable[[float], float | None]) -> HookHandle:
        """Run ``fn(grad)`` when this node's gradient is final in a backward pass.

        If ``fn`` returns a number, that number replaces the gradient that flows
        on to this node's parents (and, for a leaf, what is added to ``.grad``).
        Returns a handle whose ``remove()`` unregisters ``fn``.
        """
        if not callable(fn):
            raise TypeError(f"register_hook needs a callable, got {_describe(fn)}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return HookHandle(self, fn)

    # -- arithmetic: forward value and local derivatives side by side ----------
    # d(a+b)/da = 1, d(a+b)/db = 1

    def __add__(self, other: Operand) -> Value:
        if type(other) is Value:
            return Value(self.data + other.data, "", "+", (self, other), (1.0, 1.0))
        return Value(self.data + _constant(other, "+"), "", "+", (self,), (1.0,))

    __radd__ = __add__

    # d(a-b)/da = 1, d(a-b)/db = -1
    def __sub__(self, other: Operand) -> Value:
        if type(other) is Value:
            return Value(self.data - other.data, "", "-", (self, other), (1.0, -1.0))
        return Value(self.data - _constant(other, "-"), "", "-", (self,), (1.0,))

    def __rsub__(self, other: Number) -> Value:
        return Value(_constant(other, "-") - self.data, "", "-", (self,), (-1.0,))

    # d(ab)/da = b, d(ab)/db = a
    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value:
            return Value(self.data * other.data, "", "*", (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return Value(self.data * c, "", "*", (self,), (c,))

    __rmul__ = __mul__

    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
    def __truediv__(self, other: Operand) -> Value:
        if type(other) is Value:
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
            q = self.data / b
            return Value(q, "", "/", (self, other), (1.0 / b, -q / b))  # -a/b^2 without b*b underflowing
        c = _constant(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        return Value(self.data / c, "", "/", (self,), (1.0 / c,))

    def __rtruediv__(self, other: Number) -> Value:
        c = _constant(other, "/")
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {other!r} / {self!r}")
        q = c / b
        return Value(q, "", "/", (self,), (-q / b,))

    # d(-a)/da = -1
    def __neg__(self) -> Value:
        return Value(-self.data, "", "neg", (self,), (-1.0,))

    def __pos__(self) -> Value:
        return self

    # d|a|/da = sign(a), taken as 0 at 0 (a subgradient)
    def __abs__(self) -> Value:
        a = self.data
        return Value(abs(a), "", "abs", (self,), (1.0 if a > 0 else -1.0 if a < 0 else 0.0,))

    # d(a^p)/da = p a^(p-1); d(a^p)/dp = a^p ln a (only for a > 0)
    def __pow__(self, other: Operand) -> Value:
        a = self.data
        if type(other) is Value:
            p = other.data
            if not a > 0.0:
                raise ValueError(
                    f"{self!r} ** {other!r}: the base must be > 0 when the exponent is a Value "
                    "(d(a**p)/dp = a**p * ln(a) is undefined otherwise); "
                    "use a plain number as the exponent for a fixed power"
                )
            out = _power(a, p, self, other)
            return Value(out, "", "**", (self, other), (p * _power(a, p - 1.0, self, other), out * math.log(a)))
        p = _constant(other, "**")
        out = _power(a, p, self, other)
        if p == 0.0:
            local = 0.0
        elif a == 0.0 and p < 1.0:
            local = math.inf  # the slope of a**p at 0 for 0 < p < 1 is infinite
        else:
            local = p * _power(a, p - 1.0, self, other)
        return Value(out, "", "**", (self,), (local,))

    # d(c^a)/da = c^a ln c (c > 0)
    def __rpow__(self, other: Number) -> Value:
        c = _constant(other, "**")
        if not c > 0.0:
            raise ValueError(
                f"{other!r} ** {self!r}: the base must be > 0 when the exponent is a Value "
                "(d(c**p)/dp = c**p * ln(c) is undefined otherwise)"
            )
        out = _power(c, self.data, other, self)
        return Value(out, "", "**", (self,), (out * math.log(c),))

    # -- functions ----------------------------------------------------------------

    # d(e^a)/da = e^a
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self!r}) overflows a float (the argument must be <= ~709.78)") from None
        return Value(e, "", "exp", (self,), (e,))

    # d(ln a)/da = 1/a
    def log(self) -> Value:
        a = self.data
        if not a > 0.0:
            raise ValueError(f"log({self!r}) is undefined: log needs a value > 0")
        return Value(math.log(a), "", "log", (self,), (1.0 / a,))

    # d(sqrt a)/da = 1 / (2 sqrt a)
    def sqrt(self) -> Value:
        a = self.data
        if a < 0.0:
            raise ValueError(f"sqrt({self!r}) is undefined: sqrt needs a value >= 0")
        s = math.sqrt(a)
        return Value(s, "", "sqrt", (self,), (0.5 / s if s > 0.0 else math.inf,))

    # d(tanh a)/da = 1 - tanh(a)^2
    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, "", "tanh", (self,), (1.0 - t * t,))

    # d(sigma(a))/da = sigma(a) (1 - sigma(a)); two branches so exp never overflows
    def sigmoid(self) -> Value:
        a = self.data
        if a >= 0.0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return Value(s, "", "sigmoid", (self,), (s * (1.0 - s),))

    # d relu(a)/da = 1 if a > 0 else 0 (0 at the kink, as PyTorch)
    def relu(self) -> Value:
        a = self.data
        if a > 0.0:
            return Value(a, "", "relu", (self,), (1.0,))
        return Value(0.0, "", "relu", (self,), (0.0,))

    # d(sin a)/da = cos a
    def sin(self) -> Value:
        return Value(math.sin(self.data), "", "sin", (self,), (math.cos(self.data),))

    # d(cos a)/da = -sin a
    def cos(self) -> Value:
        return Value(math.cos(self.data), "", "cos", (self,), (-math.sin(self.data),))


class HookHandle:
    """Returned by :meth:`Value.register_hook`; ``remove()`` unregisters the hook."""

    __slots__ = ("_node", "_fn")

    def __init__(self, node: Value, fn: Callable[[float], float | None]) -> None:
        self._node = node
        self._fn = fn

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        hooks = self._node._hooks
        if hooks is not None and self._fn in hooks:
            hooks.remove(self._fn)
            if not hooks:
                self._node._hooks = None


def _constant(x: object, op: str) -> float:
    """A plain-number operand of ``op`` as a float, or a TypeError naming the op."""
    if type(x) is float:
        return x
    return as_float(x, what=f"operand of {op!r}")


def _power(a: float, p: float, base: object, exponent: object) -> float:
    """``a ** p`` for real results only, with errors that name both operands."""
    if a < 0.0 and not float(p).is_integer():
        raise ValueError(
            f"{base!r} ** {exponent!r}: a negative base needs an integer exponent (the result would be complex)"
        )
    if a == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"{base!r} ** {exponent!r}: zero to a negative power")
    try:
        return a**p
    except OverflowError:
        raise OverflowError(f"{base!r} ** {exponent!r} overflows a float") from None


def total(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """One n-ary node ``start + sum(values)``: every edge has local derivative 1.

    Cheaper and easier to draw than a chain of binary ``+`` nodes.
    """
    parents: list[Value] = []
    s = 0.0
    for v in (start, *values):
        if type(v) is Value:
            parents.append(v)
            s += v.data
        else:
            s += _constant(v, "sum")
    return Value(s, "", "sum", tuple(parents), (1.0,) * len(parents))


def dot(a: Iterable[Operand], b: Iterable[Operand], start: Operand = 0.0) -> Value:
    """One n-ary node ``start + sum(a[i] * b[i])`` (a neuron's weighted input).

    d/da[i] = b[i], d/db[i] = a[i], d/dstart = 1. The two sequences must have
    the same length.
    """
    a = list(a)
    b = list(b)
    if len(a) != len(b):
        raise ValueError(f"dot needs two sequences of the same length, got {len(a)} and {len(b)}")
    parents: list[Value] = []
    local: list[float] = []
    s = 0.0
    for x, y in zip(a, b):
        if type(x) is Value:
            xd = x.data
            if type(y) is Value:
                parents += (x, y)
                local += (y.data, xd)
                s += xd * y.data
            else:
                c = _constant(y, "dot")
                parents.append(x)
                local.append(c)
                s += xd * c
        elif type(y) is Value:
            c = _constant(x, "dot")
            parents.append(y)
            local.append(c)
            s += c * y.data
        else:
            s += _constant(x, "dot") * _constant(y, "dot")
    if type(start) is Value:
        parents.append(start)
        local.append(1.0)
        s += start.data
    else:
        s += _constant(start, "dot")
    return Value(s, "", "dot", tuple(parents), tuple(local))

