"""Bugs in training loops and set-ups (bugs 4 to 8 and 12): the gradients are computed right, and
used or prepared wrongly.

Every bug trains the same small regression: 32 points ``x`` in ``[-1, 1]^2``, the target
``0.5 sin(pi x0) + 0.3 x1``, a 2-16-1 network, full-batch gradient descent on the mean squared
error for 40 steps. The reference loop (:func:`_fixed_train_loop`) brings the loss of the seed-0
network from 0.43 to 0.03.
"""

from __future__ import annotations

import math
import random
from typing import Any

import autograd
from autograd import Value
from nn.bugs.zoo import Bug, Demo, register
from nn.exercises.core import NotYet, call, close, number, numbers
from nn.health import UpdateRecorder, health
from nn.losses import mean
from nn.module import MLP, Module

STEPS, LR = 40, 0.1


def regression_data(n: int = 32, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """The zoo's data set: inputs in [-1, 1]^2 and targets 0.5 sin(pi x0) + 0.3 x1."""
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    return X, [0.5 * math.sin(math.pi * x[0]) + 0.3 * x[1] for x in X]


def batch_loss(model: Any, X: list[list[float]], Y: list[float], forward: Any = None) -> Value:
    """The mean squared error of ``model`` (or ``forward(model, x)``) over the batch."""
    f = forward or (lambda m, x: m(x))
    return mean((f(model, x) - y) ** 2 for x, y in zip(X, Y))


# -- bugs 4 and 5: the loop ----------------------------------------------------------------------------


def train_loop(model: Module, X: list[list[float]], Y: list[float], lr: float = LR, steps: int = STEPS) -> list[float]:
    """Full-batch gradient descent on the mean squared error; returns the loss before each step."""
    history = []
    for _ in range(steps):
        loss = mean((model(x) - y) ** 2 for x, y in zip(X, Y))
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append(loss.data)
    return history


def train_loop_v2(model: Module, X: list[list[float]], Y: list[float], lr: float = LR,
                  steps: int = STEPS) -> list[float]:
    """Full-batch gradient descent on the mean squared error; returns the loss before each step."""
    history = []
    for _ in range(steps):
        model.zero_grad()
        loss = mean((model(x) - y) ** 2 for x, y in zip(X, Y))
        loss.backward()
        for p in model.parameters():
            p.data += lr * p.grad
        history.append(loss.data)
    return history


def _fixed_train_loop(model: Module, X: list[list[float]], Y: list[float], lr: float = LR,
                      steps: int = STEPS) -> list[float]:
    history = []
    for _ in range(steps):
        model.zero_grad()
        loss = batch_loss(model, X, Y)
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append(loss.data)
    return history


def _accept_loop(candidate: Any) -> str:
    X, Y = regression_data()
    for seed in (0, 1):
        expected = _fixed_train_loop(MLP(2, [16, 1], seed=seed), X, Y)
        got = numbers(call(candidate, MLP(2, [16, 1], seed=seed), X, Y, LR, STEPS,
                           what="your train_loop(model, X, Y, lr, steps)"), STEPS, "the loss history")
        for k, (g, e) in enumerate(zip(got, expected)):
            if not close(g, e):
                raise NotYet(f"seed {seed}: the loss before step {k + 1} is {g!r}; gradient descent gives {e!r}")
    return f"the loss history of gradient descent, from {expected[0]:.3f} to {expected[-1]:.3f} in {STEPS} steps"


def _demo_loop(loop: Any) -> Demo:
    X, Y = regression_data()
    model = MLP(2, [16, 1], seed=0)
    w = model.layers[1].neurons[0].w[0]
    losses, grads = [], []
    for _ in range(STEPS):  # the loop one step at a time, to look at a gradient as it goes
        losses += loop(model, X, Y, LR, 1)
        grads.append(w.grad)
    ref_model = MLP(2, [16, 1], seed=0)
    ref_w = ref_model.layers[1].neurons[0].w[0]
    reference, ref_grads = [], []
    for _ in range(STEPS):
        reference += _fixed_train_loop(ref_model, X, Y, LR, 1)
        ref_grads.append(ref_w.grad)
    shown = (0, 1, 2, 4, 9, 19, 39)
    text = "step  loss         its .grad    | gradient descent: loss, .grad\n" + "\n".join(
        f"{k + 1:>4}  {losses[k]:<12.5g} {grads[k]:<+12.5g} | {reference[k]:.4f}, {ref_grads[k]:+.4f}" for k in shown)
    return Demo(text, {"losses": losses, "reference": reference, "grads": grads, "reference_grads": ref_grads})


register(Bug(
    number=4,
    title="a training loop written by hand (full-batch gradient descent, 40 steps)",
    symptom="the first step is right (the loss falls as gradient descent's does), then the loss climbs back and "
            "swings up and down instead of settling; a weight's .grad stays large and changes sign from step to "
            "step, where gradient descent's shrinks",
    tools="print a parameter's .grad at every step; nn.UpdateRecorder (the update ratios climb step after step)",
    broken=train_loop,
    run=lambda: _demo_loop(train_loop),
    task="train_loop(model, X, Y, lr, steps) -> the loss before each step, as gradient descent gives it",
    _diagnosis="gradients-not-zeroed",
    _accept=_accept_loop,
    _fixed=_fixed_train_loop,
))

register(Bug(
    number=5,
    title="a second training loop written by hand (full-batch gradient descent, 40 steps)",
    symptom="from the very first step the loss rises (0.43, 1.07, 2.85, 8.0, ...) and soon by orders of "
            "magnitude, with a modest learning rate of 0.1; the gradients are right (gradcheck passes)",
    tools="autograd.gradcheck (the gradients are right); the loss one step later against loss - lr |grad|^2",
    broken=train_loop_v2,
    run=lambda: _demo_loop(train_loop_v2),
    task="train_loop(model, X, Y, lr, steps) -> the loss before each step, as gradient descent gives it",
    _diagnosis="ascent-not-descent",
    _accept=_accept_loop,
    _fixed=_fixed_train_loop,
))


# -- bug 6: the step size ----------------------------------------------------------------------------


def train_quickly(model: Module, X: list[list[float]], Y: list[float]) -> list[float]:
    """Gradient descent with a learning rate picked to get there in few steps."""
    return _fixed_train_loop(model, X, Y, lr=30.0, steps=STEPS)


def _fixed_train_quickly(model: Module, X: list[list[float]], Y: list[float]) -> list[float]:
    return _fixed_train_loop(model, X, Y, lr=0.3, steps=STEPS)


def _accept_lr(candidate: Any) -> str:
    X, Y = regression_data()
    history = numbers(call(candidate, MLP(2, [16, 1], seed=0), X, Y, what="your train_quickly(model, X, Y)"),
                      None, "the loss history")
    if not history or not all(math.isfinite(h) for h in history):
        raise NotYet("the loss history must be finite at every step")
    model = MLP(2, [16, 1], seed=0)
    start = batch_loss(model, X, Y).data
    if history[-1] > 0.5 * start or any(b > 1.5 * a for a, b in zip(history, history[1:])):
        raise NotYet(f"the loss goes from {history[0]:.3g} to {history[-1]:.3g}, jumping on the way: "
                     f"it should fall steadily to below half of its start")
    return f"the loss falls steadily, {history[0]:.3f} to {history[-1]:.3f}"


def _demo_lr() -> Demo:
    X, Y = regression_data()
    model = MLP(2, [16, 1], seed=0)
    rec = UpdateRecorder(model)
    losses: list[float] = []
    anomaly = ""
    for _ in range(STEPS):
        model.zero_grad()
        loss = batch_loss(model, X, Y)
        losses.append(loss.data)
        if not math.isfinite(loss.data):
            break
        try:
            with autograd.detect_anomaly():
                loss.backward()
        except autograd.AnomalyError as e:
            anomaly = str(e).splitlines()[0]
            break
        for p in model.parameters():
            p.data -= 30.0 * p.grad
        rec.record()
    text = ("loss per step: " + ", ".join(f"{x:.3g}" for x in losses[:8]) + (" ..." if len(losses) > 8 else "")
            + "\nupdate-to-data ratio (log10) at step 1: "
            + ", ".join(f"{k} {v[0]:+.1f}" for k, v in rec.history.items()) + " (reference -3)")
    if anomaly:
        text += f"\ndetect_anomaly: {anomaly}"
    return Demo(text, {"losses": losses, "ratios": {k: v[0] for k, v in rec.history.items()}, "anomaly": anomaly})


register(Bug(
    number=6,
    title="gradient descent with a learning rate picked to get there in few steps",
    symptom="the loss jumps up by orders of magnitude within a few steps and the weights grow without bound; "
            "the gradients themselves are right (gradcheck passes)",
    tools="nn.UpdateRecorder: log10 of each step's size over the weights' size, about 0 from step 1 where the "
          "usual reference is -3; autograd.detect_anomaly, when the values finally overflow",
    broken=train_quickly,
    run=_demo_lr,
    task="train_quickly(model, X, Y) -> the loss history, falling steadily to below half its start",
    _diagnosis="learning-rate-too-high",
    _accept=_accept_lr,
    _fixed=_fixed_train_quickly,
))


# -- bugs 7 and 8: the initial weights -------------------------------------------------------------


def make_model(seed: int = 0) -> MLP:
    """A 2-16-1 tanh network, its first layer drawn with a wide spread so the units differ a lot."""
    model = MLP(2, [16, 1], seed=seed)
    for p in model.layers[0].parameters():
        p.data *= 12.0
    for neuron in model.layers[0].neurons:
        neuron.b.data = random.Random(seed).uniform(-8, 8)
    return model


def make_relu_model(seed: int = 0) -> MLP:
    """A 2-16-1 ReLU network, its hidden biases set negative so that few units fire (sparse activations)."""
    model = MLP(2, [16, 1], activation="relu", seed=seed)
    for neuron in model.layers[0].neurons:
        neuron.b.data = -4.0
    return model


def _fixed_make_model(seed: int = 0) -> MLP:
    return MLP(2, [16, 1], seed=seed)


def _fixed_make_relu_model(seed: int = 0) -> MLP:
    return MLP(2, [16, 1], activation="relu", seed=seed)


def _accept_init(candidate: Any, activation: str) -> str:
    X, Y = regression_data()
    for seed in (0, 1, 2):
        model = call(candidate, seed, what=f"your make_model({seed})")
        if not isinstance(model, MLP) or [len(layer.neurons) for layer in model.layers] != [16, 1] \
                or model.layers[0].activation != activation:
            raise NotYet(f"make_model should return a 2-16-1 {activation} MLP, got {model!r:.80}")
        start = batch_loss(model, X, Y)
        model.zero_grad()
        start.backward()
        report = health(model, loss=start)
        if report.flagged("saturated") or report.flagged("dead"):
            raise NotYet(f"seed {seed}: at the start nn.health flags {[str(f) for f in report.flags]}")
        history = _fixed_train_loop(model, X, Y)
        if history[-1] > 0.5 * history[0]:
            raise NotYet(f"seed {seed}: the loss only goes from {history[0]:.3g} to {history[-1]:.3g} in {STEPS} steps")
    return f"no unit saturated or dead at the start, and the loss falls below half in {STEPS} steps (3 seeds)"


def _demo_init(make: Any) -> Demo:
    X, Y = regression_data()
    model = make(0)
    loss = batch_loss(model, X, Y)
    model.zero_grad()
    loss.backward()
    report = health(model, loss=loss)
    rec = UpdateRecorder(model)
    history: list[float] = []
    for _ in range(STEPS):
        history += _fixed_train_loop(model, X, Y, LR, 1)
        rec.record()
    first = report.layer_rows()[0]
    share = first.saturated if first.saturated is not None else first.dead
    ratios = {name: rec.median(name, STEPS) for name in rec.history}
    text = (f"loss over {STEPS} steps: {history[0]:.4f} -> {history[-1]:.4f}\n"
            f"at the start, hidden layer: mean|dL/dw| = {first.mean_grad:.2e}, "
            f"{'saturated' if first.saturated is not None else 'dead'} {share:.0%}; output layer: mean|dL/dw| = "
            f"{report.layer_rows()[1].mean_grad:.2e}\n"
            f"update-to-data ratio (median log10): " + ", ".join(f"{k} {v:+.1f}" for k, v in ratios.items())
            + f"\nflags: {[str(f) for f in report.flags] or 'none'}")
    return Demo(text, {"history": history, "report": report, "ratios": ratios})


register(Bug(
    number=7,
    title="a 2-16-1 tanh network, its first layer drawn with a wide spread",
    symptom="the loss falls as usual on these 32 points, yet the hidden layer has stopped learning: its weights "
            "move about 1e-5 of their size per step while the output layer's move 1e-2 of theirs; its gradient is "
            "small next to the output layer's in a network only two layers deep",
    tools="nn.health(model, loss=loss): the saturated column and flag, the activations' mean and std; "
          "nn.UpdateRecorder for the update sizes",
    broken=make_model,
    run=lambda: _demo_init(make_model),
    task="make_model(seed) -> a 2-16-1 tanh MLP that trains: no unit saturated at the start, loss halved in 40 steps",
    _diagnosis="saturated-units",
    _accept=lambda c: _accept_init(c, "tanh"),
    _fixed=_fixed_make_model,
))

register(Bug(
    number=8,
    title="a 2-16-1 ReLU network with its hidden biases set negative",
    symptom="the loss barely moves (0.134 to 0.123 in 40 steps, the output layer's bias doing all of it); every "
            "gradient of the hidden layer is exactly 0, on every step",
    tools="nn.health(model, loss=loss): the dead column and flag",
    broken=make_relu_model,
    run=lambda: _demo_init(make_relu_model),
    task="make_model(seed) -> a 2-16-1 ReLU MLP that trains: no dead layer at the start, loss halved in 40 steps",
    _diagnosis="dead-units",
    _accept=lambda c: _accept_init(c, "relu"),
    _fixed=_fixed_make_relu_model,
))


# -- bug 12: a forward pass that copies ------------------------------------------------------------


def forward(model: MLP, x: list[float]) -> Value:
    """The 2-16-1 network's forward pass written out, keeping the hidden activations for a log."""
    hidden = model.layers[0](x)
    logged = [Value(a.data, label=f"h{j}") for j, a in enumerate(hidden)]  # kept for the log
    return model.layers[1](logged)[0]


def _fixed_forward(model: MLP, x: list[float]) -> Value:
    hidden = model.layers[0](x)
    for j, a in enumerate(hidden):
        a.label = f"h{j}"
    return model.layers[1](hidden)[0]


def _accept_forward(candidate: Any) -> str:
    X, Y = regression_data(8, seed=3)
    model = MLP(2, [16, 1], seed=4)
    params = model.parameters()
    expected = autograd.grad(batch_loss(model, X, Y), params)
    out = call(candidate, model, X[0], what="your forward(model, x)")
    if not isinstance(out, Value):
        raise NotYet(f"forward should return the output Value, got {out!r:.80}")
    got = autograd.grad(batch_loss(model, X, Y, forward=candidate), params)
    for k, (g, e) in enumerate(zip(got, expected)):
        if not close(number(g), e):
            raise NotYet(f"the gradient of parameter {k} is {g!r} through your forward, {e!r} through model(x)")
    return "the same value and the same gradient for every parameter as model(x)"


def _demo_forward() -> Demo:
    X, Y = regression_data()
    model = MLP(2, [16, 1], seed=0)
    first = [p.data for p in model.layers[0].parameters()]
    history = []
    for _ in range(STEPS):
        model.zero_grad()
        loss = batch_loss(model, X, Y, forward=forward)
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        history.append(loss.data)
    moved = max(abs(p.data - w) for p, w in zip(model.layers[0].parameters(), first))
    report = health(model, loss=loss)
    text = (f"loss over {STEPS} steps: {history[0]:.4f} -> {history[-1]:.4f}\n"
            f"largest change of a hidden-layer parameter: {moved}\n"
            f"mean|dL/dw| per layer: " + ", ".join(f"{r.name} {r.mean_grad:.2e}" for r in report.layer_rows()))
    return Demo(text, {"history": history, "moved": moved, "report": report})


register(Bug(
    number=12,
    title="a forward pass written out by hand, keeping the hidden activations for a log",
    symptom="training runs without an error or a NaN and the loss falls a little, but the hidden layer's "
            "weights never change: their .grad is exactly 0 after every backward pass",
    tools="autograd.draw or the explorer on one sample's loss (what does the graph start from?); nn.health",
    broken=forward,
    run=_demo_forward,
    task="forward(model, x) -> the output Value, with the same gradients as model(x)",
    _diagnosis="graph-broken",
    _accept=_accept_forward,
    _fixed=_fixed_forward,
))
