"""Checks for the notebooks on the chain rule and backpropagation itself (1, 2, 6, 9, 10).

Each expected answer is computed by the engine from the exercise's data (kept here, the same
numbers as the notebook's), never typed in.
"""

from __future__ import annotations

import math
import random
from typing import Any

import autograd
from autograd import Value
from nn.exercises.core import NotYet, call, exercise, number, numbers, same

# -- notebook 1: the chain rule ----------------------------------------------------------------


@exercise("1.1", "dz/dx of z = sin(x y) + x^2 at (x, y) = (0.5, -1.2), by hand")
def _two_paths(answer: Any) -> str:
    x, y = Value(0.5), Value(-1.2)
    (expected,) = autograd.grad((x * y).sin() + x ** 2, [x])
    same(number(answer), expected, "your dz/dx")
    return "y cos(xy) + 2x: one term per path from x to z"


@exercise("1.2", "how many chain-rule steps end in x for u = x * (x * t) * (x + t**2)")
def _count_steps(answer: Any) -> str:
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise NotYet(f"the answer is a whole number of steps, got {answer!r}")
    x, t = Value(0.8, label="x"), Value(-1.3, label="t")
    steps = autograd.trace_backward(x * (x * t) * (x + t ** 2))
    expected = sum(s.parent is x for s in steps)
    if answer != expected:
        raise NotYet(f"{answer} steps: count the edges leaving x (every op x enters directly)")
    return f"{expected} edges leave x, so {expected} contributions are added into x.grad"


@exercise("1.3", "du/dx of u = x exp(x^2) as a function of x (the total derivative)")
def _total(dudx: Any) -> str:
    rng = random.Random(13)
    for _ in range(10):
        x0 = rng.uniform(-1.5, 1.5)
        x = Value(x0)
        (expected,) = autograd.grad(x * (x * x).exp(), [x])
        same(number(call(dudx, x0, what=f"dudx({x0!r})")), expected, f"dudx({x0!r})", reveal=True)
    return "exp(x^2)(1 + 2x^2) at 10 points"


# -- notebook 2: the delta recursion -----------------------------------------------------------


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


@exercise("2.1", "bp2(W_next, delta_next, z, g_prime): one step of the delta recursion")
def _bp2(bp2: Any) -> str:
    rng = random.Random(21)
    for trial in range(12):
        n, m = rng.randint(1, 4), rng.randint(1, 4)
        W_next = [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(m)]  # W_next[k][j]: unit j -> unit k
        delta_next = [rng.uniform(-1, 1) for _ in range(m)]
        z = [rng.uniform(-2, 2) for _ in range(n)]
        name, g_prime = ("tanh", lambda t: 1 - math.tanh(t) ** 2) if trial % 2 else \
            ("sigmoid", lambda t: _sigmoid(t) * (1 - _sigmoid(t)))
        # the engine: L = sum_k delta_next[k] z'_k with z' = W_next g(z), so dL/dz' = delta_next, dL/dz = delta
        zs = [Value(t) for t in z]
        a = [getattr(v, name)() for v in zs]
        L = autograd.total(d * autograd.dot(row, a) for d, row in zip(delta_next, W_next))
        expected = autograd.grad(L, zs)
        got = numbers(call(bp2, W_next, delta_next, z, g_prime, what="bp2(...)"), n, "bp2's result")
        for j, (g, e) in enumerate(zip(got, expected)):
            same(g, e, f"{name} case {trial}: delta[{j}]", reveal=True)
    return "g'(z_j) * sum_k W_next[k][j] delta_next[k] on 12 random layers"


# the worked example of notebook 2 (Nielsen's numbering: layer 1 is the input, weights W^2, W^3, W^4)
WORKED_02: dict[str, Any] = {  # the notebook's data, as records (Any: each key its own shape)
    "x": [0.5, -1.0],
    "y": [1.0],
    "W": [[[0.1, -0.2], [0.4, 0.3], [-0.5, 0.6]], [[0.7, -0.8, 0.2], [-0.3, 0.5, 0.9]], [[1.2, -0.6]]],
    "b": [[0.1, -0.1, 0.2], [0.0, 0.1], [0.3]],
}


def _sigmoid_net(W: list[list[list[float]]], b: list[list[float]], x: list[Value],
                 output_sigmoid: bool = True) -> list[Value]:
    a = x
    for k, (Wk, bk) in enumerate(zip(W, b)):
        z = [autograd.dot(row, a, start=bi) for row, bi in zip(Wk, bk)]
        a = [v.sigmoid() for v in z] if output_sigmoid or k < len(W) - 1 else z
    return a


@exercise("2.2", "dL/dx for the worked example: the recursion one step further, to the input")
def _input_grad_02(answer: Any) -> str:
    d = WORKED_02
    x = [Value(t) for t in d["x"]]
    out = _sigmoid_net(d["W"], d["b"], x)
    L = 0.5 * autograd.total((t - a) ** 2 for a, t in zip(out, d["y"]))
    for i, (g, e) in enumerate(zip(numbers(answer, 2), autograd.grad(L, x))):
        same(g, e, f"your dL/dx[{i}]")
    return "(W^2)^T delta^2: the input has no activation, so no g' factor"


# -- notebook 6: the sum over paths --------------------------------------------------------------


