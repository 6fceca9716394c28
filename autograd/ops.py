"""One description of each op, read by everything that needs to know what an op *is*.

Each op is a row of :data:`TABLE`: its key, the symbol a graph shows, and two
formulas side by side, the forward value and the local derivative with respect
to each input::

    mul     "*"     a * b           d/da = b            d/db = a
    tanh    "tanh"  tanh(a)         d/da = 1 - out*out

``a`` and ``b`` are the inputs' values, ``c`` the recorded constant (``x * 2``
records ``c = 2``), ``out`` the op's own result. The formulas are written in a
tiny expression language (Python syntax: numbers, those names, ``+ - * / **``,
unary minus, and the primitives of :data:`PRIMITIVES`), parsed once against a
whitelist. Every reader derives what it needs from the same text:

- the engine's fast path: ``value.py`` generates each ``Value`` method from its
  row, with the float formulas inlined, so the backward pass multiplies plain
  numbers exactly as if the method had been written by hand;
- higher-order derivatives: :func:`value_grads` evaluates the derivative
  formulas with ``Value`` operands, so the derivative is itself a graph;
- the explorer's in-browser forward pass: :func:`table_json` ships the formulas
  as expression trees that a small JavaScript interpreter evaluates (no eval);
- compiled replay: :func:`python_expr` renders a formula as straight-line code;
  with ``array=True`` as NumPy code over arrays of examples (batched replay),
  where each primitive has its array form in :data:`ARRAY_FORMS`, beside
  :data:`PRIMITIVES`, and the n-ary ops theirs in :func:`max_rows` and
  :func:`logsumexp_rows` (``sum`` and ``dot`` are sums of products: matrix
  products over a batch).

Four ops take any number of inputs and are described in prose instead, with a
generic implementation here (:func:`evaluate`, :func:`value_grads`) that works
on floats and on Values: ``sum`` (consts ``(c0,)``: ``c0 + Σ p_i``), ``dot``
(consts ``(c0, npairs, coef_0, ...)``: ``c0 + Σ_{k<npairs} p_2k·p_2k+1 +
Σ_i coef_i·p_(2·npairs+i)``), ``max`` (NaN if any input is NaN, else the
largest; the gradient goes to the first arg max) and ``logsumexp`` (``m + log Σ
exp(p_i − m)`` with ``m`` the max; its local derivatives are the softmax).

Non-finite numbers follow PyTorch: no op raises for a value outside its domain
or an overflow; it produces ``inf`` or ``nan`` (``log(0) = -inf``,
``sqrt(-1) = nan``, ``1/0 = inf``, ``exp(710) = inf``), and
``autograd.detect_anomaly()`` is the tool that stops at the first one.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# -- primitives: the functions a formula may call, on floats -------------------------------------

_INF = math.inf
_NAN = math.nan


def f_exp(x: float) -> float:
    """e**x; ``inf`` on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def f_log(x: float) -> float:
    """ln x; ``-inf`` at 0, ``nan`` below."""
    if x > 0.0:
        return math.log(x)
    return -_INF if x == 0.0 else _NAN


def f_sqrt(x: float) -> float:
    """√x; ``nan`` below 0."""
    return math.sqrt(x) if x >= 0.0 else _NAN


def f_sin(x: float) -> float:
    """sin x; ``nan`` at ±inf."""
    return math.sin(x) if x - x == 0.0 else _NAN


def f_cos(x: float) -> float:
    """cos x; ``nan`` at ±inf."""
    return math.cos(x) if x - x == 0.0 else _NAN


