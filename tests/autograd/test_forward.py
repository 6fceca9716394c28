"""Forward mode (dual numbers) against reverse mode, op by op and on random programs."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd import forward as fwd
from autograd.forward import Dual, compare_modes, forward_mode_gradient, jvp, mlp_loss
from tests.strategies import Backend, build, checked_programs, numeric_grad, programs

DUAL = Backend(
    total=lambda xs: fwd.total(xs),
    dot=lambda a, b: fwd.dot(a, b),
    max_=lambda xs: fwd.max(xs),
    logsumexp=lambda xs: fwd.logsumexp(xs),
    softmax=lambda xs, j: fwd.softmax(xs)[j],
    log_softmax=lambda xs, j: fwd.log_softmax(xs)[j],
)

UNARY_METHODS = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"]
finite = st.floats(-5.0, 5.0, allow_nan=False)


def _unary(name: str, x):
    if name == "neg":
        return -x
    if name == "abs":
        return abs(x)
    return getattr(x, name)()


@pytest.mark.parametrize("name", [*UNARY_METHODS, "neg", "abs"])
@given(a=st.one_of(finite, st.sampled_from([0.0, 1.0, -1.0])))
@settings(max_examples=30)
def test_unary_tangent_is_values_local_derivative(name, a):
    """Same forward value and the same local derivative as Value, kinks included (relu'(0) = abs'(0) = 0)."""
    v = _unary(name, Value(a))
    d = _unary(name, Dual(a, 1.0))
    same = lambda x, y: x == y or (x != x and y != y)  # noqa: E731 - nan outside the domain, in both modes
    assert same(d.primal, v.data)
    assert same(d.tangent, v.local_grads[0])


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@given(a=finite, b=finite)
@settings(max_examples=30)
def test_binary_tangents_are_values_local_derivatives(op, a, b):
    if op == "/":
        assume(abs(b) > 1e-100)  # 1/b^2 must stay finite: inf * (zero tangent) is nan in either mode
    if op == "**":
        assume(a > 0.0)
        b = b / 2  # keep a**b moderate

    def apply(x, y):
        ops = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y, "**": lambda: x**y}
        return ops[op]()

    v = apply(Value(a), Value(b))
    # an infinite local derivative times a zero tangent is nan in forward mode (as in PyTorch's): skip those
    assume(all(math.isfinite(g) for g in v.local_grads))
    da = apply(Dual(a, 1.0), Dual(b, 0.0))
    db = apply(Dual(a, 0.0), Dual(b, 1.0))
    assert da.primal == pytest.approx(v.data, rel=1e-15, abs=0)
    assert da.tangent == pytest.approx(v.local_grads[0], rel=1e-14, abs=1e-300)
    assert db.tangent == pytest.approx(v.local_grads[1], rel=1e-14, abs=1e-300)


@given(a=finite, c=st.sampled_from([-2.0, -0.5, 0.5, 2.0, 3.0]))
@settings(max_examples=30)
def test_constant_operands_match_value(a, c):
    for make in (lambda x: x + c, lambda x: c - x, lambda x: x * c, lambda x: x / c, lambda x: c / (1 + x * x),
                 lambda x: (1 + x * x) ** c, lambda x: abs(c) ** x, lambda x: x ** 3):
        # (1 + x*x) and friends are several nodes for Value: compare with the full reverse gradient
        leaf = Value(a)
        out = make(leaf)
        (g,) = autograd.grad(out, [leaf])
        d = make(Dual(a, 1.0))
        assert d.primal == pytest.approx(out.data, rel=1e-14)
        assert d.tangent == pytest.approx(g, rel=1e-13, abs=1e-300)


def test_pow_edge_conventions_match_value():
    for base, p in [(0.0, 0.5), (0.0, 2.0), (2.0, 0.0), (-2.0, 3.0)]:
        v = Value(base) ** p
        d = Dual(base, 1.0) ** p
        assert d.primal == v.data
        assert d.tangent == v.local_grads[0]


@given(programs(max_leaves=4, max_ops=8), st.data())
@settings(max_examples=60)
def test_forward_mode_equals_reverse_mode_on_random_programs(program, data):
    """Every partial derivative by a forward pass with tangent e_i equals backprop's, to rounding."""
    try:
        leaves = [Value(x) for x in program.leaves]
        root = build(program, leaves)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assume(math.isfinite(root.data) and abs(root.data) < 1e8)
    reverse = autograd.grad(root, leaves)
    assume(all(math.isfinite(g) and abs(g) < 1e8 for g in reverse))

    def f(duals):
        return build(program, duals, DUAL)

    forward = forward_mode_gradient(f, program.leaves)
    for r, g in zip(reverse, forward):
        assert g == pytest.approx(r, rel=1e-9, abs=1e-9)

    # one pass in a random direction v gives the directional derivative ∇f · v
    v = data.draw(st.lists(st.floats(-1, 1), min_size=len(leaves), max_size=len(leaves)))
    value, tangent = jvp(f, program.leaves, v)
    assert value == pytest.approx(root.data, rel=1e-12, abs=1e-12)
    assert tangent == pytest.approx(math.fsum(r * vi for r, vi in zip(reverse, v)), rel=1e-8, abs=1e-8)


@given(checked_programs(max_leaves=3, max_ops=6), st.data())
@settings(max_examples=25)
def test_jvp_matches_central_differences(program, data):
    xs = program.leaves
    v = data.draw(st.lists(st.floats(-1, 1), min_size=len(xs), max_size=len(xs)))

    def along(ts):  # f(x + t v) as a function of the scalar t
        return build(program, [Value(x + ts[0] * vi) for x, vi in zip(xs, v)]).data

    _, tangent = jvp(lambda ds: build(program, ds, DUAL), xs, v)
    assert tangent == pytest.approx(numeric_grad(along, [0.0], 0), rel=1e-5, abs=1e-6)


