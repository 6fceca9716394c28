"""Gradient hooks: when they fire, what they see, how they replace gradients, and removal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, detect_anomaly, trace_backward
from tests.strategies import random_graphs

# Each way of running a pass returns how to read a node's gradient afterwards, and whether .grad is written.


def run_backward(root: Value):
    root.backward()
    return lambda node: node.grad


def run_trace(root: Value):
    table = trace_backward(root)  # the same pass, hooks included, with the gradients kept in the table
    return table.grad


def run_anomaly(root: Value):
    with detect_anomaly():  # takes the step-by-step path through the backward pass
        root.backward()
    return lambda node: node.grad


def writes(run) -> bool:
    return run is not run_trace


PASSES = [run_backward, run_trace, run_anomaly]


@pytest.mark.parametrize("run", PASSES)
def test_fires_once_per_pass_with_the_final_gradient(run):
    x = Value(1.5, label="x")
    h = x * x  # used three times below: three contributions, still one call
    y = h * 2.0 + h.tanh() + h
    seen = []
    h.register_hook(seen.append)
    grad_of = run(y)
    assert len(seen) == 1
    assert seen[0] == grad_of(h)
    assert autograd.grad(y, [h]) == [seen[0]]  # grad() is a pass too: the hook ran again
    assert len(seen) == 2
    run(y)
    assert len(seen) == 3


@given(random_graphs(), st.data())
def test_interior_hook_sees_the_gradient_backward_computes(graph, data):
    root, leaves = graph
    nodes = autograd.topological_order(root)
    node = data.draw(st.sampled_from(nodes))
    calls = []
    node.register_hook(calls.append)
    expected = autograd.grad(root, [node])[0]  # grad() runs the hook too
    root.backward()
    assert calls == [expected, expected]
    assert node.grad == expected


@pytest.mark.parametrize("run", PASSES)
def test_interior_hook_replaces_the_gradient_flowing_on(run):
    x = Value(0.3, label="x")
    w = Value(-2.0, label="w")
    h = x * w
    y = h.sin()
    h.register_hook(lambda g: 10.0 * g)
    grad_of = run(y)
    g_h = y.local_grads[0]  # d y / d h = cos(h)
    assert grad_of(h) == 10.0 * g_h
    assert grad_of(x) == pytest.approx(10.0 * g_h * w.data, rel=1e-15)
    assert grad_of(w) == pytest.approx(10.0 * g_h * x.data, rel=1e-15)


@pytest.mark.parametrize("run", PASSES)
def test_leaf_hook_replacement_is_what_accumulates(run):
    x = Value(2.0, label="x")
    x.grad = 5.0  # from an earlier pass
    seen = []

    def hook(g):
        seen.append(g)
        return 100.0 * g

    x.register_hook(hook)
    y = x * x * x  # d y / d x = 3 x^2 = 12
    grad_of = run(y)
    assert seen == [12.0]  # the hook sees this pass's gradient, not the accumulated one
    if writes(run):
        assert x.grad == 5.0 + 1200.0
    else:  # the trace keeps this pass's gradient and leaves .grad alone
        assert grad_of(x) == 1200.0 and x.grad == 5.0


def test_hook_returning_none_keeps_the_gradient_and_hooks_chain_in_order():
    x = Value(1.0, label="x")
    y = x.exp()
    order = []
    y.register_hook(lambda g: order.append(("first", g)))
    y.register_hook(lambda g: (order.append(("second", g)), 3.0 * g)[1])
    y.register_hook(lambda g: order.append(("third", g)))
    y.backward()
    assert order == [("first", 1.0), ("second", 1.0), ("third", 3.0)]
    assert x.grad == pytest.approx(3.0 * y.data)


def test_hook_on_the_root_sees_the_seed():
    x = Value(4.0, label="x")
    y = x * 0.5
    seen = []
    y.register_hook(lambda g: seen.append(g) or -g)
    y.backward(grad=2.0)
    assert seen == [2.0]
    assert x.grad == -1.0


@pytest.mark.parametrize("run", PASSES)
def test_removed_hooks_do_not_fire(run):
    x = Value(1.0, label="x")
    y = x.tanh() * 3.0
    node = y.parents[0]
    calls = []
    keep = node.register_hook(lambda g: calls.append("keep"))
    drop = node.register_hook(lambda g: calls.append("drop") or 0.0)
    grad_of = run(y)
    assert calls == ["keep", "drop"] and grad_of(x) == 0.0
    drop.remove()
    drop.remove()  # a second remove does nothing
    calls.clear()
    x.grad = 0.0
    grad_of = run(y)
    assert calls == ["keep"]
    assert grad_of(x) == pytest.approx(3.0 * (1 - y.parents[0].data ** 2))
    keep.remove()
    calls.clear()
    run(y)
    assert calls == []


def test_hooks_do_not_fire_off_the_path_to_the_root():
    x = Value(1.0, label="x")
    unused = x * 2.0
    y = x + 1.0
    calls = []
    unused.register_hook(calls.append)
    y.backward()
    assert calls == []


def test_hook_errors_are_clear():
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="register_hook needs a callable"):
        x.register_hook(3.0)
    y = x * 2.0
    y.register_hook(lambda g: "twice")
    with pytest.raises(TypeError, match="returned by hook"):
        y.backward()
