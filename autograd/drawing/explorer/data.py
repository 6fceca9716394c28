"""The explorer's data: the graph, its boxes and the op descriptions, as compact JSON-ready values.

Everything the page shows is computed from this data in the browser, in time
linear in the graph: the backward pass step by step, the paths of a value, a
nudge's forward pass, and the layout of whatever is expanded (Graphviz runs in
the page). Per value (index ``k`` in topological order, parents first), in
columns so that a 100,000-value graph stays a few megabytes:

* ``n[k]`` its name (as ``trace_backward`` prints it), ``v[k]`` its data,
  ``r[k]`` its role (one letter of ``ROLES``);
* ``p[k]`` and ``l[k]``: its parents (indices) and local derivatives;
* ``o[k]``: its op, an index into ``ops`` (-1 for a leaf); ``c``: the
  recorded constants of the values that have some (``{k: [...]}``);
* ``u``: for values with hooks, the gradient the hooks made of their
  upstream gradient (the only thing the page cannot recompute);
* ``box[k]``: the innermost box of the value, an index into ``boxes``
  (see :mod:`autograd.drawing.explorer.tree`); ``t``: the leaves in the order
  the forward computation used them, for the gradient table.

The backward pass is not stored: the page replays it (value ``N-1`` down to
``0``, each parent in order, ``contribution = local * upstream`` summed into
the parent), the same float operations in the same order as
:func:`autograd.graph.chain_rule_steps`, so every number matches the engine's
bit for bit. ``ops`` holds each op used: its key and symbol and the formula
trees of :func:`autograd.ops.table_json` (None for an op the table does not
know); ``nudge`` says whether the page can recompute the forward pass, and
``stale`` whether the stored values disagree with a forward pass from the
leaves (the leaves changed after the graph was built) by more than rounding
(``staleTolerance``: relative and absolute, see :func:`same_up_to_rounding`).

Numbers that JSON cannot hold (NaN, infinities) are written as the strings
``"NaN"``, ``"Infinity"``, ``"-Infinity"``; the page reads them back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from autograd import ops
from autograd.drawing import text
from autograd.drawing.explorer.numbers import num
from autograd.drawing.explorer.tree import box_rows, leaf_order
from autograd.drawing.style import Options, fmt, role
from autograd.value import Value

FORMAT_VERSION = 2
ROLES = {"input": "i", "parameter": "p", "constant": "c", "value": "v", "output": "o"}


# How far a recomputed value may be from the stored one and still count as the same: the engine and the
# table's forward formulas may add a dot's or a sum's terms in another order, which changes the last bits
# (an RNN's step: 0.6979... against 0.6979... one ulp apart). A few ulps relative, plus a tiny absolute for
# sums that cancel to about zero. The page compares with the same numbers (data "staleTolerance").
STALE_RELATIVE = 1e-12
STALE_ABSOLUTE = 1e-15


def same_up_to_rounding(a: float, b: float) -> bool:
    """``a`` and ``b`` equal but for rounding: ``|a - b| <= 1e-12 * max(|a|, |b|) + 1e-15``, or both NaN.

    Infinities match only themselves.
    """
    if a == b or (a != a and b != b):
        return True
    if math.isinf(a) or math.isinf(b) or a != a or b != b:
        return False
    return abs(a - b) <= STALE_RELATIVE * max(abs(a), abs(b)) + STALE_ABSOLUTE


def stale_values(order: Sequence[Value], names: dict[Value, str], precision: int) -> str:
    """"" when every value is its op applied to its parents' data (up to rounding), else the first that differ.

    A leaf changed after the graph was built (``w.data -= 0.5`` after
    ``backward()``) leaves the values and local derivatives below it stale:
    the page would show numbers no forward pass gives.
    """
    fresh: dict[Value, float] = {}
    wrong: list[str] = []
    for node in order:
        op = ops.op_of(node)
        if op is None:
            fresh[node] = node.data
            continue
        again = ops.evaluate(op.key, [fresh[p] for p in node.parents], ops.constants(node))
        fresh[node] = again
        if not same_up_to_rounding(again, node.data) and len(wrong) < 3:
            shown, stored = fmt(again, precision), fmt(node.data, precision)
            if shown == stored:  # a difference past the shown digits: show them all
                shown, stored = repr(again), repr(node.data)
            wrong.append(f"{text.plain(names[node])} = {shown}, not {stored}")
    if not wrong:
        return ""
    return ("the leaves changed after this graph was computed: a forward pass from them gives "
            + "; ".join(wrong) + ". The values, local derivatives and gradients shown are the old ones: "
            "run the forward pass again (and backward()) for a current picture")


def _op_rows(order: Sequence[Value]) -> tuple[list[int], list[dict[str, Any]], dict[str, list[Any]], str]:
    """Per value its op's row (-1 for leaves), the rows, the recorded constants and why nudging is off."""
    table = ops.table_json()
    rows: list[dict[str, Any]] = []
    row_of: dict[Any, int] = {}
    per_node: list[int] = []
    consts: dict[str, list[Any]] = {}
    unknown: list[str] = []
    for k, node in enumerate(order):
        if not node.parents:
            per_node.append(-1)
            continue
        op = ops.op_of(node)
        key = op.key if op is not None else ("?", text.plain(str(node.op)))
        if key not in row_of:
            row_of[key] = len(rows)
            if op is not None:
                rows.append({"key": op.key, "symbol": text.plain(op.symbol), "forward": table[op.key]["forward"],
                             "grads": table[op.key]["grads"]})
            else:
                rows.append({"key": None, "symbol": key[1], "forward": None, "grads": None})
                unknown.append(key[1])
        per_node.append(row_of[key])
        if op is not None:
            recorded = ops.constants(node)
            if recorded:
                consts[str(k)] = [num(c) for c in recorded]
    reason = ""
    if unknown:
        shown = ", ".join(repr(u) for u in sorted(set(unknown))[:5])
        reason = (f"the graph has ops the page cannot recompute ({shown}): nodes made by hand, "
                  "not by the engine's ops")
    return per_node, rows, consts, reason


