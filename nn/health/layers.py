"""Which parts of a model are its layers, and which unit of a layer owns each parameter.

A *layer* is the smallest module above single neurons that owns parameters: a ``Layer``, a lone
``Neuron``, a ``Conv2d`` or an ``RNN``; parameters a container holds directly form a row of their
own. A *unit* is a neuron, a filter or a hidden unit: the parameters that feed one weighted sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autograd import Value
from nn.conv import Conv2d, flatten
from nn.module import Layer, Module, Neuron
from nn.rnn import RNN


@dataclass
class LayerParams:
    """One layer of a model: its name (the module path), the module, its parameters and their units."""

    name: str
    module: Module
    params: list[Value]
    weights: list[Value]  # the parameters that multiply an input (no biases): what an update ratio is taken over
    unit_of: dict[int, int]  # id(param) -> unit index within the layer

    @property
    def kind(self) -> str:
        return type(self.module).__name__

    @property
    def activation(self) -> str:
        act = getattr(self.module, "activation", None)
        return act if isinstance(act, str) else "linear"


def _units_and_weights(module: Module, params: list[Value]) -> tuple[list[Iterable[Value]], list[Value]]:
    """The parameters of each unit (neuron, filter, hidden unit), and the layer's weights without its biases."""
    if isinstance(module, Layer):
        return [n.parameters() for n in module.neurons], [w for n in module.neurons for w in n.w]
    if isinstance(module, Neuron):
        return [params], list(module.w)
    if isinstance(module, Conv2d):
        units: list[Iterable[Value]] = [[*flatten(module.weight[o]), module.bias[o]]
                                        for o in range(module.out_channels)]
        return units, list(flatten(module.weight))
    if isinstance(module, RNN):
        units = [[*module.weight_ih[j], *module.weight_hh[j], module.bias_ih[j], module.bias_hh[j]]
                 for j in range(module.hidden_size)]
        return units, [w for row in (*module.weight_ih, *module.weight_hh) for w in row]
    return [params], list(params)


def _row(name: str, module: Module, params: list[Value]) -> LayerParams:
    units, weights = _units_and_weights(module, params)
    mine = {id(p) for p in params}
    unit_of = {id(p): j for j, g in enumerate(units) for p in g if id(p) in mine}
    return LayerParams(name, module, params, [w for w in weights if id(w) in mine], unit_of)


def find_layers(module: Module, name: str = "") -> list[LayerParams]:
    """The layers of ``module`` in order, named by their path (``layers.0``; the class name for a lone layer)."""
    label = name or type(module).__name__
    if isinstance(module, (Layer, Neuron, Conv2d, RNN)):
        params = module.parameters()
        return [_row(label, module, params)] if params else []
    rows: list[LayerParams] = []
    inner: set[int] = set()
    for child_name, child in module.children():
        rows += find_layers(child, f"{name}.{child_name}" if name else child_name)
        inner.update(id(p) for p in child.parameters())
    own = [p for p in module.parameters() if id(p) not in inner]
    if own:  # parameters held directly by a container: one row of their own, first
        rows.insert(0, _row(label, module, own))
    return rows
