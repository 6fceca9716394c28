"""The backward pass: random graphs against finite differences and PyTorch, and fixed cases."""

from __future__ import annotations

import copy
import math
import pickle
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def sign(x: float) -> float:
    return math.copysign(1.0, x)


def test_a_gradient_is_the_sum_of_its_contributions_signed_zero_included():
    """As PyTorch: the first contribution is taken as is, so (x * -0.0).backward() leaves -0.0."""
    x = Value(2.0, label="x")
    (x * -0.0).backward()
    assert x.grad == 0.0 and sign(x.grad) == -1.0
    (x * -0.0).backward()  # -0.0 + -0.0
    assert sign(x.grad) == -1.0
    x.grad = 0.0  # zeroed: the next pass starts from nothing again
    (x * -0.0).backward()
    assert sign(x.grad) == -1.0
    x.grad = 1.5  # an earlier nonzero gradient: passes accumulate onto it, as documented
    (x * 2.0).backward()
    assert x.grad == 3.5
    y = Value(-1.0)
    h = y * -0.0  # an interior node: its gradient is this pass's sum too
    (h * 1.0 + h * 1.0).backward()
    assert sign(h.grad) == 1.0 and sign(y.grad) == -1.0
    z = Value(3.0)
    z.register_hook(lambda g: None)  # a hooked leaf keeps the sign as well
    (z * -0.0).backward()
    assert sign(z.grad) == -1.0
    w = Value(3.0)
    assert sign(grad(w * -0.0, w)) == -1.0 and sign(autograd.trace_backward(w * -0.0).grad(w)) == -1.0
    assert sign(grad(w * 2.0, [w, Value(1.0)])[1]) == 1.0  # an input not reached: plain 0.0


def test_signed_zero_gradients_agree_with_compiled_replay():
    def f(vs):
        a, b = vs
        return a * -0.0 + b * 0.0 + (a * b) * -0.0

    xs = [Value(2.0), Value(-3.0)]
    out = f(xs)
    out.backward()
    _, replayed = autograd.compile(f, [Value(2.0), Value(-3.0)])([2.0, -3.0])
    assert [(g, sign(g)) for g in replayed] == [(x.grad, sign(x.grad)) for x in xs]


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
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
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


# -- pickling and copying (autograd/serialize.py) ---------------------------------------------


def deep_chain(depth: int) -> tuple[Value, Value, Value]:
    """``depth`` links, each going through the shared leaf ``w``; backward already run."""
    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    v = x
    for _ in range(depth):
        v = v * 1.0000001 + w * 1e-7
    v.label = "out"
    v.backward()
    return v, x, w


def same_graph(a: Value, b: Value) -> None:
    """``b`` is a copy of ``a``: same shape, sharing, fields and grads, and no node in common."""
    order_a, order_b = topological_order(a), topological_order(b)
    assert len(order_a) == len(order_b)
    position_b = {n: k for k, n in enumerate(order_b)}
    position_a = {n: k for k, n in enumerate(order_a)}
    assert not set(map(id, order_a)) & set(map(id, order_b))
    for na, nb in zip(order_a, order_b):
        fields = ("data", "grad", "label", "op", "local_grads")
        assert [getattr(nb, f) for f in fields] == [getattr(na, f) for f in fields]
        assert [position_b[p] for p in nb.parents] == [position_a[p] for p in na.parents]  # sharing kept
        assert nb._pending == 0


ROUND_TRIPS = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "pickle protocol 0": lambda obj: pickle.loads(pickle.dumps(obj, protocol=0)),
    "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_a_100000_deep_graph_round_trips_without_recursion(how):
    v, x, w = deep_chain(100_000)
    v2, x2, w2 = ROUND_TRIPS[how]((v, x, w))
    same_graph(v, v2)
    leaves = [n for n in topological_order(v2) if not n.parents]
    assert x2 in leaves and w2 in leaves  # pickled next to the root, they are the root's leaves
    assert (x2.grad, w2.grad) == (x.grad, w.grad)
    v2.backward()
    assert x2.grad == 2 * x.grad


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_sharing_survives_whatever_is_pickled_first(how):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    h = a * b
    y = h * h + h.tanh()
    for bundle in ([y, h, a], [a, h, y], [h, [y, b]], {"params": [a, b], "loss": y}):
        out = ROUND_TRIPS[how](bundle)
        flat = out if isinstance(out, list) else [out["params"], out["loss"]]
        found = []
        stack = list(flat)
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            else:
                found.append(item)
        (y2,) = [n for n in found if n.data == y.data]
        for n in found:
            assert n in topological_order(y2)  # every copy is the very node the copied root depends on
        assert len(topological_order(y2)) == len(topological_order(y))


