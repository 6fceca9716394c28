"""Two training examples from the seeds' architectures, small enough for pure Python.

- :func:`train_cnn_digits`: a convolutional net on scikit-learn's 8×8 digits,
  ``Conv2d(1, 6, 3) + relu -> MaxPool2d(2) -> Flatten -> Layer(54, 10)``,
  trained with Adam on the mean cross-entropy of mini-batches.
- :func:`train_rnn`: a recurrent net that learns to count the ones in a binary
  sequence, read out from its last hidden state (a task that needs memory over
  the whole sequence, so the gradient must flow back through every step).

Both return a metrics dict (``loss`` per epoch, accuracies, timing) and write
a loss plot (``loss.png``), the trained model (``model.json``) and the metrics
(``metrics.json``) into ``out_dir``, once training has finished and as one
unit (all new, or all as they were: :mod:`nn.runs`). A loss or parameter that
becomes infinite or NaN (a learning rate far too large) stops training with
``FloatingPointError`` and nothing is written. :func:`fit_cnn_digits` and
:func:`fit_rnn` do the same without writing and return the :class:`nn.runs.Run`;
the demo (``python -m nn --model cnn|rnn``) calls them and writes the run itself.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograd import Value, collector_paused, no_grad
from nn import checks, interrupts, losses
from nn.checkpoint import to_json
from nn.conv import Conv2d, Flatten, MaxPool2d
from nn.data import batches, digits, split
from nn.module import Layer, Module, Sequential
from nn.optim import Adam
from nn.plots import loss_png
from nn.rnn import RNN
from nn.runs import Run, finish, progress_bar, write_run
from nn.train import BatchedStep, check_finite, one_hot
from nn.train import cross_entropy as cross_entropy_of_values  # targets as Values: inputs of a compiled step
from nn.train import mse as mse_of_values


def _quiet(message: str) -> None:
    pass


# The most epochs an example accepts (other sizes: up to nn.checks.MAX_COUNT).
MAX_EPOCHS = 1_000_000


def _check_settings(epochs: Any, lr: Any, **sizes: Any) -> None:
    """ValueError naming the first bad setting (never OverflowError, 10**400 included)."""
    checks.count(epochs, "epochs", MAX_EPOCHS)
    checks.real(lr, "lr", 0.0, math.inf, low_open=True)
    for name, v in sizes.items():
        if v is not None:
            checks.count(v, name)


# -- CNN on digits ---------------------------------------------------------------------------


def digits_cnn(seed: int = 0, channels: int = 6) -> Sequential:
    """``Conv2d(1, channels, 3) + relu -> MaxPool2d(2) -> Flatten -> Layer(channels·9, 10)`` for 8×8 images."""
    rng = random.Random(seed)
    return Sequential(
        Conv2d(1, channels, 3, activation="relu", seed=rng),  # [1][8][8] -> [channels][6][6]
        MaxPool2d(2),  # -> [channels][3][3]
        Flatten(),  # -> channels·9
        Layer(channels * 9, 10, activation="linear", seed=rng),  # -> 10 logits
    )


def _image(pixels: Sequence[float]) -> list[list[list[float]]]:
    """A flat 64-pixel digit as ``[1][8][8]``."""
    return [[list(pixels[r * 8:(r + 1) * 8]) for r in range(8)]]


def _accuracy(model: Module, X: Sequence[Sequence[float]], y: Sequence[int]) -> float:
    hits = 0
    with no_grad():  # evaluation only: no edges to record
        for pixels, label in zip(X, y):
            logits = model(_image(pixels))
            hits += max(range(10), key=lambda k: logits[k].data) == label
    return hits / len(y)


def train_cnn_digits(out_dir: Path = Path("out"), **settings: Any) -> dict[str, Any]:
    """:func:`fit_cnn_digits` with ``settings``, then write ``loss.png``, ``model.json`` and ``metrics.json``
    into ``out_dir`` as one unit; return the metrics. ``digits_cnn(channels=...).load(out_dir / "model.json")``
    restores the model.
    """
    return _write(fit_cnn_digits(**settings), out_dir, settings.get("say"))


def fit_cnn_digits(
    epochs: int = 6,
    lr: float = 0.02,
    seed: int = 0,
    progress: bool = True,
    n_train: int | None = None,
    n_test: int | None = None,
    batch_size: int = 16,
    channels: int = 6,
    say: Callable[[str], None] | None = None,
    compiled: bool = False,
) -> Run:
    """Train :func:`digits_cnn` on the digits (80/20 split, ``seed``) with Adam; the run, nothing written.

    ``n_train`` / ``n_test`` cap the split's sizes (None: all 1437 / 360).
    The batch loss is ``(1/m) Σ cross_entropy(logits, label)``. ``say`` receives one line per stage.
    ``compiled=True`` runs each step as a batched replay (:class:`nn.train.BatchedStep`): one image's
    loss recorded once, replayed over each batch with NumPy arrays; the same losses (to rounding), faster.
    """
    say = say or _quiet
    _check_settings(epochs, lr, batch_size=batch_size, channels=channels, n_train=n_train, n_test=n_test)
    say("loading data: digits")
    train, test = split(digits(), test_fraction=0.2, seed=seed)
    X_train, y_train = train.X[:n_train], train.y[:n_train]
    X_test, y_test = test.X[:n_test], test.y[:n_test]
    model = digits_cnn(seed, channels)
    opt = Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    say(f"training a CNN ({model.num_parameters()} parameters) on {len(X_train)} images: {epochs} epochs, "
        f"Adam lr {lr:g}, mini-batches of {batch_size}{_COMPILED_NOTE if compiled else ''}")

    def numbers(idx: list[int]) -> list[Any]:  # the batch as a batched step takes it: every number an input
        return [(X_train[i], one_hot(y_train[i], 10)) for i in idx]

    def graph(idx: list[int]) -> Value:  # the batch loss on the Value path
        return losses.mean(losses.cross_entropy(model(_image(X_train[i])), y_train[i]) for i in idx)

    history: list[float] = []
    step = BatchedStep(model, _cnn_batch_loss) if compiled else None
    start = time.perf_counter()
    for epoch in range(epochs):
        running = 0.0
        with progress_bar(list(batches(len(X_train), batch_size, rng=rng)), progress,
                          desc=f"cnn epoch {epoch + 1}/{epochs}", unit="batch") as bar:
            for k, idx in enumerate(bar):
                value = _step(model, opt, lr, f"epoch {epoch + 1}, batch {k + 1}", step, idx, numbers, graph)
                running += value * len(idx)
                bar.set_postfix(loss=f"{value:.3f}")
        check_finite(running, model.parameters(), f"epoch {epoch + 1}", lr)
        history.append(running / len(X_train))
    seconds = time.perf_counter() - start

    return _finish(
        model, history, seconds, say, f"CNN on 8x8 digits, Adam lr {lr}", "mean cross-entropy",
        model_name="cnn", dataset="digits", epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
        train_accuracy=_accuracy(model, X_train, y_train), test_accuracy=_accuracy(model, X_test, y_test),
        train_size=len(X_train), test_size=len(X_test),
    )


# -- RNN counting ones -------------------------------------------------------------------------


class Counter(Module):
    """An RNN read out by a linear unit on its last hidden state: ``y = w · h_T + b``."""

    def __init__(self, hidden_size: int = 8, seed: int = 0) -> None:
        super().__init__()
        rng = random.Random(seed)
        self.rnn = RNN(1, hidden_size, seed=rng)
        self.readout = Layer(hidden_size, 1, activation="linear", seed=rng)

    def __call__(self, bits: Sequence[float]) -> Value:
        states = self.rnn([[b] for b in bits])
        return self.readout(states[-1])[0]

    def config(self) -> dict[str, Any]:
        return {"hidden_size": self.rnn.hidden_size}


def bit_sequences(n: int, length: int, rng: random.Random) -> list[list[float]]:
    """``n`` random sequences of ``length`` bits (as floats)."""
    return [[float(rng.random() < 0.5) for _ in range(length)] for _ in range(n)]


def _count_accuracy(model: Counter, seqs: Sequence[Sequence[float]]) -> float:
    with no_grad():
        return sum(round(model(s).data) == round(sum(s)) for s in seqs) / len(seqs)


def train_rnn(out_dir: Path = Path("out"), **settings: Any) -> dict[str, Any]:
    """:func:`fit_rnn` with ``settings``, then write ``loss.png``, ``model.json`` and ``metrics.json`` into
    ``out_dir`` as one unit; return the metrics. ``Counter(hidden_size).load(out_dir / "model.json")`` restores
    the model.
    """
    return _write(fit_rnn(**settings), out_dir, settings.get("say"))


def fit_rnn(
    epochs: int = 40,
    lr: float = 0.02,
    seed: int = 0,
    progress: bool = True,
    n_train: int = 200,
    n_test: int = 200,
    length: int = 8,
    hidden_size: int = 8,
    batch_size: int = 20,
    say: Callable[[str], None] | None = None,
    compiled: bool = False,
) -> Run:
    """Teach an RNN to count the ones in a sequence of ``length`` bits; the run, nothing written.

    Loss: mean over the batch of ``(y - count)²`` with ``y`` read from the last
    hidden state, so every step's weights get their gradient through time
    (BPTT). Accuracy: the fraction of sequences whose rounded output is the
    exact count. The test sequences are fresh draws. ``say`` receives one line per stage.
    ``compiled=True`` runs each step as a batched replay (:class:`nn.train.BatchedStep`): every
    sequence has the same length, so one sequence's loss is recorded once and replayed over each batch.
    """
    say = say or _quiet
    _check_settings(epochs, lr, n_train=n_train, n_test=n_test, length=length, hidden_size=hidden_size,
                    batch_size=batch_size)
    say(f"making data: {n_train} training and {n_test} test sequences of {length} random bits")
    rng = random.Random(seed)
    train = bit_sequences(n_train, length, rng)
    test = bit_sequences(n_test, length, rng)
    model = Counter(hidden_size, seed)
    opt = Adam(model.parameters(), lr=lr)
    say(f"training an RNN ({model.num_parameters()} parameters) to count the ones in {n_train} sequences "
        f"of {length} bits: {epochs} epochs, Adam lr {lr:g}, mini-batches of {batch_size}"
        f"{_COMPILED_NOTE if compiled else ''}")

    def numbers(idx: list[int]) -> list[Any]:
        return [(train[i], sum(train[i])) for i in idx]

    def graph(idx: list[int]) -> Value:
        return losses.mean(losses.mse(model(train[i]), sum(train[i])) for i in idx)

    history: list[float] = []
    step = BatchedStep(model, _rnn_batch_loss) if compiled else None
    start = time.perf_counter()
    with progress_bar(range(epochs), progress, desc="rnn", unit="epoch") as bar:
        for epoch in bar:
            running = 0.0
            for k, idx in enumerate(batches(n_train, batch_size, rng=rng)):
                value = _step(model, opt, lr, f"epoch {epoch + 1}, batch {k + 1}", step, idx, numbers, graph)
                running += value * len(idx)
            check_finite(running, model.parameters(), f"epoch {epoch + 1}", lr)
            history.append(running / n_train)
            bar.set_postfix(loss=f"{history[-1]:.4f}")
    seconds = time.perf_counter() - start

    return _finish(
        model, history, seconds, say, f"RNN counting ones in {length} bits, Adam lr {lr}", "mean squared error",
        model_name="rnn", task=f"count the ones in {length} bits", epochs=epochs, lr=lr, batch_size=batch_size,
        seed=seed, train_accuracy=_count_accuracy(model, train), test_accuracy=_count_accuracy(model, test),
        train_size=n_train, test_size=n_test,
    )


# -- batched steps (nn.train): every number of an example is an input, targets included -----------

_COMPILED_NOTE = "; compiled replay over the batch (one example recorded once, replayed over each batch as arrays)"


def _cnn_batch_loss(model: Module, batch: Sequence[Any]) -> Value:
    """The CNN's batch loss with one-hot targets as Values: the same numbers as ``cross_entropy(logits, label)``."""
    return losses.mean(cross_entropy_of_values(model(_image(x)), y) for x, y in batch)


