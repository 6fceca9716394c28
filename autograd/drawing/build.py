"""Building the DOT picture of a computation graph: one code path for ``draw`` and for the explorer.

``draw(root)`` returns a :class:`~autograd.drawing.drawn.DrawnGraph` in which

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

Every element has a stable id in the DOT source, which Graphviz copies into
the SVG: value ``k`` (in topological order) is ``n<k>``, its op ``n<k>op``, the
edge from its parent ``i`` ``e<k>_<i>``, a collapsed group ``g<j>``. The
explorer finds the picture's parts by these ids.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import graphviz

from autograd.drawing import text
from autograd.drawing.drawn import DrawnGraph
from autograd.drawing.grouping import group_derivatives, resolve_groups
from autograd.drawing.highlight import Edge, Highlight, highlight_leaf, highlight_path
from autograd.drawing.scopes import GroupPath
from autograd.drawing.style import COLORS, DEFAULT_MAX_NODES, DONE, HIGHLIGHT, Options, fmt, options, role
from autograd.graph import check_value, topological_order
from autograd.pathsum import consumers
from autograd.trace import node_names
from autograd.value import Value


class GraphTooLargeError(ValueError):
    """The graph has more nodes to draw than ``max_nodes``."""


def value_id(k: int) -> str:
    return f"n{k}"


def op_id(k: int) -> str:
    return f"n{k}op"


def edge_id(k: int, i: int) -> str:
    return f"e{k}_{i}"


def check_size(root: Value, order: Sequence[Value], groups: dict[Value, GroupPath], collapse: bool,
               max_nodes: int | None) -> None:
    """Refuse (GraphTooLargeError, with the ways out) a picture of more than ``max_nodes`` nodes."""
    if max_nodes is None:
        return
    collapsed = collapse and bool(groups)
    n_values = n_ops = 0
    for n in order:
        if not (collapsed and n in groups):
            n_values += 1
            n_ops += bool(n.op)
    n_groups = len(set(groups.values())) if collapsed else 0
    n_drawn = n_values + n_ops + n_groups
    if n_drawn > max_nodes:
        parts = f"{n_values} values, {n_ops} ops" + (f", {n_groups} group boxes" if n_groups else "")
        raise GraphTooLargeError(
            f"the graph of {root!r} has {n_drawn} nodes to draw ({parts}), more than max_nodes={max_nodes}. "
            f"Options: draw(root, max_nodes={n_drawn}) or max_nodes=None to draw it anyway; "
            "draw(root, group_by='labels') (nn models) or group_by=<a scope> to draw one box per neuron or scope; "
            "or draw a smaller piece of the graph (a single neuron or example)."
        )


def _value_label(name: str, node: Value, opts: Options, grads: dict[Value, float] | None) -> str:
    fields = [text.record_text(name), f"data {fmt(node.data, opts.precision)}"]
    if opts.show_grad:
        if grads is None:
            fields.append(f"grad {fmt(node.grad, opts.precision)}")
        else:
            fields.append(f"grad {fmt(grads[node], opts.precision)}" if node in grads else "grad ?")
    return text.record(fields)


def build(root: Value, order: Sequence[Value], names: dict[Value, str], opts: Options,
          groups: dict[Value, GroupPath], *, grads: dict[Value, float] | None = None,
          highlight: Highlight | None = None, done: frozenset = frozenset(),
          current: Edge | None = None, caption: Sequence[str] = (),
          legend_marks: Sequence[tuple[str, str]] | None = None) -> DrawnGraph:
    """The DOT picture (sizes are checked by the caller with :func:`check_size`).

    ``grads`` replaces the ``.grad`` shown (``?`` for a node not in it);
    ``done`` and ``current`` colour the edges of a backward pass in progress.
    ``legend_marks`` replaces the legend's edge entries (``(text, colour)``).
    """
    collapsed = opts.collapse and bool(groups)
    members: dict[GroupPath, list[Value]] = defaultdict(list)
    for node in order:
        if node in groups:
            members[groups[node]].append(node)
    drawn_values = [n for n in order if not (collapsed and n in groups)]

    index = {node: k for k, node in enumerate(order)}
    ids = {node: value_id(k) for node, k in index.items()}
    group_ids = {path: f"g{k}" for k, path in enumerate(members)}
    hl_edges = highlight.edges if highlight else set()
    hl_nodes = highlight.nodes if highlight else set()
    f = functools.partial(fmt, precision=opts.precision)

    g = DrawnGraph(name="autograd", graph_attr={"rankdir": opts.rankdir, "fontname": "Helvetica"},
                   node_attr={"fontname": "Helvetica", "fontsize": "11"},
                   edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555"})
    # cluster path -> node statements (id, attrs) placed in that cluster
    placed: dict[GroupPath, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    roles_seen: set[str] = set()

    for node in drawn_values:
        kind = role(node, root, opts)
        roles_seen.add(kind)
        attrs = {"label": _value_label(names[node], node, opts, grads), "shape": "record",
                 "style": "filled", "fillcolor": COLORS[kind], "id": ids[node]}
        if node in hl_nodes:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        where = () if collapsed else groups.get(node, ())
        placed[where].append((ids[node], attrs))
        if node.op:
            roles_seen.add("op")
            oid = op_id(index[node])
            placed[where].append((oid, {"label": text.dot_text(str(node.op)), "shape": "ellipse", "style": "filled",
                                        "fillcolor": COLORS["op"], "fontsize": "10", "id": oid}))
            g.edge(oid, ids[node], id=f"{oid}_out")

    # Collapsed groups: one record per group, listing its outputs (values used outside it, or the root).
    group_outputs: dict[GroupPath, list[Value]] = {}
    if collapsed:
        users = consumers(list(order))
        for path, nodes in members.items():
            outs = [n for n in nodes if n is root or any(groups.get(c) != path for c, _ in users.get(n, ()))]
            group_outputs[path] = outs
            title = ".".join(path)
            if len(outs) == 1 and outs[0].op:
                title += f" ({outs[0].op})"  # the op that finishes the group, e.g. a neuron's activation
            fields = [text.record_text(title)]
            for o in outs:
                grad_text = ""
                if opts.show_grad:
                    known = grads is None or o in grads
                    grad_text = f"grad {f(o.grad if grads is None else grads[o])}" if known else "grad ?"
                if len(outs) == 1:
                    fields += [f"data {f(o.data)}", grad_text] if grad_text else [f"data {f(o.data)}"]
                else:
                    fields.append(f"{text.record_text(names[o])}: data {f(o.data)}  {grad_text}".rstrip())
            kind = "output" if root in outs else "group"
            roles_seen.add(kind)
            attrs = {"label": text.record(fields), "shape": "record", "style": "rounded,filled",
                     "fillcolor": COLORS[kind], "id": group_ids[path]}
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
        k = index[child]
        for i, p in enumerate(child.parents):
            if collapsed and child in groups:
                if groups.get(p) != groups[child]:
                    into_groups[(p, groups[child])].append((child, i))
                continue
            attrs = edge_style([(child, i)])
            if opts.show_local_grads:
                attrs["label"] = f(child.local_grads[i])
            attrs["id"] = edge_id(k, i)
            g.edge(tail(p), op_id(k), **attrs)
    through: dict[GroupPath, dict[Value, float]] = {}  # one backward pass per group, not per edge
    for j, ((p, path), keys) in enumerate(into_groups.items()):
        attrs = edge_style(keys)
        outs = group_outputs[path]
        if opts.show_local_grads and len(outs) == 1:
            if path not in through:
                through[path] = group_derivatives(members[path], outs[0], set(members[path]))
            attrs["label"] = f(through[path][p])
        attrs["id"] = f"ge{j}"
        g.edge(tail(p), group_ids[path], **attrs)

    _emit_clusters(g, placed)
    if opts.legend:
        if legend_marks is not None:
            marks = list(legend_marks)
        elif current is not None:
            marks = [("this step", HIGHLIGHT), ("used", DONE)] if done else [("this step", HIGHLIGHT)]
        else:
            marks = [("highlighted", HIGHLIGHT)] if hl_edges else []
        _add_legend(g, roles_seen, marks, opts.rankdir)
    if highlight is not None or caption:
        lines = [*(highlight.caption if highlight else ()), *caption]
        g.attr(label=text.caption_text(lines), labelloc="b", labeljust="l", fontsize="11")
    n_ops = sum(1 for n in drawn_values if n.op)
    boxes = f", {len(members)} group boxes" if collapsed and members else ""
    leaves = len(drawn_values) - n_ops
    g.summary = (f"{leaves} {'leaf' if leaves == 1 else 'leaves'}, {n_ops} op result{'' if n_ops == 1 else 's'}"
                 f"{boxes}; output {names[root]!r}")
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
                sub.attr(label=text.dot_text(".".join(child)), style="rounded,dashed", color="#8064a2",
                         fontcolor="#8064a2", id=cluster_ids[child])
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
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontcolor="#777777", fontsize="9",
                    id="legend")
        for kind, node_id in zip(entries, ids):
            legend.node(node_id, label=names.get(kind, kind), shape="ellipse" if kind == "op" else "box",
                        style="filled,rounded", fillcolor=COLORS[kind], fontsize="9", height="0.25", id=node_id)
        for k, (mark, color) in enumerate(marks):
            ids.append(f"legend_mark{k}")
            legend.node(ids[-1], label=mark, shape="box", style="rounded", color=color, fontcolor=color,
                        penwidth="2.5", fontsize="9", height="0.25", id=ids[-1])
        if rankdir in ("TB", "BT"):
            legend.attr(rank="same")  # one rank is one row when ranks run top to bottom
        else:
            for a, b in zip(ids, ids[1:]):  # successive ranks make a row when ranks run left to right
                legend.edge(a, b, style="invis")


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
        params: the leaves to colour as parameters (default: by label, see :mod:`autograd.drawing.style`).
        group_by: ``"labels"``, a :func:`scope`, a list of scopes, or a function
            ``node -> name | None`` ("a/b" or a tuple nests boxes).
        collapse: draw each group as one box (True) or box its nodes (False).
        max_nodes: refuse (``GraphTooLargeError``) above this many drawn nodes; None for no limit.
        legend: add the colour legend.
    """
    check_value(root, "draw", " to draw")
    opts = options(rankdir, show_grad, show_local_grads, precision, params, collapse, legend)
    order = topological_order(root)
    groups = resolve_groups(order, group_by)
    check_size(root, order, groups, opts.collapse, max_nodes)  # before any work that grows with the graph
    names = node_names(root, order)
    hl: Highlight | None = None
    if isinstance(highlight, Value):
        if highlight not in set(order):
            raise ValueError(f"highlight={highlight!r} is not a node of the graph of {root!r}")
        hl = highlight_leaf(highlight, root, order, names, precision)
    elif highlight is not None:
        if not hasattr(highlight, "nodes"):
            raise TypeError(f"highlight must be a Value or a path with .nodes (from paths()), got {highlight!r}")
        hl = highlight_path(highlight, order, names, precision)
    return build(root, order, names, opts, groups, highlight=hl)
