"""Functions of a list of Values: logsumexp, log_softmax, softmax, max.

Numerical stability comes from one identity: for any ``m``,
``log Σ exp(x_i) = m + log Σ exp(x_i - m)``, and the same shift leaves
``softmax`` and ``log softmax`` unchanged. With ``m = max x_i`` no exponential
overflows, and every number is formed *after* the shift: ``log_softmax`` is
``(x_i - m) - log Σ exp(x_j - m)``, never ``x_i - logsumexp(x)``, whose two
terms at 1e16 are each rounded by more than their difference (that form gave
``softmax([1e16, 1e16]) = [1, 1]``). The shift is a node, ``max(x)``, so every
reader of the graph (compiled replay, the explorer) shifts by the current
maximum too; its gradient, ``-Σ_i ∂f/∂(x_i - m)``, is 0 for these functions up
to rounding (their derivatives sum to 0 along the shift), so the gradients
are exact.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograd import ops as _ops
from autograd.value import Operand, Value, _make, as_float

# ``max`` is left out: ``from autograd.functional import *`` must not shadow the built-in
__all__ = ["log_softmax", "logsumexp", "shifted_by_max", "softmax"]

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
    data = [v._data for v in vs]
    out, softmax = _ops.logsumexp_with_softmax(data)  # the op's one description, value and derivatives at once
    return _make(out, _LOGSUMEXP, tuple(vs), tuple(softmax))


def shifted_by_max(xs: Iterable[Operand], who: str = "shifted_by_max") -> list[Value]:
    """``x_i - max(x)`` for each i, as nodes: the shift every stable softmax starts with.

    Each result is <= 0 and the arg max's is exactly 0. The max is one node
    (see :func:`max`), so the shift follows the inputs wherever the graph is
    evaluated again. ``who`` names the calling function in errors.
    """
    vs = _values(xs, who)
    m = max(vs)
    return [v - m for v in vs]


def log_softmax(xs: Iterable[Operand]) -> list[Value]:
    """``log softmax(x)_i = (x_i - m) - logsumexp(x - m)`` with ``m = max x``: d/dx_j = [i == j] - softmax(x)_j.

    Stable for any finite inputs: ``log_softmax([1e16, 1e16]) = [-log 2, -log 2]``.
    """
    return _log_softmax(xs, "log_softmax")


def _log_softmax(xs: Iterable[Operand], who: str) -> list[Value]:
    shifted = shifted_by_max(xs, who)
    lse = logsumexp(shifted)  # in [0, log n]: no rounding of large numbers left
    return [s - lse for s in shifted]


def softmax(xs: Iterable[Operand]) -> list[Value]:
    """``softmax(x)_i = exp(log_softmax(x)_i)``, each in [0, 1], summing to 1.

    The exponent is <= 0 and formed after the shift by the max, so nothing
    overflows and ``softmax([1e16, 1e16]) = [0.5, 0.5]``.
    """
    return [ls.exp() for ls in _log_softmax(xs, "softmax")]


def max(xs: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.max; shadowing is deliberate
    """The largest value as one node whose gradient flows to the arg max only.

    Every input keeps its edge (so a drawing shows the routing): the first
    arg max has local derivative 1, every other input 0. A NaN input makes the
    result NaN, with the gradient routed to the first NaN (as PyTorch does).
    """
    vs = _values(xs, "max")
    grads = _ops.local_grads("max", [v._data for v in vs], 0.0)
    best = grads.index(1.0)
    return _make(vs[best]._data, _MAX, tuple(vs), grads)
