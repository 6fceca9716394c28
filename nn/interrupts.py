"""Ctrl-C that is never lost and never lands in the middle of a commit.

Python turns SIGINT into ``KeyboardInterrupt`` in whatever code the main thread
runs at that moment. Three places make that wrong:

- a **finaliser** (``__del__``, a weakref callback, a generator being closed,
  e.g. a progress bar tidying up): an exception there cannot propagate, so
  Python prints "Exception ignored in ..." and goes on as if nothing happened.
  A long run then trains to the end and exits 0 although the user pressed
  Ctrl-C. :func:`catching` records every interrupt in a flag as well, and the
  code checks the flag at safe points (:func:`check`: each training batch,
  before files are swapped in), so a swallowed interrupt still stops the run.
- code that **turns it into another error**: Python reports it from a class's
  ``__set_name__`` as ``RuntimeError``, a pybind11 module from its import as
  ``ImportError("initialization failed")``. The same flag (:func:`requested`)
  tells the command to report the interrupt, not the error.
- a **commit** (several files swapped in one after the other): an interrupt
  between two renames would leave a mix of old and new files.
  :func:`deferred` holds SIGINT, SIGTERM and SIGHUP back while the commit runs
  and delivers them right after it.

They work in the main thread only (the only thread Python runs signal
handlers in); elsewhere they do nothing.

Between the status a command returns and the process's exit status lie two
more traps (an interrupt that CPython remembers as unhandled, a half-imported
extension that crashes teardown); :func:`exit` ends the process past both.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

# How a command ends, and Ctrl-C while its modules load: shared with `python -m autograd`.
# (Importing it runs autograd's __init__, whose first line puts quiet_start in place under `python -m nn`.)
from autograd.exit_status import INTERRUPTED as INTERRUPTED
from autograd.exit_status import exit as exit  # noqa: A004 (read as interrupts.exit, beside sys.exit)
from autograd.exit_status import in_main_thread
from autograd.exit_status import quiet_start as quiet_start
from autograd.exit_status import started_as as started_as

# the signals a commit holds back: Ctrl-C, `kill` and a closed terminal
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_requested = False  # set by catching()'s handler; read by check()
_catching = 0  # depth of active catching() blocks


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
    if not in_main_thread():
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
    if not in_main_thread():
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
