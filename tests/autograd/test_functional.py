"""softmax, log_softmax, logsumexp and max over lists of Values."""

from __future__ import annotations

import builtins
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, log_softmax, logsumexp, max, softmax
from tests.strategies import numeric_grad, wide_floats

vectors = st.lists(st.floats(-30, 30, allow_nan=False), min_size=1, max_size=6)


def naive_logsumexp(xs):
    m = builtins.max(xs)
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


@given(vectors, st.data())
def test_softmax_family_values_and_gradients(xs, data):
    j = data.draw(st.integers(0, len(xs) - 1))
    probs = [p.data for p in softmax(xs)]
    assert math.isclose(math.fsum(probs), 1.0, rel_tol=1e-12)
    assert math.isclose(logsumexp(xs).data, naive_logsumexp(xs), rel_tol=1e-12, abs_tol=1e-12)
    for f in (lambda vs: softmax(vs)[j], lambda vs: log_softmax(vs)[j], logsumexp):
        vs = [Value(x) for x in xs]
        g = grad(f(vs), vs)
        for i in range(len(xs)):
            numeric = numeric_grad(lambda ys, f=f: f([Value(y) for y in ys]).data, xs, i, h=1e-3)
            assert math.isclose(g[i], numeric, rel_tol=1e-6, abs_tol=1e-9)


@given(vectors, st.data())
def test_softmax_family_matches_pytorch(xs, data):
    torch = pytest.importorskip("torch")
    j = data.draw(st.integers(0, len(xs) - 1))
    cases = [
        (lambda vs: softmax(vs)[j], lambda t: torch.softmax(t, 0)[j]),
        (lambda vs: log_softmax(vs)[j], lambda t: torch.log_softmax(t, 0)[j]),
        (logsumexp, lambda t: torch.logsumexp(t, 0)),
    ]
    for ours, theirs in cases:
        vs = [Value(x) for x in xs]
        out = ours(vs)
        out.backward()
        t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        tout = theirs(t)
        tout.backward()
        assert math.isclose(out.data, tout.item(), rel_tol=1e-12, abs_tol=1e-12)
        for v, tg in zip(vs, t.grad.tolist()):
            assert math.isclose(v.grad, tg, rel_tol=1e-9, abs_tol=1e-12)


def test_no_overflow_for_huge_logits():
    xs = [1000.0, 1001.0, -1000.0]
    assert math.isclose(logsumexp(xs).data, 1001.0 + math.log1p(math.exp(-1.0)), rel_tol=1e-15)
    probs = [p.data for p in softmax(xs)]
    assert math.isclose(probs[1], 1 / (1 + math.exp(-1.0)), rel_tol=1e-12) and probs[2] == 0.0
    assert log_softmax(xs)[2].data == pytest.approx(-2001.0 - math.log1p(math.exp(-1.0)))


def test_logsumexp_local_grads_are_the_softmax():
    vs = [Value(0.5), Value(-1.0), Value(2.0)]
    lse = logsumexp(vs)
    assert lse.parents == tuple(vs)
    assert lse.local_grads == pytest.approx([p.data for p in softmax(vs)], rel=1e-12)


def test_max_routes_the_gradient_to_the_arg_max():
    a, b, c = Value(1.0), Value(3.0), Value(3.0)
    m = max([a, b, 2.0, c])
    m.backward()
    assert m.data == 3.0
    assert (a.grad, b.grad, c.grad) == (0.0, 1.0, 0.0)  # first arg max wins a tie
    assert m.local_grads == (0.0, 1.0, 0.0, 0.0)


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=8))
def test_max_value_and_gradient(xs):
    vs = [Value(x) for x in xs]
    m = max(vs)
    m.backward()
    assert m.data == builtins.max(xs)
    assert [v.grad for v in vs] == [1.0 if i == xs.index(m.data) else 0.0 for i in range(len(xs))]


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, max])
def test_errors(f):
    with pytest.raises(ValueError, match="empty"):
        f([])
    with pytest.raises(TypeError, match="element 1"):
        f([Value(1.0), "x"])
    with pytest.raises(TypeError, match="list"):
        f(3.0)


