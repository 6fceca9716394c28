"""Walking the graph: topological order, the backward pass, ``grad()``.

The backward pass is the chain rule applied edge by edge in reverse
topological order: for a node whose gradient ``g = d root / d node`` is final,
every edge to a parent adds ``local_grad * g`` to that parent. Summed over all
edges, this equals Nielsen's sum over paths of the products of local
derivatives, in time linear in the number of edges.

Everything is iterative, so a chain of a million nodes needs no recursion.

Thread policy: passes are serialized by one process-wide engine lock
(:data:`ENGINE_LOCK`), re-entrant per thread. It is held for the whole of a
:func:`backward` (and of a step-by-step :func:`chain_rule_steps` pass that
writes ``.grad``, from its first step until it finishes or is closed), and
for every topological sort (which keeps scratch counts on the nodes). So
concurrent ``backward()`` calls through shared nodes give exact sums and run
every hook once per pass; they run one after another, not in parallel (the
passes are pure Python, which the interpreter's lock serializes anyway).
``grad()`` holds the lock only for its sort: it writes no ``.grad``. A hook may
call ``backward()`` or ``grad()`` itself (the lock is re-entrant), but must not
wait for another thread that runs a pass: that thread waits for the lock.
A step-by-step pass left unfinished and not closed keeps other threads' passes
waiting; close it (``steps.close()``) or run it to the end.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal, cast, overload

from autograd import collector, modes
from autograd import value as _value
from autograd.inputs import as_inputs
from autograd.ops import value_grads
from autograd.value import Value, as_float, total

# One chain-rule application: (node, parent index, local_grad, upstream, contribution, parent_grad after).
RawStep = tuple[Value, int, float, float, float, float]


class EngineLock:
    """A re-entrant lock whose holder may be released from another thread.

    ``threading.RLock`` can only be released by the thread that took it; a
    step-by-step pass is a generator, which the garbage collector may close in
    any thread, so its ``finally`` must be able to release on behalf of the
    thread that started it. :meth:`acquire` returns a token for :meth:`release`.
    """

    def __init__(self) -> None:
        self._held = threading.Lock()  # a plain Lock: any thread may release it
        self._meta = threading.Lock()  # guards _owner and _depth
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> int:
        """Wait for the lock (at once if this thread holds it already); return the token for release."""
        me = threading.get_ident()
        with self._meta:
            if self._owner == me:
                self._depth += 1
                return me
        self._held.acquire()
        with self._meta:
            self._owner = me
            self._depth = 1
        return me

    def release(self, token: int) -> None:
        """Undo one :meth:`acquire` that returned ``token`` (from any thread)."""
        with self._meta:
            if self._owner != token or not self._depth:
                raise RuntimeError("release of an engine lock that this token does not hold")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
        self._held.release()

    def _after_fork_in_child(self) -> None:
        # Only the forking thread lives on in a child process: a lock another thread held
        # would never be released there.
        self._meta = threading.Lock()
        if self._owner != threading.get_ident():
            self._held = threading.Lock()
            self._owner = None
            self._depth = 0

    def held_by_me(self) -> bool:
        """True if the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> int:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release(threading.get_ident())


ENGINE_LOCK = EngineLock()
"""Serializes passes and sorts across threads (see the module docstring)."""
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=ENGINE_LOCK._after_fork_in_child)


def check_value(x: object, who: str, role: str = "") -> Value:
    """``x`` if it is a Value, else a TypeError naming the function, the role and what was given."""
    if not isinstance(x, Value):
        raise TypeError(f"{who} needs a Value{role}, got {type(x).__name__}: {x!r}")
    return x


