"""The `Value` node and its ops.

Every op computes its result *and* the local derivative of that result with
respect to each input, right here in the forward pass, and stores them on the
new node as ``parents`` and ``local_grads``. The backward pass (``graph.py``)
only multiplies and adds those numbers.

What each op computes is written once, in the table of ``autograd/ops.py``:
its forward formula beside its derivative formulas (``mul: a * b; b, a``).
The arithmetic methods and ``exp``/``log``/``tanh``/... below are generated
from those rows when this module is imported, with the float formulas inlined,
so a method runs exactly the code one would write by hand. ``Value.source(name)``
shows the generated code of a method.

Plain numbers mixed into an op are constants: they shape the result and its
local derivatives but are not recorded as parents (nobody asks for the
gradient of a literal ``2``), so ``x * 2`` has one parent, ``x``, with local
derivative ``2.0``, and records the constant ``2.0`` for the readers that
recompute the op (the explorer, compiled replay).

Numbers outside an op's domain give ``nan`` or ``inf``, as in PyTorch
(``log(0) = -inf``, ``1/0 = inf``, ``exp(1000) = inf``); inside
``autograd.detect_anomaly()`` the first non-finite value raises.
"""

from __future__ import annotations

import linecache
import operator
import os
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any, Union

from autograd import collector as _collector
from autograd import ops as _ops

Number = Union[int, float]
Operand = Union["Value", int, float]

# Set by modes.py while no_grad(), detect_anomaly() or a drawing scope is active, so that normal
# runs pay one flag test per node and nothing more.
_MODES_ACTIVE = False


def _on_create(node: Value) -> None:
    """Replaced by modes.py; called only while ``_MODES_ACTIVE``."""