def explorer_data(root: Value, order: Sequence[Value], names: dict[Value, str], opts: Options, tree: Any,
                  title: str, grads: dict[Value, float],
                  hooked: dict[Value, float]) -> dict[str, Any]:
    """The JSON-ready description of ``root``'s graph (see the module doc).

    ``grads`` holds every value's gradient after the whole backward pass
    (``chain_rule_steps(root, 1.0, grads)``), ``hooked`` the upstream
    gradient of each value whose hooks ran.
    """
    index = {node: k for k, node in enumerate(order)}
    per_node, op_rows, consts, reason = _op_rows(order)
    boxes, box_of = box_rows(tree, order, index, grads)
    return {
        "version": FORMAT_VERSION,
        "title": text.plain(title),
        "precision": opts.precision,
        "rankdir": opts.rankdir,
        "edgeLabels": opts.show_local_grads,
        "root": index[root],
        "n": [text.plain(names[node]) for node in order],
        "v": [num(node.data) for node in order],
        "r": "".join(ROLES[role(node, root, opts)] for node in order),
        "p": [[index[p] for p in node.parents] for node in order],
        "l": [[num(x) for x in node.local_grads] for node in order],
        "o": per_node,
        "c": consts,
        "u": {str(index[node]): num(g) for node, g in hooked.items()},
        "ops": op_rows,
        "boxes": boxes,
        "box": box_of,
        "t": leaf_order(root, tree, index),
        "nudge": {"ok": not reason, "reason": reason},
        "stale": stale_values(order, names, opts.precision),
        "staleTolerance": [STALE_RELATIVE, STALE_ABSOLUTE],
    }


def same_shape(a: dict[str, Any], b: dict[str, Any]) -> str:
    """"" when the graphs of two data dicts have the same layout (values, ops, edges, boxes), else what differs."""
    if len(a["n"]) != len(b["n"]):
        return f"{len(b['n'])} values instead of {len(a['n'])}"
    ops_a = [row["symbol"] for row in a["ops"]]
    ops_b = [row["symbol"] for row in b["ops"]]
    for k in range(len(a["n"])):
        op_a = ops_a[a["o"][k]] if a["o"][k] >= 0 else None
        op_b = ops_b[b["o"][k]] if b["o"][k] >= 0 else None
        if a["p"][k] != b["p"][k] or op_a != op_b or a["n"][k] != b["n"][k]:
            return f"value {k} ({b['n'][k]!r}) differs from value {k} ({a['n'][k]!r}): another op, inputs or name"
    if [(x["name"], x["parent"]) for x in a["boxes"]] != [(x["name"], x["parent"]) for x in b["boxes"]] \
            or a["box"] != b["box"]:
        return "the boxes (modules, scopes, examples) differ"
    return ""


def to_script_json(data: dict[str, Any]) -> str:
    """JSON to place inside ``<script type="application/json">``: no ``</``, no ``<!--``, ASCII only.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no text inside
    can close the script element or open a comment; JSON.parse reads them back.
    """
    raw = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
