"""A row of the health report: one layer, or one time step of an RNN.

Its own module so that the thresholds (which read rows to raise flags) and the report (which makes them) both
import it from below, with no cycle between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LayerHealth:
    """One row of the report: a layer, or one time step of an RNN (``step`` set).

    ``nan`` or ``None`` marks a number that is not available: the per-step gradients without ``loss=``,
    the gradient-to-weight ratio of all-zero parameters, ``saturated`` for a layer that is not tanh or
    sigmoid, ``dead`` for one that is not ReLU, the activation statistics without ``loss=`` or
    ``inputs=``. A non-finite gradient shows as ``inf``.
    """

    name: str
    kind: str
    activation: str
    n_params: int
    mean_grad: float
    max_grad: float
    grad_weight_ratio: float
    mean_act_grad: float | None = None
    saturated: float | None = None
    dead: float | None = None
    step: int | None = None
    flags: list[str] = field(default_factory=list)
    act_mean: float | None = None  # mean of the layer's outputs over the batch
    act_std: float | None = None  # their standard deviation