def f_sigmoid(x: float) -> float:
    """1 / (1 + e**-x), in two branches so that no exponential overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x < 0.0:
        e = math.exp(x) if x > -745.2 else 0.0
        return e / (1.0 + e)
    return x  # nan


def f_relu(x: float) -> float:
    """max(x, 0), keeping ``nan`` (as PyTorch does)."""
    return x if x > 0.0 or x != x else 0.0


def f_sign(x: float) -> float:
    """1, -1 or 0 (also for ``nan``): the derivative of |x|, 0 at the kink as in PyTorch."""
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def f_step(x: float) -> float:
    """0 for x <= 0, else 1 (``nan`` counts as positive, as in PyTorch): the derivative of relu."""
    return 0.0 if x <= 0.0 else 1.0


def f_div(a: float, b: float) -> float:
    """a / b with IEEE results at b = 0: ±inf, or nan for 0/0."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def f_pow(a: float, p: float) -> float:
    """a ** p for real results: ``nan`` for a negative base and a fractional exponent, ±inf on overflow."""
    try:
        return math.pow(a, p)
    except OverflowError:
        odd = a < 0.0 and p.is_integer() and p % 2.0 == 1.0
        return -_INF if odd else _INF
    except ValueError:  # 0 to a negative power, or a negative base with a fractional exponent
        if a == 0.0:
            odd = p.is_integer() and p % 2.0 == 1.0
            return math.copysign(_INF, a) if odd else _INF
        return _NAN


def f_spow(a: float, c: float) -> float:
    """a ** c for a *constant* exponent, as PyTorch's ``tensor ** number``: f_pow, except that
    c = 0.5 is a square root and c = -0.5 its reciprocal, with their signed zeros and NaNs
    (``(-0.0) ** 0.5 = -0.0``, ``(-0.0) ** -0.5 = -inf``, ``(-inf) ** ±0.5 = nan``)."""
    if c == 0.5 or c == -0.5:
        root = math.sqrt(a) if a >= 0.0 else _NAN  # sqrt(-0.0) is -0.0
        return root if c == 0.5 else f_div(1.0, root)
    try:
        return math.pow(a, c)
    except (OverflowError, ValueError):
        return f_pow(a, c)


def f_dpow(a: float, p: float) -> float:
    """d(a**p)/da = p·a**(p-1), and 0 for p = 0 (PyTorch's convention, so 0**0 has slope 0)."""
    return 0.0 if p == 0.0 else p * f_pow(a, p - 1.0)


def f_dspow(a: float, c: float) -> float:
    """d(a**c)/da = c·a**(c-1) for a constant c, the power taken as :func:`f_spow`; 0 for c = 0."""
    return 0.0 if c == 0.0 else c * f_spow(a, c - 1.0)


def f_xlog(out: float, a: float) -> float:
    """d(a**p)/dp = a**p·ln a, and 0 where a = 0 and p >= 0 (PyTorch masks them; there out = 0**p is 0 or 1)."""
    if a == 0.0 and (out == 0.0 or out == 1.0):
        return 0.0
    return out * f_log(a)


@dataclass(frozen=True)
class Primitive:
    """A function formulas may call: its float version, and how other readers spell it.

    ``inline`` is a Python template the fast path uses instead of a call (``{0}``
    is the argument, always a plain name there); ``method`` is the ``Value``
    method computing it on a Value (None: the function is piecewise constant,
    so on a Value it is the float of its data, a constant of the graph).
    """

    float_fn: Callable[..., float]
    method: str | None
    inline: str | None = None


PRIMITIVES: dict[str, Primitive] = {
    "exp": Primitive(f_exp, "exp"),
    "log": Primitive(f_log, "log"),
    "sqrt": Primitive(f_sqrt, "sqrt"),
    "tanh": Primitive(math.tanh, "tanh"),
    "sigmoid": Primitive(f_sigmoid, "sigmoid"),
    "relu": Primitive(f_relu, "relu", "({0} if {0} > 0.0 or {0} != {0} else 0.0)"),
    "abs": Primitive(abs, "__abs__"),
    "sin": Primitive(f_sin, "sin"),
    "cos": Primitive(f_cos, "cos"),
    "sign": Primitive(f_sign, None, "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)"),
    "step": Primitive(f_step, None, "(0.0 if {0} <= 0.0 else 1.0)"),
    "spow": Primitive(f_spow, None),
    "dpow": Primitive(f_dpow, None),
    "dspow": Primitive(f_dspow, None),
    "xlog": Primitive(f_xlog, None),
}

