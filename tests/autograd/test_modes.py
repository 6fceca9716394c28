"""Modes per thread and the engine lock: nothing leaks between threads, nothing is lost.

Every thread test waits on events, never on time; joins have a generous timeout
only so that a deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    modes,
    no_grad,
    scope,
    trace_backward,
)
from autograd import graph as graph_module
from autograd import value as value_module
from tests.strategies import random_graphs

JOIN = 60.0  # seconds; only a guard against a deadlock hanging the suite


def run_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread; re-raise the first error any of them hit."""
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as err:  # noqa: BLE001 - handed to the test thread
                errors.append(err)

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
        assert not t.is_alive(), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]


def in_mode_while(mode: Callable[[], object], other: Callable[[], None]) -> None:
    """Run ``other`` in a second thread while a first thread sits inside ``with mode():``."""
    inside, done = threading.Event(), threading.Event()

    def holder() -> None:
        with mode():
            inside.set()
            assert done.wait(JOIN)

    def worker() -> None:
        assert inside.wait(JOIN)
        try:
            other()
        finally:
            done.set()

    run_threads(holder, worker)


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads every microsecond, so unprotected read-modify-writes would interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


# -- modes are per thread -----------------------------------------------------------------


def test_no_grad_in_one_thread_leaves_another_threads_graph_alone():
    seen = {}

    def other() -> None:
        assert is_grad_enabled()
        assert value_module._MODES_ACTIVE  # the process-wide flag is on: some thread has a mode on
        x = Value(3.0, label="x")
        y = x * x + x
        assert y.parents and y.parents[0].parents == (x, x)
        y.backward()
        seen["grad"] = x.grad

    in_mode_while(no_grad, other)
    assert seen["grad"] == 7.0  # 2x + 1 at x = 3
    assert not value_module._MODES_ACTIVE


def test_no_grad_still_drops_edges_in_its_own_thread_while_others_run():
    made: dict[str, Value] = {}
    inside, done = threading.Event(), threading.Event()

    def holder() -> None:
        with no_grad():
            inside.set()
            assert done.wait(JOIN)
            made["inside"] = Value(2.0) * 3

    def other() -> None:
        assert inside.wait(JOIN)
        made["outside"] = Value(2.0) * 3
        done.set()

    run_threads(holder, other)
    assert made["inside"].parents == () and made["outside"].parents


def test_enable_grad_is_per_thread():
    def other() -> None:
        with no_grad():
            assert (Value(1.0) * 2).parents == ()
            with enable_grad():
                assert (Value(1.0) * 2).parents
            assert not is_grad_enabled()

    in_mode_while(no_grad, other)
    assert is_grad_enabled()


def test_anomaly_mode_in_one_thread_does_not_raise_in_another():
    results = {}

    def other() -> None:
        assert not is_anomaly_enabled()
        x = Value(1e300, label="x")
        y = x * 1e300  # inf: only an anomaly-mode thread raises
        results["forward"] = y.data
        z = Value(0.0).sqrt() * x  # an infinite local derivative (d sqrt at 0) on the way back
        z.backward()
        results["nodes"] = len(autograd.topological_order(z))

    in_mode_while(detect_anomaly, other)
    assert results["forward"] == math.inf and results["nodes"] == 4

    # and the thread inside the mode does raise
    def holder() -> None:
        with detect_anomaly(), pytest.raises(AnomalyError, match="forward pass produced inf"):
            Value(1e300) * 1e300

    run_threads(holder)


def test_anomaly_sites_are_recorded_only_in_the_anomaly_thread():
    nodes: dict[str, Value] = {}

    def other() -> None:
        nodes["other"] = Value(1.0) * 2

    def inside_anomaly() -> Iterator[None]:
        with detect_anomaly():
            nodes["mine"] = Value(1.0) * 2
            yield

    gen = inside_anomaly()
    next(gen)
    try:
        run_threads(other)
    finally:
        gen.close()
    assert nodes["mine"]._site and "test_modes.py" in nodes["mine"]._site
    assert nodes["other"]._site is None


def test_scopes_record_only_their_own_threads_nodes():
    inside, done = threading.Event(), threading.Event()
    made: dict[str, list[Value]] = {"holder": [], "other": []}
    holder_scope = scope("holder")

    def holder() -> None:
        x = Value(1.0)
        with holder_scope:
            made["holder"].append(x * 2)
            inside.set()
            assert done.wait(JOIN)
            made["holder"].append(x + 1)

    def other() -> None:
        assert inside.wait(JOIN)
        assert modes.current_scope() is None
        y = Value(2.0)
        made["other"] += [y * 3, y.tanh()]
        with scope("other") as s:
            made["other"].append(y - 1)
        assert s.nodes == made["other"][-1:]
        done.set()

    run_threads(holder, other)
    assert holder_scope.nodes == made["holder"]
    assert holder_scope.children == []  # the other thread's scope is not nested in this one
    assert not value_module._MODES_ACTIVE


