"""Batched replay equals the per-example Value path: every op, random graphs, MLP/CNN/RNN, guards per example."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, total
from autograd import ops as O
from autograd.compiled import BatchGuardWarning, GraphChangedError
from tests.autograd.test_compile import NARY_MAKERS, anything, near_kinks, same
from tests.autograd.test_ops import MAKERS
from tests.strategies import build, programs

np = pytest.importorskip("numpy")

def close(x: float, y: float, scale: float = 1.0) -> bool:
    """Equal to 1e-12 relative, or absolute 1e-12 times ``scale`` (the size of the terms that were summed)."""
    return same(x, y) or math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12 * scale)


def value_path(fn, numbers):
    """What the engine computes for one example: fresh leaves, build, backward; and the size of its terms."""
    leaves = [Value(x) for x in numbers]
    out = fn(leaves)
    out.backward()
    nodes = autograd.topological_order(out)
    finite = [abs(x) for n in nodes for x in (n.data, n.grad, *n.local_grads) if math.isfinite(x)]
    m = 1.0 + max(finite, default=0.0)
    scale = m * m  # inf for huge terms: then only the class of the result (inf, nan) is compared
    return out.data, [v.grad for v in leaves], scale


def per_example(fn, columns, size):
    """The Value path on every example: values, gradients and scales, example by example."""
    out = []
    for b in range(size):
        numbers = [float(c[b]) if isinstance(c, np.ndarray) else c for c in columns]
        out.append(value_path(fn, numbers))
    return out


def check(fn, columns, sum_grads=False, record_at=None):
    """Compile ``fn`` (at ``record_at``, default the first example), replay over the batch, compare."""
    size = next(len(c) for c in columns if isinstance(c, np.ndarray))
    first = record_at or [float(c[0]) if isinstance(c, np.ndarray) else c for c in columns]
    compiled = autograd.compile(fn, [Value(x) for x in first])
    values, grads = compiled(columns, sum_grads=sum_grads)
    assert isinstance(values, np.ndarray) and values.shape == (size,)
    refs = per_example(fn, columns, size)
    for b, (ref_value, ref_grads, scale) in enumerate(refs):
        assert close(values[b], ref_value, scale), (b, values[b], ref_value)
        for i, (g, r) in enumerate(zip(grads, ref_grads)):
            if isinstance(g, float):
                continue
            assert g.shape == (size,)
            assert close(g[b], r, scale), (b, i, g[b], r)
    for i, g in enumerate(grads):
        if isinstance(g, float):  # summed over the batch
            assert sum_grads and not isinstance(columns[i], np.ndarray)
            terms = [r[1][i] for r in refs]
            total_scale = sum(abs(t) for t in terms if math.isfinite(t)) + max(r[2] for r in refs)
            assert close(g, math.fsum(terms) if all(map(math.isfinite, terms)) else sum(terms), total_scale), (i, g)
    return compiled


# -- every op ---------------------------------------------------------------------------------------


def _fixed(key, c):
    def fn(vs):
        return MAKERS[key](vs[0], vs[1], c)
    return fn


@pytest.mark.parametrize("key", sorted(MAKERS))
@given(a=st.lists(anything, min_size=1, max_size=6), b=anything, c=anything, b_array=st.booleans())
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
def test_every_fixed_arity_op_over_a_batch(key, a, b, c, b_array):
    """Each op's array form over a batch of any numbers (inf, nan, kinks): the Value path's numbers per example."""
    assume(math.isfinite(c) or key not in ("add", "sub", "mul", "div", "pow"))
    size = len(a)
    cols = [np.array(a), np.full(size, b) if b_array else b]
    check(_fixed(key, c if math.isfinite(c) else 2.5), cols, record_at=[1.0, 2.0])


@pytest.mark.parametrize("maker", ["total", "dot", "dot_mixed", "max", "logsumexp", "max_mixed"])
@given(xs=st.lists(st.lists(near_kinks, min_size=6, max_size=6), min_size=4, max_size=4), sum_grads=st.booleans())
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
def test_nary_ops_over_a_batch(maker, xs, sum_grads):
    makers = dict(NARY_MAKERS, max_mixed=lambda v: autograd.max([v[0] * v[2], v[1], v[3] + 1.0]))
    cols = [np.array(xs[0]), np.array(xs[1]), xs[2][0], np.array(xs[3])]
    check(makers[maker], cols, sum_grads=sum_grads)


def test_max_routes_each_example_to_its_own_arg_max():
    c = autograd.compile(lambda v: autograd.max(v), [Value(1.0), Value(2.0), Value(3.0)])
    values, grads = c([np.array([1.0, 5.0, 0.0]), np.array([2.0, 2.0, 0.0]), np.array([3.0, 5.0, np.nan])])
    assert same(values[2], math.nan) and list(values[:2]) == [3.0, 5.0]
    assert [list(g) for g in grads] == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
    assert c.recordings == 1


# -- random graphs over every op -------------------------------------------------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog=programs(max_leaves=4, max_ops=10),
       batch=st.lists(st.lists(near_kinks, min_size=4, max_size=4), min_size=1, max_size=5),
       arrays_at=st.sets(st.integers(0, 3), min_size=1), sum_grads=st.booleans())
def test_random_graphs_over_a_batch_equal_the_value_path(prog, batch, arrays_at, sum_grads):
    """Random graphs using every op of the table: per example, the Value path's value and gradients."""
    n = len(prog.leaves)
    arrays_at = {i % n for i in arrays_at}
    cols = [np.array([row[i] for row in batch]) if i in arrays_at else batch[0][i] for i in range(n)]
    check(lambda vs: build(prog, vs), cols, sum_grads=sum_grads, record_at=list(prog.leaves))


