"""nn.health: per-layer gradient health, its flags, table and plot."""

from __future__ import annotations

import importlib
import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, no_grad, total
from nn import MLP, RNN, Conv2d, Flatten, HealthThresholds, Layer, Sequential, health, losses

# ``nn.health`` is the function; the module is reached through the import system
health_module = importlib.import_module("nn.health")


def _batch(n: int, nin: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    X = [[rng.uniform(-1.0, 1.0) for _ in range(nin)] for _ in range(n)]
    return X, [rng.uniform(-1.0, 1.0) for _ in range(n)]


def _backward(model: nn.Module, X: list, Y: list) -> Value:
    loss = losses.mean(losses.mse(model(x), y) for x, y in zip(X, Y))
    model.zero_grad()
    loss.backward()
    return loss


# -- the acceptance cases ------------------------------------------------------------------


def test_deep_sigmoid_mlp_flags_vanishing_in_its_first_layers() -> None:
    model = MLP(4, [8] * 9 + [1], activation="sigmoid", seed=0)
    X, Y = _batch(32, 4)
    report = health(model, loss=_backward(model, X, Y))
    vanishing = report.flagged("vanishing")
    assert "layers.0" in vanishing and "layers.1" in vanishing
    assert "layers.9" not in vanishing and "layers.8" not in vanishing
    # the flagged layers are a prefix: the gradient shrinks steadily towards the input
    assert vanishing == [f"layers.{i}" for i in range(len(vanishing))]
    rows = report.layer_rows()
    assert rows[0].mean_grad < 1e-3 * max(r.mean_grad for r in rows)
    assert not report.ok


def test_relu_network_with_a_large_negative_bias_flags_dead() -> None:
    model = MLP(3, [6, 6, 1], activation="relu", seed=1)
    for neuron in model.layers[0].neurons:
        neuron.b.data = -20.0  # no input in [-1, 1]^3 can lift the sum above 0
    X, Y = _batch(40, 3, seed=2)
    loss = _backward(model, X, Y)
    for report in (health(model, loss=loss), health(model, inputs=X)):
        assert "layers.0" in report.flagged("dead")
        assert report.layer_rows()[0].dead == 1.0
        # nothing reaches the second layer either: its inputs are all 0, so its units are silent too
        assert report.layer_rows()[1].mean_grad == 0.0


def test_a_healthy_small_tanh_mlp_flags_nothing() -> None:
    model = MLP(2, [8, 8, 1], seed=0)
    X, Y = _batch(64, 2, seed=3)
    report = health(model, loss=_backward(model, X, Y))
    assert report.flags == [] and report.ok
    assert "no flags raised" in str(report)
    assert all(r.saturated is not None and r.saturated < 0.5 for r in report.layer_rows()[:-1])


def test_every_threshold_is_documented_with_its_default() -> None:
    doc = health_module.__doc__ or ""
    defaults = HealthThresholds()
    for name in ("vanishing", "exploding", "ratio", "saturated", "dead", "tanh_limit", "sigmoid_low",
                 "sigmoid_high"):
        v = getattr(defaults, name)
        spellings = {f"{v:g}", f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")}
        assert any(re.search(rf"(?<![\d.]){re.escape(s)}(?![\d.e])", doc) for s in spellings), (name, spellings)
    for kind in ("vanishing", "exploding", "saturated", "dead"):
        assert f"``{kind}``" in doc
    assert "thresholds" in (health.__doc__ or "")
    # the table ends with the thresholds in force
    model = MLP(2, [3, 1], seed=0)
    _backward(model, *_batch(4, 2))
    text = str(health(model, thresholds=HealthThresholds(vanishing=0.125)))
    assert "vanishing < 0.125" in text


# -- the numbers -----------------------------------------------------------------------------


def test_gradient_columns_are_computed_from_the_parameters() -> None:
    model = MLP(3, [4, 2], activation="sigmoid", seed=5)
    X, Y = _batch(10, 3, seed=5)
    loss = losses.mean(losses.mse(model(x), [y, -y]) for x, y in zip(X, Y))
    loss.backward()
    report = health(model, loss=loss)
    for layer, row in zip(model.layers, report.layer_rows()):
        params = layer.parameters()
        g = [abs(p.grad) for p in params]
        assert row.n_params == len(params)
        assert math.isclose(row.mean_grad, sum(g) / len(g), rel_tol=1e-12)
        assert row.max_grad == max(g)
        ratio = math.sqrt(sum(x * x for x in g)) / math.sqrt(sum(p.data ** 2 for p in params))
        assert math.isclose(row.grad_weight_ratio, ratio, rel_tol=1e-12)


def test_gradient_reaching_the_outputs_is_read_from_the_graph() -> None:
    layer = Layer(2, 3, activation="tanh", seed=0)
    outs = [layer([0.5, -0.25]), layer([1.0, 0.75])]
    loss = total(a * (i + 1) for out in outs for i, a in enumerate(out))
    loss.backward()
    row = health(layer, loss=loss).rows[0]
    expected = sum(abs(a.grad) for out in outs for a in out) / 6
    assert math.isclose(row.mean_act_grad, expected, rel_tol=1e-12)
    assert math.isclose(expected, (1 + 2 + 3) * 2 / 6)


def test_a_weight_penalty_is_not_mistaken_for_a_layer_output() -> None:
    layer = Layer(2, 1, activation="tanh", seed=0)
    out = layer([0.5, -0.25])
    w0, w1 = layer.neurons[0].w
    loss = out[0] + losses.l2(layer.parameters(), alpha=0.5) + 3.0 * (w0 * w1) + 5.0 * (w0 + w1)
    loss.backward()
    row = health(layer, loss=loss).rows[0]
    assert row.mean_act_grad == 1.0  # the one tanh output only: d loss / d out = 1


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["tanh", "sigmoid", "relu"]), st.floats(0.5, 6.0))
def test_saturated_and_dead_fractions_match_a_count_by_hand(seed: int, activation: str, scale: float) -> None:
    model = MLP(3, [5, 4, 1], activation=activation, seed=seed)
    for p in model.parameters():
        p.data *= scale  # large weights push units into saturation (or silence)
    X, _ = _batch(12, 3, seed=seed)
    report = health(model, inputs=X)
    t = HealthThresholds()
    with no_grad():
        per_layer: list[list[list[float]]] = [[], []]
        for x in X:
            a = x
            for i in range(2):
                a = model.layers[i](a)
                per_layer[i].append([v.data for v in a])
    for i in range(2):
        row = report.layer_rows()[i]
        acts = [v for sample in per_layer[i] for v in sample]
        if activation == "relu":
            dead_units = sum(all(sample[j] <= 0.0 for sample in per_layer[i]) for j in range(len(per_layer[i][0])))
            assert row.dead == dead_units / len(per_layer[i][0]) and row.saturated is None
        elif activation == "tanh":
            assert row.saturated == sum(abs(v) > t.tanh_limit for v in acts) / len(acts) and row.dead is None
        else:
            assert row.saturated == sum(not t.sigmoid_low <= v <= t.sigmoid_high for v in acts) / len(acts)
    assert report.layer_rows()[2].saturated is None and report.layer_rows()[2].dead is None  # linear output


