"""Check a built site: ``python -m docs.sitegen.check [site] [--no-browser]`` from the repository root.

1. **Links and anchors.** Every ``href``/``src`` of every HTML page that stays in the site must name a file
   that exists, and its ``#fragment`` an element id (or ``name``) of that page. MkDocs' strict build checks
   the Markdown's links; this checks what it cannot see: anchors into generated reference pages, links in
   notebook pages, the gallery's iframes, the theme's own assets. A fragment holding ``=`` is an explorer
   page's state (``#step=3``), not an anchor.
2. **Nothing from elsewhere.** No page loads a script, style, image, frame or font from another origin
   (links a reader may follow to other sites are fine).
3. **The reference is complete.** Every name of ``autograd.__all__``, ``nn.__all__`` and ``API.md`` (where
   it is beside the repository) that the code has is an object of the built reference: in mkdocstrings'
   inventory ``objects.inv``, under its public name or where it is defined. This is what was rendered,
   not what the Markdown asked for.
4. **In a browser, offline.** Headless Chromium (Playwright driving the system's ``chromium``) opens the
   landing page, a course page, the API reference and the gallery, served from ``127.0.0.1``, recording
   every request the pages and their frames make: each must go to that server. The landing page must show
   its screenshot, the math must be rendered by KaTeX, and a key press in the gallery's first explorer
   must step its backward pass.

Exit status 0 when all is well, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import posixpath
import re
import shutil
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docs.sitegen import ROOT, reference

# the attributes that name another resource, and whether loading the page fetches it
LINK_ATTRS = {("a", "href"): False, ("link", "href"): True, ("script", "src"): True, ("img", "src"): True,
              ("iframe", "src"): True, ("source", "src"): True, ("video", "src"): True, ("audio", "src"): True,
              ("embed", "src"): True, ("object", "data"): True, ("image", "href"): True}
BROWSER_PAGES = ("", "course/01_chain_rule/", "reference/autograd/", "gallery/")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


class _Page(HTMLParser):
    """The ids of a page and the resources it names: ``(tag, attribute, value)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            if (tag, name) in LINK_ATTRS or (tag == "image" and name == "xlink:href"):
                self.refs.append((tag, name, value))


@functools.cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _target(site: Path, page: Path, url: str) -> Path:
    """The file a relative URL of ``page`` names (a folder means its index.html)."""
    rel = posixpath.normpath(posixpath.join(page.parent.relative_to(site).as_posix(), unquote(url)))
    target = site / rel.lstrip("/")
    return target / "index.html" if target.is_dir() or url.endswith("/") else target


def link_problems(site: Path) -> list[str]:
    """Broken internal links and anchors, and resources loaded from other origins, one line each."""
    problems = []
    site = site.resolve()
    _parse.cache_clear()  # pages are read once per check
    for page in sorted(site.rglob("*.html")):
        where = page.relative_to(site).as_posix()
        for tag, attr, value in _parse(page).refs:
            parts = urlsplit(value)
            if parts.scheme in ("data", "blob", "mailto", "javascript", "about"):
                continue
            if parts.scheme or parts.netloc:
                if LINK_ATTRS.get((tag, attr), True):
                    problems.append(f"{where}: <{tag} {attr}> loads from another origin: {value}")
                continue
            target = page if not parts.path else _target(site, page, parts.path)
            if not target.is_file():
                problems.append(f"{where}: <{tag} {attr}={value!r}>: no such file in the site")
                continue
            fragment = unquote(parts.fragment)
            if fragment and "=" not in fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
                problems.append(f"{where}: <{tag} {attr}={value!r}>: no element with id {fragment!r} there")
    return problems


