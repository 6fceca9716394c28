"""Gradient statistics of a layer, and one time step's term of an RNN's gradient.

For the parameters ``w`` of a layer, with ``g = dL/dw`` read from ``.grad``:

    mean|g| = (1/n) Σ |g_i|,   max|g|,   |g|/|w| = sqrt(Σ g_i²) / sqrt(Σ w_i²)

(an SGD step of rate α changes the layer by α·|g|/|w| relative to its size).

Backpropagation through time sums one term per step, ``dL/dW = Σ_t dL/dW|_t``; step ``t``'s term
is the chain-rule contribution of the edges from ``W`` into step ``t``'s weighted sums,
``Σ_j dL/dz_j,t · dz_j,t/dW``, read off the graph after the backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd import Value
from nn.health.activations import Output


def grad_stats(grads: Sequence[float], params: Sequence[Value]) -> tuple[float, float, float]:
    """(mean |g|, max |g|, |g| / |w|); nan when there are no gradients, nan ratio when the weights are all 0."""
    if not grads:
        return math.nan, math.nan, math.nan
    absg = [abs(g) for g in grads]
    if not all(math.isfinite(g) for g in absg):
        return math.inf, math.inf, math.inf
    gnorm = math.sqrt(math.fsum(g * g for g in absg))
    wnorm = math.sqrt(math.fsum(p.data * p.data for p in params))
    ratio = gnorm / wnorm if wnorm > 0 else math.nan
    return math.fsum(absg) / len(absg), max(absg), ratio


def mean_abs(xs: Sequence[float]) -> float | None:
    """(1/n) Σ |x|, or None for no numbers."""
    return math.fsum(abs(x) for x in xs) / len(xs) if xs else None


def step_term(outs: Sequence[Output], params: Sequence[Value]) -> list[float]:
    """One time step's term of ``dL/dW`` for each parameter: the contributions of that step's edges from W."""
    index = {id(p): k for k, p in enumerate(params)}
    term = [0.0] * len(params)
    for o in outs:
        for p, local in zip(o.z.parents, o.z.local_grads):
            k = index.get(id(p))
            if k is not None:
                term[k] += o.z.grad * local
    return term