def test_inputs_touch_no_gradient() -> None:
    model = MLP(2, [3, 1], seed=0)
    X, Y = _batch(5, 2)
    _backward(model, X, Y)
    before = [p.grad for p in model.parameters()]
    health(model, inputs=X)
    assert [p.grad for p in model.parameters()] == before
    # inside no_grad() too: the batch's graph is recorded all the same, so the layers are found
    with no_grad():
        report = health(model, inputs=X)
    assert report.layer_rows()[0].saturated is not None


def test_saturated_tanh_layer_is_flagged() -> None:
    model = MLP(2, [6, 1], seed=0)
    for p in model.layers[0].parameters():
        p.data *= 40.0
    X, Y = _batch(30, 2, seed=4)
    report = health(model, loss=_backward(model, X, Y))
    assert report.flagged("saturated") == ["layers.0"]
    assert report.layer_rows()[0].saturated > 0.5


def test_exploding_gradients_are_flagged() -> None:
    model = MLP(2, [3, 1], seed=0)
    X, Y = _batch(4, 2)
    _backward(model, X, Y)
    model.layers[0].neurons[0].w[0].grad = math.inf
    assert health(model).flagged("exploding") == ["layers.0"]
    model.layers[0].neurons[0].w[0].grad = math.nan
    assert health(model).flagged("exploding") == ["layers.0"]
    _backward(model, X, Y)
    for p in model.layers[1].parameters():
        p.grad *= 1e6  # a step would move the output layer a million times too far
    assert "layers.1" in health(model).flagged("exploding")


