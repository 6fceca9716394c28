"""MkDocs hooks: what the site generates at build time (see mkdocs.yml and ``docs/sitegen``).

- the course: every ``notebooks/*.ipynb`` as a page (mkdocs-jupyter renders it with its stored outputs),
  and the Markdown notes beside them (a notation card);
- the benchmarks page, made from ``benchmarks/README.md``;
- the explorer gallery's pages (``gallery/*.html``), generated from live graphs;
- the API reference: every public name the reference pages do not list yet is added at the end;
- links in Markdown sources to files outside ``docs/`` point at their pages;
- on notebook pages, any script that would load from another origin (MathJax, the widget manager) goes:
  the site's own KaTeX renders the math, and the site asks the network for nothing.
"""

from __future__ import annotations

import posixpath
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this repository's autograd, nn and docs.sitegen, not installed namesakes
    sys.path.insert(0, str(ROOT))

from docs.sitegen import course, gallery, reference  # noqa: E402
from docs.sitegen.links import rewrite  # noqa: E402

log = get_plugin_logger("chainrule")

BENCHMARKS = "benchmarks/README.md"
# repository path of a file outside docs/ -> its page among the site's sources
OUTSIDE: dict[str, str] = {}
# page source made from a file outside docs/ -> that file's folder (for its own relative links)
ORIGIN: dict[str, str] = {}
_scratch = tempfile.TemporaryDirectory(prefix="chainrule-docs-")


def on_config(config: Any) -> Any:
    """The course section lists every notebook after the course index, in course order."""
    OUTSIDE.clear()
    ORIGIN.clear()
    pages: list[Any] = ["course/index.md"]
    for path in course.ordered() + course.notes():
        src = f"{course.SITE_DIR}/{path.name}"
        OUTSIDE[f"notebooks/{path.name}"] = src
        if path.suffix == ".md":
            ORIGIN[src] = "notebooks"  # its links are read from where it lies
        pages.append({course.title(path): src})
    OUTSIDE[BENCHMARKS] = "benchmarks.md"
    ORIGIN["benchmarks.md"] = "benchmarks"
    for k, entry in enumerate(config["nav"]):
        if isinstance(entry, dict) and entry.get("Course") == "course/index.md":
            config["nav"][k] = {"Course": pages}
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which takes the notebooks over
def on_files(files: Files, config: Any) -> Files:
    # Each notebook's page copy lies at scratch/<src>, a real file: mkdocs-jupyter's wrapper of a file
    # finds its source through src_dir, which a File.generated(abs_src_path=...) does not set.
    scratch = Path(_scratch.name)
    for repo_path, src in OUTSIDE.items():
        if src.endswith(".ipynb"):
            course.page_copy(ROOT / repo_path, (scratch / src).parent)
            files.append(File(src, str(scratch), config["site_dir"], config["use_directory_urls"]))
        else:  # a Markdown file: the benchmarks' README, a note beside the notebooks
            files.append(File.generated(config, src, content=(ROOT / repo_path).read_text(encoding="utf-8")))
    for name, html in gallery.pages().items():
        files.append(File.generated(config, f"{gallery.SITE_DIR}/{name}.html", content=html))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    src = page.file.src_uri
    site_dir = posixpath.dirname(src)
    real_dir = ORIGIN.get(src) or posixpath.join("docs", site_dir).rstrip("/")
    markdown = rewrite(markdown, real_dir, site_dir, OUTSIDE)
    if src in reference.PAGES:
        missing = reference.unlisted(src)
        if missing:
            log.info("reference: adding %s to %s", ", ".join(missing), src)
            markdown += reference.appendix(missing)
    return markdown


_HEADING_ID = re.compile(r"<h[1-6][^>]*\bid=\"([^\"]+)\"")


def _toc_items(items: Any) -> Any:
    for item in items:
        yield item
        yield from _toc_items(item.children)


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    html, n = course.without_foreign_scripts(html)
    if n:
        log.debug("%s: removed %d script(s) that load from other origins", page.file.src_uri, n)
    # mkdocs-jupyter takes a notebook's table of contents from a Markdown rendering, whose anchors drop
    # a heading's code (`nn.Conv2d`) while the page's headings keep it: point each entry at its heading,
    # the next one (in page order) whose id holds the entry's letters and digits in the same order.
    ids = _HEADING_ID.findall(html)
    at = 0
    for item in _toc_items(page.toc):
        k = next((k for k in range(at, len(ids)) if ids[k] == item.id), None)
        if k is None:
            k = next((k for k in range(at, len(ids)) if _holds(ids[k], item.id)), None)
        if k is None:
            log.warning("%s: the table of contents links to #%s, which no heading has", page.file.src_uri, item.id)
            continue
        item.id, at = ids[k], k + 1
    return html


def _holds(heading_id: str, anchor: str) -> bool:
    """Whether ``anchor``'s letters and digits appear in ``heading_id``'s, in order (code may be between)."""
    letters = iter(re.sub(r"[^0-9a-z]", "", heading_id.lower()))
    return all(c in letters for c in re.sub(r"[^0-9a-z]", "", anchor.lower()))
