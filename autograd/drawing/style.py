"""What the pictures look like: colours, roles of the leaves, number format, the drawing options.

Roles colour the leaves: the output, *parameters* (the leaves in ``params=``;
without it, leaves whose label, or its last dotted part, looks like a weight
or a bias: ``w``, ``b``, ``W``, ``weight``, ``bias`` optionally followed by
digits or ``_name``, and by indices in nested-list or matrix notation, as in
``w1``, nn's ``L0.N3.w1``, ``w1[0][0]``, ``W_ih[0,1]`` or ``b[2]``), *inputs*
(other labelled leaves) and *constants* (unlabelled leaves, e.g. numbers
lifted into Values).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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

# A parameter-like label: "w", "b1", "weight", "bias_2", "W_ih", the same after dots ("L0.N3.w1"),
# each optionally indexed: "w1[0][0]", "W_ih[0,1]", "b[2]".
PARAM_LABEL = re.compile(
    r"(?:.*\.)?(?:[wWbB]|[wW]eights?|[bB]ias(?:es)?)(?:\d*(?:_[A-Za-z0-9]+)*_*)(?:\[\s*\d+(?:\s*,\s*\d+)*\s*\])*"
)


@dataclass
class Options:
    rankdir: str
    show_grad: bool
    show_local_grads: bool
    precision: int
    params: set[Value] | None
    collapse: bool
    legend: bool


def fmt(x: float, precision: int) -> str:
    """Compact number: ``precision`` significant digits, no ``-0``."""
    return "0" if x == 0 else format(x, f".{precision}g")


def role(node: Value, root: Value, opts: Options) -> str:
    """``output``, ``value`` (an op's result), ``parameter``, ``input`` or ``constant``."""
    if node is root:
        return "output"
    if node.parents:
        return "value"
    if opts.params is not None:
        if node in opts.params:
            return "parameter"
    elif PARAM_LABEL.fullmatch(node.label):
        return "parameter"
    return "input" if node.label else "constant"


def options(rankdir: str, show_grad: bool, show_local_grads: bool, precision: int,
            params: Iterable[Value] | None, collapse: bool, legend: bool) -> Options:
    """Checked drawing options (a ValueError or TypeError naming the bad one)."""
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
    return Options(rankdir, bool(show_grad), bool(show_local_grads), precision, param_set, bool(collapse),
                   bool(legend))
