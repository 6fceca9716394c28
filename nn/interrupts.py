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
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

# the signals a commit holds back: Ctrl-C, `kill` and a closed terminal
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_requested = False  # set by catching()'s handler; read by check()
_catching = 0  # depth of active catching() blocks


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


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
def catching() -> Iterator[None]:
    """Within this block Ctrl-C raises ``KeyboardInterrupt`` as usual and is also remembered (see the module doc).

    The exception a finaliser swallows is not printed either (the flag stands
    for it). The previous handler and unraisable hook come back on exit.
    """
    global _requested, _catching
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    previous_hook = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_value, KeyboardInterrupt) and _requested):
            previous_hook(unraisable)

    sys.unraisablehook = hook
    if not _catching:
        _requested = False
    _catching += 1
    try:
        yield
    finally:
        _catching -= 1
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGINT, previous)
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

    previous: dict[int, Any] = {}
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


def _deliver(sig: int, handler: Callable[[int, FrameType | None], Any] | int) -> None:
    if handler == signal.SIG_IGN:
        return
    if handler == signal.SIG_DFL:
        signal.raise_signal(sig)  # the default action, now that the block is done
        return
    handler(sig, sys._getframe(1))  # type: ignore[operator]
