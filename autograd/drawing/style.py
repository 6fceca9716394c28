"""What the pictures look like: colours, roles of the values, number format, the drawing options.

Roles colour the values by what each one is (:mod:`autograd.roles`), never by
its label: the root is the *output*, an op's result *intermediate*; a leaf is a
*parameter* (an ``nn`` parameter, a leaf marked ``"parameter"``, or one listed in
``params=``), a *constant* (marked so) or else an *input*.

Numbers are written from ``float(x)`` at this boundary (:func:`fmt`): a float
subclass assigned to ``.data`` cannot put its own text into a picture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from autograd.drawing.layout import COLUMN_PX
from autograd.roles import role_of
from autograd.value import Value, _describe

DEFAULT_MAX_NODES = 300
# A large graph is drawn collapsed, its boxes opened from the top while the picture stays under this many
# nodes: the README's MLP(2, [16, 16, 1]) on four points then fits 2,000 px with 11-point text.
DEFAULT_EXPANDED_NODES = 60
# ... and its longest path under this length (expansion.drawn_length: about 150 px a unit), so that it
# stays within 2,000 px on its long side.
DEFAULT_EXPANDED_LENGTH = 13
# Path products and other caption lines are wrapped at this many characters, so a caption is never
# wider than a picture needs to be.
DEFAULT_CAPTION_WIDTH = 100
RANKDIRS = ("LR", "RL", "TB", "BT")
# Font sizes (points): values, boxes and captions; ops and edge labels; the legend. A picture at most a
# column wide (layout.COLUMN_PX) shows them 15, 13 and 13 px high.
FONT_SIZE = 11
SMALL_FONT_SIZE = 10
LEGEND_FONT_SIZE = 10

# Colours: roles fill value records; highlighted paths and the current stepper edge are red.
COLORS = {
    "output": "#b7e4b0",
    "parameter": "#ffd9a0",
    "input": "#bcd7f5",
    "constant": "#e2e2e2",
    "value": "#ffffff",
    "op": "#f3f3f3",
    "group": "#e6dcf5",
    "chunk": "#eeeeee",
}
HIGHLIGHT = "#d62728"
DONE = "#1f77b4"  # stepper: edges the backward pass has already used

@dataclass
class Options:
    rankdir: str
    show_grad: bool
    show_local_grads: bool
    precision: int
    params: set[Value] | None
    collapse: bool
    legend: bool
    caption_width: int = DEFAULT_CAPTION_WIDTH
    column: int = COLUMN_PX  # px: rankdir="auto" lays a picture out to fit a column this wide


def number(x: object) -> float:
    """``x`` as a plain float for drawing: a float subclass's own ``__float__``/``__format__`` are never called.

    A real number too large for a float is shown as an infinity; anything else
    is a TypeError naming its type (a Value's ``.data`` must be a number).
    """
    if type(x) is float:
        return x
    if isinstance(x, float):
        return float.__float__(x)  # the stored number, whatever the subclass overrides
    if isinstance(x, int) and not isinstance(x, bool):
        try:
            return int.__float__(x)
        except OverflowError:
            return math.inf if int.__gt__(x, 0) else -math.inf
    raise TypeError(f"a number to draw must be a float or an int, got {type(x).__name__}")


def fmt(x: float, precision: int) -> str:
    """Compact number: ``precision`` significant digits, no ``-0``."""
    x = number(x)
    return "0" if x == 0 else format(x, f".{precision}g")


def role(node: Value, root: Value, opts: Options) -> str:
    """``output``, ``value`` (an op's result), ``parameter``, ``input`` or ``constant`` (see the module doc)."""
    if node is root:
        return "output"
    if node.parents:
        return "value"
    if opts.params is not None and node in opts.params:
        return "parameter"
    return role_of(node) or "input"


# Upper bounds: beyond them an option means nothing more (a caption never that long, a column no screen has),
# and an unbounded int (10**400) would reach float arithmetic as an OverflowError instead of this ValueError.
MAX_CAPTION_WIDTH = 100_000
MAX_COLUMN_PX = 100_000


def check_int(name: str, value: object, low: int, high: int | None, unit: str) -> None:
    """A ValueError naming ``name`` unless ``value`` is an int (not a bool) in [low, high] (no upper bound: None).

    The offending value is shown cut to a line (``10**400`` is not printed in full).
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
        raise ValueError(f"{name} must be an int {bounds} {unit}, got {_describe(value)}")


def options(rankdir: str, show_grad: bool, show_local_grads: bool, precision: int,
            params: Iterable[Value] | None, collapse: bool, legend: bool,
            caption_width: int = DEFAULT_CAPTION_WIDTH, column: int = COLUMN_PX,
            rankdirs: tuple[str, ...] = RANKDIRS) -> Options:
    """Checked drawing options (a ValueError or TypeError naming the bad one); ``rankdirs``: those allowed."""
    if rankdir not in rankdirs:
        raise ValueError(f"rankdir must be one of {rankdirs}, got {rankdir!r}")
    check_int("precision", precision, 1, 17, "significant digits")
    param_set = None
    if params is not None:
        param_set = set()
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"params must be Values, got {type(p).__name__}: {p!r}")
            param_set.add(p)
    check_int("caption_width", caption_width, 20, MAX_CAPTION_WIDTH, "characters")
    check_int("column", column, 100, MAX_COLUMN_PX, "px")
    return Options(rankdir, bool(show_grad), bool(show_local_grads), precision, param_set, bool(collapse),
                   bool(legend), caption_width, column)
