"""The cyclic collector and graph size: does 100x the nodes cost 100x the time, as users run it?

Four kinds of work, each at 1x, 10x, 100x its base size:

- ``fit``: one step of ``nn.train.fit`` over ``points * factor`` points of the demo MLP;
- ``loop``: a user's own loop body (call the model per example, build the loss, zero the
  gradients, ``backward()``, update; no ``nn.train``);
- ``sum``: one large sum, ``total([a_i * b_i ...])`` over fresh leaves, then ``backward()``;
- ``sum_gen``: the same sum written ``total(a_i * b_i for ...)``, whose terms ``total`` makes itself.

Each under three policies: the collector ``on`` (as users run it), ``ctx`` (each call wrapped in
``autograd.collector_paused()``, the documented way for a user's own loop; not for ``fit``, which
pauses itself) and ``off`` (the collector disabled for the whole measurement). A measurement is
one ``gc.collect()`` and then consecutive calls, timed together: a user's loop meets a full
collection every few steps, and the calls in between carry the collector's counts on, so timing
each call after its own ``gc.collect()`` would leave those out. Time is the process's CPU time
(``time.process_time``: a shared machine's other jobs do not count; the work is single-threaded),
and the policies take turns round by round, the order rotating. At the largest size, ``gc.callbacks``
then records which generations the collector ran, how often, for how long, over how many objects,
and where it started them (the innermost function of ``autograd`` or ``nn`` on the stack).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any, Callable

from benchmarks.engines import Engine
from benchmarks.workloads import two_moons

KINDS = ("fit", "loop", "sum", "sum_gen")
POLICIES = ("on", "ctx", "off")
_PACKAGES = tuple(str(Path(__file__).resolve().parent.parent / name) for name in ("autograd", "nn"))


def _user_step(model: Any, params: list[Any], xs: list[list[float]], ys: list[float]) -> None:
    """A user's own loop body: build the demo loss, zero the gradients, backward, update (no nn.train)."""
    from autograd import total

    scores = [model(x) for x in xs]
    loss = total([(1.0 - y * s).relu() for y, s in zip(ys, scores)]) * (1.0 / len(xs)) + \
        1e-4 * total([p * p for p in params])
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= 0.01 * p.grad


def _leaves(n: int) -> tuple[list[Any], list[Any]]:
    from autograd import Value

    rng = random.Random(n)
    return [Value(rng.uniform(-1, 1)) for _ in range(n)], [Value(rng.uniform(-1, 1)) for _ in range(n)]


def _large_sum(n: int) -> None:
    """One large sum: ``total([a_i * b_i])`` over ``n`` products of fresh leaves, then ``backward()``."""
    from autograd import total

    a, b = _leaves(n)
    total([x * y for x, y in zip(a, b)]).backward()


def _large_sum_from_generator(n: int) -> None:
    """The same sum with its terms made by a generator, inside ``total``."""
    from autograd import total

    a, b = _leaves(n)
    total(x * y for x, y in zip(a, b)).backward()


def scenario(kind: str, factor: int, points: int, sum_size: int) -> Callable[[], Any]:
    """A callable running one unit of ``kind`` (a step, a sum) at ``factor`` times the base size."""
    import nn

    if kind == "sum":
        return lambda: _large_sum(sum_size * factor)
    if kind == "sum_gen":
        return lambda: _large_sum_from_generator(sum_size * factor)
    xs, ys = two_moons(points * factor)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=1337)
    params = model.parameters()
    if kind == "loop":
        return lambda: _user_step(model, params, xs, ys)
    if kind != "fit":
        raise ValueError(f"unknown kind of work {kind!r}; choose from {KINDS}")
    from autograd import total
    from nn.optim import SGD
    from nn.train import fit

    samples = list(zip(xs, ys))
    opt = SGD(params, lr=0.01)

    def loss_fn(m: Any, batch: Any) -> Any:
        return total([(1.0 - y * m(x)).relu() for x, y in batch]) * (1.0 / len(batch)) + \
            1e-4 * total([p * p for p in params])

    return lambda: fit(model, loss_fn, samples, opt, epochs=1, batch_size=len(samples), rng=random.Random(0))


