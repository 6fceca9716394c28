"""trace_backward: the backward pass as a table of chain-rule steps, identical to backward()."""

from __future__ import annotations

import pytest
from hypothesis import given

import autograd
from autograd import Value, reverse_topological_order, topological_order, trace_backward
from autograd.trace import Step, StepTable, node_names
from tests.strategies import random_graphs


def snapshot(root: Value) -> dict[Value, float]:
    return {n: n.grad for n in topological_order(root)}


@given(random_graphs())
def test_trace_computes_exactly_the_gradients_backward_leaves_and_touches_none(graph):
    root, leaves = graph
    nodes = topological_order(root)
    for k, node in enumerate(nodes):  # gradients already filled: the trace must neither read nor write them
        node.grad = 0.25 * k - 1.0
    before = snapshot(root)
    table = trace_backward(root)
    assert snapshot(root) == before
    for node in nodes:
        node.grad = 0.0
    root.backward()
    # same arithmetic in the same order: exact equality with a fresh backward()
    assert {n: table.grad(n) for n in nodes} == snapshot(root)


@given(random_graphs())
def test_each_step_is_one_chain_rule_application(graph):
    root, _ = graph
    steps = trace_backward(root)
    # one step per edge, nodes in reverse topological order, edges in parents order
    expected_edges = [(n, i) for n in reverse_topological_order(root) for i in range(len(n.parents))]
    assert [(s.node, s.index) for s in steps] == expected_edges
    running: dict[Value, float] = {}
    last: dict[Value, float] = {}
    for s in steps:
        assert s.parent is s.node.parents[s.index]
        assert s.local_grad == s.node.local_grads[s.index]
        assert s.upstream == steps.grad(s.node)  # no hooks: the node's final gradient in this pass
        assert s.contribution == s.upstream * s.local_grad
        # parent_grad accumulates this pass's contributions, from zero
        running[s.parent] = running.get(s.parent, -0.0) + s.contribution
        assert s.parent_grad == running[s.parent]
        last[s.parent] = s.parent_grad
    for node, g in last.items():
        assert steps.grad(node) == g
        assert node.grad == 0.0  # nothing written


@given(random_graphs())
def test_trace_matches_grad_and_seed_scales(graph):
    root, leaves = graph
    table = trace_backward(root, grad=2.0)
    expected = autograd.grad(root, leaves)
    for leaf, g in zip(leaves, expected):
        assert table.grad(leaf) == pytest.approx(2.0 * g, rel=1e-12, abs=1e-300)


def test_tracing_after_backward_never_doubles_a_gradient():
    """The trap of issue #20: trace_backward(y) after y.backward() used to run the pass again."""
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    assert x.grad == 6.0
    first = trace_backward(y)
    second = trace_backward(y)
    assert x.grad == 6.0  # untouched by both traces
    assert [s.parent_grad for s in first] == [s.parent_grad for s in second] == [3.0, 6.0]  # from zero each time
    assert first.grads == second.grads and first.grad(x) == 6.0 and first.grad(y) == 1.0
    y.backward()  # backward() alone accumulates into leaves, as documented
    assert x.grad == 12.0


def test_small_table_by_hand():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    y = x * w + x
    y.label = "y"
    steps = trace_backward(y)
    assert isinstance(steps, StepTable) and all(isinstance(s, Step) for s in steps)
    rows = [(steps.name(s.node), steps.name(s.parent), s.local_grad, s.upstream, s.parent_grad) for s in steps]
    v = steps.name(y.parents[0])
    assert rows == [
        ("y", v, 1.0, 1.0, 1.0),
        ("y", "x", 1.0, 1.0, 1.0),
        (v, "x", -3.0, 1.0, -2.0),
        (v, "w", 2.0, 1.0, 2.0),
    ]
    assert (steps.grad(x), steps.grad(w)) == (-2.0, 2.0) and (x.grad, w.grad) == (0.0, 0.0)


def test_table_is_aligned_and_uses_labels_or_generated_names():
    a = Value(0.5, label="a")
    b = Value(-1.25, label="b")
    root = (a * b).tanh() + a.exp() * 1000.0
    steps = trace_backward(root)
    lines = str(steps).splitlines()
    assert lines[0].split() == ["#", "node", "op", "parent", "local_grad", "upstream", "contribution", "parent_grad"]
    assert len(lines) == 1 + len(steps)
    # the last column is right-aligned, so every line ends at the same column
    assert len({len(line) for line in lines}) == 1
    names = set(steps.names.values())
    assert {"a", "b"} <= names
    for line, s in zip(lines[1:], steps):
        cells = line.split()
        assert cells[1] == steps.name(s.node) and cells[2] == s.node.op and cells[3] == steps.name(s.parent)
        assert float(cells[-1]) == pytest.approx(s.parent_grad, rel=1e-5)
    for node in topological_order(root):
        if not node.label:
            assert steps.name(node).startswith("v")


def test_generated_names_are_unique_and_stable():
    x1 = Value(1.0, label="x")
    x2 = Value(2.0, label="x")  # two nodes with one label
    v0 = Value(3.0, label="v0")  # a label that looks like a generated name
    root = (x1 * x2 + v0).exp()
    first, second = node_names(root), node_names(root)
    assert first == second
    assert len(set(first.values())) == len(first)
    assert sum(name.startswith("x#") for name in first.values()) == 2


def test_leaf_root_and_deep_chain():
    x = Value(1.0, label="x")
    table = trace_backward(x)
    assert list(table) == [] and table.grad(x) == 1.0 and x.grad == 0.0
    assert "x is a leaf" in str(table)
    y = x
    for _ in range(20_000):  # no recursion anywhere
        y = y * 1.0
    assert len(trace_backward(y)) == 20_000


def test_rejects_non_values():
    with pytest.raises(TypeError, match="trace_backward needs a Value"):
        trace_backward(3.0)


def test_repl_reprs_show_the_table_and_the_path():
    from autograd import paths

    x = Value(1.5, label="x")
    w = Value(-0.7, label="w")
    y = (x * w).tanh()
    y.label = "y"
    steps = trace_backward(y)
    text = repr(steps)
    assert text.startswith("StepTable: 3 chain-rule steps from y") and "local_grad" in text
    (path,) = paths(y, w)
    assert repr(path).startswith("Path(w -> ") and repr(path).endswith(f"= {path.product:.6g})")
    chain = x
    for _ in range(40):
        chain = chain * 1.0
    long = repr(trace_backward(chain))
    assert "more steps (print() shows all)" in long and len(long.splitlines()) < 40
