"""The demo: train a model, print loss and accuracy, write plots, metrics, a checkpoint and a graph.

``python -m nn`` trains ``MLP(2, [16, 16, 1])`` on 100 two-moons points and
writes into ``out/``:

- ``loss.png``: the training loss per epoch;
- ``decision_boundary.png``: the learned classifier over the plane (2-D data only);
- ``model.json``: the checkpoint (``model.load("out/model.json")`` restores it);
- ``neuron.svg``: the computation graph of one neuron on one training sample,
  with the gradients of that sample's backward pass alone (the model's own
  gradients are left as they were);
- ``metrics.json``: losses, accuracies, settings and timing (written last).

``--model cnn`` and ``--model rnn`` run the convolutional and recurrent
examples of ``nn.examples`` instead.

It prints one line per stage (loading data, training, writing) and, on a
terminal, a progress bar while training. Heavy libraries (scikit-learn,
matplotlib, tqdm, graphviz) are imported only when their stage starts.

Failures end in one line on stderr, ``error: ...``, never a traceback:

- exit status 2: a bad argument (``--lr inf``, ``--seed -1``, ``--epochs 0``),
  or an output folder that cannot be used (``--out`` naming a file, a folder
  that cannot be created or written, an output name taken by a folder). All of
  these are checked before training starts.
- exit status 1: the run itself failed: training diverged (a loss or a
  parameter became infinite or NaN, e.g. with ``--lr 1e308``), a package the
  demo needs is missing, or writing an output failed (e.g. a full disk).
- exit status 130: interrupted (Ctrl-C).

Every output is written atomically (a temporary file renamed over the
target), and all of them are prepared in memory before the first one is
written, so a failed run leaves the files of an earlier run intact and never
leaves a partial file.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from autograd import Value, collector_paused, no_grad
from nn import losses
from nn.checkpoint import to_json
from nn.data import NAMES, Dataset, batches, load, moons, split
from nn.files import write_all_atomic
from nn.module import MLP, Neuron
from nn.optim import Adam
from nn.train import check_finite

# Per data set: hidden layer sizes and training settings that reach a good
# accuracy quickly on this pure-Python engine.
SETTINGS: dict[str, dict[str, Any]] = {
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "batch_size": 20},
    "iris": {"hidden": [16], "epochs": 60, "lr": 0.05, "batch_size": 16},
    "digits": {"hidden": [32], "epochs": 5, "lr": 0.01, "batch_size": 32},
}
MODELS = ("mlp", "cnn", "rnn")
# Every name the demo may write: checked before training so none of them is a folder.
OUTPUTS = ("loss.png", "decision_boundary.png", "model.json", "neuron.svg", "metrics.json")
# sklearn's random_state takes 0 .. 2**32 - 1, and the moons test set uses seed + 1.
MAX_SEED = 2**32 - 2
MAX_EPOCHS = 1_000_000
# A neuron with more inputs than this is drawn with its inputs and weights in boxes of
# INPUTS_PER_BOX (the digits neuron: 64 inputs in 4 boxes instead of a column of 129 leaves).
MAX_INPUTS_DRAWN = 8
INPUTS_PER_BOX = 16

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class DemoError(Exception):
    """A problem reported as one line ``error: <message>`` and exit status ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (``error: ...``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise DemoError(f"{message} (python -m nn --help lists the options)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m nn",
        description="Train a small network on the scalar autograd engine and write plots, metrics, "
        "a checkpoint and the computation graph of one neuron.",
        epilog="Exit status: 0 done, 1 the run failed (e.g. training diverged), 2 a bad argument or output folder.",
    )
    parser.add_argument("--dataset", choices=NAMES, default=None,
                        help="data set for --model mlp (default: moons; cnn always uses digits)")
    parser.add_argument("--model", choices=MODELS, default="mlp",
                        help="mlp (default), cnn (convolutional net on digits) or rnn (recurrent net on sequences)")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the training data (default per data set)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default per data set)")
    parser.add_argument("--seed", type=int, default=0,
                        help=f"seed for data, initial weights and shuffling, 0 to {MAX_SEED} (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--compiled", action=argparse.BooleanOptionalAction, default=None,
                        help="train --model cnn|rnn with compiled replay: each step's graph recorded once, then "
                        "replayed on plain floats (same losses, several times faster; default on for cnn and rnn)")
    return parser


