"""The explorer in headless Chromium, driven by Playwright: zoom levels, pan/zoom/follow, steps, paths, nudges."""

from __future__ import annotations

import json
import math
import re

import pytest

from autograd import Value, count_paths, explore, ops, topological_order, total
from autograd.drawing.explorer import page as page_module
from autograd.drawing.explorer.data import to_script_json
from autograd.trace import node_names, trace_backward
from tests.autograd.chromium import needs_playwright, open_page
from tests.autograd.test_explorer import chain, mlp_loss, neuron, stepper_graph

pytestmark = needs_playwright

# -- helpers run in the page ---------------------------------------------------------------------------------

SHOWN = """() => {
  const out = {};
  document.querySelectorAll('g.cr-value').forEach(g => {
    out[g.getAttribute('data-name')] = [g.getAttribute('data-value'), g.getAttribute('data-grad')];
  });
  return out;
}"""

# every text in the picture inside the viewport: its size on screen in CSS pixels
TEXT_SIZES = """() => {
  const view = document.querySelector('.cr-graph').getBoundingClientRect();
  const scale = parseFloat(document.querySelector('.cr-explorer').getAttribute('data-scale'));
  const sizes = [];
  document.querySelectorAll('.cr-graph svg text').forEach(t => {
    const r = t.getBoundingClientRect();
    if (r.right < view.left || r.left > view.right || r.bottom < view.top || r.top > view.bottom) return;
    sizes.push(parseFloat(t.getAttribute('font-size')) * scale);
  });
  return sizes;
}"""

