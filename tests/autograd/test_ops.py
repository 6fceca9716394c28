"""The op table is the one description of each op: every reader agrees with the engine's fast path."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, total
from autograd import ops as O

# any float, the non-finite ones included: every reader must give the same numbers everywhere
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)
moderate = st.floats(min_value=-50, max_value=50, allow_nan=False)


def same(x: float, y: float) -> bool:
    return (x != x and y != y) or x == y


def close(x: float, y: float) -> bool:
    return same(x, y) or math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-300)


# one way to make a node of each fixed-arity op from Values a (b) and a constant c
MAKERS = {
    "add": lambda a, b, c: a + b, "add_c": lambda a, b, c: a + c,
    "sub": lambda a, b, c: a - b, "sub_c": lambda a, b, c: a - c, "rsub_c": lambda a, b, c: c - a,
    "mul": lambda a, b, c: a * b, "mul_c": lambda a, b, c: a * c,
    "div": lambda a, b, c: a / b, "div_c": lambda a, b, c: a / c, "rdiv_c": lambda a, b, c: c / a,
    "pow": lambda a, b, c: a ** b, "pow_c": lambda a, b, c: a ** c, "rpow_c": lambda a, b, c: c ** a,
    "neg": lambda a, b, c: -a, "abs": lambda a, b, c: abs(a), "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: a.log(), "sqrt": lambda a, b, c: a.sqrt(), "tanh": lambda a, b, c: a.tanh(),
    "sigmoid": lambda a, b, c: a.sigmoid(), "relu": lambda a, b, c: a.relu(), "sin": lambda a, b, c: a.sin(),
    "cos": lambda a, b, c: a.cos(),
}


def test_every_fixed_arity_op_has_a_maker_and_every_maker_its_op():
    fixed = {op.key for op in O.TABLE if op.arity is not None}
    assert fixed == set(MAKERS)
    for key, make in MAKERS.items():
        node = make(Value(1.5), Value(0.5), 2.0)
        assert node.op.key == key
        assert O.op_of(node) is O.by_key(key)


@pytest.mark.parametrize("key", sorted(MAKERS))
@given(a=anything, b=anything, c=anything)
def test_fast_path_equals_the_formulas(key, a, b, c):
    """The generated methods compute exactly what the table's formulas say, non-finite numbers included."""
    node = MAKERS[key](Value(a), Value(b), c)
    op = node.op
    values = [p.data for p in node.parents]
    consts = O.constants(node)
    assert len(consts) == op.n_consts
    assert same(node.data, O.evaluate(key, values, consts))
    want = O.local_grads(key, values, node.data, consts)
    assert all(same(g, w) for g, w in zip(node.local_grads, want)), (node.local_grads, want)


@pytest.mark.parametrize("key", sorted(MAKERS))
@given(a=moderate, b=moderate, c=moderate)
def test_value_formulas_equal_the_float_ones(key, a, b, c):
    """Higher order reads the same formulas on Values: at the point, they equal the fast path's floats."""
    node = MAKERS[key](Value(a), Value(b), c)
    for built, local in zip(O.value_grads(node), node.local_grads):
        number = built.data if isinstance(built, Value) else built
        assert close(number, local), (key, number, local)


@pytest.mark.parametrize("a", [5e-324, 1e-310, 0.0, -0.0, math.nan])
def test_the_built_derivative_of_a_power_at_exponent_zero_is_zero_where_the_float_one_is(a):
    """d(a**b)/da at b = 0 is 0 whatever a; built as b·a**(b-1) it would be 0·inf = nan where 1/a overflows."""
    node = Value(a) ** Value(0.0)
    built = O.value_grads(node)[0]
    number = built.data if isinstance(built, Value) else built
    assert number == 0.0 and node.local_grads[0] == 0.0


@given(xs=st.lists(anything, min_size=1, max_size=6), c=moderate)
def test_n_ary_ops_match_their_descriptions(xs, c):
    vs = [Value(x) for x in xs]
    half = len(vs) // 2
    nodes = [total([*vs, c]), dot(vs[:half], vs[half:2 * half], c), dot(vs, [c] * len(vs), vs[0]),
             dot([*vs[:half], c], [*vs[half:2 * half], vs[-1]]), autograd.max(vs), autograd.logsumexp(vs)]
    # the fast path adds terms in input order, the description constants last: equal up to reassociation
    size = sum(abs(x) for x in xs) + abs(c) + 1.0  # inf when it overflows
    scale = size * size  # inf when that overflows, as wanted
    for node in nodes:
        values = [p.data for p in node.parents]
        consts = O.constants(node)
        want = O.evaluate(node.op.key, values, consts)
        finite = math.isfinite(scale) and math.isfinite(node.data) and math.isfinite(want)
        assert close(node.data, want) or (finite and abs(node.data - want) <= 1e-15 * scale) \
            or not all(map(math.isfinite, xs)) or not math.isfinite(scale)
        want = O.local_grads(node.op.key, values, node.data, consts)
        if all(map(math.isfinite, xs)) and all(abs(x) < 1e100 for x in xs):
            assert all(close(g, w) or abs(g - w) < 1e-12 for g, w in zip(node.local_grads, want))


def test_dot_records_pairs_first_then_coefficients():
    w = [Value(1.0, label="w0"), Value(2.0, label="w1")]
    h = Value(3.0, label="h")
    b = Value(0.5, label="b")
    node = dot([w[0], w[1]], [4.0, h], b)  # w0*4 (a number), w1*h (two Values), + b
    assert node.parents == (w[1], h, w[0], b)
    assert node.local_grads == (3.0, 2.0, 4.0, 1.0)
    assert O.constants(node) == (0.0, 1.0, 4.0, 1.0)
    assert node.data == 1.0 * 4.0 + 2.0 * 3.0 + 0.5


def test_table_ships_as_json_trees():
    table = O.table_json()
    assert set(table) == set(O.OPS)
    text = json.dumps(table, allow_nan=False)
    assert json.loads(text)["mul"] == {"symbol": "*", "arity": 2, "forward": ["*", ["var", "a"], ["var", "b"]],
                                       "grads": [["var", "b"], ["var", "a"]]}
    assert table["dot"]["forward"] is None


def test_op_is_a_string_equal_to_its_symbol():
    y = Value(2.0) * Value(3.0)
    assert y.op == "*" and isinstance(y.op, str) and repr(y.op) == "'*'"
    assert y.op.key == "mul"
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(y.op)) is y.op
    assert copy.deepcopy(y.op) is y.op


def test_user_made_nodes_have_no_description():
    x = Value(2.0)
    node = Value(4.0, op="square", parents=(x,), local_grads=(4.0,))
    assert O.op_of(node) is None
    with pytest.raises(TypeError, match="square"):
        O.value_grads(node)


def test_formula_language_is_a_whitelist():
    for bad in ["__import__('os')", "a.real", "open(a)", "a if b else c", "[a]", "lambda: a", "x"]:
        with pytest.raises(O.FormulaError):
            O.parse_formula(bad)
    assert O.parse_formula("-out / b") == ["/", ["neg", ["var", "out"]], ["var", "b"]]


def test_generated_source_is_readable():
    src = Value.source("tanh")
    assert "def tanh(self):" in src and "1.0 - (out * out)" in src
    with pytest.raises(KeyError, match="methods"):
        Value.source("nope")