# -- models: MLP, CNN, RNN with relu, max and abs ----------------------------------------------------


def _model(kind: str, seed: int):
    import nn
    from nn.conv import Conv2d, Flatten, MaxPool2d
    from nn.rnn import RNN

    rng = random.Random(seed)
    if kind == "mlp":
        model = nn.MLP(3, [6, 5, 2], activation="relu", seed=seed)
        width = 4

        def loss(vs):
            x, y = vs[n:n + 3], vs[n + 3]
            z = model(x)
            return autograd.logsumexp(z) - abs(z[0] - y) * 0.5
    elif kind == "cnn":
        model = nn.Sequential(Conv2d(1, 2, 3, activation="relu", seed=seed), MaxPool2d(2), Flatten(),
                              nn.Layer(8, 3, activation="linear", seed=seed))
        width = 36

        def loss(vs):
            x = vs[n:n + 36]
            logits = model([[x[r * 6:(r + 1) * 6] for r in range(6)]])
            return autograd.logsumexp(logits) - dot(vs[n + 36:n + 39], logits)
        width += 3
    else:
        model = RNN(2, 4, seed=seed)
        width = 6

        def loss(vs):
            x = vs[n:n + 6]
            hs = model([x[0:2], x[2:4], x[4:6]])
            return abs(total(hs[-1])) + autograd.max(hs[1]).relu()
    params = model.parameters()
    n = len(params)
    batch = [[rng.uniform(-1, 1) for _ in range(width)] for _ in range(7)]
    if kind == "cnn":
        for row in batch:
            row[36:] = [0.0, 1.0, 0.0]
    return params, loss, batch


@pytest.mark.parametrize("kind", ["mlp", "cnn", "rnn"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), sum_grads=st.booleans())
def test_models_over_a_batch_equal_the_value_path(kind, seed, sum_grads):
    params, loss, batch = _model(kind, seed)
    cols = [p.data for p in params] + [np.array(col) for col in zip(*batch)]
    check(loss, cols, sum_grads=sum_grads)


def test_a_layer_is_one_matrix_product_in_the_array_program():
    import nn

    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    params = model.parameters()
    n = len(params)
    c = autograd.compile(lambda v: model(v[n:]), params + [Value(0.1), Value(0.2)], wrt=params)
    src = c.source(batched=[n, n + 1], sum_grads=True)
    forward = src.split("# forward")[1].split("# backward")[0]
    assert forward.count("@") == 3 and forward.count("relu(") == 2, src  # three layers, two activations
    assert len([line for line in forward.splitlines() if "=" in line]) <= 6


# -- guards from Python ifs: per example ------------------------------------------------------------


def _branchy(v):
    x = v[0]
    if x > 0:
        return x * v[1]
    return x * x


def test_examples_on_another_branch_are_recorded_and_replayed_one_by_one():
    c = autograd.compile(_branchy, [Value(1.0, label="x"), Value(3.0, label="w")])
    xs = np.array([2.0, -1.0, 0.5, -3.0])
    with pytest.warns(BatchGuardWarning, match=r"2 of 4 examples .*'x'.*> 0"):
        values, grads = c([xs, 3.0], sum_grads=True)
    assert list(values) == [6.0, 1.0, 1.5, 9.0]
    assert list(grads[0]) == [3.0, -2.0, 3.0, -6.0]
    assert grads[1] == 2.5  # d/dw summed over the examples on the recorded branch
    assert c.recordings == 1  # the batched program stays; the others went through a second recording


def test_on_change_raise_names_the_example():
    c = autograd.compile(_branchy, [Value(1.0, label="x"), Value(3.0)], on_change="raise")
    with pytest.raises(GraphChangedError, match=r"example 1 of the batch"):
        c([np.array([2.0, -1.0]), 3.0])