# The array form of each primitive, beside its float form above: a NumPy expression over arrays
# ``{0}`` (``{1}``) that gives element by element what the float function gives: the same inf, nan
# and signs of zero, finite numbers to an ulp or two (NumPy's exp, tanh, power are its own, not the
# C library's). Data-dependent choices are selections (``where``), never branches,
# so one program serves every example of a batch. ``np`` is NumPy and ``pow_`` is f_pow on arrays
# (see :func:`array_namespace`). Tests compare every entry with its float form on special values.
ARRAY_FORMS: dict[str, str] = {
    "exp": "np.exp({0})",
    "log": "np.log({0})",
    "sqrt": "np.sqrt({0})",
    "tanh": "np.tanh({0})",
    "sigmoid": "np.where({0} >= 0.0, 1.0 / (1.0 + np.exp(-{0})), np.exp({0}) / (1.0 + np.exp({0})))",
    "relu": "np.where(({0} > 0.0) | ({0} != {0}), {0}, 0.0)",
    "abs": "np.absolute({0})",
    "sin": "np.sin({0})",
    "cos": "np.cos({0})",
    "sign": "np.where({0} > 0.0, 1.0, np.where({0} < 0.0, -1.0, 0.0))",
    "step": "np.where({0} <= 0.0, 0.0, 1.0)",
    "dpow": "np.where({1} == 0.0, 0.0, {1} * pow_({0}, {1} - 1.0))",
    # at a = 0 the float form decides (PyTorch masks 0·(-inf) there): fix_ applies it to those entries only
    "xlog": "fix_(f_xlog, {1} == 0.0, {0} * np.log({1}), {0}, {1})",
    # the power with a constant exponent as PyTorch takes it (c = ±0.5: a square root and its reciprocal),
    # for the tables that describe ``a ** c`` with ``spow``: no effect where no primitive names them
    "spow": "np.where({1} == 0.5, np.sqrt({0}), np.where({1} == -0.5, 1.0 / np.sqrt({0}), pow_({0}, {1})))",
    "dspow": "np.where({1} == 0.0, 0.0, {1} * spow({0}, {1} - 1.0))",
}


# -- formulas --------------------------------------------------------------------------------------

# A formula as an expression tree, the form every reader walks:
#   ["num", x]  ["var", name]  ["neg", t]  [op, left, right] (op in + - * / **)  ["call", name, args...]
# (JSON-shaped nested lists: each entry's type depends on the kind in front, so the items are Any.)
Tree = list[Any]

VARIABLES = ("a", "b", "c", "out")
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class FormulaError(ValueError):
    """A formula outside the op language (a bug in the table, caught at import)."""


def parse_formula(text: str) -> Tree:
    """The expression tree of ``text``, checked against the formula language."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise FormulaError(f"formula {text!r}: {e.msg}") from None
    return _tree(node, text)


def _tree(node: ast.AST, text: str) -> Tree:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return ["num", float(node.value)]
    if isinstance(node, ast.Name) and node.id in VARIABLES:
        return ["var", node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return ["neg", _tree(node.operand, text)]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [_BINARY[type(node.op)], _tree(node.left, text), _tree(node.right, text)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PRIMITIVES \
            and not node.keywords:
        return ["call", node.func.id, *(_tree(a, text) for a in node.args)]
    raise FormulaError(f"formula {text!r}: {ast.dump(node)} is outside the op language")


def python_expr(tree: Tree, names: dict[str, str] | None = None, *, inline: bool = False,
                fn_prefix: str = "f_", array: bool = False) -> str:
    """``tree`` as Python source over floats (or, with ``array=True``, over NumPy arrays).

    ``names`` renames the variables (``{"a": "x3"}``); division and powers call
    the IEEE-safe ``f_div``/``f_pow`` and primitives ``f_<name>`` (``fn_prefix``
    changes that), so the code never raises on a value outside a domain.
    With ``inline=True``, primitives that have an inline template use it.

    With ``array=True`` the code is NumPy's, to run under ``errstate(all="ignore")``:
    ``/`` divides (IEEE: ±inf, nan), ``**`` calls ``pow_`` and each primitive
    calls the function of its name, which :func:`array_namespace` defines from
    :data:`ARRAY_FORMS`.
    """
    names = names or {}

    def go(t: Tree) -> str:
        kind = t[0]
        if kind == "num":
            return repr(t[1])
        if kind == "var":
            name: str = t[1]
            return names.get(name, name)
        if kind == "neg":
            return f"(-{go(t[1])})"
        if kind == "call":
            prim = PRIMITIVES[t[1]]
            args = [go(a) for a in t[2:]]
            if array:  # the function of the primitive's name: its array form (array_namespace)
                return f"{t[1]}({', '.join(args)})"
            if inline and prim.inline is not None and len(args) == 1 and args[0].isidentifier():
                return prim.inline.format(args[0])
            fn = "abs" if t[1] == "abs" else f"{fn_prefix}{t[1]}"
            return f"{fn}({', '.join(args)})"
        left, right = go(t[1]), go(t[2])
        if array and kind in ("/", "**"):  # NumPy divides as IEEE says; pow_ is f_pow on arrays
            return f"({left} / {right})" if kind == "/" else f"pow_({left}, {right})"
        if kind == "/":
            if inline and (right.isidentifier() or t[2][0] == "num"):
                # a float division inline; only a zero divisor takes the IEEE-safe call
                return f"({left} / {right} if {right} else {fn_prefix}div({left}, {right}))"
            return f"{fn_prefix}div({left}, {right})"
        if kind == "**":
            return f"{fn_prefix}pow({left}, {right})"
        return f"({left} {kind} {right})"

    return go(tree)


def float_namespace() -> dict[str, Any]:
    """The functions :func:`python_expr`'s code calls, for ``exec``."""
    ns: dict[str, Any] = {f"f_{name}": prim.float_fn for name, prim in PRIMITIVES.items()}
    ns.update(f_div=f_div, f_pow=f_pow)
    return ns


