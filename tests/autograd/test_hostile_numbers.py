"""Numbers that are not plain floats, wherever a number enters the engine.

- Integers too large for a float (``10**400``) as data, operand, exponent,
  constant, seed, hook result, local derivative, tool argument, or assigned to
  ``.data``: the documented ``ValueError`` (``TypeError`` for non-numbers), at
  once and naming the place, never an ``OverflowError`` and never later.
- Float subclasses (``numpy.float64``, or one with its own ``__repr__``,
  ``__format__`` and ``__float__``) as data, as operands, or assigned to
  ``.data`` after construction: the engine stores and computes with the plain
  float they hold, so the graph is bit for bit the one plain floats make and
  every number in it (data, local derivatives, gradients) is a ``float``.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from tests.strategies import Program, build, checked_programs

MARK = "<script>alert(1)</script>"


class Plain(float):
    """A float subclass that changes nothing."""


class Loud(float):
    """A float subclass whose text is markup and whose ``float()`` lies: none of it may reach the graph."""

    def __repr__(self) -> str:
        return MARK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MARK

    def __float__(self) -> float:
        return 7.0


def subclasses() -> list[type]:
    kinds: list[type] = [Plain, Loud]
    try:
        import numpy
    except ImportError:
        return kinds
    return [*kinds, numpy.float64]


huge_ints = st.one_of(st.integers(min_value=2**1024, max_value=10**500), st.integers(min_value=-(10**500),
                                                                                   max_value=-(2**1024)))
not_numbers = st.sampled_from(["2.0", None, True, 1j, [1.0], object()])


def entry_points(bad: object) -> dict[str, object]:
    """Every place a number enters, as a thunk passing ``bad`` there."""
    x = Value(2.0, label="x")

    def hooked():
        y = x * 3.0
        y.register_hook(lambda g: bad)
        y.backward()

    def assigned():
        x.data = bad

    return {
        "Value(data)": lambda: Value(bad),
        "x + c": lambda: x + bad, "c + x": lambda: bad + x, "x - c": lambda: x - bad, "c - x": lambda: bad - x,
        "x * c": lambda: x * bad, "c * x": lambda: bad * x, "x / c": lambda: x / bad, "c / x": lambda: bad / x,
        "x ** c": lambda: x ** bad, "c ** x": lambda: bad ** x, "x < c": lambda: x < bad,
        "total": lambda: autograd.total([x, bad]), "total start": lambda: autograd.total([x], start=bad),
        "dot": lambda: autograd.dot([x, x], [1.0, bad]), "dot start": lambda: autograd.dot([x], [1.0], start=bad),
        "softmax": lambda: autograd.softmax([x, bad]), "log_softmax": lambda: autograd.log_softmax([bad]),
        "logsumexp": lambda: autograd.logsumexp([x, bad]), "max": lambda: autograd.max([bad, x]),
        "backward seed": lambda: (x * x).backward(grad=bad),
        "hook result": hooked,
        "local_grads": lambda: Value(1.0, op="f", parents=(x,), local_grads=(bad,)),
        ".data =": assigned,
        "grad inputs": lambda: autograd.grad(x * x, [x, bad]),
        "hessian": lambda: autograd.hessian(lambda v: v * v, bad),
        "hvp v": lambda: autograd.hvp(lambda v: v * v, 1.0, bad),
        "gradcheck": lambda: autograd.gradcheck(lambda v: v * v, [1.0, bad]),
        "gradcheck eps": lambda: autograd.gradcheck(lambda v: v * v, 1.0, eps=bad),
        "jvp tangent": lambda: autograd.jvp(lambda d: d * d, 1.0, bad),
        "Dual": lambda: autograd.Dual(bad),
    }


POINTS = sorted(entry_points(0.0))


@pytest.mark.parametrize("point", POINTS)
@settings(max_examples=10)
@given(big=huge_ints)
def test_huge_integers_are_a_clear_value_error_everywhere(point, big):
    thunk = entry_points(big)[point]
    if point == "grad inputs":  # grad takes Values only: any number there is a TypeError
        with pytest.raises(TypeError, match="must be a Value") as caught:
            thunk()
    else:
        with pytest.raises(ValueError, match="too large for a float") as caught:
            thunk()
    assert not isinstance(caught.value, OverflowError)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300  # the digits are cut, not printed


@pytest.mark.parametrize("point", [p for p in POINTS if p not in ("c + x", "c - x", "c * x", "c / x", "c ** x")])
@given(bad=not_numbers)
def test_non_numbers_are_a_type_error_everywhere(point, bad):
    # (a non-number on the left of an operator is Python's own TypeError before the engine is asked)
    assume(not (point == "hook result" and bad is None))  # a hook returning None keeps the gradient
    assume(not (point in ("hessian", "hvp v", "jvp tangent") and bad == [1.0]))  # a sequence of numbers is valid
    with pytest.raises(TypeError):
        entry_points(bad)[point]()


def test_a_refused_assignment_leaves_the_node_as_it_was():
    x = Value(2.0)
    for bad in (10**400, "3", True, None):
        with pytest.raises((TypeError, ValueError)):
            x.data = bad
    assert x.data == 2.0 and type(x.data) is float
    (x * x).backward()
    assert x.grad == 4.0


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def fingerprint(root: Value) -> list[tuple]:
    """Every node's numbers, bit for bit, after checking they are plain floats."""
    out = []
    for node in autograd.topological_order(root):
        numbers = (node.data, node.grad, *node.local_grads)
        assert all(type(n) is float for n in numbers), (node, [type(n) for n in numbers])
        out.append(tuple(bits(n) for n in numbers))
    return out


