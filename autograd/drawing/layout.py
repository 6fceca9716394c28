"""How large a picture will be, before Graphviz lays it out: used to choose its rank direction.

A picture is read in a column: a README on a code host is about 830-880 px
wide, a notebook's output about 900 px. A wider SVG is scaled down to the
column, its text with it (a 1,600 px picture shows 11-point text 7 px high).
``draw(rankdir="auto")``, the default, lays a graph out left to right when
that fits the column and top to bottom when that is narrower: a neuron's
five leaves side by side are narrower than its seven ranks in a row.

:func:`estimate` follows what ``dot`` does, roughly, without running it:

* **ranks**: each node as late as its consumers allow (``dot``'s network
  simplex pulls a leaf next to the op that uses it), the output last;
* **edge labels**: when any edge has a label, ``dot`` doubles the ranks and
  puts each label in its own node between two ranks, on the edge's side;
* **sizes**: a node's width from its text (Helvetica's widths), a record's
  height from its stacked fields; ranks are ``ranksep`` apart, nodes in a rank
  ``nodesep`` apart, and an edge that spans ranks holds a thin place in each;
* **frames** (open boxes) add their margins; the **legend** is a column of
  swatches beside the graph.

It is an estimate (a test compares it with real layouts): good enough to tell
a wide picture from a narrow one, not to predict pixels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# The column a picture is made to be read in (px): a code host's README column, a notebook's output.
COLUMN_PX = 880
# Above this many px on its long side a picture is a poster, not a figure: avoided when the other direction fits.
LONG_SIDE_PX = 2000
PX_PER_PT = 4 / 3  # an SVG's "pt" is 1/72 inch; a CSS px 1/96 inch

NODESEP = 0.25  # inches between nodes in a rank (Graphviz's default)
RANKSEP = 0.4  # inches between ranks (Graphviz's default is 0.5: labels between ranks need less)

# Helvetica's advance widths (em) for the characters numbers and names are made of; others count 0.6 em.
_WIDTHS = {**dict.fromkeys("0123456789", 0.556), **dict.fromkeys(" .,:;!'|il", 0.278), "-": 0.333, "*": 0.389,
           **dict.fromkeys("abcdeghknopqsuvxyz", 0.556), **dict.fromkeys("fjrt", 0.3), "m": 0.833, "w": 0.722,
           **dict.fromkeys("()[]{}/\\", 0.333), "_": 0.556, "#": 0.556, "+": 0.584, "=": 0.584,
           **dict.fromkeys("ABCDEFGHKNPRSUVXYZ", 0.68), **dict.fromkeys("IJLT", 0.56), **dict.fromkeys("MOQW", 0.8)}


def text_width(text: str, fontsize: float) -> float:
    """The width of one line of ``text`` in points, in Helvetica at ``fontsize`` points."""
    return fontsize * sum(_WIDTHS.get(ch, 0.6) for ch in text)


@dataclass
class Shape:
    """What a picture holds, for :func:`estimate`: its nodes' sizes (points), its edges, its legend."""

    nodes: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> (width, height)
    edges: list[tuple[str, str, tuple[float, float] | None]] = field(default_factory=list)  # tail, head, label size
    frames: int = 0  # the deepest nesting of frames (open boxes)
    legend: list[tuple[float, float]] = field(default_factory=list)  # the legend's swatches
    caption: list[str] = field(default_factory=list)  # lines below the picture
    caption_font: float = 11.0

    def record(self, node_id: str, fields: Sequence[str], fontsize: float) -> None:
        """A record node whose fields are stacked (one line each)."""
        width = max(54.0, max((text_width(f, fontsize) for f in fields), default=0.0) + 16)
        self.nodes[node_id] = (width, max(36.0, len(fields) * (fontsize + 9.5)))

    def ellipse(self, node_id: str, label: str, fontsize: float) -> None:
        self.nodes[node_id] = (max(54.0, 1.42 * text_width(label, fontsize) + 12), 36.0)

    def edge(self, tail: str, head: str, label: str | None, fontsize: float) -> None:
        size = None if label is None else (text_width(label, fontsize) + 4, fontsize + 4)
        self.edges.append((tail, head, size))


