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
- ``batched``: ``autograd.compile`` on *one example's* loss, replayed over the
  batch with NumPy arrays (``c(numbers, sum_grads=True)``, what ``nn.train``'s
  ``BatchedStep`` runs); recording time apart.
- ``torch_batched``: the same model written with PyTorch tensors (weight
  matrices, the batch as one tensor), float64, one thread: what PyTorch users write.
- ``jax``: the same tensor program under ``jax.jit`` (value and gradient in one
  compiled function), float64, when JAX is installed (it is not a dependency).

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
        if workload in ("cnn_step", "train_scaling", "digits_epoch", "collector_scaling"):
            raise Unsupported(f"{self.name} is not measured on {workload} (it needs this project's nn)")
        if workload == "mlp_step_large":
            raise Unsupported(f"{self.name} is measured on the demo step at 100 points (1,000 takes minutes a step)")


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
        if workload not in ("mlp_step", "cnn_step", "digits_epoch"):
            raise Unsupported("compiled replay is measured on training steps only (at 1,000 points, recording the "
                              "whole batch's 650,000 edges takes minutes)")

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
        from nn.examples import _cnn_batch_loss
        from nn.train import CompiledStep, one_hot

        compiled = CompiledStep(model, _cnn_batch_loss)
        data = [(x, one_hot(y, 10)) for x, y in batch]
        return self._adam_steps(model, compiled, data, lambda: compiled.compiled(data), lr)

    def _adam_steps(self, model: Any, step_fn: Callable[[Any], float], data: Any, record: Callable[[], Any],
                    lr: float) -> Callable[[], float]:
        """Adam steps of ``step_fn(data)`` (which adds to ``.grad``), after timing ``record()`` once."""
        import time

        from nn.optim import Adam

        opt = Adam(model.parameters(), lr=lr)
        t0 = time.perf_counter()
        opt.zero_grad()
        record()
        self.record_seconds = time.perf_counter() - t0

        def step() -> float:
            opt.zero_grad()
            loss = step_fn(data)
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


class OursBatched(OursCompiled):
    """This project's batched replay: one example's loss recorded once, replayed over the batch with arrays."""

    name = "batched"
    record_seconds = 0.0

    def check_workload(self, workload: str) -> None:
        if workload not in ("mlp_step", "mlp_step_large", "cnn_step", "digits_epoch"):
            raise Unsupported("batched replay is measured on training steps only")

    def mlp_stepper(self, model: Callable[[list[float]], Any], params: list[Any], xs: list[list[float]],
                    ys: list[float], alpha: float) -> Callable[[float], None]:
        """The demo step: the hinge loss of one example (plus the L2 term, the same for every example)."""
        import time

        import numpy as np

        n = len(params)
        total = self.ag.total

        def example_loss(v: list[Any]) -> Any:
            # mean over the batch of (hinge_b + L2) = mean(hinge) + L2: the demo's loss
            return (1.0 - v[n + 2] * model(v[n:n + 2])).relu() + alpha * total([p * p for p in v[:n]])

        t0 = time.perf_counter()
        leaves = [self.Value(x) for x in (*xs[0], ys[0])]
        compiled = self.ag.compile(example_loss, params + leaves, wrt=list(range(n)))
        columns = [np.array([x[0] for x in xs]), np.array([x[1] for x in xs]), np.array(ys)]
        compiled([p.data for p in params] + columns, sum_grads=True)  # the array program, generated once
        self.record_seconds = time.perf_counter() - t0
        k = 1.0 / len(xs)

        def step(lr: float) -> None:
            _, grads = compiled([p.data for p in params] + columns, sum_grads=True)
            rate = lr * k
            for p, g in zip(params, grads):
                p.data -= rate * g

        return step

    def cnn_stepper(self, model: Any, batch: list[tuple[list[float], int]], lr: float) -> Callable[[], float]:
        """The same step as ``ours``, as ``nn.train.fit(..., compiled=True)`` runs it (``BatchedStep``).

        The recording time includes the first batch, which is recorded and checked against the Value path.
        """
        from nn.examples import _cnn_batch_loss
        from nn.train import BatchedStep, one_hot

        step_fn = BatchedStep(model, _cnn_batch_loss)
        data = [(x, one_hot(y, 10)) for x, y in batch]
        return self._adam_steps(model, step_fn, data, lambda: step_fn(data), lr)


