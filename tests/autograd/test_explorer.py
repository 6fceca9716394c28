"""The explorer's page as Python writes it: its data, safety, files and widget (the browser: test_explorer_browser)."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, draw_backward_steps, explore, topological_order, total
from autograd.drawing import GraphTooLargeError
from autograd.drawing.explorer import page as page_module
from autograd.drawing.explorer.data import to_script_json
from autograd.drawing.explorer.tree import GRADIENT_FLOW, gradient_flow
from autograd.drawing.text import plain
from autograd.trace import node_names, trace_backward


def stepper_graph() -> tuple[Value, Value, Value]:
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    z = x * x + x * y
    z.label = "z"
    return z, x, y


def neuron() -> tuple[Value, dict[str, Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.75, label="w2"), Value(0.25, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def mlp_loss(sizes=(16, 16, 1), n_points: int = 4) -> Value:
    from nn import MLP

    model = MLP(2, list(sizes), seed=0)
    points = [([0.5, -1.0], 1.0), ([1.0, 0.2], -1.0), ([-0.3, 0.8], 1.0), ([0.0, -0.5], -1.0)] * 64
    loss = total([(model(x) - y) ** 2 for x, y in points[:n_points]])
    loss.label = "loss"
    return loss


def chain(n: int) -> Value:
    y = Value(0.3, label="x")
    for _ in range(n):
        y = (y * 0.9).tanh()
    y.label = "y"
    return y


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="cr-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def replay(data: dict) -> list[list[float]]:
    """The backward pass as the page replays it (values N-1 .. 0, parents in order): [k, i, up, contrib, after]."""
    n = len(data["n"])
    grads = [0.0] * n
    grads[data["root"]] = 1.0
    steps = []
    for k in range(n - 1, -1, -1):
        g = float(data["u"].get(str(k), grads[k]))
        for i, (q, local) in enumerate(zip(data["p"][k], data["l"][k])):
            contribution = local * g
            grads[q] = grads[q] + contribution
            steps.append([k, i, g, contribution, grads[q]])
    return steps


# -- the data --------------------------------------------------------------------------------------------


def test_the_replayed_backward_pass_is_trace_backward_bit_for_bit(tmp_path) -> None:
    for root in (stepper_graph()[0], neuron()[0], mlp_loss((3, 1), 2)):
        order = topological_order(root)
        data = explore(root).data
        assert data["n"] == list(node_names(root, order).values())
        steps = trace_backward(root)
        replayed = replay(data)
        assert len(replayed) == len(steps)
        for raw, step in zip(replayed, steps):
            assert order[raw[0]] is step.node and raw[1] == step.index
            assert raw[2:] == [step.upstream, step.contribution, step.parent_grad]


def test_hooks_are_replayed_from_the_recorded_upstream_gradient() -> None:
    x = Value(2.0, label="x")
    h = x * 3.0
    h.register_hook(lambda g: g * 10.0)
    y = h * h
    y.label = "y"
    data = explore(y).data
    assert x.grad == 0.0 and h.grad == 0.0  # the page's pass writes no .grad
    steps = trace_backward(y)
    assert [r[2:] for r in replay(data)] == [[s.upstream, s.contribution, s.parent_grad] for s in steps]


def test_writing_a_page_touches_no_grad_and_computes_the_order_once(tmp_path, monkeypatch) -> None:
    from autograd import graph

    o, leaves = neuron()
    o.backward()
    before = {k: v.grad for k, v in leaves.items()}
    calls = []
    real = graph._sort
    monkeypatch.setattr(graph, "_sort", lambda root: calls.append(root) or real(root))
    draw_backward_steps(o, tmp_path / "p.html")
    assert len(calls) == 1  # one topological sort for the whole page
    assert {k: v.grad for k, v in leaves.items()} == before


def test_draw_backward_steps_returns_the_path_not_the_page(tmp_path) -> None:
    z, _, _ = stepper_graph()
    out = draw_backward_steps(z, tmp_path / "steps.html")
    assert out == tmp_path / "steps.html" and isinstance(out, Path)
    assert "\n" not in repr(out) and len(repr(out)) < 200
    assert out.read_text(encoding="utf-8") == explore(z).html()
    with pytest.raises(TypeError, match=r"explore\(root\)\.html\(\)"):
        draw_backward_steps(z, None)
    with pytest.raises(TypeError, match="path"):
        draw_backward_steps(z)  # type: ignore[call-arg]


def test_a_page_needs_no_renderer_in_python(tmp_path, monkeypatch) -> None:
    """Issue #20: a plain install writes explorer pages (the layout runs in the page)."""
    from autograd.drawing import render

    def refuse(*args, **kwargs):
        raise render.RendererNotFoundError("no renderer here")

    monkeypatch.setattr(render, "render", refuse)
    monkeypatch.setattr(render, "wasm_renderer", refuse)
    o, _ = neuron()
    assert explore(o).save(tmp_path / "x.html").stat().st_size > 0


