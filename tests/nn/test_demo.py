"""The demo command end to end (few epochs), its options and errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types

import pytest

from nn import MLP
from nn.demo import main, train_mlp

HAS_DRAWING = importlib.util.find_spec("autograd.drawing") is not None


def test_moons_demo_writes_its_files_and_reports_them(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--epochs", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = {"loss.png", "decision_boundary.png", "model.json", "metrics.json"}
    if HAS_DRAWING:
        expected.add("neuron.svg")
        assert (out / "neuron.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
        assert "L0.N0.w0" in (out / "neuron.svg").read_text()
    else:
        assert "skipped neuron.svg" in printed
    assert {p.name for p in out.iterdir()} == expected
    for png in ("loss.png", "decision_boundary.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["loss"]) == 3 and set(metrics["files"]) == expected
    assert 0.0 <= metrics["train_accuracy"] <= 1.0
    assert f"train accuracy: {metrics['train_accuracy']:.4f}" in printed
    assert str(out.resolve()) in printed and "model.json" in printed
    model = MLP(2, [16, 16, 1])
    model.load(out / "model.json")  # the checkpoint restores the trained model


def test_default_moons_settings_reach_97_percent_quickly(tmp_path):
    metrics = train_mlp("moons", epochs=25, out_dir=tmp_path, progress=False)
    assert metrics["train_accuracy"] >= 0.97
    assert metrics["train_seconds"] < 20


def test_iris_demo_skips_the_decision_boundary(tmp_path, capsys):
    assert main(["--dataset", "iris", "--epochs", "2", "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert "decision_boundary.png" not in names and {"loss.png", "metrics.json", "model.json"} <= names
    assert "test accuracy" in capsys.readouterr().out


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "nn", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--dataset", "--model", "--epochs", "--lr", "--seed", "--out", "moons", "iris", "digits"):
        assert option in result.stdout


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "mnist"], "invalid choice"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--lr", "-1"], "--lr must be > 0"),
    (["--model", "rnn", "--dataset", "moons"], "--dataset does not apply"),
    (["--model", "cnn", "--dataset", "iris"], "cnn trains on digits"),
])
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_cnn_and_rnn_run_the_examples_and_print_their_metrics(tmp_path, monkeypatch, capsys):
    calls = []

    def fake(name):
        def train(epochs, lr, seed, out_dir, progress=True):
            calls.append((name, epochs, lr, seed))
            (out_dir / f"{name}.png").write_bytes(b"x")
            return {"loss": [2.0, 1.5], "train_accuracy": 0.75, "test_accuracy": 0.5}
        return train

    examples = types.ModuleType("nn.examples")
    examples.train_cnn_digits = fake("cnn")

    def train_rnn(epochs=7, lr=0.2, seed=0, out_dir=None, progress=True):  # its own defaults win when unset
        calls.append(("rnn", epochs, lr, seed))
        return {"loss": [1.0]}

    examples.train_rnn = train_rnn
    monkeypatch.setitem(sys.modules, "nn.examples", examples)
    assert main(["--model", "cnn", "--epochs", "2", "--lr", "0.1", "--seed", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert calls == [("cnn", 2, 0.1, 3)]
    assert "final loss: 1.5000" in printed and "test accuracy: 0.5000" in printed
    assert "cnn.png" in printed and "metrics.json" in printed
    assert json.loads((tmp_path / "metrics.json").read_text())["train_accuracy"] == 0.75
    assert main(["--model", "rnn", "--out", str(tmp_path)]) == 0
    assert calls[-1] == ("rnn", 7, 0.2, 0)
    assert main(["--model", "cnn", "--out", str(tmp_path)]) == 0  # no defaults there: 1 epoch, lr 0.05
    assert calls[-1] == ("cnn", 1, 0.05, 0)


def test_cnn_without_the_examples_module_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nn.examples", None)  # makes the import fail
    with pytest.raises(SystemExit, match="--model cnn needs nn.examples"):
        main(["--model", "cnn", "--out", str(tmp_path)])


# -- the data sets the demo trains on ----------------------------------------------


def test_data_sets_have_the_promised_shapes_and_scaling():
    from nn.data import digits, iris, load, moons

    m = moons(30, seed=1)
    assert len(m) == 30 and m.n_features == 2 and set(m.y) == {0, 1}
    assert load("moons", n=30, seed=1) == m
    i = iris()
    assert (len(i), i.n_features, i.n_classes) == (150, 4, 3)
    for col in zip(*i.X):  # standardised
        assert abs(sum(col) / len(col)) < 1e-12
        assert abs(sum(v * v for v in col) / len(col) - 1.0) < 1e-12
    d = digits(50)
    assert (len(d), d.n_features, d.n_classes) == (50, 64, 10)
    assert all(0.0 <= v <= 1.0 for row in d.X for v in row) and max(max(r) for r in d.X) == 1.0
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        load("mnist")


def test_split_and_batches_cover_every_sample_once():
    import random

    from nn.data import batches, iris, split

    train, test = split(iris(), test_fraction=0.2, seed=0)
    assert (len(train), len(test)) == (120, 30)
    rows = sorted(map(tuple, train.X + test.X))
    assert rows == sorted(map(tuple, iris().X))
    chunks = list(batches(23, 5, rng=random.Random(0)))
    assert [len(c) for c in chunks] == [5, 5, 5, 5, 3]
    assert sorted(i for c in chunks for i in c) == list(range(23))
    assert list(batches(4, 3, shuffle=False)) == [[0, 1, 2], [3]]
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        list(batches(4, 0))
    with pytest.raises(ValueError, match="test_fraction"):
        split(iris(), test_fraction=1.0)
