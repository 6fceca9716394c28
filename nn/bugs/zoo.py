"""The bug zoo's frame: what a bug is, the diagnoses to choose from, and checking an answer.

A :class:`Bug` is a small program that computes or uses gradients wrongly. It states its
*symptom* (what you would see) and the tools that help; ``bug.run()`` reproduces the symptom;
``bug.source`` is the broken code. You answer with a diagnosis from :data:`DIAGNOSES`
(``bug.check("...")``) and, if you like, with a repaired version (``bug.check_fix(...)``), which
must pass the same test the hidden reference fix passes.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nn.exercises.core import NotYet, Verdict, verdict

# the diagnoses to choose from: twelve are the zoo's, four are plausible causes that none of them has
DIAGNOSES: dict[str, str] = {
    "missing-activation-derivative": "the backward pass leaves out a factor g'(z) of an activation",
    "transposed-weights": "the backward pass multiplies by W where it needs W transposed (w_ij for w_ji)",
    "overwritten-gradient": "a node used more than once keeps only one use's gradient (= instead of +=)",
    "gradients-not-zeroed": "gradients from earlier steps are never reset, so they pile up",
    "ascent-not-descent": "the update moves the weights along the gradient instead of against it",
    "learning-rate-too-high": "the steps are far too large for the weights: training diverges",
    "learning-rate-too-low": "the steps are far too small: training is right but slow",
    "saturated-units": "the units start in the flat tails of tanh/sigmoid, where g' is almost 0",
    "dead-units": "the ReLU units output 0 for every input, so no gradient passes them",
    "vanishing-gradient": "many layers each shrink the gradient, so the first layers barely learn",
    "softmax-overflow": "exp() of large logits overflows to inf, and inf/inf is nan",
    "wrong-local-derivative": "one op's local derivative formula is wrong (say which op: op=...)",
    "sequential-update": "some gradients are taken after part of the weights were already updated",
    "graph-broken": "part of the computation is cut out of the graph, so no gradient reaches it",
    "wrong-loss": "the loss does not fit the task (e.g. a squared error on class labels)",
    "loss-summed-not-averaged": "the batch loss is a sum, so the effective step grows with the batch size",
}


@dataclass(frozen=True)
class Demo:
    """What ``bug.run()`` shows: a few lines of text and the numbers behind them."""

    text: str
    data: dict[Any, Any] = field(default_factory=dict)  # mostly names; some demos key by (case, point)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


@dataclass(frozen=True)
class Bug:
    """One broken backprop; see the module docstring. ``print(bug)`` shows its card."""

    number: int
    title: str  # the situation, not the cause
    symptom: str
    tools: str  # which of the project's tools show the cause
    broken: Callable[..., Any]  # the program with the bug (its source is shown)
    run: Callable[[], Demo]  # reproduces the symptom
    task: str  # what a repaired version is: its signature and what it must do
    _diagnosis: str = field(repr=False)  # the right key of DIAGNOSES
    _details: dict[str, str] = field(default_factory=dict, repr=False)  # further answers, e.g. op="tanh"
    _accept: Callable[[Any], str] = field(default=lambda _: "", repr=False)  # NotYet unless a fix works
    _fixed: Callable[..., Any] | None = field(default=None, repr=False)  # the hidden reference fix

    @property
    def id(self) -> str:
        return f"bug {self.number}"

    @property
    def source(self) -> str:
        """The broken code, as written."""
        return textwrap.dedent(inspect.getsource(self.broken))

    def __str__(self) -> str:
        return (f"Bug {self.number}: {self.title}\n"
                f"Symptom: {self.symptom}\n"
                f"Tools that help: {self.tools}\n"
                f"The code:\n{textwrap.indent(self.source.rstrip(), '    ')}")

    def check(self, diagnosis: Any, **details: Any) -> Verdict:
        """Whether ``diagnosis`` (a key of ``DIAGNOSES``, plus details such as ``op=``) names this bug's cause."""
        if diagnosis is None or diagnosis is Ellipsis:
            return verdict(self.id, False, "not answered yet: give a diagnosis, one of nn.bugs.DIAGNOSES")
        if not isinstance(diagnosis, str) or diagnosis not in DIAGNOSES:
            return verdict(self.id, False, f"{diagnosis!r} is not a diagnosis; choose one of: "
                                           f"{', '.join(DIAGNOSES)}")
        if diagnosis != self._diagnosis:
            return verdict(self.id, False, f"not {diagnosis!r}: that would look different. Look again with "
                                           f"{self.tools}")
        for key, right in self._details.items():
            given = details.get(key)
            if given is None:
                return verdict(self.id, False, f"{diagnosis!r} is the right kind of bug; now say where: "
                                               f"check({diagnosis!r}, {key}=...)")
            if str(given) != right:
                return verdict(self.id, False, f"{diagnosis!r} is right, but {key}={given!r} is not where it is")
        unknown = set(details) - set(self._details)
        if unknown:
            return verdict(self.id, False, f"this diagnosis takes no {', '.join(sorted(unknown))}")
        return verdict(self.id, True, f"right: {DIAGNOSES[diagnosis]}")

    def check_fix(self, candidate: Any) -> Verdict:
        """Whether ``candidate`` (see ``task``) repairs the bug: it must pass the reference fix's test."""
        if candidate is None or candidate is Ellipsis:
            return verdict(self.id, False, f"not answered yet: {self.task}")
        try:
            what = self._accept(candidate)
        except NotYet as e:
            return verdict(self.id, False, f"not yet: {e}")
        return verdict(self.id, True, f"fixed: {what}")


ZOO: list[Bug] = []


def register(bug: Bug) -> Bug:
    """Add ``bug`` to the zoo (numbers are unique and run from 1)."""
    if any(b.number == bug.number for b in ZOO):
        raise ValueError(f"bug {bug.number} is registered twice")
    ZOO.append(bug)
    ZOO.sort(key=lambda b: b.number)
    return bug


def get(number: int) -> Bug:
    """Bug ``number`` (1 to 12)."""
    for bug in ZOO:
        if bug.number == number:
            return bug
    raise KeyError(f"no bug {number!r}; the zoo has bugs {', '.join(str(b.number) for b in ZOO)}")


def check(number: int, diagnosis: Any, **details: Any) -> Verdict:
    """``get(number).check(diagnosis, **details)``."""
    return get(number).check(diagnosis, **details)

