"""The workloads, written once against :class:`benchmarks.engines.Engine`.

Each returns a JSON-ready dict. Times are wall-clock seconds from
``time.perf_counter``; where a workload repeats, ``seconds`` is the median.
"""

from __future__ import annotations

import gc
import math
import os
import random
import statistics
import time
import tracemalloc
from typing import Any

from benchmarks.engines import Engine


def two_moons(n: int, seed: int = 0, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    """``n`` points on two interleaved half circles, labels -1 / +1 (scikit-learn's make_moons shape)."""
    rng = random.Random(seed)
    xs: list[list[float]] = []
    ys: list[float] = []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * rng.random()
        if upper:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        xs.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        ys.append(1.0 if upper else -1.0)
    return xs, ys


def mlp_step(engine: Engine, points: int = 100, sizes: tuple[int, ...] = (16, 16, 1), steps: int = 5) -> dict[str, Any]:
    """micrograd's demo: MLP(2, sizes) on two moons, hinge loss + 1e-4 L2, forward + backward + SGD.

    Seconds per step, median over ``steps`` after one warm-up step, first with
    the cyclic garbage collector on (as users run), then with it off, to show
    how much of a step is collector work.
    """
    xs, ys = two_moons(points)
    model, params = engine.mlp(2, list(sizes), seed=1337)

    def step(k: int) -> float:
        t0 = time.perf_counter()
        scores = [model(x) for x in xs]
        loss = engine.hinge_l2(scores, ys, params, alpha=1e-4)
        engine.sgd_step(loss, params, lr=1.0 - 0.9 * k / 100)
        return time.perf_counter() - t0

    step(0)
    with_gc = [step(k + 1) for k in range(steps)]
    gc.collect()
    gc.disable()
    try:
        without_gc = [step(k + 1 + steps) for k in range(steps)]
    finally:
        gc.enable()
        gc.collect()
    return {
        "seconds": statistics.median(with_gc),
        "seconds_gc_off": statistics.median(without_gc),
        "runs": with_gc,
        "runs_gc_off": without_gc,
        "points": points,
        "sizes": [2, *sizes],
    }


def deep_chain(engine: Engine, n: int) -> dict[str, Any]:
    """``x -> tanh(1.0001 x + 0.1)`` repeated ``n`` times, then backward to ``x``.

    Errors are the engine's to raise: the caller records RecursionError or
    MemoryError as the largest size the engine does not survive.
    """
    x = engine.leaf(0.5)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = engine.tanh(1.0001 * y + 0.1)
    t1 = time.perf_counter()
    engine.backward(y)
    t2 = time.perf_counter()
    g = engine.grad(x)
    if not math.isfinite(g):
        raise ArithmeticError(f"deep_chain n={n}: gradient {g!r} is not finite")
    return {"n": n, "forward": t1 - t0, "backward": t2 - t1, "seconds": t2 - t0, "grad": g}


def wide_sum(engine: Engine, n: int = 100_000, repeats: int = 5) -> dict[str, Any]:
    """Backward through ``sum(a[i] * b[i])`` over ``n`` products (the engine's own way to sum)."""
    rng = random.Random(0)
    forward: list[float] = []
    backward: list[float] = []
    for _ in range(repeats):
        a = [engine.leaf(rng.uniform(-1, 1)) for _ in range(n)]
        b = [engine.leaf(rng.uniform(-1, 1)) for _ in range(n)]
        t0 = time.perf_counter()
        s = engine.total([x * y for x, y in zip(a, b)])
        t1 = time.perf_counter()
        engine.backward(s)
        t2 = time.perf_counter()
        forward.append(t1 - t0)
        backward.append(t2 - t1)
        if engine.grad(a[0]) != float(b[0].data):
            raise ArithmeticError(f"wide_sum: d sum / d a[0] = {engine.grad(a[0])!r}, expected b[0] = {b[0].data!r}")
        del a, b, s
    return {"n": n, "seconds": statistics.median(backward), "forward": statistics.median(forward)}


def _product_chain(engine: Engine, n: int) -> list[Any]:
    """``n`` nodes: ``n // 2`` leaves and a chain of ``n - n // 2`` binary products over them."""
    leaves = [engine.leaf(1.0 + 1e-6 * i) for i in range(n // 2)]
    nodes = list(leaves)
    p = leaves[0]
    for i in range(n - len(leaves)):
        p = p * leaves[i % len(leaves)]
        nodes.append(p)
    return nodes


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bytes_per_node(engine: Engine, n: int = 100_000) -> dict[str, Any]:
    """Memory per node of an ``n``-node graph (leaves and binary products).

    ``bytes_per_node`` is what tracemalloc sees (Python's allocator). PyTorch's
    C++ allocations are invisible to it, hence also the resident-set growth,
    measured first and without tracemalloc running.
    """
    gc.collect()
    has_statm = os.path.exists("/proc/self/statm")
    rss0 = _rss_bytes() if has_statm else 0
    graph = _product_chain(engine, n)
    rss1 = _rss_bytes() if has_statm else 0
    del graph
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        graph = _product_chain(engine, n)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del graph
    return {
        "n": n,
        "bytes_per_node": (after - before) / n,
        "rss_bytes_per_node": (rss1 - rss0) / n if has_statm else None,
    }


def _wide_tree(engine: Engine, units: int) -> tuple[Any, Any]:
    """``sum_i tanh(a_i * b_i)`` added as a balanced tree: about 5 nodes per unit, depth ~log2(units).

    Shallow on purpose, so recursive engines take part too.
    """
    rng = random.Random(units)
    first = engine.leaf(rng.uniform(-1, 1))
    level = [engine.tanh(first * engine.leaf(rng.uniform(-1, 1)))]
    level += [engine.tanh(engine.leaf(rng.uniform(-1, 1)) * engine.leaf(rng.uniform(-1, 1))) for _ in range(units - 1)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            pairs.append(level[-1])
        level = pairs
    return level[0], first


def scaling(
    engine: Engine, units: int = 2_000, factors: tuple[int, ...] = (1, 10, 100), repeats: int = 5
) -> dict[str, Any]:
    """Forward + backward time of :func:`_wide_tree` as it grows by each factor; ratio to the smallest.

    Linear scaling means ``ratio`` close to the factor. ``repeats`` is for the
    largest graph; smaller ones are repeated more (up to 25). Measured with the
    cyclic garbage collector on (as users run) and off: CPython's full
    collections traverse every live object each time the heap grows by 25%,
    so a graph that grows from below that point to far above it pays them
    only at the large size.
    """
    out: dict[str, Any] = {"units": units, "nodes_per_unit": 5, "factors": list(factors)}
    for suffix, collector in (("", True), ("_gc_off", False)):
        seconds: dict[str, float] = {}
        for f in factors:
            runs = []
            # small graphs take milliseconds: repeat them more, or noise in the base skews every ratio
            for _ in range(max(repeats, min(25, round(repeats * (factors[-1] / f) ** 0.5)))):
                gc.collect()
                if not collector:
                    gc.disable()
                try:
                    t0 = time.perf_counter()
                    root, first = _wide_tree(engine, units * f)
                    engine.backward(root)
                    runs.append(time.perf_counter() - t0)
                finally:
                    gc.enable()
                del root, first
            seconds[str(f)] = statistics.median(runs)
        base = seconds[str(factors[0])]
        out["seconds_by_factor" + suffix] = seconds
        out["ratio_by_factor" + suffix] = {k: v / base for k, v in seconds.items()}
    out["seconds"] = out["seconds_by_factor"][str(factors[-1])]
    return out