def test_the_same_scope_entered_by_two_threads_nests_in_each_separately():
    shared = scope("shared")
    barrier = threading.Barrier(2)
    made: list[Value] = []

    def worker() -> None:
        x = Value(1.0)
        with shared:
            barrier.wait(JOIN)
            made.append(x * 2)
            barrier.wait(JOIN)

    run_threads(worker, worker)
    assert sorted(map(id, shared.nodes)) == sorted(map(id, made)) and len(made) == 2


def test_leaving_a_scope_from_another_thread_is_refused():
    s = scope("mine")
    s.__enter__()
    try:
        def other() -> None:
            with pytest.raises(RuntimeError, match="innermost active scope of this thread"):
                s.__exit__(None, None, None)

        run_threads(other)
    finally:
        s.__exit__(None, None, None)
    assert not value_module._MODES_ACTIVE


def test_a_block_left_from_another_thread_restores_the_thread_that_entered_it():
    def body() -> Iterator[None]:
        with no_grad(), detect_anomaly():
            yield

    gen = body()
    next(gen)  # this thread is now inside both blocks
    assert not is_grad_enabled() and is_anomaly_enabled()
    run_threads(gen.close)  # the other thread runs the exits
    assert is_grad_enabled() and not is_anomaly_enabled()
    assert not value_module._MODES_ACTIVE
    assert (Value(1.0) * 2).parents


def test_a_thread_that_ends_inside_a_mode_does_not_keep_the_flag_on():
    kept = []

    def leaves_them_open() -> None:
        scope("never left").__enter__()  # the thread ends inside the scope
        block = no_grad()
        block.__enter__()  # and inside a block whose manager is dropped with the thread's frame
        kept.append(scope("kept"))
        assert value_module._MODES_ACTIVE

    run_threads(leaves_them_open)
    gc.collect()
    assert not value_module._MODES_ACTIVE
    assert is_grad_enabled() and modes.current_scope() is None


def test_flag_is_on_exactly_while_some_thread_has_a_mode_on():
    assert not value_module._MODES_ACTIVE
    with no_grad():
        with enable_grad():  # nothing on in this thread: the fast path again
            assert not value_module._MODES_ACTIVE
        assert value_module._MODES_ACTIVE
    assert not value_module._MODES_ACTIVE
    assert not modes.any_mode_active()


# -- the engine lock: concurrent passes are exact ------------------------------------------


def chain(x: Value, w: Value, length: int) -> Value:
    y = x * w
    for _ in range(length):
        y = y * 1.0 + w * 0.0  # every link goes through the shared leaf w
    return y


def test_concurrent_backward_through_shared_hooked_leaves_loses_nothing(fast_switching):
    threads, rounds, length = 6, 60, 15
    w = Value(1.0, label="w")
    leaf_calls: list[float] = []
    w.register_hook(leaf_calls.append)

    def work(k: int) -> Callable[[], None]:
        def run() -> None:
            x = Value(1.0, label=f"x{k}")
            for _ in range(rounds):
                y = chain(x, w, length)
                y.backward()  # d y / d w = x = 1 per pass, d y / d x = w = 1
            assert x.grad == rounds

        return run

    run_threads(*(work(k) for k in range(threads)))
    assert len(leaf_calls) == threads * rounds
    assert all(g == 1.0 for g in leaf_calls)
    assert w.grad == threads * rounds


def test_concurrent_backward_of_one_shared_graph_with_an_interior_hook(fast_switching):
    threads, rounds = 5, 80
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    h = a * b
    y = h * h + a  # d y / d a = 2 h b + 1 = 37, d y / d b = 2 h a = 24
    calls: list[float] = []
    h.register_hook(calls.append)

    def run() -> None:
        for _ in range(rounds):
            y.backward()

    run_threads(*([run] * threads))
    n = threads * rounds
    assert len(calls) == n and set(calls) == {12.0}
    assert a.grad == 37.0 * n and b.grad == 24.0 * n


