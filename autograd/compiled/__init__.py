"""Compiled replay: record a graph once, then replay its forward and backward passes on plain floats.

``autograd.compile(fn, inputs)`` calls ``fn(inputs)`` once with the given leaf
Values and records the graph it builds. The result is a callable taking one
number per input and returning ``(value, grads)``, the output and its gradient
with respect to every input, computed by a straight-line Python function
generated from the graph: one line per op, each op's value and local
derivatives from its formulas in :mod:`autograd.ops`, no Value objects built.
``compiled.source()`` shows that program.

What is recomputed, what is recorded:

- every op between the inputs and the output is recomputed from its formula,
  including derivatives that depend on the data (relu's step, abs's sign,
  max's arg max routing, logsumexp's softmax);
- nodes that depend on no input are constants: their recorded values (a leaf
  Value that is not an input, a number ``fn`` closes over);
- the *structure* is recorded: which ops, on which nodes. When ``fn`` asks a
  Value a question while recording (``x > 0``, ``bool(x)``, ``float(x)``,
  ``x.item()``, say in a Python ``if``), each answer becomes a guard checked on
  every replay; if one differs, the graph ``fn`` would build now is another
  one, and the callable records ``fn`` again with the new numbers (the default,
  ``on_change="record"``) or raises :class:`GraphChangedError`
  (``on_change="raise"``). Reading ``.data`` inside ``fn`` is invisible to the
  guards: its number is baked in as a constant.

Floating point follows the Value path: the same formulas, the same order of
additions in the n-ary ops and in the gradients (the order of ``backward()``),
so results match it to the last bit in the usual cases (the n-ary ops
``sum``/``dot`` add a constant term first where the engine added it in place).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd.compiled import codegen, program, watch
from autograd.compiled.names import comment_text
from autograd.compiled.program import CompileError
from autograd.modes import enable_grad
from autograd.value import Value, as_float

__all__ = ["Compiled", "CompileError", "GraphChangedError", "compile"]


class GraphChangedError(ValueError):
    """A compiled graph's structure depends on the data, and ``on_change="raise"`` was asked."""


def _check_inputs(inputs: object) -> list[Value]:
    if isinstance(inputs, Value) or not isinstance(inputs, Iterable):
        raise TypeError(f"compile needs a list of leaf Values as inputs, got {type(inputs).__name__}: {inputs!r}")
    xs = list(inputs)
    seen: dict[Value, int] = {}
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"compile's input {i} must be a Value, got {type(x).__name__}: {x!r}")
        if x.parents:
            raise ValueError(f"compile's input {i} ({x!r}) is not a leaf: it was made by op {str(x.op)!r}")
        if x in seen:
            raise ValueError(f"compile's inputs {seen[x]} and {i} are the same Value {x!r}")
        seen[x] = i
    return xs


