"""Settings a hostile or careless caller passes: huge integers (10**400) and other non-numbers.

Every size, count, rate and seed of ``nn`` is refused with the documented
``ValueError`` (or ``TypeError`` for a seed of the wrong kind) and a message
naming the setting, at once: never ``OverflowError``, never a loop that runs
for ever, never a message Python cannot print (an int of over 4,300 digits).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import MLP, RNN, SGD, Adam, Conv2d, Layer, MaxPool2d, Neuron
from nn.data import batches, split
from nn.train import fit

huge = st.one_of(st.integers(min_value=2**1024, max_value=10**6000),
                 st.integers(min_value=-(10**6000), max_value=-(2**1024)),
                 st.sampled_from([10**400, -(10**400), 2**1024, 10**5000]))


def _params():
    return MLP(2, [2], seed=0).parameters()


def _dataset():
    from nn.data import Dataset

    return Dataset("tiny", [[0.0], [1.0], [2.0]], [0, 1, 0], 2)


# (what, call with the huge number): each must raise ValueError naming ``what``
SETTINGS = {
    "MLP's nin": lambda n: MLP(n, [1]),
    "MLP layer size 1": lambda n: MLP(2, [3, n]),
    "Neuron's nin": lambda n: Neuron(n),
    "Layer's nout": lambda n: Layer(2, n),
    "Conv2d's kernel_size": lambda n: Conv2d(1, 1, n),
    "MaxPool2d's kernel_size": lambda n: MaxPool2d(n),
    "RNN's hidden_size": lambda n: RNN(1, n),
    "SGD's lr": lambda n: SGD(_params(), lr=n),
    "SGD's momentum": lambda n: SGD(_params(), lr=0.1, momentum=n),
    "Adam's lr": lambda n: Adam(_params(), lr=n),
    "Adam's beta1": lambda n: Adam(_params(), betas=(n, 0.9)),
    "Adam's eps": lambda n: Adam(_params(), eps=n),
    "batch_size": lambda n: list(batches(3, n)),
    "batches' n": lambda n: list(batches(n, 2)),
    "test_fraction": lambda n: split(_dataset(), test_fraction=n),
    "fit's epochs": lambda n: fit(MLP(1, [1]), lambda m, b: m([b[0][0]]), [[1.0]], SGD(_params(), lr=0.1), epochs=n),
}


@given(what=st.sampled_from(sorted(SETTINGS)), number=huge)
@settings(max_examples=150, deadline=None)
def test_fuzz_huge_integers_are_value_errors_naming_the_setting(what, number):
    with pytest.raises(ValueError) as caught:
        SETTINGS[what](number)
    message = str(caught.value)
    assert message.startswith(what) or f"{what} must be" in message, message
    assert re.search(r"(a negative|an) integer of about [\d,]+ digits", message), message
    assert len(message) < 300


@pytest.mark.parametrize("seed", [1.5, "7", [1]])
def test_a_seed_of_the_wrong_kind_is_a_type_error(seed):
    with pytest.raises(TypeError, match="seed must be an int, a random.Random or None"):
        MLP(2, [1], seed=seed)


def test_a_huge_seed_is_a_valid_seed_for_models():
    """random.Random takes any int: 10**400 seeds a model (reproducibly) rather than failing."""
    a, b = MLP(2, [2], seed=10**400), MLP(2, [2], seed=10**400)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


@pytest.mark.parametrize("setting", ["epochs", "lr", "seed"])
def test_the_demo_api_refuses_huge_integers(setting, tmp_path):
    pytest.importorskip("sklearn")
    from nn.demo import fit_mlp

    with pytest.raises(ValueError, match=rf"^{setting} must be .*integer of about 401 digits"):
        fit_mlp("moons", progress=False, **{setting: 10**400})


@pytest.mark.parametrize("what, value", [("moons' n", {"n": 10**400}), ("moons' noise", {"noise": 10**400}),
                                         ("moons' seed", {"seed": 10**400}), ("digits' n", {"n": 10**400})])
def test_the_data_sets_refuse_huge_integers_before_scikit_learn_sees_them(what, value):
    from nn import data

    with pytest.raises(ValueError, match=rf"^{what} must be"):
        (data.digits if what.startswith("digits") else data.moons)(**value)