IN_VIEW = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const v = document.querySelector('.cr-graph').getBoundingClientRect(), r = el.getBoundingClientRect();
  return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
}"""


# every drawn node of the picture (values, ops, boxes, proxies) wholly inside the viewport
ALL_IN_VIEW = """() => {
  const v = document.querySelector('.cr-graph').getBoundingClientRect();
  const out = [];
  document.querySelectorAll('.cr-graph g.node').forEach(g => {
    const r = g.getBoundingClientRect();
    if (r.left < v.left || r.right > v.right || r.top < v.top || r.bottom > v.bottom) out.push(g.id);
  });
  return out;
}"""

# texts wider than the shape they are written in (a node's outline), by id
OVERFLOWING = """() => {
  const out = [];
  document.querySelectorAll('.cr-graph g.node').forEach(g => {
    const shape = g.querySelector('polygon, path, ellipse');
    if (!shape) return;
    const s = shape.getBoundingClientRect();
    g.querySelectorAll('text').forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.left < s.left - 0.5 || r.right > s.right + 0.5) out.push(g.id + ': ' + t.textContent);
    });
  });
  return out;
}"""


def settle(page) -> None:
    """Wait until an animated move of the view has ended (the explorer marks it with data-moving)."""
    page.wait_for_function("() => !document.querySelector('.cr-explorer').hasAttribute('data-moving')", timeout=10000)


def click(page, selector: str) -> None:
    """Pan the picture so that the element is in view (as a user would), then click it."""
    page.evaluate("(s) => chainruleExplorer.show(document.querySelector(s))", selector)
    settle(page)
    page.click(selector)


def wait_view(page, old: str | None = None) -> None:
    """Wait until a new view (after expanding or collapsing) is on screen and the view has stopped moving."""
    page.wait_for_function("(old) => { const g = document.querySelector('.cr-graph');"
                           " return g && g.getAttribute('data-view') !== old; }", arg=old, timeout=30000)
    settle(page)


def view_key(page) -> str:
    return page.get_attribute(".cr-graph", "data-view")


# -- zoom levels ------------------------------------------------------------------------------------------------


def test_an_mlp_opens_collapsed_legible_and_expands_to_a_neuron(browser, tmp_path) -> None:
    loss = mlp_loss()
    ex = explore(loss)
    opened = open_page(browser, ex.html(), tmp_path)
    page = opened.page
    drawn = int(page.get_attribute(".cr-graph", "data-drawn"))
    assert drawn < len(ex.data["n"]) // 4  # collapsed
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes and min(sizes) >= 10, sorted(sizes)[:5]
    assert page.locator("g.cr-boxnode").count() > 0
    # expand "layer 1" of example 0 (its MLP first, if it is collapsed), then "neuron 3" in it
    boxes = ex.data["boxes"]

    def box_index(name: str, within: int) -> int:
        def inside(j: int) -> bool:
            while j >= 0:
                if j == within:
                    return True
                j = boxes[j]["parent"]
            return False
        return next(j for j, b in enumerate(boxes) if b["name"] == name and inside(j))

    example = box_index("example 0", 0)
    layer = box_index("layer 1", example)
    neuron_box = box_index("neuron 3", layer)
    for j in (example, boxes[layer]["parent"], layer, neuron_box):
        if page.locator(f'g.cr-boxnode[data-box="{j}"]').count():
            old = view_key(page)
            click(page, f'g.cr-boxnode[data-box="{j}"]')
            wait_view(page, old)
    assert page.locator(f'g.cr-cluster[data-box="{neuron_box}"]').count() == 1
    indices = page.eval_on_selector_all("g.cr-value", "els => els.map(e => e.getAttribute('data-index'))")
    shown = {int(k) for k in indices}
    in_neuron = {k for k, b in enumerate(ex.data["box"]) if b == neuron_box}
    assert in_neuron and in_neuron <= shown  # the neuron's scalar graph: its values and their ops
    assert all(page.locator(f"#n{k}op").count() == 1 for k in in_neuron if ex.data["p"][k])
    sizes = page.evaluate(TEXT_SIZES)
    assert min(sizes) >= 10
    # the breadcrumb names the way down, and collapses from it
    crumbs = page.eval_on_selector_all("button.cr-crumb", "els => els.map(e => e.textContent)")
    assert crumbs[0] == "graph"
    # collapse the neuron again from its cluster's name
    old = view_key(page)
    click(page, f'text.cr-collapse[data-box="{neuron_box}"]')
    wait_view(page, old)
    assert page.locator(f'g.cr-boxnode[data-box="{neuron_box}"]').count() == 1
    assert not opened.errors and not opened.requests


def test_boxes_expand_by_keyboard_and_the_breadcrumb_closes_what_was_opened(browser, tmp_path) -> None:
    """Away from the current step: the breadcrumb names the box just opened (not the step's), and closes it."""
    loss = mlp_loss()
    ex = explore(loss)
    boxes = ex.data["boxes"]
    example = next(j for j, b in enumerate(boxes) if b["name"] == "example 1" and b["parent"] == 0)
    model = next(j for j, b in enumerate(boxes) if b["parent"] == example and b["name"] == "MLP")
    opened = open_page(browser, ex.html(), tmp_path, "#step=30")  # a step inside example 0

    def crumbs() -> list[tuple[str, bool]]:
        return [tuple(c) for c in opened.page.eval_on_selector_all(
            "button.cr-crumb", "els => els.map(e => [e.textContent, !e.classList.contains('cr-closed')])")]

    page = opened.page
    assert crumbs()[1][0] == "example 0"
    for box in (example, model):  # the keyboard: a box in focus, Enter
        old = view_key(page)
        page.focus(f'g.cr-boxnode[data-box="{box}"]')
        page.keyboard.press("Enter")
        wait_view(page, old)
        assert page.locator(f'g.cr-cluster[data-box="{box}"]').count() == 1
    assert crumbs() == [("graph", True), ("example 1", True), ("MLP", True)]
    old = view_key(page)
    page.click(f'button.cr-crumb[data-box="{example}"]')  # closes example 1, and the MLP inside it
    wait_view(page, old)
    assert page.locator(f'g.cr-boxnode[data-box="{example}"]').count() == 1
    assert page.locator("g.cr-cluster").count() == 0
    assert crumbs() == [("graph", True), ("example 1", False)]  # closed: a click opens it again
    page.keyboard.press("ArrowRight")  # a step: the breadcrumb follows it again
    assert crumbs()[1] == ("example 0", False)
    assert not opened.errors


def test_a_neurons_whole_graph_is_in_view_after_fit_legible_and_inside_its_nodes(browser, tmp_path) -> None:
    from docs.sitegen.gallery import neuron as five_values_neuron

    for root in (neuron()[0], five_values_neuron()):
        opened = open_page(browser, explore(root).html(), tmp_path)
        page = opened.page
        assert page.evaluate(ALL_IN_VIEW) == []  # the output is not cut off at the right edge
        assert min(page.evaluate(TEXT_SIZES)) >= 10
        assert page.evaluate(OVERFLOWING) == []
        for _ in range(3):
            page.click("button.cr-zoomin")
        settle(page)
        assert page.evaluate(ALL_IN_VIEW) != []
        page.click("button.cr-fit")
        settle(page)
        assert page.evaluate(ALL_IN_VIEW) == []
        assert not opened.errors
        page.close()


def test_the_expanded_neuron_is_in_view_legible_with_its_parameters_beside_it(browser, tmp_path) -> None:
    loss = mlp_loss()
    ex = explore(loss)
    boxes = ex.data["boxes"]
    opened = open_page(browser, ex.html(), tmp_path)
    page = opened.page

    def child(name: str, parent: int) -> int:
        return next(j for j, b in enumerate(boxes) if b["name"] == name and b["parent"] == parent)

    example = child("example 0", 0)
    layer = child("layer 1", child("MLP", example))
    neuron_box = child("neuron 3", layer)
    params = child("parameters", 0)
    old = view_key(page)
    page.evaluate("(b) => chainruleExplorer.expand(b)", layer)
    wait_view(page, old)
    # the layer: sixteen neurons fed by one box; no sixteen equal labels, each edge's tooltip says its count
    labels = page.eval_on_selector_all(".cr-graph g.edge text", "els => els.map(e => e.textContent)")
    assert sum(t.endswith(" values") for t in labels) <= 2, labels
    titles = page.eval_on_selector_all(".cr-graph g.edge > title", "els => els.map(e => e.textContent)")
    assert sum("(16 values)" in t for t in titles) == 16, titles
    assert page.evaluate(OVERFLOWING) == []
    old = view_key(page)
    page.evaluate("(b) => chainruleExplorer.expand(b)", neuron_box)
    wait_view(page, old)
    cluster = f"#c{neuron_box}"
    assert page.evaluate(IN_VIEW, cluster)
    inside = """(sel) => { const c = document.querySelector(sel).getBoundingClientRect();
      const scale = parseFloat(document.querySelector('.cr-explorer').getAttribute('data-scale'));
      return Array.from(document.querySelectorAll('.cr-graph svg text')).filter(t => {
        const r = t.getBoundingClientRect();
        return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
      }).map(t => parseFloat(t.getAttribute('font-size')) * scale); }"""
    sizes = page.evaluate(inside, cluster)
    assert len(sizes) >= 8 and min(sizes) >= 10
    # the neuron's 17 parameters come from a proxy drawn inside the neuron, not from the far parameters box
    proxies = page.eval_on_selector_all(f'g.cr-proxy[data-within="{neuron_box}"]',
                                        "els => els.map(e => [e.getAttribute('data-source'), e.textContent])")
    assert len(proxies) == 1 and proxies[0][0] == str(params) and "17 parameters" in proxies[0][1]
    # clicking it lists them with their numbers, and changes no view and no value
    view, before = view_key(page), page.evaluate(SHOWN)
    click(page, f'g.cr-proxy[data-within="{neuron_box}"]')
    listed = page.inner_text(".cr-selinfo")
    assert "17 parameters of \u201cparameters \u203a layer 1 \u203a neuron 3\u201d" in listed
    assert listed.count("L1.N3.w") == 16 and "L1.N3.b" in listed
    assert view_key(page) == view and page.evaluate(SHOWN) == before
    assert page.locator("g.cr-proxy.cr-selected").count() == 1
    dot = page.evaluate("chainruleExplorer.dot()")
    targets = [int(m) for m in re.findall(rf"^b{params} -> b(\d+)", dot, re.M)]
    assert targets and all(boxes[t]["parent"] == 0 for t in targets)  # the parameters box feeds examples only
    assert not re.search(rf"^b{params} -> n", dot, re.M)
    # the other neurons of the layer are context: their name and their gradient, nothing more
    siblings = [j for j, b in enumerate(boxes) if b["parent"] == layer and j != neuron_box]
    for j in siblings:
        texts = page.eval_on_selector_all(f"#b{j} text", "els => els.map(e => e.textContent)")
        assert len(texts) == 2 and texts[1].startswith("grad"), texts
    assert page.evaluate(OVERFLOWING) == []
    assert not opened.errors


def test_the_view_glides_to_where_it_goes_and_not_with_reduced_motion(browser, tmp_path) -> None:
    opened = open_page(browser, explore(neuron()[0]).html(), tmp_path)
    page = opened.page
    for _ in range(4):
        page.click("button.cr-zoomin")
    settle(page)
    frames = page.evaluate("""() => new Promise(done => {
      const canvas = document.querySelector('.cr-canvas'), root = document.querySelector('.cr-explorer');
      const seen = [];
      document.querySelector('button.cr-fit').click();
      (function look() {
        seen.push(canvas.style.transform);
        if (root.hasAttribute('data-moving')) requestAnimationFrame(look); else done(seen);
      })();
    })""")
    assert len(set(frames)) >= 4, frames  # several frames in between: a move, not a jump
    assert page.evaluate(ALL_IN_VIEW) == []
    page.emulate_media(reduced_motion="reduce")
    page.click("button.cr-zoomin")
    assert page.get_attribute(".cr-explorer", "data-moving") is None
    assert not opened.errors


def test_stepping_through_a_picture_in_view_never_moves_it(browser, tmp_path) -> None:
    o, _ = neuron()
    opened = open_page(browser, explore(o).html(), tmp_path)
    page = opened.page
    view = page.evaluate("JSON.stringify(chainruleExplorer.state.view)")
    for _ in range(int(page.get_attribute("input.cr-slider", "max"))):
        page.click("button.cr-next")
        assert page.evaluate("JSON.stringify(chainruleExplorer.state.view)") == view
    click(page, "#n0")
    assert page.evaluate("JSON.stringify(chainruleExplorer.state.view)") == view


def test_large_views_open_legible_with_the_output_in_view_and_text_inside_nodes(browser, tmp_path) -> None:
    from docs.sitegen import gallery

    for build in (gallery.micrograd_example, gallery.cnn, gallery.rnn, mlp_loss):
        root = build()
        opened = open_page(browser, explore(root).html(), tmp_path)
        page = opened.page
        k = topological_order(root).index(root)
        assert page.evaluate(IN_VIEW, f"#n{k}"), build.__name__
        assert min(page.evaluate(TEXT_SIZES)) >= 10, build.__name__
        assert page.evaluate(OVERFLOWING) == [], build.__name__
        assert not opened.errors
        page.close()


def test_a_graph_opens_on_its_named_parts_unless_small_and_chunks_open_whole(browser, tmp_path) -> None:
    from docs.sitegen import gallery

    opened = open_page(browser, explore(gallery.cnn()).html(), tmp_path)  # 119 values in 5 named parts
    names = opened.page.eval_on_selector_all("g.cr-boxnode", "els => els.map(e => e.getAttribute('data-name'))")
    assert names == ["image", "conv", "relu", "pool", "layer"]
    opened.page.close()
    y = chain(60)  # 121 values in chunks of 32: chunks only bound a layout, so the chain opens whole
    opened = open_page(browser, explore(y).html(), tmp_path)
    assert opened.page.locator("g.cr-boxnode").count() == 0 and opened.page.locator("g.cr-value").count() == 121
    opened.page.close()
    o = neuron()[0]
    opened = open_page(browser, explore(o).html(), tmp_path)  # small: whole
    assert opened.page.locator("g.cr-value").count() == len(topological_order(o))


def test_in_a_narrow_column_the_picture_takes_the_width_and_the_panels_go_below(browser, tmp_path) -> None:
    """A page in a small window, or the widget in a notebook's column (the explorer's own width decides)."""
    path = tmp_path / "narrow.html"
    o = neuron()[0]
    path.write_text(explore(o).html(), encoding="utf-8")
    page = browser.new_page(viewport={"width": 800, "height": 700})
    page.goto(path.as_uri())
    page.wait_for_selector(".cr-explorer[data-ready=yes]", timeout=30000)
    explorer, graph, side = (page.evaluate(f"document.querySelector('{sel}').getBoundingClientRect().toJSON()")
                             for sel in (".cr-explorer", ".cr-graph", ".cr-side"))
    assert graph["width"] >= 0.95 * explorer["width"]
    assert side["top"] >= graph["bottom"]
    assert page.evaluate(IN_VIEW, f"#n{topological_order(o).index(o)}") and min(page.evaluate(TEXT_SIZES)) >= 10
    page.close()


def test_box_inputs_outputs_and_derivatives_are_the_hierarchys(browser, tmp_path) -> None:
    """The page computes what autograd.hierarchy does: inputs, outputs, d output / d input (bit for bit)."""
    from autograd.hierarchy import box_derivatives, hierarchy

    loss = mlp_loss((4, 4, 1), 3)
    order = topological_order(loss)
    index = {v: k for k, v in enumerate(order)}
    opened = open_page(browser, explore(loss).html(), tmp_path)
    checked = 0
    for b, box in list(enumerate(hierarchy(loss, order=order).walk()))[1:]:  # the boxes inside the graph
        info = opened.page.evaluate("(b) => chainruleExplorer.boxInfo(b)", b)
        assert set(info["in"]) == {index[v] for v in box.inputs}, box.name
        assert info["out"] == [index[v] for v in box.outputs], box.name
        if len(box.outputs) == 1 and b > 0:
            derivs = box_derivatives(box)
            assert {int(k): v for k, v in info["d"].items()} == {index[v]: d for v, d in derivs.items()}, box.name
            checked += 1
    assert checked > 5


def test_every_sampled_step_is_in_the_viewport_at_every_level(browser, tmp_path) -> None:
    loss = mlp_loss()
    opened = open_page(browser, explore(loss).html(), tmp_path)
    page = opened.page
    n = int(page.get_attribute("input.cr-slider", "max"))
    for step in [1, 2, 3, 40, 200, n // 3, n // 2, n - 300, n - 2, n]:
        page.evaluate("(s) => { const el = document.querySelector('input.cr-slider'); el.value = s;"
                      " el.dispatchEvent(new Event('input', {bubbles: true})); }", step)
        settle(page)
        assert page.get_attribute("body", "data-step") == str(step)
        assert page.locator(".cr-graph .cr-current").count() >= 1, step
        assert page.evaluate(IN_VIEW, ".cr-graph .cr-current"), step
        sizes = page.evaluate(TEXT_SIZES)
        assert min(sizes) >= 10


def test_a_shared_weights_step_across_an_unrolled_rnn_shows_the_box_it_enters(browser, tmp_path) -> None:
    """An edge from the RNN's weights to its 8th step is wider than the window at a legible scale: the view
    shows the box it enters, highlighted with it (the caption names that box)."""
    from nn import RNN

    model = RNN(1, 4, seed=0)
    states = model([[float(k % 2)] for k in range(8)])
    loss = total(states[-1]) ** 2
    loss.label = "loss"
    opened = open_page(browser, explore(loss).html(), tmp_path)
    page = opened.page
    n = int(page.get_attribute("input.cr-slider", "max"))
    for step in [1, 5, 12, 14, 16, 49, 53, 69, n // 2, n]:
        page.evaluate("(s) => chainruleExplorer.showStep(s)", step)
        settle(page)
        current = page.eval_on_selector_all(".cr-graph .cr-current", "els => els.map(e => '#' + e.id)")
        assert current, step
        seen = [sel for sel in current if page.evaluate(IN_VIEW, sel)]
        assert seen, (step, current)
        caption = page.inner_text(".cr-caption")
        boxes = [sel for sel in current if page.get_attribute(sel, "class").count("cr-boxnode")]
        for sel in boxes:  # a highlighted box is the one the caption names
            assert f"\u201c{page.get_attribute(sel, 'data-name')}\u201d" in caption, (step, caption)
        assert min(page.evaluate(TEXT_SIZES)) >= 10
    assert not opened.errors


def test_selection_changes_no_value_and_the_url_follows(browser, tmp_path) -> None:
    o, leaves = neuron()
    opened = open_page(browser, explore(o, precision=6).html(), tmp_path)
    page = opened.page
    page.click("button.cr-next")
    page.click("button.cr-next")
    before = page.evaluate(SHOWN)
    k = topological_order(o).index(leaves["w1"])
    click(page, f"#n{k}")
    assert page.evaluate(SHOWN) == before  # selecting never nudges
    assert page.evaluate("location.hash") == "#step=2&node=w1"
    assert page.get_attribute(".cr-nudgeresult", "data-leaf") is None
    assert page.locator("g.cr-selected").count() == 1
    # the op node shows its formulas
    op = topological_order(o).index(o)
    click(page, f"#n{op}op")
    info = page.inner_text(".cr-selinfo")
    assert "tanh(a)" in info and "1 - out * out" in info
    assert page.evaluate("location.hash") == "#step=2&node=o"


def test_step_captions_show_formulas_with_numbers_and_accumulation(browser, tmp_path) -> None:
    x = Value(0.5, label="x")
    a = x * 2.0
    a.label = "a"
    t = a.tanh()
    t.label = "t"
    y = t * x  # x feeds two ops: its gradient is a sum
    y.label = "y"
    opened = open_page(browser, explore(y).html(), tmp_path, "#step=3")  # t = tanh(a): steps y->t, y->x, t->a
    caption = opened.page.inner_text(".cr-caption")
    assert "d tanh(a)/da = 1 - out * out = 1 - " in caption and f"= {format(1 - t.data ** 2, '.4g')}" in caption
    opened.page.keyboard.press("End")
    caption = opened.page.inner_text(".cr-caption")
    assert "x.grad = " in caption and "(so far)" in caption and "x feeds 2 edges" in caption


def test_step_n_shows_the_gradients_accumulated_so_far(browser, tmp_path) -> None:
    o, leaves = neuron()
    steps = trace_backward(o)
    names = steps.names
    html = explore(o, precision=6).html()
    for n in (0, 3, len(steps)):
        opened = open_page(browser, html, tmp_path, f"#step={n}")
        shown = {name: grad for name, (_, grad) in opened.page.evaluate(SHOWN).items()}
        expected = {names[o]: 1.0}
        for s in steps[:n]:
            expected[names[s.parent]] = s.parent_grad
        for name, text in shown.items():
            if name in expected:
                assert float(text) == expected[name], (n, name)
            else:
                assert text == "?", (n, name)
        opened.page.close()


def test_bad_links_say_so(browser, tmp_path) -> None:
    z, _, _ = stepper_graph()
    html = explore(z).html()
    for fragment, said in (("#step=99", "no step \"99\""), ("#node=nope", "no value named \"nope\""),
                           ("#zoom=3", "unknown part")):
        opened = open_page(browser, html, tmp_path, fragment)
        assert said in opened.page.inner_text(".cr-status")
        assert opened.page.get_attribute(".cr-explorer", "data-hash-problem") == "yes"
        opened.page.close()


def test_the_page_flags_a_graph_whose_leaves_changed(browser, tmp_path) -> None:
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = w * x
    y.label = "y"
    y.backward()
    w.data -= 0.5
    with pytest.warns(UserWarning):
        html = explore(y).html()
    opened = open_page(browser, html, tmp_path)
    assert opened.page.get_attribute(".cr-explorer", "data-stale") == "yes"
    assert "y = 4.5, not 6" in opened.page.inner_text(".cr-stale")
    opened.page.close()
    w.data = 2.000001  # past the shown digits: the page names all of them
    with pytest.warns(UserWarning):
        html = explore(y).html()
    opened = open_page(browser, html, tmp_path)
    assert "y = 6.000003, not 6" in opened.page.inner_text(".cr-stale")


def test_the_page_does_not_flag_rounding(browser, tmp_path) -> None:
    """The page's forward pass adds a dot's terms in the table's order, not the engine's: a few ulps apart."""
    from docs.sitegen.gallery import rnn

    loss = rnn()
    ex = explore(loss)
    order = topological_order(loss)
    page_forward = {}  # as the page recomputes it (the op table's order), against the engine's numbers
    for node in order:
        op = ops.op_of(node)
        page_forward[node] = node.data if op is None else ops.evaluate(
            op.key, [page_forward[p] for p in node.parents], ops.constants(node))
    assert any(page_forward[n] != n.data for n in order)  # the case this test is about
    opened = open_page(browser, ex.html(), tmp_path)
    assert ex.data["stale"] == "" and opened.page.get_attribute(".cr-explorer", "data-stale") == "no"
    assert opened.page.inner_text(".cr-stale") == ""


def test_node_link_lists_paths_whose_products_sum_to_the_gradient(browser, tmp_path) -> None:
    x = Value(0.9, label="x")
    y = x
    for _ in range(6):
        y = y.tanh() * y.sin()
    opened = open_page(browser, explore(y).html(), tmp_path, "#node=x")
    page = opened.page
    y.backward()
    assert int(page.get_attribute(".cr-pathbox", "data-count")) == count_paths(y, x) == 64
    products = page.eval_on_selector_all("[data-product]", "els => els.map(e => +e.getAttribute('data-product'))")
    assert len(products) == 20 and "and 44 more paths" in page.inner_text(".cr-pathsum")
    assert math.isclose(float(page.get_attribute("[data-sum]", "data-sum")), x.grad, rel_tol=1e-12)


def test_nudging_is_explicit_and_recomputes_the_forward_pass_as_python_does(browser, tmp_path) -> None:
    o, leaves = neuron()
    opened = open_page(browser, explore(o, precision=6).html(), tmp_path)
    page = opened.page
    o.backward()
    k = topological_order(o).index(leaves["w1"])
    click(page, f"#n{k}")
    page.fill("input.cr-delta", "0.125")
    assert page.get_attribute(".cr-explorer", "data-nudged") is None
    page.click("button.cr-apply")
    result = page.locator(".cr-nudgeresult")
    values = {kk: v.data for kk, v in leaves.items()}
    values["w1"] += 0.125
    v = {kk: Value(x, label=kk) for kk, x in values.items()}
    moved = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
    moved.label = "o"
    assert result.get_attribute("data-leaf") == "w1"
    assert float(result.get_attribute("data-new-output")) == pytest.approx(moved.data, rel=1e-14)
    assert float(result.get_attribute("data-predicted")) == leaves["w1"].grad * 0.125
    shown = {name: float(value) for name, (value, _) in page.evaluate(SHOWN).items()}
    for node, name in node_names(moved).items():
        assert shown[name] == pytest.approx(node.data, rel=1e-14), name
    # the gradient table shows the same (nudged) numbers as the picture
    row = page.locator(f'.cr-grads tr[data-index="{k}"] td').nth(2)
    assert float(row.inner_text()) == pytest.approx(-0.375)
    page.click("button.cr-reset")
    assert page.get_attribute(".cr-explorer", "data-nudged") is None


def test_near_a_minimum_the_nudge_panel_says_first_order_no_longer_dominates(browser, tmp_path) -> None:
    w = Value(1e-4, label="w")
    loss = (w - 0.0) ** 2
    loss.label = "loss"
    opened = open_page(browser, explore(loss).html(), tmp_path, "#node=w")
    opened.page.fill("input.cr-delta", "0.1")
    opened.page.click("button.cr-apply")
    assert opened.page.get_attribute(".cr-nudgeresult", "data-first-order") == "no"
    assert "no longer dominates" in opened.page.inner_text(".cr-nudgeresult")


def test_gradient_table_sorts(browser, tmp_path) -> None:
    o, leaves = neuron()
    opened = open_page(browser, explore(o).html(), tmp_path, "#step=end")
    page = opened.page

    def names() -> list[str]:
        return page.eval_on_selector_all(".cr-grads td.cr-name", "els => els.map(e => e.textContent)")

    assert names() == ["x1", "w1", "x2", "w2", "b", "o"]  # the order the expression uses them
    page.click('button.cr-sort[data-sort="abs"]')
    o.backward()
    grads = {**{k: abs(v.grad) for k, v in leaves.items()}, "o": 1.0}
    assert names() == sorted(grads, key=lambda k: -grads[k])
    page.click('button.cr-sort[data-sort="name"]')
    assert names() == sorted(names())


HOSTILE = [
    '<img src=x onerror="document.body.setAttribute(\'data-pwned\', 1)">',
    "</script><script>document.body.setAttribute('data-pwned', 2)</script>",
    "javascript:document.body.setAttribute('data-pwned',3)",
    '<a href="javascript:alert(1)">x</a>',
    "<!--", "\\", '"', "\x00\x01\ud800", "{{x}}", "a\u202eb\n",
    "<svg onload=\"document.body.setAttribute('data-pwned', 4)\">",
]


def test_hostile_labels_and_op_names_stay_text(browser, tmp_path) -> None:
    from autograd import scope

    leaves = [Value(float(k + 1), label=h) for k, h in enumerate(HOSTILE)]
    with scope(HOSTILE[0]):
        made = [Value(v.data * 2, "", h, (v,), (2.0,)) for v, h in zip(leaves, HOSTILE)]
    for v, h in zip(made, HOSTILE):
        v.label = h + "!"
    out = total(made)
    out.label = HOSTILE[1]
    html = explore(out, title=HOSTILE[0]).html()
    # without the Content-Security-Policy: escaping alone must keep every string text
    html = html.replace(html[html.index('<meta http-equiv="Content-Security-Policy"'):].split(">", 1)[0] + ">", "")
    opened = open_page(browser, html, tmp_path, "#step=end&node=" + "%3Cimg")
    page = opened.page
    assert page.evaluate("document.body.hasAttribute('data-pwned')") is False
    tags = page.evaluate("Array.from(document.querySelectorAll('*')).map(e => e.localName)")
    assert not set(tags) & {"img", "a", "iframe", "object", "embed", "foreignObject"}
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    bad = page.evaluate("""Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)
        .filter(a => a.name.startsWith('on') || /href|src|action/.test(a.name))
        .map(a => e.localName + ' ' + a.name))""")
    assert bad == []
    texts = page.evaluate("Array.from(document.querySelectorAll('g.cr-value title')).map(t => t.textContent)")
    assert any("\u27e8RLO\u27e9" in t for t in texts)  # a bidi override is shown, not applied
    assert not opened.errors


def test_a_deep_chain_gives_a_page_that_opens_collapsed(browser, tmp_path) -> None:
    y = chain(5000)  # 10,001 values: Graphviz in WebAssembly overflows its stack above ~2,000 in one layout
    opened = open_page(browser, explore(y).html(), tmp_path, "#step=end")
    page = opened.page
    assert int(page.get_attribute(".cr-graph", "data-drawn")) < 100
    assert page.evaluate(IN_VIEW, ".cr-graph .cr-current")
    assert min(page.evaluate(TEXT_SIZES)) >= 10
    assert page.evaluate(OVERFLOWING) == []
    assert not opened.errors


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


def test_the_javascript_evaluator_matches_python_for_every_op(browser, tmp_path) -> None:
    from autograd import ops

    cases = evaluator_cases()
    assert {key for key, _, _ in cases} == set(ops.OPS)  # every op key is covered
    encoded = [[k, [_to_text(v) for v in vs], [_to_text(c) for c in cs]] for k, vs, cs in cases]
    payload = to_script_json({"table": ops.table_json(), "cases": encoded})
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<script type="application/json" id="cases">{payload}</script>
<script>{page_module.asset("explorer.js")}</script></body></html>"""
    opened = open_page(browser, html, tmp_path, name="eval", ready="")
    got = opened.page.evaluate("""() => {
      const input = JSON.parse(document.getElementById('cases').textContent);
      const num = s => s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
      return input.cases.map(c => { try { return crExact(crEvalOp(input.table, c[0], c[1].map(num), c[2].map(num))); }
                                    catch (e) { return 'error: ' + e.message; } });
    }""")
    transcendental = {"exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "pow", "pow_c", "rpow_c", "logsumexp"}
    mismatches = []
    for (key, values, consts), text in zip(cases, got):
        want = ops.evaluate(key, values, consts)
        have = float(text)
        if want != want:
            ok = have != have
        elif key in transcendental:  # libm and V8 may round the last bit differently
            ok = have == want or abs(have - want) <= 2 * math.ulp(want)
        else:
            ok = have == want and math.copysign(1.0, have) == math.copysign(1.0, want)
        if not ok:
            mismatches.append((key, values, consts, want, text))
    assert not mismatches, mismatches[:10]


def test_widget_module_renders_and_updates_in_place(browser, tmp_path) -> None:
    """The anywidget module, given a stand-in model: two widgets in one document, then a live update."""
    o, leaves = neuron()
    ex = explore(o, title="live <b>title</b>")
    esm = page_module.graphviz_script() + page_module.asset("explorer.js") + "\n" + page_module.asset("widget.js")
    first = json.dumps(ex.data)
    leaves["w1"].data = 0.25
    o2 = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o2.label = "o"
    ex.update(o2)
    payload = to_script_json({"esm": esm, "first": first, "second": json.dumps(ex.data)})
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="a"></div><div id="b"></div>
<script type="application/json" id="payload">{payload}</script>
<script type="module">
const p = JSON.parse(document.getElementById('payload').textContent);
const mod = await import(URL.createObjectURL(new Blob([p.esm], {{type: 'text/javascript'}})));
function model(data) {{
  const values = {{data: data}}, handlers = {{}};
  return {{get: (k) => values[k], on: (ev, cb) => {{ handlers[ev] = cb; }},
           set: (k, v) => {{ values[k] = v; (handlers['change:' + k] || (() => {{}}))(); }}}};
}}
window.ma = model(p.first); window.mb = model(p.first); window.second = p.second;
mod.default.render({{model: ma, el: document.getElementById('a')}});
mod.default.render({{model: mb, el: document.getElementById('b')}});
</script></body></html>"""
    opened = open_page(browser, html, tmp_path, name="widget", ready="")
    page = opened.page
    page.wait_for_function("document.querySelectorAll('.cr-explorer[data-ready=yes]').length === 2", timeout=30000)
    assert page.inner_text("#a h1.cr-title") == "live <b>title</b>"  # the widget shows its title, as text
    page.click("#a button.cr-last")
    page.click("#b button.cr-last")
    page.evaluate("ma.set('data', second)")
    ids = page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)")
    assert len(ids) == len(set(ids))  # two pictures, no id twice

    def grads(widget: str) -> dict[str, float]:
        return page.evaluate(f"""() => Object.fromEntries(Array.from(document.querySelectorAll('{widget} g.cr-value'))
            .map(g => [g.getAttribute('data-name'), +g.getAttribute('data-grad')]))""")

    o.backward()
    old_w1 = leaves["w1"].grad
    for leaf in leaves.values():
        leaf.grad = 0.0
    o2.backward()
    assert grads("#b")["w1"] == old_w1  # the untouched widget keeps the first numbers
    assert grads("#a")["w1"] == leaves["w1"].grad != old_w1  # the updated one shows the new pass, same layout
    assert page.get_attribute("#a .cr-explorer", "data-layouts") == "1"
    assert not opened.errors