def test_page_is_self_contained_and_runs_only_its_own_script() -> None:
    z, _, _ = stepper_graph()
    page = explore(z).html()
    own = page_module.asset("explorer.js") + page_module.asset("page.js") + page_module.asset("explorer.html")
    for pattern in (r"<script[^>]*\bsrc=", r"<link\b", r"@import", r"url\(", r"""(?:src|href)=["']?(?:https?:)?//""",
                    r"\bon[a-z]+=", r"\beval\(", r"new Function", r"fetch\(", r"XMLHttpRequest", r"WebSocket"):
        assert not re.search(pattern, own), pattern
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts == [' type="application/json" id="cr-data"', ""]
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    rules = dict(rule.strip().split(" ", 1) for rule in csp.split(";"))
    assert rules["default-src"] == "'none'"  # no request of any kind: connect, img (but data:), font, frame
    assert rules["script-src"].startswith("'sha256-") and rules["script-src"].endswith("'wasm-unsafe-eval'")
    assert "unsafe-inline" not in rules["script-src"] and "'unsafe-eval'" not in rules["script-src"]


def test_the_vendored_graphviz_is_wrapped_and_ships_its_licence() -> None:
    script = page_module.graphviz_script()
    assert script.startswith("var crGraphviz = (function () {") and "export{" not in script[-2000:]
    assert "sourceMappingURL" not in script
    assert "Apache License" in page_module.asset("graphviz-wasm.LICENSE.txt")
    readme = page_module.asset("graphviz-wasm.README.md")
    assert "@hpcc-js/wasm-graphviz" in readme and "Eclipse Public\nLicense 1.0" in readme


def test_assets_are_package_files_and_the_data_cannot_close_its_script() -> None:
    for name in ("explorer.js", "explorer.css", "explorer.html", "page.js", "widget.js", "graphviz-wasm.js"):
        assert page_module.asset(name).strip()
    hostile = {"n": "</script><!--<script>", "x": "\u2028&"}
    text = to_script_json(hostile)
    assert "</" not in text and "<!--" not in text and "&" not in text
    assert json.loads(text) == hostile
    with pytest.raises(ValueError, match="to_script_json"):
        page_module.page_html("t", json.dumps(hostile))


def test_boxes_come_from_the_hierarchy_with_derivatives_and_gradient_sizes() -> None:
    loss = mlp_loss()
    ex = explore(loss)
    data = ex.data
    boxes = data["boxes"]
    assert boxes[0]["kind"] == "graph" and boxes[0]["parent"] == -1
    names = {b["name"] for b in boxes}
    assert {"example 0", "example 3", "MLP", "layer 0", "layer 1", "neuron 3"} <= names
    assert all(0 <= b < len(boxes) for b in data["box"]) and len(data["box"]) == len(data["n"])
    # preorder: a parent before its children
    assert all(b["parent"] < j for j, b in enumerate(boxes) if j)
    from autograd.hierarchy import hierarchy

    order = topological_order(loss)
    tree = hierarchy(loss, order=order)
    assert [(plain(b.name), b.count) for b in tree.walk()] == [(r["name"], r["count"]) for r in boxes]
    # module boxes carry the mean |dL/dw| of their parameters in this pass
    loss.backward()
    layer = next(b for b in tree.walk() if b.name == "layer 1" and b.module is not None)
    params = [p for p in layer.module.parameters()]
    row = next(r for r, b in zip(boxes, tree.walk()) if b is layer)
    assert row["np"] == len(params)
    assert math.isclose(row["gs"], math.fsum(abs(p.grad) for p in params) / len(params), rel_tol=1e-12)


def test_gradient_table_order_is_the_order_the_leaves_were_made() -> None:
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(x)
    data = explore(out).data
    order = topological_order(out)
    listed = [order[k] for k in data["t"]]
    params = model.parameters()
    assert [v for v in listed if v in set(params)] == params  # the model's own order
    assert set(listed) == {v for v in order if not v.parents}