@exercise("6.1", "how many paths lead from a first-layer weight to the cost, widths [2, 3, 4, 5, 1]")
def _paths(answer: Any) -> str:
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise NotYet(f"the answer is a whole number of paths, got {answer!r}")
    rng = random.Random(61)
    widths = [2, 3, 4, 5, 1]
    a: list[Any] = [rng.uniform(-1, 1) for _ in range(widths[0])]
    first: Value | None = None
    for n_in, n_out in zip(widths, widths[1:]):
        rows = [[Value(rng.uniform(-1, 1)) for _ in range(n_in)] for _ in range(n_out)]
        first = first or rows[0][0]
        a = [autograd.dot(row, a).tanh() for row in rows]
    expected = autograd.count_paths(a[0], first)  # type: ignore[arg-type]  # set in the first layer
    if answer != expected:
        raise NotYet(f"{answer} paths: a path chooses one unit in each layer after the weight's own")
    return f"{expected} = 4 x 5 x 1 (one unit per later layer), as autograd.count_paths counts"


def _c(w: Value | float) -> Any:
    return (0.7 * w + 0.1).tanh() ** 2 if isinstance(w, Value) else math.tanh(0.7 * w + 0.1) ** 2


@exercise("6.2", "the nudge to second order: dC ~ C' dw + C'' dw^2 / 2 for C = tanh(0.7 w + 0.1)^2")
def _second_order(answer: Any) -> str:
    w0, dw = 0.4, 0.05
    w = Value(w0)
    d1 = autograd.grad(_c(w), w, create_graph=True)
    d2 = autograd.grad(d1, w)
    expected = d1.data * dw + 0.5 * d2 * dw * dw
    got = number(answer)
    actual = _c(w0 + dw) - _c(w0)
    if abs(got - d1.data * dw) < 1e-12:
        raise NotYet("that is the first-order prediction C' dw: add the curvature term C'' dw^2 / 2")
    same(got, expected, "your prediction")
    return (f"its error against the actual change is {abs(actual - expected):.1e}, against "
            f"{abs(actual - d1.data * dw):.1e} to first order: O(dw^3) instead of O(dw^2)")


# -- notebook 9: the four equations ----------------------------------------------------------------


@exercise("9.1", "BP1 for a sigmoid output with the cross-entropy cost: delta_output(a, y)")
def _bp1_cross_entropy(delta_output: Any) -> str:
    rng = random.Random(91)
    for _ in range(10):
        z0, y = rng.uniform(-4, 4), rng.choice([0.0, 1.0, rng.random()])
        z = Value(z0)
        a = z.sigmoid()
        cost = -(y * a.log() + (1 - y) * (1 - a).log())
        (expected,) = autograd.grad(cost, [z])
        got = number(call(delta_output, a.data, y, what=f"delta_output({a.data!r}, {y!r})"))
        same(got, expected, f"delta_output({a.data:.6g}, {y:.6g})", tol=1e-9, reveal=True)
    return "a - y: the cross-entropy's 1/(a(1 - a)) cancels sigma'(z) = a(1 - a)"


def network_09() -> tuple[Any, list[float], list[float]]:
    """Notebook 9's network (weights from seed 4, biases set by hand), input and target."""
    from nn.module import MLP

    model = MLP(3, [4, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=4)
    for layer in model.layers:
        for j, neuron in enumerate(layer.neurons):
            neuron.b.data = 0.1 * (j + 1) * (-1) ** j
    return model, [0.3, -0.8, 0.5], [0.2, 0.9]


@exercise("9.2", "dC/dx for notebook 9's network: BP2 one layer further, without sigma'")
def _input_grad_09(answer: Any) -> str:
    from nn.losses import mse

    model, x0, y = network_09()
    x = [Value(t) for t in x0]
    expected = autograd.grad(mse(model(x), y, reduction="half_sum"), x)
    for k, (g, e) in enumerate(zip(numbers(answer, 3), expected)):
        same(g, e, f"your dC/dx[{k}]")
    return "(w^2)^T delta^2: the input layer has no sigma' to multiply by"


# -- notebook 10: Mazur's example ----------------------------------------------------------------

MAZUR: dict[str, Any] = {"i": [0.05, 0.10], "w": [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55],
                         "b": [0.35, 0.60], "t": [0.01, 0.99], "eta": 0.5}


def _mazur_error(w: list[Any], b: list[Any]) -> Any:
    i1, i2 = MAZUR["i"]
    h1 = (w[0] * i1 + w[1] * i2 + b[0]).sigmoid()
    h2 = (w[2] * i1 + w[3] * i2 + b[0]).sigmoid()
    o1 = (w[4] * h1 + w[5] * h2 + b[1]).sigmoid()
    o2 = (w[6] * h1 + w[7] * h2 + b[1]).sigmoid()
    t1, t2 = MAZUR["t"]
    return 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2


@exercise("10.1", "dE/db1 for the hidden bias both hidden units share")
def _shared_bias(answer: Any) -> str:
    w = [Value(v) for v in MAZUR["w"]]
    b = [Value(v) for v in MAZUR["b"]]
    (expected,) = autograd.grad(_mazur_error(w, b), [b[0]])
    same(number(answer), expected, "your dE/db1")
    return "delta_h1 + delta_h2: a shared parameter's gradient is the sum over its uses (BP3 once per unit)"


@exercise("10.2", "the error after one simultaneous update of the eight weights and both biases")
def _update_with_biases(answer: Any) -> str:
    w = [Value(v) for v in MAZUR["w"]]
    b = [Value(v) for v in MAZUR["b"]]
    grads = autograd.grad(_mazur_error(w, b), w + b)
    new = [p.data - MAZUR["eta"] * g for p, g in zip(w + b, grads)]
    expected = _mazur_error([Value(v) for v in new[:8]], [Value(v) for v in new[8:]]).data
    same(number(answer), expected, "your error after the update")
    return "every gradient at the old point first, then every parameter moved"
