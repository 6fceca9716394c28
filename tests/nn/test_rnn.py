"""RNN: BPTT gradients against central differences, PyTorch's nn.RNN, and the seed's sum over time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from nn import RNN
from tests.strategies import as_function_of, numeric_grad


def _seq(length: int, size: int, rng: random.Random) -> list[list[Value]]:
    return [[Value(rng.uniform(-1, 1)) for _ in range(size)] for _ in range(length)]


def _loss(states, coeffs) -> Value:
    """A scalar reading every hidden state: ``Σ_t Σ_j c_tj h_t[j]``."""
    return autograd.dot([h for step in states for h in step], coeffs)


rnn_configs = st.fixed_dictionaries({
    "input_size": st.integers(1, 3), "hidden_size": st.integers(1, 3), "length": st.integers(1, 4),
    "activation": st.sampled_from(["tanh", "relu"]), "with_h0": st.booleans(), "seed": st.integers(0, 10**6),
})


@given(rnn_configs)
@settings(max_examples=15)
def test_rnn_matches_pytorch(cfg):
    torch = pytest.importorskip("torch")
    rng = random.Random(cfg["seed"])
    n_in, n_h, T = cfg["input_size"], cfg["hidden_size"], cfg["length"]
    rnn = RNN(n_in, n_h, cfg["activation"], seed=rng)
    seq = _seq(T, n_in, rng)
    h0 = [Value(rng.uniform(-1, 1)) for _ in range(n_h)] if cfg["with_h0"] else None
    states = rnn(seq, h0)
    coeffs = [rng.uniform(-1, 1) for _ in range(T * n_h)]
    _loss(states, coeffs).backward()

    f64 = torch.float64
    ref = torch.nn.RNN(n_in, n_h, nonlinearity=cfg["activation"], dtype=f64)
    with torch.no_grad():  # copy our weights into PyTorch's (same names, same layout)
        ref.weight_ih_l0.copy_(torch.tensor([[w.data for w in row] for row in rnn.weight_ih], dtype=f64))
        ref.weight_hh_l0.copy_(torch.tensor([[w.data for w in row] for row in rnn.weight_hh], dtype=f64))
        ref.bias_ih_l0.copy_(torch.tensor([b.data for b in rnn.bias_ih], dtype=f64))
        ref.bias_hh_l0.copy_(torch.tensor([b.data for b in rnn.bias_hh], dtype=f64))
    tx = torch.tensor([[v.data for v in x] for x in seq], dtype=f64, requires_grad=True)
    th0 = torch.tensor([[v.data for v in h0] if h0 else [0.0] * n_h], dtype=f64, requires_grad=True)
    out, _ = ref(tx, th0)  # unbatched: (T, input) -> (T, hidden)
    (out.flatten() * torch.tensor(coeffs, dtype=f64)).sum().backward()

    def close(ours, theirs):
        assert ours == pytest.approx(theirs.flatten().tolist(), rel=1e-10, abs=1e-12)

    close([h.data for step in states for h in step], out.detach())
    close([w.grad for row in rnn.weight_ih for w in row], ref.weight_ih_l0.grad)
    close([w.grad for row in rnn.weight_hh for w in row], ref.weight_hh_l0.grad)
    close([b.grad for b in rnn.bias_ih], ref.bias_ih_l0.grad)
    close([b.grad for b in rnn.bias_hh], ref.bias_hh_l0.grad)
    close([v.grad for x in seq for v in x], tx.grad)
    if h0:
        close([v.grad for v in h0], th0.grad)


@given(st.integers(0, 10**6))
@settings(max_examples=10)
def test_rnn_gradients_match_central_differences(seed):
    rng = random.Random(seed)
    rnn = RNN(2, 3, seed=rng)
    seq = _seq(4, 2, rng)
    coeffs = [rng.uniform(-1, 1) for _ in range(4 * 3)]
    everything = rnn.parameters() + [v for x in seq for v in x]
    analytic = autograd.grad(_loss(rnn(seq), coeffs), everything)

    f = as_function_of(everything, lambda: _loss(rnn(seq), coeffs))

    start = [v.data for v in everything]
    for i in rng.sample(range(len(everything)), 10):
        assert analytic[i] == pytest.approx(numeric_grad(f, start, i), rel=1e-6, abs=1e-9)


def test_shared_weight_gradient_is_the_sum_over_time_steps():
    """Seed 002 (BPTT): ∂L/∂W_hh[j][i] = Σ_t ∂L/∂z_t[j] · h_{t-1}[i], one term per use of the weight."""
    rng = random.Random(1)
    rnn = RNN(2, 3, seed=rng)
    h0 = [rng.uniform(-1, 1) for _ in range(3)]
    states = rnn(_seq(5, 2, rng), h0)
    loss = states[-1][0] * states[-1][1] + states[2][2]
    loss.backward()
    z = [[h.parents[0] for h in step] for step in states]  # the pre-activations (each h_t[j] = tanh(z_t[j]))
    prev = [h0] + [[h.data for h in step] for step in states[:-1]]
    for j in range(3):
        for i in range(3):
            per_step = [z[t][j].grad * prev[t][i] for t in range(5)]
            assert rnn.weight_hh[j][i].grad == pytest.approx(sum(per_step), rel=1e-12, abs=1e-15)
        assert rnn.bias_hh[j].grad == pytest.approx(sum(z[t][j].grad for t in range(5)), rel=1e-12)
    # ∂L/∂h_t flows back through every later step: the first step still receives gradient
    assert any(h.grad != 0.0 for h in states[0])


def test_hidden_states_are_labelled_and_shaped():
    rnn = RNN(1, 2, seed=0)
    states = rnn([[1.0], [0.0], [1.0]])
    assert [len(s) for s in states] == [2, 2, 2]
    assert [h.label for h in states[1]] == ["h2[0]", "h2[1]"]
    assert rnn.num_parameters() == 2 * 1 + 2 * 2 + 2 + 2


def test_linear_activation_is_affine_in_the_input():
    rnn = RNN(1, 1, activation="linear", seed=0)
    (h,) = rnn([[2.0]])[0]
    w, b1, b2 = rnn.weight_ih[0][0].data, rnn.bias_ih[0].data, rnn.bias_hh[0].data
    assert h.data == pytest.approx(2.0 * w + b1 + b2, rel=1e-15)


def test_shape_errors_name_expected_and_given_sizes():
    rnn = RNN(3, 2)
    with pytest.raises(ValueError, match="step 1 must have size 3, got size 2"):
        rnn([[0.0, 0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="h0 must have size 2, got size 3"):
        rnn([[0.0, 0.0, 0.0]], h0=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="non-empty list"):
        rnn([])
    with pytest.raises(ValueError, match="step 0 must be a list of 3"):
        rnn([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unknown activation"):
        RNN(1, 1, activation="softsign")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        RNN(1, 0)
