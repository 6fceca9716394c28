"""Seeing where a recorded function looks at its numbers: the guards of compiled replay.

While :func:`autograd.compile` records ``fn``, the comparisons ``< <= > >=``,
``bool(v)``, ``float(v)`` and ``v.item()`` of every Value report what they
were asked and what they answered. A comparison can steer a Python ``if``
(the graph's structure then depends on the data); a float taken out of a
Value becomes a constant of the graph. The replay checks each of those answers
against the new numbers (one comparison per answer): if one differs, the
recorded graph is not the one ``fn`` would build now.

Reading ``.data`` directly is not seen (it is a plain attribute); the
documentation of :func:`autograd.compile` says so.

The methods are wrapped only while a recording runs, and only the recording
thread's calls are logged; the originals are restored when the last recording ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from autograd.value import Value


@dataclass(frozen=True)
class Answer:
    """One question ``fn`` asked a Value while recording: ``node <kind> other`` and the answer it got."""

    kind: str  # "<", "<=", ">", ">=", "bool" or "float"
    node: Value
    other: Any  # the right side of a comparison (a Value or a number), else None
    result: Any  # a bool, or the float handed out


_WATCHED = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__bool__": "bool",
            "__float__": "float", "item": "float"}
_lock = threading.Lock()
_logs: dict[int, list[list[Answer]]] = {}  # thread id -> logs of the recordings running on it (nested)
_originals: dict[str, Callable[..., Any]] = {}


def _wrap(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def watched(self: Value, *args: Any) -> Any:
        result = original(self, *args)
        logs = _logs.get(threading.get_ident())
        if logs:
            answer = Answer(kind, self, args[0] if args else None, result)
            for log in logs:
                log.append(answer)
        return result

    watched.__name__ = original.__name__
    watched.__doc__ = original.__doc__
    return watched


@contextmanager
def watching() -> Iterator[list[Answer]]:
    """Within the block, this thread's questions to Values are appended to the yielded list."""
    log: list[Answer] = []
    tid = threading.get_ident()
    with _lock:
        if not _originals:
            for name, kind in _WATCHED.items():
                original = Value.__dict__.get(name)
                if original is not None:
                    _originals[name] = original
                    setattr(Value, name, _wrap(kind, original))
        _logs.setdefault(tid, []).append(log)
    try:
        yield log
    finally:
        with _lock:
            stack = _logs[tid]
            stack.remove(log)
            if not stack:
                del _logs[tid]
            if not _logs:
                for name, original in _originals.items():
                    setattr(Value, name, original)
                _originals.clear()
