"""Compiled replay equals the Value path: every op, random graphs, models, guards, hostile labels."""

from __future__ import annotations

import ast
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, total
from autograd import ops as O
from autograd.compiled import CompileError, GraphChangedError, codegen
from autograd.compiled.names import comment_text, is_safe_identifier, sanitize
from tests.autograd.test_ops import MAKERS
from tests.strategies import build, programs

anything = st.floats(allow_nan=True, allow_infinity=True, width=64)
# the kinks of relu/abs/max and the values around them, plus ordinary numbers
KINKS = st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1.0, -1.0])
near_kinks = st.one_of(KINKS, st.floats(-3.0, 3.0, allow_nan=False))


def same(x: float, y: float) -> bool:
    return (x != x and y != y) or x == y


def close(x: float, y: float, scale: float = 0.0) -> bool:
    """Equal to 1e-12 relative (absolute 1e-12 times ``scale``, the size of the terms that cancelled)."""
    return same(x, y) or math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12 * scale + 1e-300)


def value_path(fn, numbers: list[float]) -> tuple[float, list[float]]:
    """What the engine computes: fresh leaves, build, backward."""
    leaves = [Value(x) for x in numbers]
    out = fn(leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


# -- every op -------------------------------------------------------------------------------------

_FIXED: dict[str, autograd.compiled.Compiled] = {}


def _fixed(key: str, c: float):
    def fn(vs):
        return MAKERS[key](vs[0], vs[1], c)
    return fn


@pytest.mark.parametrize("key", sorted(MAKERS))
@given(a=anything, b=anything)
def test_every_fixed_arity_op_replays_exactly(key, a, b):
    """Compiled once, replayed anywhere (inf, nan, kinks): the same value and gradients as the Value path."""
    fn = _fixed(key, 2.5)
    if key not in _FIXED:
        _FIXED[key] = autograd.compile(fn, [Value(1.0), Value(2.0)])
    value, grads = _FIXED[key]([a, b])
    ref_value, ref_grads = value_path(fn, [a, b])
    assert same(value, ref_value)
    assert all(same(g, r) for g, r in zip(grads, ref_grads)), (grads, ref_grads)


@given(xs=st.lists(anything, min_size=1, max_size=5))
def test_max_and_logsumexp_helpers_match_the_reference(xs):
    m, k = codegen._max(*xs)
    assert same(m, O.evaluate("max", xs))
    assert O.local_grads("max", xs, m) == tuple(1.0 if i == k else 0.0 for i in range(len(xs)))
    out, soft = codegen._logsumexp(*xs)
    assert same(out, O.evaluate("logsumexp", xs))
    assert all(same(s, r) for s, r in zip(soft, O.local_grads("logsumexp", xs, out)))


# one function of 4 Values per n-ary op (with numbers among the operands)
NARY_MAKERS = {
    "total": lambda v: total([v[0], v[1], 2.0, v[2], v[3]]),
    "dot": lambda v: dot([v[0], v[1]], [v[2], v[3]], v[0]),
    "dot_mixed": lambda v: dot([v[0], 3.0, v[1]], [v[2], v[3], -1.5]),
    "max": lambda v: autograd.max([v[0], v[1], v[2], v[3]]),
    "logsumexp": lambda v: autograd.logsumexp([v[0], v[1], v[2], v[3]]),
}


@pytest.mark.parametrize("maker", sorted(NARY_MAKERS))
@given(xs=st.lists(near_kinks, min_size=4, max_size=4))
def test_nary_ops_replay_exactly(maker, xs):
    fn = NARY_MAKERS[maker]
    compiled = autograd.compile(fn, [Value(0.5) for _ in range(4)])
    value, grads = compiled(xs)
    ref_value, ref_grads = value_path(fn, xs)
    scale = sum(abs(x) for x in xs) ** 2
    assert close(value, ref_value, scale)
    assert all(close(g, r, scale) for g, r in zip(grads, ref_grads)), (grads, ref_grads)


def test_max_routing_is_recomputed_on_replay():
    fn = lambda v: autograd.max(v)  # noqa: E731
    c = autograd.compile(fn, [Value(1.0), Value(2.0), Value(3.0)])
    assert c([1.0, 2.0, 3.0]) == (3.0, [0.0, 0.0, 1.0])
    assert c([5.0, 2.0, 5.0]) == (5.0, [1.0, 0.0, 0.0])  # the first arg max
    assert c.recordings == 1


# -- random graphs ----------------------------------------------------------------------------------


@settings(max_examples=150)
@given(prog=programs(max_leaves=4, max_ops=10), new=st.lists(near_kinks, min_size=4, max_size=4))
def test_random_graphs_replay_like_the_value_path(prog, new):
    """Recorded at the program's leaves, replayed at the same numbers and at new ones."""
    fn = lambda vs: build(prog, vs)  # noqa: E731
    leaves = [Value(x) for x in prog.leaves]
    compiled = autograd.compile(fn, leaves)
    for numbers in (list(prog.leaves), new[:len(prog.leaves)]):
        value, grads = compiled(numbers)
        ref_value, ref_grads = value_path(fn, numbers)
        scale = 1e6  # terms of these programs stay within a few orders of magnitude
        assert close(value, ref_value, scale), (value, ref_value)
        assert all(close(g, r, scale) for g, r in zip(grads, ref_grads)), (grads, ref_grads)


# -- models --------------------------------------------------------------------------------------


def _model_case(kind: str, seed: int):
    import nn
    from nn.conv import Conv2d, Flatten, MaxPool2d
    from nn.rnn import RNN

    rng = random.Random(seed)
    if kind == "mlp":
        model = nn.MLP(3, [5, 4, 1], activation="relu", seed=seed)
        data = [rng.uniform(-1, 1) for _ in range(3)]

        def loss(params_and_data):
            x = params_and_data[len(params):]
            return (model(x) - 0.5) ** 2
    elif kind == "cnn":
        model = nn.Sequential(Conv2d(1, 2, 3, activation="relu", seed=seed), MaxPool2d(2), Flatten(),
                              nn.Layer(8, 3, activation="linear", seed=seed))
        data = [rng.choice([0.0, rng.random()]) for _ in range(36)]

        def loss(params_and_data):
            x = params_and_data[len(params):]
            img = [[x[r * 6:(r + 1) * 6] for r in range(6)]]
            logits = model(img)
            return autograd.logsumexp(logits) - logits[1]
    else:
        rnn = RNN(1, 3, seed=seed)
        model = rnn
        data = [float(rng.random() < 0.5) for _ in range(4)]

        def loss(params_and_data):
            x = params_and_data[len(params):]
            h = rnn([[b] for b in x])[-1]
            return total(h) ** 2
    params = model.parameters()
    return model, params, data, loss


@pytest.mark.parametrize("kind", ["mlp", "cnn", "rnn"])
@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), shift=st.floats(-1.0, 1.0))
def test_models_replay_like_the_value_path(kind, seed, shift):
    model, params, data, loss = _model_case(kind, seed)
    inputs = params + [Value(x) for x in data]
    compiled = autograd.compile(loss, inputs)
    numbers = [p.data for p in params] + [x + shift for x in data]
    value, grads = compiled(numbers)
    for p, x in zip(params, numbers):
        p.data = x
    leaves = params + [Value(x) for x in numbers[len(params):]]
    out = loss(leaves)
    for v in leaves:
        v.grad = 0.0
    out.backward()
    assert close(value, out.data, 1e3)
    assert all(close(g, v.grad, 1e3) for g, v in zip(grads, leaves))


