"""The hierarchy of a graph: scopes, chunks, group_by, box derivatives (nn modules: tests/nn/test_hierarchy.py)."""

from __future__ import annotations

import math
import threading
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, ops, scope, topological_order, total
from autograd import value as value_module
from autograd.hierarchy import DEFAULT_MAX_ITEMS, Box, box_derivatives, hierarchy, reading_order
from tests.autograd.test_modes import run_threads
from tests.strategies import build, checked_programs, numeric_grad

SMOOTH_OPS = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "pow_int", "cadd", "cmul",
              "rsub", "rdiv", "add", "sub", "mul", "div", "total", "dot", "logsumexp", "softmax"]


def check_tree(top: Box, root: Value, max_items: int | None = DEFAULT_MAX_ITEMS) -> None:
    """The contract's invariants: each value in exactly one innermost box, counts, paths, order, inputs/outputs."""
    order = topological_order(root)
    index = {n: k for k, n in enumerate(order)}
    rank = reading_order(root)
    assert sorted(rank.values()) == list(range(len(order)))
    assert all(rank[p] < rank[n] for n in order for p in n.parents)  # a topological order

    def place(values: list[Value]) -> int:
        ops = [rank[n] for n in values if n.parents]
        return min(ops) if ops else min(rank[n] for n in values)

    seen: dict[Value, Box] = {}
    for box in top.walk():
        assert box.nodes == sorted(box.nodes, key=index.__getitem__)
        for n in box.nodes:
            assert n not in seen, f"{n!r} is in two boxes"
            seen[n] = box
        assert box.count == len(box.nodes) + sum(c.count for c in box.children)
        assert box.count > 0
        if box.parent is None:
            assert box.kind == "graph" and box.path == ()
        else:
            assert box in box.parent.children and box.path == (*box.parent.path, box.name)
        # siblings in reading order of their first op result (of their first value if they hold only leaves)
        # (a parameters box lists its modules as the model does)
        if box.name != "parameters" and not box.path[:1] == ("parameters",):
            firsts = [place(c.members()) for c in box.children]
            assert firsts == sorted(firsts)
        if max_items is not None:
            assert len(box.nodes) + len(box.children) <= max_items, box
        names = [c.name for c in box.children]
        assert len(names) == len(set(names)), names
    assert set(seen) == set(order)
    for box in top.walk():
        inside = set(box.members())
        for n in inside:
            assert top.box_of(n) is seen[n]
        expected_in = []
        for n in order:
            if n in inside:
                for p in n.parents:
                    if p not in inside and p not in expected_in:
                        expected_in.append(p)
        assert box.inputs == ([] if box is top else expected_in)
        used_outside = {p for n in order if n not in inside for p in n.parents if p in inside}
        if root in inside:
            used_outside.add(root)
        assert box.outputs == ([] if box is top else sorted(used_outside, key=index.__getitem__))


def test_no_recording_means_one_box_and_scope_costs_nothing_outside() -> None:
    x = Value(2.0, label="x")
    y = (x * x + 1.0).tanh()
    assert value_module._MODES_ACTIVE is False
    top = hierarchy(y)
    assert top.kind == "graph" and top.children == [] and top.nodes == topological_order(y)
    assert top.count == 4 and top.box_of(x) is top
    check_tree(top, y)


def test_nested_scopes_become_boxes() -> None:
    x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
    with scope("layer"):
        with scope("n0"):
            a = (x1 * 0.5 + x2 * -1.0).tanh()
        with scope("n1"):
            b = (x1 * 2.0 - x2).relu()
    with scope("loss"):
        out = (a * b - 1.0) ** 2
    out.backward()
    top = hierarchy(out)
    check_tree(top, out)
    assert [c.name for c in top.children] == ["layer", "loss"]
    layer = top.find("layer")
    assert layer.kind == "scope" and [c.name for c in layer.children] == ["n0", "n1"]
    assert top.find(("layer", "n0")).outputs == [a] and top.find("layer/n1").outputs == [b]
    assert top.box_of(a).path == ("layer", "n0")
    # the inputs were made outside every scope: they stay at the top
    assert top.box_of(x1) is top and top.box_of(x2) is top
    assert top.find("layer/n0").inputs == [x1, x2] or top.find("layer/n0").inputs == [x2, x1]
    assert top.find("loss").outputs == [out]
    with pytest.raises(ValueError, match="no box 'n2' in layer; it holds 'n0', 'n1'"):
        top.find("layer/n2")


def test_a_scope_entered_twice_is_one_box_and_hostile_names_stay_as_written() -> None:
    hostile = ["<script>alert(1)</script>", 'quote " and \' and \\', "new\nline", "\u202eevil", "{{x}}",
               "a/b", "end\\"]
    x = Value(1.0, label="x")
    y = x
    scopes = [scope(name) for name in hostile]
    for s in scopes:
        with s:
            y = y * 2.0 + 1.0
    with scopes[0]:
        y = y.tanh()
    top = hierarchy(y)
    check_tree(top, y)
    assert [c.name for c in top.children] == hostile
    assert top.box_of(y) is top.children[0] and top.children[0].count == 3
    assert top.find(("a/b",)).name == "a/b"


