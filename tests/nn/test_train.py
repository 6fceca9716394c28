"""Compiled training steps give the Value path's losses, on the same seeds, for an MLP, the CNN and the RNN."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn import losses
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import CompiledStep, cross_entropy, fit, flatten, mse, one_hot, unflatten


def _same_history(a: list[float], b: list[float]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15), (a, b)


def _moons(n: int, seed: int) -> list[tuple[list[float], list[float]]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t = math.pi * rng.random()
        upper = i % 2 == 0
        x = [math.cos(t), math.sin(t)] if upper else [1 - math.cos(t), 0.5 - math.sin(t)]
        out.append(([v + rng.gauss(0, 0.1) for v in x], one_hot(int(upper), 2)))
    return out


def _mlp_loss(model, batch):
    return losses.mean(cross_entropy(model(x), y) for x, y in batch)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("seed", [0, 1])
def test_mlp_fit_compiled_gives_the_same_losses(opt_name, seed):
    data = _moons(30, seed)
    histories = []
    for compiled in (False, True):
        model = MLP(2, [8, 8, 2], activation="relu", seed=seed)
        opt = SGD(model.parameters(), lr=0.1, momentum=0.9) if opt_name == "sgd" else Adam(model.parameters(), 0.02)
        histories.append(fit(model, _mlp_loss, data, opt, epochs=4, batch_size=8, rng=random.Random(seed),
                             compiled=compiled))
    _same_history(*histories)
    assert histories[1][-1] < histories[1][0]


def test_fit_pauses_the_collector_during_steps_only():
    import gc

    seen = []

    def loss_fn(model, batch):
        seen.append(gc.isenabled())
        return _mlp_loss(model, batch)

    model = MLP(2, [3, 2], seed=0)
    assert gc.isenabled()
    fit(model, loss_fn, _moons(6, 0), SGD(model.parameters(), 0.1), batch_size=3, rng=random.Random(0))
    assert seen == [False, False] and gc.isenabled()


def test_compiled_step_records_once_per_batch_shape():
    model = MLP(2, [4, 2], seed=0)
    step = CompiledStep(model, _mlp_loss)
    data = _moons(10, 0)
    for batch in (data[:4], data[4:8], data[8:]):  # shapes: 4, 4, 2 samples
        step(batch)
    assert step.recordings == 2


def test_compiled_step_adds_to_grad_like_backward():
    model = MLP(2, [3, 2], seed=3)
    batch = _moons(5, 1)
    loss = _mlp_loss(model, [(x, y) for x, y in batch])
    loss.backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    value = CompiledStep(model, _mlp_loss)(batch)
    assert value == loss.data
    assert [p.grad for p in model.parameters()] == expected


def test_cnn_compiled_gives_the_same_losses(tmp_path):
    pytest.importorskip("sklearn")
    from nn.examples import train_cnn_digits

    runs = [train_cnn_digits(epochs=2, n_train=40, n_test=10, batch_size=16, channels=2, progress=False,
                             out_dir=tmp_path / str(c), compiled=c) for c in (False, True)]
    _same_history(runs[0]["loss"], runs[1]["loss"])
    assert runs[0]["test_accuracy"] == runs[1]["test_accuracy"]


def test_rnn_compiled_gives_the_same_losses(tmp_path):
    pytest.importorskip("matplotlib")
    from nn.examples import train_rnn

    runs = [train_rnn(epochs=3, n_train=30, n_test=10, length=5, hidden_size=4, batch_size=8, progress=False,
                      out_dir=tmp_path / str(c), compiled=c) for c in (False, True)]
    _same_history(runs[0]["loss"], runs[1]["loss"])


def test_losses_with_value_targets_equal_the_nn_losses():
    logits = [Value(0.3), Value(-1.2), Value(2.0)]
    assert cross_entropy(logits, [Value(v) for v in one_hot(2, 3)]).data == losses.cross_entropy(logits, 2).data
    out = Value(1.7)
    assert mse(out, Value(3.0)).data == losses.mse(out, 3.0).data
    assert mse([out, out], [1.0, 2.0]).data == losses.mse([out, out], [1.0, 2.0]).data


@given(st.recursive(st.floats(allow_nan=False) | st.integers(-5, 5),
                    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner), max_leaves=12))
def test_flatten_unflatten_round_trip(batch):
    numbers, shape = flatten(batch)
    assert all(type(x) is float for x in numbers)
    rebuilt = unflatten(numbers, shape)

    def as_lists(x):
        return [as_lists(i) for i in x] if isinstance(x, (list, tuple)) else float(x)

    assert rebuilt == as_lists(batch)
    hash(shape)


@pytest.mark.parametrize("bad", ["1.0", True, None, {"x": 1.0}])
def test_flatten_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="numbers"):
        flatten([1.0, bad])


def test_argument_errors():
    with pytest.raises(ValueError, match="label"):
        one_hot(3, 3)
    with pytest.raises(ValueError, match="logits"):
        cross_entropy([Value(1.0)], [1.0])
    with pytest.raises(ValueError, match="targets"):
        mse([Value(1.0)], [1.0, 2.0])
    with pytest.raises(TypeError, match="Module"):
        CompiledStep(lambda x: x, _mlp_loss)
    model = MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, _mlp_loss, _moons(2, 0), SGD(model.parameters(), 0.1), epochs=0)
    with pytest.raises(ValueError, match="sample"):
        fit(model, _mlp_loss, [], SGD(model.parameters(), 0.1))
