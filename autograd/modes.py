"""Modes that change how nodes are made: ``no_grad()``, ``enable_grad()``, ``detect_anomaly()``, scopes.

All nest. While none is active, making a node costs one flag test
(``value._MODES_ACTIVE``); while one is, every new node passes through
:func:`_on_create`, which drops its edges (no_grad), checks its value and
records where user code made it (anomaly mode), and adds it to the innermost
scope (``autograd.scope``), marking it with the innermost frame.

Frames: each thread keeps a stack of the frames it is inside, innermost last:
the ``autograd.scope(...)`` blocks and the ``nn`` module calls
(:mod:`autograd.scopes`). A module call is pushed and popped without turning
the per-node hook on: it marks only its outputs when it returns, so recording
the model's structure costs a few operations per call, not per node.

Thread policy: modes are per thread, as PyTorch's grad mode is. A thread
starts with none on; ``no_grad()`` or ``detect_anomaly()`` in one thread never
changes the graphs another thread builds or the passes it runs, and a drawing
scope records only nodes made by the thread that entered it. A ``no_grad()``,
``enable_grad()`` or ``detect_anomaly()`` block entered in one thread and left
in another (a generator resumed elsewhere) restores the state of the thread
that entered it; a drawing scope must be left by the thread that entered it.
``value._MODES_ACTIVE`` is process-wide: it is on while *some* thread has a
mode on, so a process with no mode on anywhere pays one flag test per node;
while it is on, a node made by a thread with no mode on costs one call and one
thread-local lookup more (about 0.3 us a node, measured).

Backward passes through shared nodes from several threads are serialized by
one engine lock (see :mod:`autograd.graph`).
"""

from __future__ import annotations

import linecache
import math
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Protocol

from autograd import value as _value
from autograd.value import Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_NN_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "nn")

# Threads whose state has some mode on; _MODES_ACTIVE mirrors ``_active_threads > 0``.
# Re-entrant because _ThreadModes.__del__ may run from the garbage collector at any point.
_count_lock = threading.RLock()
_active_threads = 0


class Recorder(Protocol):
    """What :func:`push_scope` needs of a scope (an :class:`autograd.scopes.Scope`): a list for the nodes made."""

    @property
    def nodes(self) -> list[Value]: ...


class _ThreadModes:
    """One thread's modes: nesting depths, the scopes and the frames it is inside (innermost last)."""

    __slots__ = ("no_grad_depth", "anomaly_depth", "scopes", "frames", "active")

    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.anomaly_depth = 0
        self.scopes: list[Recorder] = []  # the active autograd.scope objects: they record every node made
        # scopes' frames and module calls, for the hierarchy: autograd.scopes' Frame objects, typed Any
        # here because that module sits above this one
        self.frames: list[Any] = []
        self.active = False  # counted in _active_threads

    def refresh(self) -> None:
        """Recount this state in ``_active_threads`` after a change, and update the process-wide flag."""
        global _active_threads
        with _count_lock:
            active = self.no_grad_depth > 0 or self.anomaly_depth > 0 or bool(self.scopes)
            if active != self.active:
                self.active = active
                _active_threads += 1 if active else -1
                _value._MODES_ACTIVE = _active_threads > 0

    def __del__(self) -> None:
        # A thread that ended inside a block it never left (a manual __enter__ without
        # __exit__) must not keep the process-wide flag on for ever.
        global _active_threads
        if not self.active or _count_lock is None:  # nothing counted, or the interpreter is shutting down
            return
        with _count_lock:
            if self.active:
                self.active = False
                _active_threads -= 1
                _value._MODES_ACTIVE = _active_threads > 0


class _Local(threading.local):
    def __init__(self) -> None:  # runs once in each thread, on its first access
        self.modes = _ThreadModes()


_local = _Local()


def _recount_after_fork() -> None:
    # Only the forking thread lives on in a child process: the others' modes no longer count.
    global _active_threads, _count_lock
    _count_lock = threading.RLock()
    _active_threads = 1 if _local.modes.active else 0
    _value._MODES_ACTIVE = _active_threads > 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_recount_after_fork)


