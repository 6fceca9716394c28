"""Building the DOT picture of a computation graph: one code path for ``draw`` and for the explorer.

``draw(root)`` returns a :class:`~autograd.drawing.drawn.DrawnGraph` in which

* every value is a record of three stacked lines, ``name``, ``data`` and
  ``grad`` (``name`` is its label, or ``v<k>`` with ``k`` its index in
  topological order, with ``#k`` appended to names used twice: the names
  ``trace_backward`` prints),
* every op is its own small node between the value it produced and its inputs,
* every edge input -> op is labelled with its local derivative
  ``d node / d parents[i]`` (``node.local_grads[i]``): Nielsen's "rate" of the
  edge. ``x * x`` has two edges from ``x``, and both are drawn.

The chain rule is then visible on the picture: the gradient of an input is the
sum, over every path from it to the output, of the product of the edge labels
along the path. ``highlight=`` draws those paths and their products.

A graph's hierarchy (:mod:`autograd.hierarchy`: ``nn`` modules, scopes,
examples, chunks; or ``group_by=``'s groups) is drawn as frames around the
values of each open box; a closed box is one node showing its output's value
and gradient, and an edge into it carries ``d box output / d input``
(:func:`autograd.hierarchy.box_derivatives`), the derivative of the whole box.
Which boxes are open: :mod:`autograd.drawing.expansion`.

The picture is laid out for a column (:mod:`autograd.drawing.layout`): its
direction, unless asked, is the one that fits an 880 px column at its
natural size.

Every element has a stable id in the DOT source, which Graphviz copies into
the SVG: value ``k`` (in topological order) is ``n<k>``, its op ``n<k>op``, the
edge from its parent ``i`` ``e<k>_<i>``, a closed box ``g<j>`` and an open one
``cluster_<j>`` (``j`` its position in the tree, preorder), an edge into or
out of a closed box ``ge<j>``. The explorer finds the picture's parts by these ids.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Union

import graphviz

from autograd.drawing import text
from autograd.drawing.drawn import DrawnGraph
from autograd.drawing.expansion import closed_map, drawn_counts, opened
from autograd.drawing.highlight import Edge, Highlight, NodePath, highlight_leaf, highlight_path
from autograd.drawing.layout import COLUMN_PX, NODESEP, RANKSEP, Shape, choose_rankdir, text_width
from autograd.drawing.style import (
    COLORS,
    DEFAULT_CAPTION_WIDTH,
    DEFAULT_EXPANDED_LENGTH,
    DEFAULT_EXPANDED_NODES,
    DEFAULT_MAX_NODES,
    DONE,
    FONT_SIZE,
    HIGHLIGHT,
    LEGEND_FONT_SIZE,
    RANKDIRS,
    SMALL_FONT_SIZE,
    Options,
    check_int,
    fmt,
    options,
    role,
)
from autograd.graph import check_value, topological_order
from autograd.hierarchy import (
    Box,
    GroupBy,
    derivatives_inside,
    group_kind,
    hierarchy,
    resolve_groups,
    tree_of_groups,
)
from autograd.scopes import GroupPath
from autograd.trace import node_names
from autograd.value import Value

# About the largest picture the WebAssembly Graphviz lays out: its layout recurses along paths, and a chain
# of about 1,400 values (2,800 nodes on one path) exhausts its stack. Refusals never suggest more.
SAFE_NODES = 2000


class GraphTooLargeError(ValueError):
    """The graph has more nodes to draw than ``max_nodes``."""


def value_id(k: int) -> str:
    return f"n{k}"


def op_id(k: int) -> str:
    return f"n{k}op"


def edge_id(k: int, i: int) -> str:
    return f"e{k}_{i}"


def too_large(root: Value, counts: tuple[int, int, int], max_nodes: int, ways: str) -> GraphTooLargeError:
    """The refusal: how many nodes, and the ways out (never one the renderer cannot lay out)."""
    n_values, n_ops, n_boxes = counts
    n_drawn = n_values + n_ops + n_boxes
    parts = f"{n_values} values, {n_ops} ops" + (f", {n_boxes} boxes" if n_boxes else "")
    raise_limit = (f"draw(root, max_nodes={n_drawn}) to draw it all; " if n_drawn <= SAFE_NODES else
                   f"(more than about {SAFE_NODES:,} nodes cannot be laid out as one picture) ")
    return GraphTooLargeError(
        f"the graph of {root!r} has {n_drawn} nodes to draw ({parts}), more than max_nodes={max_nodes}. "
        f"Options: {raise_limit}{ways}"
    )


def check_size(root: Value, order: Sequence[Value], groups: dict[Value, GroupPath], collapse: bool,
               max_nodes: int | None) -> None:
    """Refuse (GraphTooLargeError, with the ways out) a picture of more than ``max_nodes`` nodes.

    ``groups`` and ``collapse`` as :func:`build` takes them: a grouped node is
    hidden in its group's box when ``collapse``.
    """
    if max_nodes is None:
        return
    collapsed = collapse and bool(groups)
    n_values = n_ops = 0
    for n in order:
        if not (collapsed and n in groups):
            n_values += 1
            n_ops += bool(n.op)
    n_groups = len(set(groups.values())) if collapsed else 0
    if n_values + n_ops + n_groups > max_nodes:
        raise too_large(root, (n_values, n_ops, n_groups), max_nodes,
                        "draw(root) without group_by draws it collapsed into its modules, scopes or chunks, "
                        "with expand=[...] to open chosen boxes; or draw a smaller piece of the graph.")


def _value_fields(name: str, node: Value, opts: Options, grads: dict[Value, float] | None) -> list[str]:
    """A value's lines: its name, ``data ...`` and ``grad ...`` (plain text, escaped when written)."""
    fields = [name, f"data {fmt(node.data, opts.precision)}"]
    if opts.show_grad:
        fields.append(_grad_text(node, opts, grads))
    return fields


