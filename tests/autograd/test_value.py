"""Each op: its value, its local derivative against central differences, its errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
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


# -- non-finite numbers: PyTorch's policy (produce inf/nan; detect_anomaly() stops at them) ----------

INF, NAN = math.inf, math.nan

# (expression on Values, forward value, local derivatives): each row checked against PyTorch 2.13 by hand
# and, when torch is installed, by test_non_finite_results_match_pytorch below.
NON_FINITE = [
    ("log(0)", lambda a: a.log(), [0.0], -INF, [INF]),
    ("log(-1)", lambda a: a.log(), [-1.0], NAN, [-1.0]),
    ("sqrt(-1)", lambda a: a.sqrt(), [-1.0], NAN, [NAN]),
    ("sqrt(0)", lambda a: a.sqrt(), [0.0], 0.0, [INF]),
    ("exp(710)", lambda a: a.exp(), [710.0], INF, [INF]),
    ("1/0", lambda a, b: a / b, [1.0, 0.0], INF, [INF, -INF]),
    ("0/0", lambda a, b: a / b, [0.0, 0.0], NAN, [INF, NAN]),
    ("0**0.5", lambda a: a ** 0.5, [0.0], 0.0, [INF]),
    ("0**0", lambda a: a ** 0.0, [0.0], 1.0, [0.0]),
    ("0**-1", lambda a: a ** -1.0, [0.0], INF, [-INF]),
    ("(-8)**(1/3)", lambda a: a ** (1 / 3), [-8.0], NAN, [NAN]),
    ("0**b (b=2)", lambda a, b: a ** b, [0.0, 2.0], 0.0, [0.0, 0.0]),
    # the exponent's gradient where the base is 0 and the exponent >= 0: 0 (PyTorch masks 1 * log 0)
    ("0**b (b=0)", lambda a, b: a ** b, [0.0, 0.0], 1.0, [0.0, 0.0]),
    ("0**b (b=-0.0)", lambda a, b: a ** b, [0.0, -0.0], 1.0, [0.0, 0.0]),
    ("0.0**x (x=0)", lambda a: 0.0 ** a, [0.0], 1.0, [0.0]),
    ("0.0**x (x=1)", lambda a: 0.0 ** a, [1.0], 0.0, [0.0]),
    ("0.0**x (x=-1)", lambda a: 0.0 ** a, [-1.0], INF, [-INF]),
    ("(-0.0)**x (x=0)", lambda a: (-0.0) ** a, [0.0], 1.0, [0.0]),
    ("(-0.0)**x (x=-1)", lambda a: (-0.0) ** a, [-1.0], -INF, [INF]),
    # a constant exponent of +-0.5 is PyTorch's sqrt and 1/sqrt, signed zeros and NaNs included
    ("(-inf)**0.5", lambda a: a ** 0.5, [-INF], NAN, [NAN]),
    ("(-inf)**-0.5", lambda a: a ** -0.5, [-INF], NAN, [-0.0]),
    ("(-0.0)**0.5", lambda a: a ** 0.5, [-0.0], -0.0, [-INF]),
    ("(-0.0)**-0.5", lambda a: a ** -0.5, [-0.0], -INF, [-INF]),
    ("(-0.0)**1.5", lambda a: a ** 1.5, [-0.0], 0.0, [-0.0]),
    ("(-inf)**1.5", lambda a: a ** 1.5, [-INF], INF, [NAN]),
    ("inf**0.5", lambda a: a ** 0.5, [INF], INF, [0.0]),
    # a Value exponent is PyTorch's tensor ** tensor: the plain power there
    ("(-0.0)**b (b=0.5)", lambda a, b: a ** b, [-0.0, 0.5], 0.0, [INF, 0.0]),
    ("(-inf)**b (b=0.5)", lambda a, b: a ** b, [-INF, 0.5], INF, [0.0, NAN]),
    # signed zeros: a gradient is the sum of its contributions, the first one taken as is
    ("x*-0.0", lambda a: a * -0.0, [2.0], -0.0, [-0.0]),
    ("x*y (y=-0.0)", lambda a, b: a * b, [2.0, -0.0], -0.0, [-0.0, 2.0]),
    ("-0.0*x + x*0.0", lambda a: a * -0.0 + a * 0.0, [2.0], 0.0, None),
    ("(-2)**b (b=2)", lambda a, b: a ** b, [-2.0, 2.0], 4.0, [-4.0, NAN]),
    ("x**3 at 1e200", lambda a: a ** 3, [1e200], INF, [INF]),
    ("x*x*x at 1e200", lambda a: a * a * a, [1e200], INF, None),
    ("relu(nan)", lambda a: a.relu(), [NAN], NAN, [1.0]),
    ("abs(nan)", lambda a: abs(a), [NAN], NAN, [0.0]),
    ("sin(inf)", lambda a: a.sin(), [INF], NAN, [NAN]),
    ("sigmoid(inf)", lambda a: a.sigmoid(), [INF], 1.0, [0.0]),
    ("sigmoid(-inf)", lambda a: a.sigmoid(), [-INF], 0.0, [0.0]),
    ("tanh(inf)", lambda a: a.tanh(), [INF], 1.0, [0.0]),
    ("max(1, nan, 2)", lambda *xs: autograd.max(xs), [1.0, NAN, 2.0], NAN, [0.0, 1.0, 0.0]),
    ("max(nan, 1)", lambda *xs: autograd.max(xs), [NAN, 1.0], NAN, [1.0, 0.0]),
    ("logsumexp(-inf, -inf)", lambda *xs: autograd.logsumexp(xs), [-INF, -INF], -INF, [NAN, NAN]),
    ("logsumexp(inf, 1)", lambda *xs: autograd.logsumexp(xs), [INF, 1.0], INF, [NAN, 0.0]),
]


def _same(x: float, y: float) -> bool:
    """Equal as IEEE numbers, NaN equal to NaN and a zero's sign compared too."""
    return (x != x and y != y) or (x == y and math.copysign(1.0, x) == math.copysign(1.0, y))


