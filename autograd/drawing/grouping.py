"""Grouping by ``group_by=`` (labels, scopes, a function), kept importable here; see :mod:`autograd.hierarchy`."""

from __future__ import annotations

from collections.abc import Sequence

from autograd.hierarchy import derivatives_inside, label_groups, resolve_groups
from autograd.value import Value

__all__ = ["group_derivatives", "label_groups", "resolve_groups"]


def group_derivatives(members: Sequence[Value], output: Value, member_set: set[Value]) -> dict[Value, float]:
    """d output / d x for every input x from outside the group (:func:`autograd.hierarchy.derivatives_inside`)."""
    return derivatives_inside(members, output, member_set)
