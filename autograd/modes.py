"""Global modes that change how nodes are made: ``no_grad()``, ``detect_anomaly()``, drawing scopes.

All nest. While none is active, making a node costs one flag test
(``value._MODES_ACTIVE``); while one is, every new node passes through
:func:`_on_create`, which drops its edges (no_grad), checks its value and
records where user code made it (anomaly mode), and adds it to the innermost
drawing scope (``autograd.drawing.scope``).

The modes are process-wide, not per thread.
"""

from __future__ import annotations

import linecache
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from autograd import value as _value
from autograd.value import Value

_no_grad_depth = 0
_anomaly_depth = 0
# Active drawing scopes, innermost last (see autograd.drawing.scope): each new
# node is appended to the innermost one's ``nodes`` list.
_scopes: list = []

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_NN_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "nn")


class AnomalyError(ArithmeticError):
    """A NaN or infinity appeared in a pass run inside :func:`detect_anomaly`."""


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``: new nodes record no parents."""
    return _no_grad_depth == 0


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _anomaly_depth > 0


def _refresh() -> None:
    _value._MODES_ACTIVE = _no_grad_depth > 0 or _anomaly_depth > 0 or bool(_scopes)


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, values made by ops record no parents (they are leaves).

    Use it for evaluation and for updates that must not grow the graph.
    """
    global _no_grad_depth
    _no_grad_depth += 1
    _refresh()
    try:
        yield
    finally:
        _no_grad_depth -= 1
        _refresh()


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record parents again inside an enclosing ``no_grad()`` block (for code that needs the graph)."""
    global _no_grad_depth
    saved, _no_grad_depth = _no_grad_depth, 0
    _refresh()
    try:
        yield
    finally:
        _no_grad_depth = saved
        _refresh()


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, a NaN or infinity raises :class:`AnomalyError`.

    Forward: an op whose result is not finite raises at once, naming the op,
    its inputs and the line of user code that called it. Backward (for a
    ``backward()`` called inside the block): a gradient contribution that is not
    finite raises, naming the op, the edge and the line that created the node,
    when that node was made inside the block too.
    """
    global _anomaly_depth
    _anomaly_depth += 1
    _refresh()
    try:
        yield
    finally:
        _anomaly_depth -= 1
        _refresh()


def creation_site() -> str:
    """``file:line in function: source`` of the innermost caller outside ``autograd``.

    When that caller is in the ``nn`` package, the first frame outside both is
    appended, so the user's own line is always named.
    """
    frame = sys._getframe(1)
    sites: list[str] = []
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIR + os.sep):
            in_nn = filename.startswith(_NN_DIR + os.sep)
            if not sites or not in_nn:
                source = linecache.getline(filename, frame.f_lineno).strip()
                text = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
                sites.append(f"{text}: {source}" if source else text)
                if not in_nn:
                    break
        frame = frame.f_back
    return " <- called from ".join(reversed(sites)) if sites else "<unknown>"


def describe_node(node: Value) -> str:
    """A node's op, inputs and creation site, for error messages."""
    inputs = ", ".join(repr(p) for p in node.parents) or "none recorded"
    site = node._site or "not recorded (make the graph inside detect_anomaly() to record it)"
    return f"op {node.op!r} with inputs ({inputs}), created at {site}"


def _on_create(node: Value) -> None:
    if _no_grad_depth:
        node.parents = ()
        node.local_grads = ()
    if _anomaly_depth and node.op:
        node._site = creation_site()
        if not math.isfinite(node.data):
            raise AnomalyError(f"forward pass produced {node.data!r}: {describe_node(node)}")
    if _scopes:
        _scopes[-1].nodes.append(node)


def push_scope(scope: object) -> None:
    """Make ``scope`` (anything with a ``nodes`` list) record the nodes made from now on."""
    _scopes.append(scope)
    _refresh()


def pop_scope(scope: object) -> None:
    """Stop recording into ``scope`` (the innermost active scope)."""
    if not _scopes or _scopes[-1] is not scope:
        raise RuntimeError(f"scope {scope!r} is not the innermost active scope; scopes must nest")
    _scopes.pop()
    _refresh()


def check_contribution(node: Value, index: int, contribution: float, upstream: float | None = None) -> None:
    """Raise AnomalyError if the gradient flowing on edge ``index`` of ``node`` is not finite.

    ``upstream`` is d root / d node in this pass (``grad()`` keeps it off ``node.grad``).
    """
    if not math.isfinite(contribution):
        parent = node.parents[index]
        up = node.grad if upstream is None else upstream
        raise AnomalyError(
            f"backward pass produced {contribution!r} on the edge to input {index} ({parent!r}) "
            f"with local derivative {node.local_grads[index]!r} and upstream gradient {up!r}: "
            f"{describe_node(node)}"
        )


_value._on_create = _on_create
