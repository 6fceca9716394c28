"""Checks for the notebooks on training and curvature: training an MLP (7), higher-order
derivatives (8), vanishing gradients and their remedies (11). Expected answers come from the
engine and from ``nn``'s own optimizers."""

from __future__ import annotations

import math
import random
from typing import Any

import autograd
from autograd import Value
from nn.exercises.core import NotYet, call, exercise, number, numbers, same

# -- notebook 7: training ---------------------------------------------------------------------------

NEURON_07: dict[str, Any] = {"w": [0.3, -0.5], "b": 0.1, "samples": [([1.0, 2.0], 0.5), ([-1.0, 0.5], -0.2)], "lr": 0.1}


@exercise("7.1", "one SGD step by hand: a tanh neuron, a batch of two samples, the mean squared error")
def _sgd_step(answer: Any) -> str:
    d = NEURON_07
    w = [Value(v) for v in d["w"]]
    b = Value(d["b"])
    terms = [((autograd.dot(w, x, start=b)).tanh() - y) ** 2 for x, y in d["samples"]]
    loss = autograd.total(terms) * (1 / len(terms))
    grads = autograd.grad(loss, [*w, b])
    expected = [p.data - d["lr"] * g for p, g in zip([*w, b], grads)]
    got = numbers(answer, 3, "[w0, w1, b] after the step")
    for name, g, e in zip(("w0", "w1", "b"), got, expected):
        same(g, e, f"your new {name}")
    return "w - lr * (1/m) sum of the per-sample gradients"


