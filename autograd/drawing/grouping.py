"""Grouping: which box (a path of group names) each node is drawn in.

``group_by=`` boxes subgraphs: nodes recorded by a :func:`scope`, any
``node -> name`` function, or ``"labels"``, which reads nn's parameter labels
(``L0.N3.w1`` puts the node in neuron ``N3`` of layer ``L0``, and the ops of
that neuron join it). With ``collapse=True`` each group is drawn as one box,
and an edge into a box carries the derivative of the box's output with
respect to that input (:func:`group_derivatives`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from autograd.drawing.scopes import GroupPath, Scope
from autograd.value import Value

# Single-input ops that finish a neuron: they join the group of their input.
_ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "exp", "log", "sin", "cos", "abs", "neg"})


def label_groups(order: Sequence[Value]) -> dict[Value, GroupPath]:
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


def resolve_groups(order: Sequence[Value], group_by: Any) -> dict[Value, GroupPath]:
    if group_by is None:
        return {}
    if group_by == "labels":
        return label_groups(order)
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


def group_derivatives(members: list[Value], output: Value, member_set: set[Value]) -> dict[Value, float]:
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
