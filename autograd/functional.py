"""Functions of a list of Values: logsumexp, log_softmax, softmax, max.

Numerical stability comes from one identity: for any constant ``m``,
``log Σ exp(x_i) = m + log Σ exp(x_i - m)``. With ``m = max x_i`` no
exponential overflows, and since ``m`` is a constant the gradient is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograd import ops as _ops
from autograd.value import Operand, Value, _make, as_float

_LOGSUMEXP = _ops.by_key("logsumexp")
_MAX = _ops.by_key("max")


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
    r"""$\log \sum_i e^{x_i}$ as one node; its local derivative on edge $i$ is $\mathrm{softmax}(x)_i$.

    Stable: computed as ``m + log Σ exp(x_i - m)`` with ``m = max x_i``. Non-finite
    inputs follow PyTorch: a NaN gives NaN; all ``-inf`` gives ``-inf`` with NaN
    derivatives (the softmax of nothing is undefined); an ``+inf`` input gives
    ``+inf``, with derivative NaN on the infinite inputs and 0 on the others.
    """
    vs = _values(xs, "logsumexp")
    data = [v.data for v in vs]
    out, softmax = _ops.logsumexp_with_softmax(data)  # the op's one description, value and derivatives at once
    return _make(out, _LOGSUMEXP, tuple(vs), tuple(softmax))


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
    arg max has local derivative 1, every other input 0. A NaN input makes the
    result NaN, with the gradient routed to the first NaN (as PyTorch does).
    """
    vs = _values(xs, "max")
    grads = _ops.local_grads("max", [v.data for v in vs], 0.0)
    best = grads.index(1.0)
    return _make(vs[best].data, _MAX, tuple(vs), grads)
