"""Conv2d, MaxPool2d, Flatten: gradients against central differences and PyTorch, the seed's formulas, shapes."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from nn import Conv2d, Flatten, MaxPool2d, Sequential
from nn.conv import shape_of
from tests.strategies import as_function_of, numeric_grad


def _image(c: int, h: int, w: int, rng: random.Random) -> list[list[list[Value]]]:
    return [[[Value(rng.uniform(-1, 1)) for _ in range(w)] for _ in range(h)] for _ in range(c)]


def _leaves(tree) -> list:
    return Flatten()(tree)


def _weighted_sum(out, coeffs) -> Value:
    """``Σ coeffs_k · out_k``: a scalar loss whose upstream gradients are ``coeffs``."""
    return autograd.dot(_leaves(out), coeffs)


conv_configs = st.fixed_dictionaries({
    "cin": st.integers(1, 2), "cout": st.integers(1, 2), "k": st.integers(1, 3),
    "stride": st.integers(1, 2), "padding": st.integers(0, 1),
    "h": st.integers(3, 5), "w": st.integers(3, 5), "seed": st.integers(0, 10**6),
})


@given(conv_configs)
@settings(max_examples=15)
def test_conv2d_gradients_match_central_differences(cfg):
    rng = random.Random(cfg["seed"])
    conv = Conv2d(cfg["cin"], cfg["cout"], cfg["k"], cfg["stride"], cfg["padding"], seed=rng)
    x = _image(cfg["cin"], cfg["h"], cfg["w"], rng)
    n_out = len(_leaves(conv(x)))
    coeffs = [rng.uniform(-1, 1) for _ in range(n_out)]
    params = conv.parameters()
    inputs = _leaves(x)
    everything = params + inputs

    loss = _weighted_sum(conv(x), coeffs)
    analytic = autograd.grad(loss, everything)

    f = as_function_of(everything, lambda: _weighted_sum(conv(x), coeffs))

    start = [v.data for v in everything]
    for i in rng.sample(range(len(everything)), min(12, len(everything))):
        assert analytic[i] == pytest.approx(numeric_grad(f, start, i), rel=1e-6, abs=1e-8)


def test_shared_weight_gradient_is_the_sum_over_positions():
    """Seed 002: ∂L/∂w[u][v] = Σ_{i,j} ∂L/∂y[i][j] · x[i+u][j+v] (stride 1), by hand with floats."""
    rng = random.Random(3)
    conv = Conv2d(1, 1, 2, seed=rng)
    xs = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(4)]
    y = conv([xs])
    g = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(3)]  # upstream gradients dL/dy
    _weighted_sum(y, [gij for row in g for gij in row]).backward()
    for u in range(2):
        for v in range(2):
            by_hand = sum(g[i][j] * xs[i + u][j + v] for i in range(3) for j in range(3))
            assert conv.weight[0][0][u][v].grad == pytest.approx(by_hand, rel=1e-12, abs=1e-15)
    assert conv.bias[0].grad == pytest.approx(sum(map(sum, g)), rel=1e-12)
    # one weight Value feeds every one of the 9 output nodes
    w00 = conv.weight[0][0][0][0]
    assert sum(p is w00 for row in y[0] for node in row for p in node.parents) == 9


def test_padding_adds_no_edges():
    conv = Conv2d(1, 1, 3, padding=1, seed=0)
    y = conv([[[1.0, 2.0], [3.0, 4.0]]])
    assert [len(row) for row in y[0]] == [2, 2]
    corner = y[0][0][0]  # sees 4 real pixels and 5 zeros: 4 weights + the bias as parents
    assert len(corner.parents) == 5


@given(conv_configs, st.booleans())
@settings(max_examples=15)
def test_conv2d_matches_pytorch(cfg, relu):
    torch = pytest.importorskip("torch")
    rng = random.Random(cfg["seed"])
    act = "relu" if relu else None
    conv = Conv2d(cfg["cin"], cfg["cout"], cfg["k"], cfg["stride"], cfg["padding"], activation=act, seed=rng)
    x = _image(cfg["cin"], cfg["h"], cfg["w"], rng)
    out = conv(x)
    coeffs = [rng.uniform(-1, 1) for _ in _leaves(out)]
    _weighted_sum(out, coeffs).backward()

    tx = torch.tensor([[[[v.data for v in r] for r in ch] for ch in x]], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([[[[v.data for v in r] for r in c] for c in o] for o in conv.weight],
                      dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([b.data for b in conv.bias], dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=cfg["stride"], padding=cfg["padding"])
    if relu:
        ty = torch.relu(ty)
    (ty.flatten() * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()

    assert [v.data for v in _leaves(out)] == pytest.approx(ty.detach().flatten().tolist(), rel=1e-12, abs=1e-14)
    assert [w.grad for w in _leaves(conv.weight)] == pytest.approx(tw.grad.flatten().tolist(), rel=1e-10, abs=1e-12)
    assert [b.grad for b in conv.bias] == pytest.approx(tb.grad.tolist(), rel=1e-10, abs=1e-12)
    assert [v.grad for v in _leaves(x)] == pytest.approx(tx.grad.flatten().tolist(), rel=1e-10, abs=1e-12)


@given(st.integers(1, 2), st.integers(2, 6), st.integers(2, 6), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 10**6))
@settings(max_examples=20)
def test_maxpool_matches_pytorch_and_routes_to_the_arg_max(c, h, w, k, stride, seed):
    torch = pytest.importorskip("torch")
    assume(k <= h and k <= w)
    rng = random.Random(seed)
    x = _image(c, h, w, rng)  # continuous draws: no ties
    pool = MaxPool2d(k, stride)
    out = pool(x)
    coeffs = [rng.uniform(-1, 1) for _ in _leaves(out)]
    _weighted_sum(out, coeffs).backward()

    tx = torch.tensor([[[[v.data for v in r] for r in ch] for ch in x]], dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, k, stride)
    (ty.flatten() * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert [v.data for v in _leaves(out)] == ty.detach().flatten().tolist()
    assert [v.grad for v in _leaves(x)] == pytest.approx(tx.grad.flatten().tolist(), rel=1e-12, abs=1e-15)

    # every output passes its whole upstream gradient to exactly one input, the window's max
    for node in _leaves(out):
        winners = [p for p, lg in zip(node.parents, node.local_grads) if lg != 0.0]
        assert len(winners) == 1 and winners[0].data == max(p.data for p in node.parents)


def test_maxpool_gradient_by_central_differences():
    rng = random.Random(5)
    x = _image(1, 4, 4, rng)
    leaves = _leaves(x)
    coeffs = [0.3, -1.2, 0.7, 2.0]
    analytic = autograd.grad(_weighted_sum(MaxPool2d(2)(x), coeffs), leaves)

    def f(values):
        grid = [[[values[r * 4 + q] for q in range(4)] for r in range(4)]]
        return _weighted_sum(MaxPool2d(2)([[[Value(v) for v in row] for row in grid[0]]]), coeffs).data

    for i in range(16):
        assert analytic[i] == pytest.approx(numeric_grad(f, [v.data for v in leaves], i, h=1e-6), abs=1e-8)


def test_flatten_is_row_major_like_torch():
    torch = pytest.importorskip("torch")
    x = [[[float(100 * c + 10 * i + j) for j in range(3)] for i in range(2)] for c in range(2)]
    assert Flatten()(x) == torch.tensor(x).flatten().tolist()
    assert Flatten()([[1.0]]) == [1.0]


def test_a_small_cnn_trains_end_to_end_shapes():
    model = Sequential(Conv2d(1, 2, 3, activation="relu", seed=0), MaxPool2d(2), Flatten())
    out = model([[[0.1 * (i + j) for j in range(6)] for i in range(6)]])
    assert len(out) == 2 * 2 * 2
    assert Conv2d(2, 3, 3, stride=2, padding=1).output_shape(7, 5) == (3, 4, 3)


def test_conv2d_parameters_and_state_round_trip():
    conv = Conv2d(2, 3, 2, seed=1)
    assert conv.num_parameters() == 3 * 2 * 2 * 2 + 3
    state = conv.state_dict()
    other = Conv2d(2, 3, 2, seed=2)
    other.load_state_dict(state)
    assert [p.data for p in other.parameters()] == [p.data for p in conv.parameters()]


def test_shape_errors_name_expected_and_given_shapes():
    conv = Conv2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"\[3\]\[H\]\[W\].*got \[2\]\[5\]\[5\]"):
        conv([[[0.0] * 5 for _ in range(5)] for _ in range(2)])
    with pytest.raises(ValueError, match=r"3x3 kernel does not fit .*\[3\]\[2\]\[4\]"):
        conv([[[0.0] * 4 for _ in range(2)] for _ in range(3)])
    with pytest.raises(ValueError, match="row 1 of channel 0 has 2 entries"):
        shape_of([[[0.0, 1.0, 2.0], [0.0, 1.0]]], "Conv2d")
    with pytest.raises(ValueError, match=r"\[C\]\[H\]\[W\]"):
        conv([1.0, 2.0])
    with pytest.raises(ValueError, match=r"2x2 window does not fit .*\[1\]\[1\]\[3\]"):
        MaxPool2d(2)([[[0.0, 1.0, 2.0]]])
    with pytest.raises(ValueError, match="kernel_size must be a positive int"):
        Conv2d(1, 1, 0)
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        Conv2d(1, 1, 2, padding=-1)
