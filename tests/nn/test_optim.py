"""Optimizers: reference update formulas, PyTorch, mini-batch averaging, training to a stated accuracy."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, SGD, Adam, losses
from nn.data import batches, iris, moons

grad_seqs = st.lists(st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=2), min_size=1, max_size=6)


def run(opt_cls, grads: list[list[float]], start: list[float], **kw) -> list[list[float]]:
    """Apply ``opt_cls`` to fixed gradient sequences; return the parameters after each step."""
    ps = [Value(x) for x in start]
    opt = opt_cls(ps, **kw)
    history = []
    for g in grads:
        for p, gi in zip(ps, g):
            p.grad = gi
        opt.step()
        history.append([p.data for p in ps])
    return history


def test_sgd_momentum_hand_checked():
    # v1 = 0.5, w1 = 1 - 0.1*0.5 = 0.95; v2 = 0.9*0.5 - 0.25 = 0.2, w2 = 0.95 - 0.1*0.2 = 0.93
    hist = run(SGD, [[0.5], [-0.25]], [1.0], lr=0.1, momentum=0.9)
    assert hist == [[pytest.approx(0.95, abs=1e-15)], [pytest.approx(0.93, abs=1e-15)]]
    # without momentum each step is w - lr*g
    assert run(SGD, [[0.5], [-0.25]], [1.0], lr=0.1) == [[pytest.approx(0.95)], [pytest.approx(0.975)]]


def test_adam_hand_checked():
    # t=1: m = 0.1*0.5 = 0.05, v = 0.001*0.25 = 0.00025; m̂ = 0.5, v̂ = 0.25; w = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    # t=2, g = -0.25: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225
    #   m̂ = 0.02 / 0.19 , v̂ = 0.00031225 / 0.001999
    hist = run(Adam, [[0.5], [-0.25]], [1.0], lr=0.1)
    w1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    w2 = w1 - 0.1 * (0.02 / 0.19) / (math.sqrt(0.00031225 / 0.001999) + 1e-8)
    assert hist[0][0] == pytest.approx(w1, rel=1e-12)
    assert hist[1][0] == pytest.approx(w2, rel=1e-12)


@given(grads=grad_seqs, momentum=st.sampled_from([0.0, 0.5, 0.9]), lr=st.floats(1e-3, 1.0))
@settings(max_examples=30)
def test_sgd_matches_pytorch(grads, momentum, lr):
    torch = pytest.importorskip("torch")
    start = [0.3, -1.2]
    ours = run(SGD, grads, start, lr=lr, momentum=momentum)
    t = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([t], lr=lr, momentum=momentum)
    for k, g in enumerate(grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        assert ours[k] == pytest.approx(t.tolist(), rel=1e-12, abs=1e-12)


@given(grads=grad_seqs, lr=st.floats(1e-3, 1.0), b1=st.sampled_from([0.0, 0.5, 0.9]),
       b2=st.sampled_from([0.9, 0.999]), eps=st.sampled_from([1e-8, 1e-3]))
@settings(max_examples=30)
def test_adam_matches_pytorch(grads, lr, b1, b2, eps):
    torch = pytest.importorskip("torch")
    start = [0.3, -1.2]
    ours = run(Adam, grads, start, lr=lr, betas=(b1, b2), eps=eps)
    t = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([t], lr=lr, betas=(b1, b2), eps=eps)
    for k, g in enumerate(grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        assert ours[k] == pytest.approx(t.tolist(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)])
def test_steps_change_data_in_place_and_add_no_nodes(make):
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    before = [p.data for p in params]
    opt = make(params)
    model([0.5, -0.5]).backward()
    opt.step()
    assert model.parameters() == params  # the same Value objects
    assert all(p.is_leaf and p.op == "" for p in params)
    assert [p.data for p in params] != before
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in params)


def test_minibatch_mean_loss_gives_the_averaged_update_of_the_derivation():
    # w <- w - α/m Σ_x ∂L_x/∂w, with each per-sample gradient computed on its own
    data = moons(8, seed=3)
    model = MLP(2, [4, 1], seed=1)
    params = model.parameters()
    per_sample = []
    for x, y in zip(data.X, data.y):
        model.zero_grad()
        losses.binary_cross_entropy(model(x), y).backward()
        per_sample.append([p.grad for p in params])
    alpha, m = 0.3, len(data)
    expected = [p.data - alpha / m * math.fsum(g[k] for g in per_sample) for k, p in enumerate(params)]
    opt = SGD(params, lr=alpha)
    opt.zero_grad()
    losses.mean(losses.binary_cross_entropy(model(x), y) for x, y in zip(data.X, data.y)).backward()
    opt.step()
    assert [p.data for p in params] == pytest.approx(expected, rel=1e-12, abs=1e-14)


def _train(model, data, opt, epochs, batch_size, loss_fn, seed=0):
    rng = random.Random(seed)
    for _ in range(epochs):
        for idx in batches(len(data), batch_size, rng=rng):
            loss = losses.mean(loss_fn(model(data.X[i]), data.y[i]) for i in idx)
            opt.zero_grad()
            loss.backward()
            opt.step()


def test_training_on_moons_reaches_97_percent_in_20_epochs():
    data = moons(100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    _train(model, data, SGD(model.parameters(), lr=0.1, momentum=0.9), 20, 20, losses.binary_cross_entropy)
    acc = sum((model(x).data > 0) == (y == 1) for x, y in zip(data.X, data.y)) / len(data)
    assert acc >= 0.97


def test_training_on_iris_reaches_95_percent_in_30_epochs():
    data = iris()
    model = MLP(4, [8, 3], seed=0)
    _train(model, data, Adam(model.parameters(), lr=0.05), 30, 16, losses.cross_entropy)
    hits = 0
    for x, y in zip(data.X, data.y):
        scores = [o.data for o in model(x)]
        hits += scores.index(max(scores)) == y
    assert hits / len(data) >= 0.95


@pytest.mark.parametrize("make, message", [
    (lambda ps: SGD(ps, lr=0.0), "SGD's lr must be in"),
    (lambda ps: SGD(ps, lr=float("nan")), "SGD's lr must be a finite"),
    (lambda ps: SGD(ps, lr=0.1, momentum=1.0), "SGD's momentum must be in"),
    (lambda ps: Adam(ps, lr=0.1, betas=(0.9,)), "betas must be a pair"),
    (lambda ps: Adam(ps, lr=0.1, betas=(0.9, 1.0)), "beta2 must be in"),
    (lambda ps: Adam(ps, lr=0.1, eps=0.0), "eps must be in"),
    (lambda ps: SGD([], lr=0.1), "empty list of parameters"),
])
def test_bad_hyperparameters_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_non_value_parameters_are_rejected():
    with pytest.raises(TypeError, match="parameter 1 is not a Value"):
        SGD([Value(1.0), 2.0], lr=0.1)
