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
  it does per call: a few operations and one small object, nothing per node
  (and, for a call not made inside another, a pause of the cyclic collector).
  Which nodes a call made is worked out later, only when someone looks
  (:func:`autograd.hierarchy.hierarchy`): the nodes its outputs depend on,
  stopping at its arguments.

A node's mark is its ``_box`` slot (None on most nodes): a frame (a scope, a
call, or a part of a call). A frame holds its
name, its parent frame (the frame that was innermost when it was entered) and,
for a call, the module and the arguments; never the nodes it made, so a mark
keeps alive only what the graph holds already (the arguments, which come
before it) plus the module, and no graph becomes a reference cycle. Frames are
per thread, like every mode: a scope records only the nodes its own thread
makes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from autograd import collector, modes
from autograd.value import Value

GroupPath = tuple[str, ...]

_thread = modes._local  # the per-thread modes; read directly on the hot path of a module call
_new = object.__new__


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

    __slots__ = ("module", "args", "kwargs", "n_outputs")
    kind = "module"

    def __init__(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None, parent: Frame | None) -> None:
        self.parent = parent
        self.module = module
        self.args = args
        self.kwargs = kwargs or None  # (most calls have none: no empty dict kept per call)
        self.n_outputs = 0

    def __repr__(self) -> str:
        return f"<call of {type(self.module).__name__}>"


class Part(Frame):
    """A named piece of a call (a layer's neuron, an RNN's step): the call's outputs ``start`` to ``stop - 1``.

    From the module's ``recorded_parts``: made when the call returns for a
    module whose parts are told by position (its outputs are marked with their
    part), else when the graph is looked at.
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


def parts_of(call: Call, named: Any) -> list[Part]:
    """Parts from ``recorded_parts``' answer: ``(name, module or None, count)`` for consecutive outputs."""
    parts = []
    start = 0
    for name, module, count in named:
        part = Part(str(name), module, start, start + int(count), call)
        start = part.stop
        parts.append(part)
    return parts


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


def _flat(out: Any) -> list[Value]:
    """``values_in`` for what modules return, fast: a flat list, or lists of lists ([C][H][W], [T][H])."""
    if type(out) is not list and type(out) is not tuple:
        return values_in(out)
    flat: list[Value] = []
    append = flat.append
    for item in out:
        t = type(item)
        if t is Value:
            append(item)
        elif t is list or t is tuple:
            for inner in item:
                t = type(inner)
                if t is Value:
                    append(inner)
                elif t is list:
                    for v in inner:
                        if type(v) is Value:
                            append(v)
                        elif not isinstance(v, (int, float)):
                            return values_in(out)
                elif not isinstance(inner, (int, float)):
                    return values_in(out)
        elif not isinstance(item, (int, float)):
            return values_in(out)
    return flat


def mark_outputs(out: Any, frame: Call, parts: Callable[[int], Any] | None = None) -> None:
    """Mark the op results among the Values in ``out`` that carry no mark yet; count the Values.

    Inner calls return first, so a Value keeps the innermost call that returned
    it. A leaf is never marked (a leaf a call returns was made outside it, or is
    a constant, placed by its use). An op result passed through unchanged would
    be marked by the call it passed through; :mod:`autograd.hierarchy` knows it
    from the call's arguments. ``parts(n)``, for a module whose parts are told
    by position, gives ``recorded_parts``' answer for ``n`` outputs: each output
    is then marked with its :class:`Part` (a few objects per call, none per
    output). Inside a scope every node is marked with the innermost frame when
    made; the call's own outputs are marked again here.
    """
    if parts is None:
        if type(out) is Value:
            if (out._box is None or out._box is frame) and out.parents:
                out._box = frame
            frame.n_outputs = 1
            return
        if type(out) is list:  # the usual case, a layer's flat list of fresh outputs: one pass
            k = 0
            for item in out:
                if type(item) is not Value:
                    break
                mark = item._box
                if (mark is None or mark is frame) and item.parents:
                    item._box = frame
                k += 1
            else:
                frame.n_outputs = k
                return
    values = [out] if type(out) is Value else _flat(out)
    frame.n_outputs = len(values)
    try:
        if parts is None:
            for item in values:
                mark = item._box
                if (mark is None or mark is frame) and item.parents:
                    item._box = frame
            return
        marks: list[Frame] = []
        for part in parts_of(frame, parts(len(values))):
            marks.extend([part] * (part.stop - part.start))
        marks.extend([frame] * (len(values) - len(marks)))
        for item, new in zip(values, marks):
            mark = item._box
            if (mark is None or mark is frame) and item.parents:
                item._box = new
    except AttributeError:  # a Value subclass whose __init__ skipped Value's has no mark yet
        for item in values:
            if getattr(item, "_box", None) is None and item.parents:
                item._box = frame


