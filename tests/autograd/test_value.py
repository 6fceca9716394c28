"""Each op: its value, its local derivative against central differences, its errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, dot, total
from tests.strategies import numeric_grad


def reals(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float, gap: float = 1e-2):
    return reals(lo, hi).filter(lambda x: abs(x) > gap)


# name -> (function of a Value and/or numbers, strategy per argument)
UNARY = {
    "neg": (lambda a: -a, reals(-1e3, 1e3)),
    "abs": (lambda a: abs(a), away_from_zero(-1e3, 1e3)),
    "exp": (lambda a: a.exp(), reals(-50, 50)),
    "log": (lambda a: a.log(), reals(1e-3, 1e6)),
    "sqrt": (lambda a: a.sqrt(), reals(1e-3, 1e6)),
    "tanh": (lambda a: a.tanh(), reals(-20, 20)),
    "sigmoid": (lambda a: a.sigmoid(), reals(-40, 40)),
    "relu": (lambda a: a.relu(), away_from_zero(-1e3, 1e3)),
    "sin": (lambda a: a.sin(), reals(-100, 100)),
    "cos": (lambda a: a.cos(), reals(-100, 100)),
    "square": (lambda a: a ** 2, reals(-1e3, 1e3)),
    "cube": (lambda a: a ** 3, reals(-100, 100)),
    "inverse": (lambda a: a ** -1, away_from_zero(-1e3, 1e3, 0.1)),
    "root": (lambda a: a ** 0.5, reals(1e-2, 1e4)),
    "const_base": (lambda a: 2.5 ** a, reals(-30, 30)),
    "add_const": (lambda a: a + 3.5, reals(-1e3, 1e3)),
    "radd_const": (lambda a: 3.5 + a, reals(-1e3, 1e3)),
    "sub_const": (lambda a: a - 3.5, reals(-1e3, 1e3)),
    "rsub_const": (lambda a: 3.5 - a, reals(-1e3, 1e3)),
    "mul_const": (lambda a: a * -1.5, reals(-1e3, 1e3)),
    "rmul_const": (lambda a: -1.5 * a, reals(-1e3, 1e3)),
    "div_const": (lambda a: a / 4.0, reals(-1e3, 1e3)),
    "rdiv_const": (lambda a: 4.0 / a, away_from_zero(-1e3, 1e3, 0.1)),
}

BINARY = {
    "add": (lambda a, b: a + b, reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "sub": (lambda a, b: a - b, reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "mul": (lambda a, b: a * b, reals(-1e3, 1e3), reals(-1e3, 1e3)),
    "div": (lambda a, b: a / b, reals(-1e3, 1e3), away_from_zero(-1e3, 1e3, 0.1)),
    "pow": (lambda a, b: a ** b, reals(1e-2, 10), reals(-5, 5)),
    "dot": (lambda a, b: dot([a, b, 2.0], [b, 3.0, a], start=a), reals(-100, 100), reals(-100, 100)),
    "total": (lambda a, b: total([a, b, a, 4.0], start=b), reals(-100, 100), reals(-100, 100)),
}


def check_against_central_differences(f, xs):
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    for i, v in enumerate(values):
        h = 1e-3 * max(abs(xs[i]), 1e-3)  # relative step: log and 1/x near 0 need a small one
        numeric = numeric_grad(lambda ys: f(*[Value(y) for y in ys]).data, xs, i, h)
        assert math.isclose(v.grad, numeric, rel_tol=1e-6, abs_tol=1e-7 * max(1.0, abs(out.data))), (i, v.grad, numeric)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_derivative(name, data):
    f, strategy = UNARY[name]
    check_against_central_differences(f, [data.draw(strategy)])


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_derivative(name, data):
    f, sa, sb = BINARY[name]
    check_against_central_differences(f, [data.draw(sa), data.draw(sb)])


def test_local_grads_are_plain_floats_aligned_with_parents():
    x, w = Value(1.5, label="x"), Value(-0.7, label="w")
    y = x * w
    assert y.op == "*" and y.parents == (x, w)
    assert y.local_grads == (-0.7, 1.5)
    assert all(type(g) is float for g in y.local_grads)
    z = y.tanh()
    assert z.parents == (y,) and z.local_grads == (1 - math.tanh(y.data) ** 2,)


def test_constants_are_not_parents():
    x = Value(2.0)
    y = 3 * x + 1
    assert y.parents[0].parents == (x,) and y.parents[0].local_grads == (3.0,)
    assert len(y.parents) == 1


def test_leaf_defaults_and_repr():
    x = Value(2)
    assert type(x.data) is float and x.data == 2.0
    assert x.grad == 0.0 and x.label == "" and x.op == "" and x.parents == () and x.local_grads == ()
    assert x.is_leaf and not (x + 1).is_leaf
    assert repr(Value(1.5, label="w")) == "Value(data=1.5, grad=0.0, label='w')"


def test_sigmoid_is_stable_for_large_inputs():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    y = Value(-800.0).sigmoid()
    assert y.local_grads == (0.0,) or y.local_grads[0] >= 0.0


def test_kinks_use_zero_as_subgradient():
    assert Value(0.0).relu().local_grads == (0.0,)
    assert abs(Value(0.0)).local_grads == (0.0,)


def test_integer_power_of_negative_base():
    y = Value(-2.0) ** 3
    assert y.data == -8.0 and y.local_grads == (12.0,)


def test_division_by_tiny_numbers_does_not_underflow_the_derivative():
    b = Value(1e-200)
    y = Value(1e-200) / b
    assert y.data == 1.0 and y.local_grads[1] == -1e200


@pytest.mark.parametrize("bad", ["a", None, True, False, 1 + 2j, [1.0], object()])
def test_non_numbers_are_rejected(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


@pytest.mark.parametrize("bad", ["a", None, True, 1j])
def test_non_number_operands_are_rejected_naming_the_op(bad):
    x = Value(1.0)
    with pytest.raises(TypeError):
        x + bad
    with pytest.raises(TypeError, match=r"'\*'"):
        x.__mul__(bad)


def test_huge_int_is_a_clear_error():
    with pytest.raises(ValueError, match="too large"):
        Value(10**400)


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=r"log\(Value\(data=" + str(x)):
        Value(x).log()


def test_division_by_zero_names_the_values():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / Value(0.0, label="d")
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        2.0 / Value(0.0)


def test_negative_base_with_fractional_exponent():
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5


def test_zero_to_a_negative_power():
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1


@pytest.mark.parametrize("base", [0.0, -2.0])
def test_value_exponent_needs_positive_base(base):
    with pytest.raises(ValueError, match="base must be > 0"):
        Value(base) ** Value(2.0)
    with pytest.raises(ValueError, match="base must be > 0"):
        base ** Value(2.0)


def test_sqrt_of_negative_and_overflows():
    with pytest.raises(ValueError, match="sqrt"):
        Value(-1.0).sqrt()
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match=r"\*\*"):
        Value(10.0) ** 400


def test_slope_of_root_at_zero_is_infinite():
    assert Value(0.0).sqrt().local_grads == (math.inf,)
    assert (Value(0.0) ** 0.5).local_grads == (math.inf,)


def test_dot_checks_lengths():
    with pytest.raises(ValueError, match="same length"):
        dot([Value(1.0)], [1.0, 2.0])


def test_hook_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)