def _state() -> _ThreadModes:
    """The calling thread's modes."""
    return _local.modes


class AnomalyError(ArithmeticError):
    """A NaN or infinity appeared in a pass run inside :func:`detect_anomaly`."""


def is_grad_enabled() -> bool:
    """False inside ``no_grad()`` (in the calling thread): new nodes record no parents."""
    return _local.modes.no_grad_depth == 0


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (in the calling thread)."""
    return _local.modes.anomaly_depth > 0


def any_mode_active() -> bool:
    """True while some thread has a mode or a drawing scope on (the process-wide flag)."""
    return _value._MODES_ACTIVE


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, values this thread makes by ops record no parents (they are leaves).

    Use it for evaluation and for updates that must not grow the graph. Other
    threads are not affected.
    """
    st = _local.modes  # the entering thread's state, even if the block is left from another thread
    st.no_grad_depth += 1
    st.refresh()
    try:
        yield
    finally:
        st.no_grad_depth -= 1
        st.refresh()


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record parents again inside an enclosing ``no_grad()`` block (for code that needs the graph)."""
    st = _local.modes
    saved, st.no_grad_depth = st.no_grad_depth, 0
    st.refresh()
    try:
        yield
    finally:
        st.no_grad_depth = saved
        st.refresh()


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, a NaN or infinity raises :class:`AnomalyError` (in this thread only).

    Forward: an op whose result is not finite raises at once, naming the op,
    its inputs and the line of user code that called it. Backward (for a
    ``backward()`` called inside the block): a gradient contribution that is not
    finite raises, naming the op, the edge and the line that created the node,
    when that node was made inside the block too.
    """
    st = _local.modes
    st.anomaly_depth += 1
    st.refresh()
    try:
        yield
    finally:
        st.anomaly_depth -= 1
        st.refresh()


def creation_site() -> str:
    """``file:line in function: source`` of the innermost caller outside ``autograd``.

    When that caller is in the ``nn`` package, the first frame outside both is
    appended, so the user's own line is always named.
    """
    frame: FrameType | None = sys._getframe(1)
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
    """Apply the calling thread's modes to a node just made (called only while ``_MODES_ACTIVE``)."""
    st = _local.modes
    if not st.active:  # another thread has a mode on, this one has none
        return
    if st.no_grad_depth:
        node.parents = ()
        node.local_grads = ()
    if st.anomaly_depth and node.op:
        node._site = creation_site()
        if not math.isfinite(node.data):
            raise AnomalyError(f"forward pass produced {node.data!r}: {describe_node(node)}")
    scopes = st.scopes
    if scopes:
        scopes[-1].nodes.append(node)
        node._box = st.frames[-1]  # the innermost frame: a scope, or a module call inside one


def current_scope() -> Recorder | None:
    """The calling thread's innermost active scope, or None."""
    scopes = _local.modes.scopes
    return scopes[-1] if scopes else None


def current_frame() -> Any:
    """The calling thread's innermost frame (a scope's frame or a module call: an autograd.scopes.Frame), or None."""
    frames = _local.modes.frames
    return frames[-1] if frames else None


def thread_frames() -> list[Any]:
    """The calling thread's stack of frames itself (innermost last), for :mod:`autograd.scopes`."""
    return _local.modes.frames


def push_scope(scope: Recorder, frame: object) -> None:
    """Make ``scope`` (anything with a ``nodes`` list) record the nodes this thread makes from now on.

    Every node made from now on is also marked with the innermost frame (``frame``, or a module call
    entered later inside the scope).
    """
    st = _local.modes
    st.scopes.append(scope)
    st.frames.append(frame)
    st.refresh()


def pop_scope(scope: Recorder, frame: object) -> None:
    """Stop recording into ``scope`` (the calling thread's innermost active scope and frame)."""
    st = _local.modes
    if not st.scopes or st.scopes[-1] is not scope or not st.frames or st.frames[-1] is not frame:
        raise RuntimeError(
            f"scope {scope!r} is not the innermost active scope of this thread; "
            "scopes must nest, and be left by the thread that entered them"
        )
    st.scopes.pop()
    st.frames.pop()
    st.refresh()


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
