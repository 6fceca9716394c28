"""Rendering never crashes: deep layouts, waits for another thread, huge timeouts, float subclasses (#19, #21)."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, draw, render_svg
from autograd.drawing import RenderTimeoutError, RenderTooDeepError
from autograd.drawing import render as render_module


def chain(n: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(n - 1):
        y = (y * 1.0001).tanh()
    return y


def test_a_layout_too_deep_for_webassembly_ends_in_one_line_and_the_renderer_recovers() -> None:
    picture = draw(chain(1600), expand=True, max_nodes=None, show_local_grads=False).source
    with pytest.raises(RenderTooDeepError) as err:
        render_svg(picture, renderer="wasm")
    message = str(err.value)
    assert "\n" not in message and "backtrace" not in message and "wasm function" not in message
    assert "draw it collapsed: draw(root)" in message
    assert "<svg" in render_svg("digraph { a -> b }", renderer="wasm")
    # drawn by default, the same chain is collapsed and renders
    assert "<svg" in render_svg(draw(chain(1600)), renderer="wasm")


def test_other_webassembly_failures_are_one_line(monkeypatch) -> None:
    renderer = render_module.wasm_renderer()
    if not isinstance(renderer, render_module._BoundedWasm):
        pytest.skip("the wasmtime-backed renderer is not the one in use")

    def broken(*args, **kwargs):
        raise RuntimeError("error while executing at wasm backtrace:\n    0: <unknown>!f\n\nCaused by:\n    bad thing")

    monkeypatch.setattr(renderer._backend, "_render_in_session", broken)
    with pytest.raises(RuntimeError, match=r"^Graphviz \(WebAssembly\) failed to render: bad thing$"):
        render_svg("digraph { a }", renderer="wasm")


def test_waiting_for_another_threads_render_counts_against_the_timeout() -> None:
    """#21: with timeout=1, three nodes must not wait 7.5 s behind another thread's render."""
    renderer = render_module.wasm_renderer()
    if not isinstance(renderer, render_module._BoundedWasm):
        pytest.skip("the wasmtime-backed renderer is not the one in use")
    renderer._lock.acquire()  # another thread's render in progress, for as long as this test wants
    try:
        with pytest.raises(RenderTimeoutError, match=r"within 0\.2 s: it was busy with another thread's render"):
            render_svg("digraph { a -> b -> c }", renderer="wasm", timeout=0.2)
    finally:
        renderer._lock.release()
    # the wait and the render share one time bound: a render that waited gets only what is left
    done = threading.Event()
    out: list[str] = []

    def render_after_wait() -> None:
        out.append(render_svg("digraph { a -> b -> c }", renderer="wasm", timeout=30))
        done.set()

    renderer._lock.acquire()
    t = threading.Thread(target=render_after_wait)
    t.start()
    renderer._lock.release()
    t.join(60)
    assert done.is_set() and "<svg" in out[0]


@pytest.mark.parametrize("timeout, error", [(10**400, ValueError), (1e300, ValueError), (float("nan"), ValueError),
                                            (0, ValueError), (-1, ValueError), ("1", TypeError), (True, TypeError)])
def test_bad_timeouts_are_the_documented_errors(timeout, error) -> None:
    with pytest.raises(error, match="timeout"):
        render_svg("digraph { a }", timeout=timeout)
    with pytest.raises(error, match="timeout"):
        draw(Value(1.0)).svg(timeout=timeout)


class Hostile(float):
    """A float whose text is markup: drawing must show the number, never this text."""

    def __repr__(self) -> str:
        return '"]; evil [label="<script>alert(1)</script>'

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return self.__repr__()

    def __float__(self) -> float:
        return -1.0  # a liar too: the drawing reads the stored number


def test_a_float_subclass_assigned_after_construction_puts_no_text_into_dot_or_svg() -> None:
    x = Value(2.0, label="x")
    y = (x * 3.0).tanh()
    y.backward()
    x.data = Hostile(2.5)
    x.grad = Hostile(0.125)
    y.data = Hostile(0.75)
    y.local_grads = (Hostile(0.5),)
    source = draw(y).source
    assert "script" not in source and "evil" not in source
    assert "data 2.5" in source and "grad 0.125" in source and "data 0.75" in source and "label=0.5" in source
    svg = render_svg(draw(y))
    ET.fromstring(svg)  # still a valid document
    assert "script" not in svg and "evil" not in svg


def test_huge_integers_and_non_numbers_as_data() -> None:
    """Whatever ``.data`` holds (where the engine lets it be assigned), the picture shows a number or refuses."""
    x = Value(2.0, label="x")
    y = x * 2.0
    for data, shown in ((10**400, "data inf"), (-(10**400), "data -inf")):
        try:
            x.data = data
        except ValueError:  # the engine refuses it at assignment: nothing can reach the picture
            continue
        assert shown in draw(y).source
    try:
        x.data = "two"
    except TypeError:
        return
    with pytest.raises(TypeError, match="a number to draw must be a float or an int, got str"):
        draw(y)


def test_captions_wrap_so_path_products_fit() -> None:
    """Notebooks 02 and 06: path products longer than the picture are wrapped, not cut at the right edge."""
    x = Value(0.3, label="x_with_a_rather_long_name")
    y = x
    for k in range(12):
        y = (y * 1.5).tanh()
        y.label = f"a_long_intermediate_name_{k}"
    source = draw(y, highlight=x, show_grad=False).source
    caption = re.search(r'label="(paths from[^"]*)"', source).group(1)
    lines = caption.split("\\l")
    assert max(len(line) for line in lines) <= 100 + 2
    assert len(draw(y, highlight=x, caption_width=40).source) > len(source)  # narrower: more lines
    with pytest.raises(ValueError, match="caption_width"):
        draw(y, caption_width=5)


def readme_mlp_loss(points: int = 4) -> Value:
    """The README's network: MLP(2, [16, 16, 1]) with a hinge loss on a few points, after backward()."""
    import random

    nn = pytest.importorskip("nn")
    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(points)]
    Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.losses.mean([nn.losses.hinge(model(x), y) for x, y in zip(X, Y)])
    loss.backward()
    return loss


@pytest.mark.parametrize("points", [2, 4, 8])
def test_the_readme_mlp_fits_2000_px_with_legible_text(points) -> None:
    """#19 item 7: drawn with no argument, the picture is at most 2,000 px on its long side, unscaled."""
    svg = render_svg(draw(readme_mlp_loss(points)))
    root = ET.fromstring(svg)
    width, height = (float(root.get(k).removesuffix("pt")) * 96 / 72 for k in ("width", "height"))
    assert max(width, height) <= 2000, (width, height)
    assert re.search(r'transform="scale\(1 1\)', svg)  # drawn at its natural size, not shrunk to fit
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    assert sizes and min(sizes) >= 9.0  # the legend's 9 pt; values and boxes 11 pt, edge labels 10 pt
    assert svg.count("example ") >= points  # one box per example, each with its loss term's value
