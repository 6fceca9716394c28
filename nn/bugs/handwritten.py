"""Bugs in hand-written backward passes and updates (bugs 1, 2 and 11).

Each broken function computes gradients (or a training step) with plain floats, as notebooks 2,
9 and 10 do by hand; the engine gives the right numbers to compare with.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any, TypedDict

import autograd
from autograd import Value
from nn.bugs.zoo import Bug, Demo, register
from nn.exercises.core import NotYet, call, close, numbers

Net = tuple[list[list[list[float]]], list[list[float]]]  # (W[li][j][k], b[li][j]) per layer
Weights = list[list[list[float]]]  # W[li][j][k]: layer li's weight from unit k to unit j
Biases = list[list[float]]  # b[li][j]


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def _forward(W: Weights, b: Biases, x: list[float], g: Callable[[float], float]
             ) -> tuple[list[list[float]], list[list[float]]]:
    zs, acts = [], [list(x)]
    for Wl, bl in zip(W, b):
        z = [math.fsum(w * a for w, a in zip(row, acts[-1])) + bj for row, bj in zip(Wl, bl)]
        zs.append(z)
        acts.append([g(t) for t in z])
    return zs, acts


def hand_backward_sigmoid(W: Weights, b: Biases, x: list[float], y: list[float]) -> Weights:
    """dC/dW for a sigmoid network and C = 1/2 |a - y|^2 (the bug: see the zoo)."""
    zs, acts = _forward(W, b, x, _sigmoid)
    slope = [[_sigmoid(t) * (1 - _sigmoid(t)) for t in z] for z in zs]
    delta = [(a - t) * s for a, t, s in zip(acts[-1], y, slope[-1])]
    grads: Weights = [[] for _ in W]
    for li in range(len(W) - 1, -1, -1):
        grads[li] = [[d * a for a in acts[li]] for d in delta]
        if li > 0:
            delta = [sum(W[li][j][k] * delta[j] for j in range(len(delta))) for k in range(len(acts[li]))]
    return grads


def hand_backward_tanh(W: Weights, b: Biases, x: list[float], y: list[float]) -> Weights:
    """dC/dW for a tanh network whose later layers are square, C = 1/2 |a - y|^2 (the bug: see the zoo)."""
    zs, acts = _forward(W, b, x, math.tanh)
    delta = [(a - t) * (1 - a * a) for a, t in zip(acts[-1], y)]
    grads: Weights = [[] for _ in W]
    for li in range(len(W) - 1, -1, -1):
        grads[li] = [[d * a for a in acts[li]] for d in delta]
        if li > 0:
            delta = [(1 - acts[li][k] ** 2) * sum(W[li][k][j] * delta[j] for j in range(len(delta)))
                     for k in range(len(acts[li]))]
    return grads


def _fixed_backward(g: Callable[[float], float], g_prime_of_a: Callable[[float], float]
                    ) -> Callable[[Weights, Biases, list[float], list[float]], Weights]:
    """The reference fix of bugs 1 and 2: the recursion with g'(z) (from the activation a) and W transposed."""

    def backward(W: Weights, b: Biases, x: list[float], y: list[float]) -> Weights:
        _, acts = _forward(W, b, x, g)
        delta = [(a - t) * g_prime_of_a(a) for a, t in zip(acts[-1], y)]
        grads: list[list[list[float]]] = [[] for _ in W]
        for li in range(len(W) - 1, -1, -1):
            grads[li] = [[d * a for a in acts[li]] for d in delta]
            if li > 0:  # delta^l_k = g'(z^l_k) sum_j w^{l+1}_{jk} delta^{l+1}_j
                delta = [g_prime_of_a(acts[li][k]) * sum(W[li][j][k] * delta[j] for j in range(len(delta)))
                         for k in range(len(acts[li]))]
        return grads

    return backward


