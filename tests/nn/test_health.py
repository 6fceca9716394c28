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
                 "sigmoid_high", "update_ratio"):
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
    # gradients per layer (log scale) and activations per layer
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[1].get_title().startswith("activations")
    assert len(health(model).plot().axes) == 1  # gradients only: no activations to draw
    rnn = RNN(1, 2, seed=0)
    loss = total(rnn([[1.0], [0.5], [-0.5]])[-1])
    loss.backward()
    assert len(health(rnn, loss=loss).plot().axes) == 3


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


# -- activation statistics -----------------------------------------------------------------


def _mean_std(xs: list[float]) -> tuple[float, float]:
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["tanh", "sigmoid", "relu", "linear"]))
def test_mlp_activation_mean_and_std_match_a_forward_pass_by_hand(seed: int, activation: str) -> None:
    model = MLP(3, [5, 4, 2], activation=activation, seed=seed)
    X, _ = _batch(9, 3, seed=seed)
    loss = losses.mean(losses.mse(model(x), [0.5, -0.5]) for x in X)
    loss.backward()
    by_loss, by_inputs = health(model, loss=loss), health(model, inputs=X)
    with no_grad():
        layer_outputs: list[list[float]] = [[], [], []]
        for x in X:
            a = x
            for i, layer in enumerate(model.layers):
                a = layer(a)
                layer_outputs[i] += [v.data for v in a]
    for report in (by_loss, by_inputs):
        for row, outs in zip(report.layer_rows(), layer_outputs):
            mean, std = _mean_std(outs)
            assert math.isclose(row.act_mean, mean, rel_tol=1e-9, abs_tol=1e-12)
            assert math.isclose(row.act_std, std, rel_tol=1e-9, abs_tol=1e-12)
    assert "mean a" in str(by_loss) and "std a" in str(by_loss)


def test_conv_activation_statistics_cover_every_position_and_filter() -> None:
    conv = Conv2d(1, 3, 2, activation="tanh", seed=2)
    model = Sequential(conv, Flatten(), Layer(3 * 3 * 3, 1, "linear", seed=0))
    rng = random.Random(5)
    images = [[[[rng.uniform(-2, 2) for _ in range(4)] for _ in range(4)]] for _ in range(5)]
    report = health(model, inputs=images)
    with no_grad():
        outs = [v.data for im in images for v in nn.conv.flatten(conv(im))]
    assert len(outs) == 5 * 3 * 3 * 3
    mean, std = _mean_std(outs)
    row = report.layer_rows()[0]
    assert math.isclose(row.act_mean, mean, rel_tol=1e-12) and math.isclose(row.act_std, std, rel_tol=1e-12)
    assert row.saturated == sum(abs(v) > 0.97 for v in outs) / len(outs)


def test_rnn_activation_statistics_per_step_and_over_all_steps() -> None:
    rnn = RNN(2, 3, seed=4)
    rng = random.Random(2)
    seqs = [[[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)] for _ in range(3)]
    loss = total(h for seq in seqs for h in rnn(seq)[-1])
    loss.backward()
    report = health(rnn, loss=loss)
    with no_grad():
        states = [rnn(seq) for seq in seqs]
    everything = [h.data for s in states for step in s for h in step]
    mean, std = _mean_std(everything)
    assert math.isclose(report.rows[0].act_mean, mean, rel_tol=1e-12)
    assert math.isclose(report.rows[0].act_std, std, rel_tol=1e-12)
    for t, row in enumerate(r for r in report.rows if r.step is not None):
        at_t = [h.data for s in states for h in s[t]]
        m, sd = _mean_std(at_t)
        assert math.isclose(row.act_mean, m, rel_tol=1e-12) and math.isclose(row.act_std, sd, rel_tol=1e-12)


def test_activation_statistics_show_a_signal_shrinking_through_depth() -> None:
    # tanh layers with weights scaled down: each layer multiplies the spread by about 0.3 (tanh ~ identity near 0)
    model = MLP(8, [8] * 5, activation="tanh", seed=0)
    for p in model.parameters():
        p.data *= 0.3
    X, _ = _batch(40, 8, seed=1)
    stds = [r.act_std for r in health(model, inputs=X).layer_rows()]
    assert all(b < a for a, b in zip(stds, stds[1:]))
    assert stds[-1] < 0.05 * stds[0]


# -- update-to-data ratios ----------------------------------------------------------------


def _std(xs: list[float]) -> float:
    return _mean_std(xs)[1]


