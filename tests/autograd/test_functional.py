"""softmax, log_softmax, logsumexp and max over lists of Values."""

from __future__ import annotations

import builtins
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, log_softmax, logsumexp, max, softmax
from tests.strategies import numeric_grad

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
