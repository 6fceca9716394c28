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

Batches: any number of a call may be a 1-D NumPy array of shape (B,), one
number per example; the call then replays the recording over the whole batch
with arrays (:mod:`autograd.compiled.groups` puts the ops of one kind at one
depth together, :mod:`autograd.compiled.batch` writes the array program,
:mod:`autograd.compiled.arrays` runs it) and returns arrays of shape (B,).
Data-dependent derivatives are chosen per example; a guard that fails for some
examples sends those through a second recording, one example at a time. Sums
over a group and over the batch are NumPy's, so batched results equal the
scalar replay's to about 1e-15 of the terms summed rather than bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import Any, overload

from autograd import collector
from autograd.compiled import arrays, codegen, program, watch
from autograd.compiled.arrays import BatchGuardWarning
from autograd.compiled.names import comment_text
from autograd.compiled.program import CompileError
from autograd.modes import enable_grad
from autograd.value import Value, as_float

__all__ = ["BatchGuardWarning", "Compiled", "CompileError", "GraphChangedError", "compile"]


class GraphChangedError(ValueError):
    """A compiled graph's structure depends on the data, and ``on_change="raise"`` was asked."""


def _check_inputs(inputs: object) -> tuple[list[Value], bool]:
    """Leaf Values from ``inputs`` by the rule of the whole API: a Value, a number, or a sequence of either;
    and whether the one input was given bare (not in a sequence).

    A number becomes a fresh leaf labelled ``x<i>``; a 1-D NumPy array inside the sequence (a batch
    column) a leaf holding its first example, the example the recording is made at.
    """
    from autograd.compiled.arrays import is_array

    single = isinstance(inputs, Value) or _is_number(inputs)
    if single:
        items: list[object] = [inputs]
    elif isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable) or isinstance(inputs, dict):
        raise TypeError(f"compile's inputs must be a Value, a number or a sequence of them, "
                        f"got {type(inputs).__name__}: {_short(inputs)}")
    else:
        items = list(inputs)
    xs: list[Value] = []
    seen: dict[Value, int] = {}
    for i, x in enumerate(items):
        if _is_number(x):
            x = Value(as_float(x, what=f"compile's input {i}"), label=f"x{i}")
        elif is_array(x) and getattr(x, "ndim", 0) == 1 and len(x):
            x = Value(as_float(float(x[0]), what=f"compile's input {i} (its first example)"), label=f"x{i}")
        elif not isinstance(x, Value):
            raise TypeError(f"compile's input {i} must be a Value, a number or a 1-D array of numbers (a batch), "
                            f"got {type(x).__name__}: {_short(x)}")
        if x.parents:
            raise ValueError(f"compile's input {i} ({x!r}) is not a leaf: it was made by op {str(x.op)!r}")
        if x in seen:
            raise ValueError(f"compile's inputs {seen[x]} and {i} are the same Value {x!r}")
        seen[x] = i
        xs.append(x)
    return xs, single


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


