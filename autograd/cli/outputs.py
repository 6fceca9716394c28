"""The files ``explain`` writes (``--svg``, ``--html``): checked before anything is computed, written after.

Before the expression is even parsed, each output path is checked: a name is
given, its folder exists and takes a new file (tried by creating and removing
a probe file there: the only reliable test), the path is not a folder or a
special file, ``--svg`` names an ``.svg`` file and the two options name
different files. So ``explain 'x*2' x=3 --svg /proc/nope.svg`` fails at once
with one line instead of printing the whole report first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from types import ModuleType
from typing import Protocol

from autograd.cli.errors import ExplainError
from autograd.value import Value

EXAMPLES = {"--svg": "graph.svg", "--html": "page.html"}


class Page(Protocol):
    """What ``--html`` writes: the explorer :func:`autograd.explore` returns (imported only when asked for)."""

    def save(self, path: str) -> object: ...


def printable(text: str) -> str:
    """``text`` on one line: line breaks, control characters and lone surrogates escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def display_path(path: str) -> str:
    """A file name as the user typed it, safe to print on any terminal.

    A name that is not UTF-8 reaches Python with its bad bytes as lone
    surrogates, which a UTF-8 stream refuses to print: show them as ``\\xff``.
    """
    return printable(os.fsencode(path).decode("utf-8", errors="backslashreplace"))


def check_output(option: str, path: str | None) -> None:
    """Refuse an output path that cannot be written, before anything is computed (see the module doc)."""
    if path is None:
        return
    if not path.strip():
        raise ExplainError(f"{option} needs a file name, e.g. {option} {EXAMPLES[option]} (got an empty one)")
    shown = display_path(path)
    if path.endswith(("/", os.sep)):  # Path() drops the slash: 'out/' would become a file named 'out'
        raise ExplainError(f"cannot write {shown}: a name ending in / is a folder; give a file name, "
                           f"e.g. {option} {shown}{EXAMPLES[option]}")
    target = Path(path)
    if option == "--svg" and target.suffix.lower() != ".svg":
        raise ExplainError(f"--svg writes an SVG file: give a name ending in .svg (got {shown})")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as err:  # e.g. a name too long, or no permission to look
        raise ExplainError(f"cannot write {shown}: {err.strerror or err}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ExplainError(f"cannot write {shown}: it is a folder")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ExplainError(f"cannot write {shown}: it is not a regular file")
    folder = target.parent
    if not folder.is_dir():
        raise ExplainError(f"cannot write {shown}: the folder {display_path(str(folder))} does not exist")
    _probe(folder, shown)
    if st is not None and not os.access(target, os.W_OK):
        raise ExplainError(f"cannot write {shown}: permission denied")


def _probe(folder: Path, shown: str) -> None:
    """Create and remove a file in ``folder``; ExplainError if the folder does not take one."""
    probe = folder / f".chainrule-probe.{secrets.token_hex(8)}.partial"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as err:
        raise ExplainError(f"cannot write {shown}: {err.strerror or err}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_outputs(svg: str | None, html: str | None) -> None:
    """Both options' paths (see :func:`check_output`), and not one file for both."""
    check_output("--svg", svg)
    check_output("--html", html)
    if svg is not None and html is not None and os.path.abspath(svg) == os.path.abspath(html):
        raise ExplainError(f"--svg and --html name the same file ({display_path(svg)}): give each its own")


def drawing_module(option: str) -> ModuleType:
    try:
        import autograd.drawing as drawing
    except ImportError as err:
        raise ExplainError(f"{option} needs the drawing module, which is not available ({err})") from None
    return drawing


def draw_svg(drawing: ModuleType, root: Value, wrt: Value | None) -> object:
    """The graph to write, drawn before anything is printed so that a graph too large fails cleanly."""
    try:
        return drawing.draw(root, highlight=wrt)
    except drawing.GraphTooLargeError:
        raise ExplainError(
            f"the expression's graph is too large to draw (more than {drawing.DEFAULT_MAX_NODES} nodes): "
            "explain a shorter expression, or drop --svg to get the report alone"
        ) from None
    except (RuntimeError, ValueError) as err:
        raise ExplainError(f"could not draw the graph: {err}") from None


def build_page(drawing: ModuleType, root: Value) -> Page:
    """The explorer of ``root``, built before anything is printed so that a failure comes first.

    The page lays itself out in the browser and opens collapsed when the graph is large, so no size is refused.
    """
    try:
        page: Page = drawing.explore(root)
        return page
    except (RuntimeError, ValueError) as err:
        raise ExplainError(f"could not build the explorer page: {err}") from None


def write_svg(drawing: ModuleType, graph: object, path: str) -> None:
    try:
        drawing.save_graph(graph, path)
    except (OSError, RuntimeError, ValueError) as err:
        raise ExplainError(f"could not write {display_path(path)}: {err}") from None


def write_html(page: Page, path: str) -> None:
    try:
        page.save(path)
    except (OSError, RuntimeError, ValueError) as err:
        raise ExplainError(f"could not write {display_path(path)}: {err}") from None