def _ranks(shape: Shape) -> dict[str, int]:
    """Each node's rank: as late as its consumers allow (the output, and any other sink, last)."""
    heads: dict[str, list[str]] = defaultdict(list)
    for tail, head, _ in shape.edges:
        heads[tail].append(head)
    to_sink: dict[str, int] = {}
    for start in shape.nodes:  # iterative longest distance to a sink (the graph is acyclic)
        if start in to_sink:
            continue
        stack = [(start, False)]
        while stack:
            node, done = stack.pop()
            if node in to_sink:
                continue
            if done:
                to_sink[node] = max((to_sink[h] + 1 for h in heads[node]), default=0)
                continue
            stack.append((node, True))
            stack.extend((h, False) for h in heads[node] if h not in to_sink)
    depth = max(to_sink.values(), default=0)
    return {node: depth - d for node, d in to_sink.items()}


def estimate(shape: Shape, rankdir: str, rank: dict[str, int] | None = None) -> tuple[float, float]:
    """The (width, height) in points that ``dot`` gives ``shape`` laid out in ``rankdir`` ("LR" or "TB").

    ``rank``: the nodes' ranks, when already known (they do not depend on the direction).
    """
    across_lr = rankdir in ("LR", "RL")
    if rank is None:
        rank = _ranks(shape)
    n_ranks = max(rank.values(), default=0) + 1
    labelled = any(size is not None for *_, size in shape.edges)
    # positions 0, 1, 2, ... along the rank axis: the ranks, with a place for labels between them if any
    step = 2 if labelled else 1
    along: dict[int, float] = defaultdict(float)  # position -> extent along the rank axis
    across: dict[int, list[float]] = defaultdict(list)  # position -> extents across it (nodes, labels, edges)
    for node, (w, h) in shape.nodes.items():
        pos = rank[node] * step
        along[pos] = max(along[pos], w if across_lr else h)
        across[pos].append(h if across_lr else w)
    for tail, head, size in shape.edges:
        first, last = rank[tail] * step, rank[head] * step
        label_at = first + 1 if labelled else None
        for pos in range(first + 1, last):
            if pos == label_at and size is not None:
                w, h = size
                along[pos] = max(along[pos], w if across_lr else h)
                across[pos].append((h if across_lr else w) + 2)
            else:
                across[pos].append(2.0)  # a thin virtual node where the edge crosses a rank
    n_pos = (n_ranks - 1) * step + 1
    sep = RANKSEP * 72 / (2 if labelled else 1)
    length = sum(along.values()) + sep * (n_pos - 1)
    breadth = max((sum(xs) + NODESEP * 72 * (len(xs) - 1) for xs in across.values()), default=0.0)
    margin = 8 + 16 * shape.frames
    if shape.legend:
        # a column of swatches in a frame: beside the ranks (TB) or in the first rank (LR)
        col_w = max(w for w, _ in shape.legend) + 16
        col_h = sum(h for _, h in shape.legend) + NODESEP * 72 * (len(shape.legend) - 1) + 28
        if across_lr:
            breadth += col_h + NODESEP * 72
            length = max(length, col_w)
        else:
            breadth += col_w + NODESEP * 72
            length = max(length, col_h)
    length += margin
    breadth += margin
    width, height = (length, breadth) if across_lr else (breadth, length)
    if shape.caption:
        width = max(width, max(text_width(line, shape.caption_font) for line in shape.caption) + 16)
        height += len(shape.caption) * (shape.caption_font + 3) + 8
    return width, height


def choose_rankdir(shape: Shape, column_px: float = COLUMN_PX) -> str:
    """``"LR"`` when a left-to-right picture fits the column (and is not a poster), else the narrower of the two.

    "Fits": at most ``column_px`` wide (shown at its natural size) and at most
    :data:`LONG_SIDE_PX` long. When neither direction fits, the one a column
    shrinks less (the narrower) wins, LR on a tie.
    """
    rank = _ranks(shape)  # once for both directions
    lr = estimate(shape, "LR", rank)
    tb = estimate(shape, "TB", rank)
    column_pt = column_px / PX_PER_PT
    long_pt = LONG_SIDE_PX / PX_PER_PT
    if lr[0] <= column_pt and lr[1] <= long_pt:
        return "LR"
    if tb[0] <= column_pt and tb[1] <= long_pt:
        return "TB"
    return "LR" if lr[0] <= tb[0] else "TB"