def test_a_guard_on_a_shared_number_records_again():
    def fn(v):
        return v[0] * 2.0 if v[1] > 0 else v[0] * 3.0
    c = autograd.compile(fn, [Value(1.0), Value(1.0)])
    values, grads = c([np.array([1.0, 2.0]), -1.0], sum_grads=True)
    assert list(values) == [3.0, 6.0] and list(grads[0]) == [3.0, 3.0]
    assert c.recordings == 2


# -- signed zeros, errors, NumPy ---------------------------------------------------------------------


def test_signed_zeros_agree_with_pytorch():
    c = autograd.compile(lambda v: v[0] * -0.0 + v[1] * v[1], [Value(1.0), Value(1.0)])
    values, grads = c([np.array([1.0, -2.0]), np.array([0.0, -0.0])])
    assert all(math.copysign(1.0, g) == -1.0 for g in grads[0])  # d/dx of x * -0.0 is -0.0
    assert math.copysign(1.0, c([1.0, 1.0])[1][0]) == -1.0  # as the scalar replay
    torch = pytest.importorskip("torch")
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    (x * -0.0).backward()
    assert math.copysign(1.0, x.grad.item()) == -1.0


@pytest.mark.parametrize("numbers, error, message", [
    ([np.ones((2, 2)), 1.0], ValueError, r"number 0 is an array of shape \(2, 2\)"),
    ([np.ones(2), np.ones(3)], ValueError, "numbers 0 and 1 are arrays of different lengths"),
    ([np.ones(2), [1.0, 2.0]], TypeError, "number 1 is a list"),
    ([np.ones(0), 1.0], ValueError, "empty"),
    ([np.array(["a", "b"]), 1.0], TypeError, "number 0 is an array of <U1"),
    ([np.ones(2)], ValueError, "takes 2 numbers"),
    ([np.ones(2), "x"], TypeError, "number 1 must be a real number"),
])
def test_bad_batches_name_the_number(numbers, error, message):
    c = autograd.compile(lambda v: v[0] * v[1], [Value(1.0), Value(2.0)])
    with pytest.raises(error, match=message):
        c(numbers)


def test_write_back_refuses_a_batch():
    c = autograd.compile(lambda v: v[0] * 2.0, [Value(1.0)], write_back=True)
    with pytest.raises(ValueError, match="write_back applies to calls with numbers"):
        c([np.ones(3)])


def test_value_of_a_batch():
    c = autograd.compile(lambda v: (v[0] * v[1]).tanh(), [Value(1.0), Value(2.0)])
    assert np.array_equal(c.value([np.array([0.0, 1.0]), 2.0]), np.tanh(np.array([0.0, 2.0])))


def test_array_inputs_at_compile_time_record_the_first_example():
    xs = np.array([3.0, 4.0])
    c = autograd.compile(lambda v: v[0] * v[1], [xs, 2.0])
    assert c.inputs[0].data == 3.0
    values, grads = c([xs, 2.0])
    assert list(values) == [6.0, 8.0] and list(grads[1]) == [3.0, 4.0]


def test_without_numpy_the_error_names_the_install_command():
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import autograd\n"
            "c = autograd.compile(lambda v: v[0] * 2.0, [1.0])\n"
            "assert c([3.0]) == (6.0, [2.0])  # the scalar replay needs no NumPy\n"
            "try:\n    c.source(batched=True)\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install numpy" in out.stdout


# -- reading the array program ------------------------------------------------------------------------


def test_batched_source_is_safe_and_aligned():
    hostile = "<script>\n# x = 1\u202e'\"{{x}}\\"
    x = Value(1.0, label=hostile)
    y = (x * 2.0).tanh()
    y.label = hostile
    c = autograd.compile(lambda v: (v[0] * 2.0).tanh(), [x])
    src = c.source(batched=True)
    compile(src, "<test>", "exec")
    assert "\u202e" not in src and "\n# x = 1" not in src
    body = [line for line in src.splitlines() if "  # " in line.lstrip() and not line.lstrip().startswith("#")]
    cols = {line.index("  # ") for line in body}
    assert len(cols) == 1, src


def test_array_forms_agree_with_float_forms_on_special_values():
    ns = O.array_namespace()
    values = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324,
              710.0, -745.5, 1e-300]
    assert set(O.PRIMITIVES) <= set(O.ARRAY_FORMS)  # every primitive has its array form
    with np.errstate(all="ignore"):
        for name, prim in O.PRIMITIVES.items():
            two = "{1}" in O.ARRAY_FORMS[name]
            pairs = [(a, p) for a in values for p in values] if two else [(a,) for a in values]
            got = ns[name](*(np.array(col) for col in zip(*pairs)))
            for args, g in zip(pairs, got.tolist()):
                f = prim.float_fn(*args)
                assert same(g, f) and (g != 0.0 or math.copysign(1, g) == math.copysign(1, f)) or \
                    math.isclose(g, f, rel_tol=4e-16), (name, args, g, f)
