"""The engines under test, behind one small interface.

Each engine builds the same graphs the way its own users would write them:

- ``ours``: this project's ``Value`` and ``nn.MLP``; plain numbers are
  constants, a neuron is one n-ary ``dot`` node plus its activation, sums use
  ``total``.
- ``micrograd``: ``micrograd==0.1.0`` as published (its demo's MLP and loss).
  It has no ``tanh``, so :func:`_micrograd_tanh` adds one in micrograd's own
  style (a closure per node) for the ``deep_chain`` workload.
- ``torch``: PyTorch with 0-d float64 tensors on one thread, the fair way to
  use it as a scalar engine.
- ``compiled``: this project's ``autograd.compile``: the same step recorded
  once (``ours``' graph), then replayed on floats; recording time is reported
  apart from the step time.

Engines that cannot run a workload (the CNN step needs this project's ``nn``;
the compiled engine replays training steps only) raise :class:`Unsupported`.

An engine whose library is missing raises :class:`EngineUnavailable`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any


class EngineUnavailable(RuntimeError):
    """The library behind an engine is not installed."""


class Unsupported(RuntimeError):
    """The engine does not run this workload (it is not a measurement failure)."""


class Engine:
    """What every workload needs from an engine.

    Values are whatever the engine uses as a differentiable scalar.
    """

    name = ""

    def leaf(self, x: float) -> Any:
        """A scalar that gradients flow to."""
        raise NotImplementedError

    def tanh(self, v: Any) -> Any:
        raise NotImplementedError

    def total(self, vs: Sequence[Any]) -> Any:
        """The engine's natural way to add many values."""
        return sum(vs[1:], vs[0])

    def backward(self, root: Any) -> None:
        root.backward()

    def grad(self, v: Any) -> float:
        return float(v.grad)

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Callable[[list[float]], Any], list[Any]]:
        """``(model, parameters)``: ReLU hidden layers and a linear output, as micrograd's demo."""
        raise NotImplementedError

    def hinge_l2(self, scores: list[Any], ys: list[float], params: list[Any], alpha: float) -> Any:
        """micrograd's demo loss: mean(relu(1 - y * score)) + alpha * sum(p^2), as its demo writes it."""
        losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + alpha * sum(p * p for p in params)

    def sgd_step(self, loss: Any, params: list[Any], lr: float) -> None:
        """Zero the gradients, backward from ``loss``, ``p.data -= lr * p.grad``."""
        raise NotImplementedError

    def mlp_stepper(self, model: Callable[[list[float]], Any], params: list[Any], xs: list[list[float]],
                    ys: list[float], alpha: float) -> Callable[[float], None]:
        """``step(lr)``: one training step of the demo (forward, loss, backward, SGD) on the whole data."""

        def step(lr: float) -> None:
            loss = self.hinge_l2([model(x) for x in xs], ys, params, alpha=alpha)
            self.sgd_step(loss, params, lr=lr)

        return step

    def cnn_stepper(self, model: Any, batch: list[tuple[list[float], int]], lr: float) -> Callable[[], float]:
        """``step()``: one Adam step of the digits CNN on ``batch``; returns the loss."""
        raise Unsupported(f"{self.name} has no CNN step here")

    def check_workload(self, workload: str) -> None:
        """Raise :class:`Unsupported` if this engine does not run ``workload``."""
        if workload in ("cnn_step", "train_scaling"):
            raise Unsupported(f"{self.name} is not measured on {workload} (it needs this project's nn)")


# -- ours ---------------------------------------------------------------------


