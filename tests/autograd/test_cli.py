"""`python -m autograd explain`: output, errors, and a fuzz test proving the expression is never executed."""

from __future__ import annotations

import builtins
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.cli import MAX_DEPTH, MAX_LENGTH, explain, main
from autograd.cli.evaluate import Evaluator

ROOT = Path(__file__).resolve().parents[2]

GOLDEN = """\
expression: tanh(x*w + b)

forward pass (each node after its inputs):
  w  = input    = -0.7
  x  = input    = 1.5
  b  = input    = 0.2
  v3 = x * w    = -1.05
  v4 = v3 + b   = -0.85
  v5 = tanh(v4) = -0.691069

backward pass (d v5/d v5 = 1, then one chain-rule step per edge):
  #  node  op    parent  local_grad  upstream  contribution  parent_grad
  1  v5    tanh  v4        0.522423         1      0.522423     0.522423
  2  v4    +     v3               1  0.522423      0.522423     0.522423
  3  v4    +     b                1  0.522423      0.522423     0.522423
  4  v3    *     x             -0.7  0.522423     -0.365696    -0.365696
  5  v3    *     w              1.5  0.522423      0.783634     0.783634

gradients (d v5/d input):
  x  -0.365696
  w   0.783634
  b   0.522423

paths from w to v5 (1; d v5/d w = sum of the products along them):
  w -> v3 -> v4 -> v5: 1.5 * 1 * 0.522423 = 0.783634
  sum = 0.783634 (backward: 0.783634)
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def assert_clean_error(code: int, out: str, err: str) -> list[str]:
    """Exit 2, nothing on stdout, one ``error:`` line (plus the expression and a caret line when it points)."""
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith("error: ") and len(lines[0]) > len("error: ")
    assert len(lines) in (1, 3), lines
    if len(lines) == 3:
        assert lines[2].strip() and set(lines[2].strip()) == {"^"}
    return lines


def test_golden_output():
    code, out, err = run("explain", "tanh(x*w + b)", "x=1.5", "w=-0.7", "b=0.2", "--wrt", "w")
    assert (code, err) == (0, "")
    assert out == GOLDEN


def test_shared_subexpression_lists_every_path():
    code, out, _ = run("explain", "-x*x", "x=2", "--wrt", "x")  # leading minus: no '--' needed
    assert code == 0
    assert "x -> v1 -> v2: -1 * 2 = -2" in out and "x -> v2: -2 = -2" in out
    assert "sum = -4 (backward: -4)" in out


def test_many_paths_are_counted_not_listed():
    # every occurrence of x in a product is one path from x to the output
    code, out, _ = run("explain", "((x*x)*(x*x))*((x*x)*(x*x))", "x=1.1", "--wrt", "x")
    listed = [line for line in out.splitlines() if line.startswith("  x -> ")]
    assert code == 0 and "(8;" in out and len(listed) == 8
    assert all(line.endswith(f"= {1.1**7:.6g}") for line in listed)  # each path: the other seven x's
    code, out, _ = run("explain", "*".join(["x"] * 65), "x=1", "--wrt", "x")
    assert code == 0 and "(65;" in out and "too many to list" in out and "65" in out.split("backward sums")[-1]


# -- the same gradients as building the graph by hand ---------------------------------------

NAMES = ["x", "y", "z"]
FUNCS = ["exp", "tanh", "sigmoid", "sin", "cos", "relu", "abs"]


def _call(name: str, a):
    if isinstance(a, Value):
        return abs(a) if name == "abs" else getattr(a, name)()
    return _call(name, Value(a)).data


leaf = st.one_of(
    st.sampled_from(NAMES).map(lambda n: (n, lambda env, n=n: env[n])),
    st.floats(0.1, 3.0).map(lambda c: (repr(c), lambda env, c=c: c)),
)


def _extend(children):
    def binary(op):
        def make(pair):
            (ta, fa), (tb, fb) = pair
            if op == "/":  # the text repeats b, so the graph has two copies of it: build it twice too
                return f"({ta}) / (1 + ({tb})*({tb}))", lambda env: fa(env) / (1 + fb(env) * fb(env))
            fns = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
            return f"({ta}) {op} ({tb})", lambda env: fns[op](fa(env), fb(env))

        return st.tuples(children, children).map(make)

    def unary(pair):
        (name, (t, f)) = pair
        if name == "neg":
            return f"-({t})", lambda env: -f(env)
        if name == "square":
            return f"({t})**2", lambda env: f(env) ** 2
        if name == "log":
            return f"log(1 + ({t})*({t}))", lambda env: _call("log", 1 + f(env) * f(env))
        return f"{name}({t})", lambda env: _call(name, f(env))

    return st.one_of(
        *(binary(op) for op in "+-*/"),
        st.tuples(st.sampled_from([*FUNCS, "neg", "square", "log"]), children).map(unary),
    )


expressions = st.recursive(leaf, _extend, max_leaves=8)


@given(expressions, st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
@settings(max_examples=80)
def test_explain_matches_the_graph_built_in_python(expression, xs):
    text, build = expression
    used = [n for n in NAMES if re.search(rf"\b{n}\b", text)]
    env = {n: Value(x, label=n) for n, x in zip(NAMES, xs)}
    if len(text) > MAX_LENGTH:  # nested log(1 + ...) terms can outgrow the limit: such text is refused first
        with pytest.raises(autograd.cli.ExplainError, match="too long"):
            explain(text, [f"{n}={env[n].data!r}" for n in used])
        return
    try:
        root = build(env)
    except (ArithmeticError, ValueError):
        with pytest.raises(autograd.cli.ExplainError):
            explain(text, [f"{n}={env[n].data!r}" for n in used])
        return
    expected = autograd.grad(root, [env[n] for n in used]) if isinstance(root, Value) else []
    report, got_root, inputs = explain(text, [f"{n}={env[n].data!r}" for n in used])
    assert got_root.data == (root.data if isinstance(root, Value) else root)
    assert [inputs[n].grad for n in used] == expected
    for n, g in zip(used, expected):
        assert f"\n  {n}" in report and f"{g:.6g}" in report


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["explain", "exp(x)"], "no value for 'x'"),
        (["explain", "exp(x)", "x=1", "y=2"], "unknown input 'y'"),
        (["explain", "exp(x)", "x=1", "x=2"], "given twice"),
        (["explain", "exp(x)", "x=abc"], "'abc' is not a number"),
        (["explain", "exp(x)", "x"], "malformed input 'x'"),
        (["explain", "exp(x)", "=1"], "malformed input '=1'"),
        (["explain", "exp(x)", "x=nan"], "finite"),
        (["explain", "exp(x)", "exp=1", "x=1"], "function name"),
        (["explain", "log(x)", "x=-1"], "log needs a value > 0"),
        (["explain", "x/0", "x=1"], "division by zero"),
        (["explain", "sqrt(x)", "x=-4"], "sqrt"),
        (["explain", "(-8)**0.5"], "complex"),
        (["explain", "0**(-1)"], "zero to a negative power"),
        (["explain", "exp(exp(exp(x)))", "x=3"], "overflows"),
        (["explain", "x", "x=1", "--wrt", "y"], "--wrt 'y'"),
        (["explain", "x", "x=1", "--bogus"], "unrecognized arguments"),
        (["explain"], "required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_are_one_clean_line(argv, fragment):
    lines = assert_clean_error(*run(*argv))
    assert fragment in lines[0]


@pytest.mark.parametrize(
    ("expr", "fragment", "caret_under"),
    [
        ("x.real", "attribute access", "x.real"),
        ("__import__('os').system('ls')", "only these functions can be called", "__import__('os').system"),
        ("tanh(x) + open(x)", "unknown function 'open'", "open"),
        ("(lambda: x)()", "only these functions", "lambda: x"),
        ("x + [x for x in y]", "comprehensions", "[x for x in y]"),
        ("x + 'text'", "strings", "'text'"),
        ("f'{x}'", "f-strings", "f'{x}'"),
        ("(y := x)", ":=", "y := x"),
        ("x[0]", "indexing", "x[0]"),
        ("x if x else x", "conditional", "x if x else x"),
        ("x < 1", "comparisons", "x < 1"),
        ("x // 2", "'//'", "x // 2"),
        ("~x", "'~'", "~x"),
        ("True * x", "bool constants", "True"),
        ("1j * x", "complex constants", "1j"),
        ("9**9**9", "power inside an exponent", "9**9"),
        ("x**(2**3)", "power inside an exponent", "2**3"),
        ("x**1000", "exponent 1000 is too large", "1000"),
        ("x**-101", "too large", "-101"),
        ("1e999 * x", "too large for a float", "1e999"),
        ("tanh(x, x)", "exactly one argument", "tanh(x, x)"),
        ("tanh(x=1)", "keyword", "tanh(x=1)"),
        ("exp + x", "is a function", "exp"),
        ("x +* 2", "invalid syntax", "*"),
        ("x y", "an operand or an operator is missing here", "y"),
        ("2x", "a product needs its star: 2*x", "2"),
    ],
)
def test_refused_expressions_point_at_the_offending_part(expr, fragment, caret_under):
    lines = assert_clean_error(*run("explain", expr, "x=1", "y=1"))
    assert fragment in lines[0]
    assert len(lines) == 3 and lines[1] == f"  {expr}"
    start = lines[2].index("^")
    assert lines[1][start : start + len(caret_under)] == caret_under
    assert lines[2].count("^") == len(caret_under)


def test_size_limits():
    assert "too long" in assert_clean_error(*run("explain", "x+" * MAX_LENGTH + "x", "x=1"))[0]
    assert "nested too deeply" in assert_clean_error(*run("explain", "-" * 200 + "x", "x=1"))[0]
    assert "nested parentheses" in assert_clean_error(*run("explain", "(" * 210 + "x" + ")" * 210, "x=1"))[0]
    assert "one line" in assert_clean_error(*run("explain", "x\n+ x", "x=1"))[0]


def test_help_and_no_command():
    code, out, err = run("explain", "--help")
    assert code == 0 and "NAME=VALUE" in out and "--wrt" in out and err == ""
    code, out, err = run()
    assert code == 2 and "explain" in err


def test_svg_is_written(tmp_path):
    target = tmp_path / "graph.svg"
    code, out, err = run("explain", "x*w", "x=2", "w=3", "--wrt", "w", "--svg", str(target))
    assert (code, err) == (0, "")
    assert f"graph written to {target}" in out
    assert target.read_text().lstrip().startswith("<?xml") and "</svg>" in target.read_text()


def test_svg_without_the_drawing_module(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "autograd.drawing", None)  # makes the import fail
    lines = assert_clean_error(*run("explain", "x", "x=1", "--svg", str(tmp_path / "g.svg")))
    assert "drawing module" in lines[0]
    assert not (tmp_path / "g.svg").exists()


def test_html_writes_the_explorer_page(tmp_path):
    target = tmp_path / "steps.html"
    code, out, err = run("explain", "tanh(x*w + b)", "x=1.5", "w=-0.7", "b=0.2", "--html", str(target))
    assert (code, err) == (0, "")
    assert f"explorer page written to {target}" in out
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1 and 'id="cr-data"' in page
    # with --svg too, and an expression starting with a minus sign
    code, out, err = run("explain", "-x*x", "x=2", "--svg", str(tmp_path / "g.svg"), "--html", str(tmp_path / "p.html"))
    assert (code, err) == (0, "") and (tmp_path / "g.svg").exists() and (tmp_path / "p.html").exists()


def test_html_on_a_large_graph_writes_a_page_that_opens_collapsed(tmp_path):
    expr = "+".join(f"x*{k}" for k in range(1, 90))  # 89 products and their sums: more than 300 nodes to draw
    code, out, err = run("explain", expr, "x=1", "--html", str(tmp_path / "p.html"))
    assert (code, err) == (0, "") and (tmp_path / "p.html").exists()  # the page collapses what it cannot show


def test_html_errors_are_one_clean_line(tmp_path, monkeypatch):
    lines = assert_clean_error(*run("explain", "x", "x=1", "--html", str(tmp_path / "missing" / "p.html")))
    assert lines[0].startswith("error: cannot write") and "does not exist" in lines[0]  # before the report
    monkeypatch.setitem(sys.modules, "autograd.drawing", None)
    lines = assert_clean_error(*run("explain", "x", "x=1", "--html", str(tmp_path / "p.html")))
    assert "--html needs the drawing module" in lines[0]
    assert not (tmp_path / "p.html").exists()


def test_real_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "explain", "tanh(x*w + b)", "x=1.5", "w=-0.7", "b=0.2", "--wrt", "w"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == GOLDEN
    bad = subprocess.run([sys.executable, "-m", "autograd", "explain", "log(x)", "x=-1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("error: cannot evaluate 'log(x)'")


# -- fuzz: nothing is ever executed ------------------------------------------------------------------


class Probe:
    """Stands in for anything a snippet might try to run; records that it was reached."""

    calls = 0

    def __call__(self, *args, **kwargs):
        Probe.calls += 1
        return self


atoms = st.sampled_from([
    "x", "y", "1", "2.5", "probe", "probe()", "__import__('os')", "__import__('subprocess')", "eval('probe()')",
    "exec('probe()')", "open('/etc/passwd')", "globals()", "().__class__", "'s'", "b'b'", "None", "...",
])


def _snippets(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["__class__", "system", "real", "__globals__"])).map(
            lambda p: f"{p[0]}.{p[1]}"),
        st.tuples(children, children).map(lambda p: f"{p[0]}({p[1]})"),
        children.map(lambda a: f"(lambda: {a})()"),
        children.map(lambda a: f"lambda q: {a}"),
        st.tuples(children, children).map(lambda p: f"[{p[0]} for _ in {p[1]}]"),
        st.tuples(children, children).map(lambda p: f"{{{p[0]}: {p[1]} for _ in x}}"),
        children.map(lambda a: f"f'{{{a}}}'"),
        children.map(lambda a: f"(w := {a})"),
        st.tuples(children, children).map(lambda p: f"{p[0]}[{p[1]}]"),
        st.tuples(children, children).map(lambda p: f"{p[0]} if {p[1]} else x"),
        st.tuples(children, children, st.sampled_from(["+", "*", "**", "-", "/", "%", "@", "and", "<"])).map(
            lambda p: f"{p[0]} {p[2]} {p[1]}"),
        children.map(lambda a: f"tanh({a})"),
        children.map(lambda a: f"-{a}"),
        st.just("9**9**9"),
        st.just("2**2**2**2**2"),
        st.just("(" * 300 + "x" + ")" * 300),
    )


snippets = st.recursive(atoms, _snippets, max_leaves=6)
texts = st.one_of(
    snippets,
    expressions.map(lambda e: e[0]),  # valid ones too, so evaluation is fuzzed as well
    st.text(max_size=40),
    st.text(alphabet="xy0123456789.+-*/()e _,[]'{}:=lambdaimportos", max_size=40),
)


@given(texts, st.lists(st.floats(allow_nan=False), min_size=3, max_size=3), st.booleans())
@settings(max_examples=300)
def test_fuzz_nothing_is_executed_and_errors_are_clean(text, values, extra):
    probe_calls = Probe.calls
    imported: list[str] = []
    real_import = builtins.__import__

    def watch_import(name, *args, **kwargs):
        imported.append(name)
        return real_import(name, *args, **kwargs)

    # a value for each name the text mentions (any float, infinities included), sometimes one too many
    argv = ["explain", text] + [f"{n}={v!r}" for n, v in zip(NAMES, values) if re.search(rf"\b{n}\b", text)]
    argv += ["unused=1"] if extra else []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "__import__", watch_import)
        for name in ("eval", "exec", "open", "breakpoint"):
            patch.setattr(builtins, name, Probe())
        patch.setattr(builtins, "probe", Probe(), raising=False)
        code, out, err = run(*argv)
    assert Probe.calls == probe_calls  # no probe, eval, exec, open or breakpoint was ever reached
    assert not {"os", "subprocess"} & set(imported)
    if code == 0:
        assert out.startswith("expression: ") and err == ""
        # the first non-finite value stops the report (forward or backward): an answer is all finite numbers
        assert not re.search(r"(?<![\w.])-?(inf|nan)\b", out.split("\n", 1)[1]), out
    else:
        assert_clean_error(code, out, err)


def _console(encoding: str) -> io.TextIOWrapper:
    """A console stream that refuses what ``encoding`` cannot hold, as PYTHONIOENCODING=ascii does."""
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict", newline="\n")


def _printed(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode(stream.encoding)


unicode_texts = st.one_of(
    texts,
    st.sampled_from(["α*β", "sqrt(α) + x", "α ++", "tanh(ω**2) × 3", "x → y", "σ(x)", "x*y # é", "\u202ex*y"]),
    st.text(alphabet="xyαβω²·−→∂ +*()/.0123456789", max_size=30),
)


@given(unicode_texts, st.sampled_from(["ascii", "latin-1", "cp1252", "utf-8"]), st.booleans())
@settings(max_examples=200, deadline=None)
def test_fuzz_a_console_that_cannot_encode_the_text_gets_a_clean_result(text, encoding, with_values):
    """Any expression, names and messages included, on a console that refuses what it cannot encode: a report
    or one error (with its caret under the right characters), never UnicodeEncodeError."""
    names = sorted(set(re.findall(r"[^\W\d]\w*", text)) - {"tanh", "sqrt", "exp", "log", "sin", "cos"})
    argv = ["explain", text] + ([f"{n}=0.5" for n in names] if with_values else [])
    out, err = _console(encoding), _console(encoding)
    code = main(argv, out, err)
    printed, complaint = _printed(out), _printed(err)
    if code == 0:
        assert printed.startswith("expression: ") and complaint == ""
    else:
        lines = assert_clean_error(code, printed, complaint)
        if len(lines) == 3:  # the caret line sits under the expression line, whatever was escaped
            assert len(lines[2].rstrip()) <= max(len(lines[1]), 3) + 1


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_report_with_unicode_names_in_a_real_ascii_console(encoding):
    """The report: under PYTHONIOENCODING=ascii, explain printed a UnicodeEncodeError traceback."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    ok = subprocess.run([sys.executable, "-m", "autograd", "explain", "sqrt(α)*β → ", "α=2", "β=3"], cwd=ROOT,
                        capture_output=True, env=env, timeout=60)
    assert ok.returncode == 2 and ok.stdout == b"" and b"Traceback" not in ok.stderr  # '→' is not Python
    good = subprocess.run([sys.executable, "-m", "autograd", "explain", "sqrt(α)*β", "α=2", "β=3", "--wrt", "α"],
                          cwd=ROOT, capture_output=True, env=env, timeout=60)
    assert (good.returncode, good.stderr) == (0, b""), good.stderr
    text = good.stdout.decode("ascii")
    assert text.startswith("expression: sqrt(\\u03b1)*\\u03b2\n") and "paths from \\u03b1 to v3" in text
    bad = subprocess.run([sys.executable, "-m", "autograd", "explain", "α ++", "α=2"], cwd=ROOT,
                         capture_output=True, env=env, timeout=60)
    lines = bad.stderr.decode("ascii").splitlines()
    assert bad.returncode == 2 and len(lines) == 3 and lines[1] == "  \\u03b1 ++"
    assert lines[2].index("^") == len("  \\u03b1 ++")  # under the end, past the escaped name
    usage = subprocess.run([sys.executable, "-m", "autograd", "explain", "--help"], cwd=ROOT, capture_output=True,
                           env=env, timeout=60)
    assert usage.returncode == 0 and b"NAME=VALUE" in usage.stdout