def _grad_text(node: Value, opts: Options, grads: dict[Value, float] | None) -> str:
    if grads is None:
        return f"grad {fmt(node.grad, opts.precision)}"
    return f"grad {fmt(grads[node], opts.precision)}" if node in grads else "grad ?"


def build(root: Value, order: Sequence[Value], names: dict[Value, str], opts: Options,
          groups: dict[Value, GroupPath], *, grads: dict[Value, float] | None = None,
          highlight: Highlight | None = None, done: frozenset[Edge] = frozenset(),
          current: Edge | None = None, caption: Sequence[str] = (),
          legend_marks: Sequence[tuple[str, str]] | None = None) -> DrawnGraph:
    """The DOT picture with ``groups`` (node -> path of group names) as boxes.

    With ``opts.collapse`` each group holding values is one closed box (inside
    the frames of the groups around it); without, every group is a frame.
    Sizes are checked by the caller with :func:`check_size`. ``grads`` replaces
    the ``.grad`` shown (``?`` for a node not in it); ``done`` and ``current``
    colour the edges of a backward pass in progress; ``legend_marks`` replaces
    the legend's edge entries (``(text, colour)``).
    """
    tree = tree_of_groups(root, order, groups)
    boxes = set(tree.walk())
    open_boxes = {b for b in boxes if not b.nodes} | {tree} if opts.collapse else boxes
    return build_tree(root, order, names, opts, tree, open_boxes, grads=grads, highlight=highlight, done=done,
                      current=current, caption=caption, legend_marks=legend_marks, list_outputs=True)


