"""nn.bugs: each bug shows the symptom it states, only its own diagnosis is accepted, and its hidden
reference fix passes the test that the broken version fails."""

from __future__ import annotations

import math

import pytest

from nn import bugs
from nn.exercises.core import STRICT_ENV, ExerciseError

BUGS = bugs.ZOO


def test_a_dozen_bugs_each_with_its_own_cause_among_plausible_others() -> None:
    assert [b.number for b in BUGS] == list(range(1, 13))
    causes = [b._diagnosis for b in BUGS]
    assert len(set(causes)) == 12 and set(causes) <= set(bugs.DIAGNOSES)
    distractors = set(bugs.DIAGNOSES) - set(causes)
    assert len(distractors) >= 3  # a cause is chosen among more causes than there are bugs
    for b in BUGS:
        card = str(b)
        assert card.startswith(f"Bug {b.number}: ") and b.symptom in card and b.tools in card
        assert all(line.strip() in card for line in b.source.splitlines())  # the broken code is shown
        # the card describes the situation and what you see, never the cause
        assert b._diagnosis not in card and b._diagnosis.replace("-", " ") not in card.lower()


@pytest.mark.parametrize("bug", BUGS, ids=[f"bug{b.number}" for b in BUGS])
def test_only_the_right_diagnosis_is_accepted(bug: bugs.Bug) -> None:
    assert bug.check(bug._diagnosis, **bug._details)
    for other in bugs.DIAGNOSES:
        if other != bug._diagnosis:
            verdict = bug.check(other)
            assert not verdict and "not" in verdict.message
    assert not bug.check(None) and "not answered" in bug.check(None).message
    assert not bug.check("gremlins") and "not a diagnosis" in bug.check("gremlins").message
    assert not bug.check(bug._diagnosis, where="line 3")  # a detail this bug does not ask for
    for key in bug._details:
        assert not bug.check(bug._diagnosis) and "say where" in bug.check(bug._diagnosis).message
        assert not bug.check(bug._diagnosis, **{key: "exp"})
    assert bugs.check(bug.number, bug._diagnosis, **bug._details).ok


@pytest.mark.parametrize("bug", BUGS, ids=[f"bug{b.number}" for b in BUGS])
def test_the_reference_fix_passes_and_the_broken_code_fails_the_same_test(bug: bugs.Bug) -> None:
    assert bug._fixed is not None
    broken, fixed = bug.check_fix(bug.broken), bug.check_fix(bug._fixed)
    assert not broken and broken.message.startswith("not yet")
    assert fixed, fixed.message
    assert not bug.check_fix(None) and not bug.check_fix(lambda *a: 1 / 0)


def test_strict_mode_raises_on_a_wrong_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "strict")
    with pytest.raises(ExerciseError, match="bug 3"):
        bugs.get(3).check("dead-units")
    assert bugs.get(3).check("overwritten-gradient")
    with pytest.raises(KeyError, match="no bug 13"):
        bugs.get(13)


# -- each bug shows the symptom it states ------------------------------------------------------------


def test_bug1_hidden_gradients_too_large_by_one_over_sigma_prime() -> None:
    factors = bugs.get(1).run().data["factors"]
    assert all(math.isclose(f, 1.0, abs_tol=1e-9) for f in factors[-1])  # the last layer is right
    assert min(factors[1]) >= 4.0  # 1/sigma' >= 4 one layer back
    assert min(factors[0]) > 15.0 > max(factors[1])  # and again two layers back


def test_bug2_last_layer_right_hidden_layers_wrong() -> None:
    errors = bugs.get(2).run().data["errors"]
    assert max(errors[-1]) == 0.0 and min(max(e) for e in errors[:-1]) > 1e-2


def test_bug3_a_reused_node_keeps_one_use() -> None:
    data = bugs.get(3).run().data
    assert data["a_grad"] == 1.0 and data["x_grad"] == -1.5  # should be 2 and -3
    assert math.isclose(data["w1_grad"], 0.7 * (1 - math.tanh(0.21) ** 2), rel_tol=1e-12)  # a tree is right


def test_bug4_and_bug5_loops() -> None:
    d4 = bugs.get(4).run().data
    assert d4["losses"][:2] == d4["reference"][:2]  # the first step is right
    assert max(d4["losses"][3:]) > 5 * max(d4["reference"][3:])  # then it swings back up
    assert abs(d4["grads"][-1]) > 10 * abs(d4["reference_grads"][-1])
    d5 = bugs.get(5).run().data
    rising = d5["losses"][:8]
    assert all(b > 2 * a for a, b in zip(rising, rising[1:])) and d5["losses"][-1] > 1e30  # up from step 1


def test_bug6_steps_as_large_as_the_weights() -> None:
    data = bugs.get(6).run().data
    assert data["losses"][3] > 1e6 * data["losses"][0]
    assert all(r > -1.0 for r in data["ratios"].values())  # the reference is -3


def test_bug7_saturated_hidden_layer_stops_learning() -> None:
    data = bugs.get(7).run().data
    assert data["report"].flagged("saturated") == ["layers.0"]
    assert data["ratios"]["layers.0"] < -4.0 and data["ratios"]["layers.1"] > -2.5


def test_bug8_dead_relus_pass_no_gradient() -> None:
    data = bugs.get(8).run().data
    assert "layers.0" in data["report"].flagged("dead")
    assert data["report"].layer_rows()[0].max_grad == 0.0
    assert data["history"][-1] > 0.9 * data["history"][0]


def test_bug9_overflow_only_above_709() -> None:
    data = bugs.get(9).run().data
    assert data["non_finite"] == sum(max(r) > 709.78 for r in bugs.numerics.classifier_logits(1000.0)) > 0
    assert "'exp'" in data["anomaly"]


def test_bug10_wrong_only_through_tanh() -> None:
    data = bugs.get(10).run().data
    assert data[("x * y + x", 0.1)] and data[("x * y + x", 0.9)]
    assert not data[("tanh(x) * y", 0.9)] and not data[("tanh(x * y)", 0.9)]


def test_bug11_prints_the_posts_error_after_one_step() -> None:
    data = bugs.get(11).run().data
    assert f"{data['E_after']:.9f}" == "0.291027924"
    assert not math.isclose(data["step_w1"], data["gradient_step_w1"], rel_tol=1e-3)


def test_bug12_the_hidden_layer_never_moves() -> None:
    data = bugs.get(12).run().data
    assert data["moved"] == 0.0 and data["history"][-1] < data["history"][0]
    assert data["report"].layer_rows()[0].max_grad == 0.0