def _rnn_batch_loss(model: Module, batch: Sequence[Any]) -> Value:
    """The RNN's batch loss with the counts as Values: the same numbers as ``mse(model(bits), count)``."""
    return losses.mean(mse_of_values(model(bits), count) for bits, count in batch)


def _step(model: Module, opt: Adam, lr: float, where: str, compiled: BatchedStep | None, idx: list[int],
          numbers: Callable[[list[int]], Any], graph: Callable[[list[int]], Value]) -> float:
    """One Adam step on the batch of samples ``idx``; the batch loss.

    Compiled: ``compiled`` replays one example's recording over the examples ``numbers(idx)`` (every number
    an input; its first batch runs on the Value path and checks the replay against it). Value path:
    ``graph(idx)`` builds the loss and ``backward()`` runs, with the collector paused as ``nn.train.fit``
    does. A Ctrl-C that a finaliser swallowed stops before the step; a non-finite loss raises
    ``FloatingPointError`` (:func:`nn.train.check_finite`).
    """
    interrupts.check()
    if compiled is not None:
        opt.zero_grad()
        value = compiled(numbers(idx))
        if not math.isfinite(value):
            check_finite(value, model.parameters(), where, lr)
        opt.step()
        return value
    with collector_paused():
        loss = graph(idx)
        if not math.isfinite(loss.data):
            check_finite(loss.data, model.parameters(), where, lr)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.data


def _write(run: Run, out_dir: Path, say: Callable[[str], None] | None) -> dict[str, Any]:
    write_run(run, Path(out_dir), say or _quiet)
    return run.metrics


def _finish(model: Module, history: list[float], seconds: float, say: Callable[[str], None],
            title: str, ylabel: str, model_name: str, **fields: Any) -> Run:
    """The run: its metrics, and its outputs made in memory (the loss plot, the checkpoint, the metrics)."""
    say("drawing loss.png")
    outputs = {"loss.png": loss_png(history, title, ylabel), "model.json": to_json(model).encode("utf-8")}
    metrics = {
        "model": model_name,
        "architecture": repr(model),
        "parameters": model.num_parameters(),
        **fields,
        "loss": history,
        "train_seconds": round(seconds, 3),
    }
    return finish(model, metrics, outputs)
