"""Where nodes are made: ``autograd.scope(name)`` blocks and the calls of ``nn`` modules (frames).

A graph has the structure its author thinks in: model > layer > neuron, or
example > layer. It is recorded as *frames*, per thread, while the graph is
built, and read back by :mod:`autograd.hierarchy`:

* ``with scope("attention"):`` pushes a :class:`ScopeFrame`; while a scope is
  active every node made in this thread is marked with the innermost frame (the
  per-node hook of :mod:`autograd.modes`, which costs nothing while no scope is
  active) and appended to the :class:`Scope`'s ``nodes`` (for
  ``draw(root, group_by=s)``).
* A call of an ``nn`` module (any subclass of ``nn.Module``: nn wraps each
  ``__call__`` with :func:`record_calls`) pushes a :class:`Call` and, when it
  returns, marks the op results it returns that carry no mark yet. That is all
  it does per call: a few operations and one small object, nothing per node.
  Which nodes a call made is worked out later, only when someone looks
  (:func:`autograd.hierarchy.hierarchy`): the nodes its outputs depend on,
  stopping at its arguments.

A node's mark is its ``_box`` slot (None on most nodes): a frame, or
``(call, position)`` for the outputs of a module with parts. A frame holds its
name, its parent frame (the frame that was innermost when it was entered) and,
for a call, the module and the arguments; never the nodes it made, so a mark
keeps alive only what the graph holds already (the arguments, which come
before it) plus the module, and no graph becomes a reference cycle. Frames are
per thread, like every mode: a scope records only the nodes its own thread
makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import modes
from autograd.value import Value

GroupPath = tuple[str, ...]

_thread = modes._local  # the per-thread modes; read directly on the hot path of a module call


class Frame:
    """A place where nodes are made: a scope block, a module call, or a named part of a call."""

    __slots__ = ("parent",)
    kind = "frame"

    def __init__(self, parent: Frame | None) -> None:
        self.parent = parent


class ScopeFrame(Frame):
    """The frame of a :class:`Scope`: its name and where it was first entered (no nodes: marks stay light)."""

    __slots__ = ("name", "entered")
    kind = "scope"

    def __init__(self, name: str) -> None:
        super().__init__(None)
        self.name = name
        self.entered = False

    def __repr__(self) -> str:
        return f"<scope frame {self.name!r}>"


class Call(Frame):
    """One call of a module: ``module(*args, **kwargs)``, which returned ``n_outputs`` Values.

    It holds no reference to what the call returned: the returned Values point
    to it (their mark), and a reference back would make every graph a
    reference cycle, freed only by the cyclic collector.
    """

    __slots__ = ("module", "args", "kwargs", "n_outputs", "positions")
    kind = "module"

    def __init__(self, module: Any, args: tuple, kwargs: dict | None, parent: Frame | None, positions: bool) -> None:
        self.parent = parent
        self.module = module
        self.args = args
        self.kwargs = kwargs or None  # (most calls have none: no empty dict kept per call)
        self.n_outputs = 0
        self.positions = positions  # outputs are marked (call, position), for the module's parts

    def __repr__(self) -> str:
        return f"<call of {type(self.module).__name__}>"


class Part(Frame):
    """A named piece of a call (a layer's neuron, an RNN's step): the call's outputs ``start`` to ``stop - 1``.

    Made only when a graph is looked at, from the module's ``recorded_parts``.
    """

    __slots__ = ("name", "module", "start", "stop")
    kind = "part"

    def __init__(self, name: str, module: Any, start: int, stop: int, parent: Call) -> None:
        super().__init__(parent)
        self.name = name
        self.module = module
        self.start = start
        self.stop = stop

    def __repr__(self) -> str:
        return f"<part {self.name!r} of {self.parent!r}>"


def values_in(obj: Any) -> list[Value]:
    """Every Value in ``obj`` (a Value, or nested lists, tuples and dict values holding them), in order."""
    out: list[Value] = []
    stack = [iter((obj,))]
    while stack:  # depth first, in order, without recursion
        for item in stack[-1]:
            if isinstance(item, Value):
                out.append(item)
            elif isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            elif isinstance(item, dict):
                stack.append(iter(list(item.values())))
                break
        else:
            stack.pop()
    return out


def mark_outputs(out: Any, frame: Call) -> None:
    """Mark the op results among the Values in ``out`` that carry no mark yet; count the Values.

    Inner calls return first, so a Value keeps the innermost call that returned
    it. A leaf is never marked (a leaf a call returns was made outside it, or is
    a constant, placed by its use). An op result passed through unchanged would
    be marked by the call it passed through; :mod:`autograd.hierarchy` knows it
    from the call's arguments. With ``frame.positions`` the mark is
    ``(frame, k)``, ``k`` counting the Values of ``out`` in order, so that the
    module can tell later which of its parts made each. (Inside a scope every
    node is marked with the innermost frame when made: a module with parts
    upgrades the marks of its own outputs to ``(frame, k)``.)
    """
    positions = frame.positions
    if type(out) is Value:
        if (out._box is None or out._box is frame) and out.parents:
            out._box = (frame, 0) if positions else frame
        frame.n_outputs = 1
        return
    if type(out) is list or type(out) is tuple:
        k = 0
        for item in out:  # the usual case, a flat list of Values (a layer's outputs)
            if type(item) is not Value:
                break
            if (item._box is None or item._box is frame) and item.parents:
                item._box = (frame, k) if positions else frame
            k += 1
        else:
            frame.n_outputs = k
            return
    k = 0
    for item in values_in(out):  # nested lists, tuples, dicts, Value subclasses
        mark = getattr(item, "_box", None)
        if (mark is None or mark is frame) and item.parents:
            item._box = (frame, k) if positions else frame
        k += 1
    frame.n_outputs = k


def record_calls(call: Callable[..., Any], positions: bool = False) -> Callable[..., Any]:
    """Wrap a module's ``__call__`` so each call is a frame (``nn.Module`` does this for every subclass).

    Per call: one :class:`Call` object pushed on the thread's frames and popped
    when the call ends (also on an exception), and the returned Values marked.
    ``positions``: mark each output with its position too (for a module with
    ``recorded_parts``).
    """

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        frames = _thread.modes.frames
        frame = Call(self, args, kwargs, frames[-1] if frames else None, positions)
        frames.append(frame)
        try:
            out = call(self, *args, **kwargs)
        finally:
            if frames and frames[-1] is frame:
                frames.pop()
            else:  # a scope entered inside the call and never left: drop this frame all the same
                for k in range(len(frames) - 1, -1, -1):
                    if frames[k] is frame:
                        del frames[k]
                        break
        mark_outputs(out, frame)
        return out

    __call__.__wrapped__ = call  # type: ignore[attr-defined]
    __call__.__name__ = getattr(call, "__name__", "__call__")
    __call__.__qualname__ = getattr(call, "__qualname__", "__call__")
    __call__.__doc__ = getattr(call, "__doc__", None)
    __call__._records_calls = True  # type: ignore[attr-defined]
    return __call__


class Scope:
    """The nodes made inside ``with scope(name):``, kept by the object the user holds.

    Nothing is stored globally, so a scope keeps its nodes alive only as long as
    the user keeps the scope (the nodes' marks point to its light
    :class:`ScopeFrame`, not to it). Scopes nest: an inner scope is a child of
    the outer one, and ``draw(root, group_by=outer)`` boxes the inner scopes
    inside it. Without ``group_by``, drawings and :func:`autograd.hierarchy.hierarchy`
    show every scope a graph was made in, with the ``nn`` module calls.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[Value] = []
        self.children: list[Scope] = []
        self.frame = ScopeFrame(name)

    def __enter__(self) -> Scope:
        parent = modes.current_scope()
        if isinstance(parent, Scope) and not any(c is self for c in parent.children):
            parent.children.append(self)
        if not self.frame.entered:  # where it was first entered: re-entering elsewhere keeps one box
            self.frame.entered = True
            self.frame.parent = modes.current_frame()
        modes.push_scope(self, self.frame)
        return self

    def __exit__(self, *exc: object) -> None:
        modes.pop_scope(self, self.frame)

    def groups(self) -> dict[Value, GroupPath]:
        """Every recorded node -> the names of the scopes it was made in, this one first."""
        out: dict[Value, GroupPath] = {}
        stack: list[tuple[Scope, GroupPath]] = [(self, (self.name,))]
        while stack:
            s, path = stack.pop()
            for node in s.nodes:
                out[node] = path
            stack.extend((c, (*path, c.name)) for c in s.children)
        return out

    def __repr__(self) -> str:
        return f"Scope({self.name!r}, {len(self.nodes)} nodes, {len(self.children)} inner scopes)"


def scope(name: str) -> Scope:
    """A context manager naming the part of a graph built inside it.

    Usage::

        with scope("neuron") as s:
            out = (x1 * w1 + x2 * w2 + b).tanh()
        draw(out)               # the neuron is a box among nn's module boxes
        draw(out, group_by=s)   # or only this scope's boxes

    Scopes nest, with each other and with ``nn`` module calls, and are per
    thread. Costs nothing while no scope is active: recording goes through the
    same per-node hook as ``no_grad``, which is only called while a mode is on.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope needs a non-empty string name, got {name!r}")
    return Scope(name)