def random_net(sizes: list[int], rng: random.Random) -> Net:
    W = [[[rng.uniform(-1.5, 1.5) for _ in range(sizes[li])] for _ in range(sizes[li + 1])]
         for li in range(len(sizes) - 1)]
    b = [[rng.uniform(-0.5, 0.5) for _ in range(sizes[li + 1])] for li in range(len(sizes) - 1)]
    return W, b


def engine_grads(W: Weights, b: Biases, x: list[float], y: list[float], act: str) -> Weights:
    """The engine's dC/dW for the same network: the oracle."""
    Wv = [[[Value(w) for w in row] for row in Wl] for Wl in W]
    a: list[Any] = list(x)
    for Wl, bl in zip(Wv, b):
        a = [getattr(autograd.dot(row, a, start=bj), act)() for row, bj in zip(Wl, bl)]
    cost = 0.5 * autograd.total((ai - t) ** 2 for ai, t in zip(a, y))
    flat = autograd.grad(cost, [w for Wl in Wv for row in Wl for w in row])
    it = iter(flat)
    return [[[next(it) for _ in row] for row in Wl] for Wl in W]


def _accept_backward(candidate: Any, sizes: list[int], act: str) -> str:
    rng = random.Random(7)
    for trial in range(10):
        W, b = random_net(sizes, rng)
        x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
        y = [rng.uniform(-1, 1) for _ in range(sizes[-1])]
        got = call(candidate, W, b, x, y, what="your backward(W, b, x, y)")
        expected = engine_grads(W, b, x, y, act)
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            raise NotYet(f"backward should return one gradient matrix per layer ({len(expected)}), got {got!r:.80}")
        for li, (gl, el) in enumerate(zip(got, expected)):
            for j, (grow, erow) in enumerate(zip(gl, el)):
                for k, (g, e) in enumerate(zip(numbers(grow, len(erow), f"row {j} of layer {li}"), erow)):
                    if not close(g, e):
                        raise NotYet(f"network {trial}: dC/dW[{li}][{j}][{k}] is {g!r}, the engine gives {e!r}")
    return f"equal to the engine's gradients on 10 random {'-'.join(map(str, sizes))} {act} networks"


def _relative_errors(broken: Callable[[Weights, Biases, list[float], list[float]], Weights], act: str,
                     sizes: list[int]) -> list[list[float]]:
    """Per layer, |hand - engine| / |engine| for every weight, on one random network."""
    rng = random.Random(3)
    W, b = random_net(sizes, rng)
    x, y = [0.5, -0.3], [0.8, -0.4, 0.1][:sizes[-1]]
    got, expected = broken(W, b, x, y), engine_grads(W, b, x, y, act)
    return [[abs(g - e) / abs(e) for grow, erow in zip(gl, el) for g, e in zip(grow, erow)]
            for gl, el in zip(got, expected)]


def _demo_slope() -> Demo:
    errors = _relative_errors(hand_backward_sigmoid, "sigmoid", [2, 3, 3, 1])
    factors = [[1 + e for e in layer] for layer in errors]  # the hand gradient is too large by this factor
    lines = [f"layer {li + 1}: hand / engine = {min(f):.2f} ... {max(f):.2f}" for li, f in enumerate(factors)]
    return Demo("hand-written dC/dW against the engine's, 2-3-3-1 sigmoid network:\n" + "\n".join(lines),
                {"factors": factors})


def _demo_transposed() -> Demo:
    errors = _relative_errors(hand_backward_tanh, "tanh", [2, 3, 3, 3])
    lines = [f"layer {li + 1}: relative error {min(e):.1e} ... {max(e):.1e}" for li, e in enumerate(errors)]
    return Demo("hand-written dC/dW against the engine's, 2-3-3-3 tanh network:\n" + "\n".join(lines),
                {"errors": errors})