def inventory(site: Path) -> set[str]:
    """The identifiers of the objects the built reference documents (Sphinx's inventory format, v2)."""
    data = (site / "objects.inv").read_bytes()
    body = zlib.decompress(data.split(b"\n", 4)[4]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def reference_problems(site: Path) -> list[str]:
    """Public names the built reference does not document, one line each."""
    import autograd
    import nn

    names = [f"autograd.{n}" for n in autograd.__all__] + [f"nn.{n}" for n in nn.__all__]
    text = reference.api_md()
    if text is not None:
        names += sorted(reference.api_names(text))
    shown = inventory(site)
    problems = []
    for name in dict.fromkeys(names):
        if reference.resolve(name) is None:
            continue  # promised by API.md, not in the code yet (tests/test_docs_reference.py says so)
        if reference.is_dunder(name):  # a module attribute (__version__): described in the page's text
            if not reference.mentioned(name):
                problems.append(f"reference: {name} is not mentioned in the reference pages")
            continue
        owner, _, member = name.rpartition(".")
        places = {name, reference.defining_path(name)}
        if reference.resolve(owner) is not None:
            places.add(f"{reference.defining_path(owner)}.{member}")
        if not places & shown:
            problems.append(f"reference: {name} is not documented (objects.inv has none of {sorted(places)})")
    return problems


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1 (a free port) for as long as the block runs; yields its origin."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_problems(site: Path, executable: str) -> list[str]:
    """Open the pages in headless Chromium, offline; what went wrong, one line each."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with serve(site) as origin, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            foreign: list[str] = []
            failed: list[str] = []

            def on_request(request: object) -> None:
                url = request.url  # type: ignore[attr-defined]
                if not url.startswith((origin + "/", "data:", "blob:", "about:")):
                    foreign.append(url)

            context.on("request", on_request)
            context.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for path in BROWSER_PAGES:
                response = page.goto(f"{origin}/{path}", wait_until="networkidle")
                if response is None or not response.ok:
                    problems.append(f"/{path}: {response.status if response else 'no response'}")
                    continue
                if path == "":
                    shot = page.locator("img[src$='explorer.png']")
                    if shot.count() == 0 or not shot.first.evaluate("i => i.complete && i.naturalWidth > 0"):
                        problems.append("/: the explorer screenshot is not shown")
                if path.startswith(("course/", "reference/")) and page.locator(".katex").count() == 0:
                    problems.append(f"/{path}: no math rendered by KaTeX")
                if path == "gallery/":
                    problems += _step_explorer(page)
            for url in foreign:
                problems.append(f"a page asked another origin for {url}")
            problems += [f"request failed: {f}" for f in failed]
            problems += [f"script error: {e}" for e in errors]
        finally:
            browser.close()
    return problems


def _step_explorer(page: object) -> list[str]:
    """Step the gallery's first explorer forward: with → (the keyboard), else its "next" button.

    What the explorer shows (the step, the gradients so far) must change.
    """
    frame_el = page.locator("iframe").first  # type: ignore[attr-defined]
    if frame_el.count() == 0:
        return ["/gallery/: no explorer embedded"]
    frame_el.scroll_into_view_if_needed()
    frame = frame_el.content_frame
    frame.locator("svg").first.wait_for(timeout=15_000)
    before = frame.locator("body").inner_text()
    frame.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(3):
        frame.locator("body").press("ArrowRight")
    if frame.locator("body").inner_text() != before:
        return []
    buttons = frame.get_by_role("button", name=re.compile(r"next", re.I))
    if buttons.count():
        buttons.first.click()
        if frame.locator("body").inner_text() != before:
            return []
    return ["/gallery/: neither → nor a next button stepped the explorer"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "site"), help="the built site (default: site/)")
    parser.add_argument("--no-browser", action="store_true", help="check links and anchors only")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        print(f"error: {site} holds no built site (run make docs)", file=sys.stderr)
        return 1
    problems = link_problems(site)
    n_pages = sum(1 for _ in site.rglob("*.html"))
    print(f"links and anchors: {n_pages} pages checked, {len(problems)} problem(s)")
    missing = reference_problems(site)
    print(f"reference: {len(inventory(site))} objects documented, {len(missing)} public name(s) missing")
    problems += missing
    if not args.no_browser:
        executable = chromium()
        if executable is None:
            print("browser: skipped, Chromium is not installed (Debian's chromium package)")
        else:
            found = browser_problems(site, executable)
            print(f"browser: {len(BROWSER_PAGES)} pages opened offline, {len(found)} problem(s)")
            problems += found
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
