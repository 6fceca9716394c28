"""The explorer object: ``explore(root)`` gathers the graph's data once; ``save``, Jupyter display, ``update``.

Nothing is laid out in Python: the page (or the widget) lays out what is
expanded with Graphviz compiled to WebAssembly, one view at a time, so a page
needs no renderer and writing it takes time linear in the graph. In Jupyter
(with ``anywidget``: ``pip install 'chainrule[widget]'``) the object displays
as a widget; ``ex.update(new_root)`` after a training step sends the new
numbers to it, and the picture keeps its layout and what is expanded. Without
anywidget, or outside Jupyter, it displays as the standalone page in an
iframe (``_repr_html_``) and ``save(path)`` writes that page.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

from autograd import modes
from autograd.drawing import render as backend
from autograd.drawing import text
from autograd.drawing.build import GraphTooLargeError
from autograd.drawing.explorer.data import ROLES, explorer_data, same_shape, to_script_json
from autograd.drawing.explorer.page import asset, graphviz_script, page_html
from autograd.drawing.explorer.tree import gradient_flow
from autograd.drawing.style import COLORS, DEFAULT_MAX_NODES, DONE, HIGHLIGHT, check_int, options
from autograd.graph import _steps, check_value, topological_order
from autograd.hierarchy import GroupBy, hierarchy
from autograd.trace import node_names
from autograd.value import Value

PATH_COLOR = "#8e44ad"  # the selected node's paths (explorer.css: --cr-path)
DEFAULT_TITLE = "Backward pass, step by step"
MAX_LAYOUT_NODES = 1500  # the most drawn nodes one in-page layout takes (Graphviz in WebAssembly: ~2,000 crash)
_ROLE_ORDER = ("input", "parameter", "constant", "value", "op", "output")
_ROLE_NAMES = {"value": "intermediate"}
_OPTIONS = ("rankdir", "show_local_grads", "precision", "params", "group_by", "max_nodes", "legend", "timeout",
            "thresholds")


class Explorer:
    """The explorer of one graph: the data every view is computed from, and the page around it.

    Build it with :func:`explore`. ``save(path)`` writes the page, ``html()``
    returns it; in Jupyter it displays inline; ``update(new_root)`` replaces
    the numbers with those of a graph of the same shape.
    """

    def __init__(self, root: Value, *, title: str = DEFAULT_TITLE, rankdir: str = "LR",
                 show_local_grads: bool = True, precision: int = 4, params: Iterable[Value] | None = None,
                 group_by: GroupBy | None = None,
                 max_nodes: int | None = DEFAULT_MAX_NODES, legend: bool = True,
                 timeout: float | None = backend.DEFAULT_TIMEOUT, thresholds: Any = None,
                 _order: list[Value] | None = None) -> None:
        check_value(root, "explore", " to explore")
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, got {type(title).__name__}: {title!r}")
        backend.check_timeout(timeout)  # accepted as before; the layout now runs in the page
        self.title = text.plain(title)  # control characters and lone surrogates shown, as in the picture
        if rankdir == "auto":  # draw()'s default: the page lays each view out itself, left to right
            rankdir = "LR"
        self._opts = options(rankdir, True, show_local_grads, precision, params, True, False)
        self._legend = bool(legend)
        self._group_by = group_by
        self._flow = gradient_flow(thresholds)
        if max_nodes is None:
            max_nodes = MAX_LAYOUT_NODES
        check_int("max_nodes", max_nodes, 10, MAX_LAYOUT_NODES,
                  f"nodes laid out at once (or None for {MAX_LAYOUT_NODES:,})")
        self._max_nodes = max_nodes
        self._data = self._gather(root, _order)
        self._widget: Any = None

    # -- data --------------------------------------------------------------------------------

    def _gather(self, root: Value, order: list[Value] | None = None) -> dict[str, Any]:
        """The page's data for ``root``: one topological order serves the names, the pass and the boxes."""
        if order is None:
            order = topological_order(root)
        names = node_names(root, order)
        grads: dict[Value, float] = {root: 1.0}
        for _ in _steps(order[::-1], grads, {}, modes.is_anomaly_enabled()):
            pass  # the same walk as backward(), into `grads`: no .grad changes
        hooked = {n: grads.get(n, 0.0) for n in order if n._hooks is not None}
        tree = hierarchy(root, order=order, group_by=self._group_by)
        data = explorer_data(root, order, names, self._opts, tree, self.title, grads, hooked)
        data["maxNodes"] = self._max_nodes
        data["flow"] = self._flow
        if data["stale"]:
            warnings.warn(f"explore({names[root]!r}): {data['stale']}", stacklevel=4)
        return self._with_legend(data)

    def _with_legend(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with the legend entries the page shows: the roles present, then the edge colours."""
        if not self._legend:
            data["legend"] = []
            return data
        letters = set(data["r"])
        present = {r for r, c in ROLES.items() if c in letters} | ({"op"} if "v" in letters or "o" in letters
                                                                  and any(data["p"]) else set())
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
        """Chain-rule steps in the backward pass: one per edge."""
        return sum(len(p) for p in self._data["p"])

    def update(self, root: Value) -> Explorer:
        """New numbers from a graph of the same shape (same ops, inputs and names), e.g. after a training step.

        The picture keeps its layout and what is expanded; a displayed widget
        shows the new values and gradients at once. Returns ``self``.
        """
        check_value(root, "Explorer.update")
        new = self._gather(root)
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
        return page_html(self.title, to_script_json(self._data))

    def save(self, path: Union[str, Path]) -> Path:
        """Write the standalone page to ``path``; returns the path."""
        path = backend.file_target(path, "the explorer page", "explorer.html")
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
            self._widget = widget_class(data=json.dumps(self._data, allow_nan=False))
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        try:
            widget = self.widget
        except ImportError:
            return {"text/html": self._repr_html_(), "text/plain": repr(self)}
        return widget._repr_mimebundle_(include=include, exclude=exclude, **kwargs)

    def __repr__(self) -> str:
        root = self._data["n"][self._data["root"]]
        return (f"<Explorer of {root!r}: {len(self._data['n'])} values, {self.n_steps} backward steps, "
                f"{len(self._data['boxes'])} box{'' if len(self._data['boxes']) == 1 else 'es'}>")


_WIDGET_CLASS: Any = None


def _widget_class() -> Any:
    """The anywidget class, defined on first use so that anywidget is imported only when wanted."""
    global _WIDGET_CLASS
    if _WIDGET_CLASS is None:
        import anywidget
        import traitlets

        class ExplorerWidget(anywidget.AnyWidget):
            """The explorer in Jupyter: Graphviz and the explorer's script once, the data on every update."""

            _esm = graphviz_script() + asset("explorer.js") + "\n" + asset("widget.js")
            _css = asset("explorer.css")
            data = traitlets.Unicode("{}").tag(sync=True)

        _WIDGET_CLASS = ExplorerWidget
    return _WIDGET_CLASS


def explore(root: Value, **options: Any) -> Explorer:
    """The explorer of ``root``'s graph: step through its backward pass, see paths, nudge leaves.

    Displays inline in Jupyter; ``.save(path)`` writes a standalone page. A
    large graph opens collapsed into its boxes (modules, examples, scopes,
    chunks), each expandable in place. Options: ``title``, ``rankdir`` (``"LR"``
    by default; ``"auto"``, draw's default, is the same here),
    ``show_local_grads``, ``precision``, ``params``, ``group_by`` (the boxes,
    as ``draw`` takes it), ``max_nodes`` (the most nodes drawn at once: the
    page collapses other boxes to stay under it), ``legend``, ``thresholds``
    (``vanishing`` and ``exploding`` for colouring modules by the size of their
    parameters' gradients, ``nn.HealthThresholds``' by default) and
    ``timeout`` (accepted for compatibility: no layout runs in Python).
    """
    unknown = set(options) - {"title", *_OPTIONS}
    if unknown:
        raise TypeError(f"explore does not take {sorted(unknown)}; it takes {sorted({'title', *_OPTIONS})}")
    return Explorer(root, **options)


def draw_backward_steps(root: Value, path: Union[str, Path], *, title: str = DEFAULT_TITLE,
                        max_steps: int | None = None, **options: Any) -> Path:
    """Write the explorer page of ``root``'s backward pass to ``path``; returns the path.

    One self-contained HTML file: every step, expansion, selection and nudge
    happens in the page. Options as for :func:`explore`; ``max_steps`` (no cap
    by default) refuses a backward pass of more chain-rule steps.
    ``explore(root).html()`` gives the page's text instead.
    """
    if path is None or not isinstance(path, (str, Path)):
        raise TypeError(f"draw_backward_steps needs a path to write the page to (str or Path), got {path!r}; "
                        "explore(root).html() returns the page's text")
    check_value(root, "draw_backward_steps", " to draw")
    order = topological_order(root)
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
            raise ValueError(f"max_steps must be a non-negative int or None, got {max_steps!r}")
        n_steps = sum(len(node.parents) for node in order)
        if n_steps > max_steps:
            raise GraphTooLargeError(
                f"the backward pass of {root!r} has {n_steps} steps, more than max_steps={max_steps}: "
                f"pass max_steps={n_steps} (or None) to show them all, or step through a smaller graph"
            )
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"draw_backward_steps does not take {sorted(unknown)}; it takes {sorted(_OPTIONS)}")
    return Explorer(root, title=title, _order=order, **options).save(path)
