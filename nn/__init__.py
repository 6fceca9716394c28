"""Neural networks on the scalar autograd engine: modules, losses, optimizers, checkpoints.

``from nn import MLP, SGD``; losses live in ``nn.losses``. Convolution, pooling
and recurrent layers are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn import losses
from nn.checkpoint import CheckpointError
from nn.module import MLP, Layer, Module, Neuron, Sequential
from nn.optim import SGD, Adam, Optimizer

# name -> submodule that defines it, imported on first access
_LAZY = {
    "Conv2d": "nn.conv",
    "MaxPool2d": "nn.conv",
    "Flatten": "nn.conv",
    "RNN": "nn.rnn",
}

__all__ = [
    "Adam",
    "CheckpointError",
    "Layer",
    "MLP",
    "Module",
    "Neuron",
    "Optimizer",
    "SGD",
    "Sequential",
    "losses",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    obj = getattr(importlib.import_module(module), name)
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
