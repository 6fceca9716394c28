"""Modules: gradients against central differences and PyTorch, the Module contract, errors."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, topological_order
from nn import MLP, Layer, Module, Neuron, Sequential, losses
from tests.strategies import as_function_of, numeric_grad

SMOOTH = ["tanh", "sigmoid", "linear"]
inputs3 = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=3, max_size=3)


def _loss(model: MLP, x: list[float], target: list[float]) -> Value:
    return losses.mse(model(x), target, reduction="half_sum")


@given(
    x=inputs3,
    target=st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=2, max_size=2),
    activation=st.sampled_from(SMOOTH + ["relu"]),
    output_activation=st.sampled_from(SMOOTH + [None]),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=30)
def test_mlp_parameter_gradients_match_central_differences(x, target, activation, output_activation, seed):
    model = MLP(3, [4, 2], activation=activation, output_activation=output_activation, seed=seed)
    params = model.parameters()
    if activation == "relu":  # finite differences must not straddle a kink
        hidden = model.layers[0](x)
        assume(all(abs(h.parents[0].data) > 1e-2 for h in hidden))
    _loss(model, x, target).backward()
    analytic = [p.grad for p in params]
    start = [p.data for p in params]

    f = as_function_of(params, lambda: _loss(model, x, target))

    for i, g in enumerate(analytic):
        numeric = numeric_grad(f, start, i, h=1e-4)
        assert math.isclose(g, numeric, rel_tol=1e-5, abs_tol=1e-8), (params[i].label, g, numeric)


@given(
    x=inputs3,
    activation=st.sampled_from(["tanh", "sigmoid", "relu"]),
    output_activation=st.sampled_from(["sigmoid", None]),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=25)
def test_mlp_matches_pytorch_with_the_same_weights(x, activation, output_activation, seed):
    torch = pytest.importorskip("torch")
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, seed=seed)
    out = model(x)
    loss = losses.cross_entropy(out, 1)
    loss.backward()

    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, None: lambda t: t}
    weights = []
    h = torch.tensor(x, dtype=torch.float64)
    for k, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        weights.append((layer, W, b))
        act = acts[activation] if k < len(model.layers) - 1 else acts[output_activation]
        h = act(W @ h + b)
    tloss = torch.nn.functional.cross_entropy(h.unsqueeze(0), torch.tensor([1]))
    tloss.backward()

    assert [o.data for o in out] == pytest.approx(h.tolist(), rel=1e-12, abs=1e-12)
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12, abs=1e-12)
    for layer, W, b in weights:
        for j, n in enumerate(layer.neurons):
            assert [w.grad for w in n.w] == pytest.approx(W.grad[j].tolist(), rel=1e-9, abs=1e-12)
            assert n.b.grad == pytest.approx(b.grad[j].item(), rel=1e-9, abs=1e-12)


def test_neuron_pre_activation_is_one_dot_node_with_readable_labels():
    n = Neuron(3, activation="tanh", seed=1, label="L0.N3")
    a = n([1.0, Value(2.0, label="x1"), 3.0])
    assert a.op == "tanh" and a.label == "L0.N3.a"
    z = a.parents[0]
    assert z.op == "dot" and z.label == "L0.N3.z"
    assert set(z.parents) == {*n.w, n.b, *(p for p in z.parents if p.label == "x1")}
    assert [w.label for w in n.w] == ["L0.N3.w0", "L0.N3.w1", "L0.N3.w2"]
    assert n.b.label == "L0.N3.b"
    # every node of a forward pass is a parameter, an input, z or a
    assert len(topological_order(a)) == 3 + 1 + 1 + 2


def test_mlp_labels_layers_and_neurons_and_returns_a_value_for_one_output():
    model = MLP(2, [3, 1], seed=0)
    assert model.layers[1].neurons[0].w[2].label == "L1.N0.w2"
    assert isinstance(model([0.1, 0.2]), Value)
    assert isinstance(MLP(2, [3, 2], seed=0)([0.1, 0.2]), list)
    assert model.num_parameters() == (2 + 1) * 3 + (3 + 1) * 1


@pytest.mark.parametrize("activation, op", [("tanh", "tanh"), ("sigmoid", "sigmoid"), ("relu", "relu"),
                                            ("linear", "dot")])
def test_activation_by_name(activation, op):
    assert Neuron(2, activation=activation, seed=0)([0.3, -0.7]).op == op


def test_same_seed_same_weights_and_random_instances_are_used_as_is():
    a = MLP(2, [4, 1], seed=7)
    b = MLP(2, [4, 1], seed=7)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != MLP(2, [4, 1], seed=8).state_dict()
    rng1, rng2 = random.Random(3), random.Random(3)
    assert MLP(2, [4, 1], seed=rng1).state_dict() == MLP(2, [4, 1], seed=rng2).state_dict()
    assert rng1.random() == rng2.random()  # both consumed the same number of draws


@pytest.mark.parametrize("activation, gain", [("tanh", 1.0), ("relu", math.sqrt(2.0))])
def test_initial_weights_scale_with_fan_in(activation, gain):
    for nin in (10, 400):
        layer = Layer(nin, 50, activation=activation, seed=0)
        ws = [w.data for n in layer.neurons for w in n.w]
        assert statistics.pstdev(ws) == pytest.approx(gain / math.sqrt(nin), rel=0.1)
        assert all(n.b.data == 0.0 for n in layer.neurons)


def test_wrong_number_of_inputs_names_expected_and_given():
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Layer L0 expects 2 inputs, got 1"):
        MLP(2, [3, 1], seed=0).layers[0]([1.0])
    with pytest.raises(ValueError, match="Neuron expects 4 inputs, got 0"):
        Neuron(4, seed=0)([])
    with pytest.raises(TypeError, match="MLP needs a sequence of 2 inputs"):
        MLP(2, [1], seed=0)(5.0)


def test_unknown_activation_lists_the_valid_ones():
    for make in (lambda: Neuron(2, activation="softplus"), lambda: Layer(2, 2, activation="Tanh"),
                 lambda: MLP(2, [2], output_activation="soft")):
        with pytest.raises(ValueError) as info:
            make()
        assert all(name in str(info.value) for name in ("'tanh'", "'sigmoid'", "'relu'", "'linear'"))


@pytest.mark.parametrize("args", [(0, [1]), (2, []), (2, [3, 0]), (2, "12"), (True, [1]), (2.0, [1])])
def test_bad_sizes_are_rejected(args):
    with pytest.raises(ValueError):
        MLP(*args)


def test_bad_seed_is_rejected():
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [1], seed="abc")


class Affine(Module):
    """A hand-written module exercising the contract: tensors, children, config, private attrs."""

    def __init__(self) -> None:
        super().__init__()
        self.kernel = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
        self.bias = Value(0.5)
        self.blocks = [Neuron(2, seed=0), Neuron(2, seed=1)]
        self.sizes = [2, 2]  # configuration, ignored
        self._cache = [Value(9.0)]  # private, ignored

    def __call__(self, x):
        rows = [sum((k * xi for k, xi in zip(row, x)), self.bias) for row in self.kernel]
        return [b(rows) for b in self.blocks]


def test_module_contract_finds_tensors_and_children_and_skips_private_and_config():
    m = Affine()
    names = [name for name, _ in m.named_parameters()]
    assert names[:5] == ["kernel.0.0", "kernel.0.1", "kernel.1.0", "kernel.1.1", "bias"]
    assert names[5:] == [f"blocks.{i}.{p}" for i in (0, 1) for p in ("w.0", "w.1", "b")]
    assert m.num_parameters() == 5 + 6
    assert all(p is not m._cache[0] for p in m.parameters())
    assert m.state_dict()["kernel"] == [[1.0, 2.0], [3.0, 4.0]]
    out = m([1.0, -1.0])
    out[0].backward()
    assert m.kernel[0][0].grad != 0.0
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_module_without_call_and_mixed_attributes_fail_clearly():
    class Empty(Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty must define __call__"):
        Empty()(1.0)
    bad = Empty()
    bad.stuff = [Value(1.0), 2.0]
    with pytest.raises(TypeError, match=r"Empty\.stuff mixes"):
        bad.parameters()


def test_shared_parameters_appear_once():
    n = Neuron(2, seed=0)
    s = Sequential(n, n)
    assert len(s.parameters()) == 3
    assert len(s.state_dict()) == 4  # both slots are named, as in PyTorch


def test_sequential_chains_modules():
    a, b = Layer(2, 3, seed=0, label="A"), Layer(3, 1, activation="linear", seed=1, label="B")
    s = Sequential(a, b)
    x = [0.3, -0.2]
    assert s(x)[0].data == b(a(x))[0].data
    assert len(s) == 2 and s[1] is b and list(s) == [a, b]
    assert s.parameters() == a.parameters() + b.parameters()
    assert list(s.state_dict())[:2] == ["layers.0.neurons.0.w", "layers.0.neurons.0.b"]
    assert "Layer(nin=2, nout=3, activation='tanh')" in repr(s)
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(a, lambda v: v)
