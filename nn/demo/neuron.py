"""The demo's neuron picture: one neuron on one sample, with the gradients of one backward pass from its output.

Why the neuron's own output and not the sample's loss: the picture then holds
the whole chain rule it shows. Every value's gradient is ``d a / d value`` for
the neuron's output ``a``, and equals the sum over the drawn paths of the
products of the drawn edge labels; with the loss, each gradient would carry a
factor from the rest of the network that the picture does not show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd import Value
from nn.demo.install import install_command
from nn.module import MLP, Neuron

# A neuron with more inputs than this is drawn with its inputs and weights in boxes of
# INPUTS_PER_BOX (the digits neuron: 64 inputs in 4 boxes instead of a column of 129 leaves).
MAX_INPUTS_DRAWN = 8
INPUTS_PER_BOX = 16


def neuron_graph(neuron: Neuron, x: Sequence[float]) -> tuple[Value, list[Value]]:
    """The neuron's output on ``x`` after a backward pass from it alone, and its input leaves.

    The neuron's parameters are leaves, which accumulate gradients across
    passes: their ``.grad`` is set to 0 first, so every gradient on the picture
    is this pass's and equals the sum over paths of the products of the edge
    labels drawn. The caller restores the previous gradients.
    """
    for p in neuron.parameters():
        p.grad = 0.0
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    out = neuron(inputs)
    out.backward()
    return out, inputs


def _input_boxes(neuron: Neuron, inputs: Sequence[Value]) -> Callable[[Value], str | None]:
    """``group_by`` for a wide neuron: input ``x_i`` and its weight ``w_i`` share a box of INPUTS_PER_BOX pairs."""
    box: dict[int, str] = {}
    n = len(inputs)
    for i, (x, w) in enumerate(zip(inputs, neuron.w)):
        start = i // INPUTS_PER_BOX * INPUTS_PER_BOX
        name = f"inputs x{start}-x{min(start + INPUTS_PER_BOX, n) - 1} and their weights"
        box[id(x)] = box[id(w)] = name
    return lambda node: box.get(id(node))


def caption(out: Value) -> str:
    """What the gradients on the picture are, in one line under it."""
    name = out.label or "the output"
    return (f"grad = d {name} / d value: one backward pass from this neuron's output {name} "
            "on the first training sample (not the loss's gradients)")


def draw_neuron(model: MLP, x: Sequence[float]) -> tuple[str | None, str]:
    """SVG of the first neuron of the first layer on one sample, after a backward pass from its output.

    Up to MAX_INPUTS_DRAWN inputs, every leaf and every edge's local derivative
    is drawn (left to right). A wider neuron (the digits' 64 pixels) is drawn
    top to bottom with each input and its weight listed, with their data and
    gradients, in boxes of INPUTS_PER_BOX pairs; its edges then carry no labels
    (64 of them into one ``dot`` would be unreadable), and every gradient shown
    is still this one pass's. A caption says which gradient is shown. The
    model's gradients are restored afterwards.
    Returns (svg, "") or (None, why it was skipped, with the one command that fixes it).
    """
    try:
        from autograd.drawing import RendererNotFoundError, draw, render_svg
    except ImportError:
        return None, f"graph drawing is unavailable: {install_command('demo', 'render')}"
    neuron = model.layers[0].neurons[0]
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        out, inputs = neuron_graph(neuron, x)
        if len(inputs) <= MAX_INPUTS_DRAWN:
            graph = draw(out)
        else:
            graph = draw(out, group_by=_input_boxes(neuron, inputs), collapse=True, rankdir="TB",
                         show_local_grads=False, legend=False)
        graph.attr(label=caption(out), labelloc="t", labeljust="l", fontsize="11")
        return render_svg(graph), ""
    except RendererNotFoundError:
        return None, f"no SVG renderer is installed: {install_command('demo', 'render')}"
    except RuntimeError as e:  # e.g. the layout took longer than the renderer's time bound
        return None, f"could not draw the neuron: {e}"
    finally:
        for p, g in saved:  # the picture has no side effect on the model
            p.grad = g