class Compiled:
    """The callable :func:`compile` returns; see there. ``c(numbers) -> (value, grads)``."""

    def __init__(self, fn: Callable[[Any], Value], inputs: list[Value], wrt: list[int],
                 on_change: str, write_back: bool, single: bool = False) -> None:
        self._fn = fn
        self.inputs = inputs
        # one input given bare (a Value or a number, not a list): fn receives that Value, and a call may give its
        # number bare and gets its gradient bare, the rule of hessian, gradcheck and jvp (autograd.inputs)
        self.single = single
        self._wrt = wrt
        self.on_change = on_change
        self.write_back = write_back
        self.recordings = 0
        self._title = comment_text(getattr(fn, "__qualname__", type(fn).__name__), 40)
        self._side: Compiled | None = None  # replays, one at a time, the examples of a batch the guards turn away
        self._record(None)

    # -- recording -----------------------------------------------------------------------------

    def _record(self, numbers: Sequence[float] | None) -> None:
        """Call ``fn`` on the inputs (holding ``numbers`` for the time of the call) and generate the code."""
        saved = [v.data for v in self.inputs]
        if numbers is not None:
            for v, x in zip(self.inputs, numbers):
                v.data = x
        paused = collector.pause()  # the graph is garbage as soon as the code exists: no collections while it grows
        try:
            with watch.watching() as answers, enable_grad():
                out = self._fn(self.inputs[0] if self.single else list(self.inputs))
            if not isinstance(out, Value):
                raise TypeError(f"compile's fn must return a Value, got {type(out).__name__}: {out!r}")
            prog = program.build(out, self.inputs, self._wrt, answers)
            del out, answers
        finally:
            for v, x in zip(self.inputs, saved):
                v.data = x
            collector.resume(paused)
        self._program = prog
        self._forward_only: Callable[..., Any] | None = None
        self._batch = arrays.BatchRunner(prog, self._wrt, self._title)
        self._scalar: Callable[..., Any] | None = None  # generated on the first call with numbers
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

    def _listed(self, numbers: object) -> list[Any]:
        """The numbers of a call as a list; one clear TypeError for a string, a bare number or a non-sequence."""
        if isinstance(numbers, (str, bytes, dict)) or not isinstance(numbers, Iterable):
            wanted = ("one number (or a list of one)" if self.single
                      else f"a sequence of {len(self.inputs)} numbers (one per input)")
            raise TypeError(f"this compiled function takes {wanted}, got {type(numbers).__name__}: {_short(numbers)}")
        return list(numbers)

    def _bare(self, numbers: object) -> bool:
        """Whether a call gives the one input of a bare-input recording bare (a number or a 1-D array)."""
        return self.single and (_is_number(numbers) or (arrays.is_array(numbers) and getattr(numbers, "ndim", 0) == 1))

    # Numbers give a float and a list of floats; a batch (arrays among the numbers) gives NumPy arrays.
    @overload
    def __call__(self, numbers: float, *, sum_grads: bool = False) -> tuple[float, float]: ...
    @overload
    def __call__(self, numbers: Iterable[float], *, sum_grads: bool = False) -> tuple[float, list[float]]: ...
    @overload
    def __call__(self, numbers: Iterable[Any], *, sum_grads: bool = False) -> tuple[Any, list[Any]]: ...
    @overload
    def __call__(self, numbers: Any, *, sum_grads: bool = False) -> tuple[Any, Any]: ...
    def __call__(self, numbers: Any, *, sum_grads: bool = False) -> tuple[Any, Any]:
        """``(value, grads)`` at ``numbers`` (one per input); grads follow ``wrt`` (all inputs by default).

        Any number may be a 1-D NumPy array of shape (B,): the call then replays the
        recording over the batch of B examples (the other numbers the same for every
        example) and returns the values as an array of shape (B,) and each gradient as an
        array of shape (B,), one per example. With ``sum_grads=True`` the gradient of an
        input given as a number is summed over the batch (a float: what a parameter needs).

        Compiled from one bare input, a call may give its number (or array) bare too: the
        gradient then comes back bare, ``(value, grad)``.
        """
        if self._bare(numbers):
            value, grads = self([numbers], sum_grads=sum_grads)
            return value, grads[0]
        xs = numbers if type(numbers) is list else self._listed(numbers)
        for x in xs:
            if type(x) is not float and arrays.is_array(x):
                batched: tuple[Any, list[Any]] = self._batched(xs, sum_grads, backward=True)
                return batched
        xs = self._numbers(xs)
        result: tuple[float, list[float]] | codegen.Changed = self._replay(xs)
        while type(result) is codegen.Changed:
            self._changed(result, xs)
            result = self._replay(xs)
        if self.write_back:
            for v, x in zip(self.inputs, xs):
                v.data = x
            for i, g in zip(self._wrt, result[1]):
                self.inputs[i].grad += g  # leaves accumulate, as in backward()
        return result

    def _replay(self, xs: list[float]) -> Any:
        """The scalar replay, generated on first use (a batched-only user never pays for compiling it)."""
        replay = self._scalar
        if replay is None:
            replay = self._scalar = codegen.build_function(codegen.fused(self._program), "replay", self._title)
        return replay(xs)

    @overload
    def value(self, numbers: float) -> float: ...
    @overload
    def value(self, numbers: Iterable[float]) -> float: ...
    @overload
    def value(self, numbers: Any) -> Any: ...
    def value(self, numbers: Any) -> Any:
        """The output alone at ``numbers`` (the forward lines only: for evaluation); arrays give an array."""
        if self._bare(numbers):
            numbers = [numbers]
        xs = numbers if type(numbers) is list else self._listed(numbers)
        if any(arrays.is_array(x) for x in xs):
            return self._batched(xs, False, backward=False)
        xs = self._numbers(xs)
        while True:
            if self._forward_only is None:
                self._forward_only = codegen.build_function(
                    codegen.fused(self._program, "forward", backward=False), "forward", self._title)
            result = self._forward_only(xs)
            if type(result) is not codegen.Changed:
                return result
            self._changed(result, xs)

    # -- batches -------------------------------------------------------------------------------------

    def _batched(self, xs: list[Any], sum_grads: bool, backward: bool) -> Any:
        if self.write_back:
            raise ValueError("write_back applies to calls with numbers; with arrays (a batch), use the returned "
                             "gradients (sum_grads=True sums a parameter's over the batch)")
        numbers, size, arrays_at = arrays.batch_numbers(xs, len(self.inputs))
        while True:
            runner = self._batch
            prog = runner.get(runner.spaces(arrays_at, sum_grads), backward)
            result = runner.run(prog, numbers, size, 1.0, backward)
            if type(result) is codegen.Changed:  # a guard on numbers shared by every example: record again
                self._changed(result, [x[0] if arrays.is_array(x) else x for x in numbers])
                continue
            if type(result) is arrays._Rows:
                return self._split(numbers, size, sum_grads, backward, result)
            return result

    def _split(self, numbers: list[Any], size: int, sum_grads: bool, backward: bool, rows: arrays._Rows) -> Any:
        """Some examples fail a guard: the others through the batched program, those one by one."""
        import numpy as np

        bad = np.zeros(size, dtype=bool)
        for _, mask in rows.failed:
            bad |= np.broadcast_to(mask, (size,))
        k, mask = next((k, m) for k, m in rows.failed if np.any(m))
        guard = self._program.guards[k]
        first = int(np.flatnonzero(np.broadcast_to(mask, (size,)))[0])
        if self.on_change == "raise":
            raise GraphChangedError(
                f"the graph compiled from {self._title} depends on the data: when it was recorded, "
                f"{guard.description}; for example {first} of the batch (and {int(bad.sum()) - 1} others) the "
                "answer differs (on_change='record' replays those examples one at a time)")
        arrays.warn_rows(self._title, int(bad.sum()), size, guard.description)
        good = np.flatnonzero(~bad)
        bad_at = np.flatnonzero(bad)
        if good.size:
            subset = [x[good] if arrays.is_array(x) else x for x in numbers]
            part = self._batched(subset, sum_grads, backward)
        if self._side is None:
            self._side = Compiled(self._fn, self.inputs, self._wrt, "record", False, self.single)
        side = self._side
        value = np.empty(size)
        spaces = self._batch.spaces(tuple(i for i, x in enumerate(numbers) if arrays.is_array(x)), sum_grads)
        grads: list[Any] = [np.empty(size) if spaces[i] == "v" else 0.0 for i in self._wrt]
        if good.size:
            if backward:
                value[good] = part[0]
                for j, g in enumerate(part[1]):
                    if isinstance(grads[j], float):
                        grads[j] += g
                    else:
                        grads[j][good] = g
            else:
                value[good] = part
        for b in bad_at.tolist():
            example = [float(x[b]) if arrays.is_array(x) else x for x in numbers]
            if not backward:
                value[b] = side.value(example)
                continue
            value[b], gs = side(example)
            for j, g in enumerate(gs):
                if isinstance(grads[j], float):
                    grads[j] += g
                else:
                    grads[j][b] = g
        return (value, grads) if backward else value

    # -- reading ---------------------------------------------------------------------------------

    def source(self, fused: bool = False, *, batched: bool | Iterable[Any] = False, sum_grads: bool = False) -> str:
        """The program as Python: one line per op, one per chain-rule application (``fused``: the code that runs).

        ``batched``: the array program that replays the recording over a batch, for the inputs
        given as arrays: True for every input, or which ones (positions or input Values); the
        others are numbers (their gradients summed over the batch with ``sum_grads=True``).
        """
        if batched is not False:
            if batched is True:
                spaces = tuple("v" for _ in self.inputs)
            else:
                chosen = set()
                for item in batched:
                    if isinstance(item, Value):
                        matches = [i for i, v in enumerate(self.inputs) if v is item]
                        if not matches:
                            raise ValueError(f"source's batched: {item!r} is not one of the inputs")
                        chosen.add(matches[0])
                    elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item < len(self.inputs):
                        chosen.add(item)
                    else:
                        raise ValueError(f"source's batched takes input positions or input Values, got {item!r}")
                wrt = set(self._wrt)
                spaces = tuple("v" if i in chosen or (i in wrt and not sum_grads) else "u"
                               for i in range(len(self.inputs)))
            return self._batch.get(spaces, True).source
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
    fn: Callable[[Any], Value],
    inputs: Value | float | Iterable[Any],
    *,
    wrt: Value | Iterable[Value | int] | None = None,
    on_change: str = "record",
    write_back: bool = False,
) -> Compiled:
    """Record ``fn(inputs)`` once; return ``c`` with ``c(numbers) -> (value, grads)`` replaying it on floats.

    ``inputs``: leaf Values (parameters, data points, both) or numbers (each a
    fresh leaf), as a sequence: ``fn`` is called once with the list of those
    Values and must return one Value; numbers it closes over, and nodes that
    depend on no input, are constants. One input given bare (a Value or a
    number, as in :func:`hessian`): ``fn`` receives that one Value, and
    ``c(3.0)`` gives ``(value, grad)`` with the gradient bare.
    ``wrt``: the inputs to differentiate with respect to (default: all), as input
    Values or positions, in the order ``grads`` lists them; the others are data
    (no gradient computed).
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
        >>> compile(lambda x: x ** 3, 2.0)(3.0)    # one bare input: f(x), a bare gradient
        (27.0, 27.0)
    """
    xs, single = _check_inputs(inputs)
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
            if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(xs):
                positions.append(v)  # a position among the inputs (inputs given as numbers have no Value to name)
            elif isinstance(v, Value) and v in index:
                positions.append(index[v])
            else:
                raise ValueError(f"compile's wrt[{k}] ({v!r}) is not one of the inputs (an input Value or position)")
    return Compiled(fn, xs, positions, on_change, bool(write_back), single)