class Compiled:
    """The callable :func:`compile` returns; see there. ``c(numbers) -> (value, grads)``."""

    def __init__(self, fn: Callable[[list[Value]], Value], inputs: list[Value], wrt: list[int],
                 on_change: str, write_back: bool) -> None:
        self._fn = fn
        self.inputs = inputs
        self._wrt = wrt
        self.on_change = on_change
        self.write_back = write_back
        self.recordings = 0
        self._title = comment_text(getattr(fn, "__qualname__", type(fn).__name__), 40)
        self._record(None)

    # -- recording -----------------------------------------------------------------------------

    def _record(self, numbers: Sequence[float] | None) -> None:
        """Call ``fn`` on the inputs (holding ``numbers`` for the time of the call) and generate the code."""
        saved = [v.data for v in self.inputs]
        if numbers is not None:
            for v, x in zip(self.inputs, numbers):
                v.data = x
        was_enabled = gc.isenabled()
        gc.disable()  # the graph is garbage as soon as the code exists: no full collections while it grows
        try:
            with watch.watching() as answers, enable_grad():
                out = self._fn(list(self.inputs))
            if not isinstance(out, Value):
                raise TypeError(f"compile's fn must return a Value, got {type(out).__name__}: {out!r}")
            prog = program.build(out, self.inputs, self._wrt, answers)
            del out, answers
        finally:
            for v, x in zip(self.inputs, saved):
                v.data = x
            if was_enabled:
                gc.enable()
        self._program = prog
        self._forward_only: Callable[..., Any] | None = None
        self._replay = codegen.build_function(codegen.fused(prog), "replay", self._title)
        self.recordings += 1

    def _changed(self, changed: codegen.Changed, numbers: list[float]) -> None:
        guard = self._program.guards[changed.index]
        if self.on_change == "raise":
            raise GraphChangedError(
                f"the graph compiled from {self._title} depends on the data: when it was recorded, "
                f"{guard.description}; with the new numbers the answer differs (on_change='record' records again)"
            )
        self._record(numbers)

    # -- replay ----------------------------------------------------------------------------------

    def _numbers(self, numbers: Iterable[float]) -> list[float]:
        xs = numbers if type(numbers) is list else list(numbers)
        if len(xs) != len(self.inputs):
            raise ValueError(f"this compiled function takes {len(self.inputs)} numbers (one per input), got {len(xs)}")
        for i, x in enumerate(xs):
            if type(x) is not float:
                xs = [as_float(x, what=f"number {i}") for i, x in enumerate(xs)]
                break
        return xs

    def __call__(self, numbers: Iterable[float]) -> tuple[float, list[float]]:
        """``(value, grads)`` at ``numbers`` (one per input); grads follow ``wrt`` (all inputs by default)."""
        xs = self._numbers(numbers)
        result = self._replay(xs)
        while type(result) is codegen.Changed:
            self._changed(result, xs)
            result = self._replay(xs)
        if self.write_back:
            for v, x in zip(self.inputs, xs):
                v.data = x
            for i, g in zip(self._wrt, result[1]):
                self.inputs[i].grad += g  # leaves accumulate, as in backward()
        return result

    def value(self, numbers: Iterable[float]) -> float:
        """The output alone at ``numbers`` (the forward lines only: for evaluation)."""
        xs = self._numbers(numbers)
        while True:
            if self._forward_only is None:
                self._forward_only = codegen.build_function(
                    codegen.fused(self._program, "forward", backward=False), "forward", self._title)
            result = self._forward_only(xs)
            if type(result) is not codegen.Changed:
                return result
            self._changed(result, xs)

    # -- reading ---------------------------------------------------------------------------------

    def source(self, fused: bool = False) -> str:
        """The program as Python: one line per op, one per chain-rule application (``fused``: the code that runs)."""
        if fused:
            return codegen.fused(self._program)
        return codegen.readable(self._program)

    @property
    def nodes(self) -> int:
        """How many ops a replay computes."""
        return self._program.nodes

    @property
    def edges(self) -> int:
        """How many op inputs (graph edges) a replay reads, each one chain-rule application backward at most."""
        return self._program.edges

    def __repr__(self) -> str:
        return (f"<compiled {self._title}: {len(self.inputs)} inputs, {self.nodes} ops, {self.edges} edges, "
                f"{len(self._program.guards)} guards, recorded {self.recordings}x>")


def compile(  # noqa: A001 - autograd.compile, by analogy with torch.compile
    fn: Callable[[list[Value]], Value],
    inputs: Iterable[Value],
    *,
    wrt: Iterable[Value] | None = None,
    on_change: str = "record",
    write_back: bool = False,
) -> Compiled:
    """Record ``fn(inputs)`` once; return ``c`` with ``c(numbers) -> (value, grads)`` replaying it on floats.

    ``inputs``: leaf Values (parameters, data points, both). ``fn`` is called
    once with the list of those Values and must return one Value; numbers it
    closes over, and nodes that depend on no input, are constants.
    ``wrt``: the inputs to differentiate with respect to (default: all), in the
    order ``grads`` lists them; the others are data (no gradient computed).
    ``on_change``: ``"record"`` (record ``fn`` again when a guard sees that the
    graph would be built differently) or ``"raise"`` (:class:`GraphChangedError`).
    ``write_back``: after each call, set the inputs' ``.data`` to the numbers
    and add the gradients to their ``.grad`` (as ``backward()`` does for leaves).

    Raises :class:`CompileError` (a TypeError) for a node made by hand with a
    plain-string op, or with hooks, that depends on an input.

    Examples:
        >>> from autograd import Value
        >>> x, y = Value(2.0, label="x"), Value(-3.0, label="y")
        >>> c = compile(lambda v: v[0] * v[1] + v[0], [x, y])
        >>> c([2.0, -3.0])                 # (x*y + x, [y + 1, x])
        (-4.0, [-2.0, 2.0])
        >>> c([1.0, 5.0])                  # replayed on floats, no Values built
        (6.0, [6.0, 1.0])
    """
    xs = _check_inputs(inputs)
    if not xs:
        raise ValueError("compile needs at least one input Value")
    if not callable(fn):
        raise TypeError(f"compile needs a callable fn, got {type(fn).__name__}: {fn!r}")
    if on_change not in ("record", "raise"):
        raise ValueError(f"compile's on_change must be 'record' or 'raise', got {on_change!r}")
    if wrt is None:
        positions = list(range(len(xs)))
    else:
        index = {v: i for i, v in enumerate(xs)}
        positions = []
        for k, v in enumerate(wrt if not isinstance(wrt, Value) else [wrt]):
            if not isinstance(v, Value) or v not in index:
                raise ValueError(f"compile's wrt[{k}] ({v!r}) is not one of the inputs")
            positions.append(index[v])
    return Compiled(fn, xs, positions, on_change, bool(write_back))

