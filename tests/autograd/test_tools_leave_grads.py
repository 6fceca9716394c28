"""No seeing or checking tool changes a gradient it was not asked to change.

Each test builds a random graph, fills every node's ``.grad`` with an arbitrary
float (NaN, infinities and -0.0 included, as after any earlier passes), runs
the tools on it and checks every ``.grad`` and ``.data`` bit for bit.
Only ``backward()`` (and ``explain`` on its own fresh graph) writes gradients.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from tests.strategies import build, checked_programs

anything = st.floats(allow_nan=True, allow_infinity=True)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def fill(nodes: list[Value], data: st.DataObject) -> dict[Value, tuple[bytes, bytes]]:
    """Give every node an arbitrary gradient; return the bit patterns of each node's grad and data."""
    for node in nodes:
        node.grad = data.draw(anything)
    return snapshot(nodes)


def snapshot(nodes: list[Value]) -> dict[Value, tuple[bytes, bytes]]:
    return {node: (bits(node.grad), bits(node.data)) for node in nodes}


@st.composite
def user_graphs(draw):
    """A random program, the user's graph of it (labelled leaves) and every node of that graph."""
    program = draw(checked_programs(max_ops=6))
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(program.leaves)]
    root = build(program, leaves)
    return program, leaves, root, autograd.topological_order(root)


def polynomial(xs):
    """Generic over Values and Duals (for the forward-mode tools)."""
    out = xs[0] * xs[0]
    for x in xs[1:]:
        out = out + x * xs[0] + x.tanh()
    return out


@settings(max_examples=40)
@given(user_graphs(), st.data())
def test_looking_and_checking_tools_leave_every_grad_unchanged(graph, data):
    program, leaves, root, nodes = graph
    before = fill(nodes, data)

    def f(vs):  # f reaches into the user's graph too: its nodes are read, never written
        return build(program, vs) + root * 0.5

    table = autograd.trace_backward(root)
    assert len(table) == sum(len(n.parents) for n in nodes)
    for leaf in leaves:
        list(autograd.paths(root, leaf))
        autograd.sum_over_paths(root, leaf)
        autograd.count_paths(root, leaf)
    autograd.grad(root, leaves)
    autograd.grad(root, leaves, create_graph=True)
    autograd.gradcheck(f, leaves)
    autograd.gradgradcheck(f, leaves)
    autograd.hessian(f, leaves)
    autograd.hvp(f, leaves, [1.0] * len(leaves))
    autograd.jvp(polynomial, leaves, [1.0] * len(leaves))
    autograd.compare_modes(polynomial, leaves, repeat=1)
    assert snapshot(nodes) == before
    assert all(node._pending == 0 for node in nodes)


@settings(max_examples=20)
@given(user_graphs(), st.data())
def test_compiled_replay_leaves_every_grad_unchanged(graph, data):
    program, leaves, root, nodes = graph
    before = fill(nodes, data)
    c = autograd.compile(lambda vs: build(program, vs), leaves)
    c([leaf.data for leaf in leaves])
    assert snapshot(nodes) == before


@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(user_graphs(), st.data())
def test_drawing_tools_leave_every_grad_unchanged(graph, data):
    from autograd.drawing import RendererNotFoundError

    _, leaves, root, nodes = graph
    before = fill(nodes, data)
    leaf = next(n for n in nodes if not n.parents)
    str(autograd.draw(root, show_grad=True, highlight=leaf))  # the DOT text, no renderer needed
    with tempfile.TemporaryDirectory() as folder:
        try:
            autograd.draw_backward_steps(root, Path(folder) / "steps.html")
            autograd.explore(root).save(Path(folder) / "explore.html")
        except RendererNotFoundError as e:
            pytest.skip(f"no SVG renderer: {e}")
    assert snapshot(nodes) == before


def test_explain_and_health_leave_the_users_grads_unchanged():
    import nn
    from autograd.cli import explain

    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.losses.mse(model([0.5, -1.0]), 0.25)
    loss.backward()
    nodes = autograd.topological_order(loss)
    for k, node in enumerate(nodes):  # arbitrary: health must report them, not change them
        node.grad = 0.125 * k - 2.0
    before = snapshot(nodes)
    nn.health(model, loss=loss)
    nn.health(model, inputs=[[0.5, -1.0], [1.0, 2.0]])
    explain("tanh(x*w + b)", ["x=1.5", "w=-0.7", "b=0.2"], wrt="w")  # its own fresh graph
    assert snapshot(nodes) == before
