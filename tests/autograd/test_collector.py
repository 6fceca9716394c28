"""Pauses of the cyclic collector during the engine's bounded work (autograd/collector.py).

What must hold: inside the outermost module call, a backward pass, a sort, and
``total``/``dot`` reading a generator, no automatic collection starts; after
them the collector is exactly as it was (on or off), whatever happened inside
(exceptions, nesting, other threads, a fork); short pauses in a row let the
collector run in pieces rather than over one large pile.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, collector, dot, total
from autograd.graph import topological_order

nn = pytest.importorskip("nn")


@contextmanager
def collector_state(enabled: bool) -> Iterator[None]:
    """Run the block with the collector on or off; put it back on afterwards (as the test run expects)."""
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def collections_started() -> Iterator[list[dict[str, Any]]]:
    """The automatic and explicit collections that start inside the block: generation, counts, enabled."""
    seen: list[dict[str, Any]] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append({"generation": info["generation"], "owed": gc.get_count()[0],
                         "frames": _function_names(sys._getframe(1))})

    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)


def _function_names(frame: Any) -> list[str]:
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


class Chain(nn.Module):
    """A module building ``n`` nodes per call and recording whether the collector was on inside."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.w = Value(0.5)
        self.seen: list[bool] = []

    def __call__(self, x: Any) -> Value:
        self.seen.append(gc.isenabled())
        y = self.w * x
        for _ in range(self.n):
            y = y * 1.0001 + 0.001
        return y


class Outer(nn.Module):
    def __init__(self) -> None:
        self.inner = Chain(5)
        self.seen: list[bool] = []

    def __call__(self, x: Any) -> Value:
        y = self.inner(x)
        self.seen.append(gc.isenabled())
        return self.inner(y)


class Failing(nn.Module):
    def __call__(self, x: Any) -> Value:
        raise KeyboardInterrupt  # Ctrl-C in the middle of a model call


# -- the state is always restored --------------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_module_calls_pause_inside_and_restore_after(enabled: bool) -> None:
    model = Outer()
    with collector_state(enabled):
        model(Value(1.0))
        assert gc.isenabled() is enabled
    assert model.seen == [False] and model.inner.seen == [False, False]


@pytest.mark.parametrize("enabled", [True, False])
def test_every_bounded_operation_restores_the_state(enabled: bool) -> None:
    xs = [Value(float(i)) for i in range(50)]
    inside: list[bool] = []

    def terms() -> Iterator[Value]:
        for x in xs:
            inside.append(gc.isenabled())
            yield x * x

    with collector_state(enabled):
        s = total(terms())
        d = dot((x * 2.0 for x in xs), xs)
        root = s + d
        root.register_hook(lambda g: inside.append(gc.isenabled()))
        root.backward()
        topological_order(root)
        autograd.grad(root, xs[0], create_graph=True)
        assert gc.isenabled() is enabled
    assert inside and not any(inside)


@pytest.mark.parametrize("enabled", [True, False])
def test_state_restored_after_an_interrupted_call_and_a_failed_backward(enabled: bool) -> None:
    x = Value(1.0)
    y = x * 2.0
    y.register_hook(lambda g: 1 / 0)
    with collector_state(enabled):
        with pytest.raises(KeyboardInterrupt):
            Failing()(x)
        with pytest.raises(ZeroDivisionError):
            y.backward()
        assert gc.isenabled() is enabled
        assert not collector.in_force()


def test_a_gc_enable_inside_a_pause_takes_effect_at_once() -> None:
    with collector_state(True):
        with autograd.collector_paused():
            gc.enable()
            assert gc.isenabled()
        assert gc.isenabled()


def test_resume_without_pause_is_refused_by_name() -> None:
    with pytest.raises(RuntimeError, match=r"resume\(\) without a pause"):
        collector.resume(threading.get_ident())


class Runner(nn.Module):
    """A module whose call runs ``then()`` inside it."""

    def __init__(self, then: Any) -> None:
        self._then = then

    def __call__(self, x: Any) -> Value:
        self._then()
        return x * 2.0


def _inside(kind: int, then: Any) -> None:
    """Run ``then()`` inside one of the engine's pauses: a block, a module call, total(), a backward pass."""
    if kind == 0:
        with autograd.collector_paused():
            then()
    elif kind == 1:
        Runner(then)(Value(1.0))
    elif kind == 2:
        def terms() -> Iterator[Value]:
            then()
            yield Value(1.0)

        total(terms())
    else:
        y = Value(1.0) * 2.0
        y.register_hook(lambda g: then())
        y.backward()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=6), st.booleans())
