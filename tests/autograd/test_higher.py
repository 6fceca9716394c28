"""Higher-order derivatives: the gradient as a graph, Hessians, Hessian-vector products, gradgradcheck."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, gradgradcheck, hessian, hvp
from autograd.graph import topological_order
from tests.strategies import Program, build, checked_programs, numeric_grad, torch_backend


def first_derivative(program, i):
    """x -> d root / d x_i (backward's float gradient), as a plain function of the leaf values."""

    def f(xs):
        leaves = [Value(x) for x in xs]
        return grad(build(program, leaves), leaves[i])

    return f


@given(checked_programs(max_ops=6))
@settings(max_examples=40)
# (1 + a*a) ** tanh(b) at b = 0: the exponent 0 once made d/da a constant 0, dropping d2/da db = 1
@example(Program(leaves=[1.0, 0.0], instructions=[("pow_value", (0, 1), 0.0)]))
def test_second_derivatives_of_random_graphs_match_differences_of_the_gradient(program):
    n = len(program.leaves)
    h = hessian(lambda vs: build(program, vs), program.leaves)
    for i in range(n):
        for j in range(n):
            numeric = numeric_grad(first_derivative(program, i), program.leaves, j)
            assert math.isclose(h[i][j], numeric, rel_tol=1e-5, abs_tol=1e-6), (i, j, h[i][j], numeric, program)


@given(checked_programs(max_ops=6))
@settings(max_examples=40)
def test_second_derivatives_of_random_graphs_match_pytorch(program):
    torch = pytest.importorskip("torch")
    h = hessian(lambda vs: build(program, vs), program.leaves)
    t = torch.tensor(program.leaves, dtype=torch.float64)

    def f(x):
        return build(program, list(x.unbind()), torch_backend())

    th = torch.autograd.functional.hessian(f, t)
    for i in range(len(program.leaves)):
        for j in range(len(program.leaves)):
            assert math.isclose(h[i][j], th[i][j].item(), rel_tol=1e-9, abs_tol=1e-9), (i, j, program)


@given(checked_programs(max_ops=6), st.data())
@settings(max_examples=30)
def test_hvp_equals_hessian_times_v(program, data):
    n = len(program.leaves)
    v = data.draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n, max_size=n))
    h = hessian(lambda vs: build(program, vs), program.leaves)
    hv = hvp(lambda vs: build(program, vs), program.leaves, v)
    for i in range(n):
        want = math.fsum(h[i][j] * v[j] for j in range(n))
        assert math.isclose(hv[i], want, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(("a", "b"), [(1.0, 0.0), (2.0, 0.0), (0.5, 0.0), (3.0, -0.0), (2.0, 1.0)])
def test_mixed_second_derivative_of_a_power_with_a_value_exponent(a, b):
    """d2(a**b)/da db = a**(b-1) (1 + b ln a): 1 at b = 0 whatever a; the Hessian is symmetric."""
    h = hessian(lambda vs: vs[0] ** vs[1], [a, b])
    mixed = a ** (b - 1) * (1 + b * math.log(a))
    assert math.isclose(h[0][1], mixed, rel_tol=1e-12) and h[0][1] == h[1][0]
    assert h[0][0] == pytest.approx(b * (b - 1) * a ** (b - 2), rel=1e-12, abs=1e-300)
    assert h[1][1] == pytest.approx(a ** b * math.log(a) ** 2, rel=1e-12, abs=1e-300)
    if _has_torch():
        import torch

        th = torch.autograd.functional.hessian(lambda t: t[0] ** t[1], torch.tensor([a, b], dtype=torch.float64))
        # PyTorch masks the base's derivative to a constant 0 at b = 0 (masked_fill), so its mixed entry there
        # is 0 on one side: compare where it is exact, the symmetric entry it differentiates without a mask
        assert math.isclose(h[1][0], th[1][0].item(), rel_tol=1e-12)


def test_a_constant_zero_exponent_stays_constant():
    assert hessian(lambda vs: vs[0] ** 0.0, [2.0]) == [[0.0]]
    assert hessian(lambda vs: vs[0] ** vs[1], [0.0, 0.0])[0][0] == 0.0  # base 0: PyTorch's masked 0 is kept


# third derivatives of single ops against closed forms
THIRD = [
    ("exp", lambda x: x.exp(), lambda a: math.exp(a)),
    ("log", lambda x: x.log(), lambda a: 2 / a**3),
    ("sqrt", lambda x: x.sqrt(), lambda a: 3 / 8 * a ** -2.5),
    ("tanh", lambda x: x.tanh(), lambda a: -2 * (1 - math.tanh(a) ** 2) * (1 - 3 * math.tanh(a) ** 2)),
    ("sigmoid", lambda x: x.sigmoid(),
     lambda a: (s := 1 / (1 + math.exp(-a))) * (1 - s) * (1 - 6 * s + 6 * s * s)),
    ("sin", lambda x: x.sin(), lambda a: -math.cos(a)),
    ("cos", lambda x: x.cos(), lambda a: math.sin(a)),
    ("x**3.5", lambda x: x ** 3.5, lambda a: 3.5 * 2.5 * 1.5 * a ** 0.5),
    ("2**x", lambda x: 2.0 ** x, lambda a: 2.0 ** a * math.log(2) ** 3),
    ("1/x", lambda x: 1.0 / x, lambda a: -6 / a**4),
    ("x/(1+x*x)", lambda x: x / (1 + x * x), lambda a: -6 * (a**4 - 6 * a * a + 1) / (1 + a * a) ** 4),
    ("x**x", lambda x: x ** x, None),
]


@pytest.mark.parametrize(("name", "f", "closed"), THIRD, ids=[t[0] for t in THIRD])
@pytest.mark.parametrize("a", [0.3, 0.8, 1.7])
def test_third_derivatives_of_single_ops(name, f, closed, a):
    x = Value(a, label="x")
    g1 = grad(f(x), x, create_graph=True)
    g2 = grad(g1, x, create_graph=True)
    g3 = grad(g2, x)
    if closed is None:  # x**x: compare with central differences of the (closed-form-free) second derivative
        def second(xs):
            v = Value(xs[0])
            return grad(grad(f(v), v, create_graph=True), v)

        assert math.isclose(g3, numeric_grad(second, [a], 0), rel_tol=1e-6)
    else:
        assert math.isclose(g3, closed(a), rel_tol=1e-10, abs_tol=1e-12), (name, g3, closed(a))


@pytest.mark.parametrize(("name", "f", "expected"), [("relu", lambda x: x.relu() * x.relu(), 0.0),
                                                     ("abs", lambda x: abs(x) * x, 0.0),
                                                     ("max", lambda x: autograd.max([x, x * 1.0]) * x, 2.0)])
def test_kinks_behave_as_pytorch(name, f, expected):
    """At relu/abs at 0 and max at a tie, the local derivative is a piecewise constant with derivative 0."""
    h = hessian(lambda vs: f(vs[0]), [0.0])[0][0]
    assert h == expected
    if _has_torch():
        assert h == _torch_second(name, 0.0)
    # away from the kink, the same formulas give the textbook values
    assert hessian(lambda vs: vs[0].relu() * vs[0].relu(), [1.5]) == [[2.0]]
    assert hessian(lambda vs: vs[0].relu() * vs[0].relu(), [-1.5]) == [[0.0]]


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _torch_second(name: str, a: float) -> float:
    import torch

    fs = {"relu": lambda x: torch.relu(x) * torch.relu(x), "abs": lambda x: torch.abs(x) * x,
          "max": lambda x: torch.max(torch.stack([x, x * 1.0])) * x}
    return torch.autograd.functional.hessian(fs[name], torch.tensor(a, dtype=torch.float64)).item()


def test_create_graph_gradient_is_a_graph_over_the_inputs():
    x = Value(2.0, label="x")
    y = Value(3.0, label="y")
    f = x * x * y + y.exp()
    gx, gy = grad(f, [x, y], create_graph=True)
    assert gx.data == 2 * 2.0 * 3.0 and gy.data == pytest.approx(4.0 + math.exp(3.0))
    nodes = topological_order(gx)
    assert x in nodes and y in nodes  # the derivative reaches back to the inputs
    assert grad(gx, [x, y]) == [6.0, 4.0]  # d2f/dx2 = 2y, d2f/dxdy = 2x
    assert grad(gy, [x, y]) == [4.0, pytest.approx(math.exp(3.0))]


def test_any_order():
    x = Value(0.7)
    g = x.sin()
    for k in range(1, 9):
        g = grad(g, x, create_graph=True)
        assert g.data == pytest.approx([math.cos, lambda a: -math.sin(a), lambda a: -math.cos(a),
                                        math.sin][k % 4 - 1 if k % 4 else 3](0.7), abs=1e-12)


def test_without_create_graph_grad_is_unchanged():
    x = Value(3.0)
    y = x * x
    assert grad(y, [x]) == [6.0]
    assert grad(y, x) == 6.0
    assert x.grad == 0.0


def test_backward_create_graph_fills_grads_and_returns_value_gradients():
    x = Value(3.0, label="x")
    y = x * x * x
    grads = y.backward(create_graph=True)
    assert x.grad == 27.0
    assert set(grads) == {x}
    assert grads[x].data == 27.0
    assert grad(grads[x], x) == 18.0
    assert y.backward() is None


def test_unused_input_gets_a_zero_gradient_value():
    x, z = Value(1.0), Value(2.0)
    gx, gz = grad(x * 3.0, [x, z], create_graph=True)
    assert isinstance(gz, Value) and gz.data == 0.0
    assert isinstance(gx, Value) and gx.data == 3.0


def test_hand_made_nodes_cannot_be_differentiated_twice():
    x = Value(2.0)
    node = Value(4.0, op="square", parents=(x,), local_grads=(4.0,))
    with pytest.raises(TypeError, match="square"):
        grad(node, x, create_graph=True)


def test_newton_on_quartic_converges_quadratically():
    # f(x) = x**4 - 2x**2, minimum at x = 1; Newton: x <- x - f'(x)/f''(x)
    x = 2.0
    errors = []
    for _ in range(6):
        v = Value(x)
        g1 = grad(v ** 4 - 2 * v ** 2, v, create_graph=True)
        g2 = grad(g1, v)
        assert g1.data == pytest.approx(4 * x**3 - 4 * x) and g2 == pytest.approx(12 * x * x - 4)
        x = x - g1.data / g2
        errors.append(abs(x - 1.0))
    for e0, e1 in zip(errors, errors[1:]):
        if e0 > 1e-12:
            assert e1 <= 2.0 * e0 * e0  # quadratic: the error squares (f'''(1)/(2 f''(1)) = 12/16 < 2)


def test_gradgradcheck_passes_and_reports():
    report = gradgradcheck(lambda v: (v[0] * v[1]).tanh() + v[0].exp() * v[1], [0.3, -0.4])
    assert report.ok
    assert len(report.entries) == 4
    text = str(report)
    assert text.startswith("gradgradcheck passed: 4 second derivative(s)")
    assert "d2/dx0 dx1" in text


def test_gradgradcheck_catches_a_wrong_second_derivative(monkeypatch):
    from autograd import ops

    tanh = ops.by_key("tanh")
    monkeypatch.setattr(tanh, "grads", (ops.parse_formula("1 - out * out * 0.5"),))  # the Value formula only
    report = gradgradcheck(lambda v: v[0].tanh(), [0.5])
    assert not report.ok
    assert "FAILED" in str(report)
    with pytest.raises(autograd.GradcheckError):
        gradgradcheck(lambda v: v[0].tanh(), [0.5], raise_on_failure=True)


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="callable"):
        hessian(3, [1.0])
    with pytest.raises(TypeError, match="must return a Value"):
        hessian(lambda v: 3.0, [1.0])
    with pytest.raises(ValueError, match="one entry of v per input"):
        hvp(lambda v: v[0] * v[1], [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one input"):
        hessian(lambda v: v[0], [])


def test_drawing_a_derivative_shows_its_ops():
    pytest.importorskip("graphviz")
    from autograd import draw

    x = Value(0.5, label="x")
    g = grad(x.tanh(), x, create_graph=True)
    source = draw(g).source
    for op in ("tanh", "*", "-"):
        assert f'label="{op}"' in source or f"label={op}" in source