def _numpy() -> Any:
    """NumPy, or an ImportError that says how to install it (only the array forms need it)."""
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "batched replay computes with NumPy arrays, and NumPy is not installed: "
            "pip install numpy (or pip install 'chainrule[arrays]')"
        ) from None
    return numpy


def array_namespace() -> dict[str, Any]:
    """The names array code uses: ``np``, ``pow_`` and one function per primitive, defined from ARRAY_FORMS.

    Imports NumPy (an ImportError names the install command when it is missing).
    """
    np = _numpy()
    ns: dict[str, Any] = {"np": np, "inf": math.inf, "nan": math.nan, **float_namespace()}

    def fix_(float_fn: Callable[..., float], mask: Any, value: Any, *args: Any) -> Any:
        """``value``, with the float form itself where ``mask`` holds: it decides its own special cases."""
        if not np.any(mask):
            return value
        value, mask, *args = np.broadcast_arrays(value, mask, *args)
        out = np.array(value, dtype=float)
        out[mask] = np.frompyfunc(float_fn, len(args), 1)(*(a[mask] for a in args)).astype(float)
        return out

    def pow_(a: Any, p: Any) -> Any:
        """f_pow on arrays (broadcasting). NumPy takes a square root for a constant exponent of ±0.5, where
        C's pow (math.pow, f_pow) differs at -0.0 and -inf: there, f_pow's own numbers."""
        odd = ((p == 0.5) | (p == -0.5)) & ((a == -math.inf) | ((a == 0.0) & np.signbit(a)))
        return fix_(f_pow, odd, np.power(a, p), a, p)

    ns["fix_"] = fix_
    ns["pow_"] = pow_
    for name, template in ARRAY_FORMS.items():
        params = ", ".join(f"_{i}" for i in range(template.count("{1}") and 2 or 1))
        body = template.format("_0", "_1")
        code = f"def {name}({params}):\n    return {body}\n"
        exec(compile(code, f"<array form of {name}>", "exec"), ns)  # our own table's text, never user input
        ns[name].__doc__ = f"array form of {name}: {template.format('x', 'y')}"
    return ns


# -- the table -------------------------------------------------------------------------------------