def check_args(args: argparse.Namespace) -> None:
    """Refuse impossible settings before anything runs (:class:`DemoError`, exit status 2)."""
    if args.epochs is not None and not 1 <= args.epochs <= MAX_EPOCHS:
        raise DemoError(f"--epochs must be between 1 and {MAX_EPOCHS:,}, got {args.epochs}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise DemoError(f"--lr must be a finite number > 0, got {args.lr}")
    if not 0 <= args.seed <= MAX_SEED:
        raise DemoError(f"--seed must be between 0 and {MAX_SEED}, got {args.seed}")
    if args.model == "cnn" and args.dataset not in (None, "digits"):
        raise DemoError(f"--model cnn trains on digits, not {args.dataset}")
    if args.model == "rnn" and args.dataset is not None:
        raise DemoError("--model rnn trains on its own sequence task; --dataset does not apply")
    if args.model == "mlp" and args.compiled:
        raise DemoError("--compiled applies to --model cnn and rnn; the MLP demo trains on the Value path")


def prepare_out_dir(out: Path, names: Sequence[str] = OUTPUTS) -> bool:
    """Make sure ``out`` is a folder the outputs can be written into; return whether it was created.

    Raises :class:`DemoError` (exit status 2) when ``out`` is a file, cannot be
    created or written, or one of ``names`` in it is a folder or another non-file.
    """
    try:
        return _prepare_out_dir(out, names)
    except (OSError, ValueError) as e:  # e.g. no permission to look, or a NUL in the name
        raise DemoError(f"cannot use the output folder {_show_path(out)}: {getattr(e, 'strerror', None) or e}") \
            from None


def _prepare_out_dir(out: Path, names: Sequence[str]) -> bool:
    shown = _show_path(out)
    if out.exists() and not out.is_dir():
        raise DemoError(f"--out {shown} is a file, not a folder")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DemoError(f"cannot create the output folder {shown}: {e.strerror or e}") from None
    try:  # the only reliable test of writability is to write
        fd, probe = tempfile.mkstemp(dir=out, prefix=".nn-demo-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        _remove_if_empty(out, created)
        raise DemoError(f"cannot write into the output folder {shown}: {e.strerror or e}") from None
    for name in names:
        path = out / name
        if (path.exists() or path.is_symlink()) and not path.is_file():
            _remove_if_empty(out, created)
            what = ("a folder" if path.is_dir() else "a broken symbolic link" if not path.exists()
                    else "not a regular file")
            raise DemoError(f"{_show_path(path)} is {what}; the demo writes a file there: "
                            "remove it or choose another --out")
    return created


def _remove_if_empty(folder: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _show_path(path: Path) -> str:
    text = str(path)
    return text if text.isprintable() else ascii(text)


def _say(message: str) -> None:
    print(message, flush=True)  # flushed: through make or a pipe, each stage shows when it starts


def _quiet(message: str) -> None:
    pass


# -- training -------------------------------------------------------------------


def _loss_and_hit(model: MLP, x: list[float], y: int, binary: bool) -> tuple[Value, bool]:
    """The sample's loss and whether the model's prediction is right."""
    out = model(x)
    if binary:
        return losses.binary_cross_entropy(out, float(y)), (out.data > 0.0) == (y == 1)
    scores = [o.data for o in out]
    return losses.cross_entropy(out, y), scores.index(max(scores)) == y


def accuracy(model: MLP, data: Dataset) -> float:
    """Fraction of ``data`` classified correctly (logit > 0 for two classes, else the arg max)."""
    with no_grad():
        hits = 0
        for x, y in zip(data.X, data.y):
            out = model(x)
            if data.n_classes == 2:
                hits += (out.data > 0.0) == (y == 1)
            else:
                scores = [o.data for o in out]
                hits += scores.index(max(scores)) == y
    return hits / len(data)


def _datasets(name: str, seed: int) -> tuple[Dataset, Dataset]:
    if name == "moons":  # 100 points to learn, and 200 fresh ones from the same distribution to test
        return moons(100, seed=seed), moons(200, seed=seed + 1)
    return split(load(name), test_fraction=0.2, seed=seed)


def train_mlp(
    dataset: str = "moons",
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    out_dir: Path = Path("out"),
    progress: bool = True,
    say: Callable[[str], None] = _quiet,
) -> dict[str, Any]:
    """Train an MLP on ``dataset`` with Adam on mini-batches; write the outputs into ``out_dir``.

    Binary tasks use one logit and ``binary_cross_entropy``, multi-class ones
    one logit per class and ``cross_entropy``; the batch loss is the mean over
    the batch. ``say`` receives one line per stage. Returns the metrics (also
    written to ``metrics.json``). Raises ``FloatingPointError`` (nothing
    written) when training diverges.
    """
    cfg = SETTINGS[dataset]
    epochs = cfg["epochs"] if epochs is None else epochs
    lr = cfg["lr"] if lr is None else lr
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    say(f"loading data: {dataset}")
    train, test = _datasets(dataset, seed)
    binary = train.n_classes == 2
    model = MLP(train.n_features, [*cfg["hidden"], 1 if binary else train.n_classes], seed=seed)
    params = model.parameters()
    opt = Adam(params, lr=lr)
    rng = random.Random(seed)
    name = f"MLP {'-'.join(map(str, [model.nin, *model.sizes]))} ({model.activation})"
    say(f"training {name} on {len(train)} samples: {epochs} epochs, Adam lr {lr:g}, "
        f"mini-batches of {cfg['batch_size']}")

    from tqdm import tqdm

    history: list[float] = []
    start = time.perf_counter()
    # disable=None: the bar shows on a terminal only, so logs and captured output stay clean
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=None if progress else True)
    for epoch in bar:
        total, hits = 0.0, 0
        for k, idx in enumerate(batches(len(train), cfg["batch_size"], rng=rng)):
            with collector_paused():  # a step's graph holds no cycles: see nn.train.fit for the measurement
                pairs = [_loss_and_hit(model, train.X[i], train.y[i], binary) for i in idx]
                loss = losses.mean(p[0] for p in pairs)  # gradient = 1/m Σ per-sample gradients
                check_finite(loss.data, (), f"epoch {epoch + 1}, batch {k + 1}", lr)
                opt.zero_grad()
                loss.backward()
                opt.step()
            total += loss.data * len(idx)
            hits += sum(p[1] for p in pairs)
        check_finite(total, params, f"epoch {epoch + 1}, batch {k + 1}", lr)
        history.append(total / len(train))
        bar.set_postfix(loss=f"{history[-1]:.4f}", acc=f"{hits / len(train):.3f}")
    bar.close()
    seconds = time.perf_counter() - start

    metrics: dict[str, Any] = {
        "model": "mlp",
        "dataset": dataset,
        "architecture": model.config(),
        "epochs": epochs,
        "lr": lr,
        "batch_size": cfg["batch_size"],
        "seed": seed,
        "loss": history,
        "train_accuracy": accuracy(model, train),
        "test_accuracy": accuracy(model, test),
        "train_size": len(train),
        "test_size": len(test),
        "train_seconds": round(seconds, 3),
    }

    # Every output is made in memory first; only then are they written, each atomically.
    plots = ["loss.png", "decision_boundary.png"] if train.n_features == 2 else ["loss.png"]
    say(f"drawing {', '.join(plots)} and neuron.svg")
    title = f"{dataset}: {name}"
    outputs: dict[str, bytes] = {"loss.png": _plot_loss(history, f"{title}, Adam lr {lr:g}")}
    if train.n_features == 2:
        outputs["decision_boundary.png"] = _plot_boundary(
            model, train, f"{title}, train accuracy {metrics['train_accuracy']:.0%}")
    outputs["model.json"] = to_json(model).encode("utf-8")
    svg, note = draw_neuron(model, train.X[0])
    if svg is not None:
        outputs["neuron.svg"] = svg.encode("utf-8")
    else:
        metrics["skipped"] = {"neuron.svg": note}
    metrics["files"] = [*outputs, "metrics.json"]
    outputs["metrics.json"] = _metrics_json(metrics)
    say(f"writing {_show_path(out_dir)}/: {', '.join(outputs)}")
    _write_all(out_dir, outputs)
    return metrics


def _metrics_json(metrics: dict[str, Any]) -> bytes:
    """Strict JSON (no NaN or Infinity, which are not JSON): a non-finite number is a bug, refused here."""
    return (json.dumps(metrics, indent=1, allow_nan=False, default=str) + "\n").encode("utf-8")


def _write_all(out_dir: Path, outputs: dict[str, bytes]) -> None:
    """Write every output atomically, and none unless all could be staged (see ``write_all_atomic``)."""
    try:
        write_all_atomic({out_dir / name: data for name, data in outputs.items()})
    except OSError as e:
        where = f" {_show_path(Path(e.filename))}" if e.filename else ""
        raise DemoError(f"cannot write the outputs into {_show_path(out_dir)} ({e.strerror or e}{where}); "
                        "the files of an earlier run are unchanged", EXIT_FAILED) from None


# -- outputs --------------------------------------------------------------------


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def _plot_loss(history: Sequence[float], title: str) -> bytes:
    from matplotlib.figure import Figure  # the object API needs no GUI backend

    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(range(1, len(history) + 1), history, marker="." if len(history) < 30 else None)
    ax.set(xlabel="epoch", ylabel="mean training loss", title=title)
    ax.set_yscale("log" if min(history) > 0 else "linear")
    ax.grid(alpha=0.3)
    return _png(fig)


def _plot_boundary(model: MLP, data: Dataset, title: str, steps: int = 60) -> bytes:
    """Shade the plane by the model's predicted class; overlay the training points."""
    from matplotlib.figure import Figure

    xs = [x[0] for x in data.X]
    ys = [x[1] for x in data.X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    with no_grad():
        grid = [[model([a, b]).data for a in gx] for b in gy]
    fig = Figure(figsize=(5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.contourf(gx, gy, grid, levels=[-1e300, 0.0, 1e300], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(gx, gy, grid, levels=[0.0], colors="k", linewidths=1)
    colors = ["#d62728" if y == 0 else "#1f77b4" for y in data.y]
    ax.scatter(xs, ys, c=colors, s=18, edgecolors="k", linewidths=0.5)
    ax.set(title=title, xlabel="x1", ylabel="x2")
    return _png(fig)


def neuron_graph(neuron: Neuron, x: Sequence[float]) -> tuple[Value, list[Value]]:
    """The first neuron's output on ``x`` after a backward pass from it alone, and its input leaves.

    The neuron's parameters are leaves, which accumulate gradients across
    passes: their ``.grad`` is set to 0 first, so every gradient on the picture
    is this pass's and equals the sum over paths of the products of the edge
    labels drawn. The caller restores the previous gradients.
    """
    for p in neuron.parameters():
        p.grad = 0.0
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    out = neuron(inputs)
    out.backward()
    return out, inputs


def _input_boxes(neuron: Neuron, inputs: Sequence[Value]) -> Callable[[Value], str | None]:
    """``group_by`` for a wide neuron: input ``x_i`` and its weight ``w_i`` share a box of INPUTS_PER_BOX pairs."""
    box: dict[int, str] = {}
    n = len(inputs)
    for i, (x, w) in enumerate(zip(inputs, neuron.w)):
        start = i // INPUTS_PER_BOX * INPUTS_PER_BOX
        name = f"inputs x{start}-x{min(start + INPUTS_PER_BOX, n) - 1} and their weights"
        box[id(x)] = box[id(w)] = name
    return lambda node: box.get(id(node))


def draw_neuron(model: MLP, x: Sequence[float]) -> tuple[str | None, str]:
    """SVG of the first neuron of the first layer on one sample, after its own backward pass.

    Up to MAX_INPUTS_DRAWN inputs, every leaf and every edge's local derivative
    is drawn (left to right). A wider neuron (the digits' 64 pixels) is drawn
    top to bottom with each input and its weight listed, with their data and
    gradients, in boxes of INPUTS_PER_BOX pairs; its edges then carry no labels
    (64 of them into one ``dot`` would be unreadable), and every gradient shown
    is still this one pass's. The model's gradients are restored afterwards.
    Returns (svg, "") or (None, why it was skipped).
    """
    try:
        from autograd import draw, render_svg
    except ImportError as e:
        return None, f"graph drawing is unavailable ({e})"
    neuron = model.layers[0].neurons[0]
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        out, inputs = neuron_graph(neuron, x)
        if len(inputs) <= MAX_INPUTS_DRAWN:
            graph = draw(out)
        else:
            graph = draw(out, group_by=_input_boxes(neuron, inputs), collapse=True, rankdir="TB",
                         show_local_grads=False, legend=False)
        return render_svg(graph), ""
    except (ImportError, RuntimeError) as e:  # no renderer (RendererNotFoundError is a RuntimeError)
        return None, f"graph drawing is unavailable ({e})"
    finally:
        for p, g in saved:  # the picture has no side effect on the model
            p.grad = g


# -- the command ----------------------------------------------------------------


def _run_example(kind: str, epochs: int | None, lr: float | None, seed: int, out_dir: Path,
                 say: Callable[[str], None] = _quiet, compiled: bool = True) -> dict[str, Any]:
    """Run ``nn.examples.train_cnn_digits`` or ``train_rnn`` and save their metrics."""
    try:
        # through sys.modules, not the package attribute, so a replaced module is honoured
        examples = importlib.import_module("nn.examples")
    except ImportError as e:
        raise DemoError(f"--model {kind} needs nn.examples, which is not available: {e}", EXIT_FAILED) from None
    fn = examples.train_cnn_digits if kind == "cnn" else examples.train_rnn
    before = set(out_dir.iterdir())
    kwargs: dict[str, Any] = {"seed": seed, "out_dir": out_dir}
    # options left unset use the example's own defaults when it has them
    params = inspect.signature(fn).parameters
    for name, given, fallback in (("epochs", epochs, 1), ("lr", lr, 0.05)):
        if given is not None:
            kwargs[name] = given
        elif name not in params or params[name].default is inspect.Parameter.empty:
            kwargs[name] = fallback
    if "compiled" in params:  # the example says so in its "training ..." line
        kwargs["compiled"] = compiled
    if "say" in params:
        kwargs["say"] = say
    else:
        task = "a CNN on the 8x8 digits" if kind == "cnn" else "an RNN counting the ones in bit sequences"
        say(f"loading data and training {task}")
    metrics = dict(fn(**kwargs))
    metrics.setdefault("model", kind)
    reported = metrics.get("files")
    if isinstance(reported, list):
        metrics["files"] = [*map(str, reported), "metrics.json"]
    else:  # an example that does not say what it wrote: what appeared in the folder
        metrics["files"] = sorted({p.name for p in set(out_dir.iterdir()) - before} | {"metrics.json"})
    data = _metrics_json(metrics)
    say(f"writing {_show_path(out_dir)}/metrics.json")
    _write_all(out_dir, {"metrics.json": data})
    return metrics


def _fmt(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def run(argv: Sequence[str] | None = None) -> int:
    """:func:`main` without the error handling: raises :class:`DemoError` and ``FloatingPointError``."""
    args = build_parser().parse_args(argv)
    check_args(args)
    created = prepare_out_dir(args.out)
    try:
        if args.model == "mlp":
            metrics = train_mlp(args.dataset or "moons", args.epochs, args.lr, args.seed, args.out, say=_say)
        else:
            metrics = _run_example(args.model, args.epochs, args.lr, args.seed, args.out, say=_say,
                                   compiled=args.compiled is not False)
    except BaseException:
        _remove_if_empty(args.out, created)  # a failed first run leaves no empty folder behind
        raise

    loss = metrics.get("loss")
    if isinstance(loss, list) and loss:
        print(f"final loss: {_fmt(loss[-1])} (first epoch {_fmt(loss[0])})")
    for key in ("train_accuracy", "test_accuracy"):
        if key in metrics:
            print(f"{key.replace('_', ' ')}: {_fmt(metrics[key])}")
    if "train_seconds" in metrics:
        print(f"training time: {metrics['train_seconds']:.1f} s")
    for name, why in metrics.get("skipped", {}).items():
        print(f"skipped {name}: {why}")
    print(f"wrote to {_show_path(args.out.resolve())}/: {', '.join(metrics['files'])}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, train, print the results and where they were written; return the exit status.

    Every failure is one line ``error: ...`` on stderr (see the module docstring for the statuses).
    """
    try:
        return run(argv)
    except DemoError as e:
        return _fail(str(e), e.code)
    except FloatingPointError as e:
        return _fail(f"{e}; nothing was written", EXIT_FAILED)
    except ImportError as e:
        return _fail(f"the demo needs a package that is not installed ({e}): "
                     "pip install 'chainrule[demo,render]' (make demo installs it)", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)


def _fail(message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"error: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
