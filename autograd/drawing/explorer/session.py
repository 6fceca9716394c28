"""The explorer object: ``explore(root)`` lays the graph out once; ``save``, Jupyter display, ``update``.

In Jupyter (with ``anywidget`` installed: ``pip install 'chainrule[widget]'``)
the object displays as a widget; ``ex.update(new_root)`` after a training
step sends the new numbers to it, and the picture keeps its layout. Without
anywidget, or outside Jupyter, it displays as the standalone page in an
iframe (``_repr_html_``) and ``save(path)`` writes that page.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Union

from autograd.drawing import render as backend
from autograd.drawing import text
from autograd.drawing.build import GraphTooLargeError, build, check_size
from autograd.drawing.explorer.data import explorer_data, same_shape, to_script_json
from autograd.drawing.explorer.page import asset, page_html
from autograd.drawing.grouping import resolve_groups
from autograd.drawing.style import COLORS, DEFAULT_MAX_NODES, DONE, HIGHLIGHT, options
from autograd.graph import check_value, topological_order
from autograd.trace import node_names
from autograd.value import Value

PATH_COLOR = "#8e44ad"  # the selected node's paths (explorer.css: --cr-path)
DEFAULT_TITLE = "Backward pass, step by step"
_ROLE_ORDER = ("input", "parameter", "constant", "value", "op", "output")
_ROLE_NAMES = {"value": "intermediate"}
_OPTIONS = ("rankdir", "show_local_grads", "precision", "params", "group_by", "max_nodes", "legend", "timeout")


class Explorer:
    """The explorer of one graph: the picture (laid out once) and the data every view is computed from.

    Build it with :func:`explore`. ``save(path)`` writes the page, ``html()``
    returns it; in Jupyter it displays inline; ``update(new_root)`` replaces
    the numbers with those of a graph of the same shape.
    """

    def __init__(self, root: Value, *, title: str = DEFAULT_TITLE, rankdir: str = "LR",
                 show_local_grads: bool = True, precision: int = 4, params: Any = None, group_by: Any = None,
                 max_nodes: int | None = DEFAULT_MAX_NODES, legend: bool = True,
                 timeout: float | None = backend.DEFAULT_TIMEOUT) -> None:
        check_value(root, "explore", " to explore")
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, got {type(title).__name__}: {title!r}")
        self.title = text.plain(title)  # control characters and lone surrogates shown, as in the picture
        # The legend is drawn by the page (HTML, beside the picture), so the picture is draw(..., legend=False)'s.
        self._opts = options(rankdir, True, show_local_grads, precision, params, False, False)
        self._legend = bool(legend)
        self._group_by = group_by
        order = topological_order(root)
        groups = resolve_groups(order, group_by)
        check_size(root, order, groups, False, max_nodes)  # before any work that grows with the graph
        names = node_names(root, order)
        grads: dict[Value, float] = {}
        self._data = self._with_legend(explorer_data(root, order, names, self._opts, groups, title, grads))
        picture = build(root, order, names, self._opts, groups, grads=grads)
        self.dot_source = picture.source
        self.svg = backend.render(picture.source, "svg", timeout=timeout).decode("utf-8")
        self._widget: Any = None

    # -- data --------------------------------------------------------------------------------

    def _with_legend(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with the legend entries the page shows: the roles present, then the edge colours."""
        if not self._legend:
            data["legend"] = []
            return data
        present = {node["r"] for node in data["nodes"]} | ({"op"} if any("op" in n for n in data["nodes"]) else set())
        data["legend"] = [[_ROLE_NAMES.get(r, r), COLORS[r], "fill"] for r in _ROLE_ORDER if r in present] + [
            ["this step", HIGHLIGHT, "line"], ["used steps", DONE, "line"],
            ["paths of the selected value", PATH_COLOR, "line"]]
        return data

    @property
    def data(self) -> dict[str, Any]:
        """The graph data the page computes from (see :mod:`autograd.drawing.explorer.data`)."""
        return self._data

    @property
    def n_steps(self) -> int:
        return len(self._data["steps"])

    def update(self, root: Value) -> Explorer:
        """New numbers from a graph of the same shape (same ops, inputs and names), e.g. after a training step.

        The picture keeps its layout; a displayed widget shows the new values
        and gradients at once. Returns ``self``.
        """
        check_value(root, "Explorer.update")
        order = topological_order(root)
        names = node_names(root, order)
        groups = resolve_groups(order, self._group_by)
        new = self._with_legend(explorer_data(root, order, names, self._opts, groups, self.title, {}))
        differs = same_shape(self._data, new)
        if differs:
            raise ValueError(f"update needs a graph of the same shape as the one laid out: {differs}; "
                             "call explore(new_root) for a new picture")
        self._data = new
        if self._widget is not None:
            self._widget.data = json.dumps(new, allow_nan=False)
        return self

    # -- the page ------------------------------------------------------------------------------

    def html(self) -> str:
        """The standalone page (one file, nothing fetched)."""
        return page_html(self.title, self.svg, to_script_json(self._data))

    def save(self, path: Union[str, Path]) -> Path:
        """Write the standalone page to ``path``; returns the path."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script, ids and style apart from the notebook's.
        return (f'<iframe title="{html.escape(self.title)}" sandbox="allow-scripts" '
                f'srcdoc="{html.escape(self.html())}" '
                'style="width: 100%; height: 720px; border: 1px solid #ddd; border-radius: 6px;"></iframe>')

    # -- Jupyter -----------------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """The anywidget widget (made on first use; needs ``pip install 'chainrule[widget]'``)."""
        if self._widget is None:
            try:
                widget_class = _widget_class()
            except ImportError as err:
                raise ImportError(
                    f"the Jupyter widget needs anywidget: pip install 'chainrule[widget]' ({err})"
                ) from None
            self._widget = widget_class(svg=self.svg, data=json.dumps(self._data, allow_nan=False))
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        try:
            widget = self.widget
        except ImportError:
            return {"text/html": self._repr_html_(), "text/plain": repr(self)}
        return widget._repr_mimebundle_(include=include, exclude=exclude, **kwargs)

    def __repr__(self) -> str:
        root = self._data["nodes"][self._data["root"]]["n"]
        return f"<Explorer of {root!r}: {len(self._data['nodes'])} values, {self.n_steps} backward steps>"


_WIDGET_CLASS: Any = None


def _widget_class() -> Any:
    """The anywidget class, defined on first use so that anywidget is imported only when wanted."""
    global _WIDGET_CLASS
    if _WIDGET_CLASS is None:
        import anywidget
        import traitlets

        class ExplorerWidget(anywidget.AnyWidget):
            """The explorer in Jupyter: the SVG once, the data on every update."""

            _esm = asset("explorer.js") + "\n" + asset("widget.js")
            _css = asset("explorer.css")
            svg = traitlets.Unicode("").tag(sync=True)
            data = traitlets.Unicode("{}").tag(sync=True)

        _WIDGET_CLASS = ExplorerWidget
    return _WIDGET_CLASS


def explore(root: Value, **options: Any) -> Explorer:
    """The explorer of ``root``'s graph: step through its backward pass, see paths, nudge leaves.

    Displays inline in Jupyter; ``.save(path)`` writes a standalone page.
    Options: ``title``, ``rankdir``, ``show_local_grads``, ``precision``,
    ``params``, ``group_by`` (boxes, every node still drawn), ``max_nodes``,
    ``legend``, ``timeout`` (seconds for the one layout).
    """
    unknown = set(options) - {"title", *_OPTIONS}
    if unknown:
        raise TypeError(f"explore does not take {sorted(unknown)}; it takes {sorted({'title', *_OPTIONS})}")
    return Explorer(root, **options)


def draw_backward_steps(root: Value, path: Union[str, Path, None] = None, *, title: str = DEFAULT_TITLE,
                        max_steps: int | None = None, **options: Any) -> str:
    """A self-contained HTML page stepping through the backward pass of ``root`` (the explorer).

    The graph is laid out once; every step, selection and nudge happens in
    the page. Written to ``path`` when given; the HTML text is returned either
    way. Options as for :func:`explore`. Graphs above ``max_nodes`` drawn
    nodes are refused as ``draw`` refuses them; ``max_steps`` (no cap by
    default) refuses a backward pass of more chain-rule steps.
    """
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
            raise ValueError(f"max_steps must be a non-negative int or None, got {max_steps!r}")
        check_value(root, "draw_backward_steps", " to draw")
        n_steps = sum(len(node.parents) for node in topological_order(root))
        if n_steps > max_steps:
            raise GraphTooLargeError(
                f"the backward pass of {root!r} has {n_steps} steps, more than max_steps={max_steps}: "
                f"pass max_steps={n_steps} (or None) to show them all, or step through a smaller graph"
            )
    page = explore(root, title=title, **options).html()
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