class Op(str):
    """An op as the graph shows it (a ``str``: ``node.op == "*"``) carrying its description.

    ``key`` is unique (``x * y`` is ``mul``, ``x * 2`` is ``mul_c``); ``arity``
    is the number of Value inputs (None for the n-ary ops); ``forward`` and
    ``grads`` are the formulas' trees (None for the n-ary ops); ``n_consts``
    counts the recorded constants of a fixed-arity op.
    """

    key: str
    arity: int | None
    forward: Tree | None
    grads: tuple[Tree, ...] | None
    forward_text: str | None
    grads_text: tuple[str, ...] | None
    n_consts: int

    def __new__(cls, key: str, symbol: str, arity: int | None, forward: str | None = None,
                grads: Sequence[str] | None = None) -> Op:
        self = super().__new__(cls, symbol)
        self.key = key
        self.arity = arity
        self.forward_text = forward
        self.grads_text = tuple(grads) if grads is not None else None
        self.forward = parse_formula(forward) if forward is not None else None
        self.grads = tuple(parse_formula(g) for g in grads) if grads is not None else None
        if arity is not None and (self.grads is None or len(self.grads) != arity):
            raise FormulaError(f"op {key!r}: {arity} input(s) need {arity} derivative formula(s)")
        self.n_consts = int(self.forward is not None and _uses(self.forward, "c"))
        return self

    @property
    def symbol(self) -> str:
        """The text a graph shows for this op."""
        return str.__str__(self)

    def __reduce__(self) -> tuple[Callable[[str], Op], tuple[str]]:
        return by_key, (self.key,)

    def __repr__(self) -> str:  # as the plain string, so messages and reprs read as before
        return repr(self.symbol)


def _uses(tree: Tree, name: str) -> bool:
    if tree[0] == "var":
        var: str = tree[1]
        return var == name
    return any(isinstance(t, list) and _uses(t, name) for t in tree[1:])


#            key        symbol     arity  forward          d/da (, d/db)
TABLE: tuple[Op, ...] = (
    Op("add",       "+",         2, "a + b",        ["1", "1"]),
    Op("add_c",     "+",         1, "a + c",        ["1"]),
    Op("sub",       "-",         2, "a - b",        ["1", "-1"]),
    Op("sub_c",     "-",         1, "a - c",        ["1"]),
    Op("rsub_c",    "-",         1, "c - a",        ["-1"]),
    Op("mul",       "*",         2, "a * b",        ["b", "a"]),
    Op("mul_c",     "*",         1, "a * c",        ["c"]),
    Op("div",       "/",         2, "a / b",        ["1 / b", "-out / b"]),       # -a/b² without b*b underflowing
    Op("div_c",     "/",         1, "a / c",        ["1 / c"]),
    Op("rdiv_c",    "/",         1, "c / a",        ["-out / a"]),
    Op("pow",       "**",        2, "a ** b",       ["dpow(a, b)", "xlog(out, a)"]),  # b·a^(b-1), a^b·ln a
    Op("pow_c",     "**",        1, "spow(a, c)",   ["dspow(a, c)"]),             # c = ±0.5: sqrt, as PyTorch
    Op("rpow_c",    "**",        1, "c ** a",       ["xlog(out, c)"]),
    Op("neg",       "neg",       1, "-a",           ["-1"]),
    Op("abs",       "abs",       1, "abs(a)",       ["sign(a)"]),                 # 0 at the kink
    Op("exp",       "exp",       1, "exp(a)",       ["out"]),
    Op("log",       "log",       1, "log(a)",       ["1 / a"]),
    Op("sqrt",      "sqrt",      1, "sqrt(a)",      ["0.5 / out"]),
    Op("tanh",      "tanh",      1, "tanh(a)",      ["1 - out * out"]),
    Op("sigmoid",   "sigmoid",   1, "sigmoid(a)",   ["out * (1 - out)"]),
    Op("relu",      "relu",      1, "relu(a)",      ["step(a)"]),                 # 0 at the kink
    Op("sin",       "sin",       1, "sin(a)",       ["cos(a)"]),
    Op("cos",       "cos",       1, "cos(a)",       ["-sin(a)"]),
    Op("sum",       "sum",       None),
    Op("dot",       "dot",       None),
    Op("max",       "max",       None),
    Op("logsumexp", "logsumexp", None),
)
OPS: dict[str, Op] = {op.key: op for op in TABLE}
if set(PRIMITIVES) - set(ARRAY_FORMS):  # a primitive without its array form could not be replayed over a batch
    raise FormulaError(f"primitives without an array form: {sorted(set(PRIMITIVES) - set(ARRAY_FORMS))}")
