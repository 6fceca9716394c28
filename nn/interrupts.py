"""Ctrl-C that is never lost and never lands in the middle of a commit.

Python turns SIGINT into ``KeyboardInterrupt`` in whatever code the main thread
runs at that moment. Two places make that wrong:

- a **finaliser** (``__del__``, a weakref callback, a generator being closed,
  e.g. a progress bar tidying up): an exception there cannot propagate, so
  Python prints "Exception ignored in ..." and goes on as if nothing happened.
  A long run then trains to the end and exits 0 although the user pressed
  Ctrl-C. :func:`catching` records every interrupt in a flag as well, and the
  code checks the flag at safe points (:func:`check`: each training batch,
  before files are swapped in), so a swallowed interrupt still stops the run.
- a **commit** (several files swapped in one after the other): an interrupt
  between two renames would leave a mix of old and new files.
  :func:`deferred` holds SIGINT, SIGTERM and SIGHUP back while the commit runs
  and delivers them right after it.

Both work in the main thread only (the only thread Python runs signal
handlers in); elsewhere they do nothing.

A third trap is in CPython itself: a ``KeyboardInterrupt`` that leaves code run
by ``exec``/``eval`` of a *string* (``dataclasses`` and ``namedtuple`` build
methods that way while a module is imported) marks the process as ended by an
unhandled Ctrl-C even when the caller catches it, and ``python -m`` then kills
itself with SIGINT at exit instead of returning the status the program chose;
and an interrupt inside a C extension's import can leave a module that crashes
the interpreter's teardown. :func:`exit` ends the process safely in both cases.
"""

from __future__ import annotations

# Only modules that Python's start-up has loaded already (or that cost nothing): `python -m nn` imports
# this first, and quiet_start must be in place as early as possible.
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import NoReturn

# the signals a commit holds back: Ctrl-C, `kill` and a closed terminal
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

INTERRUPTED = 130  # the exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it

_requested = False  # set by catching()'s handler; read by check()
_catching = 0  # depth of active catching() blocks


def _in_main_thread() -> bool:
    import threading  # here, not at the top: see the imports

    return threading.current_thread() is threading.main_thread()


def started_as(*modules: str) -> bool:
    """Whether this process is ``python [options] -m M`` for one of ``modules`` (from ``sys.orig_argv``)."""
    argv = list(getattr(sys, "orig_argv", ()))[1:]
    k = 0
    while k < len(argv):
        word = argv[k]
        if word == "-m":
            return k + 1 < len(argv) and argv[k + 1] in modules
        if word.startswith("-m"):
            return word[2:] in modules
        if not word.startswith("-") or word.startswith("-c"):  # a script or -c: not a module run
            return False
        k += 2 if word in ("-X", "-W") else 1  # the options that take their value as the next word
    return False


def quiet_start(*modules: str) -> None:
    """Under ``python -m M`` (M in ``modules``): Ctrl-C while the program's modules load ends it at once.

    The process exits with status 130 and one line on stderr instead of a
    traceback through the import machinery. Nothing has been written yet, so
    ending there is safe; the command installs its own handling as it starts
    (:func:`catching`). Imported as a library, or with a handler already set,
    nothing changes.
    """
    if not started_as(*modules) or not _in_main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("error: interrupted (Ctrl-C); nothing was written\n")
            sys.stderr.flush()
        os._exit(INTERRUPTED)  # no finaliser or atexit hook has anything to finish while modules load

    signal.signal(signal.SIGINT, on_sigint)


def exit(status: int) -> NoReturn:  # noqa: A001 (read as interrupts.exit, beside sys.exit)
    """End the process with ``status``, also after an interrupt, where Python's own exit can lose it.

    After an interrupt (status 130) the process ends at once, once stdout and
    stderr are flushed: Ctrl-C can land inside a C extension's import (a
    pybind11 module then reports "initialization failed"), and the half-built
    module crashed interpreter teardown with "Fatal Python error:
    PyThreadState_Get" (status -6). Nothing is left to finish by then: the
    outputs are committed or rolled back before the status is decided.

    Any other status goes through ``sys.exit``, after clearing CPython's
    "unhandled KeyboardInterrupt" mark: the mark is set when the exception
    leaves an ``exec``/``eval`` of a string, whoever catches it later, and
    ``python -m`` then ends by SIGINT whatever ``status`` was. Every ``exec``
    of a string starts by clearing it.
    """
    if status == INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, broken or replaced by None
                stream.flush()
        os._exit(status)
    exec("None")  # a constant string: clears the interpreter's mark (see above), runs nothing
    sys.exit(status)


def requested() -> bool:
    """Whether an interrupt arrived inside the current :func:`catching` block (even one a finaliser swallowed)."""
    return _requested


def check() -> None:
    """Raise ``KeyboardInterrupt`` if an interrupt arrived that something swallowed; a no-op otherwise."""
    if _requested:
        raise KeyboardInterrupt


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def catching(then_ignore: bool = False) -> Iterator[None]:
    """Within this block Ctrl-C raises ``KeyboardInterrupt`` as usual and is also remembered (see the module doc).

    The exception a finaliser swallows is not printed either (the flag stands
    for it). The previous handler and unraisable hook come back on exit; with
    ``then_ignore`` Ctrl-C is ignored from then on instead (a command that is
    about to exit: a late Ctrl-C must not turn its status into a traceback).
    """
    global _requested, _catching
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    previous_hook = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt) and _requested):
            previous_hook(unraisable)

    sys.unraisablehook = hook
    if not _catching:
        _requested = False
    _catching += 1
    try:
        yield
    finally:
        _catching -= 1
        signal.signal(signal.SIGINT, signal.SIG_IGN if then_ignore else previous)
        sys.unraisablehook = previous_hook
        if not _catching:
            _requested = False


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back inside the block; deliver them, in order, on leaving it.

    A held signal goes to the handler that was installed before: Ctrl-C then
    raises ``KeyboardInterrupt`` just after the block, and a default SIGTERM
    ends the process just after it. A handler installed outside Python (which
    Python cannot put back) is left alone, and so is its signal.
    """
    if not _in_main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}
    try:
        for sig in DEFERRED_SIGNALS:
            handler = signal.getsignal(sig)
            if handler is not None:  # None: installed outside Python, cannot be restored
                previous[sig] = signal.signal(sig, hold)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        raised: list[BaseException] = []
        for sig in dict.fromkeys(held):  # each signal once, in the order they came; every one is delivered
            try:
                _deliver(sig, previous[sig])
            except BaseException as e:  # e.g. KeyboardInterrupt from Ctrl-C's handler
                raised.append(e)
        if raised:
            raise raised[0]


def _deliver(sig: int, handler: Callable[[int, FrameType | None], object] | int | None) -> None:
    if handler == signal.SIG_IGN:
        return
    if handler == signal.SIG_DFL:
        signal.raise_signal(sig)  # the default action, now that the block is done
        return
    handler(sig, sys._getframe(1))  # type: ignore[operator,misc]  # not SIG_IGN, SIG_DFL or None: a function