def test_update_ratio_of_sgd_is_log10_of_std_lr_grad_over_std_w() -> None:
    model = MLP(3, [6, 6, 1], seed=0)
    X, Y = _batch(16, 3, seed=7)
    rec = nn.UpdateRecorder(model)
    assert list(rec.groups) == ["layers.0", "layers.1", "layers.2"]
    # the groups are the layers' weights, biases left out
    assert rec.groups["layers.0"] == [w for n in model.layers[0].neurons for w in n.w]
    opt = nn.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        _backward(model, X, Y)
        expected = {}
        for k, layer in enumerate(model.layers):
            ws = [w for n in layer.neurons for w in n.w]
            after = [w.data - 0.05 * w.grad for w in ws]
            expected[f"layers.{k}"] = math.log10(_std([0.05 * w.grad for w in ws]) / _std(after))
        opt.step()
        got = rec.record()
        for name, value in expected.items():
            assert math.isclose(got[name], value, rel_tol=1e-9, abs_tol=1e-9), name
    assert rec.steps == [1, 2, 3] and all(len(v) == 3 for v in rec.history.values())


def test_fit_feeds_the_recorder_after_every_step_on_both_paths() -> None:
    from nn.train import fit, mse

    rng = random.Random(3)
    samples = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], rng.uniform(-1, 1)) for _ in range(24)]

    def loss_fn(model: nn.Module, batch: list) -> Value:
        return losses.mean(mse(model(x), y) for x, y in batch)

    for compiled in (False, True):
        model = MLP(2, [4, 1], seed=1)
        rec = nn.UpdateRecorder(model)
        fit(model, loss_fn, samples, nn.Adam(model.parameters(), lr=0.01), epochs=2, batch_size=8,
            rng=random.Random(0), compiled=compiled, recorder=rec)
        assert rec.steps == list(range(1, 7))  # 24 samples / 8 per batch x 2 epochs
        # Adam's first steps move each weight by about lr: a ratio near log10(0.01 / std(w))
        first = rec.history["layers.0"][0]
        std_w = _std([w.data for w in rec.groups["layers.0"]])
        assert abs(first - math.log10(0.01 / std_w)) < 0.5
    with pytest.raises(TypeError, match="record"):
        fit(model, loss_fn, samples, nn.SGD(model.parameters(), lr=0.1), recorder=object())  # type: ignore[arg-type]


def test_a_learning_rate_too_high_shows_far_above_the_reference() -> None:
    model = MLP(2, [8, 8, 1], seed=0)
    X, Y = _batch(32, 2, seed=1)
    ratios = {}
    for lr in (1e-4, 1.0):
        m = MLP(2, [8, 8, 1], seed=0)
        rec = nn.UpdateRecorder(m)
        opt = nn.SGD(m.parameters(), lr=lr)
        for _ in range(5):
            _backward(m, X, Y)
            opt.step()
            rec.record()
        ratios[lr] = rec.median("layers.1")
    assert ratios[1.0] - ratios[1e-4] == pytest.approx(4.0, abs=0.5)  # 10,000x the rate: about 4 decades
    assert ratios[1.0] > -1.5 and ratios[1e-4] < -4.0  # far above and far below the reference -3
    text = str(rec)
    assert "reference -3" in text and "layers.1" in text and "decades" in text
    del model


def test_recorder_groups_of_cnn_and_rnn_models_and_custom_groups() -> None:
    from nn.examples import Counter, digits_cnn

    cnn = digits_cnn(seed=0, channels=2)
    assert list(nn.UpdateRecorder(cnn).groups) == ["layers.0", "layers.3"]
    counter = Counter(hidden_size=3, seed=0)
    rec = nn.UpdateRecorder(counter)
    assert list(rec.groups) == ["rnn", "readout"]
    assert len(rec.groups["rnn"]) == 3 * 1 + 3 * 3  # W_ih and W_hh, no biases
    custom = nn.UpdateRecorder({"first two": counter.parameters()[:2]})
    assert custom.record() == {"first two": -math.inf}  # nothing moved
    with pytest.raises(ValueError, match="at least 2"):
        nn.UpdateRecorder({"one": counter.parameters()[:1]})
    with pytest.raises(TypeError, match="Module or a mapping"):
        nn.UpdateRecorder([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a Value"):
        nn.UpdateRecorder({"x": [1.0, 2.0]})  # type: ignore[list-item]
    with pytest.raises(KeyError, match="no group"):
        rec.median("nope")
    assert "nothing recorded yet" in str(rec) and "<UpdateRecorder" in repr(rec)


def test_report_with_updates_prints_and_plots_them() -> None:
    pytest.importorskip("matplotlib")
    model = MLP(2, [4, 4, 1], seed=0)
    X, Y = _batch(16, 2)
    rec = nn.UpdateRecorder(model)
    opt = nn.SGD(model.parameters(), lr=0.1)
    for _ in range(4):
        loss = _backward(model, X, Y)
        opt.step()
        rec.record()
    loss = _backward(model, X, Y)
    report = health(model, loss=loss, updates=rec)
    assert "update-to-data ratio" in str(report)
    fig = report.plot()
    assert len(fig.axes) == 3
    ax = fig.axes[2]
    assert any(line.get_ydata()[0] == -3.0 for line in ax.get_lines())  # the reference line
    assert len(rec.plot().axes) == 1
    with pytest.raises(TypeError, match="UpdateRecorder"):
        health(model, updates="rec")  # type: ignore[arg-type]