def test_zero_gradients_are_reported_not_flagged() -> None:
    model = MLP(2, [3, 1], seed=0)
    report = health(model)
    assert report.flags == []
    assert "was backward() called" in str(report)


# -- other architectures --------------------------------------------------------------------


def test_rnn_report_has_one_row_per_time_step() -> None:
    rnn = RNN(1, 3, seed=0)
    seq = [[1.0], [-0.5], [0.25], [0.75], [-1.0], [0.5]]
    states = rnn(seq)
    loss = total(states[-1])  # the loss reads the last state only: BPTT carries it back step by step
    loss.backward()
    report = health(rnn, loss=loss)
    steps = [r for r in report.rows if r.step is not None]
    assert [r.step for r in steps] == [1, 2, 3, 4, 5, 6]
    assert [r.name for r in steps] == [f"RNN t={t}" for t in range(1, 7)]
    for r, hs in zip(steps, states):
        assert math.isclose(r.mean_act_grad, sum(abs(h.grad) for h in hs) / 3, rel_tol=1e-12)
    assert steps[-1].mean_act_grad == 1.0  # d(sum of h_T)/dh_T = 1
    # step t's term of dL/dW: with h_0 = 0, step 1 gives W_hh nothing; the terms add up to .grad
    weights = rnn.parameters()
    assert report.rows[0].max_grad == max(abs(p.grad) for p in weights)


def test_rnn_step_terms_sum_to_the_gradient() -> None:
    # one weight only (hidden size 1, no input), so each step's term is a single number
    rnn = RNN(1, 1, seed=3)
    rnn.weight_ih[0][0].data = 0.0
    states = rnn([[0.0]] * 5, h0=[0.8])
    loss = states[-1][0] * 1.0
    loss.backward()
    steps = [r for r in health(rnn, loss=loss).rows if r.step is not None]
    # mean|term_t| over the 4 parameters; summed over t it bounds mean|dL/dw| (triangle inequality)
    assert sum(r.mean_grad for r in steps) >= health(rnn, loss=loss).rows[0].mean_grad - 1e-15
    # the gradient reaching h_t shrinks going back: dh_{t+1}/dh_t = w_hh (1 - h_{t+1}^2), |w_hh| < 1
    g = [r.mean_act_grad for r in steps]
    assert all(a < b for a, b in zip(g, g[1:]))


def test_long_rnn_flags_its_early_steps_vanishing() -> None:
    rnn = RNN(1, 4, seed=0)
    rng = random.Random(0)
    seq = [[rng.uniform(-1, 1)] for _ in range(40)]
    loss = total(rnn(seq)[-1])
    loss.backward()
    report = health(rnn, loss=loss)
    vanishing = report.flagged("vanishing")
    assert "RNN t=1" in vanishing and "RNN t=40" not in vanishing


def test_conv_model_reports_its_conv_and_dense_layers() -> None:
    model = Sequential(Conv2d(1, 4, 3, activation="relu", seed=0), Flatten(), Layer(4 * 4 * 4, 2, "linear", seed=0))
    model.layers[0].bias[1].data = -50.0  # filter 1 never fires
    rng = random.Random(0)
    images = [[[[rng.uniform(0, 1) for _ in range(6)] for _ in range(6)]] for _ in range(6)]
    loss = losses.mean(losses.cross_entropy(model(im), k % 2) for k, im in enumerate(images))
    loss.backward()
    report = health(model, loss=loss)
    assert [r.name for r in report.rows] == ["layers.0", "layers.2"]
    assert [r.kind for r in report.rows] == ["Conv2d", "Layer"]
    conv = report.rows[0]
    assert conv.dead == 0.25  # 1 filter of 4, silent at every position of every image
    assert conv.n_params == 4 * 9 + 4