def test_jvp_of_a_vector_function_is_a_jacobian_column():
    def f(d):
        return fwd.softmax([d[0], d[1] * 2.0, d[0] * d[1]])

    values, tangents = jvp(f, [0.3, -0.7], [1.0, 0.0])
    leaves = [Value(0.3), Value(-0.7)]
    outs = autograd.softmax([leaves[0], leaves[1] * 2.0, leaves[0] * leaves[1]])
    assert values == pytest.approx([o.data for o in outs], rel=1e-14)
    assert tangents == pytest.approx([autograd.grad(o, leaves)[0] for o in outs], rel=1e-12, abs=1e-15)
    assert math.fsum(tangents) == pytest.approx(0.0, abs=1e-15)  # softmax sums to 1 in every direction


def test_max_routes_the_tangent_to_the_first_arg_max():
    out = fwd.max([Dual(1.0, 10.0), Dual(3.0, 20.0), Dual(3.0, 30.0)])
    assert (out.primal, out.tangent) == (3.0, 20.0)
    # the same element Value's max routes its gradient to
    vs = [Value(1.0), Value(3.0), Value(3.0)]
    assert autograd.max(vs).local_grads == (0.0, 1.0, 0.0)


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="mix a Value"):
        Dual(1.0) + Value(2.0)
    with pytest.raises(TypeError, match="Dual primal"):
        Dual("1")
    with pytest.raises(ValueError, match="2 inputs and 1 tangents"):
        jvp(lambda d: d[0] * d[1], [1.0, 2.0], [1.0])
    assert (Dual(1.0) / Dual(0.0)).primal == math.inf  # the engine's policy: inf/nan, as in PyTorch
    with pytest.raises(TypeError, match="returned a Value"):
        jvp(lambda d: Value(1.0), [1.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        fwd.logsumexp([])


def test_constant_function_has_zero_tangent():
    assert jvp(lambda d: 4.0, [1.0], [1.0]) == (4.0, 0.0)


def test_compare_modes_counts_one_pass_per_input_against_one_backward_pass():
    def f(x):  # 2 ops (*, +) and 4 edges
        return x[0] * x[1] + x[2]

    report = compare_modes(f, [2.0, 3.0, 4.0], repeat=1)
    assert (report.ops, report.edges) == (2, 4)
    assert report.forward_passes == 3 and report.reverse_passes == 1
    assert report.forward_multiply_adds == 3 * report.edges
    assert report.reverse_multiply_adds == report.edges
    assert report.max_abs_difference == 0.0
    assert "forward mode" in str(report)


@pytest.mark.parametrize("sizes", [[2, 3, 1], [3, 4, 4, 1]])
def test_compare_modes_on_an_mlp_loss(sizes):
    loss, theta = mlp_loss(sizes, [0.5] * sizes[0], 1.0, seed=1)
    n_params = sum(b * (a + 1) for a, b in zip(sizes, sizes[1:]))
    assert len(theta) == n_params
    report = compare_modes(loss, theta, repeat=1)
    assert report.n_inputs == n_params
    assert report.forward_multiply_adds == n_params * report.reverse_multiply_adds
    assert report.max_abs_difference < 1e-12
    leaves = [Value(t) for t in theta]
    assert forward_mode_gradient(loss, theta) == pytest.approx(autograd.grad(loss(leaves), leaves), rel=1e-12)


def test_mlp_loss_rejects_bad_shapes():
    with pytest.raises(ValueError, match="x has 2 features"):
        mlp_loss([3, 1], [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="last size must be 1"):
        mlp_loss([2, 2], [1.0, 2.0], 0.0)
    loss, theta = mlp_loss([2, 1], [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="3 parameters, got 2"):
        loss([Value(0.0)] * 2)


@pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")  # raised inside torch's own imports
@given(checked_programs(max_leaves=3, max_ops=6), st.data())
@settings(max_examples=20)
def test_jvp_matches_pytorch_forward_mode(program, data):
    torch = pytest.importorskip("torch")
    from tests.strategies import torch_backend

    xs = program.leaves
    v = data.draw(st.lists(st.floats(-1, 1), min_size=len(xs), max_size=len(xs)))
    backend = torch_backend()

    fwad = torch.autograd.forward_ad
    with fwad.dual_level():
        duals = [fwad.make_dual(torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64))
                 for x, t in zip(xs, v)]
        ref_value, ref_tangent = fwad.unpack_dual(build(program, duals, backend))
    value, tangent = jvp(lambda ds: build(program, ds, DUAL), xs, v)
    assert value == pytest.approx(ref_value.item(), rel=1e-12, abs=1e-12)
    assert tangent == pytest.approx(ref_tangent.item(), rel=1e-9, abs=1e-9)


def test_forward_mode_works_inside_no_grad():
    from autograd import Value, no_grad
    from autograd.forward import Dual

    with no_grad():
        y = Dual(0.5, 1.0).tanh() * 3.0
        assert (Value(1.0) * 2).parents == ()  # no_grad still holds for Values around it
    assert y.tangent == 3.0 * (1 - math.tanh(0.5) ** 2)


def test_enable_grad_records_again_inside_no_grad():
    from autograd import Value, no_grad
    from autograd.modes import enable_grad

    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert (x * x).parents == (x, x)
        assert (x * x).parents == ()
