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

# ruff: noqa: E402 (quiet_start comes before the package's other imports on purpose)
# `python -m autograd` or `python -m nn` (whose first import is this package): Ctrl-C while the modules below
# load ends the command with one line and status 130, not a traceback (see autograd.exit_status).
from autograd.exit_status import quiet_start as _quiet_start

_quiet_start()

import importlib
from typing import TYPE_CHECKING, Any

from autograd import serialize as _serialize  # noqa: F401 - installs Value's pickling and copying
from autograd.functional import log_softmax, logsumexp, softmax
from autograd.functional import max as max  # an attribute, not a star name (``as max``: exported all the same)
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

if TYPE_CHECKING:  # what __getattr__ imports on first use, for type checkers (tests check the two agree)
    from autograd.check import GradcheckError as GradcheckError
    from autograd.check import GradcheckReport as GradcheckReport
    from autograd.check import gradcheck as gradcheck
    from autograd.check import gradgradcheck as gradgradcheck
    from autograd.compiled import compile as compile
    from autograd.drawing import GraphTooLargeError as GraphTooLargeError
    from autograd.drawing import draw as draw
    from autograd.drawing import draw_backward_steps as draw_backward_steps
    from autograd.drawing import explore as explore
    from autograd.drawing import render_svg as render_svg
    from autograd.drawing import save_graph as save_graph
    from autograd.forward import Dual as Dual
    from autograd.forward import compare_modes as compare_modes
    from autograd.forward import jvp as jvp
    from autograd.graph import collector_paused as collector_paused
    from autograd.higher import hessian as hessian
    from autograd.higher import hvp as hvp
    from autograd.pathsum import Path as Path
    from autograd.pathsum import PathLimitError as PathLimitError
    from autograd.pathsum import count_paths as count_paths
    from autograd.pathsum import paths as paths
    from autograd.pathsum import sum_over_paths as sum_over_paths
    from autograd.roles import constant as constant
    from autograd.roles import mark as mark
    from autograd.roles import parameter as parameter
    from autograd.scopes import Scope as Scope
    from autograd.scopes import scope as scope
    from autograd.trace import Step as Step
    from autograd.trace import StepTable as StepTable
    from autograd.trace import trace_backward as trace_backward

    __version__: str

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


# (hidden from type checkers, which read the names above: so a misspelt name is an error, not Any)
if not TYPE_CHECKING:
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
