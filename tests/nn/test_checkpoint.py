"""Checkpoints: exact round trip, strict validation leaving the model unchanged, atomic saves."""

from __future__ import annotations

import json
import math
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn.checkpoint
from autograd import Value
from nn import MLP, CheckpointError, Module, Neuron, Sequential
from nn.checkpoint import FORMAT, VERSION


def bits(model: Module) -> list[bytes]:
    return [struct.pack("<d", p.data) for p in model.parameters()]


def small_model() -> MLP:
    return MLP(2, [3, 2], seed=0)


any_float = st.floats(allow_nan=False)  # every finite double, ±0.0, subnormals and ±inf


@given(values=st.lists(any_float, min_size=17, max_size=17))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip_is_bit_exact(tmp_path, values):
    model = small_model()
    assert model.num_parameters() == 17
    for p, v in zip(model.parameters(), values):
        p.data = v
    saved = bits(model)
    model.save(tmp_path / "m.json")
    other = small_model()
    other.load(tmp_path / "m.json")
    assert bits(other) == saved


def test_state_dict_round_trip_and_file_layout(tmp_path):
    model = small_model()
    path = tmp_path / "m.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["architecture"]["type"] == "MLP"
    assert data["architecture"]["config"] == {"nin": 2, "sizes": [3, 2], "activation": "tanh",
                                              "output_activation": None}
    assert data["parameters"] == model.state_dict()
    fresh = MLP(2, [3, 2], seed=1)
    fresh.load_state_dict(model.state_dict())
    assert bits(fresh) == bits(model)


def _corrupt(tmp_path, edit) -> tuple[MLP, os.PathLike]:
    """Save a model, edit the file with ``edit(data) -> text``, return a different model and the path."""
    path = tmp_path / "m.json"
    small_model().save(path)
    data = json.loads(path.read_text())
    path.write_text(edit(data))
    return MLP(2, [3, 2], seed=5), path


def _truncated(data):
    return json.dumps(data)[:-40]


def _wrong_shape(data):
    data["parameters"]["layers.0.neurons.1.w"].append(0.5)
    return json.dumps(data)


def _scalar_for_list(data):
    data["parameters"]["layers.1.neurons.0.w"] = 0.5
    return json.dumps(data)


def _other_version(data):
    data["version"] = VERSION + 1
    return json.dumps(data)


def _not_a_number(data):
    data["parameters"]["layers.1.neurons.1.b"] = "0.1"
    return json.dumps(data)


def _bool_entry(data):
    data["parameters"]["layers.0.neurons.2.w"][0] = True
    return json.dumps(data)


def _missing_name(data):
    del data["parameters"]["layers.0.neurons.0.b"]
    return json.dumps(data)


def _other_architecture(data):
    data["architecture"]["config"]["sizes"] = [4, 2]
    return json.dumps(data)


def _not_a_checkpoint(data):
    return json.dumps([1, 2, 3])


@pytest.mark.parametrize("edit, message", [
    (_truncated, "not valid JSON"),
    (_wrong_shape, r"layers\.0\.neurons\.1\.w has shape \[2\] in the model, but the file holds a list of 3"),
    (_scalar_for_list, r"layers\.1\.neurons\.0\.w has shape \[3\]"),
    (_other_version, f"format version {VERSION + 1}; this version of nn reads version {VERSION}"),
    (_not_a_number, r"layers\.1\.neurons\.1\.b should be a number, got '0.1'"),
    (_bool_entry, r"layers\.0\.neurons\.2\.w\[0\] should be a number, got True"),
    (_missing_name, r"missing layers\.0\.neurons\.0\.b"),
    (_other_architecture, "different architecture"),
    (_not_a_checkpoint, "not an nn checkpoint"),
])
def test_bad_files_raise_checkpoint_error_and_leave_the_model_unchanged(tmp_path, edit, message):
    model, path = _corrupt(tmp_path, edit)
    before = bits(model)
    with pytest.raises(CheckpointError, match=message):
        model.load(path)
    assert bits(model) == before


def test_load_state_dict_checks_everything_before_changing_anything():
    model = small_model()
    before = bits(model)
    state = MLP(2, [3, 2], seed=9).state_dict()
    state["layers.1.neurons.1.b"] = "x"  # the last slot is bad: earlier ones must stay untouched
    with pytest.raises(CheckpointError, match="should be a number"):
        model.load_state_dict(state)
    assert bits(model) == before
    with pytest.raises(CheckpointError, match="unexpected extra"):
        model.load_state_dict({**model.state_dict(), "extra": 1.0})


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        small_model().load(tmp_path / "nope.json")


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "m.json")


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_interrupted_save_leaves_the_previous_file_intact(tmp_path, monkeypatch, target):
    path = tmp_path / "m.json"
    small_model().save(path)
    previous = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash during save")

    monkeypatch.setattr(os, target, crash)
    with pytest.raises(OSError, match="simulated crash"):
        MLP(2, [3, 2], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert _leftovers(tmp_path) == []  # the temporary file is cleaned up
    small_model().load(path)


def test_failure_while_serialising_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    small_model().save(path)
    previous = path.read_bytes()

    def broken_dumps(*args, **kwargs):
        raise ValueError("cannot serialise")

    monkeypatch.setattr(nn.checkpoint.json, "dumps", broken_dumps)
    with pytest.raises(ValueError, match="cannot serialise"):
        MLP(2, [3, 2], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous and _leftovers(tmp_path) == []


class Kernel(Module):
    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.shape = list(shape)
        self.k = [[Value(float(i * shape[1] + j)) for j in range(shape[1])] for i in range(shape[0])]

    def __call__(self, x):
        return x

    def config(self):
        return {"shape": self.shape}


def test_nested_tensors_and_sequential_round_trip_and_shape_checks(tmp_path):
    model = Sequential(Kernel((2, 3)), Neuron(3, seed=0))
    path = tmp_path / "s.json"
    model.save(path)
    other = Sequential(Kernel((2, 3)), Neuron(3, seed=1))
    other.load(path)
    assert bits(other) == bits(model)

    data = json.loads(path.read_text())
    data["parameters"]["layers.0.k"][1] = [1.0, 2.0]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match=r"layers\.0\.k\[1\] has shape \[3\]"):
        other.load(path)
    with pytest.raises(CheckpointError, match="different architecture"):
        Sequential(Kernel((3, 2)), Neuron(3, seed=0)).load(tmp_path / "s.json")


def test_non_finite_values_round_trip(tmp_path):
    model = small_model()
    params = model.parameters()
    params[0].data, params[1].data, params[2].data = math.inf, -math.inf, -0.0
    model.save(tmp_path / "m.json")
    other = small_model()
    other.load(tmp_path / "m.json")
    assert bits(other) == bits(model)
