"""Headless Chromium for the explorer's tests: load a page, let its scripts run, read the DOM back."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")

_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?')


def run(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--virtual-time-budget=5000"]
        return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


def dump_dom(page: str, tmp_path: Path, fragment: str = "", driver: str | None = None, name: str = "page") -> str:
    """The DOM after the page's scripts ran (and ``driver``, a script appended to the body).

    With a driver the page's Content-Security-Policy is dropped from this copy,
    since it lets only the page's own script run.
    """
    if driver is not None:
        page = _CSP.sub("", page, count=1)
        head, sep, tail = page.rpartition("</body>")
        page = f"{head}<script>{driver}</script>{sep}{tail}"
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return run(["--dump-dom", path.as_uri() + fragment]).stdout


class Elements(HTMLParser):
    """Every start tag of a document as (tag, attributes), and the text inside chosen elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(dom: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(dom)
    return parser.tags


def by_attr(dom: str, attr: str) -> list[dict[str, str]]:
    return [a for _, a in elements(dom) if attr in a]


# -- Playwright driving the system Chromium: clicks, keys, sizes on screen ---------------------------------

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

needs_playwright = pytest.mark.skipif(CHROMIUM is None or sync_playwright is None,
                                      reason="needs Debian's chromium package and playwright (the test extra)")
WINDOW = {"width": 1400, "height": 900}
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (starting one per test would cost a second each)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Opened:
    """A page opened in the browser, with the errors its scripts raised and the requests it tried."""

    def __init__(self, page, errors: list[str], requests: list[str]) -> None:
        self.page, self.errors, self.requests = page, errors, requests


def open_page(browser, html: str, tmp_path: Path, fragment: str = "", name: str = "page",
              ready: str = ".cr-explorer[data-ready=yes]") -> Opened:
    """Write ``html`` to a file, open it in a 1400x900 window and wait until the explorer has drawn its view."""
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport=WINDOW)
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("request", lambda req: requests.append(req.url) if not req.url.startswith(("file:", "data:", "blob:"))
            else None)
    page.goto(path.as_uri() + fragment)
    if ready:
        page.wait_for_selector(ready, timeout=30000)
    return Opened(page, errors, requests)
