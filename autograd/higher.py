"""Higher-order derivatives: Hessians and Hessian-vector products.

``grad(y, xs, create_graph=True)`` returns the gradient as Values whose graphs
reach back to ``xs`` (each op's derivative formula, from ``ops.py``, evaluated
on Values), so differentiating it again gives second derivatives:

    H[i][j] = ∂²f / ∂x_i ∂x_j = ∂/∂x_j (∂f/∂x_i).

:func:`hessian` does that once per row: one backward pass through the
gradient's graph for each input. :func:`hvp` needs a single extra pass, never
the full matrix (Pearlmutter's trick): ``H v = ∇_x (∇_x f · v)``, because ``v``
is a constant, so the gradient of the scalar ``g · v`` is ``H v``.

At a kink (relu or abs at 0, max at a tie) the second derivative is 0 from
either side except for the jump itself, which no derivative sees: as in
PyTorch, the local derivative there is a piecewise constant (``step``,
``sign``, the arg max routing) whose own derivative is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

from autograd.graph import grad
from autograd.value import Value, as_float, dot

Number = Union[int, float]


def _leaves(inputs: Sequence[Union[Value, Number]], who: str) -> list[Value]:
    """Fresh leaves holding the inputs' values (the caller's Values keep their ``.grad``)."""
    xs = list(inputs)
    if not xs:
        raise ValueError(f"{who} needs at least one input")
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, Value):
            out.append(Value(x.data, label=x.label or f"x{i}"))
        else:
            out.append(Value(as_float(x, what=f"{who}'s input {i}"), label=f"x{i}"))
    return out


def _evaluate(f: Callable[[list[Value]], Value], leaves: list[Value], who: str) -> Value:
    if not callable(f):
        raise TypeError(f"{who} needs a callable f, got {type(f).__name__}: {f!r}")
    y = f(leaves)
    if not isinstance(y, Value):
        raise TypeError(f"{who}'s f must return a Value (a scalar), got {type(y).__name__}: {y!r}")
    return y


def hessian(f: Callable[[list[Value]], Value], inputs: Sequence[Union[Value, Number]]) -> list[list[float]]:
    """The matrix ``H[i][j] = ∂²f/∂x_i∂x_j`` of ``f`` at ``inputs``.

    ``f`` takes a list of Values (fresh leaves holding the inputs' values) and
    returns a Value. Row ``i`` is the gradient of ``∂f/∂x_i``: n + 1 backward
    passes for n inputs.
    """
    xs = _leaves(inputs, "hessian")
    y = _evaluate(f, xs, "hessian")
    first = grad(y, xs, create_graph=True)
    return [grad(g, xs) for g in first]  # type: ignore[misc]


def hvp(f: Callable[[list[Value]], Value], inputs: Sequence[Union[Value, Number]],
        v: Sequence[Number]) -> list[float]:
    """The Hessian-vector product ``H v`` of ``f`` at ``inputs``, without forming ``H``.

    Pearlmutter's trick: build the gradient ``g`` as a graph, then one backward
    pass from the scalar ``g · v`` gives ``∇(g · v) = H v``.
    """
    xs = _leaves(inputs, "hvp")
    vs = [as_float(x, what=f"hvp's v[{i}]") for i, x in enumerate(v)]
    if len(vs) != len(xs):
        raise ValueError(f"hvp needs one entry of v per input: {len(xs)} inputs, {len(vs)} entries in v")
    y = _evaluate(f, xs, "hvp")
    g = grad(y, xs, create_graph=True)
    return grad(dot(g, vs), xs)  # type: ignore[return-value,arg-type]
