"""Functions of a list of Values: logsumexp, log_softmax, softmax, max.

Numerical stability comes from one identity: for any constant ``m``,
``log Σ exp(x_i) = m + log Σ exp(x_i - m)``. With ``m = max x_i`` no
exponential overflows, and since ``m`` is a constant the gradient is exact.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable

from autograd.value import Operand, Value, as_float


def _values(xs: Iterable[Operand], who: str) -> list[Value]:
    """The inputs as Values (plain numbers become constant leaves); at least one."""
    try:
        items = list(xs)
    except TypeError:
        raise TypeError(f"{who} needs a list of Values or numbers, got {type(xs).__name__}: {xs!r}") from None
    if not items:
        raise ValueError(f"{who} of an empty list is undefined")
    return [x if isinstance(x, Value) else Value(as_float(x, what=f"element {i} of {who}'s input"))
            for i, x in enumerate(items)]


def logsumexp(xs: Iterable[Operand]) -> Value:
    """``log Σ exp(x_i)`` as one node; its local derivative on edge i is ``softmax(x)_i``.

    Stable: computed as ``m + log Σ exp(x_i - m)`` with ``m = max x_i``.
    """
    vs = _values(xs, "logsumexp")
    m = builtins.max(v.data for v in vs)
    if math.isinf(m):  # all -inf, or an +inf input: the shift trick does not apply
        return Value(m, "", "logsumexp", tuple(vs), tuple(1.0 if v.data == m else 0.0 for v in vs))
    exps = [math.exp(v.data - m) for v in vs]
    s = math.fsum(exps)
    return Value(m + math.log(s), "", "logsumexp", tuple(vs), tuple(e / s for e in exps))


def log_softmax(xs: Iterable[Operand]) -> list[Value]:
    """``log softmax(x)_i = x_i - logsumexp(x)``: d/dx_j = [i == j] - softmax(x)_j."""
    vs = _values(xs, "log_softmax")
    lse = logsumexp(vs)
    return [v - lse for v in vs]


def softmax(xs: Iterable[Operand]) -> list[Value]:
    """``softmax(x)_i = exp(x_i - logsumexp(x))``, each in (0, 1], summing to 1.

    Built as ``exp(log_softmax)``: the exponent is <= 0, so nothing overflows.
    """
    return [ls.exp() for ls in log_softmax(xs)]


def max(xs: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.max; shadowing is deliberate
    """The largest value as one node whose gradient flows to the arg max only.

    Every input keeps its edge (so a drawing shows the routing): the first
    arg max has local derivative 1, every other input 0.
    """
    vs = _values(xs, "max")
    best = 0
    for i, v in enumerate(vs):
        if v.data > vs[best].data:
            best = i
    return Value(vs[best].data, "", "max", tuple(vs), tuple(1.0 if i == best else 0.0 for i in range(len(vs))))
