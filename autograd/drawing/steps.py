"""The backward pass, step by step, as one page (interim: one SVG per step)."""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path
from typing import Any, Union

from autograd.drawing.build import GraphTooLargeError, build, check_size
from autograd.drawing.drawn import DrawnGraph
from autograd.drawing.highlight import Edge
from autograd.drawing.output import render_svg
from autograd.drawing.style import DEFAULT_MAX_NODES, fmt, options
from autograd.graph import chain_rule_steps, check_value, topological_order
from autograd.trace import node_names
from autograd.value import Value


def _inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element for inline HTML, with ids made unique per frame."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r'\bid="', f'id="{prefix}', body)
    return re.sub(r'(xlink:href|href)="#', rf'\1="#{prefix}', body)


def backward_frames(root: Value, *, max_steps: int | None = 300,
                    **draw_options: Any) -> list[tuple[str, DrawnGraph]]:
    """The backward pass of ``root`` as ``(caption, graph)`` frames, without touching any ``.grad``.

    Frame 0 shows the forward values and the seed ``d root / d root = 1``;
    frame ``k`` shows chain-rule application ``k`` (in backward's order): its
    edge in red, edges already used in blue, and every gradient accumulated so
    far (``?`` where none has arrived yet). Hooks run as in ``backward``.
    """
    check_value(root, "draw_backward_steps", " to draw")
    allowed = {"rankdir", "show_local_grads", "precision", "params", "max_nodes", "legend"}
    unknown = set(draw_options) - allowed
    if unknown:
        raise TypeError(f"draw_backward_steps does not take {sorted(unknown)}; it takes {sorted(allowed)}")
    max_nodes = draw_options.pop("max_nodes", DEFAULT_MAX_NODES)
    opts = options(draw_options.get("rankdir", "LR"), True, draw_options.get("show_local_grads", True),
                    draw_options.get("precision", 4), draw_options.get("params"), False,
                    draw_options.get("legend", True))
    order = topological_order(root)
    names = node_names(root, order)
    f = functools.partial(fmt, precision=opts.precision)
    n_steps = sum(len(n.parents) for n in order)  # one chain-rule application per edge
    if max_steps is not None and n_steps > max_steps:
        raise GraphTooLargeError(
            f"the backward pass of {root!r} has {n_steps} steps, more than max_steps={max_steps}: "
            f"pass max_steps={n_steps} (or None) to draw them all, or step through a smaller graph"
        )
    grads: dict[Value, float] = {}
    check_size(root, order, {}, False, max_nodes)
    first = build(root, order, names, opts, {}, grads={root: 1.0},
                   caption=[f"forward pass done; backward starts with d {names[root]} / d {names[root]} = 1"])
    frames = [("forward values; seed gradient 1 at the output", first)]
    done: set[Edge] = set()
    for node, i, local, upstream, contribution, after in chain_rule_steps(root, 1.0, grads):
        parent = node.parents[i]
        text = (f"step {len(frames)}: edge {names[parent]} -> {names[node]} ({node.op}): "
                f"d {names[root]}/d {names[parent]} += {f(upstream)} x {f(local)} = {f(contribution)}, "
                f"now {f(after)}")
        detail = [f"step {len(frames)}: upstream d {names[root]}/d {names[node]} = {f(upstream)}",
                  f"local d {names[node]}/d {names[parent]} = {f(local)}",
                  f"contribution {f(upstream)} x {f(local)} = {f(contribution)};"
                  f" {names[parent]}.grad is now {f(after)}"]
        frames.append((text, build(root, order, names, opts, {}, grads=dict(grads), done=frozenset(done),
                                    current=(node, i), caption=detail)))
        done.add((node, i))
    return frames


_PAGE_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.2em; color: #222; }
nav { margin: 0.6em 0; }
button { font-size: 1em; padding: 0.3em 0.9em; }
.frame { display: none; }
.frame.current { display: block; }
.caption { font-family: Menlo, Consolas, monospace; background: #f6f6f6; padding: 0.5em; }
.frame svg { max-width: 100%; height: auto; }
"""

_PAGE_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var prev = document.getElementById('prev'), next = document.getElementById('next');
  var counter = document.getElementById('counter');
  var i = 0;
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    frames[i].classList.remove('current');
    i = k;
    frames[i].classList.add('current');
    counter.textContent = 'frame ' + (i + 1) + ' / ' + frames.length;
    prev.disabled = (i === 0);
    next.disabled = (i === frames.length - 1);
    document.body.setAttribute('data-current', String(i));
  }
  prev.addEventListener('click', function () { show(i - 1); });
  next.addEventListener('click', function () { show(i + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { show(i + 1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft') { show(i - 1); e.preventDefault(); }
  });
  show(0);
})();
"""


def draw_backward_steps(root: Value, path: Union[str, Path, None] = None, *, title: str = "Backward pass, step by step",
                        max_steps: int | None = 300, **draw_options: Any) -> str:
    """A self-contained HTML page stepping through the backward pass of ``root``.

    One frame per chain-rule application (after a first frame showing the
    forward values), as inline SVG, with previous/next buttons and the arrow
    keys; no scripts, styles or fonts are fetched. Written to ``path`` when
    given; the HTML text is returned either way. Options: ``rankdir``,
    ``show_local_grads``, ``precision``, ``params``, ``max_nodes``, ``legend``.
    """
    frames = backward_frames(root, max_steps=max_steps, **draw_options)
    sections = []
    for k, (caption, graph) in enumerate(frames):
        svg = _inline_svg(render_svg(graph), f"f{k}-")
        cls = "frame current" if k == 0 else "frame"
        sections.append(f'<section class="{cls}" id="frame-{k}" data-step="{k}">\n'
                        f'<p class="caption">{html.escape(caption)}</p>\n{svg}\n</section>')
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_PAGE_STYLE}</style></head>",
        '<body data-current="0">',
        f"<h1>{html.escape(title)}</h1>",
        '<nav><button id="prev" type="button">&larr; previous</button> '
        f'<span id="counter">frame 1 / {len(frames)}</span> '
        '<button id="next" type="button">next &rarr;</button> <small>(or use the arrow keys)</small></nav>',
        *sections,
        f"<script>{_PAGE_SCRIPT}</script>",
        "</body></html>",
        "",
    ])
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
