"""Deferring CPython's cyclic garbage collector while the engine builds or walks a graph.

Why: a graph here holds no reference cycles (parents point back, nothing
points forward), so reference counting frees it without the cyclic
collector. But the collector still runs while a graph is built: a young
collection every 700 new container objects (a node makes two or three), a
middle one every 10 young ones, and a full one, which walks every live
object, every 10 middle ones as long as the long-lived objects have grown by
a quarter since the last. A graph of 100x the nodes outlives many more of
them, and meets full collections over all of it, so its cost stops being
linear (measured with ``gc.callbacks``: ``python -m benchmarks``,
collector_scaling).

What: :func:`pause` and :func:`resume` bracket a bounded operation of the
engine or of ``nn`` (the outermost module call, a backward pass, a sort, an
n-ary node built from a generator) and ``autograd.collector_paused()`` a
block of user code. Inside, no automatic collection starts; after the last
pause ends, the collector is back in the state it had before the first began,
and the containers made meanwhile are counted as usual: the next young
collection looks at those still alive once (when it starts is
:func:`resume`'s business).

The collector is one per process, so pauses are counted for the process:
pauses nest, overlap across threads, and the collector comes back on only
when the last one ends, and only if it was on when the first began. (A
``gc.disable()`` called while a pause is in force is therefore undone when the
last pause ends, as with any pause that restores the state it found; a
``gc.enable()`` takes effect at once.) An explicit ``gc.collect()`` still runs
inside a pause. While one thread is inside a pause, reference cycles that any
thread leaves behind wait for the collector until the pause ends.
"""

from __future__ import annotations

import gc
import os
import threading

_lock = threading.RLock()  # re-entrant: a finalizer run by a collection may start a pause of its own
_depths: dict[int, int] = {}  # thread ident -> how many pauses that thread is inside


SETTLE = 10
"""How many young collections' worth of containers made by short pauses may wait for one (see resume)."""

_restart = False  # the collector was on when the first of the pauses now in force began
_count_at_start = 0  # the collector's count of new containers then
_cold = 0  # how much of that count a long pause made (left owed: see resume)


def pause() -> int:
    """Stop automatic collections until the matching :func:`resume`; return the token to give it.

    The token is the calling thread's ident, so a pause begun in one thread
    (a generator's block) may be ended from another.
    """
    global _restart, _count_at_start
    me = threading.get_ident()
    _lock.acquire()  # not ``with``: entering one makes a bound method, which may start a collection
    try:
        if not _depths:
            _restart = gc.isenabled()
            gc.disable()
            if _restart:
                _count_at_start = gc.get_count()[0]
        _depths[me] = _depths.get(me, 0) + 1
    finally:
        _lock.release()
    return me


class _Container:
    """An object the collector tracks: making one starts the collection the collector owes, if any."""

    __slots__ = ()


def resume(token: int) -> None:
    """End one pause begun by :func:`pause` (which returned ``token``); the last one restarts the collector.

    The collector then owes a young collection over what the pauses made, and
    starts it at the next container made anywhere. Nothing here makes one
    while the collector is on (nor does :func:`pause` before turning it off),
    so a pause followed at once by another (a model called example by example,
    no container made in between) defers it again, and the objects of many
    short pauses would pile up until one collection walked them all, gone cold
    in the CPU caches by then. So when the short pauses since the collector
    last ran have made more than ``SETTLE`` young collections' worth, the
    collection runs as the last of them ends, over objects still warm
    (measured: a user's loop at 1,000 points took 1.18x the time with the
    collector off, against 1.39x-1.55x with one collection over the pile and
    1.37x without any pause). A long pause, which made that much by itself, leaves
    its collection owed: its objects are cold already and are often freed
    before the next container is made (a sum built from a generator, then its
    backward pass: a short pause that must not collect them either).
    """
    settle = False
    _lock.acquire()  # acquire/release, not ``with``: leaving a ``with`` may make an argument tuple
    try:
        depth = _depths.get(token, 0)
        if depth > 1:
            _depths[token] = depth - 1
        elif depth:
            del _depths[token]
            if not _depths and _restart:
                settle = _settle(gc.get_count()[0], SETTLE * gc.get_threshold()[0])
                gc.enable()
        else:
            raise RuntimeError("resume() without a pause: each pause() is ended by one resume() with its token")
    finally:
        _lock.release()
    if settle:
        _Container()  # the collection runs here, by the collector's own rules (which generations)


def _settle(owed: int, limit: int) -> bool:
    """Whether the young collection owed now should run as the pauses end (see :func:`resume`)."""
    global _cold
    if owed - _count_at_start > limit:  # a long pause: its objects are cold, leave them owed
        _cold = owed
        return False
    # The count falls when a collection runs or objects are freed: what is left of a long pause's pile
    # is at most what the count was when this pause began.
    _cold = min(_cold, _count_at_start)
    return owed - _cold > limit


def in_force() -> bool:
    """True while some thread is inside a pause."""
    return bool(_depths)


def _after_fork_in_child() -> None:
    # Only the forking thread lives on in a child process: the pauses of other threads would never end.
    global _lock
    _lock = threading.RLock()
    me = threading.get_ident()
    others = [t for t in _depths if t != me]
    if not others:
        return
    for ident in others:
        del _depths[ident]
    if not _depths and _restart:
        gc.enable()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
