"""Calling a compiled function with arrays: checking the numbers, running the batched program, guards per example.

``c(numbers)`` where some numbers are 1-D NumPy arrays of one length B runs the batched program
(:mod:`autograd.compiled.batch`) made for that combination of arrays and numbers (one per
combination, made on first use). Examples whose guards give another answer than the recording
(a Python ``if`` on the data in the recorded function) cannot use that program: they are replayed
one at a time by a second compiled function, which records their graph (and again whenever its
own guards change), and a warning says so once.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from autograd import ops
from autograd.compiled import batch, codegen
from autograd.compiled.program import Program
from autograd.value import as_float

if TYPE_CHECKING:  # NumPy is optional: imported where arrays are computed with
    import numpy


class BatchGuardWarning(UserWarning):
    """Some examples of a batch take another path through the recorded function: they are replayed one by one."""


class _Rows:
    """Returned by a batched replay whose guards fail for some examples: ``[(guard index, mask), ...]``."""

    __slots__ = ("failed",)

    def __init__(self, failed: list[tuple[int, Any]]) -> None:
        self.failed = failed


def is_array(x: object) -> TypeGuard[numpy.ndarray[Any, Any]]:
    """True for a NumPy array of one or more dimensions (checked without importing NumPy)."""
    return type(x).__module__ == "numpy" and getattr(x, "ndim", 0) >= 1


def batch_numbers(xs: Sequence[Any], n_inputs: int) -> tuple[list[Any], int, tuple[int, ...]]:
    """``(numbers, B, positions of the arrays)``: each number a float or a float64 array of shape (B,).

    A clear error for anything else: an array of another shape or length, a list, a non-number.
    """
    if len(xs) != n_inputs:
        raise ValueError(f"this compiled function takes {n_inputs} numbers (one per input), got {len(xs)}")
    out = list(xs)
    at: list[int] = []
    size: int | None = None
    float_ = float
    for i in [i for i, t in enumerate(map(type, out)) if t is not float_]:  # the arrays, and numbers to convert
        x = out[i]
        if is_array(x):
            np = ops._numpy()
            if x.ndim != 1:
                raise ValueError(f"number {i} is an array of shape {x.shape}: batched replay takes 1-D arrays of "
                                 "shape (B,), one number per example, for any input (the others as numbers)")
            if x.dtype.kind not in "fiu":
                raise TypeError(f"number {i} is an array of {x.dtype}: batched replay takes arrays of real numbers")
            if size is None:
                size = x.shape[0]
            elif x.shape[0] != size:
                raise ValueError(f"numbers {at[0]} and {i} are arrays of different lengths ({size} and "
                                 f"{x.shape[0]}): every array holds one number per example of the same batch")
            out[i] = np.ascontiguousarray(x, dtype=np.float64)
            at.append(i)
        elif isinstance(x, (list, tuple)):
            raise TypeError(f"number {i} is a {type(x).__name__}: for a batch, pass a 1-D NumPy array "
                            "(numpy.asarray(...)); a plain number is the same for every example")
        else:
            out[i] = as_float(x, what=f"number {i}")
    if size is None:
        raise ValueError("no array among the numbers: this is not a batch")
    if size == 0:
        raise ValueError("the arrays are empty: a batch needs at least one example")
    return out, size, tuple(at)


class BatchRunner:
    """The batched programs of one recording (one per combination of arrays and numbers), and running them."""

    def __init__(self, program: Program, wrt: list[int], title: str) -> None:
        self.program = program
        self.wrt = wrt
        self.title = title
        self._programs: dict[tuple[tuple[str, ...], bool], batch.BatchProgram] = {}
        self._spaces: dict[tuple[tuple[int, ...], bool], tuple[str, ...]] = {}
        self.last: batch.BatchProgram | None = None

    def spaces(self, arrays_at: tuple[int, ...], sum_grads: bool) -> tuple[str, ...]:
        """Per input, ``"v"`` (one number per example) or ``"u"`` (one number for the batch).

        An input given as a number stays uniform unless its gradient is wanted per example
        (``sum_grads=False``). Cached per combination.
        """
        key = (arrays_at, sum_grads)
        spaces = self._spaces.get(key)
        if spaces is None:
            assert self.program.tape is not None  # program.build records it
            wrt, chosen = set(self.wrt), set(arrays_at)
            spaces = self._spaces[key] = tuple(
                "v" if i in chosen or (i in wrt and not sum_grads) else "u" for i in range(self.program.tape.n_inputs))
        return spaces

    def get(self, spaces: tuple[str, ...], backward: bool) -> batch.BatchProgram:
        key = (spaces, backward)
        prog = self._programs.get(key)
        if prog is None:
            assert self.program.tape is not None
            prog = batch.build(self.program.tape, self.wrt, spaces, self.title, backward)
            ns = namespace()
            ns.update(prog.namespace)
            prog.fn = codegen.build_function(prog.source, "batch_replay", f"{self.title} (batched)", ns)
            self._programs[key] = prog
        self.last = prog
        return prog

    def run(self, prog: batch.BatchProgram, numbers: list[Any], size: int, seed: Any, backward: bool) -> Any:
        """The program on ``numbers``: ``(values, grads)``, or what a failed guard returned."""
        np = ops._numpy()
        lay = prog.layout
        V = np.empty((lay.n_rows, size))
        U = np.array(lay.u_base)
        u_in = lay.u_inputs
        if u_in:  # the inputs given as numbers are the first entries of U, in order
            k = len(u_in)
            U[:k] = numbers[:k] if u_in[-1] == k - 1 else [numbers[i] for i in u_in]
        for row, i in enumerate(lay.v_inputs):  # and the array inputs the first rows of V
            V[row] = numbers[i]
        with np.errstate(all="ignore"):
            if backward:
                GV = np.full((lay.n_rows, size), -0.0)
                GU = np.full(lay.n_entries, -0.0)
                signal = prog.fn(V, U, GV, GU, np.broadcast_to(np.asarray(seed, dtype=float), (size,)))
            else:
                signal = prog.fn(V, U)
        if signal is not None:
            return signal
        kind, at = lay.output
        if kind == "v":
            value = V[at].copy()
        else:
            value = np.full(size, U[at] if kind == "u" else at)
        if not backward:
            return value
        grads: list[Any] = [0.0] * len(self.wrt)
        if lay.v_grads:
            for j, g in zip(lay.v_grads, GV[lay.v_grad_rows]):
                grads[j] = g
        if lay.u_grads:
            for j, g in zip(lay.u_grads, GU[lay.u_grad_entries].tolist()):
                grads[j] = g
        for j in lay.v_zero:
            grads[j] = np.zeros(size)
        return value, grads


def namespace() -> dict[str, Any]:
    """The globals of a batched program: NumPy, the array forms, the helpers, nothing else."""
    ns = ops.array_namespace()
    ns.update(max_rows=ops.max_rows, logsumexp_rows=ops.logsumexp_rows, _changed=codegen.Changed, _rows=_Rows,
              f8=ns["np"].float64)
    # NumPy's C code imports its helpers lazily through the calling frame's __import__: keep that one builtin
    ns["__builtins__"] = {"any": any, "__import__": __import__}
    return ns


def warn_rows(title: str, count: int, size: int, description: str) -> None:
    warnings.warn(
        f"{count} of {size} examples take another path through {title}: when it was recorded, {description}, "
        "and for those examples the answer differs. They are recorded and replayed one at a time (slowly); "
        "write such a choice with ops (relu, abs, autograd.max) so one program serves every example",
        BatchGuardWarning, stacklevel=4)
