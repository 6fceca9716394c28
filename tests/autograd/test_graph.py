"""The backward pass: random graphs against finite differences and PyTorch, and fixed cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

import autograd
from autograd import Value, grad, no_grad, topological_order
from tests.strategies import build, checked_programs, evaluate, numeric_grad, random_graphs, torch_backend


def close(analytic: float, numeric: float, scale: float = 1.0) -> bool:
    """Relative 1e-6 with an absolute floor that grows with the size of the values involved."""
    return abs(analytic - numeric) <= 1e-6 * abs(numeric) + 1e-8 * scale


@given(checked_programs())
def test_random_graphs_match_central_differences(program):
    leaves = [Value(x) for x in program.leaves]
    root = build(program, leaves)
    root.backward()
    scale = max(1.0, *(abs(n.data) for n in topological_order(root)))
    for i, leaf in enumerate(leaves):
        numeric = numeric_grad(lambda xs: evaluate(program, xs), program.leaves, i)
        assert close(leaf.grad, numeric, scale), (i, leaf.grad, numeric, program)


@given(checked_programs())
@settings(max_examples=60)
def test_random_graphs_match_pytorch(program):
    torch = pytest.importorskip("torch")
    leaves = [Value(x) for x in program.leaves]
    root = build(program, leaves)
    root.backward()
    tleaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.leaves]
    troot = build(program, tleaves, torch_backend())
    assert math.isclose(root.data, troot.item(), rel_tol=1e-12, abs_tol=1e-12)
    tgrads = torch.autograd.grad(troot, tleaves, allow_unused=True)
    for leaf, tg in zip(leaves, tgrads):
        expected = 0.0 if tg is None else tg.item()
        assert math.isclose(leaf.grad, expected, rel_tol=1e-9, abs_tol=1e-9), (leaf.grad, expected, program)


@given(random_graphs())
def test_grad_equals_backward_and_touches_no_grad(graph):
    root, leaves = graph
    for leaf in leaves:
        leaf.grad = 7.0
    got = grad(root, leaves)
    assert all(leaf.grad == 7.0 for leaf in leaves)
    for leaf in leaves:
        leaf.grad = 0.0
    root.backward()
    assert got == [leaf.grad for leaf in leaves]


@given(random_graphs())
def test_topological_order_lists_each_node_once_parents_first(graph):
    root, _ = graph
    order = topological_order(root)
    assert len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is root
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    reachable, stack = set(), [root]
    while stack:
        n = stack.pop()
        if id(n) not in reachable:
            reachable.add(id(n))
            stack.extend(n.parents)
    assert reachable == set(position)


def test_diamond():
    a = Value(1.5, label="a")
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_node_reused_by_several_ops():
    x = Value(2.0)
    y = x * 3.0
    z = y * y + y.tanh() - y / 4.0 + y.exp()
    z.backward()
    # dz/dy = 2y + (1 - tanh^2 y) - 1/4 + e^y at y = 6, times dy/dx = 3
    expected = 3.0 * (2 * 6.0 + (1 - math.tanh(6.0) ** 2) - 0.25 + math.exp(6.0))
    assert math.isclose(x.grad, expected, rel_tol=1e-12)
    assert math.isclose(y.grad, expected / 3.0, rel_tol=1e-12)


def test_leaves_accumulate_interior_nodes_reset():
    x = Value(3.0)
    h = x * 1.0
    y = h * h
    y.backward()
    y.backward()
    assert x.grad == 12.0  # leaf: 6 + 6
    assert h.grad == 6.0  # interior: this pass only
    x.grad = 0.0
    y.backward()
    assert x.grad == 6.0


def test_backward_seed_scales_everything():
    x = Value(2.0)
    y = x * x
    y.backward(grad=0.5)
    assert y.grad == 0.5
    assert x.grad == 2.0


def test_backward_from_a_leaf_accumulates_into_it():
    x = Value(1.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_input_the_output_does_not_depend_on_gets_zero():
    x, y = Value(1.0), Value(2.0)
    assert grad(x * 2, [x, y]) == [2.0, 0.0]


def test_million_node_chain_backward():
    x = Value(0.5)
    v = x
    for _ in range(1_000_000):
        v = v * 1.0000001
    v.backward()
    assert math.isclose(x.grad, 1.0000001 ** 1_000_000, rel_tol=1e-9)


def test_no_grad_records_no_parents_and_restores():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
        assert not autograd.is_grad_enabled()
        with no_grad():
            z = y.exp()
        w = z * 2  # still inside the outer block
    assert y.parents == () and y.local_grads == () and y.op == "+"
    assert z.parents == () and w.parents == ()
    assert y.data == 5.0
    assert autograd.is_grad_enabled()
    assert (x * x).parents == (x, x)


def test_no_grad_restores_after_an_exception():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert autograd.is_grad_enabled()
    assert (Value(1.0) * 2).parents


def test_bad_arguments():
    with pytest.raises(TypeError, match="backward"):
        Value(1.0).backward("1")
    with pytest.raises(TypeError, match="needs a Value"):
        topological_order(3.0)
    with pytest.raises(TypeError, match="input 1"):
        grad(Value(1.0), [Value(2.0), 3.0])


def test_interrupted_pass_keeps_hooked_leaves_earlier_gradient():
    for run in (lambda y: y.backward(), lambda y: list(autograd.graph.chain_rule_steps(y))):
        x = Value(2.0)
        x.grad = 5.0
        x.register_hook(lambda g: None)
        y = x * 3
        y.register_hook(lambda g: 1 / 0)  # fails before the pass reaches x
        with pytest.raises(ZeroDivisionError):
            run(y)
        assert x.grad == 5.0


def test_stopping_a_step_by_step_pass_early_keeps_hooked_leaves_earlier_gradient():
    x = Value(2.0)
    x.grad = 5.0
    x.register_hook(lambda g: None)
    steps = autograd.graph.chain_rule_steps((x * 3).tanh())
    next(steps)
    steps.close()
    assert x.grad == 5.0
