"""The demo's main run: an MLP on two moons (or iris, or the digits) with Adam on mini-batches."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from autograd import Value, collector_paused, no_grad
from nn import checks, interrupts, losses
from nn.checkpoint import to_json
from nn.data import NAMES, Dataset, batches, load, moons, split
from nn.demo.neuron import draw_neuron
from nn.module import MLP
from nn.optim import Adam
from nn.plots import boundary_png, loss_png
from nn.runs import Run, finish, progress_bar, write_run
from nn.train import check_finite

# Per data set: hidden layer sizes and training settings that reach a good
# accuracy quickly on this pure-Python engine.
SETTINGS: dict[str, dict[str, Any]] = {
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "batch_size": 20},
    "iris": {"hidden": [16], "epochs": 60, "lr": 0.05, "batch_size": 16},
    "digits": {"hidden": [32], "epochs": 5, "lr": 0.01, "batch_size": 32},
}
MAX_EPOCHS = 1_000_000


def _quiet(message: str) -> None:
    pass


def _loss_and_hit(model: MLP, x: list[float], y: int, binary: bool) -> tuple[Value, bool]:
    """The sample's loss and whether the model's prediction is right."""
    out = model(x)
    if binary:  # (casts: the model has one output, a Value, for two classes; else a list)
        logit = cast(Value, out)
        return losses.binary_cross_entropy(logit, float(y)), (logit.data > 0.0) == (y == 1)
    outs = cast("list[Value]", out)
    scores = [o.data for o in outs]
    return losses.cross_entropy(outs, y), scores.index(max(scores)) == y


def accuracy(model: MLP, data: Dataset) -> float:
    """Fraction of ``data`` classified correctly (logit > 0 for two classes, else the arg max)."""
    with no_grad():
        hits = 0
        for x, y in zip(data.X, data.y):
            out = model(x)
            if data.n_classes == 2:  # (casts: one output, a Value, for two classes; else a list)
                hits += (cast(Value, out).data > 0.0) == (y == 1)
            else:
                scores = [o.data for o in cast("list[Value]", out)]
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
    """:func:`fit_mlp`, then write its outputs into ``out_dir`` as one unit; return the metrics."""
    run = fit_mlp(dataset, epochs, lr, seed, progress, say)
    write_run(run, out_dir, say)
    return run.metrics


def fit_mlp(
    dataset: str = "moons",
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    progress: bool = True,
    say: Callable[[str], None] = _quiet,
) -> Run:
    """Train an MLP on ``dataset`` with Adam on mini-batches; the run with its outputs in memory.

    Binary tasks use one logit and ``binary_cross_entropy``, multi-class ones
    one logit per class and ``cross_entropy``; the batch loss is the mean over
    the batch. ``say`` receives one line per stage. Raises ``FloatingPointError``
    when training diverges, ``ValueError`` for a bad setting (never OverflowError).
    """
    if dataset not in SETTINGS:
        raise ValueError(f"unknown data set {dataset!r}; valid names are {', '.join(NAMES)}")
    cfg = SETTINGS[dataset]
    epochs = checks.count(cfg["epochs"] if epochs is None else epochs, "epochs", MAX_EPOCHS)
    lr = checks.real(cfg["lr"] if lr is None else lr, "lr", 0.0, float("inf"), low_open=True)
    checks.count(seed, "seed", 2**32 - 2, minimum=0)
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

    history: list[float] = []
    start = time.perf_counter()
    with progress_bar(range(epochs), progress, desc="training", unit="epoch") as bar:
        for epoch in bar:
            total, hits = 0.0, 0
            for k, idx in enumerate(batches(len(train), cfg["batch_size"], rng=rng)):
                interrupts.check()  # a Ctrl-C that a finaliser swallowed stops here
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

    plots = ["loss.png", "decision_boundary.png"] if train.n_features == 2 else ["loss.png"]
    say(f"drawing {', '.join(plots)} and neuron.svg")
    title = f"{dataset}: {name}"
    outputs: dict[str, bytes] = {"loss.png": loss_png(history, f"{title}, Adam lr {lr:g}")}
    if train.n_features == 2:
        with no_grad():
            outputs["decision_boundary.png"] = boundary_png(
                lambda a, b: cast(Value, model([a, b])).data, train.X, train.y,  # moons: one output
                f"{title}, train accuracy {metrics['train_accuracy']:.0%}")
    outputs["model.json"] = to_json(model).encode("utf-8")
    svg, note = draw_neuron(model, train.X[0])
    if svg is not None:
        outputs["neuron.svg"] = svg.encode("utf-8")
    else:
        metrics["skipped"] = {"neuron.svg": note}
    return finish(model, metrics, outputs)