_DOT = OPS["dot"]


def by_key(key: str) -> Op:
    """The op with this key; a KeyError names the known keys."""
    try:
        return OPS[key]
    except KeyError:
        raise KeyError(f"no op {key!r}; known ops: {', '.join(OPS)}") from None


# -- reading a node ------------------------------------------------------------------------------


class Node(Protocol):
    """A graph node as the readers here see it: a :class:`~autograd.value.Value` (which sits above this module).

    Read-only attributes, so a Value (whose attributes are assignable) is one.
    """

    @property
    def op(self) -> str: ...
    @property
    def parents(self) -> Sequence[Node]: ...
    @property
    def local_grads(self) -> Sequence[float]: ...


def op_of(node: Node) -> Op | None:
    """The described op that made ``node``, or None (a leaf, or a node made by hand with a plain string op)."""
    op = node.op
    return op if type(op) is Op and node.parents else None


def constants(node: Node) -> tuple[float, ...]:
    """The constants recorded with ``node`` (``x * 2`` records ``(2.0,)``; most ops record none)."""
    # Value's ``_consts`` slot: a float, an int or a tuple (dot's ``(c0, npairs)``), so Any
    consts: Any = getattr(node, "_consts", ())
    if type(consts) is float:  # one constant, stored bare (a float costs the cyclic collector nothing)
        return (consts,)
    if node.op is _DOT:  # (c0, npairs) or npairs stored; the coefficients are the local derivatives after the pairs
        c0, npairs = (0.0, consts) if type(consts) is int else consts
        return (c0, float(npairs), *node.local_grads[2 * npairs:])
    recorded: tuple[float, ...] = consts  # every other op records a tuple of floats (or nothing)
    return recorded


def evaluate(key: str, values: Sequence[float], consts: Sequence[float] = ()) -> float:
    """The forward value of op ``key`` on input values and constants: the reference every evaluator matches."""
    op = by_key(key)
    if op.forward is not None:
        env = _env(op, values, consts, None)
        value: float = _eval_tree(op.forward, env, _FLOAT)
        return value
    return float(_NARY_FORWARD[key](list(values), tuple(consts)))


def local_grads(key: str, values: Sequence[float], out: float, consts: Sequence[float] = ()) -> tuple[float, ...]:
    """The local derivatives of op ``key`` at these values, as floats (the fast path's numbers)."""
    op = by_key(key)
    if op.grads is not None:
        env = _env(op, values, consts, out)
        return tuple(float(_eval_tree(g, env, _FLOAT)) for g in op.grads)
    return tuple(float(g) for g in _NARY_GRADS[key](list(values), out, tuple(consts)))


def value_grads(node: Node) -> tuple[Any, ...]:
    """The local derivatives of ``node`` built from Value ops, aligned with ``node.parents``.

    Each entry is a Value whose graph reaches the node's inputs (so it can be
    differentiated again), or a float where the derivative is constant there
    (``step``, ``sign``, the arg max routing of ``max``, a recorded constant).
    A node made by hand with plain-number local derivatives has no formula:
    a TypeError names it.
    """
    op = op_of(node)
    if op is None:
        raise TypeError(
            f"cannot differentiate twice through {node!r} (op {str(node.op)!r}): its local derivatives are "
            "plain numbers with no formula; build it from the engine's ops to get higher derivatives"
        )
    consts = constants(node)
    if op.grads is not None:
        env = _env(op, node.parents, consts, node)
        return tuple(_eval_tree(g, env, _VALUE) for g in op.grads)
    return tuple(_NARY_GRADS[op.key](list(node.parents), node, consts))


def _env(op: Op, values: Sequence[Any], consts: Sequence[float], out: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"out": out}
    for name, v in zip(("a", "b"), values):
        env[name] = v
    if consts:
        env["c"] = consts[0]
    return env


# Two ways to evaluate a tree: on floats (IEEE-safe), and on Values or floats (building graph nodes).
_FLOAT = "float"
_VALUE = "value"


