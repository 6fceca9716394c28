"""Reading each layer's outputs off a computation graph, and their statistics.

A layer's weighted sum is a ``dot`` node (``autograd.dot``, how every nn layer forms it) that combines
two or more parameters of one unit of that layer, each once; a ``tanh``, ``sigmoid`` or ``relu``
applied to it is the layer's output (for a linear layer the sum itself is). Nothing is recomputed:
the nodes are those of the graph the loss was built on, or of a forward pass over a batch.

Per layer, over every output of every sample (and every position of a convolution, every step of
an RNN):

    mean = (1/n) Σ a,    std = sqrt((1/n) Σ (a - mean)²),
    saturated = share of tanh/sigmoid outputs where g' is tiny (see ``HealthThresholds``),
    dead = share of ReLU units that output 0 on every sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value, enable_grad, total
from nn.conv import flatten
from nn.health.layers import LayerParams
from nn.health.thresholds import HealthThresholds
from nn.module import Module

SQUASHING = ("tanh", "sigmoid")


@dataclass
class Output:
    """One output of one unit of a layer, for one sample: the node, its weighted sum, its unit and time step."""

    node: Value
    z: Value
    unit: int
    step: int


@dataclass(frozen=True)
class ActivationStats:
    """Statistics of a layer's outputs over a batch; ``None`` where they do not apply (or nothing was seen)."""

    mean: float | None = None
    std: float | None = None
    saturated: float | None = None  # share of tanh/sigmoid outputs in the flat tails
    dead: float | None = None  # share of ReLU units silent on every sample


def layer_outputs(order: Sequence[Value], rows: list[LayerParams]) -> list[list[Output]]:
    """For each layer, every output node found in ``order`` (a topological order of a graph)."""
    owner: dict[int, tuple[int, int]] = {}
    for i, row in enumerate(rows):
        for p in row.params:
            owner[id(p)] = (i, row.unit_of.get(id(p), 0))
    found: list[dict[int, Output]] = [{} for _ in rows]  # per row: id(z) -> its output
    out_of: dict[int, tuple[int, Output]] = {}  # id(output node) -> (row, record): the time-step chain
    for node in order:
        parents = node.parents
        if not parents:
            continue
        if node.op in ("tanh", "sigmoid", "relu") and len(parents) == 1:
            hit = out_of.get(id(parents[0]))
            if hit is not None and hit[1].node is parents[0] and hit[1].z is parents[0]:
                i, rec = hit
                rec.node = node  # the weighted sum is followed by the layer's nonlinearity
                del out_of[id(parents[0])]
                out_of[id(node)] = (i, rec)
                continue
        # a weighted sum is a dot node combining two or more parameters of one unit of one layer, each
        # once (so a penalty such as dot(params, params) is not mistaken for one)
        if node.op != "dot":
            continue
        mine = [owner[id(p)] for p in parents if id(p) in owner]
        ids = [id(p) for p in parents if id(p) in owner]
        if len(mine) < 2 or len(set(mine)) != 1 or len(set(ids)) != len(ids):
            continue
        i, unit = mine[0]
        prev = [out_of[id(p)][1].step for p in parents if id(p) in out_of and out_of[id(p)][0] == i]
        rec = Output(node, node, unit, 1 + max(prev, default=0))
        found[i][id(node)] = rec
        out_of[id(node)] = (i, rec)
    return [list(f.values()) for f in found]


def activation_stats(outs: list[Output], t: HealthThresholds) -> ActivationStats:
    """Mean, std, saturated share and dead share of one layer's outputs (see the module docstring)."""
    if not outs:
        return ActivationStats()
    values = [o.node.data for o in outs]
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    squash = [o for o in outs if o.node.op in SQUASHING]
    saturated = sum(t.is_saturated(o.node.op, o.node.data) for o in squash) / len(squash) if squash else None
    relus = [o for o in outs if o.node.op == "relu"]
    dead = None
    if relus:
        fired: dict[int, bool] = {}
        for o in relus:
            fired[o.unit] = fired.get(o.unit, False) or o.node.data > 0.0
        dead = sum(not f for f in fired.values()) / len(fired)
    return ActivationStats(mean, std, saturated, dead)


def forward_graph(model: Module, inputs: Iterable[Any]) -> Value | None:
    """Run ``model`` on each input with the graph recorded; one root over all the outputs (None if none).

    Under ``no_grad()`` nodes keep no parents and the layers could not be told apart, hence ``enable_grad``.
    No ``.grad`` is touched: nothing is backpropagated.
    """
    outs: list[Value] = []
    with enable_grad():
        for x in inputs:
            outs += [v for v in flatten(model(x)) if isinstance(v, Value)]
        return total(outs) if outs else None