class Ours(Engine):
    name = "ours"

    def __init__(self) -> None:
        import autograd

        self.ag = autograd
        self.Value = autograd.Value

    def leaf(self, x: float) -> Any:
        return self.Value(x)

    def tanh(self, v: Any) -> Any:
        return v.tanh()

    def total(self, vs: Sequence[Any]) -> Any:
        return self.ag.total(vs)

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Callable[[list[float]], Any], list[Any]]:
        import nn  # this project's nn package: a neuron is one dot node, then its activation

        model = nn.MLP(nin, nouts, activation="relu", seed=seed)
        return model, model.parameters()

    def hinge_l2(self, scores: list[Any], ys: list[float], params: list[Any], alpha: float) -> Any:
        total = self.ag.total
        data_loss = total([(1.0 - y * s).relu() for y, s in zip(ys, scores)]) * (1.0 / len(scores))
        return data_loss + alpha * total([p * p for p in params])

    def sgd_step(self, loss: Any, params: list[Any], lr: float) -> None:
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad

    def check_workload(self, workload: str) -> None:
        pass

    def cnn_stepper(self, model: Any, batch: list[tuple[list[float], int]], lr: float) -> Callable[[], float]:
        """The step of ``nn.examples.train_cnn_digits``: mean cross-entropy of the batch, Adam."""
        from nn import losses
        from nn.examples import _image
        from nn.optim import Adam

        opt = Adam(model.parameters(), lr=lr)

        def step() -> float:
            loss = losses.mean(losses.cross_entropy(model(_image(x)), y) for x, y in batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.data

        return step


class OursCompiled(Ours):
    """This project's engine through ``autograd.compile``: record the step's graph once, replay it."""

    name = "compiled"
    record_seconds = 0.0

    def check_workload(self, workload: str) -> None:
        if workload not in ("mlp_step", "cnn_step"):
            raise Unsupported("compiled replay is measured on training steps only")

    def mlp_stepper(self, model: Callable[[list[float]], Any], params: list[Any], xs: list[list[float]],
                    ys: list[float], alpha: float) -> Callable[[float], None]:
        import time

        def loss_fn(_: list[Any]) -> Any:  # the data are constants: the demo trains on one fixed batch
            return self.hinge_l2([model(x) for x in xs], ys, params, alpha=alpha)

        t0 = time.perf_counter()
        compiled = self.ag.compile(loss_fn, params)
        self.record_seconds = time.perf_counter() - t0

        def step(lr: float) -> None:
            _, grads = compiled([p.data for p in params])
            for p, g in zip(params, grads):
                p.data -= lr * g

        return step

    def cnn_stepper(self, model: Any, batch: list[tuple[list[float], int]], lr: float) -> Callable[[], float]:
        """The same step as ``ours``, as ``train_cnn_digits(compiled=True)`` runs it (the batch is an input)."""
        import time

        from nn.examples import _cnn_batch_loss
        from nn.optim import Adam
        from nn.train import CompiledStep, one_hot

        opt = Adam(model.parameters(), lr=lr)
        compiled = CompiledStep(model, _cnn_batch_loss)
        data = [(x, one_hot(y, 10)) for x, y in batch]
        t0 = time.perf_counter()
        compiled.compiled(data)
        self.record_seconds = time.perf_counter() - t0

        def step() -> float:
            opt.zero_grad()
            loss = compiled(data)
            opt.step()
            return loss

        return step


# -- micrograd ----------------------------------------------------------------


def _micrograd_tanh(x: Any) -> Any:
    """tanh for micrograd, written the way its other ops are (a closure per node)."""
    t = math.tanh(x.data)
    out = type(x)(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1.0 - t * t) * out.grad

    out._backward = _backward
    return out


class Micrograd(Engine):
    name = "micrograd"

    def __init__(self) -> None:
        try:
            from micrograd import engine, nn
        except ImportError as e:
            raise EngineUnavailable("micrograd is not installed (pip install micrograd==0.1.0)") from e
        self.Value = engine.Value
        self.nn = nn

    def leaf(self, x: float) -> Any:
        return self.Value(x)

    def tanh(self, v: Any) -> Any:
        return _micrograd_tanh(v)

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Callable[[list[float]], Any], list[Any]]:
        random.seed(seed)
        model = self.nn.MLP(nin, nouts)
        value = self.Value
        return (lambda x: model([value(xi) for xi in x])), model.parameters()

    def sgd_step(self, loss: Any, params: list[Any], lr: float) -> None:
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad


# -- torch --------------------------------------------------------------------


class Torch(Engine):
    name = "torch"

    def __init__(self) -> None:
        try:
            import torch
        except ImportError as e:
            raise EngineUnavailable("torch is not installed (pip install torch==2.13.0)") from e
        torch.set_num_threads(1)
        self.torch = torch

    def leaf(self, x: float) -> Any:
        return self.torch.tensor(x, dtype=self.torch.float64, requires_grad=True)

    def tanh(self, v: Any) -> Any:
        return v.tanh()

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Callable[[list[float]], Any], list[Any]]:
        random.seed(seed)
        sizes = [nin, *nouts]
        # one (weights, bias) per neuron, micrograd's initialisation
        layers = [
            [([self.leaf(random.uniform(-1, 1)) for _ in range(sizes[i])], self.leaf(0.0)) for _ in range(sizes[i + 1])]
            for i in range(len(nouts))
        ]
        last = len(layers) - 1
        tensor, f64 = self.torch.tensor, self.torch.float64

        def model(x: list[float]) -> Any:
            h = [tensor(xi, dtype=f64) for xi in x]
            for i, layer in enumerate(layers):
                out = [sum((w * xi for w, xi in zip(ws, h)), b) for ws, b in layer]
                h = out if i == last else [a.relu() for a in out]
            return h[0] if len(h) == 1 else h

        params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
        return model, params

    def sgd_step(self, loss: Any, params: list[Any], lr: float) -> None:
        for p in params:
            p.grad = None
        loss.backward()
        with self.torch.no_grad():
            for p in params:
                p -= lr * p.grad


ENGINES: dict[str, Callable[[], Engine]] = {"ours": Ours, "compiled": OursCompiled, "micrograd": Micrograd,
                                            "torch": Torch}


def make(name: str) -> Engine:
    """The engine called ``name``; KeyError for an unknown one, EngineUnavailable if not installed."""
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}; choose from {sorted(ENGINES)}")
    return ENGINES[name]()