def _eval_tree(t: Tree, env: dict[str, Any], mode: str) -> Any:
    kind = t[0]
    if kind == "num":
        return t[1]
    if kind == "var":
        return env[t[1]]
    if kind == "neg":
        return -_eval_tree(t[1], env, mode)
    if kind == "call":
        args = [_eval_tree(a, env, mode) for a in t[2:]]
        prim = PRIMITIVES[t[1]]
        if mode == _VALUE and any(hasattr(a, "parents") for a in args):
            if prim.method is not None:
                return getattr(args[0], prim.method)()
            if t[1] in ("dpow", "dspow"):  # p·a**(p-1) with a Value base: a graph, differentiable again
                a, p = args
                # 0 is PyTorch's constant where the exponent is 0. Only a constant exponent may drop its
                # formula there: a Value exponent keeps p·a**(p-1), whose derivative in p is not 0
                # (d²(a**b)/da db = 1 at a = 1, b = 0), except where a**(p-1) is not finite (a = 0, a
                # subnormal whose reciprocal overflows, nan): there 0·inf would put nan where the float is 0.
                if _data(p) == 0.0 and (not hasattr(p, "parents")
                                        or not math.isfinite(f_pow(_data(a), _data(p) - 1.0))):
                    return 0.0
                return p * a ** (p - 1.0)
            if t[1] == "xlog":  # out·ln a with a Value: masked where PyTorch masks it
                out, a = args
                if _data(a) == 0.0 and _data(out) in (0.0, 1.0):
                    return 0.0
                return out * (a.log() if hasattr(a, "parents") else f_log(a))
            return prim.float_fn(*(_data(a) for a in args))  # piecewise constant: a constant of the graph
        return prim.float_fn(*args)
    return binary(kind, _eval_tree(t[1], env, mode), _eval_tree(t[2], env, mode))


def binary(symbol: str, left: Any, right: Any) -> Any:
    """``left <symbol> right`` for ``+ - * / **``: Value ops when either side is a Value, else IEEE-safe floats.

    Both give inf/nan outside a domain (Value's ops follow the same policy), never an exception.
    """
    if symbol == "+":
        return left + right
    if symbol == "-":
        return left - right
    if symbol == "*":
        return left * right
    on_values = hasattr(left, "parents") or hasattr(right, "parents")
    if symbol == "/":
        return left / right if on_values else f_div(left, right)
    if symbol == "**":
        return left ** right if on_values else f_pow(left, right)
    raise ValueError(f"no binary operator {symbol!r}; the operators are + - * / **")


def _data(x: Any) -> float:
    number: float = x.data if hasattr(x, "parents") else x
    return number


# -- the n-ary ops: generic over floats and Values -----------------------------------------------


def _sum_forward(values: list[Any], consts: tuple[float, ...]) -> Any:
    s = consts[0] if consts else 0.0
    for v in values:
        s = s + v
    return s


def _dot_forward(values: list[Any], consts: tuple[float, ...]) -> Any:
    c0, npairs, coefs = consts[0], int(consts[1]), consts[2:]
    s = c0
    for k in range(npairs):
        s = s + values[2 * k] * values[2 * k + 1]
    for coef, v in zip(coefs, values[2 * npairs:]):
        s = s + coef * v
    return s


def _first_argmax(data: list[float]) -> int:
    """The first NaN if there is one (max propagates NaN, as in PyTorch), else the first largest."""
    best = 0
    for i, x in enumerate(data):
        if x != x:
            return i
        if x > data[best]:
            best = i
    return best


def _max_forward(values: list[Any], consts: tuple[float, ...]) -> Any:
    return values[_first_argmax([_data(v) for v in values])]