def test_wrt_differentiates_only_the_named_inputs():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    c = autograd.compile(lambda v: (v[0] * v[1]).tanh(), [w, x], wrt=[w])
    value, grads = c([2.0, 3.0])
    assert value == math.tanh(6.0)
    assert grads == [3.0 * (1.0 - math.tanh(6.0) ** 2)]
    assert "d_x" not in c.source(fused=True)


def test_write_back_sets_data_and_accumulates_grad():
    x = Value(1.0, label="x")
    c = autograd.compile(lambda v: v[0] * v[0], [x], write_back=True)
    c([3.0])
    assert (x.data, x.grad) == (3.0, 6.0)
    c([3.0])
    assert x.grad == 12.0  # leaves accumulate, as with backward()


def test_constants_and_closed_over_numbers_keep_their_recorded_values():
    k = Value(4.0, label="k")  # not an input: a constant
    x = Value(1.0, label="x")
    c = autograd.compile(lambda v: v[0] * k + 2.0, [x])
    k.data = 100.0  # changing it later does not change the compiled program
    assert c([2.0]) == (10.0, [4.0])


def test_output_that_is_an_input_or_a_constant():
    x, y = Value(1.0), Value(2.0)
    assert autograd.compile(lambda v: v[1], [x, y])([5.0, 7.0]) == (7.0, [0.0, 1.0])
    assert autograd.compile(lambda v: Value(3.0) * 2.0, [x])([5.0]) == (6.0, [0.0])


# -- guards ----------------------------------------------------------------------------------------


def _branchy(v):
    x = v[0]
    if x > 0:
        return x * 2.0
    return x * x