register(Bug(
    number=1,
    title="a hand-written backward pass for a sigmoid network (2-3-3-1, C = 1/2 |a - y|^2)",
    symptom="against the engine (or central differences), the last layer's weight gradients agree to the last "
            "digit; every earlier gradient is too large, by a factor that differs from weight to weight and "
            "grows towards the input: never below 4 one layer back, about 20 to 25 two layers back here",
    tools="autograd.gradcheck or autograd.grad beside the hand gradients, layer by layer; trace_backward for "
          "the factors on each edge",
    broken=hand_backward_sigmoid,
    run=_demo_slope,
    task="backward(W, b, x, y) -> the list of dC/dW per layer, equal to the engine's",
    _diagnosis="missing-activation-derivative",
    _accept=lambda c: _accept_backward(c, [2, 3, 3, 1], "sigmoid"),
    _fixed=_fixed_backward(_sigmoid, lambda a: a * (1 - a)),
))

register(Bug(
    number=2,
    title="a hand-written backward pass for a tanh network whose later layers are square (2-3-3-3)",
    symptom="the last layer's gradients are right; the hidden layers' have the right size but the wrong values, "
            "and become right when a weight matrix happens to be symmetric",
    tools="trace_backward: compare the contribution each edge adds into a hidden unit with delta_j w_jk",
    broken=hand_backward_tanh,
    run=_demo_transposed,
    task="backward(W, b, x, y) -> the list of dC/dW per layer, equal to the engine's",
    _diagnosis="transposed-weights",
    _accept=lambda c: _accept_backward(c, [2, 3, 3, 3], "tanh"),
    _fixed=_fixed_backward(math.tanh, lambda a: 1 - a * a),
))


# -- bug 11: the sequential update -------------------------------------------------------------------

class _MazurNet(TypedDict):
    """Mazur's 2-2-2 network: inputs, targets, biases, learning rate and the 8 starting weights."""

    i: tuple[float, float]
    t: tuple[float, float]
    b: tuple[float, float]
    eta: float
    w: dict[int, float]


MAZUR: _MazurNet = {"i": (0.05, 0.10), "t": (0.01, 0.99), "b": (0.35, 0.60), "eta": 0.5,
                    "w": {1: 0.15, 2: 0.20, 3: 0.25, 4: 0.30, 5: 0.40, 6: 0.45, 7: 0.50, 8: 0.55}}


def _mazur_forward(w: dict[int, float]) -> dict[str, float]:
    (i1, i2), (b1, b2) = MAZUR["i"], MAZUR["b"]
    h1, h2 = _sigmoid(w[1] * i1 + w[2] * i2 + b1), _sigmoid(w[3] * i1 + w[4] * i2 + b1)
    o1, o2 = _sigmoid(w[5] * h1 + w[6] * h2 + b2), _sigmoid(w[7] * h1 + w[8] * h2 + b2)
    t1, t2 = MAZUR["t"]
    return {"h1": h1, "h2": h2, "o1": o1, "o2": o2, "E": 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2}


def mazur_train_step(w: dict[int, float]) -> dict[int, float]:
    """One gradient-descent step on Mazur's 2-2-2 network (the bug: see the zoo)."""
    w = dict(w)
    f = _mazur_forward(w)
    (i1, i2), (t1, t2), eta = MAZUR["i"], MAZUR["t"], MAZUR["eta"]
    d1 = (f["o1"] - t1) * f["o1"] * (1 - f["o1"])
    d2 = (f["o2"] - t2) * f["o2"] * (1 - f["o2"])
    w[5] -= eta * d1 * f["h1"]
    w[6] -= eta * d1 * f["h2"]
    w[7] -= eta * d2 * f["h1"]
    w[8] -= eta * d2 * f["h2"]
    e1 = (d1 * w[5] + d2 * w[7]) * f["h1"] * (1 - f["h1"])
    e2 = (d1 * w[6] + d2 * w[8]) * f["h2"] * (1 - f["h2"])
    w[1] -= eta * e1 * i1
    w[2] -= eta * e1 * i2
    w[3] -= eta * e2 * i1
    w[4] -= eta * e2 * i2
    return w