def logsumexp_with_softmax(data: Sequence[float]) -> tuple[float, list[float]]:
    """``(log Σ exp(x_i), softmax(x))`` on floats in one pass: logsumexp's value and local derivatives.

    Stable: ``m + log Σ exp(x_i - m)`` with ``m`` the max, the derivatives
    ``exp(x_i - m) / Σ`` (exact where ``exp(x_i - out)`` would round). Non-finite
    inputs as PyTorch: a NaN gives NaN; all ``-inf`` gives ``-inf`` with NaN
    derivatives; an ``+inf`` gives ``+inf``, NaN on the infinite inputs and 0 elsewhere.
    """
    m = max(data)
    if math.isfinite(m) and all(x == x for x in data):
        exps = [math.exp(x - m) for x in data]
        s = math.fsum(exps)
        return m + math.log(s), [e / s for e in exps]
    out = _NAN if any(x != x for x in data) else m  # the shift trick does not apply
    return out, [f_exp(x - out) for x in data]  # inf - inf is nan, as wanted


def _logsumexp_forward(values: list[Any], consts: tuple[float, ...]) -> float:
    return logsumexp_with_softmax([_data(v) for v in values])[0]


def _sum_grads(values: list[Any], out: Any, consts: tuple[float, ...]) -> list[Any]:
    return [1.0] * len(values)


def _dot_grads(values: list[Any], out: Any, consts: tuple[float, ...]) -> list[Any]:
    npairs = int(consts[1])
    grads: list[Any] = []
    for k in range(npairs):
        grads += (values[2 * k + 1], values[2 * k])
    grads.extend(consts[2:])
    return grads


def _max_grads(values: list[Any], out: Any, consts: tuple[float, ...]) -> list[Any]:
    best = _first_argmax([_data(v) for v in values])
    return [1.0 if i == best else 0.0 for i in range(len(values))]


def _logsumexp_grads(values: list[Any], out: Any, consts: tuple[float, ...]) -> list[Any]:
    """softmax_i = exp(p_i - out), built from Values when ``out`` is one (differentiable again)."""
    if hasattr(out, "parents"):
        return [(v - out).exp() for v in values]
    return logsumexp_with_softmax([_data(v) for v in values])[1]


# -- the n-ary ops' array forms: the inputs of n nodes stacked along axis 1, examples along the last ----


def max_rows(stack: Any) -> tuple[Any, Any]:
    """``(value, arg max)`` of ``max`` for every node and example: ``stack[i, j, ...]`` is input j of node i.

    As the float form: NaN wins (the first NaN), else the first largest; the
    gradient goes to input ``arg max`` only.
    """
    np = _numpy()
    k = np.argmax(stack, axis=1)  # NumPy's argmax: the first NaN, else the first maximum
    return np.take_along_axis(stack, k[:, None], axis=1)[:, 0], k


def logsumexp_rows(stack: Any) -> tuple[Any, Any]:
    """``(logsumexp, softmax)`` for every node and example, as :func:`logsumexp_with_softmax` on each.

    ``stack[i, j, ...]`` is input j of node i. The same shift by the max and
    the same non-finite cases; the sum of exponentials is NumPy's (pairwise),
    where the float form rounds it once (``math.fsum``): equal to about 1e-16.
    """
    np = _numpy()
    m = np.max(stack, axis=1, keepdims=True)  # NaN if an input is NaN
    ok = np.isfinite(m)
    e = np.exp(stack - np.where(ok, m, 0.0))
    s = np.sum(e, axis=1, keepdims=True)
    out = np.where(ok, m + np.log(s), m)
    soft = np.where(ok, e / s, np.exp(stack - out))  # inf - inf is nan, as in the float form
    return out[:, 0], soft


_NARY_FORWARD: dict[str, Callable[..., Any]] = {
    "sum": _sum_forward, "dot": _dot_forward, "max": _max_forward, "logsumexp": _logsumexp_forward,
}
_NARY_GRADS: dict[str, Callable[..., list[Any]]] = {
    "sum": _sum_grads, "dot": _dot_grads, "max": _max_grads, "logsumexp": _logsumexp_grads,
}


# -- for the browser -------------------------------------------------------------------------------


def table_json() -> dict[str, dict[str, Any]]:
    """Every op as JSON-able data: ``{key: {"symbol", "arity", "forward", "grads"}}`` (trees; None for n-ary)."""
    return {
        op.key: {
            "symbol": op.symbol,
            "arity": op.arity,
            "forward": op.forward,
            "grads": list(op.grads) if op.grads is not None else None,
        }
        for op in TABLE
    }