# -- hardening: warnings, flat chains, --svg names and sizes ---------------------------------------


@pytest.mark.parametrize("expr", ["1or x", "1if x else 2", "0x1for x", "1_0and x", "x+1is x"])
def test_no_stray_warning_while_parsing(expr):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_clean_error(*run("explain", expr, "x=1"))
    assert caught == []


def test_no_stray_warning_reaches_stderr_of_the_command():
    result = subprocess.run([sys.executable, "-W", "always", "-m", "autograd", "explain", "1or x", "x=1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "Warning" not in result.stderr and result.stderr.startswith("error: ")


@pytest.mark.parametrize(("op", "terms", "expected"), [
    ("+", 101, 101.0), ("+", 250, 250.0), ("*", 101, 101.0), ("-", 101, -99.0), ("/", 101, -99.0),
])
def test_flat_chains_are_not_nesting(op, terms, expected):
    expr = op.join(["x"] * terms)
    report, root, inputs = explain(expr, ["x=1"])
    assert inputs["x"].grad == expected  # d/dx of x+...+x, x*...*x, x-x-...-x, x/x/.../x at x = 1
    mixed = "+".join(["x*x/x"] * 60) + "-x"
    assert explain(mixed, ["x=2"])[2]["x"].grad == 59.0


@pytest.mark.parametrize("expr", [
    "-" * 200 + "x",
    "tanh(-" * (MAX_DEPTH // 2 + 1) + "x" + ")" * (MAX_DEPTH // 2 + 1),
    "(x+" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),  # right-leaning: real nesting
    "(x*" * 60 + "(x+" * 45 + "x" + ")" * 105,
])
def test_real_nesting_is_still_limited(expr):
    assert "nested too deeply" in assert_clean_error(*run("explain", expr, "x=1"))[0]


def test_evaluating_a_long_chain_needs_no_recursion():
    expr = "+".join(["x"] * 250)
    tree = autograd.cli.parse(expr)
    x = Value(1.0, label="x")
    frames = 0
    frame = sys._getframe()
    while frame is not None:
        frames, frame = frames + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + 40)  # far less than the 250 levels a recursive walk would need
    try:
        result = Evaluator(expr, {"x": x}).run(tree)
    finally:
        sys.setrecursionlimit(old)
    assert result.data == 250.0 and len(autograd.topological_order(result)) == 250


@pytest.mark.parametrize("argv", [["--svg="], ["--svg", ""], ["--svg", "  "]])
def test_an_empty_svg_name_is_refused(tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    lines = assert_clean_error(*run("explain", "x*x", "x=2", *argv))
    assert "--svg needs a file name" in lines[0] and len(lines) == 1
    assert list(tmp_path.iterdir()) == []


needs_utf8_names = pytest.mark.skipif(
    sys.getfilesystemencoding().lower() not in ("utf-8", "utf8") or sys.platform == "win32",
    reason="file names as bytes with surrogate escapes (POSIX, UTF-8 file system encoding)",
)


@needs_utf8_names
def test_a_non_utf8_svg_name_is_written_and_printed_safely(tmp_path):
    name = os.fsdecode(b"graph\xff.svg")  # what sys.argv holds for that name
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    err = io.StringIO()
    code = main(["explain", "x*x", "x=2", "--svg", str(tmp_path / name)], out, err)
    out.flush()
    assert (code, err.getvalue()) == (0, "")
    assert os.listdir(os.fsencode(tmp_path)) == [b"graph\xff.svg"]
    assert (tmp_path / name).read_text().rstrip().endswith("</svg>")
    assert raw.getvalue().decode("utf-8").endswith("graph\\xff.svg\n")


@needs_utf8_names
def test_a_non_utf8_svg_name_in_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "explain", "x*x", "x=2", b"--svg=g\xff\xfe.svg"],
        cwd=tmp_path, capture_output=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict"},
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.endswith(b"graph written to g\\xff\\xfe.svg\n")
    assert os.listdir(os.fsencode(tmp_path)) == [b"g\xff\xfe.svg"]
    bad = subprocess.run(
        [sys.executable, "-m", "autograd", "explain", "x", "x=2", b"--svg=" + os.fsencode(tmp_path) + b"/no\xff/g.svg"],
        cwd=tmp_path, capture_output=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict"},
    )
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert bad.stderr.startswith(b"error: cannot write ") and b"no\\xff" in bad.stderr
    assert bad.stderr.count(b"\n") == 1


def test_svg_of_a_graph_too_large_to_draw_in_full_is_drawn_collapsed(tmp_path):
    target = tmp_path / "big.svg"
    expr = "*".join(["x"] * 200)
    code, out, err = run("explain", expr, "x=1", "--svg", str(target))
    assert code == 0 and err == ""
    assert "<svg" in target.read_text() and "chunk (closed)" in target.read_text()  # 199 products in chunks
    code, out, err = run("explain", expr, "x=1")  # the report alone works
    assert code == 0 and err == ""


def test_empty_html_option_is_refused():
    lines = assert_clean_error(*run("explain", "x*2", "x=1", "--html="))
    assert "--html needs a file name" in lines[0]


# -- #20/#21: paths checked first, a hint for ^, one-line usage, a stop at a non-finite gradient ----------


def _never_computed(monkeypatch):
    def explain(*args, **kwargs):
        raise AssertionError("the expression was computed before the output path was checked")

    monkeypatch.setattr("autograd.cli.command.explain", explain)


@pytest.mark.parametrize("where, fragment", [
    (lambda d: "/proc/nope.svg", "cannot write /proc/nope.svg"),
    (lambda d: str(d / "missing" / "g.svg"), "does not exist"),
    (lambda d: str(d), "--svg writes an SVG file"),
    (lambda d: str(d / "folder.svg"), "it is a folder"),
    (lambda d: str(d / "g.png"), "give a name ending in .svg"),
    (lambda d: str(d / "fifo.svg"), "not a regular file"),
])
def test_output_paths_are_checked_before_anything_is_computed(tmp_path, monkeypatch, where, fragment):
    """The report: `explain 'x*2' x=3 --svg /proc/nope.svg` printed the whole explanation, then failed."""
    if "proc" in where(tmp_path) and not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux /proc")
    (tmp_path / "folder.svg").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.svg")
    _never_computed(monkeypatch)
    lines = assert_clean_error(*run("explain", "x*2", "x=3", "--svg", where(tmp_path)))
    assert len(lines) == 1 and fragment in lines[0]


def test_the_html_path_is_checked_first_too_and_the_two_differ(tmp_path, monkeypatch):
    _never_computed(monkeypatch)
    lines = assert_clean_error(*run("explain", "x", "x=1", "--html", str(tmp_path / "no" / "p.html")))
    assert "does not exist" in lines[0]
    same = str(tmp_path / "g.svg")
    lines = assert_clean_error(*run("explain", "x", "x=1", "--svg", same, "--html", same))
    assert "--svg and --html name the same file" in lines[0]
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_a_name_ending_in_a_slash_is_a_folder_not_a_file_named_without_it(tmp_path, monkeypatch):
    """`--html out/` wrote a 0.9 MB file named `out`: a name ending in / names a folder."""
    _never_computed(monkeypatch)
    lines = assert_clean_error(*run("explain", "x", "x=1", "--html", str(tmp_path / "out") + "/"))
    assert len(lines) == 1 and "a name ending in / is a folder" in lines[0] and "out/page.html" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_the_proc_case_in_a_real_process_is_one_line_at_once():
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux /proc")
    result = subprocess.run([sys.executable, "-m", "autograd", "explain", "x*2", "x=3", "--svg", "/proc/nope.svg"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: cannot write /proc/nope.svg") and result.stderr.count("\n") == 1


def test_a_caret_for_power_suggests_two_stars():
    lines = assert_clean_error(*run("explain", "x^2", "x=3"))
    assert "operator '^' is not allowed (for a power write **, as in x**2)" in lines[0]
    assert "hint" not in assert_clean_error(*run("explain", "x|2", "x=3"))[0]


def test_no_arguments_print_a_one_line_usage():
    from autograd.cli import USAGE

    assert run() == (2, "", USAGE + "\n")
    assert USAGE.startswith("usage: python -m autograd explain EXPR") and USAGE.endswith("(--help for more)")
    result = subprocess.run([sys.executable, "-m", "autograd"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", USAGE + "\n")


@pytest.mark.parametrize("expr, inputs, fragment, under", [
    ("sqrt(x)", ["x=0"], "at step 1, the local derivative d (sqrt(x))/d x = inf at x = 0", "sqrt(x)"),
    ("x**0.5 + x", ["x=0"], "d (x**0.5)/d x = inf at x = 0", "x**0.5"),
    ("1/x", ["x=1e-200"], "d (1/x)/d x = -inf at x = 1e-200 is not a finite number", "1/x"),
    ("tanh(sqrt(x*y)) + x", ["x=1", "y=0"], "d (sqrt(x*y))/d (x*y) = inf at (x*y) = 0", "sqrt(x*y)"),
])
def test_a_backward_pass_stops_at_the_first_non_finite_value(expr, inputs, fragment, under):
    """The README says explain stops at the first non-finite value; the backward pass printed inf with exit 0."""
    lines = assert_clean_error(*run("explain", expr, *inputs))
    assert lines[0].startswith("error: cannot explain the backward pass: ") and fragment in lines[0], lines[0]
    start = lines[2].index("^")
    assert lines[1][start:start + lines[2].count("^")] == under


def test_version_prints_the_distributions_version_and_exits_0():
    import autograd

    code, out, err = run("--version")
    assert (code, out.strip(), err) == (0, f"chainrule {autograd.__version__}", "")


@pytest.mark.parametrize("expr", ["x**", "x +", "tanh(x) *"])
def test_an_expression_that_stops_early_says_so(expr):
    lines = assert_clean_error(*run("explain", expr, "x=1"))
    assert "ends too early: an operand is missing" in lines[0]


# -- Ctrl-C -------------------------------------------------------------------------------------------


def test_ctrl_c_is_one_line_and_status_130(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("autograd.cli.command.explain", interrupted)
    assert run("explain", "x*2", "x=3") == (130, "", "error: interrupted (Ctrl-C)\n")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("after", [0.25, 0.5, 1.0, 1.5])
def test_a_real_ctrl_c_at_any_moment_of_python_m_autograd_is_one_line_and_130(tmp_path, after):
    """While the package loads (a line saying nothing was written), while the WebAssembly Graphviz loads and
    renders, while the page is written: never a traceback, never a status other than 130 (or 0, if it had ended)."""
    import signal
    import time

    child = subprocess.Popen([sys.executable, "-m", "autograd", "explain", "tanh(x*w + b)", "x=1", "w=2", "b=0.5",
                              "--svg", str(tmp_path / "g.svg"), "--html", str(tmp_path / "p.html")],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    if child.returncode == 0:
        assert err == ""
        return
    if err.startswith("Traceback") and "/autograd/" not in err:
        return  # Python's own start-up (site, the path finder), before the program's first line
    assert child.returncode == 130, err
    assert err in ("error: interrupted (Ctrl-C)\n", "error: interrupted (Ctrl-C); nothing was written\n"), err
