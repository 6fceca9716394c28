"""A scalar reverse-mode autograd engine built to show backpropagation.

Each ``Value`` stores its parents and the local derivative on each edge, so
every step of the chain rule can be inspected, traced, drawn and checked.

Public names are imported on first use: ``from autograd import Value`` loads
only the engine, and the drawing code (graphviz) loads when first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from autograd.functional import log_softmax, logsumexp, max, softmax
from autograd.graph import grad, reverse_topological_order, topological_order
from autograd.modes import AnomalyError, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from autograd.ops import Op
from autograd.value import HookHandle, Value, dot, total

# name -> submodule that defines it, imported on first access
_LAZY = {
    "Step": "autograd.trace",
    "StepTable": "autograd.trace",
    "trace_backward": "autograd.trace",
    "Path": "autograd.pathsum",
    "paths": "autograd.pathsum",
    "sum_over_paths": "autograd.pathsum",
    "count_paths": "autograd.pathsum",
    "PathLimitError": "autograd.pathsum",
    "gradcheck": "autograd.check",
    "GradcheckError": "autograd.check",
    "GradcheckReport": "autograd.check",
    "draw": "autograd.drawing",
    "render_svg": "autograd.drawing",
    "save_graph": "autograd.drawing",
    "scope": "autograd.scopes",
    "Scope": "autograd.scopes",
    "mark": "autograd.roles",
    "parameter": "autograd.roles",
    "constant": "autograd.roles",
    "draw_backward_steps": "autograd.drawing",
    "explore": "autograd.drawing",
    "GraphTooLargeError": "autograd.drawing",
    "Dual": "autograd.forward",
    "jvp": "autograd.forward",
    "compare_modes": "autograd.forward",
    "collector_paused": "autograd.graph",
    "hessian": "autograd.higher",
    "hvp": "autograd.higher",
    "gradgradcheck": "autograd.check",
    "compile": "autograd.compiled",
}

__all__ = [
    "AnomalyError",
    "HookHandle",
    "Op",
    "Value",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "log_softmax",
    "logsumexp",
    "max",
    "no_grad",
    "reverse_topological_order",
    "softmax",
    "topological_order",
    "total",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    obj = getattr(importlib.import_module(module), name)
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    # only the public names: the submodules and helpers this file imports are not the API
    return sorted(__all__)