def test_thresholds_are_nn_healths_and_can_be_passed() -> None:
    from nn import HealthThresholds

    default = HealthThresholds()
    assert GRADIENT_FLOW == {"vanishing": default.vanishing, "exploding": default.exploding}
    assert gradient_flow(HealthThresholds(vanishing=1e-4))["vanishing"] == 1e-4
    o, _ = neuron()
    assert explore(o, thresholds=HealthThresholds(exploding=50.0)).data["flow"]["exploding"] == 50.0
    with pytest.raises(ValueError, match="thresholds.vanishing"):
        explore(o, thresholds=type("T", (), {"vanishing": -1.0, "exploding": 2.0})())


def test_a_graph_whose_leaves_changed_is_flagged() -> None:
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = w * x
    y.label = "y"
    y.backward()
    assert explore(y).data["stale"] == ""
    w.data -= 0.5
    with pytest.warns(UserWarning, match=r"y = 4\.5, not 6"):
        data = explore(y).data
    assert "y = 4.5, not 6" in data["stale"]


def test_rounding_is_not_a_change_of_the_leaves() -> None:
    """The docs' RNN: the engine and the op table add a dot's terms in other orders (a few ulps apart)."""
    from docs.sitegen.gallery import rnn

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert explore(rnn()).data["stale"] == ""


@settings(max_examples=60)
@given(w=st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1e-6), x=st.floats(-1e3, 1e3).filter(lambda v: abs(v) > 1e-3),
       ulps=st.integers(1, 4), relative=st.floats(1e-9, 0.5))
def test_a_change_is_flagged_and_rounding_is_not(w: float, x: float, ulps: int, relative: float) -> None:
    wv, xv = Value(w, label="w"), Value(x, label="x")
    y = (wv * xv).tanh() + wv
    y.label = "y"
    y.backward()
    for _ in range(ulps):  # a few ulps: rounding
        wv.data = math.nextafter(wv.data, math.inf)
    assert explore(y).data["stale"] == ""
    wv.data = w * (1 + relative)  # a real change, however small against the shown digits
    with pytest.warns(UserWarning, match="the leaves changed"):
        assert "y = " in explore(y).data["stale"]


def test_a_change_past_the_shown_digits_is_named_with_all_of_them() -> None:
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = w * x
    y.label = "y"
    w.data = 2.000001
    with pytest.warns(UserWarning, match=r"y = 6\.000003, not 6\.0"):
        explore(y)


def test_large_graphs_give_pages_collapsed() -> None:
    # a deep chain: no refusal, nested chunks keep every level small
    y = chain(10_000)
    ex = explore(y)
    assert len(ex.data["n"]) == 20_001 and len(ex.data["boxes"]) > 10
    children: dict[int, int] = {}
    for b in ex.data["boxes"][1:]:
        children[b["parent"]] = children.get(b["parent"], 0) + 1
    direct = [0] * len(ex.data["boxes"])
    for b in ex.data["box"]:
        direct[b] += 1
    assert max(direct[j] + children.get(j, 0) for j in range(len(direct))) <= 64
    # an explicit step cap still works as before
    z, _, _ = stepper_graph()
    with pytest.raises(GraphTooLargeError, match="6 steps, more than max_steps=5"):
        draw_backward_steps(z, "unused.html", max_steps=5)
    with pytest.raises(TypeError, match="collapse"):
        explore(z, collapse=True)
    with pytest.raises(ValueError, match="max_nodes"):
        explore(z, max_nodes=5)


def test_page_size_grows_linearly() -> None:
    small, large = (len(explore(chain(n)).html()) for n in (300, 1200))
    script = len(page_module.page_script())
    assert (large - script) < 4.6 * (small - script)


def test_legend_lists_the_roles_present_and_can_be_left_out() -> None:
    o, _ = neuron()
    legend = [entry[0] for entry in explore(o, params=[]).data["legend"]]
    assert legend[:4] == ["input", "intermediate", "op", "output"]
    assert legend[-3:] == ["this step", "used steps", "paths of the selected value"]
    assert explore(o, legend=False).data["legend"] == []


def test_hostile_title_is_text() -> None:
    z, _, _ = stepper_graph()
    page = explore(z, title="</title><script>alert(1)</script>").html()
    assert "<script>alert(1)" not in page and "&lt;/title&gt;&lt;script&gt;" in page
    with pytest.raises(TypeError, match="title"):
        explore(z, title=3)