def test_a_branch_on_a_value_records_again_when_it_flips():
    c = autograd.compile(_branchy, [Value(1.0)])
    assert c([3.0]) == (6.0, [2.0])
    assert c.recordings == 1
    assert c([-3.0]) == (9.0, [-6.0])
    assert c.recordings == 2
    assert c.value([-2.0]) == 4.0


def test_on_change_raise_names_the_question():
    c = autograd.compile(_branchy, [Value(1.0, label="x")], on_change="raise")
    with pytest.raises(GraphChangedError, match=r"'x'.*>.*True"):
        c([-1.0])


def test_a_number_taken_out_of_the_graph_is_guarded():
    def fn(v):
        return v[0] * math.exp(v[1])  # float(v[1]): a constant of the recording
    c = autograd.compile(fn, [Value(2.0), Value(0.0)])
    assert c([2.0, 0.0]) == (2.0, [1.0, 0.0])
    assert c([2.0, 1.0])[0] == 2.0 * math.e  # recorded again with the new number
    assert c.recordings == 2


def test_a_guard_on_a_node_outside_the_output_graph():
    def fn(v):
        z = v[0] * v[1]
        if (z * 2.0 - 1.0) > 0:  # a node the output does not use, computed from one it does
            return z.tanh()
        return z.sin()
    c = autograd.compile(fn, [Value(1.0), Value(1.0)])
    for numbers in ([1.0, 1.0], [0.1, 0.2], [2.0, 3.0]):
        value, grads = c(numbers)
        ref_value, ref_grads = value_path(fn, numbers)
        assert value == ref_value and grads == ref_grads
    assert c.recordings == 3


def test_guards_are_cheap_questions_in_the_source():
    c = autograd.compile(_branchy, [Value(1.0, label="x")])
    assert "if not (x > 0.0): record_again()" in c.source()


# -- errors ------------------------------------------------------------------------------------------


def test_a_hand_made_node_cannot_be_compiled_and_is_named():
    def fn(v):
        return Value(v[0].data * 2, label="handmade", op="twice", parents=(v[0],), local_grads=(2.0,)) + 1.0
    with pytest.raises(CompileError, match=r"handmade.*'twice'"):
        autograd.compile(fn, [Value(1.0)])


def test_hooks_are_refused():
    x = Value(1.0, label="hooked")
    x.register_hook(lambda g: g)
    with pytest.raises(CompileError, match="hooked"):
        autograd.compile(lambda v: v[0] * 2.0, [x])


@pytest.mark.parametrize("inputs, error, message", [
    ("xy", TypeError, r"compile's inputs must be a Value, a number or a sequence of them, got str: 'xy'"),
    ({"x": 1.0}, TypeError, "got dict"),
    (None, TypeError, "got NoneType"),
    ([1.0, "2"], TypeError, r"compile's input 1 must be a Value, a number or a 1-D array .*got str: '2'"),
    ([Value(1.0), None], TypeError, "compile's input 1 must be"),
    ([True], TypeError, "compile's input 0 must be"),
    ([], ValueError, "at least one input"),
    ([10 ** 400], ValueError, "compile's input 0 .* too large"),
])
def test_bad_inputs_name_the_argument(inputs, error, message):
    with pytest.raises(error, match=message):
        autograd.compile(lambda v: v[0], inputs)


@pytest.mark.parametrize("inputs", [2.0, 3, Value(2.0), [2.0], (2.0,), [Value(2.0)], [2, Value(2.0)]])
def test_inputs_follow_the_rule_of_the_api(inputs):
    """A Value, a number, or a sequence of either: numbers become fresh leaves labelled x<i>.

    One bare input gives ``fn`` one Value (as hessian, gradcheck and jvp do), a sequence a list.
    """
    bare = isinstance(inputs, (int, float, Value))
    c = autograd.compile((lambda v: v * v + v) if bare else (lambda v: v[0] * v[0] + v[-1]), inputs)
    n = len(c.inputs)
    assert n == (1 if bare else len(inputs))
    value, grads = c([3.0] * n)
    assert value == (12.0 if n == 1 else 12.0)
    assert grads == ([7.0] if n == 1 else [6.0, 1.0])
    for i, leaf in enumerate(c.inputs):
        item = inputs if n == 1 and not isinstance(inputs, (list, tuple)) else inputs[i]
        assert leaf is item if isinstance(item, Value) else leaf.label == f"x{i}"