def build_tree(root: Value, order: Sequence[Value], names: dict[Value, str], opts: Options, tree: Box,
               open_boxes: set[Box], *, grads: dict[Value, float] | None = None,
               highlight: Highlight | None = None, done: frozenset[Edge] = frozenset(),
               current: Edge | None = None, caption: Sequence[str] = (),
               legend_marks: Sequence[tuple[str, str]] | None = None, list_outputs: bool = False) -> DrawnGraph:
    """The DOT picture of ``root``'s graph with the boxes of ``tree`` in ``open_boxes`` open, the others closed.

    ``list_outputs``: a closed box with several outputs lists each (as ``group_by``'s boxes do), instead of
    saying how many.
    """
    boxes = list(tree.walk())
    box_index = {b: j for j, b in enumerate(boxes)}
    closed = closed_map(tree, open_boxes)  # b -> the closed box b's values are drawn in; None: b is open
    drawn_boxes = [b for b in boxes if closed[b] is b]

    def shown(node: Value) -> Value | Box:
        """What stands for ``node`` in the picture: itself, or the closed box it is in."""
        return closed[tree.box_of(node)] or node

    def frame_of(box: Box | None) -> Box | None:
        """The open box whose frame a thing placed in ``box`` is drawn in (None: the picture itself)."""
        while box is not None and (box is tree or box.kind == "chunk"):
            box = box.parent if box is not tree else None
        return box

    index = {node: k for k, node in enumerate(order)}
    ids = {node: value_id(k) for node, k in index.items()}
    box_ids = {b: f"g{box_index[b]}" for b in drawn_boxes}
    hl_edges = highlight.edges if highlight else set()
    hl_nodes = highlight.nodes if highlight else set()
    f = functools.partial(fmt, precision=opts.precision)

    placed: dict[Box | None, list[tuple[str, dict[str, str]]]] = defaultdict(list)  # frame -> node statements
    edges: list[tuple[str, str, dict[str, str]]] = []  # written after the nodes, which then come in reading order
    fields: dict[str, list[str]] = {}  # record node -> its lines (plain text), written once the direction is known
    roles_seen: set[str] = set()
    rank = tree._tree.rank if tree._tree is not None else index

    n_values = n_ops = 0
    for node in sorted(order, key=rank.__getitem__):
        if closed[tree.box_of(node)] is not None:
            continue
        n_values += 1
        kind = role(node, root, opts)
        roles_seen.add(kind)
        fields[ids[node]] = _value_fields(names[node], node, opts, grads)
        attrs = {"shape": "record", "style": "filled", "fillcolor": COLORS[kind], "id": ids[node]}
        if node in hl_nodes:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        where = frame_of(tree.box_of(node))
        placed[where].append((ids[node], attrs))
        if node.op:
            n_ops += 1
            roles_seen.add("op")
            oid = op_id(index[node])
            placed[where].append((oid, {"label": text.dot_text(str(node.op)), "shape": "ellipse", "style": "filled",
                                        "fillcolor": COLORS["op"], "fontsize": str(SMALL_FONT_SIZE), "id": oid}))
            # Heavier edges are kept short and straight: an op stays in line with its result, and a chain of
            # results runs straight with its leaves beside it (unweighted, a chain drifts a little at every
            # op towards its leaf, and a deep one grows as wide as it is long).
            edges.append((oid, ids[node], {"id": f"{oid}_out", "weight": "4"}))

    highlighted_boxes = {s for s in map(shown, hl_nodes) if isinstance(s, Box)}
    for box in drawn_boxes:
        kind = "output" if closed[tree.box_of(root)] is box else ("chunk" if box.kind == "chunk" else "group")
        roles_seen.add("box" if kind == "group" else kind)
        fields[box_ids[box]] = _box_fields(box, root, names, opts, grads, list_outputs)
        attrs = {"shape": "record", "style": "rounded,dashed,filled" if box.kind == "chunk" else "rounded,filled",
                 "fillcolor": COLORS[kind], "id": box_ids[box]}
        if box in highlighted_boxes:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        placed[frame_of(box.parent)].append((box_ids[box], attrs))

    def edge_style(keys: Iterable[Edge]) -> dict[str, str]:
        keys = list(keys)
        if current is not None and current in keys:
            return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3"}
        if any(k in hl_edges for k in keys):
            return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2.5"}
        if any(k in done for k in keys):
            return {"color": DONE, "fontcolor": DONE}
        return {}

    def tail_id(item: Value | Box) -> str:
        return box_ids[item] if isinstance(item, Box) else ids[item]

    # Edges between what is drawn: one per edge of the graph into a drawn op; edges that enter or leave a
    # closed box are merged per (tail, head).
    merged: dict[tuple[Any, Any], list[tuple[Value, int, Value]]] = defaultdict(list)
    parallel: list[list[dict[str, str]]] = []  # edges from one value into one op (x * x), each group in order
    for child in order:
        head = shown(child)
        k = index[child]
        repeated: dict[Value, list[dict[str, str]]] = defaultdict(list)
        for i, p in enumerate(child.parents):
            tail = shown(p)
            if isinstance(head, Value) and isinstance(tail, Value):
                attrs = edge_style([(child, i)])
                if opts.show_local_grads:
                    attrs["label"] = f(child.local_grads[i])
                attrs["id"] = edge_id(k, i)
                if p.parents:
                    attrs["weight"] = "2"
                edges.append((ids[p], op_id(k), attrs))
                repeated[p].append(attrs)
            elif tail is not head:
                merged[(tail, head)].append((child, i, p))
        parallel.extend(group for group in repeated.values() if len(group) > 1)
    through: dict[Box, dict[Value, float] | None] = {}  # one backward pass per closed box, not per edge
    for j, ((tail, head), crossing) in enumerate(merged.items()):
        attrs = edge_style((c, i) for c, i, _ in crossing)
        attrs["id"] = f"ge{j}"
        if any(p.parents for _, _, p in crossing):
            attrs["weight"] = "2"
        if isinstance(head, Value):  # from a closed box into a drawn op
            if opts.show_local_grads:
                c, i, _ = crossing[0]
                attrs["label"] = f(c.local_grads[i]) if len(crossing) == 1 else f"{len(crossing)} edges"
            edges.append((tail_id(tail), op_id(index[head]), attrs))
            continue
        sources = list(dict.fromkeys(p for _, _, p in crossing))
        if opts.show_local_grads:
            if head not in through:
                through[head] = _through(head)
            d = through[head]
            if len(sources) > 1:
                attrs["label"] = f"{len(sources)} values"
            elif d is not None:
                attrs["label"] = f(d.get(sources[0], 0.0))
        edges.append((tail_id(tail), box_ids[head], attrs))

    if legend_marks is not None:
        marks = list(legend_marks)
    elif current is not None:
        marks = [("this step", HIGHLIGHT), ("used", DONE)] if done else [("this step", HIGHLIGHT)]
    else:
        marks = [("highlighted", HIGHLIGHT)] if hl_edges else []
    entries = _legend_entries(roles_seen, marks) if opts.legend else []
    lines = text.wrap([*(highlight.caption if highlight else ()), *caption], opts.caption_width)

    rankdir = opts.rankdir
    if rankdir == "auto":
        depth = max((sum(1 for a in (b, *_above(b)) if a is not tree and a.kind != "chunk")
                     for b in open_boxes), default=0)
        rankdir = choose_rankdir(_shape(placed, fields, edges, entries, lines, depth), opts.column)
    for statements in placed.values():
        for node_id, attrs in statements:
            if node_id in fields:
                attrs["label"] = text.record([text.record_text(line) for line in fields[node_id]], rankdir)
    for group in parallel:  # parallel edges enter their op side by side, so their labels do not meet
        for attrs, port in zip(group, _ports(rankdir, len(group))):
            attrs["headport"] = port

    g = DrawnGraph(name="autograd", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                                "nodesep": f"{NODESEP:g}", "ranksep": f"{RANKSEP:g}"},
                   node_attr={"fontname": "Helvetica", "fontsize": str(FONT_SIZE)},
                   edge_attr={"fontname": "Helvetica", "fontsize": str(SMALL_FONT_SIZE), "color": "#555555"})
    _emit_frames(g, tree, placed, open_boxes, box_index, frame_of)
    for tail_name, head_name, attrs in edges:
        g.edge(tail_name, head_name, **attrs)
    if entries:
        _add_legend(g, entries, rankdir)
    if lines:
        g.attr(label=text.caption_text(lines), labelloc="b", labeljust="l", fontsize=str(FONT_SIZE))
    leaves = n_values - n_ops
    boxes_text = f", {len(drawn_boxes)} closed box{'' if len(drawn_boxes) == 1 else 'es'}" if drawn_boxes else ""
    g.summary = (f"{leaves} {'leaf' if leaves == 1 else 'leaves'}, {n_ops} op result{'' if n_ops == 1 else 's'}"
                 f"{boxes_text}; output {names[root]!r}")
    return g


