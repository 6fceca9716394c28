"""The explorer's data: the graph, the backward pass and the op descriptions, as JSON-ready values.

Everything the page computes (the gradient at every step, the paths of a
node, a nudge's forward pass) comes from this data, in time linear in the
graph: no Python runs behind the page.

* ``nodes``: one entry per value in topological order (parents first), with
  its name (as ``trace_backward`` prints it), data, gradient after the whole
  pass, role, op symbol, op key and recorded constants (for the in-browser
  forward pass), parents (indices) and local derivatives.
* ``steps``: the backward pass, one chain-rule application per entry:
  ``[node, parent index, upstream, contribution, parent grad after]`` (the
  local derivative is ``nodes[node].l[parent index]``). Computed by
  :func:`autograd.graph.chain_rule_steps` with a dict, so no ``.grad`` changes.
* ``ops``: the op table (:func:`autograd.ops.table_json`) restricted to the
  keys the graph uses; ``nudge``: whether every op is known to the evaluator,
  and if not, why.

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
from autograd.drawing.scopes import GroupPath
from autograd.drawing.style import Options, role
from autograd.graph import chain_rule_steps
from autograd.value import Value

FORMAT_VERSION = 1


def num(x: float) -> float | str:
    """``x`` for JSON: finite floats as they are, the others as the strings JavaScript's Number() reads."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _op_descriptions(order: Sequence[Value]) -> tuple[list[Any], dict[str, Any], str]:
    """Per node (op key, constants) or None; the op table for the keys used; why nudging is off ("" if on)."""
    described: list[Any] = []
    unknown: list[str] = []
    keys: set[str] = set()
    for node in order:
        if not node.parents:
            described.append(None)
            continue
        op = ops.op_of(node)
        if op is None:
            described.append(None)
            unknown.append(str(node.op))
            continue
        keys.add(op.key)
        described.append((op.key, [num(c) for c in ops.constants(node)]))
    table = ops.table_json()
    used = {k: table[k] for k in sorted(keys)}
    reason = ""
    if unknown:
        shown = ", ".join(repr(text.plain(u)) for u in sorted(set(unknown))[:5])
        reason = (f"the graph has ops the page cannot recompute ({shown}): nodes made by hand, "
                  "not by the engine's ops")
    return described, used, reason


def explorer_data(root: Value, order: Sequence[Value], names: dict[Value, str], opts: Options,
                  groups: dict[Value, GroupPath], title: str, grads: dict[Value, float]) -> dict[str, Any]:
    """The JSON-ready description of ``root``'s graph and backward pass (see the module doc).

    ``grads`` (emptied first) receives every node's gradient after the whole pass.
    """
    index = {node: k for k, node in enumerate(order)}
    steps = [[index[node], i, num(upstream), num(contribution), num(after)]
             for node, i, _local, upstream, contribution, after in chain_rule_steps(root, 1.0, grads)]
    described, table, reason = _op_descriptions(order)
    nodes = []
    for k, node in enumerate(order):
        entry: dict[str, Any] = {
            "n": text.plain(names[node]),
            "v": num(node.data),
            "g": num(grads.get(node, 0.0)),
            "r": role(node, root, opts),
        }
        if node.parents:
            entry["op"] = text.plain(str(node.op))
            entry["p"] = [index[p] for p in node.parents]
            entry["l"] = [num(x) for x in node.local_grads]
            if described[k] is not None:
                entry["key"], entry["c"] = described[k]
        if node in groups:
            entry["grp"] = text.plain(".".join(groups[node]))
        nodes.append(entry)
    return {
        "version": FORMAT_VERSION,
        "title": text.plain(title),
        "precision": opts.precision,
        "root": index[root],
        "nodes": nodes,
        "steps": steps,
        "ops": table,
        "nudge": {"ok": not reason, "reason": reason},
    }


def same_shape(a: dict[str, Any], b: dict[str, Any]) -> str:
    """"" when the graphs of two data dicts have the same layout (nodes, ops, edges), else what differs."""
    if len(a["nodes"]) != len(b["nodes"]):
        return f"{len(b['nodes'])} nodes instead of {len(a['nodes'])}"
    for k, (x, y) in enumerate(zip(a["nodes"], b["nodes"])):
        if x.get("p") != y.get("p") or x.get("op") != y.get("op") or x["n"] != y["n"]:
            return f"node {k} ({y['n']!r}) differs from node {k} ({x['n']!r}): another op, inputs or name"
    return ""


def to_script_json(data: dict[str, Any]) -> str:
    """JSON to place inside ``<script type="application/json">``: no ``</``, no ``<!--``, ASCII only.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no text inside
    can close the script element or open a comment; JSON.parse reads them back.
    """
    raw = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
