"""Fault injection for the tests of writing: ENOSPC or a real SIGINT at the n-th write, flush, chmod or rename."""

from __future__ import annotations

import errno
import os
import signal
import threading


def ctrl_c(sig: int = signal.SIGINT) -> None:
    """A real Ctrl-C (or ``sig``), sent to the main thread rather than to the process.

    Python runs signal handlers in the main thread only; a process-wide signal
    can be taken by another thread (tqdm's monitor, a render's timer), and a
    sleep in the main thread is then not cut short, so the handler would run
    later than the test means it to.
    """
    ident = threading.main_thread().ident
    assert ident is not None
    signal.pthread_kill(ident, sig)


class Faults:
    """Counts the calls that write, flush, chmod or rename, and injects a fault at call number ``at``."""

    CALLS = ("write", "fsync", "fchmod", "replace")

    def __init__(self, monkeypatch, at: int | None = None, fault: str = "enospc") -> None:
        self.count, self.at, self.fault, self.seen = 0, at, fault, []
        self.real = {name: getattr(os, name) for name in self.CALLS}
        for name in self.CALLS:
            monkeypatch.setattr(os, name, self._wrap(name, self.real[name]))

    def restore(self) -> None:
        """The real functions again (before the caller goes on to print or check)."""
        for name, real in self.real.items():
            setattr(os, name, real)

    def _wrap(self, name, real):
        def call(*args):
            self.count += 1
            self.seen.append(name)
            if self.count == self.at:
                if self.fault == "enospc":
                    raise OSError(errno.ENOSPC, "No space left on device", str(args[0]) if name == "replace" else None)
                ctrl_c()  # Python raises it at the next bytecode
            return real(*args)
        return call
