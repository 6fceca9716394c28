"""The CNN and RNN training examples at tiny sizes: they run, learn, and report honestly."""

from __future__ import annotations

import importlib
import json
import random

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


@pytest.fixture
def ex():
    """``nn.examples``, imported when a test runs rather than when this file is collected.

    The demo's tests swap ``nn.examples`` in sys.modules, which only works while
    the ``nn`` package has no ``examples`` attribute yet.
    """
    return importlib.import_module("nn.examples")


def test_cnn_example_learns_on_a_small_subset(ex, tmp_path):
    m = ex.train_cnn_digits(epochs=2, lr=0.05, seed=0, out_dir=tmp_path, progress=False, n_train=160, n_test=80,
                            channels=3)
    assert m["train_size"] == 160 and m["test_size"] == 80
    assert len(m["loss"]) == 2 and m["loss"][1] < m["loss"][0]
    assert m["test_accuracy"] > 0.3  # chance is 0.1; the full run (see README) reaches > 0.9
    assert 0.0 <= m["train_accuracy"] <= 1.0
    assert m["parameters"] == ex.digits_cnn(channels=3).num_parameters() == 3 * 9 + 3 + 27 * 10 + 10
    assert (tmp_path / "loss.png").stat().st_size > 0
    restored = ex.digits_cnn(seed=9, channels=3)
    restored.load(tmp_path / "model.json")
    assert ex._accuracy(restored, *_test_split(ex, 80)) == m["test_accuracy"]


def _test_split(ex, n):
    _, test = ex.split(ex.digits(), test_fraction=0.2, seed=0)
    return test.X[:n], test.y[:n]


def test_cnn_example_is_reproducible(ex, tmp_path):
    kwargs = dict(epochs=1, lr=0.03, seed=4, out_dir=tmp_path, progress=False, n_train=32, n_test=16, channels=2)
    assert ex.train_cnn_digits(**kwargs)["loss"] == ex.train_cnn_digits(**kwargs)["loss"]


def test_rnn_example_loss_falls(ex, tmp_path):
    m = ex.train_rnn(epochs=6, lr=0.03, seed=0, out_dir=tmp_path, progress=False, n_train=40, n_test=40, length=4,
                     hidden_size=4, batch_size=10)
    assert m["loss"][-1] < 0.5 * m["loss"][0]
    assert 0.0 <= m["test_accuracy"] <= 1.0
    assert (tmp_path / "loss.png").stat().st_size > 0
    ex.Counter(hidden_size=4).load(tmp_path / "model.json")  # a checkpoint of the right architecture


def test_counter_reads_the_last_hidden_state(ex):
    model = ex.Counter(hidden_size=3, seed=0)
    seq = ex.bit_sequences(1, 5, random.Random(0))[0]
    y = model(seq)
    expected = model.readout(model.rnn([[b] for b in seq])[-1])[0]
    assert y.data == expected.data
    assert set(seq) <= {0.0, 1.0}


def test_examples_reject_bad_settings(ex, tmp_path):
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        ex.train_rnn(epochs=0, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\), got -1.0"):
        ex.train_cnn_digits(epochs=1, lr=-1.0, out_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


HUGE = [10**400, -(10**400), 2**1024, 10**5000]


@pytest.mark.parametrize("huge", HUGE, ids=["10**400", "-10**400", "2**1024", "10**5000"])
@pytest.mark.parametrize("setting", ["epochs", "lr", "n_train", "length", "hidden_size", "batch_size"])
def test_a_huge_integer_setting_is_a_value_error_not_an_overflow(ex, tmp_path, setting, huge):
    """#21: 10**400 as a learning rate or a size raised OverflowError (or ran forever)."""
    with pytest.raises(ValueError, match=rf"^{setting} must be .*got (a negative|an) integer of about [\d,]+ digits$"):
        ex.fit_rnn(progress=False, **{setting: huge})
    with pytest.raises(ValueError, match=r"channels must be a positive int of at most 10,000,000"):
        ex.fit_cnn_digits(progress=False, channels=10**400)


def test_examples_report_their_stages_and_files(ex, tmp_path):
    lines = []
    m = ex.train_rnn(epochs=1, out_dir=tmp_path, progress=False, n_train=10, n_test=10, length=3, hidden_size=2,
                     batch_size=5, say=lines.append)
    assert lines[0] == "making data: 10 training and 10 test sequences of 3 random bits"
    assert lines[1].startswith("training an RNN (")
    assert lines[-1] == f"writing {tmp_path}/: loss.png, model.json, metrics.json"
    assert m["files"] == ["loss.png", "model.json", "metrics.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png", "metrics.json", "model.json"]  # nothing else
    assert json.loads((tmp_path / "metrics.json").read_text()) == m


def test_a_diverging_example_raises_and_writes_nothing(ex, tmp_path):
    with pytest.raises(FloatingPointError, match="training diverged: .* with learning rate 1e\\+308"):
        ex.train_rnn(epochs=3, lr=1e308, out_dir=tmp_path, progress=False, n_train=20, n_test=10, length=3,
                     hidden_size=2, batch_size=5)
    with pytest.raises(FloatingPointError, match="training diverged"):
        ex.train_cnn_digits(epochs=1, lr=1e308, out_dir=tmp_path, progress=False, n_train=64, n_test=8, channels=2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model", ["cnn", "rnn"])
def test_compiled_examples_replay_one_example_over_each_batch_with_the_value_paths_losses(ex, model, monkeypatch):
    """compiled=True trains with batched replay (nn.train.BatchedStep), never falling back, to the same losses."""
    import warnings

    from autograd.compiled import BatchGuardWarning
    from nn.train import BatchedStep, FallbackWarning

    if model == "cnn":
        fit, kwargs = ex.fit_cnn_digits, dict(epochs=2, lr=0.05, n_train=48, n_test=16, channels=2, batch_size=16)
    else:
        fit, kwargs = ex.fit_rnn, dict(epochs=3, lr=0.03, n_train=40, n_test=10, length=5, hidden_size=3,
                                       batch_size=10)
    steps = []

    def spy(*args, **kw):
        steps.append(BatchedStep(*args, **kw))
        return steps[-1]

    monkeypatch.setattr(ex, "BatchedStep", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        warnings.simplefilter("error", BatchGuardWarning)
        fast = fit(progress=False, compiled=True, **kwargs)
    plain = fit(progress=False, compiled=False, **kwargs)
    assert len(steps) == 1 and isinstance(steps[0], BatchedStep)
    assert steps[0].mode == "batched" and steps[0].scale == "mean" and steps[0].recordings == 1
    assert fast.metrics["loss"] == pytest.approx(plain.metrics["loss"], rel=1e-12, abs=0)
    assert fast.metrics["test_accuracy"] == plain.metrics["test_accuracy"]
