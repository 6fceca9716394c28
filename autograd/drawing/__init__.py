"""Drawing computation graphs: values, gradients and the local derivative on every edge.

The package in layers:

* building the DOT picture: :mod:`~autograd.drawing.style` (colours, roles),
  the boxes of :mod:`autograd.hierarchy` (``grouping`` and ``scopes`` here keep
  the old import paths), :mod:`~autograd.drawing.expansion` (which boxes a
  picture opens), :mod:`~autograd.drawing.highlight` (paths),
  :mod:`~autograd.drawing.text` (user strings as plain text),
  :mod:`~autograd.drawing.build` (``draw``);
* rendering: :mod:`~autograd.drawing.render` (system ``dot`` or WebAssembly,
  with a time bound), :mod:`~autograd.drawing.drawn` (the graphviz-like object
  ``draw`` returns), :mod:`~autograd.drawing.output` (``render_svg``, ``save_graph``);
* the explorer: :mod:`autograd.drawing.explorer` (one page or Jupyter widget
  that steps through the backward pass on a picture laid out once).
"""

from __future__ import annotations

from autograd.drawing.build import GraphTooLargeError, draw
from autograd.drawing.drawn import DrawnGraph
from autograd.drawing.explorer import Explorer, draw_backward_steps, explore
from autograd.drawing.output import render_svg, save_graph
from autograd.drawing.render import DEFAULT_TIMEOUT, RendererNotFoundError, RenderTimeoutError, RenderTooDeepError
from autograd.drawing.scopes import Scope, scope
from autograd.drawing.style import COLORS, DEFAULT_MAX_NODES, DONE, HIGHLIGHT, RANKDIRS

__all__ = [
    "COLORS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "DONE",
    "HIGHLIGHT",
    "RANKDIRS",
    "DrawnGraph",
    "Explorer",
    "GraphTooLargeError",
    "RenderTimeoutError",
    "RenderTooDeepError",
    "RendererNotFoundError",
    "Scope",
    "draw",
    "draw_backward_steps",
    "explore",
    "render_svg",
    "save_graph",
    "scope",
]