def test_scopes_are_per_thread() -> None:
    ready = threading.Barrier(2)
    results: dict[str, Value] = {}

    def work(name: str) -> None:
        x = Value(1.0, label=f"x_{name}")
        with scope(name):
            ready.wait(timeout=30)  # both threads are inside their own scope now
            y = x
            for _ in range(50):
                y = (y * 1.01).tanh()
        results[name] = y + 1.0

    run_threads(lambda: work("a"), lambda: work("b"))
    for name, y in results.items():
        top = hierarchy(y, max_items=None)
        assert [c.name for c in top.children] == [name]
        assert top.children[0].count == 100  # only this thread's nodes
    assert value_module._MODES_ACTIVE is False


def test_a_long_chain_is_chunked_so_no_level_is_large() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(5000):
        y = (y * 1.0001).tanh()
    top = hierarchy(y)
    check_tree(top, y)
    assert top.count == 10_001
    assert all(c.kind == "chunk" for c in top.children) and top.nodes == [y]  # the output stays in sight
    depth = max(len(b.path) for b in top.walk())
    # nested chunks, as few levels as can be: top > chunk > chunk > values
    assert depth == math.ceil(math.log(10_001, DEFAULT_MAX_ITEMS)) - 1
    first = top.children[0]
    assert first.name.startswith("x … ")
    # max_items=None never chunks
    assert hierarchy(y, max_items=None).children == []
    with pytest.raises(ValueError, match="max_items"):
        hierarchy(y, max_items=1)


def test_a_chunked_box_of_parameters_leaves_none_of_them_alone() -> None:
    """Only an op result (a box's output) stays beside its chunks: an RNN's last weight is no output."""
    from nn import RNN

    model = RNN(1, 4, seed=0)
    states = model([[float(k % 2)] for k in range(8)])
    loss = total(states[-1]) ** 2
    for max_items in (DEFAULT_MAX_ITEMS, 16):  # the 28 parameters in one chunk, or in two
        top = hierarchy(loss, max_items=max_items)
        check_tree(top, loss)
        rnn = top.find("RNN")
        assert rnn.nodes == []  # every parameter is in a chunk, none stranded next to them
        chunks = [c for c in rnn.children if c.kind == "chunk"]
        assert {n for c in chunks for n in c.nodes} == set(model.parameters())
        assert len(chunks) == (1 if max_items == DEFAULT_MAX_ITEMS else 2)


def _build_time(make, sizes) -> list[float]:
    """Seconds per value to build the tree, best of three, for graphs of each size."""
    out = []
    for n in sizes:
        root = make(n)
        order = topological_order(root)
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            hierarchy(root, order)
            best = min(best, time.perf_counter() - t0)
        out.append(best / len(order))
    return out


def test_building_the_tree_is_linear_in_the_graph() -> None:
    def chain(n: int) -> Value:
        y = Value(0.5, label="x")
        for _ in range(n - 1):
            y = y.tanh()
        return y

    small, large = _build_time(chain, [10_000, 100_000])
    # the same cost per value at 10x the size (a generous bound: the machine is shared)
    assert large < 4 * small, (small, large)


def test_group_by_variants_give_the_same_tree_shape() -> None:
    x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
    with scope("layer") as layer:
        with scope("n0"):
            a = (x1 * 0.5).tanh()
        with scope("n1"):
            b = (x2 * 2.0).tanh()
    out = a * b
    by_scope = hierarchy(out, group_by=layer)
    check_tree(by_scope, out)
    assert by_scope.find("layer/n0").kind == "scope" and by_scope.find("layer/n0").outputs == [a]
    by_list = hierarchy(out, group_by=[layer])
    assert [b.path for b in by_list.walk()] == [b.path for b in by_scope.walk()]

    # a function's str is one name, as written; a tuple is a path
    top = hierarchy(out, group_by=lambda n: "loss 1/2 (y - a)^2" if n is out else None)
    assert [c.name for c in top.children] == ["loss 1/2 (y - a)^2"] and top.children[0].kind == "group"
    top = hierarchy(out, group_by=lambda n: ("outer", "inner") if n in (a, b) else None)
    assert top.find(("outer", "inner")).count == 2
    with pytest.raises(TypeError, match="group_by returned 3"):
        hierarchy(out, group_by=lambda n: 3)
    with pytest.raises(ValueError, match="'labels'"):
        hierarchy(out, group_by="label")
    with pytest.raises(TypeError, match="group_by must be"):
        hierarchy(out, group_by=42)


