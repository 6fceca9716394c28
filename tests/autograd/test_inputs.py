"""One rule for inputs: a Value, a number, or a sequence of them, everywhere; one clear error otherwise."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck, gradgradcheck, hessian, hvp, jvp
from autograd.forward import compare_modes, forward_mode_gradient
from autograd.inputs import Inputs, as_inputs


def cube(x):
    return x ** 3


def cube_of_first(xs):
    return xs[0] ** 3


# name -> call on a bare input, call on a list of inputs (f of one Value, f of a list)
TOOLS = {
    "hessian": (lambda x: hessian(cube, x), lambda xs: hessian(cube_of_first, xs)),
    "hvp": (lambda x: hvp(cube, x, 1.0), lambda xs: hvp(cube_of_first, xs, [1.0] * len(list(xs)))),
    "gradcheck": (lambda x: gradcheck(cube, x), lambda xs: gradcheck(cube_of_first, xs)),
    "gradgradcheck": (lambda x: gradgradcheck(cube, x), lambda xs: gradgradcheck(cube_of_first, xs)),
    "jvp": (lambda x: jvp(cube, x, 1.0), lambda xs: jvp(cube_of_first, xs, [1.0] * len(list(xs)))),
    "forward_mode_gradient": (lambda x: forward_mode_gradient(cube, x),
                              lambda xs: forward_mode_gradient(cube_of_first, xs)),
    "compare_modes": (lambda x: compare_modes(cube, x, repeat=1),
                      lambda xs: compare_modes(cube_of_first, xs, repeat=1)),
}


@pytest.mark.parametrize("bare", [2.0, 2, Value(2.0, label="x")], ids=["float", "int", "Value"])
def test_one_bare_input_gives_f_one_argument_and_one_result(bare):
    assert hessian(cube, bare) == 12.0
    assert hvp(cube, bare, 0.5) == 6.0
    assert gradcheck(cube, bare).ok and gradgradcheck(cube, bare).ok
    assert jvp(cube, bare, 1.0) == (8.0, 12.0)
    assert forward_mode_gradient(cube, bare) == 12.0
    assert compare_modes(cube, bare, repeat=1).max_abs_difference == 0.0


@pytest.mark.parametrize("kind", [list, tuple, iter], ids=["list", "tuple", "iterator"])
def test_sequences_of_values_and_numbers_give_lists(kind):
    x = Value(2.0, label="x")
    inputs = [x, 3, 0.5]

    def f(vs):
        return vs[0] * vs[1] + vs[2] ** 2

    assert hessian(f, kind(inputs)) == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert hvp(f, kind(inputs), kind([1.0, 0.0, 1.0])) == [0.0, 1.0, 2.0]
    report = gradcheck(f, kind(inputs))
    assert report.ok and [e.name for e in report.entries] == ["x", "x1", "x2"]
    assert jvp(f, kind(inputs), kind([1.0, 0.0, 0.0])) == (6.25, 3.0)
    assert forward_mode_gradient(f, kind(inputs)) == [3.0, 2.0, 1.0]
    assert x.grad == 0.0  # a Value input stands for its number: fresh leaves were differentiated


def test_grad_takes_values_only():
    x, y = Value(2.0), Value(3.0)
    out = x * y
    assert grad(out, x) == 3.0
    assert grad(out, (x, y)) == [3.0, 2.0]
    assert grad(out, iter([y])) == [2.0]
    assert grad(out, []) == []  # nothing asked, nothing computed
    with pytest.raises(TypeError, match=r"grad.s inputs must be a Value \(a node of the graph.*got a number: 2.0 "):
        grad(out, 2.0)
    with pytest.raises(TypeError, match=r"grad's inputs\[1\] must be a Value .*got a number: 3 \(int\)"):
        grad(out, [x, 3])


BAD = [
    ("a string", "x", TypeError, r"inputs must be a Value, a number \(int or float\), or a sequence of them, got 'x'"),
    ("None", None, TypeError, "got None"),
    ("a dict", {"x": 1.0}, TypeError, r"got \{'x': 1.0\} \(dict\)"),
    ("a set", {1.0}, TypeError, r"\(set\)"),
    ("a bool", True, TypeError, "got True"),
    ("a complex", 1j, TypeError, "got 1j"),
    ("an object", object(), TypeError, "object"),
    ("a nested list", [1.0, [2.0]], TypeError,
     r"inputs\[1\] must be a Value or a number \(int or float\), got \[2.0\]"),
    ("a str element", [1.0, "2"], TypeError, r"inputs\[1\] must be a Value or a number"),
    ("a bool element", [True], TypeError, r"inputs\[0\] must be a Value or a number.*True"),
    ("a huge int", 10**400, ValueError, "too large for a float"),
    ("a huge int element", [1.0, 10**400], ValueError, r"inputs\[1\] .* too large for a float"),
    ("nothing", [], ValueError, "needs at least one input: inputs is empty"),
]


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize(("what", "bad", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_one_clear_error_names_the_tool_and_the_argument(tool, what, bad, error, message):
    _, on_list = TOOLS[tool]
    with pytest.raises(error, match=message) as caught:
        on_list(bad) if isinstance(bad, list) else TOOLS[tool][0](bad)
    text = str(caught.value)
    assert text.startswith(f"{tool}'s inputs") or text.startswith(f"{tool} needs"), text
    assert "not iterable" not in text and "\n" not in text


def test_second_arguments_follow_the_same_rule():
    with pytest.raises(TypeError, match=r"hvp's v must be a Value, a number"):
        hvp(cube, 2.0, "1")
    with pytest.raises(ValueError, match="one entry of v per input: 1 inputs, 2 entries"):
        hvp(cube, 2.0, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"jvp's tangents\[0\] must be a Value or a number"):
        jvp(cube, [2.0], [None])
    with pytest.raises(ValueError, match="one tangent per input"):
        jvp(cube_of_first, [2.0, 1.0], [1.0])


@given(st.lists(st.one_of(st.floats(allow_nan=False), st.integers(-10**6, 10**6)), min_size=1, max_size=5))
def test_as_inputs_keeps_order_and_numbers(xs):
    got = as_inputs(xs, "f")
    assert isinstance(got, Inputs) and not got.single
    assert got.floats() == [float(x) for x in xs] and all(type(x) is float for x in got.items)
    assert got.labels() == [f"x{i}" for i in range(len(xs))]
    one = as_inputs(xs[0], "f")
    assert one.single and one.unpack([7]) == 7 and one.pack(["a"]) == "a"


def test_extra_kinds_pass_through_for_batched_callers():
    class Batch(list):
        pass

    batch = Batch([1.0, 2.0])
    got = as_inputs([batch, 3.0], "compile", extra=lambda x: isinstance(x, Batch))
    assert got.items[0] is batch and got.items[1] == 3.0
    assert as_inputs(batch, "compile", extra=lambda x: isinstance(x, Batch)).single
    with pytest.raises(TypeError, match=r"compile's inputs\[0\]"):
        as_inputs([[1.0]], "compile", extra=lambda x: isinstance(x, Batch))


def test_value_inputs_are_read_not_touched():
    x = Value(0.3, label="x")
    x.grad = 5.0
    assert math.isclose(hessian(lambda v: v.sin(), x), -math.sin(0.3), rel_tol=1e-15)
    assert x.grad == 5.0 and x.data == 0.3


@pytest.mark.parametrize("bare", [2.0, 2, Value(2.0, label="x")], ids=["float", "int", "Value"])
def test_compile_takes_one_bare_input_as_the_other_tools(bare):
    """compile(f, 2.0) calls f on one Value (it used to pass a list: ``'list' ** 'int'``), as hessian does."""
    import autograd

    c = autograd.compile(cube, bare)
    assert c(3.0) == (27.0, 27.0)  # a bare number gives a bare gradient
    assert c([3.0]) == (27.0, [27.0])  # a list of one, a list
    assert c.value(3.0) == 27.0
    assert autograd.compile(cube_of_first, [bare])([3.0]) == (27.0, [27.0])


@pytest.mark.parametrize("numbers", ["abc", None, object()], ids=["str", "None", "object"])
def test_compiled_call_refuses_what_is_not_numbers_in_one_line(numbers):
    import autograd

    for c in (autograd.compile(cube, 2.0), autograd.compile(cube_of_first, [2.0])):
        with pytest.raises(TypeError, match=r"this compiled function takes .*got "):
            c(numbers)
    with pytest.raises(TypeError, match=r"a sequence of 1 numbers.*got float: 3.0"):
        autograd.compile(cube_of_first, [2.0])(3.0)
