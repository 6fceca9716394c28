"""Pickling and copying graphs of any depth, without recursion.

``pickle`` and ``copy.deepcopy`` walk an object's state recursively, so a
node whose ``parents`` lead 100,000 nodes down would exhaust the stack. Here
a node reached for the first time (an *entry*) is pickled as an empty node
whose state first lists every node it depends on, parents before children,
each with a state that names only its own parents, which the pickler has
already written by then. So the pickler never goes more than a few levels
deep, and its memo keeps sharing intact: a node used twice, or a parameter
pickled next to the loss that depends on it (``pickle.dumps((loss, params))``),
comes back as one object. Unpickling is iterative anyway.

What a node keeps: every slot the class declares (``data``, ``grad``,
``label``, ``op``, ``parents``, ``local_grads`` and whatever later versions
add), found generically from ``__slots__``. What it loses: hooks are not
pickled (they are arbitrary callables, often lambdas, which pickle cannot
write), nor the anomaly-mode creation site, nor sort scratch counts, nor the
frame that made it (the module call or scope of :mod:`autograd.hierarchy`,
which would drag the module along); a loaded node has no hooks.
``copy.deepcopy`` copies the graph with the same walk and keeps hooks (the
copy gets its own list holding the same callables), as ``copy.copy`` does for
one node (a shallow copy shares the original's parents).

Cost: each entry walks the nodes it depends on once. Pickling a root and its
parameters is linear; pickling a list of every node of one graph makes each of
them an entry, which walks its ancestors again: pickle the root instead.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from autograd.value import Value

# Slots that are scratch space or cannot be pickled: reset to these on load.
# ``_box`` (the module call or scope that made the node) would drag modules and call arguments along.
SCRATCH_DEFAULTS: dict[str, Any] = {"_pending": 0, "_hooks": None, "_site": None, "_box": None}
_NOT_STATE = frozenset({"__weakref__", "__dict__"})
# Slots stored under their public name (the ``data`` property's slot is ``_data``), so the state reads
# as the API does and pickles from before the property load unchanged.
_STATE_NAMES = {"_data": "data"}
_SLOT_NAMES = {public: slot for slot, public in _STATE_NAMES.items()}


@cache
def slot_names(cls: type) -> tuple[str, ...]:
    """Every slot ``cls`` and its bases declare, bases first, without ``__weakref__``/``__dict__``."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in _NOT_STATE and name not in names:
                names.append(name)
    return tuple(names)


def node_state(node: Value) -> dict[str, Any]:
    """The picklable state of one node: every set slot except the scratch ones."""
    state: dict[str, Any] = {}
    cls: type = type(node)  # (annotated: mypy takes type(node) for unhashable, as @cache's argument)
    for name in slot_names(cls):
        if name in SCRATCH_DEFAULTS:
            continue
        try:
            state[_STATE_NAMES.get(name, name)] = getattr(node, name)
        except AttributeError:  # a slot some constructors leave unset
            pass
    return state


def set_node_state(node: Value, state: object) -> None:
    """Restore a node from :func:`node_state` (or from an entry's state, whose last part is it)."""
    if isinstance(state, tuple) and len(state) == 3:  # an entry: (ancestors, own state, release marker)
        state = state[1]
    if not isinstance(state, dict):
        raise TypeError(f"cannot restore a {type(node).__name__} from {type(state).__name__} state")
    cls: type = type(node)
    names = slot_names(cls)
    for name, default in SCRATCH_DEFAULTS.items():
        if name in names:
            setattr(node, name, default)
    fields: dict[str, Any] = state
    for name, value in fields.items():
        name = _SLOT_NAMES.get(name, name)
        if name not in names or name in SCRATCH_DEFAULTS:
            raise ValueError(f"cannot restore a {type(node).__name__}: unknown field {name!r} in the state")
        setattr(node, name, value)


