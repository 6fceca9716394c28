"""nn records where each node was made: module boxes, examples, parameters, and their derivatives."""

from __future__ import annotations

import random
import threading

import pytest

import nn
from autograd import Value, modes, scope, total
from autograd import value as value_module
from autograd.hierarchy import box_derivatives, hierarchy
from nn import losses
from nn.examples import Counter, _image, digits_cnn
from tests.autograd.test_hierarchy import assert_box_derivatives_match_differences, check_tree
from tests.autograd.test_modes import run_threads


def names(box) -> list[str]:
    return [c.name for c in box.children]


def test_an_mlp_call_is_mlp_layers_and_neurons() -> None:
    model = nn.MLP(2, [3, 3, 1], seed=0)
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(xs)
    out.backward()
    top = hierarchy(out)
    check_tree(top, out)
    assert names(top) == ["MLP"] and set(top.nodes) == set(xs)  # the inputs are next to the model, not inside it
    mlp = top.find("MLP")
    assert mlp.kind == "module" and mlp.module is model and mlp.outputs == [out] and set(mlp.inputs) == set(xs)
    assert names(mlp) == ["layer 0", "layer 1", "layer 2"]
    for i, layer in enumerate(mlp.children):
        assert layer.module is model.layers[i]
        assert names(layer) == [f"neuron {j}" for j in range(len(model.layers[i].neurons))]
        for j, neuron_box in enumerate(layer.children):
            neuron = model.layers[i].neurons[j]
            assert neuron_box.module is neuron and neuron_box.path == ("MLP", f"layer {i}", f"neuron {j}")
            # its weights, bias, weighted sum and activation; the output is what it returns
            assert set(neuron_box.nodes) >= {*neuron.w, neuron.b}
            assert [n.label for n in neuron_box.nodes if n.parents][-1] == neuron._alabel or i == 2
            assert len(neuron_box.outputs) == 1
    assert set(mlp.find("layer 1").inputs) == set(mlp.find("layer 0").outputs)
    assert value_module._MODES_ACTIVE is False  # module calls never turn the per-node hook on
    assert_box_derivatives_match_differences(top)


def moons_loss(model: nn.MLP, points: int, alpha: float = 1e-4, seed: int = 0):
    rng = random.Random(seed)
    xs = [[Value(rng.uniform(-1, 1), label=f"x{k}[{i}]") for i in range(2)] for k in range(points)]
    ys = [Value(rng.choice([-1.0, 1.0]), label=f"y{k}") for k in range(points)]
    terms = [(1.0 - y * model(x)).relu() for x, y in zip(xs, ys)]
    loss = total(terms) * (1.0 / points) + alpha * total([p * p for p in model.parameters()])
    return loss, xs, ys, terms


def test_a_batch_groups_by_example_with_its_loss_terms() -> None:
    model = nn.MLP(2, [4, 4, 1], seed=1)
    loss, xs, ys, terms = moons_loss(model, 5)
    loss.backward()
    top = hierarchy(loss)
    check_tree(top, loss)
    assert names(top)[:6] == ["parameters"] + [f"example {k}" for k in range(5)]
    for k in range(5):
        ex = top.find(f"example {k}")
        assert ex.kind == "example" and names(ex) == ["MLP"]
        members = set(ex.members())
        # the example's input, target and loss term are in it, made outside the model call
        assert set(xs[k]) | {ys[k], terms[k]} <= members
        assert ex.outputs == [terms[k]]
        assert set(ex.inputs) == set(model.parameters())  # shared parameters come from outside
    params = top.find("parameters")
    assert params.module is model and names(params) == ["layer 0", "layer 1", "layer 2"]
    assert params.find("layer 0/neuron 3").module is model.layers[0].neurons[3]
    assert set(params.find("layer 0/neuron 3").nodes) == {*model.layers[0].neurons[3].w, model.layers[0].neurons[3].b}
    assert set(params.members()) == set(model.parameters())
    # the weight-decay terms and the mean are neither in an example nor in the parameters
    assert top.box_of(loss) is top
    assert_box_derivatives_match_differences(top)