def reverse_topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root`` once, each before its parents (root first).

    Kahn's algorithm on the reversed graph: a node is emitted once all the
    nodes that consume it have been, which is exactly when its gradient is
    final in the backward pass.

    The count of not-yet-emitted consumers lives on the node (``_pending``)
    rather than in a dict keyed by node: on a 500,000-node graph this made the
    sort 2.4x faster (no hashing, one memory access per edge instead of two),
    and per-node cost stays flat as graphs outgrow the CPU caches. Every count
    is back to 0 when the sort finishes; if it is interrupted, the counts are
    reset before the exception propagates. The engine lock makes sorts from
    several threads take turns, so the counts of a shared node never mix.
    """
    check_value(root, "reverse_topological_order")
    paused = collector.pause()  # (see backward)
    try:
        token = ENGINE_LOCK.acquire()  # the counts on shared nodes must not interleave with another sort
        try:
            return _sort(root)
        finally:
            ENGINE_LOCK.release(token)
    finally:
        collector.resume(paused)


def _sort(root: Value) -> list[Value]:
    stack = [root]
    pop, push = stack.pop, stack.append
    order = [root]
    append = order.append
    try:
        # pass 1: count each node's consumers; a node is pushed when first seen (count 0 -> 1)
        while stack:
            for p in pop().parents:
                seen = p._pending
                p._pending = seen + 1
                if not seen:
                    push(p)
        # pass 2: emit a node when its last consumer has been emitted (count back to 0)
        for node in order:  # the list grows while we walk it
            for p in node.parents:
                left = p._pending - 1
                p._pending = left
                if not left:
                    append(p)
    except BaseException:
        _reset_pending(root)
        raise
    return order


def _reset_pending(root: Value) -> None:
    """Zero the sort's scratch counts on everything reachable from ``root`` (after an interruption)."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        node._pending = 0
        for p in node.parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root`` once, parents before children (root last)."""
    order = reverse_topological_order(root)
    order.reverse()
    return order


def _run_hooks(node: Value, g: float) -> float:
    for fn in tuple(node._hooks or ()):
        out = fn(g)
        if out is not None:
            g = as_float(out, what=f"value returned by hook {fn!r}")
    return g


def backward(root: Value, grad: float = 1.0, *, create_graph: bool = False) -> dict[Value, Value] | None:
    """Fill ``.grad`` of every node ``root`` depends on with ``d root / d node``.

    ``grad`` seeds the pass (d root / d root). Interior nodes are reset to this
    pass's gradient; leaves accumulate across passes until zeroed. Hooks run
    when a node's gradient is final. Inside ``detect_anomaly()`` the pass
    checks every contribution (see :func:`chain_rule_steps`).

    With ``create_graph=True`` the ``.grad`` floats are filled exactly the same
    way, and the gradients are also built as Values (see :func:`grad`) and
    returned as ``{leaf: d root / d leaf}`` for every leaf ``root`` depends on.
    """
    check_value(root, "backward")
    seed = as_float(grad, what="backward's grad")
    if create_graph:
        backward(root, seed)
        built = gradient_graph(root, seed)
        return {node: _as_value(g) for node, g in built.items() if not node.parents}
    if modes.is_anomaly_enabled():
        for _ in chain_rule_steps(root, seed):
            pass
        return None
    # The pass makes a few containers only (taking the lock makes one), but the first of them would
    # start the young collection that a graph just built owes (a pause in a module call or in total()
    # defers it): over the whole graph, cold in the caches, and often freed right after its backward
    # pass. Deferred past the pass, that collection looks only at what survives.
    paused = collector.pause()
    try:
        token = ENGINE_LOCK.acquire()  # another thread's pass must not interleave its += on shared nodes
        try:
            _backward(root, seed)
        finally:
            ENGINE_LOCK.release(token)
    finally:
        collector.resume(paused)
    return None


_value._run_backward = backward  # Value.backward() runs this (value.py sits below and imports nothing here)


def _backward(root: Value, seed: float) -> None:
    order = _sort(root)
    stash = _start_pass(order, root, seed)
    try:
        for node in order:
            g = node.grad
            if node._hooks is not None:
                g = _run_hooks(node, g)
                node.grad = g + stash.pop(node, -0.0)  # -0.0: adds nothing, keeps a signed zero
            parents = node.parents
            if parents:  # a leaf passes nothing on: skipping its empty zip saves ~10% on leaf-heavy graphs
                for p, local in zip(parents, node.local_grads):
                    p.grad += local * g
    except BaseException:
        _restore_stash(stash)
        raise


def _start_pass(order: list[Value], root: Value, seed: float) -> dict[Value, float]:
    """Reset interior gradients, seed the root; return the earlier-pass grads of hooked leaves.

    Those leaves start the pass at 0 so their hooks see this pass's gradient
    only; the returned stash is added back when each one is reached.

    "Zero" here is -0.0, the one IEEE number that adds as nothing (``-0.0 + x``
    is ``x`` for every x, -0.0 included, where ``0.0 + -0.0`` is ``0.0``). So a
    gradient is exactly the sum of its contributions, signed zero included, as
    in PyTorch, where the first contribution is assigned: ``(x * -0.0).backward()``
    leaves ``x.grad == -0.0``. A leaf whose ``.grad`` is zero (never reached, or
    zeroed) starts from -0.0 as well; a leaf holding an earlier pass's nonzero
    gradient accumulates onto it.
    """
    stash: dict[Value, float] = {}
    for node in order:
        if node.parents:
            node.grad = -0.0
        elif node._hooks is not None:
            stash[node] = node.grad or -0.0
            node.grad = -0.0
        elif not node.grad:  # ±0.0: no gradient yet
            node.grad = -0.0
    root.grad += seed
    return stash


def _restore_stash(stash: dict[Value, float]) -> None:
    """After an interrupted pass, give hooked leaves not yet reached their earlier-pass gradient back.

    Leaves accumulate: whatever the interrupted pass added stays, as it does on leaves without hooks.
    """
    for node, earlier in stash.items():
        node.grad += earlier


def chain_rule_steps(root: Value, grad: float = 1.0, grads: dict[Value, float] | None = None) -> Iterator[RawStep]:
    """The backward pass, one chain-rule application at a time, as a generator.

    With ``grads=None`` it does exactly what :func:`backward` does to the
    ``.grad`` attributes (same order, same hooks, same accumulation); with a dict,
    gradients are kept in that dict and no ``.grad`` is touched (leaves start
    at 0). Each step yields ``(node, i, local_grad, upstream, contribution,
    parent_grad_after)`` for the edge from ``node`` to ``node.parents[i]``.
    Inside ``detect_anomaly()`` a non-finite contribution raises AnomalyError.
    """
    check_value(root, "chain_rule_steps")
    seed = as_float(grad, what="backward's grad")
    check = modes.is_anomaly_enabled()
    if grads is not None:  # writes no .grad: only the sort needs the engine lock
        order = reverse_topological_order(root)
        grads.clear()
        grads[root] = seed
        yield from _steps(order, grads, {}, check)
        return
    # writes .grad: hold the engine lock until the pass ends or the generator is closed,
    # whichever thread closes it
    token = ENGINE_LOCK.acquire()
    try:
        order = _sort(root)
        stash = _start_pass(order, root, seed)
        yield from _steps(order, None, stash, check)
    finally:
        ENGINE_LOCK.release(token)


def _steps(
    order: list[Value], grads: dict[Value, float] | None, stash: dict[Value, float], check: bool
) -> Iterator[RawStep]:
    """The body of :func:`chain_rule_steps` once the pass has started."""
    try:
        for node in order:
            g = node.grad if grads is None else grads.get(node, 0.0)
            if node._hooks is not None:
                g = _run_hooks(node, g)
                if grads is None:
                    node.grad = g + stash.pop(node, -0.0)
                else:
                    grads[node] = g
            for i, (p, local) in enumerate(zip(node.parents, node.local_grads)):
                contribution = local * g
                if check:
                    modes.check_contribution(node, i, contribution, g)
                if grads is None:
                    p.grad += contribution
                    after = p.grad
                else:
                    after = grads.get(p, -0.0) + contribution  # from -0.0, as _start_pass explains
                    grads[p] = after
                yield node, i, local, g, contribution, after
    except BaseException:  # an error, or the caller stopped early (GeneratorExit)
        _restore_stash(stash)
        raise


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector inside the block; restore its state on exit.

    Wrap each step of your own training loop, or the building of one large
    graph, in it (``nn.train.fit`` does so for its steps)::

        for batch in batches:
            with autograd.collector_paused():
                loss = loss_fn(model, batch)
                loss.backward()
                opt.step()

    Graphs here hold no reference cycles, so reference counting frees them
    without the collector; but while a graph grows, every full collection
    traverses every live node, and those come each time the heap grows by a
    quarter. The engine already defers collection during its own bounded work
    (the outermost call of an ``nn`` module, ``backward()``, a sort, ``total``
    or ``dot`` over a generator: :mod:`autograd.collector`); this block covers
    your code in between, where the graph of a large sum or a loss is built
    term by term. Measured with ``gc.callbacks`` (``python -m benchmarks``,
    collector_scaling, 2 cores): a sum of 1,000,000 products built in list
    comprehensions meets 14 full collections over 17.8 million objects and
    takes 1.97x the time with the collector off; inside this block, 1.0x, and
    100x the products 125x the time of 10,000 (184x without it).

    Cycles made by other code inside the block are collected after it. Nested
    blocks are fine, in one thread or several: the collector comes back on when
    the last block (or engine pause) ends, and only if it was on when the first began.
    """
    token = collector.pause()
    try:
        yield
    finally:
        collector.resume(token)


