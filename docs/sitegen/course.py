"""The course: every ``notebooks/*.ipynb`` becomes a page under ``course/``, as stored (with its outputs).

Order: as ``docs/course/index.md`` links them, then any notebook it does not list yet, by file name, so a
new notebook is in the site as soon as it lands; then the folder's Markdown notes (a notation card), which
the notebooks link to. Each notebook's page is made from a copy of the notebook in which

- links to sibling notebooks and notes (``06_sum_over_paths.ipynb``, ``notation.md``) point at their pages;
- a widget output shows its HTML fallback: a static site has no kernel to run the widget, and the widget
  manager nbconvert would load for it comes from a CDN. (The explorer's fallback is the explorer page itself.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docs.sitegen import DOCS, ROOT

NOTEBOOKS = ROOT / "notebooks"
INDEX = DOCS / "course" / "index.md"
SITE_DIR = "course"  # the pages' folder in the site
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_LISTED = re.compile(r"\]\((?:\.\./)+notebooks/(\d\d_\w+)\.ipynb(?:#[^)]*)?\)")
_SIBLING = re.compile(r"\]\((\w+)\.(?:ipynb|md)(#[^)]*)?\)")
_MATH = re.compile(r"\$[^$]*\$")


def ordered() -> list[Path]:
    """The notebooks in course order: the index's links first, then the others by name."""
    present = {p.stem: p for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    listed = [m.group(1) for m in _LISTED.finditer(INDEX.read_text(encoding="utf-8"))]
    order = [present[s] for s in dict.fromkeys(listed) if s in present]
    return order + [p for s, p in present.items() if p not in order]


def notes() -> list[Path]:
    """The Markdown files beside the notebooks (a notation card), by name; not a README."""
    return [p for p in sorted(NOTEBOOKS.glob("*.md")) if p.stem.lower() != "readme"]


def title(path: Path) -> str:
    """The first heading of a notebook or a note, without its math (a navigation entry is plain text)."""
    if path.suffix == ".md":
        texts = [path.read_text(encoding="utf-8")]
    else:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    for text in texts:
        for line in text.splitlines():
            if line.startswith("# "):
                plain = " ".join(_MATH.sub("", line[2:]).split()).rstrip(" :·-")
                return plain or path.stem
    return path.stem


_FOREIGN_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>"  # a script from elsewhere
    r"|<script type=\"text/x-mathjax-config\">.*?</script>"  # MathJax's configuration, idle without it
    r"|<script type=\"module\">(?:(?!</script>).)*?import\(\"https?://.*?</script>",  # mermaid's loader
    re.S,
)


def without_foreign_scripts(html: str) -> tuple[str, int]:
    """A notebook page's HTML without the scripts nbconvert's template loads from CDNs, and how many went.

    MathJax (the site's KaTeX renders the math instead) and the mermaid loader (no notebook draws a
    mermaid diagram); the widget manager is not asked for, since :func:`page_copy` drops widget state.
    """
    return _FOREIGN_SCRIPT.subn("", html)


def page_copy(path: Path, dest: Path) -> Path:
    """Write the notebook as its page shows it into ``dest`` and return the copy's path."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            cell["source"] = _SIBLING.sub(lambda m: f"](../{m.group(1)}/{m.group(2) or ''})", source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and set(data) - {WIDGET_VIEW, "text/plain"}:
                del data[WIDGET_VIEW]
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / path.name
    out.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return out