def test_a_single_call_keeps_its_parameters_in_their_neurons_despite_weight_decay() -> None:
    model = nn.MLP(2, [2, 1], seed=2)
    loss, *_ = moons_loss(model, 1)
    top = hierarchy(loss)
    check_tree(top, loss)
    assert "parameters" not in names(top)
    neuron = model.layers[0].neurons[1]
    assert top.box_of(neuron.w[0]).path == ("MLP", "layer 0", "neuron 1")


def test_a_digits_cnn_is_sequential_conv_channels_pool_and_layer() -> None:
    model = digits_cnn(0, channels=3)
    rng = random.Random(0)
    batch = [([rng.random() for _ in range(64)], k) for k in range(2)]
    loss = losses.mean(losses.cross_entropy(model(_image(x)), y) for x, y in batch)
    loss.backward()
    top = hierarchy(loss)
    check_tree(top, loss)
    assert names(top) == ["parameters", "example 0", "example 1"]
    seq = top.find("example 1/Sequential")
    assert seq.module is model and names(seq) == ["conv 0", "pool 1", "layer 3"]  # Flatten makes no value
    conv = seq.find("conv 0")
    assert conv.module is model[0] and names(conv) == ["channel 0", "channel 1", "channel 2"]
    assert conv.find("channel 2").count == 2 * 36  # 6x6 dot nodes and their relus
    assert names(seq.find("pool 1")) == ["channel 0", "channel 1", "channel 2"]
    assert seq.find("pool 1/channel 0").count == 9
    assert names(seq.find("layer 3")) == [f"neuron {j}" for j in range(10)]
    assert names(top.find("parameters")) == ["conv 0", "layer 3"]
    assert set(top.find("parameters/conv 0").nodes) == set(model[0].parameters())


def test_an_rnn_is_unrolled_into_steps_that_share_the_weights() -> None:
    model = Counter(hidden_size=3, seed=0)
    out = model([1.0, 0.0, 1.0, 1.0])
    loss = (out - 3.0) ** 2
    top = hierarchy(loss)
    check_tree(top, loss)
    counter = top.find("Counter")
    assert names(counter) == ["rnn", "readout"]  # attributes keep their names
    rnn = counter.find("rnn")
    assert rnn.module is model.rnn and names(rnn) == [f"step {t}" for t in range(1, 5)]
    # W_ih, W_hh and the biases are used by every step: they sit in the RNN's box, not in a step
    assert set(rnn.nodes) == set(model.rnn.parameters())
    step3 = rnn.find("step 3")
    assert sorted(n.label for n in step3.outputs) == ["h3[0]", "h3[1]", "h3[2]"]
    assert {n.label for n in step3.inputs if n.parents} == {"h2[0]", "h2[1]", "h2[2]"}
    assert_box_derivatives_match_differences(top)


class Residual(nn.Module):
    """A user module: ``x + f(x)`` with a child held as an attribute, and a scope of its own."""

    def __init__(self) -> None:
        self.inner = nn.Layer(2, 2, activation="tanh", seed=3)

    def __call__(self, x):
        h = self.inner(x)
        with scope("skip"):
            return [a + b for a, b in zip(x, h)]


class Scaled(Residual):
    """A subclass whose call goes through its parent's: one box, not two."""

    box_name = "scaled block"

    def __call__(self, x):
        return [v * 0.5 for v in super().__call__(x)]


class Identity(nn.Module):
    def __call__(self, x):
        return x


def test_user_modules_sequential_and_pass_through_calls() -> None:
    model = nn.Sequential(Identity(), Residual(), Scaled(), nn.Layer(2, 1, activation="linear", seed=4))
    xs = [Value(0.2, label="a"), Value(-0.4, label="b")]
    out = model(xs)[0]
    top = hierarchy(out)
    check_tree(top, out)
    seq = top.find("Sequential")
    # Identity made nothing: no box, and it did not claim the inputs it returned
    assert names(seq) == ["Residual 1", "scaled block 2", "layer 3"]
    assert set(top.nodes) == set(xs)
    res = seq.find("Residual 1")
    assert names(res) == ["inner", "skip"] and res.find("skip").kind == "scope"
    assert names(res.find("inner")) == ["neuron 0", "neuron 1"]
    scaled = seq.find("scaled block 2")
    assert names(scaled) == ["inner", "skip"] and scaled.module is model[2]
    assert len(scaled.nodes) == 2  # the two products of the subclass's own call
    assert_box_derivatives_match_differences(top)


