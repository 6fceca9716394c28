"""gradcheck: passes correct gradients, catches wrong ones, reports clearly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

import autograd
from autograd import GradcheckError, GradcheckReport, Value, gradcheck
from tests.strategies import build, checked_programs


@given(checked_programs())
@settings(max_examples=40)
def test_passes_on_random_correct_graphs(program):
    # relative tolerance scaled for values up to 1e4 (rounding in the differences ~ 1e4 * 1e-16 / 1e-6)
    report = gradcheck(lambda vs: build(program, vs), program.leaves, atol=1e-4, rtol=1e-3)
    assert report.ok, str(report)


def corrupted(vs: list[Value]) -> Value:
    """x0 * sin(x1) with d/dx1 doubled by a hook (a wrong derivative)."""
    s = vs[1].sin()
    s.register_hook(lambda g: 2.0 * g)
    return vs[0] * s


def test_fails_on_a_hook_that_corrupts_a_gradient():
    report = gradcheck(corrupted, [1.5, 0.4])
    assert not report.ok
    assert [e.ok for e in report.entries] == [True, False]
    bad = report.failures[0]
    assert bad.name == "x1"
    assert bad.numeric == pytest.approx(1.5 * math.cos(0.4), rel=1e-6)
    assert bad.analytic == pytest.approx(2.0 * bad.numeric, rel=1e-6)
    assert bad.rel_error == pytest.approx(0.5, rel=1e-5)
    text = str(report)
    assert "FAILED" in text and "MISMATCH" in text and "x1" in text
    with pytest.raises(GradcheckError, match="x1") as info:
        gradcheck(corrupted, [1.5, 0.4], raise_on_failure=True)
    assert info.value.report.failures[0].name == "x1"


def wrong_sin(x: Value) -> Value:
    """sin with the local derivative sin(x) instead of cos(x)."""
    return Value(math.sin(x.data), op="sin", parents=(x,), local_grads=(math.sin(x.data),))


def test_fails_on_a_wrong_local_derivative():
    assert not gradcheck(lambda vs: wrong_sin(vs[0]) * vs[1], [0.7, 2.0]).ok
    assert gradcheck(lambda vs: vs[0].sin() * vs[1], [0.7, 2.0]).ok


def test_passes_and_reports_each_input():
    x = Value(1.25, label="x")
    x.grad = 42.0
    report = gradcheck(lambda vs: (vs[0] * vs[1]).tanh() + vs[0] ** 3, [x, -0.5])
    assert isinstance(report, GradcheckReport) and report.ok
    assert x.grad == 42.0  # the caller's Values are not touched
    assert [e.name for e in report.entries] == ["x", "x1"]
    expected = autograd.grad((x * -0.5).tanh() + x**3, [x])[0]
    assert report.analytic[0] == pytest.approx(expected, rel=1e-12)
    assert report.numeric[0] == pytest.approx(expected, rel=1e-6)
    assert all(e.abs_error < 1e-6 and e.rel_error < 1e-6 for e in report.entries)
    text = str(report)
    assert text.startswith("gradcheck passed: 2 input(s)")
    assert "x1" in text and "analytic" in text and "numeric" in text


def test_tolerances_decide():
    f = lambda vs: vs[0].exp()  # noqa: E731
    # at eps = 0.1 central differences are off by about eps^2 / 6 relative
    assert not gradcheck(f, [1.0], eps=0.1, atol=0.0, rtol=1e-4).ok
    assert gradcheck(f, [1.0], eps=0.1, atol=0.0, rtol=1e-2).ok


def test_nan_gradient_fails():
    # an identity op whose local derivative is NaN: NaN compares false, so it must fail
    report = gradcheck(lambda vs: Value(vs[0].data, op="id", parents=(vs[0],), local_grads=(math.nan,)), [0.5])
    assert not report.ok
    assert math.isnan(report.entries[0].abs_error)


def test_bad_arguments():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda vs: 1.0, [1.0])
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda vs: vs, [])
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda vs: vs[0], [1.0], eps=0.0)
    with pytest.raises(TypeError, match=r"inputs\[0\]"):
        gradcheck(lambda vs: vs[0], ["1.0"])
    with pytest.raises(TypeError, match="callable"):
        gradcheck(3, [1.0])


def test_anomaly_tools_are_re_exported():
    import autograd.check as check
    import autograd.modes as modes

    assert check.detect_anomaly is modes.detect_anomaly
    assert check.AnomalyError is modes.AnomalyError