def new_node(cls: type) -> Value:
    """An empty node of class ``cls``; its state is set right after (by ``__setstate__``)."""
    if not (isinstance(cls, type) and issubclass(cls, Value)):
        raise TypeError(f"cannot rebuild a node of class {cls!r}: not a Value class")
    return cls.__new__(cls)


def _nothing() -> None:
    return None


# The nodes an entry listed (by id) while the pickler writes that list, in this thread.
_local = threading.local()


def _claims() -> set[int]:
    claims = getattr(_local, "claims", None)
    if claims is None:
        claims = _local.claims = set()
    return claims


class _ReleaseClaims:
    """Pickled after an entry's list: clears the claims, and loads as None."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        _claims().clear()
        return (_nothing, ())


def ancestors(root: Value, stop: Callable[[Value], bool] | None = None) -> list[Value]:
    """Every node ``root`` depends on (not ``root``), parents before children, iteratively.

    Nodes for which ``stop(node)`` is true are neither listed nor walked through.
    """
    order: list[Value] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                if stop is not None and stop(p):
                    continue
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    order.pop()  # the root comes last in post-order
    return order


def reduce_node(node: Value) -> tuple[Any, ...]:
    """``Value.__reduce__``: a claimed node names its parents; an entry lists its ancestors first."""
    claims = _claims()
    cls = type(node)
    if id(node) in claims or not node.parents:
        return (new_node, (cls,), node_state(node))
    # An entry. Nothing else is pickled while an entry's list is written (its nodes' states
    # hold no unlisted node), so claims left here come from a pickling that failed: drop them.
    claims.clear()
    listed = ancestors(node)
    claims.update(map(id, listed))
    return (new_node, (cls,), (listed, node_state(node), _ReleaseClaims()))


def _copy_field(value: Any, memo: dict[int, Any]) -> Any:
    """Immutable atoms (numbers, strings and ``str`` subclasses such as op names, tuples of them) are
    shared, as ``copy.deepcopy`` does for built-in atoms; anything else is deep-copied."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if type(value) is tuple and all(x is None or isinstance(x, (str, int, float)) for x in value):
        return value
    return copy.deepcopy(value, memo)


def deepcopy_node(node: Value, memo: dict[int, Any]) -> Value:
    """``Value.__deepcopy__``: copy every node ``node`` depends on not copied yet, parents first."""
    done: Value | None = memo.get(id(node))
    if done is not None:
        return done
    for original in (*ancestors(node, stop=lambda n: id(n) in memo), node):
        cls: type = type(original)
        clone = new_node(cls)
        memo[id(original)] = clone
        for name in slot_names(cls):
            try:
                value = getattr(original, name)
            except AttributeError:
                continue
            if name == "parents":
                value = tuple(memo[id(p)] for p in value)
            elif name == "_hooks":
                value = list(value) if value else None
            elif name in SCRATCH_DEFAULTS and name != "_site":
                value = SCRATCH_DEFAULTS[name]
            else:
                value = _copy_field(value, memo)
            setattr(clone, name, value)
    memo.setdefault(id(memo), []).append(node)  # keep the original alive while the memo is in use, as copy does
    copied: Value = memo[id(node)]
    return copied


def copy_node(node: Value) -> Value:
    """``Value.__copy__``: a new node with the same fields; it shares the original's parents."""
    cls: type = type(node)
    clone = new_node(cls)
    for name in slot_names(cls):
        try:
            value = getattr(node, name)
        except AttributeError:
            continue
        if name == "_hooks":
            value = list(value) if value else None
        elif name == "_pending":
            value = 0
        setattr(clone, name, value)
    return clone


# Value's pickle and copy protocol is installed here rather than written in value.py, so that
# value.py, the engine's bottom layer, imports nothing above it. autograd/__init__ imports this module.
# (setattr: the class, as type checkers see it, declares none of these methods.)
for _name, _method in (("__reduce__", reduce_node), ("__getstate__", node_state), ("__setstate__", set_node_state),
                       ("__copy__", copy_node), ("__deepcopy__", deepcopy_node)):
    setattr(Value, _name, _method)
del _name, _method
