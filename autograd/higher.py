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

from collections.abc import Callable, Iterable
from typing import Any, overload

from autograd.graph import grad
from autograd.inputs import Inputs, InputsLike, as_inputs
from autograd.value import Number, Value, dot


def evaluate(f: Callable[..., Any], given: Inputs, leaves: list[Value], who: str) -> Value:
    """``f`` on fresh leaves (one bare leaf for one bare input, else the list), checked to return a Value."""
    if not callable(f):
        raise TypeError(f"{who} needs a callable f, got {type(f).__name__}: {f!r}")
    y = f(given.pack(leaves))
    if not isinstance(y, Value):
        raise TypeError(f"{who}'s f must return a Value (a scalar), got {type(y).__name__}: {y!r}")
    return y


# One bare input gives a bare number; a sequence of inputs a matrix (hvp: a list), as autograd.inputs says.
@overload
def hessian(f: Callable[..., Value], inputs: Value | Number) -> float: ...
@overload
def hessian(f: Callable[..., Value], inputs: Iterable[Value | Number]) -> list[list[float]]: ...
@overload
def hessian(f: Callable[..., Value], inputs: InputsLike) -> list[list[float]] | float: ...
def hessian(f: Callable[..., Value], inputs: InputsLike) -> list[list[float]] | float:
    """The matrix ``H[i][j] = ∂²f/∂x_i∂x_j`` of ``f`` at ``inputs``.

    ``f`` takes a list of Values (fresh leaves holding the inputs' values) and
    returns a Value. Row ``i`` is the gradient of ``∂f/∂x_i``: n + 1 backward
    passes for n inputs. One bare input (``hessian(lambda x: x ** 3, 2.0)``)
    gives ``f`` one Value and returns the second derivative as one float
    (see :mod:`autograd.inputs`).
    """
    given = as_inputs(inputs, "hessian")
    xs = given.fresh_leaves()
    y = evaluate(f, given, xs, "hessian")
    first = grad(y, xs, create_graph=True)
    rows = [grad(g, xs) for g in first]
    return rows[0][0] if given.single else rows


@overload
def hvp(f: Callable[..., Value], inputs: Value | Number, v: InputsLike) -> float: ...
@overload
def hvp(f: Callable[..., Value], inputs: Iterable[Value | Number], v: InputsLike) -> list[float]: ...
@overload
def hvp(f: Callable[..., Value], inputs: InputsLike, v: InputsLike) -> list[float] | float: ...
def hvp(f: Callable[..., Value], inputs: InputsLike, v: InputsLike) -> list[float] | float:
    """The Hessian-vector product ``H v`` of ``f`` at ``inputs``, without forming ``H``.

    Pearlmutter's trick: build the gradient ``g`` as a graph, then one backward
    pass from the scalar ``g · v`` gives ``∇(g · v) = H v``. ``v`` follows the
    inputs' rule (numbers, or Values for their numbers), one entry per input.
    """
    given = as_inputs(inputs, "hvp")
    vs = as_inputs(v, "hvp", argument="v").floats()
    if len(vs) != len(given):
        raise ValueError(f"hvp needs one entry of v per input: {len(given)} inputs, {len(vs)} entries in v")
    xs = given.fresh_leaves()
    y = evaluate(f, given, xs, "hvp")
    g = grad(y, xs, create_graph=True)
    result: list[float] | float = given.unpack(grad(dot(g, vs), xs))
    return result
