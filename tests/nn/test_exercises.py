"""nn.exercises: every check rejects wrong answers without crashing, and strict mode raises.

That the hidden solutions pass is tested by running the notebooks with them filled in
(tests/test_notebook_exercises.py)."""

from __future__ import annotations

import math

import pytest

from nn.exercises import REGISTRY, ExerciseError, check, solved
from nn.exercises.core import STRICT_ENV


class Wrong:
    """A class that is not an engine: Value(x) works, nothing else does."""

    def __init__(self, x: float = 0.0) -> None:
        self.data = x


WRONG_ANSWERS = [0.123456789, -7, 7, [0.1, 0.2], [0.1, 0.2, 0.3], (1, 2), "tanh", float("nan"), True,
                 lambda *a, **k: 0.123, lambda *a, **k: [0.0] * 9, lambda *a, **k: 1 / 0, Wrong, object()]


@pytest.mark.parametrize("exercise", sorted(REGISTRY))
def test_wrong_answers_are_rejected_with_a_hint_never_an_exception(exercise: str) -> None:
    for answer in WRONG_ANSWERS:
        verdict = check(exercise, answer)
        assert not verdict, (exercise, answer, verdict)
        assert verdict.message.startswith("not yet: ") and len(verdict.message) > 12
        assert str(verdict).startswith(f"✗ {exercise}: ")
    assert not solved(exercise)
    unanswered = check(exercise, None)
    assert not unanswered and "not answered yet" in unanswered.message


def test_every_notebook_of_the_course_has_two_or_three_exercises() -> None:
    per_notebook: dict[int, int] = {}
    for key in REGISTRY:
        nb = int(key.split(".")[0])
        per_notebook[nb] = per_notebook.get(nb, 0) + 1
    assert set(per_notebook) == set(range(12)) - {12}, per_notebook  # 12 is the bug zoo: its bugs are the exercises
    assert all(2 <= n <= 4 for n in per_notebook.values()), per_notebook


def test_a_right_answer_is_recorded_and_strict_mode_raises_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    right = -1.2 * math.cos(-0.6) + 1.0  # dz/dx of sin(xy) + x^2 at (0.5, -1.2)
    assert check("1.1", right) and solved("1.1")
    assert str(check("1.1", right)).startswith("✓ 1.1: right: ")
    assert not check("1.1", right + 1e-6)  # to 1e-9: a rounded answer is not enough
    assert not solved("1.1")
    monkeypatch.setenv(STRICT_ENV, "strict")
    with pytest.raises(ExerciseError, match="exercise 1.1"):
        check("1.1", None)
    with pytest.raises(ExerciseError, match="off by"):
        check("1.1", 0.5)
    assert check("1.1", right)
    with pytest.raises(KeyError, match="no exercise '99.1'"):
        check("99.1", 1.0)


def test_hints_do_not_give_numeric_answers_away() -> None:
    right = -1.2 * math.cos(-0.6) + 1.0
    message = check("1.1", 0.5).message
    assert f"{right}" not in message and f"{right:.6f}" not in message


# Notebook 7's exercises are written and checked here until its cells take them (its frame is added later);
# these are the folded solutions its exercise cells will carry.
NOTEBOOK_7_SOLUTIONS = {
    "7.1": '''
w, b, lr = [0.3, -0.5], 0.1, 0.1
batch = [([1.0, 2.0], 0.5), ([-1.0, 0.5], -0.2)]
gw, gb = [0.0, 0.0], 0.0
for x, y in batch:                                  # each sample's backward pass, by hand
    a = math.tanh(w[0] * x[0] + w[1] * x[1] + b)
    delta = 2 * (a - y) * (1 - a * a)               # dL_x/dz for L_x = (a - y)^2 and tanh' = 1 - a^2
    gw = [g + delta * xi for g, xi in zip(gw, x)]
    gb += delta
m = len(batch)
answer = [w[0] - lr / m * gw[0], w[1] - lr / m * gw[1], b - lr / m * gb]
check("7.1", answer)''',
    "7.2": '''
v, moved = 0.0, 0.0
for _ in range(3):
    v = 0.9 * v + 1.0                               # the velocity: v <- momentum v + g
    moved -= 0.1 * v                                # the step: w <- w - lr v
answer = moved                                      # -0.1 (1 + 1.9 + 2.71)
check("7.2", answer)''',
    "7.3": '''
answer = 0.2 / 16                                   # the sum's gradient is m = 16 times the mean's
check("7.3", answer)''',
}


@pytest.mark.parametrize("exercise", sorted(NOTEBOOK_7_SOLUTIONS))
def test_notebook_7_solutions_pass(exercise: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "strict")
    namespace: dict = {"math": math, "check": check}
    exec(NOTEBOOK_7_SOLUTIONS[exercise], namespace)  # noqa: S102 - the solutions of the course, as they will run
    assert check(exercise, namespace["answer"])
