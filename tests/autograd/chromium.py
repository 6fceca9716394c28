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
