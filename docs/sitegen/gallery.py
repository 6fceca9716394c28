"""The explorer gallery: one explorer page per example graph, generated when the site is built.

Each page is what ``autograd.draw_backward_steps(root, path)`` writes: self-contained, running only its own
script, so the site embeds it in an ``<iframe>`` and a reader steps, clicks and nudges with nothing installed.
``python -m docs.sitegen.gallery OUT_DIR`` (from the repository root) writes the pages without building the site.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd import Value, draw_backward_steps, grad, scope, total

SITE_DIR = "gallery"  # the pages' folder in the site


@dataclass(frozen=True)
class Example:
    title: str
    build: Callable[[], Value]  # the graph's output, after its backward pass
    options: dict[str, Any] = field(default_factory=dict)  # explorer options (group_by, rankdir, ...)


def _named(v: Value, label: str) -> Value:
    v.label = label
    return v


def neuron() -> Value:
    """``o = tanh(x1*w1 + x2*w2 + b)``: the README's neuron."""
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.75, label="w2"), Value(0.25, label="b")
    o = _named(total([_named(x1 * w1, "x1*w1"), _named(x2 * w2, "x2*w2"), b]).tanh(), "o")
    o.backward()
    return o


def micrograd_example() -> Value:
    """The expression of micrograd's README (``g.data`` is 24.7041), written with this engine's Values."""
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    g.backward()
    return g


def mlp() -> Value:
    """The README's ``MLP(2, [16, 16, 1])``, its squared error summed over four points (606 values).

    The explorer opens it collapsed into the boxes ``nn`` recorded while the model ran (the parameters, one
    box per example), each expandable down to a neuron's scalar graph.
    """
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    batch = [([0.5, -1.0], 1.0), ([1.0, 0.2], -1.0), ([-0.3, 0.8], 1.0), ([0.0, -0.5], -1.0)]
    loss = _named(total([(model(x) - y) ** 2 for x, y in batch]), "loss")
    loss.backward()
    return loss


def cnn() -> Value:
    """Two 2x2 kernels, each shared over a 5x5 image, then ReLU, 2x2 max pooling and a linear read-out.

    The image and the ReLUs, made outside any module, are named with ``scope`` so that they are boxes too.
    """
    from nn import Conv2d, Flatten, Layer, MaxPool2d

    rng = random.Random(0)
    with scope("image"):
        image = [[[Value(round(rng.uniform(-1, 1), 2), label=f"px{i}{j}") for j in range(5)] for i in range(5)]]
    conv, pool = Conv2d(1, 2, 2, seed=0), MaxPool2d(2)
    features = conv(image)
    with scope("relu"):
        activated = [[[v.relu() for v in row] for row in channel] for channel in features]
    out = Layer(8, 1, activation="linear", seed=0)(Flatten()(pool(activated)))
    out = out[0] if isinstance(out, list) else out
    loss = _named((out - 1.0) ** 2, "loss")
    loss.backward()
    return loss


def rnn() -> Value:
    """An RNN unrolled over four steps: the recurrent weights are shared, so their gradient sums over time."""
    from nn import RNN

    model = RNN(1, 2, seed=0)
    states = model([[1.0], [0.0], [1.0], [1.0]])
    loss = _named(total(states[-1]) ** 2, "loss")
    loss.backward()
    return loss


def hessian_graph() -> Value:
    """The graph of a gradient: ``d f/d x`` of ``f = x*x*y + tanh(x*y)`` built by ``grad(create_graph=True)``.

    Its backward pass gives a row of the Hessian: ``d²f/dx²`` and ``d²f/dx dy`` arrive at ``x`` and ``y``.
    """
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    f = x * x * y + (x * y).tanh()
    dfdx = _named(grad(f, x, create_graph=True), "df/dx")
    dfdx.backward()
    return dfdx


EXAMPLES: dict[str, Example] = {
    "neuron": Example("One neuron: o = tanh(x1*w1 + x2*w2 + b)", neuron),
    "micrograd": Example("micrograd's README example", micrograd_example),
    "mlp": Example("An MLP 2-16-16-1 on a batch of four points", mlp),
    "cnn": Example("Convolution, ReLU, max pooling", cnn, {"rankdir": "TB"}),
    "rnn": Example("An RNN unrolled over four steps", rnn),
    "hessian": Example("The graph of a derivative (a Hessian row)", hessian_graph),
}


def write(out: Path) -> list[Path]:
    """Write every example's explorer page into ``out`` (``NAME.html``); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, example in EXAMPLES.items():
        path = out / f"{name}.html"
        draw_backward_steps(example.build(), path, title=example.title, **example.options)
        written.append(path)
    return written


def pages() -> dict[str, str]:
    """``{name: explorer page HTML}`` for every example."""
    with tempfile.TemporaryDirectory(prefix="chainrule-gallery-") as tmp:
        return {path.stem: path.read_text(encoding="utf-8") for path in write(Path(tmp))}


if __name__ == "__main__":
    for written in write(Path(sys.argv[1] if len(sys.argv) > 1 else "gallery")):
        print(written)