@exercise("7.2", "SGD with momentum 0.9, lr 0.1: how far does a weight move in 3 steps of gradient 1")
def _momentum(answer: Any) -> str:
    from nn.optim import SGD

    p = Value(0.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    got = number(answer)
    if close_abs(got, -p.data):
        raise NotYet("right size, wrong sign: the weight moves against the gradient")
    same(got, p.data, "your change w_3 - w_0")
    return "-lr (1 + 1.9 + 2.71): the velocity v = 0.9 v + g builds up towards g / (1 - 0.9) = 10 g"


def close_abs(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@exercise("7.3", "the learning rate for a summed batch loss that gives the same step as lr 0.2 with the mean")
def _sum_vs_mean(answer: Any) -> str:
    from nn.losses import mean

    rng = random.Random(73)
    got = number(answer)
    w = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(16)]
    per_sample = [autograd.dot(w, x).tanh() ** 2 for x in xs]
    g_mean = autograd.grad(mean(per_sample), w)
    g_sum = autograd.grad(autograd.total(per_sample), w)
    for gm, gs in zip(g_mean, g_sum):
        same(got * gs, 0.2 * gm, "the step with your rate on the summed loss")
    return "0.2 / 16: the sum's gradient is m times the mean's"


# -- notebook 8: higher order ------------------------------------------------------------------------


def _newton(x: float, steps: int = 40) -> float:
    for _ in range(steps):
        v = Value(x)
        d1 = autograd.grad(v ** 4 - 2 * v ** 2, v, create_graph=True)
        d2 = autograd.grad(d1, v)
        x -= d1.data / d2
    return x


@exercise("8.1", "where does Newton's method on x^4 - 2x^2 converge from x0 = 0.3")
def _newton_from(answer: Any) -> str:
    got, limit = number(answer), _newton(0.3)
    if abs(abs(got) - 1.0) < 1e-6:
        raise NotYet("not a minimum: at 0.3 the curvature f'' = 12x^2 - 4 is negative, so the step goes uphill")
    same(got, limit, "your limit", tol=1e-9)
    return "0, the local maximum: Newton finds a stationary point of f, a minimum only where f'' > 0"


def _rosenbrock(v: list[Value]) -> Value:
    x, y = v
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _wavy(v: list[Value]) -> Value:
    return (v[0] * v[1]).tanh() + v[2] * v[0] ** 2 - v[1].sin()


@exercise("8.2", "hvp_fd(f, x, v, eps): a Hessian-vector product from two gradients")
def _hvp(hvp_fd: Any) -> str:
    rng = random.Random(82)
    for f, n in ((_rosenbrock, 2), (_wavy, 3)):
        for _ in range(3):
            x = [rng.uniform(-1.2, 1.2) for _ in range(n)]
            v = [rng.uniform(-1, 1) for _ in range(n)]
            got = numbers(call(hvp_fd, f, list(x), list(v), 1e-5, what="hvp_fd(f, x, v, 1e-5)"), n, "H v")
            for k, (g, e) in enumerate(zip(got, autograd.hvp(f, x, v))):
                same(g, e, f"{f.__name__.strip('_')} at {x!r}: (H v)[{k}]", tol=1e-5, reveal=True)
    return "(grad f(x + eps v) - grad f(x - eps v)) / (2 eps) agrees with autograd.hvp to 1e-5"


@exercise("8.3", "the fifth derivative of tanh at 0")
def _fifth(answer: Any) -> str:
    x = Value(0.0)
    g: Value = x.tanh()
    for _ in range(5):
        g = autograd.grad(g, x, create_graph=True)
    same(number(answer), g.data, "your fifth derivative", tol=1e-9)
    return "16: tanh x = x - x^3/3 + 2x^5/15 - ..., and 5! x 2/15 = 16"


# -- notebook 11: vanishing gradients ----------------------------------------------------------------


@exercise("11.1", "the variance-preserving weight std for a sigmoid layer of 8 inputs, in its linear regime")
def _init_std(answer: Any) -> str:
    slope = Value(0.0).sigmoid().local_grads[0]  # sigma'(0) = 1/4, read off the engine
    n = 8
    expected = 1.0 / math.sqrt(n * slope * slope)
    got = number(answer)
    if close_abs(got, 1 / math.sqrt(n)):
        raise NotYet("that is LeCun's 1/sqrt(n), right for tanh (slope 1 at 0); the sigmoid's slope there is 1/4")
    same(got, expected, "your std")
    return "1 / (sqrt(n) sigma'(0)) = 4 / sqrt(8): Glorot and Bengio's factor 4 for the sigmoid"


@exercise("11.2", "cross-entropy against quadratic cost: how much larger is dC/dw at w = -3, b = 1, x = 2, y = 1")
def _slowdown(answer: Any) -> str:
    w, b = Value(-3.0), Value(1.0)
    a = (w * 2.0 + b).sigmoid()
    g_quad = autograd.grad(0.5 * (a - 1.0) ** 2, [w])[0]
    w2, b2 = Value(-3.0), Value(1.0)
    a2 = (w2 * 2.0 + b2).sigmoid()
    g_ce = autograd.grad(-(1.0 * a2.log()), [w2])[0]
    same(number(answer), g_ce / g_quad, "your factor", tol=1e-9)
    return "1 / sigma'(z) at z = -5: the quadratic cost's gradient carries sigma', the cross-entropy's does not"


@exercise("11.3", "dh_dh0(ws, bs, h0) through residual blocks h_l = h_(l-1) + sigmoid(w_l h_(l-1) + b_l)")
def _residual(dh_dh0: Any) -> str:
    rng = random.Random(113)
    for _ in range(6):
        L = rng.randint(1, 12)
        ws = [rng.uniform(-2, 2) for _ in range(L)]
        bs = [rng.uniform(-1, 1) for _ in range(L)]
        h00 = rng.uniform(-1, 1)
        h0 = Value(h00)
        h: Value = h0
        for w, b in zip(ws, bs):
            h = h + (w * h + b).sigmoid()
        (expected,) = autograd.grad(h, [h0])
        got = number(call(dh_dh0, list(ws), list(bs), h00, what="dh_dh0(ws, bs, h0)"))
        same(got, expected, f"{L} blocks from h0 = {h00:.3g}", reveal=True)
    return "the product of (1 + w_l sigma'(z_l)): the skip path's 1 keeps each factor away from 0"
