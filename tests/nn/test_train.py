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
from nn.train import (
    MAX_SHAPES,
    BatchedStep,
    CompiledStep,
    FallbackWarning,
    binary_cross_entropy,
    cross_entropy,
    fit,
    flatten,
    mse,
    one_hot,
    unflatten,
)


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


# -- batched steps: one example's loss replayed over the batch --------------------------------------


def _fit_both(make_model, loss_fn, data, opt_name="sgd", epochs=2, batch_size=5, seed=0):
    """``fit`` on the Value path and with compiled=True from the same start: histories and final parameters."""
    out = []
    for compiled in (False, True):
        model = make_model()
        params = model.parameters()
        opt = SGD(params, lr=0.05, momentum=0.5) if opt_name == "sgd" else Adam(params, 0.01)
        history = fit(model, loss_fn, data, opt, epochs=epochs, batch_size=batch_size, rng=random.Random(seed),
                      compiled=compiled)
        out.append((history, [p.data for p in params]))
    return out


def _close_lists(a, b, rel=1e-12):
    scale = max([abs(x) for x in a] + [1e-300])
    assert all(math.isclose(x, y, rel_tol=rel, abs_tol=rel * scale) for x, y in zip(a, b)), (a, b)


def _mlp_case(seed):
    rng = random.Random(seed)
    data = [([rng.uniform(-1, 1) for _ in range(3)], one_hot(rng.randrange(3), 3)) for _ in range(13)]

    def make():
        return MLP(3, [6, 5, 3], activation="relu", seed=seed)

    def loss_fn(model, batch):  # relu, abs and max in every example's graph
        from autograd import max as vmax
        terms = []
        for x, y in batch:
            z = model(x)
            terms.append(cross_entropy(z, y) + abs(z[0] - z[1]) * 0.1 + vmax(z).relu() * 0.01)
        return losses.mean(terms)
    return make, loss_fn, data


def _cnn_case(seed):
    from nn.conv import Conv2d, Flatten, MaxPool2d
    from nn.module import Layer, Sequential

    rng = random.Random(seed)
    data = [([rng.uniform(0, 1) for _ in range(36)], one_hot(rng.randrange(3), 3)) for _ in range(9)]

    def make():
        return Sequential(Conv2d(1, 2, 3, activation="relu", seed=seed), MaxPool2d(2), Flatten(),
                          Layer(8, 3, activation="linear", seed=seed))

    def loss_fn(model, batch):
        return losses.mean(cross_entropy(model([[x[r * 6:(r + 1) * 6] for r in range(6)]]), y) for x, y in batch)
    return make, loss_fn, data


def _rnn_case(seed):
    from nn.rnn import RNN

    rng = random.Random(seed)
    data = [([[float(rng.random() < 0.5)] for _ in range(4)], float(rng.randrange(3))) for _ in range(11)]

    def make():
        return RNN(1, 3, activation="tanh", seed=seed)

    def loss_fn(model, batch):
        from autograd import total
        return losses.mean(abs(total(model(seq)[-1]) - y) for seq, y in batch)
    return make, loss_fn, data


@pytest.mark.parametrize("case", [_mlp_case, _cnn_case, _rnn_case])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_compiled_replays_examples_like_the_value_path(case, seed):
    """MLP, CNN, RNN with relu, max, abs: losses and parameters to 1e-12 relative after several steps."""
    make, loss_fn, data = case(seed)
    (h_value, p_value), (h_batched, p_batched) = _fit_both(make, loss_fn, data, "adam" if seed else "sgd")
    _close_lists(h_value, h_batched)
    _close_lists(p_value, p_batched, 1e-11)


def test_batched_step_records_one_example_and_finds_the_mean():
    make, loss_fn, data = _mlp_case(0)
    model = make()
    step = BatchedStep(model, loss_fn)
    for batch in (data[:4], data[4:8], data[8:]):
        model.zero_grad()
        step(batch)
    assert step.recordings == 1 and step.scale == "mean" and step.mode == "batched"


def test_a_sum_of_losses_is_recognised():
    make, _, data = _mlp_case(1)

    def summed(model, batch):
        from autograd import total
        return total(cross_entropy(model(x), y) for x, y in batch)
    (h_value, p_value), (h_batched, p_batched) = _fit_both(make, summed, data)
    _close_lists(h_value, h_batched)
    _close_lists(p_value, p_batched, 1e-11)