@settings(max_examples=25, deadline=None)
@given(label=st.text(max_size=12), op=st.text(max_size=8), title=st.text(max_size=12))
def test_any_label_op_or_title_gives_a_well_formed_page(label, op, title) -> None:
    x = Value(1.5, label=label)
    y = Value(3.0, "", op or "?", (x, x), (2.0, 0.5))
    page = explore(y, title=title).html()
    page.encode("utf-8")  # writable as UTF-8: no lone surrogate left
    data = page_data(page)  # the data script parses as JSON, so nothing closed it early
    names = data["n"]
    assert names[0] == (plain(label) or "v0") or names[0] == plain(label) + "#0"  # "v1" as a label repeats
    assert data["ops"][data["o"][-1]]["symbol"] == plain(op or "?")
    assert re.findall(r"<script([^>]*)>", page) == [' type="application/json" id="cr-data"', ""]


def test_bidirectional_controls_are_shown_by_name() -> None:
    x = Value(1.0, label="ab\u202ecd\u2066")
    data = explore(x * 2.0).data
    assert data["n"][0] == "ab\u27e8RLO\u27e9cd\u27e8LRI\u27e9"


# -- live updates and Jupyter --------------------------------------------------------------------------------


def test_update_keeps_the_shape_and_replaces_the_numbers() -> None:
    o, leaves = neuron()
    ex = explore(o)
    before = ex.data["v"][ex.data["root"]]
    leaves["w1"].data += 0.5
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fresh graph is not stale
        assert ex.update(o2) is ex
    assert ex.data["v"][ex.data["root"]] == o2.data != before
    with pytest.raises(ValueError, match="same shape"):
        ex.update(o2 * 2.0)


def test_repr_html_works_without_anywidget(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.setattr("autograd.drawing.explorer.session._WIDGET_CLASS", None)
    z, _, _ = stepper_graph()
    ex = explore(z)
    html_text = ex._repr_html_()
    assert html_text.startswith("<iframe") and 'sandbox="allow-scripts"' in html_text
    assert "cr-data" in html_text  # the page, escaped into srcdoc
    bundle = ex._repr_mimebundle_()
    assert bundle["text/html"] == html_text
    with pytest.raises(ImportError, match=r"chainrule\[widget\]"):
        ex.widget  # noqa: B018
    assert repr(ex) == "<Explorer of 'z': 5 values, 6 backward steps, 1 box>"


def test_widget_sends_the_script_once_and_data_on_update() -> None:
    pytest.importorskip("anywidget")
    o, leaves = neuron()
    ex = explore(o)
    w = ex.widget
    assert json.loads(w.data) == ex.data
    assert "crMount" in w._esm and "export default" in w._esm and "var crGraphviz" in w._esm
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in (bundle[0] if isinstance(bundle, tuple) else bundle)
    leaves["b"].data = 1.0
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    ex.update(o2)
    assert json.loads(w.data)["v"][-1] == o2.data


def test_explore_takes_draws_default_direction_and_refuses_others_by_name() -> None:
    """``draw``'s default ``rankdir="auto"`` is the explorer's own left to right; an unknown one is named."""
    x = Value(1.5, label="x")
    y = (x * x).tanh()
    y.backward()
    assert explore(y, rankdir="auto").data["rankdir"] == explore(y).data["rankdir"] == "LR"
    assert explore(y, rankdir="TB").data["rankdir"] == "TB"
    with pytest.raises(ValueError, match="'sideways'"):
        explore(y, rankdir="sideways")


def test_save_refuses_a_folder_name_a_fifo_and_a_folder_in_one_line(tmp_path) -> None:
    """'out/' wrote a file named 'out'; a FIFO blocked forever; each is a ValueError before any writing."""
    x = Value(2.0, label="x")
    y = x * x
    y.backward()
    ex = explore(y)
    with pytest.raises(ValueError, match="ending in / is a folder"):
        ex.save(str(tmp_path) + "/")
    with pytest.raises(ValueError, match="it is a folder"):
        ex.save(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.html"
        os.mkfifo(fifo)
        with pytest.raises(ValueError, match="not a regular file"):
            ex.save(fifo)
    assert ex.save(tmp_path / "page.html").read_text(encoding="utf-8").startswith("<!")
    with pytest.raises(ValueError, match=r"got 1000000000000.*\.\.\. \(int\)"):
        explore(y, max_nodes=10 ** 400)
