"""The documentation site's generators and its checker (``docs/sitegen``), on small made-up inputs.

The real site is built and checked by ``make docs`` and ``make docs-check`` (CI runs both); these tests
show that each piece does its job, and that the checker fails on what it is there to catch. A few need
the docs extra (griffe, Playwright) and skip without it; ``make docs-check`` runs them all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from docs.sitegen import check, course, gallery, links
from tests.autograd.chromium import CHROMIUM, needs_chromium

# -- the checker -------------------------------------------------------------------------------------


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, html in pages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return tmp_path


def test_a_sound_site_passes(tmp_path: Path) -> None:
    site = _site(tmp_path, {
        "index.html": '<a href="guide/#usage">guide</a> <a href="https://example.org/">away</a>'
                      '<iframe src="gallery/x.html#step=3"></iframe> <img src="data:image/png;base64,AA==">',
        "guide/index.html": '<h2 id="usage">Usage</h2><a href="../">home</a><a href="#usage">here</a>',
        "gallery/x.html": "<p>explorer</p>",
    })
    assert check.link_problems(site) == []


@pytest.mark.parametrize(("html", "problem"), [
    ('<a href="missing/">x</a>', "no such file"),
    ('<a href="other.html#nowhere">x</a>', "no element with id 'nowhere'"),
    ('<a href="#nowhere">x</a>', "no element with id 'nowhere'"),
    ('<script src="https://cdn.example.org/lib.js"></script>', "loads from another origin"),
    ('<link rel="stylesheet" href="//fonts.example.org/css">', "loads from another origin"),
    ('<iframe src="http://example.org/page"></iframe>', "loads from another origin"),
])
def test_the_checker_finds(tmp_path: Path, html: str, problem: str) -> None:
    site = _site(tmp_path, {"index.html": html, "other.html": '<p id="here">x</p>'})
    found = check.link_problems(site)
    assert len(found) == 1 and problem in found[0], found


def test_root_relative_links_are_read_from_the_site_root(tmp_path: Path) -> None:
    site = _site(tmp_path, {"a/b/index.html": '<link rel="icon" href="/assets/icon.png">',
                            "assets/icon.png": "png", "index.html": ""})
    assert check.link_problems(site) == []


@needs_chromium
def test_the_browser_check_records_requests_to_other_origins(tmp_path: Path) -> None:
    pytest.importorskip("playwright", reason="the docs extra (make docs) installs Playwright")
    # the landing page asks another origin for a script: the browser check must say so
    pages = {"index.html": '<img src="explorer.png"><script src="http://chainrule-docs.invalid/x.js"></script>'}
    pages.update({f"{p}index.html": '<span class="katex">x</span>' for p in check.BROWSER_PAGES if p})
    site = _site(tmp_path, pages)
    (site / "explorer.png").write_bytes(Path(__file__).resolve().parent.parent.joinpath("docs/explorer.png")
                                        .read_bytes())
    found = check.browser_problems(site, CHROMIUM)
    assert any("asked another origin for http://chainrule-docs.invalid/x.js" in p for p in found), found
    assert any("no explorer embedded" in p for p in found), found


# -- the generators -----------------------------------------------------------------------------------


def test_the_course_order_puts_unlisted_notebooks_last() -> None:
    order = [p.stem for p in course.ordered()]
    assert sorted(order) == sorted(p.stem for p in course.NOTEBOOKS.glob("*.ipynb"))
    listed = re.findall(r"notebooks/(\w+)\.ipynb", course.INDEX.read_text(encoding="utf-8"))
    present = [s for s in dict.fromkeys(listed) if s in order]
    assert order[:len(present)] == present
    assert order[len(present):] == sorted(order[len(present):])


def test_a_course_title_is_plain_text(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "markdown", "source": ["# 3. Softmax: $\\partial L / \\partial z = \\hat y - y$\n"]}]}
    path = tmp_path / "03_x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert course.title(path) == "3. Softmax"


def test_a_page_copy_links_siblings_and_shows_widget_fallbacks(tmp_path: Path) -> None:
    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/html": "<p>page</p>",
              "text/plain": "W"}
    lone = {"application/vnd.jupyter.widget-view+json": {"model_id": "n"}, "text/plain": "W"}
    nb = {"metadata": {"widgets": {"state": {}}}, "cells": [
        {"cell_type": "markdown", "source": "See [06](06_sum_over_paths.ipynb) and [x](06_sum_over_paths.ipynb#a)."},
        {"cell_type": "code", "source": "", "outputs": [{"output_type": "display_data", "data": dict(widget)},
                                                        {"output_type": "display_data", "data": dict(lone)}]},
    ]}
    src = tmp_path / "07_x.ipynb"
    src.write_text(json.dumps(nb), encoding="utf-8")
    copy = json.loads(course.page_copy(src, tmp_path / "out").read_text(encoding="utf-8"))
    assert "widgets" not in copy["metadata"]
    assert copy["cells"][0]["source"] == "See [06](../06_sum_over_paths/) and [x](../06_sum_over_paths/#a)."
    first, second = (o["data"] for o in copy["cells"][1]["outputs"])
    assert set(first) == {"text/html", "text/plain"}
    assert second == lone  # nothing else to show: left as it was


def test_links_to_files_outside_docs_point_at_their_pages() -> None:
    pages = {"notebooks/01_chain_rule.ipynb": "course/01_chain_rule.ipynb", "benchmarks/README.md": "benchmarks.md"}
    md = ("[a](../../notebooks/01_chain_rule.ipynb#top) [b](../../benchmarks/README.md \"t\") "
          "[c](../gallery.md) [d](https://x.org/notebooks/01_chain_rule.ipynb) `[e](../../benchmarks/README.md)`\n"
          "```\n[f](../../benchmarks/README.md)\n```\n")
    out = links.rewrite(md, "docs/how-to", "how-to", pages)
    assert out == ("[a](../course/01_chain_rule.ipynb#top) [b](../benchmarks.md \"t\") "
                   "[c](../gallery.md) [d](https://x.org/notebooks/01_chain_rule.ipynb) "
                   "`[e](../../benchmarks/README.md)`\n```\n[f](../../benchmarks/README.md)\n```\n")
    # the benchmarks page itself is made from benchmarks/README.md: its links are read from benchmarks/
    assert links.rewrite("[r](../notebooks/01_chain_rule.ipynb)", "benchmarks", "", pages) \
        == "[r](course/01_chain_rule.ipynb)"


def test_docstrings_read_as_markdown() -> None:
    pytest.importorskip("griffe", reason="the docs extra (make docs) installs griffe")
    from docs.sitegen import docstrings

    text = "Uses :func:`grad` and :class:`~autograd.ops.Op`, :mod:`autograd.drawing`. Like this::\n\n    x = 1\n"
    assert docstrings.markdown(text) == "Uses `grad` and `Op`, `autograd.drawing`. Like this:\n\n    x = 1\n"


def test_notebook_pages_lose_scripts_from_other_origins() -> None:
    html = ('<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=X"> </script>\n'
            '<script type="text/x-mathjax-config">\ninit_mathjax = function() {};\n</script>\n'
            '<script type="module">\n  const m = (await import("https://cdn.example/mermaid.mjs")).default;\n'
            '</script>\n<script>local()</script><p>$x$</p>')
    assert course.without_foreign_scripts(html)[0].split() == ["<script>local()</script><p>$x$</p>"]


def test_every_gallery_example_builds_a_graph() -> None:
    for name, example in gallery.EXAMPLES.items():
        root = example.build()
        assert root.grad == 1.0, name  # after its backward pass
        assert root.parents, name


def test_the_gallery_graphs_compute_what_their_pages_say() -> None:
    from autograd import hessian, topological_order

    assert round(gallery.micrograd_example().data, 4) == 24.7041  # micrograd's README
    dfdx = gallery.hessian_graph()
    leaves = {v.label: v for v in topological_order(dfdx) if not v.parents and v.label}
    row = hessian(lambda v: v[0] * v[0] * v[1] + (v[0] * v[1]).tanh(), [0.5, -1.5])[0]
    assert leaves["x"].grad == pytest.approx(row[0]) and leaves["y"].grad == pytest.approx(row[1])


def _inventory(site: Path, names: list[str]) -> None:
    import zlib

    header = b"# Sphinx inventory version 2\n# Project: t\n# Version: 0\n# The remainder is zlib-compressed.\n"
    body = "".join(f"{n} py:function 1 reference/#$ -\n" for n in names).encode()
    (site / "objects.inv").write_bytes(header + zlib.compress(body))


def test_the_checker_finds_public_names_missing_from_the_reference(tmp_path: Path) -> None:
    import autograd
    import nn

    everything = [f"autograd.{n}" for n in autograd.__all__] + [f"nn.{n}" for n in nn.__all__]
    _inventory(tmp_path, [n for n in everything if n != "autograd.hessian"] + ["autograd.Value.backward"])
    missing = [p for p in check.reference_problems(tmp_path) if "autograd.hessian " in p]
    assert len(missing) == 1, check.reference_problems(tmp_path)
    # a name documented where it is defined counts (autograd.hessian is autograd.higher.hessian)
    _inventory(tmp_path, everything + ["autograd.higher.hessian"])
    assert not [p for p in check.reference_problems(tmp_path) if "autograd.hessian " in p]
