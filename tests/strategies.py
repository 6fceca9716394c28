"""Random expression graphs for property tests, and a finite-difference oracle.

A *program* is a list of leaf values and a list of instructions; each
instruction applies one op to earlier results (picked by index, so results are
reused: shared subexpressions arise naturally). ``build`` runs a program on a
backend: this engine, plain floats through this engine's forward pass, or
PyTorch 0-d tensors, so the same graph can be compared with every oracle.

Every instruction is safe by construction on its domain (``log(1 + a*a)``,
``a / (1 + b*b)``, ...). Non-smooth ops (relu, abs, max) record which branch
they took, so a finite-difference test can reject a draw whose perturbed
evaluations cross a kink.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

import autograd
from autograd import Value

# op name -> number of operands; ops whose name starts with "c" also take a constant
UNARY = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos",
         "pow_int", "pow_frac", "rpow", "cadd", "cmul", "csub", "rsub", "rdiv", "cdiv"]
BINARY = ["add", "sub", "mul", "div", "pow_value"]
NARY = ["total", "dot", "max", "logsumexp", "softmax", "log_softmax"]
ALL_OPS = UNARY + BINARY + NARY


@dataclass
class Program:
    """Leaf values plus instructions ``(op, operand indices, constant)``; the root is the last result."""

    leaves: list[float]
    instructions: list[tuple[str, tuple[int, ...], float]] = field(default_factory=list)


class Backend:
    """How a program's n-ary ops are computed; binary and unary ones use operators and methods."""

    def __init__(self, total, dot, max_, logsumexp, softmax, log_softmax) -> None:
        self.total, self.dot, self.max = total, dot, max_
        self.logsumexp, self.softmax, self.log_softmax = logsumexp, softmax, log_softmax


ENGINE = Backend(
    total=lambda xs: autograd.total(xs),
    dot=lambda a, b: autograd.dot(a, b),
    max_=lambda xs: autograd.max(xs),
    logsumexp=lambda xs: autograd.logsumexp(xs),
    softmax=lambda xs, j: autograd.softmax(xs)[j],
    log_softmax=lambda xs, j: autograd.log_softmax(xs)[j],
)


def torch_backend() -> Backend:
    """The same n-ary ops in PyTorch (import torch only when asked)."""
    import torch

    return Backend(
        total=lambda xs: sum(xs[1:], xs[0]),
        dot=lambda a, b: sum((x * y for x, y in zip(a[1:], b[1:])), a[0] * b[0]),
        max_=lambda xs: torch.stack(xs).max(),
        logsumexp=lambda xs: torch.logsumexp(torch.stack(xs), 0),
        softmax=lambda xs, j: torch.softmax(torch.stack(xs), 0)[j],
        log_softmax=lambda xs, j: torch.log_softmax(torch.stack(xs), 0)[j],
    )


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def build(program: Program, leaves: Sequence[Any], backend: Backend = ENGINE,
          branches: list | None = None) -> Any:
    """Run ``program`` on ``leaves`` (Values or tensors); return the root.

    ``branches`` (engine only) collects the branch each non-smooth op took.
    """
    nodes = list(leaves)
    for op, idx, c in program.instructions:
        args = [nodes[i] for i in idx]
        a = args[0]
        if op == "neg":
            r = -a
        elif op == "exp":
            r = a.exp()
        elif op == "log":
            r = (1 + a * a).log()
        elif op == "sqrt":
            r = (1 + a * a).sqrt()
        elif op == "tanh":
            r = a.tanh()
        elif op == "sigmoid":
            r = a.sigmoid()
        elif op == "relu":
            r = a.relu()
            if branches is not None:
                branches.append(_data(a) > 0)
        elif op == "abs":
            r = abs(a)
            if branches is not None:
                branches.append(_data(a) > 0)
        elif op == "sin":
            r = a.sin()
        elif op == "cos":
            r = a.cos()
        elif op == "pow_int":
            r = a ** int(c)
        elif op == "pow_frac":
            r = (1 + a * a) ** c
        elif op == "rpow":
            r = c ** a.tanh()
        elif op == "cadd":
            r = a + c
        elif op == "cmul":
            r = c * a
        elif op == "csub":
            r = a - c
        elif op == "rsub":
            r = c - a
        elif op == "rdiv":
            r = c / (1 + a * a)
        elif op == "cdiv":
            r = a / c
        elif op == "add":
            r = a + args[1]
        elif op == "sub":
            r = a - args[1]
        elif op == "mul":
            r = a * args[1]
        elif op == "div":
            r = a / (1 + args[1] * args[1])
        elif op == "pow_value":
            r = (1 + a * a) ** args[1].tanh()
        elif op == "total":
            r = backend.total(args)
        elif op == "dot":
            half = len(args) // 2
            r = backend.dot(args[:half], args[half:2 * half])
        elif op == "max":
            r = backend.max(args)
            if branches is not None:
                ds = [_data(x) for x in args]
                branches.append(ds.index(max(ds)))
        elif op == "logsumexp":
            r = backend.logsumexp(args)
        elif op == "softmax":
            r = backend.softmax(args, int(c) % len(args))
        elif op == "log_softmax":
            r = backend.log_softmax(args, int(c) % len(args))
        else:  # pragma: no cover - a typo in this file
            raise ValueError(f"unknown op {op!r}")
        nodes.append(r)
    return nodes[-1]