def run_policy(call: Callable[[], Any], policy: str, calls: int) -> float:
    """CPU seconds per call over ``calls`` consecutive calls under ``policy`` (after one ``gc.collect()``)."""
    from autograd import collector_paused

    gc.collect()
    if policy == "off":
        gc.disable()
    try:
        t0 = time.process_time()
        for _ in range(calls):
            if policy == "ctx":
                with collector_paused():
                    call()
            else:
                call()
        return (time.process_time() - t0) / calls
    finally:
        gc.enable()


def _place() -> str:
    """Where the running code is: the innermost function of autograd or nn on the stack, else user code."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_PACKAGES):
            module = Path(path).stem if not path.endswith(">") else Path(path).name
            return f"{Path(path).parent.name}.{module}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "user code"


def collections(call: Callable[[], Any], calls: int) -> dict[str, Any]:
    """Per call, over ``calls`` consecutive calls: each generation's collections (count, seconds, objects
    examined) and where they started.

    Two passes: one times the collections (the callbacks do nothing else), one counts the objects
    each examines (every generation up to it: ``gc.get_objects``, which would disturb the timing).
    """
    stats = {str(g): {"count": 0, "seconds": 0.0, "objects": 0} for g in range(3)}
    places: Counter[str] = Counter()
    state: dict[str, Any] = {}

    def timing(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            places[f"gen {info['generation']} in {_place()}"] += 1
            state["t0"] = time.perf_counter()
        else:
            rec = stats[str(info["generation"])]
            rec["count"] += 1
            rec["seconds"] += time.perf_counter() - state["t0"]

    def counting(phase: str, info: dict[str, Any]) -> None:
        g = info["generation"]
        if phase == "start":
            stats[str(g)]["objects"] += sum(len(gc.get_objects(i)) for i in range(g + 1))

    for callback in (timing, counting):
        gc.collect()
        gc.callbacks.append(callback)
        try:
            for _ in range(calls):
                call()
        finally:
            gc.callbacks.remove(callback)
    for rec in stats.values():
        for key in rec:
            rec[key] /= calls
    return {"by_generation": stats, "places": {k: v / calls for k, v in places.most_common()}}


def collector_scaling(engine: Engine, factors: tuple[int, ...] = (1, 10, 100), points: int = 10,
                      sum_size: int = 10_000, rounds: int = 3, steps: int = 8,
                      kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """Each kind of work at each factor under each policy, interleaved round by round (see the module).

    ``steps``: consecutive calls per measurement at the largest factor (a step of ``fit`` or the loop;
    one call for a sum); smaller factors make proportionally more calls, so that each measurement
    takes about as long. Figures are the medians over ``rounds``.
    """
    engine.check_workload("collector_scaling")
    last, first = factors[-1], factors[0]
    out: dict[str, Any] = {"factors": list(factors), "points": points, "sum_size": sum_size, "rounds": rounds,
                           "clock": "process CPU time"}
    for kind in kinds:
        per_call = steps if kind in ("fit", "loop") else 1
        policies = [p for p in POLICIES if not (kind == "fit" and p == "ctx")]  # fit pauses each step itself
        calls = {f: scenario(kind, f, points, sum_size) for f in factors}
        counts = {f: max(per_call, round(per_call * last / f)) for f in factors}
        for f in factors:
            calls[f]()  # warm: the model's first call, the heap's first growth
        runs: dict[str, dict[int, list[float]]] = {p: {f: [] for f in factors} for p in policies}
        for r in range(rounds):
            order = policies[r % len(policies):] + policies[:r % len(policies)]
            for f in factors:
                for p in order:
                    runs[p][f].append(run_policy(calls[f], p, counts[f]))
        seconds = {p: {str(f): statistics.median(v) for f, v in by_f.items()} for p, by_f in runs.items()}
        out[kind] = {
            "calls": {str(f): n for f, n in counts.items()},
            "seconds": seconds,
            "ratio": {p: v[str(last)] / v[str(first)] for p, v in seconds.items()},
            "on_over_off": seconds["on"][str(last)] / seconds["off"][str(last)],
            "ctx_over_off": seconds["ctx"][str(last)] / seconds["off"][str(last)] if "ctx" in seconds else None,
            "collections": collections(calls[last], counts[last]),
        }
        del calls
    out["seconds"] = out[kinds[0]]["seconds"]["on"][str(last)]
    return out
