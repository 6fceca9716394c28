"""Neural networks on the scalar autograd engine: modules, losses, optimizers, checkpoints.

``from nn import MLP, SGD``; losses live in ``nn.losses``; ``nn.health(model, loss=loss)``
reports each layer's gradient health after a backward pass, and ``nn.UpdateRecorder``
follows each layer's update-to-data ratio across training. Data sets (``nn.data``,
scikit-learn), the demo, the training examples, the course's exercise checks
(``nn.exercises``) and the bug zoo (``nn.bugs``) are imported only when used.
"""

from __future__ import annotations

from typing import Any

# First the engine: under `python -m nn` its first line makes Ctrl-C while the modules below load one line and
# status 130, not a traceback (autograd.exit_status.quiet_start).
import autograd  # noqa: F401
from nn import losses
from nn.checkpoint import CheckpointError
from nn.conv import Conv2d, Flatten, MaxPool2d
from nn.health import HealthReport, HealthThresholds, UpdateRecorder, health
from nn.module import MLP, Layer, Module, Neuron, Sequential
from nn.optim import SGD, Adam, Optimizer
from nn.rnn import RNN

__all__ = [
    "Adam",
    "CheckpointError",
    "Conv2d",
    "Flatten",
    "HealthReport",
    "HealthThresholds",
    "Layer",
    "MLP",
    "MaxPool2d",
    "Module",
    "Neuron",
    "Optimizer",
    "RNN",
    "SGD",
    "Sequential",
    "UpdateRecorder",
    "health",
    "losses",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the chainrule distribution's, read when first asked (see autograd.version)
        from autograd.version import package_version

        globals()["__version__"] = version = package_version()
        return version
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