class TorchBatched(Torch):
    """PyTorch as its users write an MLP: weight matrices, the batch as one float64 tensor, one thread."""

    name = "torch_batched"

    def check_workload(self, workload: str) -> None:
        if workload not in ("mlp_step", "mlp_step_large"):
            raise Unsupported("PyTorch with tensors is measured on the demo step")

    def mlp_stepper(self, model: Any, params: list[Any], xs: list[list[float]], ys: list[float],
                    alpha: float) -> Callable[[float], None]:
        torch = self.torch
        X = torch.tensor(xs, dtype=torch.float64)
        Y = torch.tensor(ys, dtype=torch.float64)
        layers = model

        def step(lr: float) -> None:
            for p in params:
                p.grad = None
            h = X
            for i, (w, b) in enumerate(layers):
                h = h @ w + b
                if i < len(layers) - 1:
                    h = torch.relu(h)
            data_loss = torch.relu(1.0 - Y * h[:, 0]).mean()
            loss = data_loss + alpha * sum((p * p).sum() for p in params)
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad

        return step

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Any, list[Any]]:
        """Weight matrices ``(nin, nout)`` and biases, micrograd's initialisation (uniform weights, zero biases)."""
        torch = self.torch
        random.seed(seed)
        sizes = [nin, *nouts]
        layers = []
        for i in range(len(nouts)):
            w = [[random.uniform(-1, 1) for _ in range(sizes[i + 1])] for _ in range(sizes[i])]
            layers.append((torch.tensor(w, dtype=torch.float64, requires_grad=True),
                           torch.zeros(sizes[i + 1], dtype=torch.float64, requires_grad=True)))
        return layers, [t for layer in layers for t in layer]


class JaxJit(Engine):
    """The same tensor program under ``jax.jit``: loss and gradient in one compiled function (float64)."""

    name = "jax"

    def __init__(self) -> None:
        try:
            import jax
        except ImportError as e:
            raise EngineUnavailable("jax is not installed (optional: pip install jax)") from e
        jax.config.update("jax_enable_x64", True)
        self.jax = jax

    def check_workload(self, workload: str) -> None:
        if workload not in ("mlp_step", "mlp_step_large"):
            raise Unsupported("JAX is measured on the demo step")

    def mlp(self, nin: int, nouts: list[int], seed: int) -> tuple[Any, list[Any]]:
        import jax.numpy as jnp

        random.seed(seed)
        sizes = [nin, *nouts]
        params = []
        for i in range(len(nouts)):
            w = [[random.uniform(-1, 1) for _ in range(sizes[i + 1])] for _ in range(sizes[i])]
            params += [jnp.array(w, dtype=jnp.float64), jnp.zeros(sizes[i + 1], dtype=jnp.float64)]
        return None, params

    def mlp_stepper(self, model: Any, params: list[Any], xs: list[list[float]], ys: list[float],
                    alpha: float) -> Callable[[float], None]:
        jax = self.jax
        jnp = jax.numpy
        X, Y = jnp.array(xs, dtype=jnp.float64), jnp.array(ys, dtype=jnp.float64)

        def loss(ps: list[Any]) -> Any:
            h = X
            for i in range(0, len(ps), 2):
                h = h @ ps[i] + ps[i + 1]
                if i < len(ps) - 2:
                    h = jax.nn.relu(h)
            return jax.nn.relu(1.0 - Y * h[:, 0]).mean() + alpha * sum((p * p).sum() for p in ps)

        @jax.jit
        def update(ps: list[Any], lr: float) -> list[Any]:
            grads = jax.grad(loss)(ps)
            return [p - lr * g for p, g in zip(ps, grads)]

        state = {"ps": list(params)}

        def step(lr: float) -> None:
            state["ps"] = update(state["ps"], lr)
            jax.block_until_ready(state["ps"])

        return step


ENGINES: dict[str, Callable[[], Engine]] = {"ours": Ours, "compiled": OursCompiled, "batched": OursBatched,
                                            "micrograd": Micrograd, "torch": Torch, "torch_batched": TorchBatched,
                                            "jax": JaxJit}


def make(name: str) -> Engine:
    """The engine called ``name``; KeyError for an unknown one, EngineUnavailable if not installed."""
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}; choose from {sorted(ENGINES)}")
    return ENGINES[name]()