@pytest.mark.parametrize(("name", "f", "xs", "value", "local"), NON_FINITE, ids=[row[0] for row in NON_FINITE])
def test_non_finite_results_follow_pytorch(name, f, xs, value, local):
    out = f(*[Value(x) for x in xs])
    assert _same(out.data, value), name
    if local is not None:
        assert len(out.local_grads) == len(local)
        assert all(_same(g, w) for g, w in zip(out.local_grads, local)), (name, out.local_grads)


@pytest.mark.parametrize(("name", "f", "xs", "value", "local"), NON_FINITE, ids=[row[0] for row in NON_FINITE])
def test_non_finite_results_match_pytorch(name, f, xs, value, local):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    if name.startswith("max"):
        y = torch.max(torch.stack(ts))
    elif name.startswith("logsumexp"):
        y = torch.logsumexp(torch.stack(ts), 0)
    else:
        y = f(*ts)
    y.backward()
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    assert _same(out.data, y.item())
    for v, t in zip(vs, ts):
        assert _same(v.grad, t.grad.item()), (name, v.grad, t.grad.item())


def test_anomaly_mode_stops_at_the_first_non_finite_value():
    from autograd import AnomalyError, detect_anomaly

    with detect_anomaly():
        with pytest.raises(AnomalyError, match="log"):
            Value(0.0).log()
        with pytest.raises(AnomalyError, match="relu"):
            Value(NAN).relu()


def test_slope_of_root_at_zero_is_infinite():
    assert Value(0.0).sqrt().local_grads == (math.inf,)
    assert (Value(0.0) ** 0.5).local_grads == (math.inf,)


def test_dot_checks_lengths():
    with pytest.raises(ValueError, match="same length"):
        dot([Value(1.0)], [1.0, 2.0])


def test_hook_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)


# -- a Value behaves like its number where Python asks for one ------------------------------------


def test_python_number_protocol():
    v = Value(2.5, label="v")
    assert float(v) == 2.5 and v.item() == 2.5
    assert f"{v:.3f}" == "2.500" and format(v, "") == str(v)
    assert math.exp(v) == math.exp(2.5)
    assert bool(Value(0.0)) is False and bool(v) is True and bool(Value(math.nan)) is True


def test_orderings_compare_data_and_return_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= b) is True and (a > b) is False and (a >= b) is False
    assert (a < 1.5) is True and (1.5 < b) is True and (a >= 1) is True
    values = [Value(3.0), a, b]
    assert max(values) is values[0] and min(values) is a
    assert sorted(values) == [a, b, values[0]]
    with pytest.raises(TypeError, match="'<'"):
        a < "x"  # noqa: B015


def test_equality_and_hash_stay_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_constructor_checks_its_arguments_at_once():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=None)
    with pytest.raises(TypeError, match="op must be a str"):
        Value(1.0, op=3)
    x = Value(1.0)
    with pytest.raises(ValueError, match="one local derivative per parent: got 2 parent"):
        Value(2.0, op="f", parents=(x, x), local_grads=(1.0,))
    with pytest.raises(TypeError, match="parent 0 .* must be a Value"):
        Value(2.0, op="f", parents=(1.0,), local_grads=(1.0,))
    with pytest.raises(TypeError, match="local derivative 0"):
        Value(2.0, op="f", parents=(x,), local_grads=("a",))
    with pytest.raises(TypeError, match="sequences"):
        Value(2.0, op="f", parents=x, local_grads=(1.0,))
    node = Value(2.0, op="f", parents=[x], local_grads=[3])  # sequences become tuples, numbers floats
    assert node.parents == (x,) and node.local_grads == (3.0,) and type(node.local_grads[0]) is float


def test_dir_lists_only_public_names():
    names = dir(autograd)
    assert "Value" in names and "draw" in names and "hessian" in names
    assert not [n for n in names if n.startswith("_")]
    assert "importlib" not in names and "Any" not in names
    assert set(names) == {*autograd.__all__, "max", "compile"}  # those two are not star names
    for name in names:
        assert getattr(autograd, name) is not None


def test_grad_of_a_single_value_is_a_float():
    x = Value(3.0)
    assert autograd.grad(x * x, x) == 6.0
    assert autograd.grad(x * x, [x]) == [6.0]