# The result's type follows the arguments: one float per input, bare for one bare Value, Values with create_graph.
@overload
def grad(output: Value, inputs: Value, *, create_graph: Literal[False] = False) -> float: ...
@overload
def grad(output: Value, inputs: Iterable[Value], *, create_graph: Literal[False] = False) -> list[float]: ...
@overload
def grad(output: Value, inputs: Value, *, create_graph: Literal[True]) -> Value: ...
@overload
def grad(output: Value, inputs: Iterable[Value], *, create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(
    output: Value, inputs: Value | Iterable[Value], *, create_graph: bool = False
) -> list[float] | float | list[Value] | Value: ...
def grad(
    output: Value, inputs: Value | Iterable[Value], *, create_graph: bool = False
) -> list[float] | float | list[Value] | Value:
    """``[d output / d x for x in inputs]`` without touching any ``.grad``.

    An input that ``output`` does not depend on gets 0.0. A single Value as
    ``inputs`` gives a single gradient instead of a list; a number is refused
    with a TypeError (it is no node of the graph), as is anything else outside
    the rule of :mod:`autograd.inputs`.

    With ``create_graph=True`` the gradients are Values (see
    :func:`gradient_graph`) whose graphs reach back to the inputs, so they can
    be differentiated again, to any order: ``grad(grad(y, x, create_graph=True), x)``
    is the second derivative. Hooks do not run in that mode.
    """
    check_value(output, "grad")
    given = as_inputs(inputs, "grad", numbers=False, empty=True)
    xs = given.items
    out: list[Value] | list[float]
    if create_graph:
        built = gradient_graph(output, 1.0)
        out = [_as_value(built.get(x, 0.0)) for x in xs]
    else:
        grads: dict[Value, float] = {}
        for _ in chain_rule_steps(output, 1.0, grads):
            pass
        out = [grads.get(x, 0.0) for x in xs]
    result: list[float] | float | list[Value] | Value = given.unpack(out)
    return result


def gradient_graph(root: Value, seed: float = 1.0) -> dict[Value, Value | float]:
    """The backward pass built from Value ops: ``{node: d root / d node}`` as Values (or floats).

    The same walk as :func:`backward`, but each edge's contribution
    ``upstream * local`` is a new node, with the local derivative taken from the
    op's derivative formula evaluated on Values (:func:`autograd.ops.value_grads`),
    so the result is a graph over the same inputs. A node's contributions are
    summed by one ``sum`` node. Where everything on the way is constant the
    gradient stays a float. Multiplications by 1 are skipped, so the drawn
    derivative shows only the arithmetic it needs.
    """
    order = reverse_topological_order(root)
    pending: dict[Value, list[Value | float]] = {root: [seed]}
    built: dict[Value, Value | float] = {}
    # the derivative's graph must be recorded even inside no_grad(); it grows as large as the
    # graph it differentiates, without collections (see autograd.collector)
    with modes.enable_grad(), collector_paused():
        for node in order:
            terms = pending.pop(node, None)
            if terms is None:
                continue
            g = terms[0] if len(terms) == 1 else _sum_terms(terms)
            built[node] = g
            if not node.parents or (type(g) is float and g == 0.0):
                continue
            for p, local in zip(node.parents, value_grads(node)):
                if type(local) is float and local == 0.0:
                    continue
                term = local if (type(g) is float and g == 1.0) else g if (type(local) is float and local == 1.0) \
                    else g * local
                pending.setdefault(p, []).append(term)
    return built


def _sum_terms(terms: list[Value | float]) -> Value | float:
    """Contributions to one gradient: a float while all are constants, else one ``sum`` node."""
    if all(type(t) is float for t in terms):
        return sum(cast("list[float]", terms))  # all floats, as just tested
    return total(terms)


def _as_value(g: Value | float) -> Value:
    """A gradient as a Value: a constant leaf where it is a plain number."""
    return g if isinstance(g, Value) else Value(g)
