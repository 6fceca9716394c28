"""User strings stay text in DOT and SVG; rendering is time-bounded; highlighting stays linear."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, draw, render_svg, scope
from autograd.drawing import COLORS, HIGHLIGHT, GraphTooLargeError, RenderTimeoutError, text
from autograd.drawing import render as render_module
from autograd.drawing.build import check_size
from tests.autograd.test_drawing import record_fields, value_records

HOSTILE = [
    "<b>x</b>",
    '<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>',
    "<javascript:alert(1)>",
    "a\\",
    '"',
    '\\"',
    "</script><script>alert(1)</script>",
    "&#1;",
    "&lt;script&gt;",
    "\x00nul",
    "\ud800lone",
    "x\ny\rz\t",
    "{a|b}<p>",
    "\\l\\N\\G",
    "\x7f\x85",
    "\ufffe",
]


@pytest.fixture
def no_system_dot(monkeypatch):
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else which(name, *a, **k))


def hostile_graph(label: str, op: str, group: str) -> tuple[Value, Value, object]:
    x = Value(1.5, label=label)
    with scope(group) as s:
        y = Value(3.0, "", op, (x, x), (2.0, 0.5))
        z = y.tanh()
    z.label = label + "!"
    return z, x, s


def assert_safe_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # valid XML, or this raises
    for el in root.iter():
        assert not el.tag.lower().endswith("script")
        assert not el.tag.lower().endswith("foreignobject")
        for key, value in el.attrib.items():
            assert "javascript:" not in value.lower(), (key, value)
            assert not key.lower().startswith("on"), key
            assert not key.endswith("href"), key  # no links at all: the picture never carries one
    return root


def svg_texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


labels = st.text(max_size=20) | st.sampled_from(HOSTILE)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(label=labels, op=labels, group=labels.filter(bool))
def test_any_label_op_or_group_name_gives_valid_dot_and_svg_without_script(no_system_dot, label, op, group) -> None:
    z, x, s = hostile_graph(label, op, group)
    for g in (draw(z), draw(z, group_by=s, collapse=False), draw(z, group_by=s), draw(z, highlight=x)):
        assert_safe_svg(render_svg(g))  # the renderer parsed the DOT: an invalid file raises


def test_hostile_strings_are_shown_as_text(no_system_dot) -> None:
    for h in HOSTILE:
        z, x, s = hostile_graph(h, h, h)
        texts = svg_texts(assert_safe_svg(render_svg(draw(z, group_by=s, collapse=False))))
        shown = text.plain(h).strip()
        if shown and "  " not in shown:
            assert shown in texts, (h, texts)  # the op node shows the op name, exactly
            assert text.plain(h) + "!" in texts or (text.plain(h) + "!").strip() in texts


def test_control_characters_surrogates_and_nul_become_visible_stand_ins() -> None:
    assert text.plain("a\x00b\x01\n\ud800\x7f\x9f") == "a\u2400b\u2401\u240a\ufffd\u2421\\x9f"
    assert "\\\\" in draw(Value(1.0, label="a\\")).source  # a trailing backslash is escaped, not eating the quote
    with pytest.raises(TypeError, match="str"):
        text.plain(3)  # type: ignore[arg-type]


def test_html_like_labels_are_quoted_in_dot() -> None:
    x = Value(1.0, label="x")
    y = Value(2.0, "", "<<b>op</b>>", (x,), (1.0,))
    source = draw(y).source
    assert 'label="<<b>op</b>>"' in source  # a quoted string, not an HTML-like label <...>


def test_roles_never_come_from_label_text() -> None:
    """Issue #20: ``Value(-3.0, label="b")`` and ``label="a"`` are both inputs until marked (no label heuristic)."""
    import autograd

    for parameter_like in ("b", "w", "w1[0][0]", "W_ih[0,1]", "L0.N3.w1", "bias", "weight"):
        w, a = Value(-3.0, label=parameter_like), Value(-3.0, label="a")
        recs = {record_fields(r["label"])[0]: r["fillcolor"] for r in value_records(draw(w * a).source).values()}
        assert recs[parameter_like] == recs["a"] == COLORS["input"]
    w, x = Value(1.0, label="w1[0][0]"), Value(2.0, label="x[0]")
    autograd.mark(x, "parameter")  # what a value is, as its maker says
    recs = {record_fields(r["label"])[0]: r["fillcolor"] for r in value_records(draw(w * x).source).values()}
    assert recs["x[0]"] == COLORS["parameter"] and recs["w1[0][0]"] == COLORS["input"]


# -- highlighting: size first, then linear work ------------------------------------------------------------


def chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0
    return y, x


def test_highlight_on_a_huge_chain_marks_the_closed_boxes_on_its_path() -> None:
    y, x = chain(40_000)
    g = draw(y, highlight=x, show_grad=False)
    records = value_records(g.source)
    assert len(records) < 100  # drawn collapsed
    red = [k for k, a in records.items() if a.get("color") == HIGHLIGHT]
    assert red and all(k.startswith("g") or k in ("n0", f"n{40_000}") for k in red)
    assert "sum over 1 path" in g.source and "more)" in g.source


def test_highlight_on_a_deep_chain_lists_its_one_path_shortened() -> None:
    y, x = chain(20_000)
    g = draw(y, highlight=x, max_nodes=None, show_grad=False)
    caption = [line for line in g.source.splitlines() if "labelloc" in line or "paths" in line]
    assert any("sum over 1 path" in line for line in caption)
    assert "20,000 edges" not in g.source and "more)" in g.source  # the route shows its ends, not 20,001 names


def test_check_size_counts_as_draw_does() -> None:
    y, x = chain(10)
    check_size(y, [x], {}, True, 1)
    with pytest.raises(GraphTooLargeError):
        check_size(y, [x, y], {}, True, 2)


# -- time bounds ---------------------------------------------------------------------------------------------


def wide_graph(n: int) -> Value:
    xs = [Value(float(k), label=f"x{k}") for k in range(n)]
    out = xs[0]
    for k, a in enumerate(xs[1:]):
        out = out * a + xs[(k * 7) % n]
    return out


def test_webassembly_render_stops_at_the_timeout_and_recovers(no_system_dot) -> None:
    big = draw(wide_graph(60), max_nodes=None).source
    with pytest.raises(RenderTimeoutError, match=r"within 0\.001 s.*draws a large graph collapsed"):
        render_svg(big, timeout=0.001)
    assert "<svg" in render_svg("digraph { a -> b }")  # the renderer works again afterwards
    with pytest.raises(ValueError, match="timeout"):
        render_svg("digraph { a }", timeout=0)


def test_a_slow_dot_program_ends_in_a_render_timeout(tmp_path, monkeypatch) -> None:
    script = tmp_path / "dot"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert render_module.find_dot() == str(script)
    with pytest.raises(RenderTimeoutError, match="did not finish within 0.5 s"):
        render_svg("digraph { a }", timeout=0.5)