def test_bad_inputs_non_leaf_and_duplicate():
    x = Value(1.0)
    with pytest.raises(ValueError, match="not a leaf"):
        autograd.compile(lambda v: v[0], [x * 2.0])
    with pytest.raises(ValueError, match="same Value"):
        autograd.compile(lambda v: v[0], [x, x])
    with pytest.raises(TypeError, match="must return a Value"):
        autograd.compile(lambda v: 1.0, [x])
    with pytest.raises(ValueError, match="on_change"):
        autograd.compile(lambda v: v[0], [x], on_change="ignore")
    with pytest.raises(ValueError, match="not one of the inputs"):
        autograd.compile(lambda v: v[0], [x], wrt=[Value(2.0)])


def test_bad_numbers():
    c = autograd.compile(lambda v: v[0] * 2.0, [Value(1.0)])
    with pytest.raises(ValueError, match="takes 1 numbers"):
        c([1.0, 2.0])
    with pytest.raises(TypeError, match="number 0"):
        c(["1.5"])
    assert c([2]) == (4.0, [2.0])  # an int is a number


# -- labels are names, never code ----------------------------------------------------------------

HOSTILE = ["\nimport os", "x; __import__('os')", "\u2028", "class", "", "x", "x", "d_x", "k_x", "1abc", "é",
           "</script>", "\\", '"', "a\x00b", "\ud800", "inf", "nan", "abs", "_f_exp", "lambda: 0", "#", "\r\nz"]


def test_hostile_labels_become_safe_names():
    leaves = [Value(float(i + 1), label=s) for i, s in enumerate(HOSTILE)]

    def fn(vs):
        out = vs[0]
        for v in vs[1:]:
            out = out * v + 1.0
            out.label = v.label  # interior nodes carry the hostile labels too
        return out

    c = autograd.compile(fn, leaves)
    for text in (c.source(), c.source(fused=True)):
        tree = ast.parse(text)  # one function, nothing else
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        helpers = {"inf", "nan", "abs", "record_again", "div", "pow", "max", "logsumexp", *O.PRIMITIVES}
        assert all(is_safe_identifier(n) or n.startswith("_") or n in helpers for n in names), names
        assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "__import__" for n in ast.walk(tree))
        assert not any(isinstance(n, (ast.Import, ast.ImportFrom, ast.Attribute)) for n in ast.walk(tree))
    for line in c.source().splitlines():  # comments carry no line breaks or control characters
        assert "\u2028" not in line and "\x00" not in line and "\r" not in line
    ref_value, ref_grads = value_path(fn, [float(i + 1) for i in range(len(HOSTILE))])
    value, grads = c([float(i + 1) for i in range(len(HOSTILE))])
    assert value == ref_value and grads == ref_grads


@given(st.text())
def test_sanitize_gives_an_identifier_or_nothing(label):
    stem = sanitize(label)
    assert stem == "" or is_safe_identifier(stem)
    assert not any(ch in comment_text(label) for ch in "\n\r\u2028\u2029\x00\x0b\x0c\x85")


def test_source_reads_as_backprop():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")

    def fn(v):
        z = v[0] * v[1]
        z.label = "z"
        return z.tanh()

    src = autograd.compile(fn, [x, y]).source()
    assert "z = (x * y)" in src
    assert "d_x = y * d_z" in src and "d_y = x * d_z" in src
    assert "t2 = tanh(z)" in src and "d_z = (1.0 - (t2 * t2)) * d_t2" in src


def test_source_comments_start_in_one_column():
    x, w = Value(1.0, label="x"), Value(2.0, label="weight_of_the_first_layer_neuron")
    src = autograd.compile(lambda v: (v[0] * v[1] + 1.0).tanh() * v[0], [x, w]).source()
    code_lines = [line for line in src.splitlines() if "  # " in line.lstrip()]
    assert len(code_lines) > 8 and len({line.index("  # ") for line in code_lines}) == 1, src


def test_an_op_key_cannot_add_a_line_to_the_displayed_program():
    from autograd.value import _make

    evil = O.Op("mul\nimport os  # \u2028x", "*", 2, "a * b", ["b", "a"])
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = autograd.compile(lambda v: _make(v[0].data * v[1].data, evil, (v[0], v[1]), (v[1].data, v[0].data)),
                         [a, b])
    src = c.source()
    assert "import os" not in src.split("# mul")[0]  # nothing of the key outside its comment
    assert not any(line.lstrip().startswith("import") for line in src.splitlines())
    assert len(src.splitlines()) == 8 and "\u2028" not in src, src
    assert c([2.0, 3.0]) == (6.0, [3.0, 2.0])
    np = pytest.importorskip("numpy")
    batched = c.source(batched=True)
    assert not any(line.lstrip().startswith("import") for line in batched.splitlines()) and "\u2028" not in batched
    values, grads = c([np.array([2.0, 4.0]), 3.0])
    assert list(values) == [6.0, 12.0] and list(grads[1]) == [2.0, 4.0]