def constants_as(program: Program, kind: type) -> Program:
    return Program(list(program.leaves), [(op, idx, kind(c)) for op, idx, c in program.instructions])


@pytest.mark.parametrize("kind", subclasses(), ids=lambda k: k.__name__)
@settings(max_examples=40)
@given(program=checked_programs(max_ops=6))
def test_float_subclasses_as_data_operands_or_assigned_data_give_the_plain_graph(kind, program):
    plain_leaves = [Value(x) for x in program.leaves]
    plain = build(program, plain_leaves)
    plain.backward()
    want = fingerprint(plain)

    as_data = [Value(kind(x)) for x in program.leaves]  # subclass data at construction, subclass constants
    root = build(constants_as(program, kind), as_data)
    root.backward()
    assert fingerprint(root) == want

    assigned = [Value(0.5) for _ in program.leaves]
    for leaf, x in zip(assigned, program.leaves):
        leaf.data = kind(x)  # after construction: stored as the plain float it holds
        assert type(leaf.data) is float and bits(leaf.data) == bits(x)
    root = build(program, assigned)
    root.backward()
    assert fingerprint(root) == want
    assert autograd.grad(root, assigned) == [leaf.grad for leaf in plain_leaves]


def test_a_loud_subclass_leaves_no_text_behind():
    x = Value(Loud(1.5), label="x")
    w = Value(0.5, label="w")
    w.data = Loud(-0.25)
    y = (x * w + Loud(2.0)).tanh() * Loud(3.0)
    y.backward()
    assert x.data == 1.5 and w.data == -0.25  # the number held, not the 7.0 its __float__ claims
    texts = [repr(y), repr(x), repr(w), str(autograd.trace_backward(y)), repr(autograd.gradcheck(
        lambda vs: vs[0] * Loud(2.0), [Loud(1.0)]))]
    assert not any(MARK in t or "7.0" in t for t in texts)
    assert math.isclose(x.grad, 3.0 * (1 - math.tanh(1.5 * -0.25 + 2.0) ** 2) * -0.25, rel_tol=1e-15)


def tool_options(bad: object) -> dict[str, object]:
    """Every int or float setting of a seeing tool, as a thunk passing ``bad`` there."""
    x = Value(1.5, label="x")
    y = (x * 2.0).tanh()
    y.backward()
    return {
        "draw precision": lambda: autograd.draw(y, precision=bad),
        "draw column": lambda: autograd.draw(y, rankdir="auto", column=bad),
        "draw caption_width": lambda: autograd.draw(y, caption_width=bad),
        "draw max_nodes": lambda: autograd.draw(y, max_nodes=bad),
        "paths limit": lambda: autograd.paths(y, x, limit=bad),
        "gradcheck eps": lambda: autograd.gradcheck(lambda v: v * v, 1.0, eps=bad),
        "hierarchy max_items": lambda: autograd.hierarchy.hierarchy(y, max_items=bad),
    }


@pytest.mark.parametrize("point", sorted(tool_options(0)))
@pytest.mark.parametrize("bad", [10**400, -(10**400), float("inf"), float("nan"), -1, True, "3"],
                         ids=["10**400", "-10**400", "inf", "nan", "-1", "True", "str"])
def test_tool_settings_refuse_huge_and_non_finite_numbers_in_one_line(point, bad):
    """draw(column=10**400) was an OverflowError, max_nodes=nan or inf drew with no limit, and the
    refusals printed all 401 digits: a ValueError or TypeError naming the setting, in one short line."""
    limits = ("draw max_nodes", "paths limit", "hierarchy max_items")
    if point in limits and isinstance(bad, int) and bad > 0 and not isinstance(bad, bool):
        return  # a huge limit is a valid limit
    with pytest.raises((ValueError, TypeError)) as caught:
        tool_options(bad)[point]()
    assert not isinstance(caught.value, OverflowError)
    message = str(caught.value)
    assert point.split()[-1] in message, message
    assert "\n" not in message and len(message) < 200, message