def _constant_for(op: str, draw: Callable) -> float:
    if op == "pow_int":
        return float(draw(st.sampled_from([2, 3])))
    if op == "pow_frac":
        return draw(st.sampled_from([-1.5, -0.5, 0.5, 1.5, 2.5]))
    if op == "rpow":
        return draw(st.sampled_from([0.5, 2.0, math.e, 3.0]))
    if op == "cdiv":
        return draw(st.sampled_from([-3.0, -0.5, 0.25, 2.0]))
    if op in ("softmax", "log_softmax"):
        return float(draw(st.integers(0, 3)))
    return draw(st.floats(-2.0, 2.0, allow_nan=False))


@st.composite
def programs(draw: Callable, max_leaves: int = 4, max_ops: int = 8, ops: Sequence[str] = ALL_OPS) -> Program:
    """A random program; with ``max_ops`` <= 8 its graph has depth <= 8 (counting instructions)."""
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=n_leaves, max_size=n_leaves))
    program = Program(leaves)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(list(ops)))
        available = len(leaves) + len(program.instructions)
        pick = st.integers(0, available - 1)
        if op in UNARY:
            arity = 1
        elif op in BINARY:
            arity = 2
        elif op == "dot":
            arity = 2 * draw(st.integers(1, 2))
        else:
            arity = draw(st.integers(1, 3))
        # bias toward the newest result so graphs are deep, not just wide
        first = draw(st.one_of(st.just(available - 1), pick))
        idx = (first, *(draw(pick) for _ in range(arity - 1)))
        program.instructions.append((op, idx, _constant_for(op, draw)))
    return program


def evaluate(program: Program, xs: Sequence[float], branches: list | None = None) -> float:
    """The root's value at ``xs`` (the engine's forward pass; numbers only)."""
    return build(program, [Value(x) for x in xs], ENGINE, branches).data


def numeric_grad(f: Callable[[list[float]], float], xs: Sequence[float], i: int, h: float | None = None) -> float:
    """d f / d xs[i] by central differences with one Richardson step.

    ``D(h) = (f(x+h) - f(x-h)) / 2h`` has error O(h^2); ``(4 D(h/2) - D(h)) / 3``
    cancels that term, leaving O(h^4), so ``h`` can stay large enough that
    rounding (about eps * |f| / h) is negligible too.
    """
    xs = list(xs)
    if h is None:
        h = 1e-3 * max(1.0, abs(xs[i]))

    def d(step: float) -> float:
        up, down = list(xs), list(xs)
        up[i] += step
        down[i] -= step
        return (f(up) - f(down)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


def smooth_around(program: Program, xs: Sequence[float], h_scale: float = 1e-3) -> bool:
    """True if every perturbation ``numeric_grad`` makes keeps each non-smooth op on its branch."""
    base: list = []
    evaluate(program, xs, base)
    for i, x in enumerate(xs):
        h = h_scale * max(1.0, abs(x))
        for step in (h, -h, h / 2, -h / 2):
            moved = list(xs)
            moved[i] += step
            seen: list = []
            evaluate(program, moved, seen)
            if seen != base:
                return False
    return True


@st.composite
def checked_programs(draw: Callable, **kwargs: Any) -> Program:
    """Programs whose values stay moderate and that are smooth around their leaves."""
    program = draw(programs(**kwargs))
    try:
        root = build(program, [Value(x) for x in program.leaves])
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    nodes = autograd.topological_order(root)
    assume(all(abs(n.data) < 1e4 and all(abs(g) < 1e4 for g in n.local_grads) for n in nodes))
    assume(smooth_around(program, program.leaves))
    return program


@st.composite
def random_graphs(draw: Callable, **kwargs: Any) -> tuple[Value, list[Value]]:
    """``(root, leaves)``: a random engine graph over all ops, with shared subexpressions."""
    program = draw(checked_programs(**kwargs))
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(program.leaves)]
    return build(program, leaves), leaves


def as_function_of(values: Sequence[Value], compute: Callable[[], Value]) -> Callable[[list[float]], float]:
    """``compute()``'s value as a plain function of the ``.data`` of ``values``.

    Sets the data, recomputes, and puts the original data back, so a model's
    parameters can be perturbed in place for ``numeric_grad``.
    """
    values = list(values)

    def f(xs: list[float]) -> float:
        saved = [v.data for v in values]
        for v, x in zip(values, xs):
            v.data = x
        try:
            return compute().data
        finally:
            for v, x in zip(values, saved):
                v.data = x

    return f


def wide_floats(lo: int = -300, hi: int = 300) -> st.SearchStrategy[float]:
    """Finite floats of every sign and of magnitudes 10**lo to 10**hi, spread evenly over the exponents."""
    return st.builds(lambda sign, mantissa, exponent: sign * mantissa * 10.0 ** exponent,
                     st.sampled_from([1.0, -1.0]), st.floats(1.0, 9.999), st.integers(lo, hi - 1))
