"""Sum over paths (Nielsen's view) against backward, and counting paths without enumerating them."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Path, PathLimitError, Value, count_paths, paths, sum_over_paths, topological_order
from tests.strategies import random_graphs


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12 * scale


@given(random_graphs())
def test_sum_over_paths_equals_the_backward_gradient(graph):
    root, leaves = graph
    expected = autograd.grad(root, leaves)
    for leaf, g in zip(leaves, expected):
        # the sum of products regroups the same products backward sums, so agreement is to rounding
        scale = math.fsum(abs(p.product) for p in paths(root, leaf)) + 1.0
        assert close(sum_over_paths(root, leaf), g, scale), (leaf, g)


@given(random_graphs(), st.data())
def test_sum_over_paths_from_an_interior_node(graph, data):
    root, _ = graph
    node = data.draw(st.sampled_from(topological_order(root)))
    root.backward()  # interior nodes keep this pass's gradient
    scale = math.fsum(abs(p.product) for p in paths(root, node)) + 1.0
    assert close(sum_over_paths(root, node), node.grad, scale)


@given(random_graphs(), st.data())
def test_paths_are_distinct_well_formed_and_counted(graph, data):
    root, _ = graph
    start = data.draw(st.sampled_from(topological_order(root)))
    found = list(paths(root, start))
    assert len(found) == count_paths(root, start)
    assert len({(tuple(map(id, p.nodes)), p.edges) for p in found}) == len(found)
    for p in found:
        assert isinstance(p, Path)
        assert p.nodes[0] is start and p.nodes[-1] is root
        assert len(p.nodes) == len(p.local_grads) + 1 == len(p.edges) + 1 == len(p) + 1
        for j, (below, above) in enumerate(zip(p.nodes, p.nodes[1:])):
            assert above.parents[p.edges[j]] is below
            assert p.local_grads[j] == above.local_grads[p.edges[j]]
        assert p.product == math.prod(p.local_grads)


def test_parallel_edges_are_separate_paths():
    x = Value(3.0, label="x")
    y = x * x
    found = list(paths(y, x))
    assert [p.edges for p in found] == [(0,), (1,)]
    assert [p.product for p in found] == [3.0, 3.0]
    assert sum_over_paths(y, x) == 6.0


def test_a_small_graph_by_hand():
    x = Value(2.0, label="x")
    w = Value(0.5, label="w")
    a = x * w  # d a/dx = 0.5
    b = x.exp()  # d b/dx = e^2
    y = a * b  # d y/da = b, d y/db = a
    y.label = "y"
    products = sorted(p.product for p in paths(y, x))
    assert products == pytest.approx(sorted([0.5 * b.data, b.data * a.data]))
    assert str(next(iter(paths(y, w)))) == f"w -> * -> y: 2 * {b.data:.6g} = {2 * b.data:.6g}"


def diamonds(n: int) -> tuple[Value, Value]:
    """x feeding ``n`` stacked diamonds v -> (v*0.5, v*0.5) -> sum: 2**n paths, gradient 1."""
    x = Value(1.0, label="x")
    v = x
    for _ in range(n):
        v = v * 0.5 + v * 0.5
    return v, x


def test_count_paths_handles_two_to_the_forty_instantly():
    root, x = diamonds(40)
    start = time.perf_counter()
    assert count_paths(root, x) == 2**40
    assert time.perf_counter() - start < 0.5
    root.backward()
    assert x.grad == 1.0  # backward: linear in the 120 edges


def test_too_many_paths_fail_before_enumerating():
    root, x = diamonds(40)
    start = time.perf_counter()
    with pytest.raises(PathLimitError) as info:
        paths(root, x)  # raised by the call itself, not on first iteration
    assert time.perf_counter() - start < 0.5
    assert info.value.count == 2**40
    assert "1,099,511,627,776 paths" in str(info.value)
    assert "count_paths" in str(info.value)
    with pytest.raises(PathLimitError):
        sum_over_paths(root, x)
    small, y = diamonds(3)
    assert len(list(paths(small, y, limit=8))) == 8
    with pytest.raises(PathLimitError, match="8 paths"):
        paths(small, y, limit=7)
    assert sum_over_paths(small, y) == 1.0


def test_deep_chain_without_recursion():
    x = Value(1.0, label="x")
    y = x
    for _ in range(50_000):
        y = y + 1.0
    (only,) = paths(y, x)
    assert len(only) == 50_000 and only.product == 1.0
    assert count_paths(y, x) == 1


def test_unrelated_node_and_root_itself():
    x = Value(1.0, label="x")
    other = Value(2.0, label="other")
    y = x.tanh()
    assert count_paths(y, other) == 0
    assert list(paths(y, other)) == []
    assert sum_over_paths(y, other) == 0.0
    (own,) = paths(y, y)
    assert own.nodes == (y,) and own.local_grads == () and own.product == 1.0
    assert count_paths(y, y) == 1


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="as root"):
        count_paths(1.0, x)
    with pytest.raises(TypeError, match="as leaf"):
        paths(x, "x")
    with pytest.raises(ValueError, match="limit"):
        paths(x, x, limit=-1)


def test_first_paths_lists_a_few_of_very_many():
    from autograd.pathsum import first_paths

    x = Value(1.0, label="x")
    y = x
    for _ in range(40):  # a chain of 40 diamonds: 2**40 paths
        y = y * 1.0 + y * 1.0
    count, listed = first_paths(y, x, 3)
    assert count == 2**40 and len(listed) == 3
    assert all(p.nodes[0] is x and p.nodes[-1] is y for p in listed)
    assert first_paths(x, Value(2.0), 3) == (0, [])