def _through(box: Box) -> dict[Value, float] | None:
    """d box output / d input for every input of a box with one output (None when it has several)."""
    if len(box.outputs) != 1:
        return None
    members = box.members()
    return derivatives_inside(members, box.outputs[0], set(members))


def _box_fields(box: Box, root: Value, names: dict[Value, str], opts: Options, grads: dict[Value, float] | None,
                list_outputs: bool) -> list[str]:
    """``name, data, grad, n values`` (plain text) for a box with one output. With several, each output's
    name, data and gradient when ``list_outputs`` (``group_by``'s boxes), else how many."""
    f = functools.partial(fmt, precision=opts.precision)
    fields = [box.name]
    outs = box.outputs
    if len(outs) == 1:
        fields.append(f"data {f(outs[0].data)}")
        if opts.show_grad:
            fields.append(_grad_text(outs[0], opts, grads))
    elif list_outputs:
        for o in outs:
            grad = f"  {_grad_text(o, opts, grads)}" if opts.show_grad else ""
            fields.append(f"{names[o]}: data {f(o.data)}{grad}")
    members = box.members()
    if all(role(n, root, opts) == "parameter" for n in members):
        fields.append(f"{box.count:,} parameter{'' if box.count == 1 else 's'}")
    else:
        size = f"{box.count:,} value{'' if box.count == 1 else 's'}"
        fields.append(f"{len(outs):,} outputs, {size}" if len(outs) > 1 and not list_outputs else size)
    return fields


