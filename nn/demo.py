"""The demo: train a model, print loss and accuracy, write plots, metrics, a checkpoint and a graph.

``python -m nn`` trains ``MLP(2, [16, 16, 1])`` on 100 two-moons points and
writes into ``out/``:

- ``loss.png``: the training loss per epoch;
- ``decision_boundary.png``: the learned classifier over the plane (2-D data only);
- ``metrics.json``: losses, accuracies, settings and timing;
- ``model.json``: the checkpoint (``model.load("out/model.json")`` restores it);
- ``neuron.svg``: the computation graph of one neuron, with its gradients.

``--model cnn`` and ``--model rnn`` run the convolutional and recurrent
examples of ``nn.examples`` instead.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd import Value, no_grad
from nn import losses
from nn.data import NAMES, Dataset, batches, load, moons, split
from nn.module import MLP
from nn.optim import Adam

# Per data set: hidden layer sizes and training settings that reach a good
# accuracy quickly on this pure-Python engine.
SETTINGS: dict[str, dict[str, Any]] = {
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "batch_size": 20},
    "iris": {"hidden": [16], "epochs": 60, "lr": 0.05, "batch_size": 16},
    "digits": {"hidden": [32], "epochs": 5, "lr": 0.01, "batch_size": 32},
}
MODELS = ("mlp", "cnn", "rnn")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train a small network on the scalar autograd engine and write plots, metrics, "
        "a checkpoint and the computation graph of one neuron.",
    )
    parser.add_argument("--dataset", choices=NAMES, default=None,
                        help="data set for --model mlp (default: moons; cnn always uses digits)")
    parser.add_argument("--model", choices=MODELS, default="mlp",
                        help="mlp (default), cnn (convolutional net on digits) or rnn (recurrent net on sequences)")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the training data (default per data set)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default per data set)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, initial weights and shuffling (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    return parser


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
) -> dict[str, Any]:
    """Train an MLP on ``dataset`` with Adam on mini-batches; write the outputs into ``out_dir``.

    Binary tasks use one logit and ``binary_cross_entropy``, multi-class ones
    one logit per class and ``cross_entropy``; the batch loss is the mean over
    the batch. Returns the metrics (also written to ``metrics.json``).
    """
    from tqdm import tqdm

    cfg = SETTINGS[dataset]
    epochs = cfg["epochs"] if epochs is None else epochs
    lr = cfg["lr"] if lr is None else lr
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    train, test = _datasets(dataset, seed)
    binary = train.n_classes == 2
    model = MLP(train.n_features, [*cfg["hidden"], 1 if binary else train.n_classes], seed=seed)
    opt = Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)

    history: list[float] = []
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=f"training on {dataset}", unit="epoch", disable=None if progress else True)
    for _ in bar:
        total, hits = 0.0, 0
        for idx in batches(len(train), cfg["batch_size"], rng=rng):
            pairs = [_loss_and_hit(model, train.X[i], train.y[i], binary) for i in idx]
            loss = losses.mean(p[0] for p in pairs)  # gradient = 1/m Σ per-sample gradients
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.data * len(idx)
            hits += sum(p[1] for p in pairs)
        history.append(total / len(train))
        bar.set_postfix(loss=f"{history[-1]:.4f}", acc=f"{hits / len(train):.3f}")
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
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{dataset}: MLP {'-'.join(map(str, [model.nin, *model.sizes]))} ({model.activation})"
    files = [_plot_loss(history, out_dir / "loss.png", f"{name}, Adam lr {lr}")]
    if train.n_features == 2:
        title = f"{name}, train accuracy {metrics['train_accuracy']:.0%}"
        files.append(_plot_boundary(model, train, out_dir / "decision_boundary.png", title))
    model.save(out_dir / "model.json")
    files.append(out_dir / "model.json")
    svg, note = _draw_neuron(model, train.X[0], out_dir / "neuron.svg")
    if svg is not None:
        files.append(svg)
    else:
        metrics["skipped"] = {"neuron.svg": note}
    metrics["files"] = [p.name for p in files] + ["metrics.json"]
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    return metrics


# -- outputs --------------------------------------------------------------------


def _plot_loss(history: Sequence[float], path: Path, title: str) -> Path:
    from matplotlib.figure import Figure  # the object API needs no GUI backend

    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(range(1, len(history) + 1), history, marker="." if len(history) < 30 else None)
    ax.set(xlabel="epoch", ylabel="mean training loss", title=title)
    ax.set_yscale("log" if min(history) > 0 else "linear")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    return path


def _plot_boundary(model: MLP, data: Dataset, path: Path, title: str, steps: int = 60) -> Path:
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
    fig.savefig(path, dpi=120)
    return path


def _draw_neuron(model: MLP, x: Sequence[float], path: Path) -> tuple[Path | None, str]:
    """Draw the graph of the first neuron of the first layer on one input, after its backward pass.

    Returns (path, "") or (None, why it was skipped).
    """
    try:
        from autograd.drawing import draw, save_graph
    except ImportError as e:
        return None, f"graph drawing is unavailable ({e})"
    neuron = model.layers[0].neurons[0]
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    out = neuron(inputs)
    out.backward()
    save_graph(draw(out), path)
    neuron.zero_grad()  # this one-sample pass is for the picture: keep its gradients off the model
    return path, ""


# -- the command ----------------------------------------------------------------


def _run_example(kind: str, epochs: int | None, lr: float | None, seed: int, out_dir: Path) -> dict[str, Any]:
    """Run ``nn.examples.train_cnn_digits`` or ``train_rnn`` and save their metrics."""
    try:
        # through sys.modules, not the package attribute, so a replaced module is honoured
        examples = importlib.import_module("nn.examples")
    except ImportError as e:
        raise SystemExit(f"--model {kind} needs nn.examples, which is not available: {e}") from None
    fn = examples.train_cnn_digits if kind == "cnn" else examples.train_rnn
    out_dir.mkdir(parents=True, exist_ok=True)
    before = set(out_dir.iterdir())
    kwargs: dict[str, Any] = {"seed": seed, "out_dir": out_dir}
    # options left unset use the example's own defaults when it has them
    params = inspect.signature(fn).parameters
    for name, given, fallback in (("epochs", epochs, 1), ("lr", lr, 0.05)):
        if given is not None:
            kwargs[name] = given
        elif name not in params or params[name].default is inspect.Parameter.empty:
            kwargs[name] = fallback
    metrics = dict(fn(**kwargs))
    metrics.setdefault("model", kind)
    metrics_path = out_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=1, default=str) + "\n", encoding="utf-8")
    written = sorted({p.name for p in set(out_dir.iterdir()) - before} | {"metrics.json"})
    metrics["files"] = written
    return metrics


def _fmt(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, train, print the results and where they were written."""
    args = build_parser().parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        build_parser().error(f"--epochs must be >= 1, got {args.epochs}")
    if args.lr is not None and not args.lr > 0:
        build_parser().error(f"--lr must be > 0, got {args.lr}")
    if args.model == "mlp":
        metrics = train_mlp(args.dataset or "moons", args.epochs, args.lr, args.seed, args.out)
    else:
        if args.model == "cnn" and args.dataset not in (None, "digits"):
            build_parser().error(f"--model cnn trains on digits, not {args.dataset}")
        if args.model == "rnn" and args.dataset is not None:
            build_parser().error("--model rnn trains on its own sequence task; --dataset does not apply")
        metrics = _run_example(args.model, args.epochs, args.lr, args.seed, args.out)

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
    print(f"wrote to {args.out.resolve()}/: {', '.join(metrics['files'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