def test_a_regulariser_is_a_term_of_every_example_of_a_mean():
    """mean(l_b + R) = mean(l_b) + R: a regulariser added to a mean loss keeps the batched replay."""
    make, loss_fn, data = _mlp_case(2)

    def regularised(model, batch):
        return loss_fn(model, batch) + losses.l2(model.parameters(), 1e-4)
    (h_value, p_value), (h_batched, p_batched) = _fit_both(make, regularised, data)
    _close_lists(h_value, h_batched)
    _close_lists(p_value, p_batched, 1e-11)


def test_a_batch_level_term_falls_back_to_whole_batch_replay():
    make, loss_fn, data = _mlp_case(2)

    def coupled(model, batch):  # the examples' losses interact: not a mean of per-example losses
        mean = loss_fn(model, batch)
        return mean + 0.1 * mean * mean
    with pytest.warns(FallbackWarning, match="not the mean or the sum .* whole-batch compiled replay"):
        (h_value, p_value), (h_batched, p_batched) = _fit_both(make, coupled, data)
    _close_lists(h_value, h_batched)
    _close_lists(p_value, p_batched, 1e-11)


def test_a_target_needed_as_a_number_falls_back_to_the_value_path():
    make, _, data = _mlp_case(0)
    labelled = [(x, y.index(1.0)) for x, y in data]

    def by_index(model, batch):
        return losses.mean(losses.cross_entropy(model(x), label) for x, label in batch)
    with pytest.warns(FallbackWarning, match="cannot be recorded with its numbers as inputs .* Value path"):
        (h_value, _), (h_batched, _) = _fit_both(make, by_index, labelled)
    assert h_value == h_batched


def test_sequences_of_a_few_lengths_replay_per_length_and_many_lengths_fall_back():
    make, loss_fn, data = _rnn_case(0)
    rng = random.Random(0)
    two = [(seq[:rng.choice([2, 4])], y) for seq, y in data]
    (h_value, _), (h_batched, _) = _fit_both(make, loss_fn, two)
    _close_lists(h_value, h_batched)
    many = [([[float(rng.random() < 0.5)] for _ in range(n)], 1.0) for n in range(1, 2 * MAX_SHAPES)]
    with pytest.warns(FallbackWarning, match="more than .* shapes"):
        (h_value, _), (h_batched, _) = _fit_both(make, loss_fn, many, batch_size=len(many))
    _close_lists(h_value, h_batched)


def test_a_branch_on_the_data_is_replayed_per_example():
    from autograd.compiled import BatchGuardWarning

    make, _, data = _mlp_case(3)

    def branchy(model, batch):
        terms = []
        for x, y in batch:
            z = model(x)
            terms.append(cross_entropy(z, y) if x[0] > 0 else (z[0] * z[0]))  # a Python if on an input
        return losses.mean(terms)
    with pytest.warns(BatchGuardWarning):
        (h_value, p_value), (h_batched, p_batched) = _fit_both(make, branchy, data)
    _close_lists(h_value, h_batched)
    _close_lists(p_value, p_batched, 1e-11)


def test_binary_cross_entropy_with_value_targets_equals_nn_losses():
    for z in (-30.0, -1.2, 0.0, 0.7, 40.0):
        for y in (0.0, 0.25, 1.0):
            za, zb = Value(z), Value(z)
            a = losses.binary_cross_entropy(za, y)
            b = binary_cross_entropy(zb, Value(y))
            a.backward()
            b.backward()
            assert a.data == b.data and za.grad == zb.grad


def test_without_numpy_batched_steps_fall_back_to_whole_batch_replay():
    import subprocess
    import sys

    code = ("import sys, warnings; sys.modules['numpy'] = None\n"
            "from nn.module import MLP\nfrom nn.train import BatchedStep, cross_entropy, one_hot\n"
            "from nn import losses\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    loss_fn = lambda m, b: losses.mean(cross_entropy(m(x), y) for x, y in b)\n"
            "    step = BatchedStep(MLP(2, [2], seed=0), loss_fn)\n"
            "    loss = step([([0.1, 0.2], one_hot(0, 2)), ([0.3, -0.1], one_hot(1, 2))])\n"
            "print(step.mode, str(w[0].message))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("whole") and "pip install numpy" in out.stdout
