"""The explorer as one self-contained HTML page: the data, the script (with Graphviz) and the style.

The page is the template ``assets/explorer.html`` with its slots filled in
one pass (so nothing inserted is read as a slot again):

* ``title``: HTML-escaped text;
* ``data``: the JSON of :mod:`~autograd.drawing.explorer.data` inside
  ``<script type="application/json">``, with ``<``, ``>`` and ``&`` escaped;
* ``css`` and ``script``: the package's ``explorer.css``, then Graphviz
  compiled to WebAssembly (``graphviz-wasm.js``, vendored from the npm package
  ``@hpcc-js/wasm-graphviz``, see ``graphviz-wasm.README.md``), ``explorer.js``
  and ``page.js``, inline, so the page fetches nothing.

The page lays out what is expanded itself: Python runs no renderer to write
it. A Content-Security-Policy lets only that one script run (by its SHA-256),
lets it compile WebAssembly (``'wasm-unsafe-eval'``: compiling, not ``eval``)
and forbids every network request, so even a string that slipped through as
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
    return resources.files("autograd.drawing.explorer").joinpath("assets").joinpath(name).read_text(encoding="utf-8")


_EXPORTS = re.compile(r"export\s*\{([^}]*)\};?\s*(?://# sourceMappingURL=\S*\s*)?\Z")


@functools.cache
def graphviz_script() -> str:
    """The vendored Graphviz module as a plain script defining ``crGraphviz`` (its ``Graphviz`` class).

    The npm build is an ES module ending in one ``export{...}`` statement;
    wrapped in a function, the same code runs in a classic ``<script>`` (the
    page) and inside the widget's module, and defines nothing else globally.
    """
    code = asset("graphviz-wasm.js")
    match = _EXPORTS.search(code)
    names = {}
    for part in match.group(1).split(",") if match else ():
        local, _, exported = part.strip().partition(" as ")
        names[exported.strip() or local] = local
    if match is None or "Graphviz" not in names:
        raise RuntimeError("graphviz-wasm.js does not end in an export of Graphviz: re-vendor it (see its README)")
    body = code[:match.start()]
    return f"var crGraphviz = (function () {{\n{body}\nreturn {names['Graphviz']};\n}})();\n"


def page_script() -> str:
    """The page's one script: Graphviz, the explorer, then the code that mounts it on the page."""
    return graphviz_script() + asset("explorer.js") + "\n" + asset("page.js")


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; script-src 'sha256-{digest}' 'wasm-unsafe-eval'; "
            "style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def fill(template: str, slots: dict[str, str]) -> str:
    """``template`` with every ``{{name}}`` replaced, in one pass."""
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def page_html(title: str, data_json: str) -> str:
    """The whole page. ``data_json`` must come from :func:`~autograd.drawing.explorer.data.to_script_json`."""
    if "</" in data_json or "<!--" in data_json:
        raise ValueError("the data JSON must be written by to_script_json (it contains '</' or '<!--')")
    script = page_script()
    return fill(asset("explorer.html"), {
        "csp": html.escape(content_security_policy(script), quote=False),  # no double quotes in it
        "title": html.escape(title),
        "css": asset("explorer.css"),
        "data": data_json,
        "script": script,
    })