def test_nested_pauses_of_every_kind_restore_the_state(plan: list[tuple[int, bool]], enabled: bool) -> None:
    """Pauses nested in a random order, some left by an exception, leave the collector as they found it."""

    def level(k: int) -> None:
        if k == len(plan):
            assert not gc.isenabled()
            return
        kind, fail = plan[k]

        def then() -> None:
            level(k + 1)
            if fail:
                raise ValueError(f"left at level {k}")

        _inside(kind, then)

    with collector_state(enabled):
        try:
            level(0)
        except ValueError:
            pass
        assert gc.isenabled() is enabled
        assert not collector.in_force()


# -- threads and processes --------------------------------------------------------------------------


@contextmanager
def another_thread_paused() -> Iterator[None]:
    """The block runs while another thread is inside ``collector_paused()``; it leaves after the block."""
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with autograd.collector_paused():
            entered.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    t.start()
    try:
        assert entered.wait(10)
        yield
    finally:
        leave.set()
        t.join(10)


def test_pauses_overlapping_across_threads_restart_the_collector_at_the_last() -> None:
    with collector_state(True):
        token = collector.pause()
        with another_thread_paused():
            collector.resume(token)  # the first pause ends while the other thread's goes on
            assert not gc.isenabled()
        assert gc.isenabled()


def test_a_pause_begun_in_one_thread_may_end_in_another() -> None:
    with collector_state(True):
        token = collector.pause()
        t = threading.Thread(target=collector.resume, args=(token,))
        t.start()
        t.join(10)
        assert gc.isenabled() and not collector.in_force()


def test_many_threads_calling_modules_leave_the_collector_on() -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(200):
                model([0.1 * i, 0.2]).backward()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    with collector_state(True):
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and gc.isenabled() and not collector.in_force()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_during_another_threads_pause_has_the_collector_on() -> None:
    with collector_state(True):
        with another_thread_paused():
            pid = os.fork()
            if pid == 0:  # the child: only this thread lives on, and its pauses are none
                os._exit(0 if gc.isenabled() and not collector.in_force() else 1)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            assert not gc.isenabled()  # the parent's other thread is still inside its pause
        assert gc.isenabled()


# -- what the collector does around the pauses --------------------------------------------------


def test_no_collection_starts_inside_a_module_call_building_a_large_graph() -> None:
    model = Chain(20_000)  # 60,000 containers: some 80 young collections' worth
    with collector_state(True), collections_started() as seen:
        out = model(Value(1.0))
    assert out.data > 0
    assert not [c for c in seen if "__call__one" in c["frames"] or "__call__" in c["frames"][:3]]


def test_short_pauses_in_a_row_let_the_collector_run_in_pieces() -> None:
    """A model called example by example makes no container between calls: without settling, its pauses
    would defer one collection over everything; with it, each collection looks at a bounded pile."""
    model = nn.MLP(2, [16, 16, 1], seed=0)  # about 200 containers per call
    threshold = gc.get_threshold()[0]
    with collector_state(True):
        gc.collect()
        with collections_started() as seen:
            outs = [model([0.01 * i, 0.5]) for i in range(1_000)]
    assert len(outs) == 1_000
    young = [c for c in seen if c["generation"] == 0]
    assert len(young) >= 10  # in pieces: about 200,000 containers, 7,000 at a time
    assert max(c["owed"] for c in seen) <= (collector.SETTLE + 1) * threshold + 1_000


def test_a_long_pause_leaves_its_collection_owed() -> None:
    """total() over a generator of 20,000 products ends owing the collection: its terms are cold already,
    and are often freed (after their backward pass) before the next container is made."""
    xs = [Value(0.5) for _ in range(20_000)]
    with collector_state(True):
        gc.collect()
        with collections_started() as seen:
            s = total(x * 3.0 for x in xs)
            owed = gc.get_count()[0]
        assert not seen and owed > collector.SETTLE * gc.get_threshold()[0]
        s.backward()
        del s  # the graph is freed by reference counting: (almost) nothing is owed any more
        assert gc.get_count()[0] < 3_000  # CPython keeps up to 2,000 freed tuples for reuse, still counted
    assert xs[0].grad == 3.0


def test_a_graph_freed_after_its_backward_pass_owes_nothing() -> None:
    """The collection that total() over a generator leaves owed does not start in backward() (taking the
    engine lock makes a container, and the pass is a short pause): the graph is freed first, and nothing is
    collected at all. (What stays counted are the freed tuples CPython keeps for reuse, up to 2,000.)"""
    xs = [Value(0.5) for _ in range(20_000)]
    with collector_state(True):
        gc.collect()
        with collections_started() as seen:
            total(x * 3.0 for x in xs).backward()
            after = gc.get_count()[0]
    assert not seen and after < 3_000  # of the 60,000 containers made