# This module is the engine's bottom layer: it imports only the op table. The modules above it
# register what Value needs from them (modes.py ``_on_create``, graph.py the backward pass,
# serialize.py pickling and copying) when the package is imported, which always happens first.
def _run_backward(root: Value, grad: float = 1.0, *, create_graph: bool = False) -> dict[Value, Value] | None:
    """Replaced by graph.py's :func:`~autograd.graph.backward`."""
    raise RuntimeError("the backward pass lives in autograd.graph, which registers it on import")


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
    the tool that hunts them). A ``Value`` is not a number here: an op's
    operands go through ``Value`` arithmetic, so one reaching this check is a bug.
    A float subclass gives the plain float it holds (its own ``__float__``,
    arithmetic or text never reach the graph); an int too large for a float is
    a ValueError, never an OverflowError.
    """
    if type(x) is float:
        return x
    if isinstance(x, float):  # a subclass (numpy.float64, ...): the number it holds, whatever it overrides
        return float.__float__(x)
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
        op: the op that produced this node ("" for a leaf); for the engine's ops an
            :class:`autograd.ops.Op`, a ``str`` equal to the symbol shown ("*", "tanh", ...).
        parents: the op's inputs (an empty tuple for a leaf).
        local_grads: d(self)/d(parents[i]) as plain floats, aligned with ``parents``.

    A Value behaves like its number where Python asks for one: ``float(v)``,
    ``format(v, ".4f")``, ``v.item()``, ``math.exp(v)``, ``bool(v)`` and the
    orderings ``< <= > >=`` (so ``max``, ``min`` and ``sorted`` work) all read
    ``.data``. Equality and hashing do not: ``==`` is identity, because a Value
    is a vertex of a graph and a key of dictionaries (two nodes holding 2.0 are
    different nodes). Compare ``a.data == b.data`` for numbers.

    Examples:
        >>> x = Value(3.0, label="x")
        >>> y = x * x + x
        >>> y.local_grads              # d y / d (x*x) and d y / d x, recorded in the forward pass
        (1.0, 1.0)
        >>> y.backward()
        >>> x.grad                     # d(x² + x)/dx = 2x + 1
        7.0
    """

    # Slots, not a __dict__: a node is ~100 bytes smaller and attribute access is faster.
    # ``_pending`` is scratch space for graph.reverse_topological_order (0 between passes);
    # ``_consts`` (set only by ops that record constants: a float for one, an int or a tuple for
    # dot, a tuple for sum; a bare number is not tracked by the cyclic collector) is read through
    # ops.constants(). ``__weakref__`` lets caches and explorers hold nodes weakly: 8 bytes a node
    # (224 -> 232 bytes per node of a chain, measured with tracemalloc), no measurable change in
    # creation time. ``_box`` is the frame that made the node (None for most nodes), set only on the
    # outputs of an ``nn`` module call and on nodes made inside ``autograd.scope``: autograd.hierarchy
    # reads it. 8 bytes a node (232 -> 240) and one store, no measurable change in creation time.
    # ``_data`` holds ``.data``: the engine reads the slot, users go through the ``data`` property,
    # whose setter checks what is assigned (see below).
    __slots__ = ("_data", "grad", "label", "op", "parents", "local_grads", "_hooks", "_site", "_pending",
                 "_consts", "_box", "__weakref__")

    def __init__(
        self,
        data: Number,
        label: str = "",
        op: str = "",
        parents: Sequence[Value] = (),
        local_grads: Sequence[float] = (),
    ) -> None:
        """A leaf (``Value(2.0, label="x")``), or a node made by hand from ``parents`` and their local derivatives.

        Everything is checked here, so a bad argument fails at once rather than
        in a later drawing or backward pass. (The engine's own ops build their
        nodes through a faster path that needs no checks.)
        """
        if type(data) is not float:
            data = as_float(data)
        if type(label) is not str:
            raise TypeError(f"Value's label must be a str, got {_describe(label)}")
        if not isinstance(op, str):
            raise TypeError(f"Value's op must be a str, got {_describe(op)}")
        if not (type(parents) is tuple and type(local_grads) is tuple and not parents and not local_grads):
            parents, local_grads = _checked_edges(parents, local_grads, op)
        self._data = data
        self.grad = 0.0
        self.label = label
        self.op = op
        self.parents = parents
        self.local_grads = local_grads
        self._hooks: list[Callable[[float], float | None]] | None = None
        self._site: str | None = None
        self._pending = 0
        self._box: object = None
        if _MODES_ACTIVE:  # no_grad(), detect_anomaly() or a drawing scope is on: see modes.py
            _on_create(self)

    # Pickling and copying (__reduce__, __getstate__, __setstate__, __copy__, __deepcopy__) are
    # installed by autograd/serialize.py, which sits above this module: iterative for graphs of any depth.

    # -- the number: ``data`` is a property over the slot ``_data`` (defined after the class) ----

    def _set_data(self, x: object) -> None:
        self._data = x if type(x) is float else as_float(x)

    # -- basic protocol -------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={str(self.op)!r}" if self.parents else ""
        return f"Value(data={self._data!r}, grad={self.grad!r}{label}{op})"

    def __float__(self) -> float:
        return self._data

    def item(self) -> float:
        """The forward value as a Python float (as ``tensor.item()``)."""
        return self._data

    def __format__(self, spec: str) -> str:
        """``f"{v:.4f}"`` formats ``.data``; an empty spec gives ``str(v)``."""
        return format(self._data, spec) if spec else str(self)

    def __bool__(self) -> bool:
        return self._data != 0.0

    # Orderings compare the numbers and return bool (there is no gradient of a comparison).
    def __lt__(self, other: Operand) -> bool:
        return self._data < _number(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self._data <= _number(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self._data > _number(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self._data >= _number(other, ">=")

    # Identity, stated explicitly: defining orderings must not suggest == compares numbers.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user (or under ``no_grad``), not by an op."""
        return not self.parents

    def backward(self, grad: float = 1.0, *, create_graph: bool = False) -> dict[Value, Value] | None:
        """Reverse pass from this node: fill ``.grad`` of every node it depends on.

        Interior nodes get this pass's gradient (reset first); leaves accumulate
        across passes until zeroed. See :func:`autograd.graph.backward`.
        With ``create_graph=True`` the ``.grad`` floats are filled the same way
        and the gradients are also returned as Values, one per leaf reached
        (``{leaf: d self / d leaf}``), whose graphs can be differentiated again.
        """
        return _run_backward(self, grad, create_graph=create_graph)

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

    @staticmethod
    def source(name: str) -> str:
        """The generated code of the op method ``name`` (e.g. ``"__mul__"`` or ``"tanh"``)."""
        try:
            return _GENERATED[name]
        except KeyError:
            raise KeyError(f"no generated method {name!r}; methods: {', '.join(_GENERATED)}") from None

    def __pos__(self) -> Value:
        return self

    # The op methods (+ - * / ** neg abs exp log sqrt tanh sigmoid relu sin cos) are attached
    # below from the table in ops.py.
    if TYPE_CHECKING:  # for type checkers and readers: the slots' types, the data property, the generated methods
        grad: float
        label: str
        op: str
        parents: tuple[Value, ...]
        local_grads: tuple[float, ...]
        _consts: float | int | tuple[float, ...]  # see ops.constants()

        @property
        def data(self) -> float: ...
        @data.setter
        def data(self, x: Number) -> None: ...

        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Number) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Number) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Number) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Number) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: Number) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...


