"""What a leaf *is*: a parameter, an input or a constant, as marked by whoever made it (never read from its label).

Drawings and the explorer colour a value by its role: the root is the
*output*, an op's result is *intermediate*, and a leaf is

* a *parameter* when ``nn`` made it as a module's parameter, or the user marked
  it (``autograd.mark(w, "parameter")``, or made it with
  ``autograd.parameter(0.5, label="w")``);
* a *constant* when marked so (``autograd.constant(1.0)``, ``mark(c, "constant")``);
  the plain numbers written into an op (``x * 2``) are constants too, but they
  are part of the op, not values of the graph;
* an *input* otherwise: ``Value(-3.0, label="b")`` and ``Value(2.0, label="a")``
  are both inputs until marked.

Marks are kept in a weak table beside the values (a value is not changed and
costs nothing until marked; the mark goes when the value does), so marking a
model's parameters once lasts for every graph they take part in.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Union

from autograd.value import Number, Value

ROLES = ("parameter", "input", "constant")

_marks: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()


def mark(values: Union[Value, Iterable[Value]], role: str) -> None:
    """Mark a leaf (or each leaf of an iterable) as ``"parameter"``, ``"input"`` or ``"constant"``.

    A TypeError names anything that is not a Value; a ValueError names an
    unknown role or a value made by an op (its role is *intermediate*).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(repr(r) for r in ROLES)}, got {role!r}")
    items = [values] if isinstance(values, Value) else values
    try:
        checked = list(items)
    except TypeError:
        raise TypeError(f"mark takes a Value or an iterable of Values, got {type(values).__name__}") from None
    for v in checked:
        if not isinstance(v, Value):
            raise TypeError(f"mark takes Values, got {type(v).__name__}")
        if v.parents:
            raise ValueError(f"only leaves have a role to mark; {v!r} was made by the op {str(v.op)!r}")
    for v in checked:
        _marks[v] = role


def role_of(value: Value) -> str | None:
    """The role ``value`` was marked with, or None."""
    return _marks.get(value)


def parameter(data: Number, label: str = "") -> Value:
    """A new leaf marked as a parameter: ``w = autograd.parameter(0.5, label="w")``."""
    v = Value(data, label)
    _marks[v] = "parameter"
    return v


def constant(data: Number, label: str = "") -> Value:
    """A new leaf marked as a constant (drawn grey: nobody asks for its gradient)."""
    v = Value(data, label)
    _marks[v] = "constant"
    return v
