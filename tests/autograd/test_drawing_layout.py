"""Pictures that read in a column: stacked records, rankdir="auto", labels that never touch (#19 item 7).

Sizes are measured on real SVG (the WebAssembly Graphviz when no system
``dot``): an SVG's width is in points, shown at 4/3 px each; a picture wider
than a column is scaled down to it, its text with it.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from autograd import Value, draw, total
from autograd.drawing import layout
from autograd.drawing.build import choose_rankdir
from tests.autograd.test_drawing import parse_dot, record_fields, value_records
from tests.autograd.test_drawing_render import readme_mlp_loss

SVG = "{http://www.w3.org/2000/svg}"
COLUMN = 880  # px


def size_px(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    w, h = (float(root.get(k).removesuffix("pt")) * 4 / 3 for k in ("width", "height"))
    return w, h


def text_px_in_column(svg: str) -> float:
    """The smallest text's height in px (font size) once the picture is shown at most COLUMN px wide."""
    w, _ = size_px(svg)
    assert re.search(r'transform="scale\(1 1\)', svg)  # laid out at its natural size
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return min(sizes) * 4 / 3 * min(1.0, COLUMN / w)


def texts(svg: str) -> list[tuple[str, str, float, float, float]]:
    """(group id, text, x, y, font size) of every text in the SVG's node and edge groups."""
    out = []
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") in ("node", "edge"):
            for t in g.iter(SVG + "text"):
                out.append((g.get("id", ""), t.text or "", float(t.get("x")), float(t.get("y")),
                            float(t.get("font-size"))))
    return out


