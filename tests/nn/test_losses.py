"""Losses: gradients against central differences, values against PyTorch, stability, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import losses
from tests.strategies import numeric_grad, wide_floats

small = st.floats(-3.0, 3.0, allow_nan=False)


def vector(n_min: int = 1, n_max: int = 4):
    return st.lists(small, min_size=n_min, max_size=n_max)


def grads_match(make_loss, xs: list[float], h: float | None = None) -> None:
    """Backward gradients of ``make_loss(values)`` equal central differences at ``xs``."""
    vs = [Value(x) for x in xs]
    make_loss(vs).backward()

    def f(values: list[float]) -> float:
        return make_loss([Value(v) for v in values]).data

    for i, v in enumerate(vs):
        numeric = numeric_grad(f, xs, i, h)
        assert math.isclose(v.grad, numeric, rel_tol=1e-6, abs_tol=1e-8), (i, v.grad, numeric, xs)


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "half_sum"]))
@settings(max_examples=40)
def test_mse_gradient(data, reduction):
    xs = data.draw(vector())
    ys = data.draw(st.lists(small, min_size=len(xs), max_size=len(xs)))
    grads_match(lambda vs: losses.mse(vs, ys, reduction=reduction), xs)


@given(xs=vector(2, 5), data=st.data())
@settings(max_examples=40)
def test_cross_entropy_gradient_index_and_probabilities(xs, data):
    t = data.draw(st.integers(0, len(xs) - 1))
    grads_match(lambda vs: losses.cross_entropy(vs, t), xs)
    weights = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(xs), max_size=len(xs)))
    assume(sum(weights) > 0.1)
    probs = [w / sum(weights) for w in weights]
    probs[-1] = 1.0 - math.fsum(probs[:-1])
    assume(probs[-1] >= 0.0)
    grads_match(lambda vs: losses.cross_entropy(vs, probs), xs)


@given(z=st.floats(-8.0, 8.0), y=st.floats(0.0, 1.0))
@settings(max_examples=40)
def test_binary_cross_entropy_gradient_from_logits_and_probabilities(z, y):
    grads_match(lambda vs: losses.binary_cross_entropy(vs[0], y), [z])
    p = 1.0 / (1.0 + math.exp(-z))
    assume(1e-3 < p < 1 - 1e-3)
    # log p curves sharply near 0 and 1: keep the finite-difference step well inside
    grads_match(lambda vs: losses.binary_cross_entropy(vs[0], y, from_logits=False), [p], h=0.01 * min(p, 1 - p))


@given(s=small, y=st.sampled_from([-1.0, 1.0]))
@settings(max_examples=30)
def test_hinge_gradient(s, y):
    assume(abs(1.0 - s * y) > 1e-2)  # away from the kink
    grads_match(lambda vs: losses.hinge(vs[0], y), [s])


@given(xs=vector(1, 5), alpha=st.floats(1e-5, 1.0))
@settings(max_examples=30)
def test_l2_gradient_is_two_alpha_w(xs, alpha):
    vs = [Value(x) for x in xs]
    losses.l2(vs, alpha).backward()
    assert [v.grad for v in vs] == pytest.approx([2 * alpha * x for x in xs], rel=1e-12, abs=1e-15)
    grads_match(lambda ws: losses.l2(ws, alpha), xs)


@given(data=st.data())
@settings(max_examples=30)
def test_losses_match_pytorch(data):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xs = data.draw(vector(2, 5))
    ys = data.draw(st.lists(small, min_size=len(xs), max_size=len(xs)))
    t = data.draw(st.integers(0, len(xs) - 1))
    z, y01 = data.draw(small), data.draw(st.floats(0.0, 1.0))
    tx, ty = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    tz, tt = torch.tensor(z, dtype=torch.float64), torch.tensor(y01, dtype=torch.float64)
    pairs = [
        (losses.mse(xs, ys), F.mse_loss(tx, ty)),
        (losses.mse(xs, ys, reduction="sum"), F.mse_loss(tx, ty, reduction="sum")),
        (losses.mse(xs, ys, reduction="half_sum"), 0.5 * F.mse_loss(tx, ty, reduction="sum")),
        (losses.cross_entropy(xs, t), F.cross_entropy(tx.unsqueeze(0), torch.tensor([t]))),
        (losses.binary_cross_entropy(z, y01), F.binary_cross_entropy_with_logits(tz, tt)),
        (losses.binary_cross_entropy(1 / (1 + math.exp(-z)), y01, from_logits=False),
         F.binary_cross_entropy(torch.sigmoid(tz), tt)),
        (losses.hinge(z, 1.0), torch.relu(1 - tz)),
    ]
    for ours, theirs in pairs:
        assert ours.data == pytest.approx(theirs.item(), rel=1e-9, abs=1e-12)


def test_half_sum_mse_gives_the_derivations_output_error():
    # seed 001: L = ½ Σ (y - a)²  =>  ∂L/∂a_j = a_j - y_j
    a = [Value(0.3), Value(-0.8)]
    losses.mse(a, [1.0, 0.5], reduction="half_sum").backward()
    assert [v.grad for v in a] == pytest.approx([0.3 - 1.0, -0.8 - 0.5])


@pytest.mark.parametrize("z", [-1000.0, -40.0, 0.0, 40.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_binary_cross_entropy_from_logits_is_stable_and_exact_at_the_extremes(z, y):
    v = Value(z)
    loss = losses.binary_cross_entropy(v, y)
    loss.backward()
    softplus = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    assert loss.data == pytest.approx(softplus - y * z, rel=1e-12)
    sigmoid = 0.5 * (1 + math.tanh(z / 2))
    assert v.grad == pytest.approx(sigmoid - y, abs=1e-15)  # also at z = 0, where relu/abs kinks would not be


def test_cross_entropy_is_stable_for_huge_logits():
    zs = [Value(1000.0), Value(-1000.0), Value(999.0)]
    loss = losses.cross_entropy(zs, 2)
    loss.backward()
    assert loss.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=1e-12)
    p = 1 / (1 + math.exp(-1.0))
    assert [z.grad for z in zs] == pytest.approx([p, 0.0, (1 - p) - 1.0], abs=1e-12)


def test_binary_cross_entropy_from_probabilities_floors_log_at_minus_100():
    loss = losses.binary_cross_entropy(Value(0.0), 1.0, from_logits=False)
    assert loss.data == 100.0
    assert losses.binary_cross_entropy(Value(1.0), 1.0, from_logits=False).data == 0.0


def test_mean_averages_gradients_over_the_batch():
    w = Value(2.0)
    per_sample = [w * x for x in (1.0, 2.0, 6.0)]
    losses.mean(per_sample).backward()
    assert w.grad == pytest.approx((1.0 + 2.0 + 6.0) / 3)


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        losses.mse([1.0], [1.0], reduction="avg")
    with pytest.raises(ValueError, match="output has 2 entries but the target has 1"):
        losses.mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="target index 3 is out of range for 3 classes"):
        losses.cross_entropy([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="sum to 1"):
        losses.cross_entropy([1.0, 2.0], [0.5, 0.6])
    with pytest.raises(ValueError, match="at least 2 logits"):
        losses.cross_entropy([Value(1.0)], 0)
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\], got 2.0"):
        losses.binary_cross_entropy(Value(0.0), 2.0)
    with pytest.raises(ValueError, match="outside"):
        losses.binary_cross_entropy(Value(1.5), 1.0, from_logits=False)
    with pytest.raises(ValueError, match="-1 or \\+1, got 0"):
        losses.hinge(Value(0.5), 0)
    with pytest.raises(TypeError, match="target must be a real number"):
        losses.binary_cross_entropy(Value(0.0), True)
    with pytest.raises(ValueError, match="empty"):
        losses.mean([])


# -- cross_entropy at any scale (issue #21: cross_entropy([1e16, 1e16], 0) gave 0.0) ----------------------------------


@pytest.mark.parametrize("scale", [1e6, 1e15, 1e16, 1e100, 1e300, -1e300])
def test_cross_entropy_of_equal_large_logits_is_log_n(scale):
    for n in (2, 3):
        zs = [Value(scale) for _ in range(n)]
        loss = losses.cross_entropy(zs, 0)
        loss.backward()
        assert math.isclose(loss.data, math.log(n), rel_tol=1e-15)
        assert [z.grad for z in zs] == pytest.approx([1 / n - 1.0] + [1 / n] * (n - 1), rel=1e-15)
        assert math.isclose(losses.cross_entropy([scale] * n, [1.0 / n] * n).data, math.log(n), rel_tol=1e-15)


@given(st.lists(wide_floats(), min_size=2, max_size=6), st.data())
@settings(max_examples=60)
def test_cross_entropy_matches_pytorch_at_any_scale(zs, data):
    """Logits from 1e-300 to 1e300: values to 1e-12 relative, gradients too (floor 1e-15, see test_functional)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = data.draw(st.integers(0, len(zs) - 1))
    weights = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(zs), max_size=len(zs)).filter(lambda w: sum(w) > 0))
    probs = [w / math.fsum(weights) for w in weights]
    probs[-1] = 1.0 - math.fsum(probs[:-1])  # sums to 1 within the loss's check
    assume(probs[-1] >= 0.0)
    for target, theirs in ((t, torch.tensor([t])), (probs, torch.tensor([probs], dtype=torch.float64))):
        vs = [Value(z) for z in zs]
        loss = losses.cross_entropy(vs, target)
        loss.backward()
        tz = torch.tensor([zs], dtype=torch.float64, requires_grad=True)
        tloss = F.cross_entropy(tz, theirs)
        tloss.backward()
        assert math.isclose(loss.data, tloss.item(), rel_tol=1e-12, abs_tol=1e-15), (zs, target, loss.data)
        for v, g in zip(vs, tz.grad[0].tolist()):
            assert math.isclose(v.grad, g, rel_tol=1e-12, abs_tol=1e-15), (zs, target, v.grad, g)