def test_labels_grouping_reads_dotted_labels() -> None:
    w = Value(0.5, label="L0.N0.w0")
    b = Value(0.1, label="L0.N0.b")
    x = Value(2.0, label="x")
    z = (w * x + b).tanh()
    loss = (z - 1.0) ** 2
    top = hierarchy(loss, group_by="labels")
    box = top.find("L0/N0")
    assert box.kind == "group" and box.outputs == [z] and set(box.nodes) >= {w, b, z}
    assert top.box_of(x) is top and top.box_of(loss) is top


def test_box_of_and_errors() -> None:
    x = Value(1.0)
    top = hierarchy(x * 2.0)
    with pytest.raises(ValueError, match="not a value of the graph"):
        top.box_of(Value(3.0))
    with pytest.raises(TypeError, match="needs a Value"):
        hierarchy(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="box_derivatives needs a Box"):
        box_derivatives("layer")  # type: ignore[arg-type]


# -- box derivatives -----------------------------------------------------------------------------


def box_function(box: Box, output: Value):
    """The box's output as a function of its inputs' numbers: its members recomputed from the op table."""
    members = box.members()

    def f(xs: list[float]) -> float:
        val = dict(zip(box.inputs, xs))
        for n in members:
            if n.parents:
                args = [val[p] if p in val else p.data for p in n.parents]
                val[n] = ops.evaluate(ops.op_of(n).key, args, ops.constants(n))
            else:
                val[n] = n.data
        return val[output]

    return f


def assert_box_derivatives_match_differences(top: Box) -> int:
    checked = 0
    for box in top.walk():
        if box is top or not box.inputs:
            continue
        for output in box.outputs[:2]:
            got = box_derivatives(box, output if len(box.outputs) > 1 else None)
            assert list(got) == box.inputs
            f = box_function(box, output)
            xs = [x.data for x in box.inputs]
            assert math.isclose(f(xs), output.data, rel_tol=1e-12, abs_tol=1e-12)
            for i, x in enumerate(box.inputs):
                num = numeric_grad(f, xs, i)
                assert math.isclose(got[x], num, rel_tol=1e-5, abs_tol=1e-6), (box, x, got[x], num)
            checked += 1
    return checked


@settings(max_examples=60, deadline=None)
@given(program=checked_programs(max_ops=10, ops=SMOOTH_OPS), data=st.data())
def test_box_derivatives_are_the_derivatives_of_the_box_output(program, data) -> None:
    """Issue #19's acceptance: an edge into a collapsed box carries d(box output)/d(input) (central differences)."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(program.leaves)]
    n = len(program.instructions)
    start = data.draw(st.integers(0, n - 1))
    stop = data.draw(st.integers(start + 1, n))
    nodes = list(leaves)
    # the instructions start..stop run inside a scope; the tree is chunked finely so chunks are boxes too
    for k, (op, idx, c) in enumerate(program.instructions):
        sub = type(program)(leaves=[], instructions=[(op, tuple(range(len(idx))), c)])
        args = [nodes[i] for i in idx]
        if start <= k < stop:
            with scope("box"):
                nodes.append(build(sub, args))
        else:
            nodes.append(build(sub, args))
    root = nodes[-1]
    # softmax shifts by the max of its inputs (a max node): the whole is smooth, but a box cut inside it sees
    # the kink of the max where two inputs tie, and central differences straddle it there
    assume(not any(n.op == "max" and _ties(n.parents) for n in topological_order(root)))
    top = hierarchy(root, max_items=data.draw(st.sampled_from([2, 3, 32])))
    check_tree(top, root, max_items=None)
    assert_box_derivatives_match_differences(top)


def _ties(values: tuple[Value, ...]) -> bool:
    """Two of ``values`` within 1e-4 of each other (a central difference's step would cross the kink)."""
    data = sorted(v.data for v in values)
    return any(b - a <= 1e-4 * max(1.0, abs(a)) for a, b in zip(data, data[1:]))


def test_box_derivatives_need_an_output_when_there_are_several() -> None:
    x = Value(0.3, label="x")
    with scope("two"):
        a, b = x.tanh(), x.sin()
    out = a * b
    box = hierarchy(out).find("two")
    assert box.outputs == [a, b] or box.outputs == [b, a]
    with pytest.raises(ValueError, match="box 'two' has 2 outputs; pass output="):
        box_derivatives(box)
    assert box_derivatives(box, a) == {x: pytest.approx(1 - math.tanh(0.3) ** 2)}
    with pytest.raises(ValueError, match="is not a value of box 'two'"):
        box_derivatives(box, out)


def test_total_of_many_terms_keeps_the_root_in_sight() -> None:
    xs = [Value(float(k), label=f"x{k}") for k in range(100)]
    loss = total([x * x for x in xs])
    top = hierarchy(loss)
    check_tree(top, loss)
    assert loss in top.nodes