def neuron() -> tuple[Value, Value]:
    """The README's neuron: o = tanh(x1*w1 + x2*w2 + b), every value labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.75, label="w2"), Value(0.25, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = total([x1w1, x2w2, b])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, x1


def chain(depth: int) -> Value:
    y = Value(0.5, label="x")
    for i in range(depth):
        y = (y * Value(0.9, label=f"w{i}")).tanh()
    y.backward()
    return y


def dot_product(n: int) -> Value:
    y = total([Value(0.1 * i, label=f"x{i}") * Value(0.2, label=f"w{i}") for i in range(n)])
    y.backward()
    return y


def rankdir_of(source: str) -> str:
    found = re.search(r"rankdir=(\w+)", source)
    assert found
    return found.group(1)


# -- the pictures people look at -------------------------------------------------------------


def test_a_neuron_with_its_highlighted_path_fits_a_column_at_its_natural_size() -> None:
    o, x1 = neuron()
    svg = draw(o, highlight=x1).svg()
    w, h = size_px(svg)
    assert w <= COLUMN and h <= 2000, (w, h)
    assert text_px_in_column(svg) >= 13  # 10-point edge labels, unscaled


@pytest.mark.parametrize("points", [2, 4, 8])
def test_the_readme_mlp_collapsed_has_text_of_10_px_in_a_column(points) -> None:
    svg = draw(readme_mlp_loss(points)).svg()
    assert max(size_px(svg)) <= 2000
    assert text_px_in_column(svg) >= 10


def test_one_example_of_the_readme_mlp_opened_to_its_layers_reads_in_a_column() -> None:
    svg = draw(readme_mlp_loss(4), expand="example 0/MLP").svg()
    assert max(size_px(svg)) <= 2000
    assert text_px_in_column(svg) >= 10
    assert all(f">layer {i}<" in svg for i in range(3))


# -- rankdir="auto" -----------------------------------------------------------------------------


def test_auto_lays_a_deep_chain_top_to_bottom_and_a_wide_sum_left_to_right() -> None:
    deep = draw(chain(12))
    assert rankdir_of(deep.source) == "TB"
    assert size_px(deep.svg())[0] <= COLUMN  # a straight column: the chain does not drift at each op
    wide = draw(dot_product(12))
    assert rankdir_of(wide.source) == "LR"
    assert size_px(wide.svg())[0] <= COLUMN


def test_auto_keeps_left_to_right_when_it_fits() -> None:
    x, y = Value(3.0, label="x"), Value(2.0, label="y")
    z = x * y + 1
    z.backward()
    assert rankdir_of(draw(z).source) == "LR"
    o, _ = neuron()
    assert rankdir_of(draw(o).source) == "TB"  # seven ranks in a row do not fit 880 px; five leaves do
    assert rankdir_of(draw(o, column=1600).source) == "LR"  # a wider column takes the row


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_an_explicit_rankdir_is_kept(rankdir) -> None:
    o, _ = neuron()
    assert rankdir_of(draw(o, rankdir=rankdir).source) == rankdir


@pytest.mark.parametrize("bad", [0, 99, 880.0, "880", True, None])
def test_column_must_be_a_number_of_px(bad) -> None:
    o, _ = neuron()
    with pytest.raises(ValueError, match="column"):
        draw(o, column=bad)


@pytest.mark.parametrize("make", [lambda: neuron()[0], lambda: chain(6), lambda: dot_product(6),
                                  lambda: readme_mlp_loss(4)], ids=["neuron", "chain", "dot", "mlp"])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_the_estimate_is_near_the_real_layout(make, rankdir, monkeypatch) -> None:
    """Within 30% on the width: enough to choose a direction (the choice compares widths of a few x)."""
    import autograd.drawing.build as build

    captured = {}

    def spy(shape, column):
        captured["shape"] = shape
        return "LR"

    monkeypatch.setattr(build, "choose_rankdir", spy)
    draw(make())
    monkeypatch.undo()
    est_w, _ = (v * 4 / 3 for v in layout.estimate(captured["shape"], rankdir))
    real_w, _ = size_px(draw(make(), rankdir=rankdir).svg())
    assert 0.7 * real_w <= est_w <= 1.3 * real_w, (est_w, real_w)


def test_choose_rankdir_prefers_what_fits() -> None:
    shape = layout.Shape()
    for k in range(3):  # a row of three records into one op
        shape.record(f"n{k}", ["name", "data 1", "grad 1"], 11)
        shape.edge(f"n{k}", "op", "1", 10)
    shape.ellipse("op", "+", 10)
    assert choose_rankdir(shape, 880) == "LR"
    for k in range(3, 40):  # a long chain after it
        shape.record(f"n{k}", ["name", "data 1", "grad 1"], 11)
        shape.edge("op" if k == 3 else f"n{k - 1}", f"n{k}", "1", 10)
    assert choose_rankdir(shape, 880) == "TB"


# -- records and labels ----------------------------------------------------------------------


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_a_values_name_data_and_grad_are_stacked_in_every_direction(rankdir) -> None:
    o, _ = neuron()
    svg = draw(o, rankdir=rankdir).svg()
    by_node: dict[str, list[tuple[str, float, float]]] = {}
    for gid, s, x, y, _ in texts(svg):
        if re.fullmatch(r"n\d+", gid):
            by_node.setdefault(gid, []).append((s, x, y))
    assert by_node
    for lines in by_node.values():
        assert [s.split(" ")[0] for s, _, _ in lines][1:] == ["data", "grad"]
        xs, ys = {round(x) for _, x, _ in lines}, [y for _, _, y in lines]
        assert len(xs) == 1 and ys == sorted(ys) and len(set(ys)) == 3  # one column, top to bottom


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_hostile_names_stay_one_field_when_stacked(rankdir) -> None:
    x = Value(1.0, label="a} | {b\\")
    y = x * 2
    y.label = "<c>|{d}"
    y.backward()
    names = {record_fields(a["label"])[0] for a in value_records(draw(y, rankdir=rankdir).source).values()}
    assert {"a} | {b\\", "<c>|{d}"} <= names


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_labels_of_parallel_edges_do_not_touch(rankdir) -> None:
    """x * x draws two edges from x into one op; Graphviz would put their labels side by side, touching."""
    x = Value(0.5, label="x")
    t = x.tanh()
    t.label = "t"
    y = t * t
    y.backward()
    g = draw(y, rankdir=rankdir)
    _, edges = parse_dot(g.source)
    ports = {a.get("headport") for _, _, a in edges if a.get("label") and a["id"].startswith("e2_")}
    assert len(ports) == 2 and None not in ports
    labels = [(x0, y0, fs, s) for gid, s, x0, y0, fs in texts(g.svg()) if gid.startswith("e2_")]
    assert len(labels) == 2
    (xa, ya, fa, sa), (xb, yb, _, sb) = labels
    width = 0.6 * fa * max(len(sa), len(sb))
    assert abs(xa - xb) > width + 2 or abs(ya - yb) > fa + 2, labels


def test_edge_labels_of_the_docs_pictures_do_not_overlap() -> None:
    o, x1 = neuron()
    for g in (draw(o, highlight=x1), draw(readme_mlp_loss(4))):
        boxes = []
        for gid, s, x, y, fs in texts(g.svg()):
            if gid.startswith(("e", "ge")):
                w = 0.56 * fs * len(s)
                boxes.append((gid, x - w / 2, y - fs, x + w / 2, y))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]), (a, b)