def _emit_frames(g: graphviz.Digraph, tree: Box, placed: dict[Box | None, list[tuple[str, dict[str, str]]]],
                 open_boxes: set[Box], box_index: dict[Box, int], frame_of: Any) -> None:
    """Place the node statements in nested clusters, one per open box that is drawn as a frame."""
    framed: dict[Box | None, list[Box]] = defaultdict(list)  # frame -> the frames directly inside it
    for b in tree.walk():
        if b is not tree and b.kind != "chunk" and b in open_boxes and all(a in open_boxes for a in _above(b)):
            framed[frame_of(b.parent)].append(b)

    def emit(target: graphviz.Digraph, frame: Box | None) -> None:
        for node_id, attrs in placed.get(frame, ()):
            target.node(node_id, **attrs)
        for inner in framed.get(frame, ()):
            cid = f"cluster_{box_index[inner]}"
            with target.subgraph(name=cid) as sub:
                sub.attr(label=text.dot_text(inner.name), style="rounded,dashed", color="#8064a2",
                         fontcolor="#8064a2", id=cid)
                emit(sub, inner)

    emit(g, None)


def _above(box: Box) -> Iterable[Box]:
    b = box.parent
    while b is not None:
        yield b
        b = b.parent


_LEGEND_NAMES = {"input": "input (leaf)", "parameter": "parameter (nn or marked)", "constant": "constant (marked)",
                 "value": "intermediate", "box": "box (closed)", "chunk": "chunk (closed)"}
_LEGEND_ORDER = ("input", "parameter", "constant", "value", "op", "box", "chunk", "output")


def _legend_entries(roles: set[str], marks: Sequence[tuple[str, str]]) -> list[tuple[str, str, dict[str, str]]]:
    """The legend's swatches ``(id, text, attributes)``: the roles drawn, then the ``(text, colour)`` marks.

    Roles come from what a value is (an nn parameter, a marked leaf), never from its label: the entries say
    so. ``marks`` are entries for highlighted or stepped edges.
    """
    colours = {**COLORS, "box": COLORS["group"]}
    entries = [(f"legend_{kind}", _LEGEND_NAMES.get(kind, kind),
                {"shape": "ellipse" if kind == "op" else "box", "fillcolor": colours[kind],
                 "style": "filled,rounded" + (",dashed" if kind == "chunk" else "")})
               for kind in _LEGEND_ORDER if kind in roles]
    entries += [(f"legend_mark{k}", mark, {"shape": "box", "style": "rounded", "color": color, "fontcolor": color,
                                           "penwidth": "2.5"})
                for k, (mark, color) in enumerate(marks)]
    return entries