@settings(max_examples=30)
@given(random_graphs(), st.sampled_from(sorted(ROUND_TRIPS)))
def test_random_graphs_round_trip_and_differentiate_alike(graph, how):
    root, leaves = graph
    root.backward()
    root2, leaves2 = ROUND_TRIPS[how]((root, leaves))
    same_graph(root, root2)
    assert grad(root2, leaves2) == grad(root, leaves)


def test_pickling_drops_hooks_deepcopy_keeps_them():
    x = Value(1.0, label="x")
    y = x * 3
    calls = []
    x.register_hook(calls.append)
    y.register_hook(lambda g: g * 2)  # a lambda: pickle could not write it
    y2, x2 = pickle.loads(pickle.dumps((y, x)))
    assert x2._hooks is None and y2._hooks is None
    y2.backward()
    assert x2.grad == 3.0 and calls == []
    y3, x3 = copy.deepcopy((y, x))
    y3.backward()
    assert x3.grad == 6.0 and calls == [6.0]  # the copied hooks run: the same callables
    assert x3._hooks is not x._hooks  # but in the copy's own list
    x3._hooks.clear()
    assert x._hooks == [calls.append]


def test_copy_copy_is_one_node_sharing_parents():
    x = Value(2.0)
    y = x * x
    y.register_hook(print)
    y2 = copy.copy(y)
    assert y2 is not y and y2.parents == (x, x) and y2.data == 4.0 and y2.op == "*"
    assert y2._hooks == [print] and y2._hooks is not y._hooks


def test_anomaly_sites_are_not_pickled():
    with autograd.detect_anomaly():
        y = Value(1.0) * 2
    assert y._site
    assert pickle.loads(pickle.dumps(y))._site is None


class OpName(str):
    """Stands in for op objects that are ``str`` subclasses."""


class Tagged(Value):
    """A subclass with a slot of its own, like the nodes that carry constants."""

    __slots__ = ("_consts",)


def test_every_declared_slot_is_kept_generically():
    x = Value(2.0, label="x")
    t = Tagged(5.0, label="t", op=OpName("scale"), parents=(x,), local_grads=(2.5,))
    t._consts = (2.5, -1.0)
    bare = Tagged(1.0)  # _consts never set: stays unset
    y = Value(t.data * bare.data, op="*", parents=(t, bare), local_grads=(bare.data, t.data))
    for how in ROUND_TRIPS.values():
        y2, bare2 = how((y, bare))
        t2 = y2.parents[0]
        assert type(t2) is Tagged and t2._consts == (2.5, -1.0)
        assert type(t2.op) is OpName and t2.op == "scale" and t2.parents[0].label == "x"
        assert y2.parents[1] is bare2 and not hasattr(bare2, "_consts")


def test_a_failed_pickle_leaves_nothing_behind():
    x = Value(1.0)
    y = x * 2
    y.label = lambda: None  # not a str: pickle refuses it
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(y + 1)
    v, x, w = deep_chain(20_000)
    assert pickle.loads(pickle.dumps(v)).data == v.data  # no claim left over from the failure


def test_loading_refuses_a_state_that_is_not_a_node():
    from autograd import serialize

    with pytest.raises(TypeError, match="not a Value class"):
        serialize.new_node(int)
    node = serialize.new_node(Value)
    with pytest.raises(ValueError, match="unknown field 'evil'"):
        node.__setstate__({"data": 1.0, "evil": 2})
    with pytest.raises(TypeError, match="from list state"):
        node.__setstate__([1.0])


def test_values_support_weak_references():
    x = Value(1.0)
    ref = weakref.ref(x)
    cache = weakref.WeakKeyDictionary({x: "seen"})
    assert ref() is x and cache[x] == "seen"
    del x
    assert ref() is None and not cache
