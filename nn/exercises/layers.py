"""Checks for the notebooks on particular layers: softmax and cross-entropy (3), convolution and
pooling (4), recurrent networks (5). Expected answers come from the engine."""

from __future__ import annotations

import random
from typing import Any

import autograd
from autograd import Value
from nn.exercises.core import NotYet, call, exercise, number, numbers, same

# -- notebook 3: softmax and cross-entropy -----------------------------------------------------------


@exercise("3.1", "stable_softmax(z): no overflow for logits such as [1000, 999, -1000]")
def _stable_softmax(stable_softmax: Any) -> str:
    rng = random.Random(31)
    cases = [[1000.0, 999.0, -1000.0], [-1000.0, -1001.0], [710.0, 0.0, 1.0, 709.0], [0.0]]
    cases += [[rng.uniform(-5, 5) for _ in range(rng.randint(2, 6))] for _ in range(10)]
    for z in cases:
        got = numbers(call(stable_softmax, list(z), what=f"stable_softmax({z!r})"), len(z), "its result")
        expected = [p.data for p in autograd.softmax([Value(t) for t in z])]
        for j, (g, e) in enumerate(zip(got, expected)):
            same(g, e, f"stable_softmax({z!r})[{j}]", tol=1e-12, reveal=True)
    return "equal to autograd.softmax, including logits whose exp() overflows a float"


@exercise("3.2", "the smallest cross-entropy reachable when the softmax reads tanh outputs, 10 classes")
def _tanh_floor(answer: Any) -> str:
    # the best case: the labelled class's activation at +1, the others at -1
    logits = [Value(1.0)] + [Value(-1.0)] * 9
    expected = -autograd.log_softmax(logits)[0].data
    same(number(answer), expected, "your smallest loss")
    return "ln(1 + 9 e^-2) = 0.80: even a certain network pays that much on every sample"


@exercise("3.3", "grad_smoothed(z, label, eps): dL/dz for a label-smoothed target")
def _smoothed(grad_smoothed: Any) -> str:
    from nn.losses import cross_entropy

    rng = random.Random(33)
    for _ in range(10):
        C = rng.randint(2, 6)
        z = [rng.uniform(-3, 3) for _ in range(C)]
        label, eps = rng.randrange(C), rng.uniform(0.0, 0.3)
        target = [(1 - eps) * (k == label) + eps / C for k in range(C)]
        zs = [Value(t) for t in z]
        expected = autograd.grad(cross_entropy(zs, target), zs)
        got = numbers(call(grad_smoothed, list(z), label, eps, what=f"grad_smoothed(z, {label}, {eps:.3g})"), C)
        for j, (g, e) in enumerate(zip(got, expected)):
            same(g, e, f"grad_smoothed({z!r}, {label}, {eps!r})[{j}]", reveal=True)
    return "softmax(z) - y with y = (1 - eps) one_hot + eps / C: still prediction minus target"


# -- notebook 4: convolution ---------------------------------------------------------------------


@exercise("4.1", "how many chain-rule contributions reach X[2][2] and X[0][0] (5x5 input, 3x3 kernel)")
def _uses(answer: Any) -> str:
    from nn.conv import Conv2d

    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2 \
            or any(isinstance(a, bool) or not isinstance(a, int) for a in answer):
        raise NotYet(f"the answer is a pair of whole numbers (centre, corner), got {answer!r}")
    conv = Conv2d(1, 1, 3, seed=0)
    X = [[[Value(0.1 * (u - v)) for v in range(5)] for u in range(5)]]
    steps = autograd.trace_backward(autograd.total(y for row in conv(X)[0] for y in row))
    expected = (sum(s.parent is X[0][2][2] for s in steps), sum(s.parent is X[0][0][0] for s in steps))
    if tuple(answer) != expected:
        raise NotYet(f"{tuple(answer)}: count the output positions whose 3x3 window covers each input")
    return f"{expected}: the centre is in every one of the 9 windows, the corner in one"


@exercise("4.2", "conv_input_grad(G, K): dL/dX of a stride-1 convolution without padding")
def _input_grad(conv_input_grad: Any) -> str:
    rng = random.Random(42)
    for _ in range(6):
        k, n = rng.randint(1, 3), rng.randint(3, 5)
        X = [[Value(rng.uniform(-1, 1)) for _ in range(n)] for _ in range(n)]
        K = [[rng.uniform(-1, 1) for _ in range(k)] for _ in range(k)]
        m = n - k + 1
        G = [[rng.uniform(-1, 1) for _ in range(m)] for _ in range(m)]
        L = autograd.total(G[i][j] * autograd.dot([K[p][q] for p in range(k) for q in range(k)],
                                                  [X[i + p][j + q] for p in range(k) for q in range(k)])
                           for i in range(m) for j in range(m))
        expected = autograd.grad(L, [x for row in X for x in row])
        got = call(conv_input_grad, [list(r) for r in G], [list(r) for r in K], what="conv_input_grad(G, K)")
        if not isinstance(got, (list, tuple)) or len(got) != n:
            raise NotYet(f"conv_input_grad should return {n} rows (the input's size), got {got!r:.80}")
        flat = [g for row in got for g in numbers(row, n, "a row of dL/dX")]
        for idx, (g, e) in enumerate(zip(flat, expected)):
            same(g, e, f"{n}x{n} input, {k}x{k} kernel: dL/dX[{idx // n}][{idx % n}]", reveal=True)
    return "the sum over the windows covering each input, on 6 random sizes"


# -- notebook 5: recurrent networks ----------------------------------------------------------------


@exercise("5.1", "dL_dw(w, xs) for the linear RNN h_t = w h_(t-1) + x_t, h_0 = 0, L = h_T")
def _linear_rnn(dL_dw: Any) -> str:
    rng = random.Random(51)
    for _ in range(8):
        w0 = rng.uniform(-1.2, 1.2)
        xs = [rng.uniform(-1, 1) for _ in range(rng.randint(1, 7))]
        w = Value(w0)
        h: Any = 0.0
        for x in xs:
            h = w * h + x
        expected = autograd.grad(h, [w])[0] if isinstance(h, Value) else 0.0
        same(number(call(dL_dw, w0, list(xs), what=f"dL_dw({w0:.3g}, xs)")), expected,
             f"dL_dw({w0!r}, {xs!r})", reveal=True)
    return "sum over t of w^(T-t) h_(t-1): one term per step the shared weight was used"


@exercise("5.2", "dhT_dh0(w, u, xs, h0) for the tanh RNN h_t = tanh(w h_(t-1) + u x_t)")
def _tanh_rnn(dhT_dh0: Any) -> str:
    rng = random.Random(52)
    for _ in range(8):
        w0, u0, h00 = rng.uniform(-1.5, 1.5), rng.uniform(-1, 1), rng.uniform(-0.5, 0.5)
        xs = [rng.uniform(-1, 1) for _ in range(rng.randint(1, 8))]
        h0 = Value(h00)
        h: Value = h0
        for x in xs:
            h = (w0 * h + u0 * x).tanh()
        (expected,) = autograd.grad(h, [h0])
        got = number(call(dhT_dh0, w0, u0, list(xs), h00, what="dhT_dh0(w, u, xs, h0)"))
        same(got, expected, f"dhT_dh0({w0:.3g}, {u0:.3g}, {len(xs)} inputs, {h00:.3g})", reveal=True)
    return "the product over t of w (1 - h_t^2): at most |w|^T, so it fades when |w| < 1"