# ``v.data`` reads the slot through a C getter (about 30 ns more than a bare slot, measured; the
# engine's ops read ``_data`` directly). Assignments are checked as the constructor checks:
# ``v.data = numpy.float64(2)`` or ``3`` store a plain float, so a float subclass cannot bring its own
# arithmetic or text into the graph, and ``10**400`` or ``"x"`` raise at once (ValueError, TypeError)
# rather than an OverflowError in a later backward pass.
# (setattr: type checkers read the property declared in the class body above.)
setattr(Value, "data", property(  # noqa: B010
    operator.attrgetter("_data"),  # a C getter: faster than a method-wrapper or a Python function
    Value._set_data,
    doc="The forward value, a float. Assigning checks the number (int or float; bool and others raise).",
))

_new = object.__new__


def _make(data: float, op: _ops.Op, parents: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """A node made by an op: no checks (the op made the arguments), ~20% cheaper than ``Value(...)``."""
    v = _new(Value)
    v._data = data
    v.grad = 0.0
    v.label = ""
    v.op = op
    v.parents = parents
    v.local_grads = local_grads
    v._hooks = None
    v._site = None
    v._pending = 0
    v._box = None
    if _MODES_ACTIVE:
        _on_create(v)
    return v


def _checked_edges(parents: Any, local_grads: Any, op: str) -> tuple[tuple[Value, ...], tuple[float, ...]]:
    """``(parents, local_grads)`` as tuples, after checking: Values, each with one real local derivative.

    The arguments are whatever the caller passed (Any: this function is what checks them).
    """
    if isinstance(parents, Value) or isinstance(local_grads, Value):
        raise TypeError("Value's parents and local_grads must be sequences (tuples), not a single Value")
    try:
        parents, local_grads = tuple(parents), tuple(local_grads)
    except TypeError:
        raise TypeError(
            f"Value's parents and local_grads must be sequences, got {_describe(parents)} and {_describe(local_grads)}"
        ) from None
    if len(parents) != len(local_grads):
        raise ValueError(
            f"a node made with op {op!r} needs one local derivative per parent: got {len(parents)} parent(s) "
            f"and {len(local_grads)} local derivative(s)"
        )
    for i, p in enumerate(parents):
        if not isinstance(p, Value):
            raise TypeError(f"parent {i} of a node made with op {op!r} must be a Value, got {_describe(p)}")
    grads = tuple(as_float(g, what=f"local derivative {i} of a node made with op {op!r}")
                  for i, g in enumerate(local_grads))
    return parents, grads


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


def _number(x: object, op: str) -> float:
    """The number on the other side of a comparison."""
    if isinstance(x, Value):
        return x._data
    return as_float(x, what=f"the right side of {op!r}")


# -- generating the op methods from the table ----------------------------------------------------
#
# Each method computes ``out`` from the forward formula and the local derivatives from the
# derivative formulas, on floats, inline. Binary methods dispatch on the other operand: a Value
# makes the two-input op (``mul``), a number the one-input op with a recorded constant (``mul_c``).

# method -> (op for a Value operand, op for a number operand); reflected methods have only the latter
_METHODS: dict[str, tuple[str | None, str]] = {
    "__add__": ("add", "add_c"), "__radd__": (None, "add_c"),
    "__sub__": ("sub", "sub_c"), "__rsub__": (None, "rsub_c"),
    "__mul__": ("mul", "mul_c"), "__rmul__": (None, "mul_c"),
    "__truediv__": ("div", "div_c"), "__rtruediv__": (None, "rdiv_c"),
    "__pow__": ("pow", "pow_c"), "__rpow__": (None, "rpow_c"),
    "__neg__": (None, "neg"), "__abs__": (None, "abs"), "exp": (None, "exp"), "log": (None, "log"),
    "sqrt": (None, "sqrt"), "tanh": (None, "tanh"), "sigmoid": (None, "sigmoid"), "relu": (None, "relu"),
    "sin": (None, "sin"), "cos": (None, "cos"),
}
_GENERATED: dict[str, str] = {}


def _code(op: _ops.Op, indent: str) -> list[str]:
    """Lines computing ``out`` and returning the node, for an op whose inputs are named a (b) and c."""
    # (ignores: only fixed-arity ops come here, and their forward and grads formulas are always set)
    forward = _ops.python_expr(op.forward, inline=True)  # type: ignore[arg-type]
    grads = ", ".join(_ops.python_expr(g, inline=True) for g in op.grads)  # type: ignore[union-attr]
    parents = "self, other" if op.arity == 2 else "self"
    make = f"_make(out, _OP_{op.key}, ({parents},), ({grads},))"
    if op.n_consts:
        lines = [f"out = {forward}", f"node = {make}", "node._consts = c", "return node"]
    else:
        lines = [f"out = {forward}", f"return {make}"]
    return [indent + line for line in lines]


def _method_source(name: str, value_key: str | None, const_key: str) -> str:
    const_op = _ops.by_key(const_key)
    doc_op = _ops.by_key(value_key or const_key)
    doc = f"{doc_op.forward_text}: d/da = {', d/db = '.join(doc_op.grads_text or ())}"
    if const_op.arity == 1 and not const_op.n_consts:  # a plain unary op
        body = ["    a = self._data", *_code(const_op, "    ")]
        return "\n".join([f"def {name}(self):", f'    """{doc}"""', *body]) + "\n"
    take_c = f"    c = other if type(other) is float else _constant(other, {const_op.symbol!r})"
    lines = [f"def {name}(self, other):", f'    """{doc} (a number operand is the constant c)"""',
             "    a = self._data"]
    if value_key is not None:
        lines += ["    if type(other) is Value:", "        b = other._data", *_code(_ops.by_key(value_key), "        ")]
    lines += [take_c, *_code(const_op, "    ")]
    return "\n".join(lines) + "\n"


def _install_methods() -> None:
    namespace = globals()
    namespace.update({f"_OP_{op.key}": op for op in _ops.TABLE})
    namespace.update(_ops.float_namespace())
    for name, (value_key, const_key) in _METHODS.items():
        source = _method_source(name, value_key, const_key)
        # named inside the package folder, so frames here count as the engine's, not the user's
        filename = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"<generated {name}>")
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show it
        exec(compile(source, filename, "exec"), namespace)  # our own table's formulas, never user text
        fn = namespace.pop(name)
        fn.__qualname__ = f"Value.{name}"
        fn.__module__ = __name__
        setattr(Value, name, fn)
        _GENERATED[name] = source