# -- stability at any scale (issue #21: softmax([1e16, 1e16]) gave [1.0, 1.0]) ---------------------------------------

wide_vectors = st.lists(wide_floats(), min_size=1, max_size=6)


@pytest.mark.parametrize("scale", [1e6, 1e15, 1e16, 1e100, 1e300])
def test_equal_large_logits_split_the_probability_evenly(scale):
    for n in (2, 3, 5):
        xs = [scale] * n
        assert [p.data for p in softmax(xs)] == [1.0 / n] * n
        assert all(math.isclose(ls.data, -math.log(n), rel_tol=1e-15) for ls in log_softmax(xs))
        assert math.isclose(logsumexp(xs).data, scale + math.log(n), rel_tol=1e-15)
        assert [p.data for p in softmax([-scale] * n)] == [1.0 / n] * n


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=6), st.integers(-2**40, 2**40), st.integers(0, 900))
def test_softmax_family_is_invariant_under_an_exact_shift(ks, shift, e):
    """x and x + c give bit-identical results whenever x_i - max(x) is exact both ways (here: by construction)."""
    unit = 2.0 ** (e - 450)
    xs = [k * unit for k in ks]
    moved = [(k + shift) * unit for k in ks]
    assert [p.data for p in log_softmax(xs)] == [p.data for p in log_softmax(moved)]
    assert [p.data for p in softmax(xs)] == [p.data for p in softmax(moved)]
    for f in (lambda vs: log_softmax(vs)[0], lambda vs: softmax(vs)[-1]):
        vs, ws = [Value(x) for x in xs], [Value(x) for x in moved]
        assert grad(f(vs), vs) == grad(f(ws), ws)


@given(wide_vectors, st.data())
def test_softmax_family_matches_pytorch_at_any_scale(xs, data):
    """Values to 1e-12 relative on inputs from 1e-300 to 1e300; gradients too.

    Near 0 relative agreement means nothing, hence an absolute floor of 1e-15: a gradient entry is a
    difference of numbers of order 1 (``[i == j] - softmax_j``), and the log softmax of the largest input is
    ``0 - log Σ exp(x_j - m)`` with the sum near 1; both engines round those at about 1e-16 absolute
    (``log_softmax([1, 30, 1])[1]`` is -5.08733e-13: here -5.08704e-13, PyTorch -5.08926e-13).
    PyTorch's own logsumexp gradient is ``exp(x_i - logsumexp(x))``, which rounds like the old softmax did
    (at ``[2e4, 2e4]`` it is 0.5 + 8e-13, at ``[1e16, 1e16]`` 1.0 each): logsumexp's gradient is compared with
    PyTorch's softmax, which is what it is mathematically and what PyTorch computes stably.
    """
    torch = pytest.importorskip("torch")
    j = data.draw(st.integers(0, len(xs) - 1))
    cases = [  # (ours, PyTorch's, absolute floor for the value: a probability keeps its relative precision)
        (lambda vs: softmax(vs)[j], lambda t: torch.softmax(t, 0)[j], 1e-300),
        (lambda vs: log_softmax(vs)[j], lambda t: torch.log_softmax(t, 0)[j], 1e-15),
        (logsumexp, lambda t: torch.logsumexp(t, 0), 1e-15),
    ]
    for ours, theirs, floor in cases:
        vs = [Value(x) for x in xs]
        out = ours(vs)
        out.backward()
        t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        tout = theirs(t)
        assert math.isclose(out.data, tout.item(), rel_tol=1e-12, abs_tol=floor), (xs, out.data, tout.item())
        if ours is logsumexp:
            want = torch.softmax(t.detach(), 0).tolist()
        else:
            tout.backward()
            want = t.grad.tolist()
        for v, tg in zip(vs, want):
            assert math.isclose(v.grad, tg, rel_tol=1e-12, abs_tol=1e-15), (xs, v.grad, tg)
