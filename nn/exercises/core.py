"""What every exercise shares: the verdict, the registry of checks, and ``check()``.

An exercise is checked by a function that receives the learner's answer (a number, a list, a
function or a class) and raises :class:`NotYet` with a hint when it is not right; the expected
answer is computed by the engine from the exercise's data, so nothing is hard-coded twice.

``check(exercise, answer)`` returns a :class:`Verdict` (true when right). An answer left at
``None`` is "not answered yet". With the environment variable ``CHAINRULE_EXERCISES=strict``,
anything but a right answer raises :class:`ExerciseError`: the tests run the notebooks that way,
with the hidden solutions filled in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

STRICT_ENV = "CHAINRULE_EXERCISES"


class NotYet(Exception):
    """Raised by a checker: the answer is not right; the message is the hint shown to the learner."""


class ExerciseError(AssertionError):
    """In strict mode, a wrong or missing answer: the message names the exercise and what is wrong."""


@dataclass(frozen=True)
class Verdict:
    """Whether an answer is right, with what was checked or a hint. Truthy when right."""

    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.exercise}: {self.message}"

    __repr__ = __str__


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"3.1"``: notebook 3, exercise 1), a short title and its checker."""

    id: str
    title: str
    checker: Callable[[Any], str]  # returns what was checked; raises NotYet otherwise


REGISTRY: dict[str, Exercise] = {}
_SOLVED: set[str] = set()


def exercise(id: str, title: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register ``checker`` as the check of exercise ``id``."""

    def register(checker: Callable[[Any], str]) -> Callable[[Any], str]:
        if id in REGISTRY:
            raise ValueError(f"exercise {id!r} is registered twice")
        REGISTRY[id] = Exercise(id, title, checker)
        return checker

    return register


def strict() -> bool:
    """True when ``CHAINRULE_EXERCISES=strict``: every check must pass."""
    return os.environ.get(STRICT_ENV, "").strip().lower() == "strict"


def verdict(id: str, ok: bool, message: str) -> Verdict:
    """A verdict for ``id``; in strict mode a failed one raises :class:`ExerciseError` instead."""
    if ok:
        _SOLVED.add(id)
    else:
        _SOLVED.discard(id)
        if strict():
            raise ExerciseError(f"exercise {id}: {message}")
    return Verdict(id, ok, message)


def check(exercise: str, answer: Any) -> Verdict:
    """Check ``answer`` to ``exercise`` (an id such as ``"3.1"``); see the module docstring."""
    if not isinstance(exercise, str) or exercise not in REGISTRY:
        known = ", ".join(sorted(REGISTRY, key=_order))
        raise KeyError(f"no exercise {exercise!r}; exercises are {known}")
    if answer is None or answer is Ellipsis:
        return verdict(exercise, False, "not answered yet: replace None with your answer and run the cell again")
    try:
        what = REGISTRY[exercise].checker(answer)
    except NotYet as e:
        return verdict(exercise, False, f"not yet: {e}")
    return verdict(exercise, True, f"right: {what}")


def solved(exercise: str) -> bool:
    """Whether the last check of ``exercise`` in this session was right."""
    return exercise in _SOLVED


def _order(id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in id.split("."))


# -- helpers for checkers --------------------------------------------------------------------------


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    """Agreement to ``tol``, absolute for small numbers and relative for large ones (as in the notebooks)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def number(answer: Any, what: str = "the answer") -> float:
    """``answer`` as a float, or NotYet naming what it was."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        try:
            answer = float(answer)  # a Value, a NumPy scalar...
        except (TypeError, ValueError):
            raise NotYet(f"{what} should be a number, got {type(answer).__name__}: {answer!r}") from None
    x = float(answer)
    if not math.isfinite(x):
        raise NotYet(f"{what} is {x}")
    return x


def numbers(answer: Any, n: int | None = None, what: str = "the answer") -> list[float]:
    """``answer`` as a list of floats (of length ``n`` when given), or NotYet."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence):
        raise NotYet(f"{what} should be a list of numbers, got {type(answer).__name__}: {answer!r}")
    xs = [number(a, f"entry {i} of {what}") for i, a in enumerate(answer)]
    if n is not None and len(xs) != n:
        raise NotYet(f"{what} should have {n} numbers, got {len(xs)}")
    return xs


def call(fn: Any, *args: Any, what: str = "your function") -> Any:
    """``fn(*args)``, turning any exception into NotYet (a learner's code may raise anything)."""
    if not callable(fn):
        raise NotYet(f"{what} should be callable, got {type(fn).__name__}: {fn!r}")
    try:
        return fn(*args)
    except NotYet:
        raise
    except Exception as e:  # the learner's code: report what it raised, as a hint
        raise NotYet(f"{what} raised {type(e).__name__}: {e}") from None


def same(got: float, expected: float, what: str, tol: float = 1e-9, reveal: bool = False) -> None:
    """NotYet unless ``got`` agrees with ``expected`` to ``tol``.

    The hint gives the relative error, not the expected number (which would give the answer away),
    unless ``reveal``: for one test case of a function the learner wrote, as a unit test would.
    """
    if close(got, expected, tol):
        return
    if reveal:
        raise NotYet(f"{what} is {got!r}; the engine gives {expected!r}")
    off = abs(got - expected) / max(abs(expected), 1e-300)
    raise NotYet(f"{what} is {got!r}: off by {off:.1e} (relative); it must agree to {tol:g}")
