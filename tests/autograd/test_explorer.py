"""The explorer: one layout, the whole backward pass, paths and nudges; its page, widget and safety."""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, count_paths, draw, draw_backward_steps, explore, topological_order, total
from autograd.drawing import GraphTooLargeError
from autograd.drawing.explorer import page as page_module
from autograd.drawing.explorer.data import to_script_json
from autograd.drawing.text import plain
from autograd.trace import node_names, trace_backward
from tests.autograd.chromium import by_attr, dump_dom, elements, needs_chromium


@pytest.fixture(autouse=True)
def no_system_dot(monkeypatch):
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else which(name, *a, **k))


def stepper_graph() -> tuple[Value, Value, Value]:
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    z = x * x + x * y
    z.label = "z"
    return z, x, y


def neuron() -> tuple[Value, dict[str, Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = (autograd.parameter(-0.5, label="w1"), autograd.parameter(0.75, label="w2"),
                 autograd.parameter(0.25, label="b"))  # roles come from what a value is, not its label
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def diamonds(n: int) -> tuple[Value, Value]:
    """A chain of n diamonds: 2**n paths from x to the output."""
    x = Value(0.9, label="x")
    y = x
    for _ in range(n):
        y = y.tanh() * y.sin()
    return y, x


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="cr-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# -- the page as written ---------------------------------------------------------------------------------


def test_page_has_one_picture_with_stable_ids_and_the_data(tmp_path) -> None:
    z, x, y = stepper_graph()
    out = tmp_path / "steps.html"
    page = draw_backward_steps(z, out)
    assert out.read_text(encoding="utf-8") == page
    assert page.count("<svg") == 1  # laid out once
    order = topological_order(z)
    for k, node in enumerate(order):
        assert f'id="n{k}"' in page
        if node.op:
            assert f'id="n{k}op"' in page
        for i in range(len(node.parents)):
            assert f'id="e{k}_{i}"' in page
    assert x.grad == 0.0 and y.grad == 0.0  # writing the page touches no .grad
    data = page_data(page)
    assert [n["n"] for n in data["nodes"]] == list(node_names(z).values())
    steps = trace_backward(z)
    assert len(data["steps"]) == len(steps) == sum(len(n.parents) for n in order)
    for raw, step in zip(data["steps"], steps):
        assert order[raw[0]] is step.node and raw[1] == step.index
        assert raw[2:] == [step.upstream, step.contribution, step.parent_grad]


def test_page_is_self_contained_and_runs_only_its_own_script(tmp_path) -> None:
    z, _, _ = stepper_graph()
    page = draw_backward_steps(z)
    for pattern in (r"<script[^>]*\bsrc=", r"<link\b", r"@import", r"url\(", r"""(?:src|href)=["']?(?:https?:)?//""",
                    r"\bon[a-z]+=", r"\beval\(", r"new Function", r"fetch\(", r"XMLHttpRequest", r"WebSocket"):
        assert not re.search(pattern, page), pattern
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts == [' type="application/json" id="cr-data"', ""]
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split(";")[1]
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_assets_are_package_files_and_the_data_cannot_close_its_script() -> None:
    for name in ("explorer.js", "explorer.css", "explorer.html", "page.js", "widget.js"):
        assert page_module.asset(name).strip()
    hostile = {"n": "</script><!--<script>", "x": "\u2028&"}
    text = to_script_json(hostile)
    assert "</" not in text and "<!--" not in text and "&" not in text
    assert json.loads(text) == hostile
    with pytest.raises(ValueError, match="to_script_json"):
        page_module.page_html("t", "<svg></svg>", json.dumps(hostile))


def test_same_picture_as_draw() -> None:
    o, leaves = neuron()
    o.backward()
    ex = explore(o)
    drawn = draw(o, legend=False).source  # the page draws its legend in HTML beside the picture
    # the same nodes, labels and edges: the explorer uses draw's DOT builder (only the shown grads could differ,
    # and after backward() they are the same numbers)
    assert ex.dot_source == drawn


def test_legend_lists_the_roles_present_and_can_be_left_out() -> None:
    o, _ = neuron()
    legend = [entry[0] for entry in explore(o).data["legend"]]
    assert legend == ["input", "parameter", "intermediate", "op", "output", "this step", "used steps",
                      "paths of the selected value"]
    assert explore(o, legend=False).data["legend"] == []


def test_page_size_grows_linearly(tmp_path) -> None:
    def chain(n: int) -> Value:
        y = Value(0.3, label="x")
        for _ in range(n):
            y = (y * 0.9).tanh()
        return y

    small, large = (len(draw_backward_steps(chain(n), max_nodes=None)) for n in (30, 120))
    assert large < 4.6 * small


def test_large_graphs_are_refused_with_draws_advice() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(400):
        y = y + 1.0
    with pytest.raises(GraphTooLargeError, match="801 nodes to draw.*max_nodes=801.*collapsed"):
        explore(y)
    with pytest.raises(TypeError, match="collapse"):
        explore(y, collapse=True)
    # an explicit step cap still works as before
    z, _, _ = stepper_graph()
    with pytest.raises(GraphTooLargeError, match="6 steps, more than max_steps=5"):
        draw_backward_steps(z, max_steps=5)
    assert draw_backward_steps(z, max_steps=6).count("<svg") == 1


def test_no_step_cap_a_2000_step_page(tmp_path) -> None:
    # 2,000 chain-rule steps on a small picture: a dot product over reused leaves (parallel edges)
    xs = [Value(0.1 * k, label=f"x{k}") for k in range(10)]
    ws = [Value(0.05 * k - 0.2, label=f"w{k}") for k in range(10)]
    out = autograd.dot([xs[k % 10] for k in range(1000)], [ws[(3 * k) % 10] for k in range(1000)])
    page = draw_backward_steps(out, tmp_path / "big.html")
    assert len(page_data(page)["steps"]) == 2000


def test_grouped_graph_shows_boxes_with_every_node() -> None:
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    out = model([Value(0.5, label="a"), Value(-1.0, label="c")])
    ex = explore(out, group_by="labels")
    assert "cluster_" in ex.dot_source
    assert all(f'id="n{k}"' in ex.svg for k in range(len(ex.data["nodes"])))


def test_hostile_title_is_text() -> None:
    z, _, _ = stepper_graph()
    page = draw_backward_steps(z, title="</title><script>alert(1)</script>")
    assert "<script>alert(1)" not in page and "&lt;/title&gt;&lt;script&gt;" in page
    with pytest.raises(TypeError, match="title"):
        explore(z, title=3)


@settings(max_examples=25, deadline=None)
@given(label=st.text(max_size=12), op=st.text(max_size=8), title=st.text(max_size=12))
def test_any_label_op_or_title_gives_a_well_formed_page(label, op, title) -> None:
    x = Value(1.5, label=label)
    y = Value(3.0, "", op or "?", (x, x), (2.0, 0.5))
    page = draw_backward_steps(y, title=title)
    page.encode("utf-8")  # writable as UTF-8: no lone surrogate left
    data = page_data(page)  # the data script parses as JSON, so nothing closed it early
    names = [n["n"] for n in data["nodes"]]
    assert names[0] == (plain(label) or "v0") or names[0] == plain(label) + "#0"  # "v1" as a label repeats
    assert data["nodes"][-1]["op"] == plain(op or "?")
    assert re.findall(r"<script([^>]*)>", page) == [' type="application/json" id="cr-data"', ""]
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    ET.fromstring(svg)  # the inline picture is well-formed XML


# -- live updates and Jupyter --------------------------------------------------------------------------------


def test_update_keeps_the_layout_and_replaces_the_numbers() -> None:
    o, leaves = neuron()
    ex = explore(o)
    svg = ex.svg
    before = ex.data["nodes"][ex.data["root"]]["v"]
    leaves["w1"].data += 0.5
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    assert ex.update(o2) is ex
    assert ex.svg == svg
    assert ex.data["nodes"][ex.data["root"]]["v"] == o2.data != before
    with pytest.raises(ValueError, match="same shape"):
        ex.update(o2 * 2.0)


def test_repr_html_works_without_anywidget(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.setattr("autograd.drawing.explorer.session._WIDGET_CLASS", None)
    z, _, _ = stepper_graph()
    ex = explore(z)
    html_text = ex._repr_html_()
    assert html_text.startswith("<iframe") and 'sandbox="allow-scripts"' in html_text
    assert "&lt;svg" in html_text  # the page, escaped into srcdoc
    bundle = ex._repr_mimebundle_()
    assert bundle["text/html"] == html_text
    with pytest.raises(ImportError, match=r"chainrule\[widget\]"):
        ex.widget  # noqa: B018


def test_widget_sends_the_picture_once_and_data_on_update() -> None:
    pytest.importorskip("anywidget")
    o, leaves = neuron()
    ex = explore(o)
    w = ex.widget
    assert w.svg == ex.svg and json.loads(w.data) == ex.data
    assert "crMount" in w._esm and "export default" in w._esm
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in (bundle[0] if isinstance(bundle, tuple) else bundle)
    leaves["b"].data = 1.0
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    ex.update(o2)
    assert json.loads(w.data)["nodes"][-1]["v"] == o2.data and w.svg == ex.svg


# -- in the browser --------------------------------------------------------------------------------------------


def value_elements(dom: str) -> dict[str, dict[str, str]]:
    return {a["data-name"]: a for a in by_attr(dom, "data-name") if "data-index" in a}


@needs_chromium
def test_the_page_script_runs_under_its_content_security_policy(tmp_path) -> None:
    z, x, y = stepper_graph()
    dom = dump_dom(draw_backward_steps(z), tmp_path, "#step=end")
    n = sum(len(node.parents) for node in topological_order(z))
    assert f'data-step="{n}"' in dom
    nodes = value_elements(dom)
    z.backward()
    assert float(nodes["x"]["data-grad"]) == x.grad and float(nodes["y"]["data-grad"]) == y.grad


@needs_chromium
def test_stepping_by_buttons_and_keys(tmp_path) -> None:
    z, _, _ = stepper_graph()
    page = draw_backward_steps(z)
    n = len(trace_backward(z))
    press = """
function click(cls) { document.querySelector('button.cr-' + cls).click(); }
function key(k) { document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
"""
    dom = dump_dom(page, tmp_path, driver=press + "click('next'); click('next'); click('prev'); key('ArrowRight'); "
                   "key('ArrowRight');")
    assert '<body data-step="3"' in dom
    assert "step 3 / " in dom
    current = [a for _, a in elements(dom) if "cr-current" in a.get("class", "").split()]
    used = [a for _, a in elements(dom) if "cr-used" in a.get("class", "").split()]
    assert len(current) == 1 and len(used) == 2
    steps = trace_backward(z)
    order = topological_order(z)
    k = order.index(steps[2].node)
    assert current[0]["id"] == f"e{k}_{steps[2].index}"
    dom = dump_dom(page, tmp_path, driver=press + "key('End');")
    assert f'<body data-step="{n}"' in dom
    dom = dump_dom(page, tmp_path, driver=press + "key('End'); click('first'); key('ArrowLeft');")
    assert '<body data-step="0"' in dom
    dom = dump_dom(page, tmp_path, driver=press + "click('last'); key('Home'); click('next');")
    assert '<body data-step="1"' in dom


@needs_chromium
def test_step_n_shows_the_gradients_accumulated_so_far(tmp_path) -> None:
    o, leaves = neuron()
    steps = trace_backward(o)
    names = steps.names
    page = draw_backward_steps(o, precision=6)
    for n in (0, 3, len(steps)):
        dom = dump_dom(page, tmp_path, f"#step={n}")
        shown = {name: a["data-grad"] for name, a in value_elements(dom).items()}
        expected = {names[o]: 1.0}
        for s in steps[:n]:
            expected[names[s.parent]] = s.parent_grad
        for name, text in shown.items():
            if name in expected:
                assert float(text) == expected[name], (n, name)
            else:
                assert text == "?", (n, name)


@needs_chromium
def test_step_end_shows_every_leaf_gradient_equal_to_backward(tmp_path) -> None:
    o, leaves = neuron()
    page = draw_backward_steps(o)
    o.backward()
    dom = dump_dom(page, tmp_path, "#step=end")
    shown = value_elements(dom)
    for name, leaf in leaves.items():
        assert float(shown[name]["data-grad"]) == leaf.grad, name


@needs_chromium
def test_node_link_lists_paths_whose_products_sum_to_the_gradient(tmp_path) -> None:
    y, x = diamonds(6)  # 64 paths: more than the page lists
    page = draw_backward_steps(y)
    y.backward()
    dom = dump_dom(page, tmp_path, "#node=x")
    box = next(a for _, a in elements(dom) if "cr-pathbox" in a.get("class", ""))
    assert int(box["data-count"]) == count_paths(y, x) == 64
    products = [float(a["data-product"]) for a in by_attr(dom, "data-product")]
    assert len(products) == 20  # the first ones, with the count of the rest
    assert "and 44 more paths" in dom
    summed = next(a for a in by_attr(dom, "data-sum"))
    assert math.isclose(float(summed["data-sum"]), x.grad, rel_tol=1e-12)
    # a node with few paths: all listed, their products sum to its gradient
    o, leaves = neuron()
    o.backward()
    dom = dump_dom(draw_backward_steps(o), tmp_path, "#node=w1")
    products = [float(a["data-product"]) for a in by_attr(dom, "data-product")]
    assert len(products) == 1 and math.isclose(math.fsum(products), leaves["w1"].grad, rel_tol=1e-12)
    selected = [a for _, a in elements(dom) if "cr-selected" in a.get("class", "")]
    assert [a["data-name"] for a in selected] == ["w1"]


HOSTILE = [
    '<img src=x onerror="document.body.setAttribute(\'data-pwned\', 1)">',
    "</script><script>document.body.setAttribute('data-pwned', 2)</script>",
    "javascript:document.body.setAttribute('data-pwned',3)",
    '<a href="javascript:alert(1)">x</a>',
    "<!--",
    "\\",
    '"',
    "\x00\x01\ud800",
    "<svg onload=\"document.body.setAttribute('data-pwned', 4)\">",
]


@needs_chromium
def test_hostile_labels_and_op_names_run_no_script_and_leave_no_javascript_url(tmp_path) -> None:
    leaves = [Value(float(k + 1), label=h) for k, h in enumerate(HOSTILE)]
    made = [Value(v.data * 2, "", h, (v,), (2.0,)) for v, h in zip(leaves, HOSTILE)]
    for v, h in zip(made, HOSTILE):
        v.label = h + "!"
    out = total(made)
    out.label = HOSTILE[1]
    page = draw_backward_steps(out, title=HOSTILE[0])
    # without the Content-Security-Policy: escaping alone must keep every string text
    for fragment in ("#step=end", "#node=" + "%3Cimg"):
        dom = dump_dom(page, tmp_path, fragment, driver="document.body.setAttribute('data-driven', 'yes');")
        assert 'data-driven="yes"' in dom  # scripts run in this copy
        assert not any("data-pwned" in attrs for _, attrs in elements(dom))
        for tag, attrs in elements(dom):
            assert tag not in ("img", "a", "iframe", "object", "embed")
            for key, value in attrs.items():
                assert not key.startswith("on"), (tag, key)
                if not key.startswith("data-") and key not in ("aria-label", "title"):  # text, not links
                    assert "javascript:" not in value.lower(), (tag, key, value)
        assert dom.count("<script") == 3  # the data, the page's script and the driver
    # no link anywhere: no element has a URL attribute at all
    for tag, attrs in elements(page) + elements(dom):
        assert not set(attrs) & {"href", "xlink:href", "src", "action", "formaction", "background", "poster"}, tag


# -- nudging: the forward pass again, in the browser ----------------------------------------------------------


def neuron_at(**changes: float) -> Value:
    values = {"x1": 2.0, "x2": -1.0, "w1": -0.5, "w2": 0.75, "b": 0.25}
    values.update(changes)
    v = {k: Value(x, label=k) for k, x in values.items()}
    o = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
    o.label = "o"
    return o


def close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-300)


@needs_chromium
def test_nudging_a_leaf_recomputes_the_forward_pass_as_python_does(tmp_path) -> None:
    o, leaves = neuron()
    page = draw_backward_steps(o, precision=6)
    o.backward()
    k = topological_order(o).index(leaves["w1"])
    delta = 0.125
    driver = f"""
var node = document.getElementById('n{k}');
node.dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
var input = document.querySelector('input.cr-delta');
input.value = '{delta}';
input.dispatchEvent(new Event('input', {{bubbles: true}}));
"""
    dom = dump_dom(page, tmp_path, driver=driver)
    result = next(a for a in by_attr(dom, "data-predicted"))
    moved = neuron_at(w1=-0.5 + delta)
    assert result["data-leaf"] == "w1" and float(result["data-delta"]) == delta
    assert close(float(result["data-new-output"]), moved.data)
    assert close(float(result["data-actual"]), moved.data - o.data)
    assert float(result["data-predicted"]) == leaves["w1"].grad * delta
    # every node shows its new value
    shown = {a["data-name"]: float(a["data-value"]) for a in by_attr(dom, "data-value") if "data-name" in a}
    new_values = {name: node.data for node, name in node_names(moved).items()}
    assert shown.keys() == new_values.keys()
    for name, value in new_values.items():
        assert close(shown[name], value), name


@needs_chromium
def test_nudging_is_off_for_ops_the_page_does_not_know(tmp_path) -> None:
    x = Value(2.0, label="x")
    y = Value(4.0, "", "square", (x,), (4.0,))  # made by hand: no formula recorded
    out = y * 3.0
    page = draw_backward_steps(out)
    assert explore(out).data["nudge"]["ok"] is False
    dom = dump_dom(page, tmp_path, "#node=x")
    assert "Nudging is off" in dom and "'square'" in dom
    delta = next(a for tag, a in elements(dom) if "cr-delta" in a.get("class", ""))
    assert "disabled" in delta


# -- the JavaScript op evaluator against autograd.ops.evaluate ------------------------------------------------


SAMPLES = [0.0, -0.0, 0.5, 1.5, -2.0, 3.0, -1.0, 1.0, 710.0, -800.0, 1e308, -1e-300, math.inf, -math.inf, math.nan]


def evaluator_cases() -> list[tuple[str, list[float], list[float]]]:
    from autograd import ops

    cases: list[tuple[str, list[float], list[float]]] = []
    for op in ops.TABLE:
        if op.arity == 2:
            cases += [(op.key, [a, b], []) for a in SAMPLES for b in SAMPLES]
        elif op.arity == 1 and op.n_consts:
            cases += [(op.key, [a], [c]) for a in SAMPLES for c in SAMPLES]
        elif op.arity == 1:
            cases += [(op.key, [a], []) for a in SAMPLES]
    lists = [[1.0, 2.0, 3.0], [0.5], [-1.0, 1e308, 1e308], [math.nan, 1.0], [1.0, math.nan], [-math.inf, -math.inf],
             [math.inf, 1.0], [1e-300, -2.5, 7.25, 0.1, 0.2, 0.3], [-0.0, 0.0]]
    for xs in lists:
        cases += [("sum", xs, [0.0]), ("sum", xs, [2.5]), ("max", xs, []), ("logsumexp", xs, [])]
    cases += [("dot", [1.0, 2.0, 3.0, 4.0], [0.5, 2.0]), ("dot", [1.0, 2.0, 3.0], [0.0, 1.0, -2.0]),
              ("dot", [1e308, 10.0], [0.0, 1.0]), ("dot", [2.0, 3.0], [1.0, 0.0, 0.5, 0.25])]
    return cases


def _to_text(x: float) -> str:
    return "nan" if x != x else ("inf" if x == math.inf else ("-inf" if x == -math.inf else repr(x)))


@needs_chromium
def test_the_javascript_evaluator_matches_python_for_every_op(tmp_path) -> None:
    from autograd import ops

    cases = evaluator_cases()
    assert {key for key, _, _ in cases} == set(ops.OPS)  # every op key is covered
    encoded = [[k, [_to_text(v) for v in vs], [_to_text(c) for c in cs]] for k, vs, cs in cases]
    payload = to_script_json({"table": ops.table_json(), "cases": encoded})
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<pre id="out"></pre>
<script type="application/json" id="cases">{payload}</script>
<script>{page_module.asset("explorer.js")}</script>
<script>
var input = JSON.parse(document.getElementById('cases').textContent);
var num = function (s) {{ return s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s); }};
var out = input.cases.map(function (c) {{
  try {{ return crExact(crEvalOp(input.table, c[0], c[1].map(num), c[2].map(num))); }}
  catch (e) {{ return 'error: ' + e.message; }}
}});
document.getElementById('out').textContent = JSON.stringify(out);
</script></body></html>"""
    (tmp_path / "eval.html").write_text(page, encoding="utf-8")
    from tests.autograd.chromium import run

    dom = run(["--dump-dom", (tmp_path / "eval.html").as_uri()]).stdout
    got = json.loads(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S).group(1))
    assert len(got) == len(cases)
    transcendental = {"exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "pow", "pow_c", "rpow_c", "logsumexp"}
    mismatches = []
    for (key, values, consts), text in zip(cases, got):
        want = ops.evaluate(key, values, consts)
        have = float(text)  # "nan", "inf", "-0" and plain numbers all read back
        if want != want:
            ok = have != have
        elif key in transcendental:  # libm and V8 may round the last bit differently
            ok = have == want or abs(have - want) <= 2 * math.ulp(want)
        else:
            ok = have == want and math.copysign(1.0, have) == math.copysign(1.0, want)
        if not ok:
            mismatches.append((key, values, consts, want, text))
    assert not mismatches, mismatches[:10]


@needs_chromium
def test_widget_module_renders_and_updates_in_place_in_the_browser(tmp_path) -> None:
    """The anywidget module, given a stand-in model: two widgets in one document, then a live update."""
    o, leaves = neuron()
    ex = explore(o)
    esm = page_module.asset("explorer.js") + "\n" + page_module.asset("widget.js")
    first = json.dumps(ex.data)
    leaves["w1"].data = 0.25
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    ex.update(o2)
    payload = to_script_json({"esm": esm, "svg": ex.svg, "first": first, "second": json.dumps(ex.data)})
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="a"></div><div id="b"></div>
<script type="application/json" id="payload">{payload}</script>
<script type="module">
const p = JSON.parse(document.getElementById('payload').textContent);
const mod = await import(URL.createObjectURL(new Blob([p.esm], {{type: 'text/javascript'}})));
function model(data) {{
  const values = {{svg: p.svg, data: data}}, handlers = {{}};
  return {{get: (k) => values[k], on: (ev, cb) => {{ handlers[ev] = cb; }},
           set: (k, v) => {{ values[k] = v; (handlers['change:' + k] || (() => {{}}))(); }}}};
}}
const ma = model(p.first), mb = model(p.first);
mod.default.render({{model: ma, el: document.getElementById('a')}});
mod.default.render({{model: mb, el: document.getElementById('b')}});
document.querySelector('#a button.cr-last').click();
document.querySelector('#b button.cr-last').click();
ma.set('data', p.second);
document.body.setAttribute('data-done', 'yes');
</script></body></html>"""
    from tests.autograd.chromium import run

    (tmp_path / "widget.html").write_text(page, encoding="utf-8")
    dom = run(["--dump-dom", (tmp_path / "widget.html").as_uri()]).stdout
    assert 'data-done="yes"' in dom
    ids = [a["id"] for _, a in elements(dom) if "id" in a]
    assert len(ids) == len(set(ids))  # two pictures, no id twice
    shown = [a for a in by_attr(dom, "data-grad") if "data-name" in a]
    a_grads = {a["data-name"]: float(a["data-grad"]) for a in shown if a["id"].startswith("crw1-")}
    b_grads = {a["data-name"]: float(a["data-grad"]) for a in shown if a["id"].startswith("crw2-")}
    o.backward()
    old_w1 = leaves["w1"].grad
    for leaf in leaves.values():
        leaf.grad = 0.0
    o2.backward()
    assert b_grads["w1"] == old_w1  # the untouched widget keeps the first numbers
    assert a_grads["w1"] == leaves["w1"].grad != old_w1  # the updated one shows the new pass, same layout
    values = {a["data-name"]: float(a["data-value"]) for a in by_attr(dom, "data-value")
              if a.get("id", "").startswith("crw1-")}
    assert values["o"] == o2.data and values["w1"] == 0.25


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to check the scripts' syntax")
def test_scripts_parse(tmp_path) -> None:
    import subprocess

    classic = tmp_path / "page.js"
    classic.write_text(page_module.page_script(), encoding="utf-8")
    module = tmp_path / "widget.mjs"
    module.write_text(page_module.asset("explorer.js") + "\n" + page_module.asset("widget.js"), encoding="utf-8")
    for path in (classic, module):
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
