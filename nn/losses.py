"""Loss functions, built from the engine's ops so their graphs can be drawn and traced.

Each takes a model's output for one sample (a Value or a list of Values;
plain numbers are treated as constants) and that sample's target, and returns
a Value. For a mini-batch of m samples, average with :func:`mean`: its
gradient is ``1/m Σ ∂L/∂w``, the update rule of the backpropagation derivation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Union

from autograd import Value, dot, logsumexp, total
from autograd.functional import shifted_by_max
from autograd.value import _describe, as_float

Output = Union[Value, float, Sequence[Union[Value, float]]]

_REDUCTIONS = ("mean", "sum", "half_sum")
# below this probability, log(p) is taken as log(_TINY) = -100, as PyTorch's BCELoss does
_TINY = math.exp(-100.0)


def _as_list(x: Output, who: str) -> list[Value | float]:
    if isinstance(x, (Value, Real)) and not isinstance(x, bool):
        return [x]
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        raise TypeError(f"{who} needs a Value, a number or a list of them, got {type(x).__name__}: {x!r}")
    items = list(x)
    if not items:
        raise ValueError(f"{who} of an empty output is undefined")
    return items


def mean(losses: Iterable[Value | float]) -> Value:
    """``(1/m) Σ L_k``: the batch loss whose gradient averages the per-sample gradients."""
    items = list(losses)
    if not items:
        raise ValueError("mean of an empty list of losses is undefined")
    return total(items) * (1.0 / len(items))


def mse(output: Output, target: float | Sequence[float], reduction: str = "mean") -> Value:
    """Squared error between ``output`` (a_j) and ``target`` (y_j).

    - ``"mean"`` (default): ``(1/n) Σ_j (a_j - y_j)²``
    - ``"sum"``: ``Σ_j (a_j - y_j)²``
    - ``"half_sum"``: ``½ Σ_j (y_j - a_j)²``, the form of the backpropagation
      derivation, whose output error is simply ``δ = (a - y) g'(z)``.

    Σ d_j² is one ``dot`` node of the differences with themselves (local
    derivative ``2 d_j`` along the two edges to ``d_j`` taken together).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid reductions are {', '.join(map(repr, _REDUCTIONS))}")
    outs = _as_list(output, "mse")
    targets = [target] if isinstance(target, Real) and not isinstance(target, bool) \
        else list(target)  # type: ignore[arg-type]  # not a number: a sequence (a float is a Real)
    if len(targets) != len(outs):
        raise ValueError(f"mse: the output has {len(outs)} entries but the target has {len(targets)}")
    diffs = [a - as_float(y, f"mse target {j}") for j, (a, y) in enumerate(zip(outs, targets))]
    if not any(isinstance(d, Value) for d in diffs):
        diffs[0] = Value(diffs[0])  # type: ignore[arg-type]  # all constants (floats): still return a Value
    sq = dot(diffs, diffs)
    scale = {"mean": 1.0 / len(diffs), "sum": 1.0, "half_sum": 0.5}[reduction]
    return sq if scale == 1.0 else sq * scale


def cross_entropy(logits: Sequence[Value | float], target: int | Sequence[float]) -> Value:
    """``-Σ_j y_j log softmax(z)_j``, softmax inside and numerically stable for any finite logits.

    ``target`` is a class index (one-hot y) or a list of probabilities. For an
    index t this is ``-log softmax(z)_t = logsumexp(s) - s_t`` with the logits
    first shifted by their max, ``s = z - max z`` (as ``autograd.log_softmax``
    does): the entry of ``log_softmax`` we need, without building the others,
    and exact where ``logsumexp(z) - z_t`` loses everything (logits of 1e16).
    Gradient: ``∂L/∂z_j = softmax(z)_j - y_j``.
    """
    zs = _as_list(logits, "cross_entropy")
    if len(zs) < 2:
        raise ValueError(f"cross_entropy needs at least 2 logits (one per class), got {len(zs)}")
    if isinstance(target, int) and not isinstance(target, bool) and not 0 <= target < len(zs):
        raise ValueError(f"cross_entropy: target index {target} is out of range for {len(zs)} classes")
    shifted = shifted_by_max(zs, "cross_entropy")
    lse = logsumexp(shifted)
    if isinstance(target, int) and not isinstance(target, bool):
        return lse - shifted[target]
    if isinstance(target, (str, bytes)) or not isinstance(target, Sequence):
        raise TypeError("cross_entropy's target must be a class index or a list of probabilities, "
                        f"got {_describe(target)}")
    ys = [as_float(y, f"cross_entropy target {j}") for j, y in enumerate(target)]
    if len(ys) != len(zs):
        raise ValueError(f"cross_entropy: {len(zs)} logits but {len(ys)} target probabilities")
    if any(y < 0.0 for y in ys) or not math.isclose(math.fsum(ys), 1.0, rel_tol=1e-9, abs_tol=1e-9):
        raise ValueError(f"cross_entropy: target probabilities must be >= 0 and sum to 1, got {ys}")
    # Σ y_j (lse - s_j) = lse Σ y_j - Σ y_j s_j = lse - y·s  (Σ y_j = 1)
    return lse - dot(ys, shifted)


def binary_cross_entropy(output: Value | float, target: float, from_logits: bool = True) -> Value:
    """``-(y log p + (1 - y) log(1 - p))`` for one output, stable.

    From logits (default) ``p = σ(z)``, and the loss is rewritten as
    ``logsumexp(0, z) - y z``, exact for every z (no overflow, no log 0), with
    gradient ``∂L/∂z = σ(z) - y``. From probabilities, ``log p`` is floored at
    -100 (as PyTorch does) so p = 0 or 1 gives a large finite loss instead of inf.
    """
    y = as_float(target, "binary_cross_entropy's target")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy's target must be in [0, 1], got {y}")
    if not isinstance(output, Value):
        output = Value(as_float(output, "binary_cross_entropy's output"))
    if from_logits:
        # logsumexp's constant 0.0 becomes a leaf in the graph: it is log(1), the "1 +" of log(1 + e^z)
        return logsumexp([0.0, output]) - output * y
    p = output.data
    if not 0.0 <= p <= 1.0:
        raise ValueError(
            f"binary_cross_entropy: probability {output!r} is outside [0, 1]; pass from_logits=True for logits"
        )
    terms: list[Value] = []
    if y > 0.0:
        terms.append(_log_floored(output) * -y)
    if y < 1.0:
        terms.append(_log_floored(1.0 - output) * -(1.0 - y))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _log_floored(p: Value) -> Value:
    # below the floor the loss is the constant 100: no gradient, as with a clamp
    return p.log() if p.data > _TINY else Value(-100.0)


def hinge(score: Value | float, target: float, margin: float = 1.0) -> Value:
    """``max(0, margin - y·s)`` for a score s and a label y in {-1, +1} (an SVM's max-margin loss)."""
    y = as_float(target, "hinge's target")
    if y not in (-1.0, 1.0):
        raise ValueError(f"hinge's target must be -1 or +1, got {_describe(target)}")
    if not isinstance(score, Value):
        score = Value(as_float(score, "hinge's score"))
    return (margin - score * y).relu()


def l2(params: Iterable[Value], alpha: float = 1e-4) -> Value:
    """``alpha · Σ w²``: L2 regularisation (weight decay) to add to a loss; ∂/∂w = 2·alpha·w."""
    ps = list(params)
    if not ps:
        raise ValueError("l2 needs at least one parameter")
    return dot(ps, ps) * as_float(alpha, "l2's alpha")
