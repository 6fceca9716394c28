"""The object ``draw()`` returns: a ``graphviz.Digraph`` that renders through the project's renderer.

It keeps graphviz's methods and keyword arguments (``render``, ``view``,
``pipe``, ``save``, ``filename=``, ``directory=``, ``format=``, ``outfile=``,
``cleanup=``, ``view=``, ...), so code written for graphviz works, but renders
through :mod:`autograd.drawing.render`: SVG works without a system Graphviz
(through WebAssembly), and so does Jupyter's inline display. Other formats
need the system ``dot`` and say so. ``format`` defaults to ``"svg"``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import graphviz

from autograd.drawing import render as backend

PathLike = Union[str, "os.PathLike[str]"]
_RENDERED_SUFFIXES = (".svg", ".png", ".pdf", ".jpg", ".jpeg", ".gif", ".ps", ".eps")


class DrawnGraph(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no annotations: its classes are Any
    """A ``graphviz.Digraph`` whose output goes through :func:`autograd.drawing.render.render`.

    ``timeout`` (seconds, on every rendering method) bounds the layout time.
    """

    summary = ""  # what draw() drew, for the REPL: "3 leaves, 2 op results; output 'o'"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)

    def __repr__(self) -> str:
        what = f"{self.summary}; " if self.summary else ""
        return (f"<DrawnGraph: {what}shows itself in Jupyter; elsewhere .render(format='svg'), "
                f".save('graph.svg') or .svg()>")

    # -- graphviz's interface -----------------------------------------------------------

    def pipe(self, format: str | None = None, renderer: str | None = None,  # noqa: A002 (graphviz's name)
             formatter: str | None = None, neato_no_op: Any = None, quiet: bool = False, *,
             engine: str | None = None, encoding: str | None = None,
             timeout: float | None = backend.DEFAULT_TIMEOUT) -> Union[bytes, str]:
        """The graph rendered to ``format`` (default ``self.format``), as bytes, or text with ``encoding``."""
        self._plain_dot_only(renderer, formatter, neato_no_op, engine)
        data = backend.render(self.source, format or self.format, timeout=timeout)
        return data.decode(encoding) if encoding is not None else data

    def render(self, filename: PathLike | None = None, directory: PathLike | None = None,
               view: bool = False, cleanup: bool = False, format: str | None = None,  # noqa: A002
               renderer: str | None = None, formatter: str | None = None, neato_no_op: Any = None,
               quiet: bool = False, quiet_view: bool = False, *, outfile: PathLike | None = None,
               engine: str | None = None, raise_if_result_exists: bool = False,
               overwrite_source: bool = False, timeout: float | None = backend.DEFAULT_TIMEOUT) -> str:
        """Save the DOT source, render it next to it, return the rendered file's path (as graphviz does).

        Without ``outfile`` the source goes to ``directory/filename`` (default
        ``autograd.gv``) and the result to that path plus ``.<format>``; with
        ``outfile`` the format defaults to its suffix and the source is saved
        beside it with the suffix ``.gv``. ``cleanup`` deletes the source
        afterwards; ``view`` opens the result in the system's viewer.
        """
        self._plain_dot_only(renderer, formatter, neato_no_op, engine)
        if outfile is not None:
            outfile = Path(outfile)
            if directory is not None:
                outfile = Path(directory) / outfile
            fmt = format or outfile.suffix[1:].lower() or self.format
            source_path = Path(filename) if filename is not None else outfile.with_suffix(".gv")
            if filename is not None and directory is not None:
                source_path = Path(directory) / source_path
            rendered = outfile
        else:
            fmt = format or self.format
            source_path = Path(directory or self.directory or "") / (filename or self.filename)
            rendered = Path(f"{source_path}.{fmt}")
        if raise_if_result_exists and rendered.exists():
            raise FileExistsError(f"output file exists: {os.fspath(rendered)!r}")
        if source_path.resolve() == rendered.resolve() and not overwrite_source:
            raise ValueError(f"outfile {os.fspath(rendered)!r} would overwrite the DOT source; "
                             "pass overwrite_source=True or choose another name")
        data = backend.render(self.source, fmt, timeout=timeout)  # before writing anything
        source_path.parent.mkdir(parents=True, exist_ok=True)
        source_path.write_text(self.source, encoding=self.encoding)
        rendered.parent.mkdir(parents=True, exist_ok=True)
        rendered.write_bytes(data)
        if cleanup and source_path.resolve() != rendered.resolve():
            source_path.unlink()
        if view:
            self._view(rendered, format=fmt, quiet=quiet_view)
        return os.fspath(rendered)

    def view(self, filename: PathLike | None = None, directory: PathLike | None = None,
             cleanup: bool = False, quiet: bool = False, quiet_view: bool = False,
             timeout: float | None = backend.DEFAULT_TIMEOUT) -> str:
        """Render (as :meth:`render`) and open the result in the system's viewer."""
        return self.render(filename=filename, directory=directory, view=True, cleanup=cleanup, quiet=quiet,
                           quiet_view=quiet_view, timeout=timeout)

    def save(self, filename: PathLike | None = None, directory: PathLike | None = None, *,
             skip_existing: bool | None = False,
             timeout: float | None = backend.DEFAULT_TIMEOUT) -> Path:
        """Write the graph to ``directory/filename`` and return its path.

        As in graphviz, the DOT source is written (default ``autograd.gv``);
        a name ending in ``.svg`` (or ``.png``, ``.pdf``, ... with system
        Graphviz) writes the rendered picture instead.
        """
        path = Path(directory or self.directory or "") / (filename if filename is not None else self.filename)
        if skip_existing and path.exists():
            return path
        if path.suffix.lower() in _RENDERED_SUFFIXES:
            return backend.write(self.source, path, timeout=timeout)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.source, encoding=self.encoding)
        return path

    def svg(self, timeout: float | None = backend.DEFAULT_TIMEOUT) -> str:
        """The graph as an SVG document."""
        return backend.render(self.source, "svg", timeout=timeout).decode("utf-8")

    @staticmethod
    def _plain_dot_only(renderer: Any, formatter: Any, neato_no_op: Any, engine: Any) -> None:
        # The WebAssembly fallback runs Graphviz's dot layout with its default renderer only.
        extra = {k: v for k, v in (("renderer", renderer), ("formatter", formatter),
                                   ("neato_no_op", neato_no_op)) if v}
        if engine not in (None, "dot"):
            extra["engine"] = engine
        if extra:
            raise ValueError(f"this graph renders with Graphviz's dot layout and default output only; "
                             f"got {extra}: render the DOT source (graph.source) with the graphviz package "
                             "and a system Graphviz for other engines or renderers")

    # -- Jupyter -----------------------------------------------------------------------------

    def _repr_image_svg_xml(self) -> str:
        return self.svg()

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        return {"image/svg+xml": self.svg()} if "image/svg+xml" in wanted else {}