def test_a_module_call_inside_a_scope_and_a_failing_call() -> None:
    model = nn.MLP(1, [2, 1], seed=5)
    x = Value(0.7, label="x")
    with scope("forward"):
        y = model([x])
    with scope("loss"):
        loss = (y - 1.0) ** 2
    top = hierarchy(loss)
    check_tree(top, loss)
    assert names(top) == ["forward", "loss"]
    assert names(top.find("forward/MLP")) == ["layer 0", "layer 1"]
    assert top.box_of(model.layers[0].neurons[1].w[0]).path == ("forward", "MLP", "layer 0", "neuron 1")
    with pytest.raises(ValueError, match="expects 1 inputs"):
        model([x, x])
    assert modes.thread_frames() == []  # the failed call left no frame behind


def test_module_frames_are_per_thread() -> None:
    model = nn.MLP(2, [3, 1], seed=6)
    barrier = threading.Barrier(2)
    outs: dict[int, Value] = {}

    def work(k: int) -> None:
        with scope(f"thread {k}"):
            barrier.wait(timeout=30)
            outs[k] = model([Value(0.1 * k), Value(-0.2)])

    run_threads(lambda: work(0), lambda: work(1))
    for k, out in outs.items():
        top = hierarchy(out)
        assert names(top) == [f"thread {k}"] and names(top.find(f"thread {k}/MLP")) == ["layer 0", "layer 1"]
        check_tree(top, out)


def test_a_100k_node_mlp_graph_has_small_levels() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=7)
    loss, *_ = moons_loss(model, 1500)
    top = hierarchy(loss)
    assert top.count > 100_000
    widest = max(len(b.nodes) + len(b.children) for b in top.walk())
    assert widest <= 32
    chunks = [c for c in top.children if c.kind == "chunk"]
    assert chunks and all(c.children[0].kind in ("example", "chunk") for c in chunks[:1])
    ex = top.find((chunks[0].name, chunks[0].children[0].name)) if chunks[0].children[0].kind == "example" else None
    assert ex is None or names(ex) == ["MLP"]


def test_box_derivatives_of_a_collapsed_neuron_and_layer() -> None:
    model = nn.MLP(3, [2, 1], activation="sigmoid", seed=8)
    xs = [Value(0.1, label="a"), Value(0.2, label="b"), Value(-0.3, label="c")]
    out = model(xs)
    top = hierarchy(out)
    neuron = top.find("MLP/layer 0/neuron 1")
    d = box_derivatives(neuron)
    n = model.layers[0].neurons[1]
    s = neuron.outputs[0].data
    # d sigmoid(w.x + b)/d x_i = s (1 - s) w_i, with the weights inside the box
    assert set(d) == set(xs) and all(d[x] == pytest.approx(s * (1 - s) * w.data) for x, w in zip(xs, n.w))
    layer = top.find("MLP/layer 0")
    with pytest.raises(ValueError, match="has 2 outputs"):
        box_derivatives(layer)
    assert box_derivatives(layer, neuron.outputs[0]) == d


def test_recorded_graphs_are_freed_without_the_cyclic_collector() -> None:
    """Marks point from values to frames, never back: a dropped graph is freed by reference counting."""
    import gc
    import weakref

    model = digits_cnn(0, channels=2)
    rnn = Counter(hidden_size=2, seed=0)
    gc.collect()
    gc.disable()
    try:
        x = _image([0.5] * 64)
        with scope("loss"):
            loss = losses.cross_entropy(model(x), 3) + (rnn([1.0, 0.0]) - 1.0) ** 2
        loss.backward()
        refs = [weakref.ref(n) for n in (loss, *loss.parents)]
        del loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()