def test_concurrent_grad_and_trace_and_backward_agree(fast_switching):
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    out = (x * w + w).tanh() * w
    expected = autograd.grad(out, [x, w])
    n_nodes = len(autograd.topological_order(out))
    n_edges = sum(len(node.parents) for node in autograd.topological_order(out))
    rounds = 40
    traced: list[int] = []

    def by_grad() -> None:
        for _ in range(rounds):
            assert autograd.grad(out, [x, w]) == expected

    def by_trace() -> None:
        for _ in range(rounds):
            traced.append(len(trace_backward(out)))

    def by_order() -> None:
        for _ in range(rounds):
            assert len(autograd.topological_order(out)) == n_nodes

    def by_backward() -> None:
        for _ in range(rounds):
            out.backward()

    run_threads(by_grad, by_trace, by_order, by_grad, by_backward)
    assert set(traced) == {n_edges}  # one step per edge, every time
    # only backward() writes .grad (the traces keep theirs): the leaves hold exactly its passes
    assert x.grad == pytest.approx(expected[0] * rounds) and w.grad == pytest.approx(expected[1] * rounds)


@settings(max_examples=15)
@given(random_graphs(), st.integers(min_value=2, max_value=4))
def test_passes_from_several_threads_sum_like_passes_one_after_another(graph, threads):
    root, leaves = graph
    single = autograd.grad(root, leaves)
    for leaf in leaves:
        leaf.grad = 0.0
    rounds = 5

    def run() -> None:
        for _ in range(rounds):
            root.backward()

    run_threads(*([run] * threads))
    n = threads * rounds
    for leaf, g in zip(leaves, single):
        assert leaf.grad == pytest.approx(g * n, rel=1e-9, abs=1e-12)
    assert all(node._pending == 0 for node in autograd.topological_order(root))


def test_a_hook_may_run_a_pass_of_its_own():
    x = Value(2.0)
    y = x * x
    inner = []
    z = Value(3.0)
    x.register_hook(lambda g: inner.append(autograd.grad(z * z, [z])[0]))
    y.backward()
    assert inner == [6.0] and x.grad == 4.0


def test_a_step_by_step_pass_holds_the_lock_until_closed_from_any_thread():
    a = Value(1.5)
    steps = graph_module.chain_rule_steps((a * a).tanh())
    next(steps)  # the pass has started in this thread
    assert graph_module.ENGINE_LOCK.held_by_me()
    started, finished = threading.Event(), threading.Event()
    other_grad = {}

    def other() -> None:
        b = Value(2.0)
        started.set()
        (b * b).backward()  # waits for the lock
        other_grad["b"] = b.grad
        finished.set()

    t = threading.Thread(target=other)
    t.start()
    assert started.wait(JOIN)
    assert not finished.is_set()  # (only possible to observe as "not yet": never a timed claim)
    closer = threading.Thread(target=steps.close)  # closed from a third thread
    closer.start()
    closer.join(JOIN)
    t.join(JOIN)
    assert finished.is_set() and other_grad["b"] == 4.0
    assert not graph_module.ENGINE_LOCK.held_by_me()


def test_a_step_by_step_pass_dropped_in_another_thread_releases_the_lock():
    holder: dict[str, object] = {}

    def start() -> None:
        steps = graph_module.chain_rule_steps(Value(1.0) * 2)
        next(steps)
        holder["steps"] = steps

    run_threads(start)
    del holder["steps"]  # closed by reference counting, in this thread
    gc.collect()
    x = Value(3.0)
    (x * x).backward()  # would wait for ever if the lock were still held
    assert x.grad == 6.0


def test_a_step_by_step_pass_into_a_dict_does_not_hold_the_lock():
    grads: dict[Value, float] = {}
    steps = graph_module.chain_rule_steps(Value(1.0) * 2, 1.0, grads)
    next(steps)
    assert not graph_module.ENGINE_LOCK.held_by_me()

    def other() -> None:
        x = Value(3.0)
        (x * x).backward()
        assert x.grad == 6.0

    run_threads(other)
    steps.close()


def test_engine_lock_refuses_a_release_it_does_not_hold():
    lock = graph_module.EngineLock()
    token = lock.acquire()
    assert lock.acquire() == token  # re-entrant
    lock.release(token)
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release(token + 1)
    lock.release(token)
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release(token)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_process_forked_while_another_thread_holds_modes_and_the_lock_works():
    inside, done = threading.Event(), threading.Event()

    def holder() -> None:
        with no_grad(), graph_module.ENGINE_LOCK:
            inside.set()
            assert done.wait(JOIN)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert inside.wait(JOIN)
        pid = os.fork()
        if pid == 0:  # the child: only this thread exists; it must neither wait for ever nor lose edges
            status = 1
            try:
                x = Value(3.0)
                y = x * x
                y.backward()
                status = 0 if (x.grad == 6.0 and not value_module._MODES_ACTIVE) else 3
            finally:
                os._exit(status)
        for _ in range(600):  # poll: a deadlocked child must fail the test, not hang it
            done_pid, status = os.waitpid(pid, os.WNOHANG)
            if done_pid:
                break
            threading.Event().wait(0.1)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the child process deadlocked")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        done.set()
        t.join(JOIN)
