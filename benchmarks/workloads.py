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


def _graph_size(root: Any) -> dict[str, int]:
    """Ops (nodes an op allocates) and edges of one of this project's graphs."""
    from autograd import topological_order

    order = topological_order(root)
    ops = [v for v in order if v.parents]
    return {"nodes": len(ops), "edges": sum(len(v.parents) for v in ops)}


def settled(call: Any, measure: int = 5, min_calls: int = 10, budget: float = 20.0) -> tuple[list[float], int]:
    """``(timings of `measure` calls, warm-up calls made)`` once the timings of ``call()`` have settled.

    Warm-up runs until at least ``min_calls`` calls (CPython 3.11 specialises a function's
    bytecode after about 8 calls: a generated replay runs slower before) or ``budget``
    seconds, whichever comes first (slow steps specialise within the first call), and then
    until the median of the last 3 calls is within 5% of the median of the 3 before
    (at most ``budget`` seconds more).
    """
    times: list[float] = []
    start = time.perf_counter()

    def timed() -> float:
        t0 = time.perf_counter()
        call()
        return time.perf_counter() - t0

    while True:
        times.append(timed())
        spent = time.perf_counter() - start
        if len(times) < 2 or (len(times) < min_calls and spent < budget):
            continue
        if len(times) >= 6:
            a, b = statistics.median(times[-3:]), statistics.median(times[-6:-3])
            if abs(a - b) <= 0.05 * b:
                break
        if spent > 2 * budget or (len(times) < 6 and spent > budget):
            break
    runs = [timed() for _ in range(measure)]
    end = time.perf_counter() + 0.5  # fast calls: more of them (a noisy machine scatters short timings)
    while time.perf_counter() < end and len(runs) < 200:
        runs.append(timed())
    return runs, len(times)


def spread(runs: list[float]) -> float:
    """Interquartile range / median of repeated timings: how much they scatter (robust to a few outliers)."""
    if len(runs) < 4:
        return (max(runs) - min(runs)) / statistics.median(runs) if statistics.median(runs) else 0.0
    q1, _, q3 = statistics.quantiles(runs, n=4)
    m = statistics.median(runs)
    return (q3 - q1) / m if m else 0.0


def mlp_step(engine: Engine, points: int = 100, sizes: tuple[int, ...] = (16, 16, 1), steps: int = 5) -> dict[str, Any]:
    """micrograd's demo: MLP(2, sizes) on two moons, hinge loss + 1e-4 L2, forward + backward + SGD.

    Seconds per step, median over ``steps`` after the timings settled (:func:`settled`),
    first with the cyclic garbage collector on (as users run), then with it off, to show
    how much of a step is collector work. ``nodes``/``edges`` count the step's graph as
    this project builds it (for the physical limit and the CPython floor).
    """
    xs, ys = two_moons(points)
    model, params = engine.mlp(2, list(sizes), seed=1337)
    step_fn = engine.mlp_stepper(model, params, xs, ys, alpha=1e-4)
    k = [0]

    def step() -> None:
        k[0] += 1
        step_fn(1.0 - 0.9 * min(k[0], 100) / 100)

    with_gc, warm = settled(step, steps)
    gc.collect()
    gc.disable()
    try:
        without_gc, _ = settled(step, steps, min_calls=3)
    finally:
        gc.enable()
        gc.collect()
    out = {
        "seconds": statistics.median(with_gc),
        "seconds_gc_off": statistics.median(without_gc),
        "spread": spread(with_gc),
        "spread_gc_off": spread(without_gc),
        "warmup_calls": warm,
        "runs": with_gc,
        "runs_gc_off": without_gc,
        "points": points,
        "sizes": [2, *sizes],
    }
    if hasattr(engine, "record_seconds"):
        out["record_seconds"] = engine.record_seconds
    if engine.name in ("ours", "compiled", "batched"):
        import nn

        m = nn.MLP(2, list(sizes), activation="relu", seed=1337)
        out.update(_graph_size(engine.hinge_l2([m(x) for x in xs], ys, m.parameters(), alpha=1e-4)))
    return out


def mlp_step_large(engine: Engine, points: int = 1000, steps: int = 5) -> dict[str, Any]:
    """The demo step on ``points`` points (10x the demo's): where arrays pay off."""
    return mlp_step(engine, points=points, steps=steps)


def digits_epoch(engine: Engine, hidden: int = 32, batch_size: int = 32, n: int | None = None,
                 repeats: int = 3) -> dict[str, Any]:
    """One epoch of ``nn.train.fit`` on the 8x8 digits: ``MLP(64, [hidden, 10])`` (tanh), cross-entropy, Adam.

    The notebooks' model on the digits, trained as a student trains it: ``fit`` on the
    Value path (``ours``), with ``compiled=True`` (``batched``: one example replayed over
    each batch), or with whole-batch compiled steps (``compiled``: ``CompiledStep``). Every
    one-time cost (recording, the first batch's check) is inside the epoch's time. The median of
    ``repeats`` epochs, each from a fresh model (and fresh recordings).
    """
    engine.check_workload("digits_epoch")
    import nn.train as train
    from nn import losses
    from nn.module import MLP
    from nn.optim import Adam

    try:
        from nn.data import digits

        data = digits()
        samples = [(x, train.one_hot(y, 10)) for x, y in zip(data.X, data.y)]
    except ImportError:
        rng = random.Random(0)
        samples = [([rng.random() for _ in range(64)], train.one_hot(rng.randrange(10), 10)) for _ in range(1797)]
    samples = samples[:n] if n else samples

    def loss_fn(model: Any, batch: Any) -> Any:
        return losses.mean(train.cross_entropy(model(x), y) for x, y in batch)

    def epoch() -> tuple[float, float]:
        model = MLP(64, [hidden, 10], seed=0)
        opt = Adam(model.parameters(), 0.01)
        gc.collect()
        t0 = time.perf_counter()
        if engine.name == "compiled":  # whole-batch compiled steps, one recording per batch shape
            step = train.CompiledStep(model, loss_fn)
            running = 0.0
            for idx in train.batches(len(samples), batch_size, rng=random.Random(0)):
                batch = [samples[i] for i in idx]
                opt.zero_grad()
                running += step(batch) * len(idx)
                opt.step()
            loss = running / len(samples)
        else:
            loss = train.fit(model, loss_fn, samples, opt, epochs=1, batch_size=batch_size, rng=random.Random(0),
                             compiled=engine.name == "batched")[0]
        return time.perf_counter() - t0, loss

    runs = [epoch() for _ in range(repeats)]
    seconds = [t for t, _ in runs]
    return {"seconds": statistics.median(seconds), "spread": spread(seconds), "runs": seconds, "loss": runs[0][1],
            "samples": len(samples), "batch_size": batch_size}


