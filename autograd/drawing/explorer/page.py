"""The explorer as one self-contained HTML page: the picture, the data, the script and the style.

The page is the template ``assets/explorer.html`` with five slots filled in
one pass (so nothing inserted is read as a slot again):

* ``title``: HTML-escaped text;
* ``svg``: Graphviz's SVG of the graph, rendered once (user strings in it are
  text, see :mod:`autograd.drawing.text`);
* ``data``: the JSON of :mod:`~autograd.drawing.explorer.data` inside
  ``<script type="application/json">``, with ``<``, ``>`` and ``&`` escaped;
* ``css`` and ``script``: the package's ``explorer.css``, ``explorer.js`` and
  ``page.js``, inline, so the page fetches nothing.

A Content-Security-Policy lets only that one script run (by its SHA-256) and
forbids every network request, so even a string that slipped through as
markup could neither run nor load anything.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from importlib import resources

_SLOT = re.compile(r"\{\{(\w+)\}\}")


@functools.cache
def asset(name: str) -> str:
    """The text of a file shipped in ``autograd/drawing/explorer/assets``."""
    return resources.files("autograd.drawing.explorer").joinpath("assets", name).read_text(encoding="utf-8")


def page_script() -> str:
    """The page's one script: the explorer, then the code that mounts it on the page."""
    return asset("explorer.js") + "\n" + asset("page.js")


def inline_svg(svg: str) -> str:
    """An SVG document as an element for inline HTML (no XML declaration or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def fill(template: str, slots: dict[str, str]) -> str:
    """``template`` with every ``{{name}}`` replaced, in one pass."""
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def page_html(title: str, svg: str, data_json: str) -> str:
    """The whole page. ``data_json`` must come from :func:`~autograd.drawing.explorer.data.to_script_json`."""
    if "</" in data_json or "<!--" in data_json:
        raise ValueError("the data JSON must be written by to_script_json (it contains '</' or '<!--')")
    script = page_script()
    return fill(asset("explorer.html"), {
        "csp": html.escape(content_security_policy(script), quote=False),  # no double quotes in it
        "title": html.escape(title),
        "css": asset("explorer.css"),
        "svg": inline_svg(svg),
        "data": data_json,
        "script": script,
    })
