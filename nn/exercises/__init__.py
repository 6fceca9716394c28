"""The course's exercises: ``check(exercise, answer)`` says whether an answer is right.

Every notebook ends with two or three exercises, numbered by notebook (``"3.1"`` is notebook 3's
first). A notebook cell reads::

    from nn.exercises import check
    answer = None          # your answer: a number, a list, a function or a class, as the exercise asks
    check("3.1", answer)   # ✓ 3.1: right: ...   or   ✗ 3.1: not yet: <a hint>

The expected answers are computed by the engine from each exercise's data (see the modules:
``engine`` for notebook 0, ``backprop`` for 1, 2, 6, 9 and 10, ``layers`` for 3 to 5,
``optimisation`` for 7, 8 and 11). The solutions are in the notebooks, folded under each exercise.
``CHAINRULE_EXERCISES=strict`` makes anything but a right answer raise :class:`ExerciseError`.
"""

from __future__ import annotations

from nn.exercises import backprop, engine, layers, optimisation  # noqa: F401  (each registers its checks)
from nn.exercises.core import REGISTRY, ExerciseError, Verdict, check, solved

__all__ = ["REGISTRY", "ExerciseError", "Verdict", "check", "solved"]