def _drop(frames: list[Frame], frame: Frame) -> None:
    """Remove ``frame`` from the thread's frames: a scope entered inside the call was never left."""
    for k in range(len(frames) - 1, -1, -1):
        if frames[k] is frame:
            del frames[k]
            break


def _one_argument(fn: Callable[..., Any]) -> bool:
    """True for ``def __call__(self, x)``: one positional parameter besides ``self``, no defaults, no more."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return len(params) == 2 and all(p.kind in plain and p.default is p.empty for p in params)


def record_calls(call: Callable[..., Any], positions: bool = False) -> Callable[..., Any]:
    """Wrap a module's ``__call__`` so each call is a frame (``nn.Module`` does this for every subclass).

    Per call: one :class:`Call` object pushed on the thread's frames and popped
    when the call ends (also on an exception), and the returned Values marked.
    A call made directly inside another module call is covered by that one;
    any other (the model called by user code, or inside a ``scope``) pauses
    the cyclic collector while it runs (:mod:`autograd.collector`): the graph
    it builds outlives it, and young collections during the build would look
    at each of its nodes again and again, and full ones at everything alive,
    once the graph is large (measured: a user's loop calling the demo MLP per
    example on 1,000 points ran 271 young, 25 middle and 2.1 full collections
    a step without the pauses, 37, 3.25 and 0.25 with them, and took 1.18x the
    time with the collector off instead of 1.37x).
    ``positions``: the module's parts are told by position (``recorded_parts``
    is asked when the call returns, and each output is marked with its part).
    """

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        frames = _thread.modes.frames
        parent = frames[-1] if frames else None
        # A call not made directly inside another defers collection while it runs, from before its
        # first object to after its last (see above); an inner call is covered by the outer one.
        paused = None if type(parent) is Call else collector.pause()
        try:
            frame = _new(Call)  # Call's fields set here: no __init__ frame, the cost of a call is in this one
            frame.parent = parent
            frame.module = self
            frame.args = args
            frame.kwargs = kwargs or None
            frame.n_outputs = 0
            frames.append(frame)
            try:
                out = call(self, *args, **kwargs)
            finally:
                if frames and frames[-1] is frame:
                    frames.pop()
                else:
                    _drop(frames, frame)
            if positions:
                mark_outputs(out, frame, lambda n: self.recorded_parts(n, args, kwargs))
            else:
                mark_outputs(out, frame)
            return out
        finally:
            if paused is not None:
                collector.resume(paused)

    def __call__one(self: Any, x: Any) -> Any:  # the same for a call of one argument, without packing it
        frames = _thread.modes.frames
        parent = frames[-1] if frames else None
        paused = None if type(parent) is Call else collector.pause()
        try:
            frame = _new(Call)
            frame.parent = parent
            frame.module = self
            frame.args = (x,)
            frame.kwargs = None
            frame.n_outputs = 0
            frames.append(frame)
            try:
                out = call(self, x)
            finally:
                if frames and frames[-1] is frame:
                    frames.pop()
                else:
                    _drop(frames, frame)
            mark_outputs(out, frame)
            return out
        finally:
            if paused is not None:
                collector.resume(paused)

    if not positions and _one_argument(call):
        __call__ = __call__one  # noqa: F811
    __call__.__wrapped__ = call  # type: ignore[attr-defined]  # function attributes, unknown to type checkers
    __call__.__name__ = getattr(call, "__name__", "__call__")
    __call__.__qualname__ = getattr(call, "__qualname__", "__call__")
    __call__.__doc__ = getattr(call, "__doc__", None)
    __call__._records_calls = True  # type: ignore[attr-defined]  # (as __wrapped__ above)
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
