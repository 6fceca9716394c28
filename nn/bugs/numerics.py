"""A bug in floating point rather than in calculus (bug 9): a softmax written straight from its formula."""

from __future__ import annotations

import math
import random
from typing import Any

import autograd
from autograd import Value
from nn.bugs.zoo import Bug, Demo, register
from nn.exercises.core import NotYet, call, close


def softmax(logits: list[Value]) -> list[Value]:
    """softmax(z)_j = exp(z_j) / sum_k exp(z_k), as the formula reads."""
    exps = [z.exp() for z in logits]
    total = autograd.total(exps)
    return [e / total for e in exps]


def _fixed_softmax(logits: list[Value]) -> list[Value]:
    top = max(z.data for z in logits)  # a constant: the shift changes nothing mathematically
    exps = [(z - top).exp() for z in logits]
    total = autograd.total(exps)
    return [e / total for e in exps]


def classifier_logits(scale: float, seed: int = 0) -> list[list[float]]:
    """Logits of a confident classifier: 8 samples, 3 classes, spread over about +-scale."""
    rng = random.Random(seed)
    return [[rng.uniform(-scale, scale) for _ in range(3)] for _ in range(8)]


def _demo() -> Demo:
    lines, bad = [], 0
    for k, row in enumerate(classifier_logits(1000.0)):
        probs = [p.data for p in softmax([Value(t) for t in row])]
        lines.append(f"sample {k}: largest logit {max(row):7.1f}, probabilities "
                     + ", ".join(f"{p:.3g}" for p in probs))
        bad += not all(math.isfinite(p) for p in probs)
    anomaly = ""
    try:
        with autograd.detect_anomaly():
            row = next(r for r in classifier_logits(1000.0) if max(r) > 709.79)
            zs = [Value(t) for t in row]
            softmax(zs)
    except autograd.AnomalyError as e:
        anomaly = str(e).splitlines()[0]
    text = "\n".join(lines) + (f"\ndetect_anomaly: {anomaly}" if anomaly else "")
    return Demo(text, {"non_finite": bad, "anomaly": anomaly})


def _accept(candidate: Any) -> str:
    rng = random.Random(9)
    cases = classifier_logits(1000.0) + [[rng.uniform(-3, 3) for _ in range(4)] for _ in range(5)]
    for row in cases:
        mine, ref = [Value(t) for t in row], [Value(t) for t in row]
        got = call(candidate, mine, what="your softmax(logits)")
        if not isinstance(got, (list, tuple)) or len(got) != len(row) or not all(isinstance(p, Value) for p in got):
            raise NotYet(f"softmax should return a list of {len(row)} Values, got {got!r:.80}")
        expected = autograd.softmax(ref)
        for j, (p, e) in enumerate(zip(got, expected)):
            if not close(p.data, e.data, 1e-12):
                raise NotYet(f"for logits {row!r}, probability {j} is {p.data!r}; it is {e.data!r}")
        weights = [rng.uniform(-1, 1) for _ in row]
        g_mine = autograd.grad(autograd.dot(weights, got), mine)
        g_ref = autograd.grad(autograd.dot(weights, expected), ref)
        for j, (a, b) in enumerate(zip(g_mine, g_ref)):
            if not close(a, b, 1e-9):
                raise NotYet(f"for logits {row!r}, the gradient reaching logit {j} is {a!r}; it is {b!r}")
    return "the same probabilities and gradients as autograd.softmax, logits of +-1000 included"


register(Bug(
    number=9,
    title="a confident classifier's probabilities, with the softmax written from its formula",
    symptom="on some samples the probabilities are nan: exactly the samples with a logit above about 709; on "
            "the others they are right and sum to 1, however confident the classifier",
    tools="autograd.detect_anomaly: the first op producing a non-finite value, with its inputs",
    broken=softmax,
    run=_demo,
    task="softmax(logits: list of Values) -> list of Values, equal to autograd.softmax for any finite logits",
    _diagnosis="softmax-overflow",
    _accept=_accept,
    _fixed=_fixed_softmax,
))