_install_methods()


# -- n-ary nodes ------------------------------------------------------------------------------------

_OP_SUM = _ops.by_key("sum")
_OP_DOT = _ops.by_key("dot")

# Read as they are. Anything else (a generator: ``total(x * w for ...)``) makes its terms while it
# is read, and they outlive the call as the node's parents: the collector is paused for the call,
# else its collections would walk the terms again and again as they pile up (autograd.collector).
_SEQUENCES = (list, tuple)


def total(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """One n-ary node ``start + sum(values)``: every edge has local derivative 1.

    Cheaper and easier to draw than a chain of binary ``+`` nodes. The plain
    numbers among the terms are added into one recorded constant ``c0``.
    """
    if type(values) not in _SEQUENCES:  # a generator makes the terms here, as they are read
        token = _collector.pause()  # (see _SEQUENCES)
        try:
            return total(list(values), start)
        finally:
            _collector.resume(token)
    parents: list[Value] = []
    c0 = 0.0
    s = 0.0
    for v in (start, *values):
        if type(v) is Value:
            parents.append(v)
            s += v._data
        else:
            c = _constant(v, "sum")
            c0 += c
            s += c
    node = _make(s, _OP_SUM, tuple(parents), (1.0,) * len(parents))
    node._consts = (c0,)
    return node


def dot(a: Iterable[Operand], b: Iterable[Operand], start: Operand = 0.0) -> Value:
    """One n-ary node ``start + sum(a[i] * b[i])`` (a neuron's weighted input).

    d/da[i] = b[i], d/db[i] = a[i], d/dstart = 1. The two sequences must have
    the same length. Parents come in two groups: first the pairs where both
    factors are Values (``a[i], b[i]``, each the other's local derivative), then
    the Values multiplied by a plain number (that number is their local
    derivative), the start last when it is a Value. Recorded constants, as
    :func:`autograd.ops.constants` gives them: ``(c0, number of pairs, the
    numbers of the second group...)``; the node stores only the first two, the
    numbers being its last local derivatives already.
    """
    if type(a) not in _SEQUENCES or type(b) not in _SEQUENCES:  # generators make the factors here
        token = _collector.pause()  # (see _SEQUENCES)
        try:
            return dot(list(a), list(b), start)
        finally:
            _collector.resume(token)
    a = list(a)
    b = list(b)
    if len(a) != len(b):
        raise ValueError(f"dot needs two sequences of the same length, got {len(a)} and {len(b)}")
    pairs: list[Value] = []  # Value-Value pairs, flattened: x0, y0, x1, y1, ...
    pair_grads: list[float] = []
    singles: list[Value] | None = None  # Values times a plain number (made only when there is one)
    coefs: list[float] = []
    c0 = 0.0
    s = 0.0
    for x, y in zip(a, b):
        if type(x) is Value:
            xd = x._data
            if type(y) is Value:
                yd = y._data
                pairs += (x, y)
                pair_grads += (yd, xd)
                s += xd * yd
                continue
            c = y if type(y) is float else _constant(y, "dot")
            single = x
            s += xd * c
        elif type(y) is Value:
            c = x if type(x) is float else _constant(x, "dot")
            single = y
            s += c * y._data
        else:
            c = _constant(x, "dot") * _constant(y, "dot")
            c0 += c
            s += c
            continue
        if singles is None:
            singles = [single]
        else:
            singles.append(single)
        coefs.append(c)
    npairs = len(pairs) >> 1
    if type(start) is Value:
        if singles is None:  # the common neuron of a hidden layer: pairs, then the bias
            pairs.append(start)
            pair_grads.append(1.0)
        else:
            singles.append(start)
            coefs.append(1.0)
        s += start._data
    else:
        c = _constant(start, "dot")
        c0 += c
        s += c
    if singles is None:
        node = _make(s, _OP_DOT, tuple(pairs), tuple(pair_grads))
    else:
        node = _make(s, _OP_DOT, (*pairs, *singles), (*pair_grads, *coefs))
    # Recorded constants (c0, npairs); the usual c0 = 0 is stored as the bare int npairs, which
    # allocates nothing. ops.constants() gives the documented tuple either way.
    node._consts = npairs if c0 == 0.0 else (c0, npairs)
    return node