def cnn_step(engine: Engine, batch_size: int = 16, steps: int = 5, channels: int = 6) -> dict[str, Any]:
    """One Adam step of ``nn.examples.train_cnn_digits`` on a batch of 8x8 digits; median seconds per step.

    The batch is the same each step (the digits shipped with scikit-learn, or
    random pixels when it is missing); the model is the demo's CNN.
    """
    engine.check_workload("cnn_step")
    from nn.examples import _image, digits_cnn

    try:
        from nn.data import digits

        data = digits(batch_size)
        batch = list(zip(data.X, data.y))
    except ImportError:
        rng = random.Random(0)
        batch = [([rng.random() for _ in range(64)], rng.randrange(10)) for _ in range(batch_size)]
    model = digits_cnn(0, channels)
    step = engine.cnn_stepper(model, batch, lr=0.02)
    step()
    runs = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        runs.append(time.perf_counter() - t0)
    from nn import losses

    root = losses.mean(losses.cross_entropy(model(_image(x)), y) for x, y in batch)
    out = {"seconds": statistics.median(runs), "runs": runs, "batch_size": batch_size, **_graph_size(root)}
    if hasattr(engine, "record_seconds"):
        out["record_seconds"] = engine.record_seconds
    return out


def train_scaling(engine: Engine, points: int = 10, factor: int = 100, steps: int = 5) -> dict[str, Any]:
    """The demo's training step on ``points`` and on ``factor`` times as many: the time ratio (linear: ``factor``).

    Run the way the project's own training loop runs it (``nn.train.fit`` pauses
    the cyclic collector during each step) and with the collector on.
    """
    from autograd import collector_paused

    out: dict[str, Any] = {"points": points, "factor": factor}
    for suffix, policy in (("", collector_paused), ("_gc_on", None)):
        seconds = {}
        for n in (points, points * factor):
            xs, ys = two_moons(n)
            model, params = engine.mlp(2, [16, 16, 1], seed=1337)
            step_fn = engine.mlp_stepper(model, params, xs, ys, alpha=1e-4)
            runs = []
            for _ in range(max(steps, min(25, steps * factor // 10)) if n == points else steps):
                gc.collect()
                t0 = time.perf_counter()
                if policy is None:
                    step_fn(0.1)
                else:
                    with policy():
                        step_fn(0.1)
                runs.append(time.perf_counter() - t0)
            seconds[str(n)] = statistics.median(runs)
        out["seconds_by_points" + suffix] = seconds
        out["ratio" + suffix] = seconds[str(points * factor)] / seconds[str(points)]
    out["seconds"] = out["seconds_by_points"][str(points * factor)]
    return out


def limits(engine: Engine, n: int = 200_000) -> dict[str, Any]:
    """The machine's price of the two things a step must do: allocate a node, multiply-add two floats.

    ``alloc_ns``: allocating one object of a class with 10 slots (as many as a
    Value) and setting them, in a list comprehension. ``madd_ns``: one
    ``s = s + a * b`` line of straight-line Python on floats held in locals
    (the cheapest form of a chain-rule step CPython runs). The limit of a step
    is ``nodes * alloc + 2 * edges * madd`` (each edge one multiply-add forward, one backward).
    """

    class Slotted:
        __slots__ = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")

    new = object.__new__

    def alloc(k: int) -> list[Any]:
        out = []
        append = out.append
        for _ in range(k):
            o = new(Slotted)
            o.a = o.b = o.c = o.d = o.e = o.f = o.g = o.h = o.i = o.j = None
            append(o)
        return out

    lines = ["def f(a, b, s):"] + ["    s = s + a * b"] * 1000 + ["    return s"]
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)  # our own fixed text: 1000 multiply-adds in a row
    madd = ns["f"]
    alloc_runs, madd_runs = [], []
    gc.disable()
    try:
        for _ in range(5):
            t0 = time.perf_counter()
            objs = alloc(n)
            alloc_runs.append((time.perf_counter() - t0) / n)
            del objs
            t0 = time.perf_counter()
            for _ in range(n // 1000):
                madd(1.0000001, 0.9999999, 0.0)
            madd_runs.append((time.perf_counter() - t0) / (n // 1000 * 1000))
    finally:
        gc.enable()
    return {"alloc_ns": statistics.median(alloc_runs) * 1e9, "madd_ns": statistics.median(madd_runs) * 1e9,
            "seconds": statistics.median(alloc_runs) + statistics.median(madd_runs)}


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