def _fixed_mazur_train_step(w: dict[int, float]) -> dict[int, float]:
    old = dict(w)
    f = _mazur_forward(old)
    (i1, i2), (t1, t2), eta = MAZUR["i"], MAZUR["t"], MAZUR["eta"]
    d1 = (f["o1"] - t1) * f["o1"] * (1 - f["o1"])
    d2 = (f["o2"] - t2) * f["o2"] * (1 - f["o2"])
    e1 = (d1 * old[5] + d2 * old[7]) * f["h1"] * (1 - f["h1"])
    e2 = (d1 * old[6] + d2 * old[8]) * f["h2"] * (1 - f["h2"])
    grads = {5: d1 * f["h1"], 6: d1 * f["h2"], 7: d2 * f["h1"], 8: d2 * f["h2"],
             1: e1 * i1, 2: e1 * i2, 3: e2 * i1, 4: e2 * i2}
    return {k: old[k] - eta * grads[k] for k in old}


def mazur_grads(w: dict[int, float]) -> dict[int, float]:
    """The engine's dE/dw at ``w``: the oracle."""
    ws = {k: Value(v) for k, v in w.items()}
    (i1, i2), (b1, b2), (t1, t2) = MAZUR["i"], MAZUR["b"], MAZUR["t"]
    h1, h2 = (ws[1] * i1 + ws[2] * i2 + b1).sigmoid(), (ws[3] * i1 + ws[4] * i2 + b1).sigmoid()
    o1, o2 = (ws[5] * h1 + ws[6] * h2 + b2).sigmoid(), (ws[7] * h1 + ws[8] * h2 + b2).sigmoid()
    E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    return dict(zip(ws, autograd.grad(E, list(ws.values()))))


def _accept_step(candidate: Any) -> str:
    rng = random.Random(11)
    starts = [dict(MAZUR["w"])] + [{k: rng.uniform(-1, 1) for k in range(1, 9)} for _ in range(5)]
    for w in starts:
        got = call(candidate, dict(w), what="your train_step(w)")
        if not isinstance(got, dict) or set(got) != set(w):
            raise NotYet(f"train_step should return the dict of the 8 new weights, got {got!r:.80}")
        grads = mazur_grads(w)
        for k in sorted(w):
            expected = w[k] - MAZUR["eta"] * grads[k]
            if not close(float(got[k]), expected):
                raise NotYet(f"from {w[k]!r}, w{k} moved to {got[k]!r}; w - eta dE/dw at the start is {expected!r}")
    return "every weight moves by -eta dE/dw, all taken at the same point"


def _demo_sequential() -> Demo:
    w0 = dict(MAZUR["w"])
    seq, grads = mazur_train_step(w0), mazur_grads(w0)
    lines = [f"E before: {_mazur_forward(w0)['E']:.9f}, after one step: {_mazur_forward(seq)['E']:.9f}"]
    for k in (1, 5):
        step = seq[k] - w0[k]
        lines.append(f"w{k} moved by {step:+.9e}; -eta dE/dw{k} at the start is {-MAZUR['eta'] * grads[k]:+.9e}")
    return Demo("\n".join(lines), {"E_after": _mazur_forward(seq)["E"], "step_w1": seq[1] - w0[1],
                                   "gradient_step_w1": -MAZUR["eta"] * grads[1]})


register(Bug(
    number=11,
    title="one training step on Mazur's 2-2-2 network (inputs 0.05, 0.10; targets 0.01, 0.99; eta 0.5)",
    symptom="the error after one step is 0.291027924, the number the blog post prints; the output weights move "
            "by exactly -eta dE/dw, the hidden weights by slightly less",
    tools="autograd.grad at the starting weights, compared with each weight's step; notebook 10",
    broken=mazur_train_step,
    run=_demo_sequential,
    task="train_step(w: dict 1..8 -> weight) -> the new weights, each moved by -eta dE/dw at the start",
    _diagnosis="sequential-update",
    _accept=_accept_step,
    _fixed=_fixed_mazur_train_step,
))