# -- output and errors -----------------------------------------------------------------------


def test_table_is_aligned_with_one_line_per_row() -> None:
    model = MLP(2, [3, 3, 1], activation="sigmoid", seed=0)
    X, Y = _batch(8, 2)
    report = health(model, loss=_backward(model, X, Y))
    lines = str(report).splitlines()
    header = lines[1]
    assert header.split()[:4] == ["layer", "type", "act", "params"]
    body = lines[2:5]
    assert [line.split()[0] for line in body] == ["layers.0", "layers.1", "layers.2"]
    # right-aligned numeric columns end where their header ends
    end = header.index("mean|dL/dw|") + len("mean|dL/dw|")
    for line in body:
        assert line[end - 1] != " " and line[end] == " "
    assert "<HealthReport" in repr(report)


def test_plot_returns_a_figure() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    model = MLP(2, [3, 1], seed=0)
    X, Y = _batch(8, 2)
    fig = health(model, loss=_backward(model, X, Y)).plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert fig.axes[0].get_yscale() == "log"
    rnn = RNN(1, 2, seed=0)
    loss = total(rnn([[1.0], [0.5], [-0.5]])[-1])
    loss.backward()
    assert len(health(rnn, loss=loss).plot().axes) == 2


def test_step_rows_without_a_loss_show_activations_only() -> None:
    rnn = RNN(1, 2, seed=0)
    report = health(rnn, inputs=[[[1.0], [0.0], [-1.0]], [[0.5], [0.5], [0.5]]])
    steps = [r for r in report.rows if r.step is not None]
    assert [r.step for r in steps] == [1, 2, 3]
    assert all(math.isnan(r.mean_grad) and r.mean_act_grad is None and r.saturated is not None for r in steps)
    assert "nan" not in str(report)


def test_hostile_names_are_plain_text() -> None:
    report = health_module.HealthReport("<script>", "x", [], HealthThresholds(), [])
    assert "<script>" in str(report)  # a terminal table: nothing is interpreted


def test_bad_arguments_raise_clear_errors() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="nn.Module"):
        health([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        health(model, loss=Value(1.0), inputs=[[0.0, 0.0]])
    with pytest.raises(TypeError, match="loss"):
        health(model, loss=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        health(model, inputs=[])
    with pytest.raises(ValueError, match="vanishing"):
        HealthThresholds(vanishing=-1.0)
    with pytest.raises(ValueError, match="sigmoid_low"):
        HealthThresholds(sigmoid_low=0.9, sigmoid_high=0.1)
    with pytest.raises(TypeError, match="HealthThresholds"):
        health(model, thresholds={"vanishing": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown flag kind"):
        health(model).flagged("slow")
    with pytest.raises(ValueError, match="no parameters"):
        health(Flatten())


def test_the_example_cnn_and_rnn_models() -> None:
    from nn.examples import Counter, digits_cnn

    cnn = digits_cnn(seed=0, channels=2)
    rng = random.Random(1)
    images = [[[[rng.uniform(0, 16) for _ in range(8)] for _ in range(8)]] for _ in range(3)]
    loss = losses.mean(losses.cross_entropy(cnn(im), k) for k, im in enumerate(images))
    loss.backward()
    report = health(cnn, loss=loss)
    assert [(r.name, r.kind, r.activation) for r in report.rows] == [
        ("layers.0", "Conv2d", "relu"), ("layers.3", "Layer", "linear")]
    assert report.rows[0].dead is not None and report.rows[0].mean_act_grad is not None

    counter = Counter(hidden_size=3, seed=0)
    seqs = [[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]]
    loss = losses.mean(losses.mse(counter(s), sum(s)) for s in seqs)
    loss.backward()
    report = health(counter, loss=loss)
    assert [r.name for r in report.rows] == ["rnn", "rnn t=1", "rnn t=2", "rnn t=3", "rnn t=4", "readout"]
    # the gradient reaching h_4 is the readout's weights times dL/dy, averaged over units and samples
    h4 = report.rows[4].mean_act_grad
    assert h4 is not None and h4 > 0
