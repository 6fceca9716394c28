"""detect_anomaly: NaN and infinity name the op, its inputs and the line of user code that made the node."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import autograd
from autograd import AnomalyError, Value, detect_anomaly, trace_backward

SOURCE = Path(__file__).read_text().splitlines()


def site_of(marker: str) -> str:
    """``test_anomaly.py:<line>`` of the line tagged ``# site: <marker>``."""
    (line,) = [k for k, text in enumerate(SOURCE, start=1) if text.endswith(f"# site: {marker}")]
    return f"test_anomaly.py:{line}"


def test_forward_infinity_from_overflow():
    x = Value(3.0, label="x")
    with detect_anomaly():
        big = x * 1e300
        with pytest.raises(AnomalyError) as info:
            big * 1e300  # site: overflow
    message = str(info.value)
    assert "forward pass produced inf" in message
    assert "op '*'" in message
    assert "3e+300" in message  # the input value
    assert site_of("overflow") in message
    assert "big * 1e300" in message  # the source text of the line


def test_forward_infinity_from_division_by_a_tiny_number():
    x = Value(1.0, label="x")
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            x / 1e-310  # site: tiny
    assert "op '/'" in str(info.value) and site_of("tiny") in str(info.value)
    assert "label='x'" in str(info.value)


def test_forward_nan_from_inf_minus_inf():
    a = Value(math.inf, label="a")  # leaves may hold inf; it is ops that are checked
    b = Value(math.inf, label="b")
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            a - b  # site: nan
    message = str(info.value)
    assert "forward pass produced nan" in message and "op '-'" in message
    assert site_of("nan") in message and "label='a'" in message and "label='b'" in message


def test_backward_infinity_from_sqrt_at_zero():
    x = Value(0.0, label="x")
    with detect_anomaly():
        root = x.sqrt()  # site: sqrt
        y = root * 2.0
        with pytest.raises(AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "backward pass produced inf" in message
    assert "op 'sqrt'" in message and site_of("sqrt") in message
    assert "local derivative inf" in message and "upstream gradient 2.0" in message


@pytest.mark.parametrize("how", ["backward", "trace", "grad"])
def test_backward_nan_from_zero_times_infinity(how):
    x = Value(0.0, label="x")
    with detect_anomaly():
        s = x.sqrt()  # site: zero-times-inf
        y = s * 0.0  # d y / d s = 0, and 0 * inf = nan
        with pytest.raises(AnomalyError) as info:
            if how == "backward":
                y.backward()
            elif how == "trace":
                trace_backward(y)
            else:
                autograd.grad(y, [x])
    message = str(info.value)
    assert "backward pass produced nan" in message and site_of("zero-times-inf") in message
    assert "upstream gradient 0.0" in message


def test_outside_the_mode_nothing_is_checked_or_recorded():
    x = Value(0.0, label="x")
    y = x.sqrt() * 0.0
    y.backward()  # no error: nan flows silently
    assert math.isnan(x.grad)
    assert all(node._site is None for node in autograd.topological_order(y))
    assert (Value(3.0) * 1e300 * 1e300).data == math.inf


def test_finite_work_passes_and_records_sites():
    x = Value(0.5, label="x")
    with detect_anomaly():
        y = (x * 3.0).tanh()  # site: fine
        y.backward()
    assert site_of("fine") in y._site
    assert x.grad == pytest.approx(3.0 * (1.0 - y.data**2))


def test_graph_made_outside_says_the_site_was_not_recorded():
    x = Value(0.0, label="x")
    y = x.sqrt()
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="not recorded"):
            y.backward()