def _add_legend(g: graphviz.Digraph, entries: list[tuple[str, str, dict[str, str]]], rankdir: str) -> None:
    """A column of small swatches in a box (plain nodes: HTML labels need a Graphviz built with expat).

    A column, so that the legend widens a picture by one swatch, not by all of them in a row.
    """
    with g.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontcolor="#777777",
                    fontsize=str(LEGEND_FONT_SIZE), id="legend")
        for node_id, label, attrs in entries:
            legend.node(node_id, label=label, fontsize=str(LEGEND_FONT_SIZE), height="0.25", id=node_id, **attrs)
        if rankdir in ("LR", "RL"):
            legend.attr(rank="same")  # one rank is one column when ranks run left to right
        else:
            ids = [node_id for node_id, _, _ in entries]
            for a, b in zip(ids, ids[1:]):  # successive ranks make a column when ranks run top to bottom
                legend.edge(a, b, style="invis")


def _ports(rankdir: str, n: int) -> list[str]:
    """Where ``n`` parallel edges enter their op: spread along the side they arrive at."""
    side = {"TB": "n", "BT": "s", "LR": "w", "RL": "e"}[rankdir]
    ends = {"TB": ("nw", "ne"), "BT": ("sw", "se"), "LR": ("nw", "sw"), "RL": ("ne", "se")}[rankdir]
    spread = [ends[0], side, ends[1]] if n >= 3 else list(ends)
    return [spread[k * len(spread) // n] for k in range(n)]


def _shape(placed: dict[Any, list[tuple[str, dict[str, str]]]], fields: dict[str, list[str]],
           edges: list[tuple[str, str, dict[str, str]]], legend: list[tuple[str, str, dict[str, str]]],
           caption: list[str], frames: int) -> Shape:
    """What :func:`~autograd.drawing.layout.estimate` needs to know of a picture: sizes, edges, legend."""
    shape = Shape(frames=frames, caption=caption, caption_font=FONT_SIZE)
    for statements in placed.values():
        for node_id, attrs in statements:
            if node_id in fields:
                shape.record(node_id, fields[node_id], FONT_SIZE)
            else:
                shape.ellipse(node_id, str(attrs.get("label", "")), SMALL_FONT_SIZE)
    for tail, head, attrs in edges:
        shape.edge(tail, head, attrs.get("label"), SMALL_FONT_SIZE)
    shape.legend = [(text_width(label, LEGEND_FONT_SIZE) + 16, 18.0) for _, label, _ in legend]
    return shape


Expand = Union[bool, Box, str, tuple[str, ...], Sequence[Union[Box, str, tuple[str, ...]]], None]


def draw(root: Value, *, rankdir: str = "auto", show_grad: bool = True, show_local_grads: bool = True,
         precision: int = 4, highlight: Value | NodePath | None = None, params: Iterable[Value] | None = None,
         group_by: GroupBy | None = None, collapse: bool = True, max_nodes: int | None = DEFAULT_MAX_NODES,
         legend: bool = True, expand: Expand = None, caption_width: int = DEFAULT_CAPTION_WIDTH,
         column: int = COLUMN_PX) -> DrawnGraph:
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (a :class:`DrawnGraph`).

    Each edge input -> op carries ``d node / d input``, so for any leaf ``x``
    ``d root / d x = sum over paths x -> root of the product of edge labels``.

    A graph made by ``nn`` modules or inside ``autograd.scope(...)`` blocks is
    drawn in their boxes (:mod:`autograd.hierarchy`: ``MLP > layer 1 >
    neuron 3``, ``example 2``, long chains in chunks). A graph of more than
    ``max_nodes`` nodes is drawn collapsed: its boxes open from the top while
    the picture stays legible, and a closed box shows its output's value and
    gradient, each edge into it ``d box output / d input``. Open a box with
    ``expand``: ``draw(loss, expand="example 0/MLP/layer 1")``, a list of such
    paths (a tuple of names when a name holds ``/``), or boxes from
    ``autograd.hierarchy.hierarchy(loss)``; ``expand=True`` opens everything.

    The picture is made to be read in a column (a README, a notebook's
    output: ``column`` px wide) at its natural size: each value's name, data
    and gradient are stacked, and ``rankdir="auto"`` lays the graph out left
    to right when that fits the column, else top to bottom when that is
    narrower (:mod:`autograd.drawing.layout`).

    Args:
        rankdir: layout direction, "auto" (the default: see above), "LR" (inputs left), "RL", "TB" or "BT".
        show_grad: show each value's ``.grad`` (as left by the last backward pass).
        show_local_grads: label each edge with its local derivative.
        precision: significant digits of every number shown.
        highlight: a leaf (or any node) whose paths to ``root`` are drawn in red,
            with each path's product and their sum listed below the graph; or a
            path object with ``.nodes`` (leaf ... root), e.g. from ``paths()``.
        params: the leaves to colour as parameters, besides nn's parameters and marked leaves
            (:mod:`autograd.roles`).
        group_by: instead of the recorded boxes, ``"labels"``, a :func:`scope`, a list of scopes, or a function
            ``node -> name | None`` (a str is one box, shown as written; a tuple of names nests boxes).
        collapse: with ``group_by``, draw each group as one box (True) or frame its nodes (False); without,
            False opens every box (as ``expand=True``).
        max_nodes: refuse (``GraphTooLargeError``) a picture of more nodes; a larger graph is drawn collapsed
            unless ``group_by``, ``expand`` or ``collapse=False`` ask for more. None: no limit.
        legend: add the colour legend.
        expand: the boxes to open (see above); None opens as many as stay legible.
        caption_width: characters after which a caption line (a path product) wraps.
        column: the width in px of the column the picture is for (``rankdir="auto"`` chooses by it).
    """
    check_value(root, "draw", " to draw")
    if max_nodes is not None:  # nan, inf or 1e308 compared as no limit at all; 0 or -1 refused every graph
        check_int("max_nodes", max_nodes, 1, None, "nodes (or None for no limit)")
    opts = options(rankdir, show_grad, show_local_grads, precision, params, collapse, legend, caption_width, column,
                   rankdirs=("auto", *RANKDIRS))
    order = topological_order(root)
    if group_by is not None:
        if expand is not None:
            raise ValueError("expand= opens boxes of the recorded hierarchy; with group_by=, collapse=False "
                             "frames every group instead")
        groups = resolve_groups(order, group_by)
        check_size(root, order, groups, opts.collapse, max_nodes)  # before any work that grows with the graph
        tree = tree_of_groups(root, order, groups, group_kind(group_by))
        open_boxes = {b for b in tree.walk() if not b.nodes} | {tree} if opts.collapse else set(tree.walk())
    else:
        tree = hierarchy(root, order)
        open_boxes = opened(tree, True if not collapse and expand is None else expand, max_nodes,
                            DEFAULT_EXPANDED_NODES, DEFAULT_EXPANDED_LENGTH)
        counts = drawn_counts(tree, open_boxes)
        if max_nodes is not None and sum(counts) > max_nodes:
            raise too_large(root, counts, max_nodes,
                            "draw(root) draws it collapsed (its top boxes open while legible); open fewer boxes "
                            "with expand=[...]; or draw a smaller piece of the graph.")
    names = node_names(root, order)
    hl: Highlight | None = None
    if isinstance(highlight, Value):
        if highlight not in tree._tree.index:  # type: ignore[union-attr]  # a hierarchy's top box has its tree
            raise ValueError(f"highlight={highlight!r} is not a node of the graph of {root!r}")
        hl = highlight_leaf(highlight, root, order, names, precision)
    elif highlight is not None:
        if not hasattr(highlight, "nodes"):
            raise TypeError(f"highlight must be a Value or a path with .nodes (from paths()), got {highlight!r}")
        hl = highlight_path(highlight, order, names, precision)
    return build_tree(root, order, names, opts, tree, open_boxes, highlight=hl, list_outputs=group_by is not None)
