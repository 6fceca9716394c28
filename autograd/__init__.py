"""A scalar reverse-mode autograd engine built to show backpropagation.

Each ``Value`` stores its parents and the local derivative on each edge, so
every step of the chain rule can be inspected, traced, drawn and checked.

The idiom is ``import autograd as ag`` (``ag.grad``, ``ag.max``, ``ag.compile``).
``from autograd import *`` brings every public name except the two that would
shadow Python's built-ins, ``max`` and ``compile``: those stay attributes only.

Public names are imported on first use: ``from autograd import Value`` loads
only the engine, and the drawing code (graphviz) loads when first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from autograd import serialize as _serialize  # noqa: F401 - installs Value's pickling and copying
from autograd.functional import log_softmax, logsumexp, max, softmax  # noqa: F401 - max: an attribute, not a star name
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

# Public attributes kept out of __all__: after ``from autograd import *`` the names must still be
# Python's ``max`` (``max(3, 5)``) and ``compile`` (``compile("1+1", "<s>", "eval")``).
_NOT_STARRED = ("compile", "max")

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
    "no_grad",
    "reverse_topological_order",
    "softmax",
    "topological_order",
    "total",
    *(name for name in _LAZY if name not in _NOT_STARRED),
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata takes longer to import than the engine: only when asked
        from autograd.version import package_version

        globals()["__version__"] = version = package_version()
        return version
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    obj = getattr(importlib.import_module(module), name)
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    # only the public names: the submodules and helpers this file imports are not the API
    return sorted({*__all__, *_NOT_STARRED})
