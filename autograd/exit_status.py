"""How the command lines (``python -m autograd``, ``python -m nn``) start and end around Ctrl-C.

Ctrl-C while a command's modules load would print a traceback through the
import machinery: :func:`quiet_start`, called first thing by ``autograd``'s
``__init__`` (which ``nn`` imports first too), ends the process with one line
and status 130 instead, until the command says its modules are loaded
(:func:`loaded`) or installs its own handling.

Two traps sit between a command that returns its status and the process's
exit status:

- CPython sets an "unhandled KeyboardInterrupt" mark when that exception
  leaves an ``exec``/``eval`` of a *string*, whoever catches it later
  (``dataclasses`` and ``namedtuple`` build methods that way while a module is
  imported). ``python -m`` then ends the process by SIGINT at exit, whatever
  status the program returned (-2 to a parent process). Every ``exec`` of a
  string starts by clearing the mark.
- Ctrl-C inside a C extension's import can leave a half-built module behind
  (a pybind11 module reports "initialization failed"), and the interpreter's
  teardown then aborted with "Fatal Python error: PyThreadState_Get" (-6).

:func:`exit` avoids both.

This module imports only what Python's start-up has loaded already: it runs
before the rest of the package.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import NoReturn

INTERRUPTED = 130  # the status of a command ended by Ctrl-C (128 + SIGINT), as shells report it

COMMANDS = ("autograd", "nn", "nn.demo")  # the distribution's `python -m` commands

_quiet_handler: object = None  # the handler quiet_start installed, if it did


def in_main_thread() -> bool:
    """Whether this is the main thread (the only one Python runs signal handlers in, or may set them from)."""
    import threading  # here, not at the top: see the module doc

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
    """Under ``python -m M`` (M in ``modules``, default :data:`COMMANDS`): Ctrl-C while modules load ends at once.

    The process exits with status 130 and one line on stderr instead of a
    traceback through the import machinery. Nothing has been written yet, so
    ending there is safe. Imported as a library, or with a handler already
    set, nothing changes.
    """
    global _quiet_handler
    if not started_as(*(modules or COMMANDS)) or not in_main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("error: interrupted (Ctrl-C); nothing was written\n")
            sys.stderr.flush()
        os._exit(INTERRUPTED)  # no finaliser or atexit hook has anything to finish while modules load

    _quiet_handler = on_sigint
    signal.signal(signal.SIGINT, on_sigint)


def loaded() -> None:
    """The command's modules are loaded: Ctrl-C raises ``KeyboardInterrupt`` again (undoes :func:`quiet_start`)."""
    if _quiet_handler is not None and in_main_thread() and signal.getsignal(signal.SIGINT) is _quiet_handler:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def exit(status: int) -> NoReturn:  # noqa: A001 (read as exit_status.exit, beside sys.exit)
    """End the process with ``status``; after an interrupt (:data:`INTERRUPTED`), at once.

    An interrupted command has finished or undone its work before it chose its
    status, so once stdout and stderr are flushed nothing is left that the
    interpreter's teardown should run. Any other status goes through
    ``sys.exit`` after the mark described in the module doc is cleared.
    """
    if status == INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, broken, or None
                stream.flush()
        os._exit(status)
    exec("None")  # a constant string: clears the interpreter's mark (see the module doc), runs nothing
    sys.exit(status)
