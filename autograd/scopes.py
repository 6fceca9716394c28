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
  returns, marks the Values it returns that carry no mark yet. That is all it
  does per call: a few operations and one small object, nothing per node.
  Which nodes a call made is worked out later, only when someone looks
  (:func:`autograd.hierarchy.hierarchy`): the nodes its outputs depend on,
  stopping at its arguments.

A node's mark is its ``_box`` slot (unset on most nodes). A frame holds its
name, its parent frame (the frame that was innermost when it was entered) and,
for a call, the module, the arguments and the result; never a list of nodes, so
a mark keeps nothing alive that the graph does not hold already (the module
and its arguments). Frames are per thread, like every mode: a scope records
only the nodes its own thread makes.
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

    __slots__ = ("parent", "__weakref__")
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
    """One call of a module: ``module(*args, **kwargs)`` returned ``outputs``."""

    __slots__ = ("module", "args", "kwargs", "outputs")
    kind = "module"

    def __init__(self, module: Any, args: tuple, kwargs: dict, parent: Frame | None) -> None:
        self.parent = parent
        self.module = module
        self.args = args
        self.kwargs = kwargs
        self.outputs: Any = None

    def __repr__(self) -> str:
        return f"<call of {type(self.module).__name__}>"


class Part(Frame):
    """A named piece of a call, told by its module after the fact (a layer's neuron, an RNN's step)."""

    __slots__ = ("name", "module", "outputs")
    kind = "part"

    def __init__(self, name: str, module: Any, outputs: Any, parent: Call) -> None:
        super().__init__(parent)
        self.name = name
        self.module = module
        self.outputs = outputs

    def __repr__(self) -> str:
        return f"<part {self.name!r} of {self.parent!r}>"


def values_in(obj: Any) -> list[Value]:
    """Every Value in ``obj``: a Value, or nested lists, tuples and dict values holding them (iteratively)."""
    out: list[Value] = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            out.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return out


def mark_outputs(out: Any, frame: Frame) -> None:
    """Mark every Value in ``out`` (a Value, or nested lists/tuples of them) that has no mark yet with ``frame``.

    Inner calls return first, so a Value keeps the innermost call that returned
    it; a Value the call did not make (an argument passed through) may be marked
    too, and :mod:`autograd.hierarchy` knows it from the call's arguments.
    """
    if type(out) is Value:
        try:
            out._box  # noqa: B018 (a read: an unset slot raises)
        except AttributeError:
            out._box = frame
        return
    if type(out) is not list and type(out) is not tuple:
        if isinstance(out, (Value, list, tuple, dict)):
            for v in values_in(out):
                mark_outputs(v, frame)
        return
    stack = [out]
    while stack:
        for item in stack.pop():
            t = type(item)
            if t is Value:
                try:
                    item._box  # noqa: B018
                except AttributeError:
                    item._box = frame
            elif t is list or t is tuple:
                stack.append(item)
            elif isinstance(item, (Value, list, tuple, dict)):
                mark_outputs(item, frame)


def record_calls(call: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a module's ``__call__`` so each call is a frame (``nn.Module`` does this for every subclass).

    Per call: one :class:`Call` object pushed on the thread's frames and popped
    when the call ends (also on an exception), and the returned Values marked.
    """

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        frames = _thread.modes.frames
        frame = Call(self, args, kwargs, frames[-1] if frames else None)
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
        frame.outputs = out
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
