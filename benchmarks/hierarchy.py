"""``python -m benchmarks.hierarchy``: what recording the graph's hierarchy costs, and building the tree.

*Recording.* ``nn`` wraps every module's ``__call__`` so each call is a frame
of the hierarchy (:mod:`autograd.scopes`). This measures a training step with
the wrapping (as users run) against the same step with every class's original
``__call__`` put back, in one process, the two interleaved round by round
(``--rounds`` rounds of ``--steps`` steps each, the two alternating which goes
first; CPU time of the process, median), on

* the Value-path demo step: ``MLP(2, [16, 16, 1])`` (ReLU) on 100 two-moons
  points, hinge loss + 1e-4 L2, forward + backward + SGD (``benchmarks/``'s
  ``mlp_step``), and
* one Adam step of the digits CNN on a batch of 16 (``cnn_step``).

The figure is the ratio of the medians (recording / not recording).

*Memory.* The bytes per node of a 100,000-node chain (tracemalloc), for the
slot every Value now has, and the bytes a module call's frame adds.

*Building the tree.* ``hierarchy(root)`` on a deep chain of 10,000 and
100,000 values and on MLP graphs of about 14,000 and 100,000 values (a batch
summed into a loss), best of three: seconds and microseconds per value.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _module_classes() -> list[type]:
    import nn  # noqa: F401 (the classes below are defined on import)
    from nn.module import Module

    out, stack = [], [Module]
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


@contextmanager
def recording_off() -> Iterator[None]:
    """Every nn module class with its original ``__call__``, as before the hierarchy was recorded."""
    saved = {}
    for cls in _module_classes():
        call = cls.__dict__.get("__call__")
        if call is not None and hasattr(call, "__wrapped__"):
            saved[cls] = call
            cls.__call__ = call.__wrapped__
    try:
        yield
    finally:
        for cls, call in saved.items():
            cls.__call__ = call


def demo_step() -> Callable[[], None]:
    from benchmarks.engines import Ours
    from benchmarks.workloads import two_moons

    engine = Ours()
    xs, ys = two_moons(100)
    model, params = engine.mlp(2, [16, 16, 1], seed=1337)
    step = engine.mlp_stepper(model, params, xs, ys, alpha=1e-4)
    return lambda: step(0.01)


def cnn_step() -> Callable[[], None]:
    import random

    from benchmarks.engines import Ours
    from nn.examples import digits_cnn

    try:
        from nn.data import digits

        data = digits(16)
        batch = list(zip(data.X, data.y))
    except ImportError:
        rng = random.Random(0)
        batch = [([rng.random() for _ in range(64)], rng.randrange(10)) for _ in range(16)]
    step = Ours().cnn_stepper(digits_cnn(0, 6), batch, lr=0.02)
    return lambda: step()


def interleaved(make: Callable[[], Callable[[], None]], rounds: int, steps: int) -> dict[str, float]:
    """Median CPU seconds per step with and without recording, alternating every ``steps`` steps.

    CPU time of this process (``time.process_time``), so that other processes
    on a shared machine weigh less than in wall time.
    """
    step = make()
    step()
    with recording_off():
        step()
    times: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(rounds):
        for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
            with recording_off() if mode == "off" else _nothing():
                for _ in range(steps):
                    t0 = time.process_time()
                    step()
                    times[mode].append(time.process_time() - t0)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    # the fastest step of each: what the code costs when nothing else on the machine gets in the way
    best = min(times["on"]) / min(times["off"])
    return {"on": on, "off": off, "ratio": on / off, "best_ratio": best}


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def bytes_per_node(n: int = 100_000) -> float:
    from autograd import Value

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0001
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del y
    return used / n


def bytes_per_call(n: int = 20_000) -> float:
    """Memory a module call keeps with its graph beyond the same call unrecorded (frame, marks)."""
    from autograd import Value
    from nn import Layer

    layer = Layer(2, 1, seed=0)
    x = [Value(0.5), Value(-0.5)]

    def measure() -> int:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        keep = [layer(x) for _ in range(n)]
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del keep
        return used

    on = measure()
    with recording_off():
        off = measure()
    return (on - off) / n


def tree_times() -> list[tuple[str, int, float]]:
    import random

    from autograd import Value, topological_order, total
    from autograd.hierarchy import hierarchy
    from nn import MLP

    def chain(n: int) -> Value:
        y = Value(0.5)
        for _ in range(n - 1):
            y = y.tanh()
        return y

    def mlp_batch(points: int) -> Value:
        rng = random.Random(0)
        model = MLP(2, [16, 16, 1], seed=0)
        xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(points)]
        return total([(1.0 - model(x)).relu() for x in xs]) + 1e-4 * total([p * p for p in model.parameters()])

    rows = []
    for name, make in (("chain", lambda: chain(10_000)), ("chain", lambda: chain(100_000)),
                       ("MLP batch", lambda: mlp_batch(200)), ("MLP batch", lambda: mlp_batch(1400))):
        root = make()
        order = topological_order(root)
        best = min(_timed(lambda r=root, o=order: hierarchy(r, o)) for _ in range(3))
        rows.append((name, len(order), best))
    return rows


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_steps(workload: str, recording: bool, steps: int) -> None:
    """Build one workload's step, take one warm-up step, then ``steps`` more: for instruction counts.

    ``valgrind --tool=callgrind python -m benchmarks.hierarchy --only demo on 1`` and the same with 5
    steps: the difference of the two counts over 4 is one step's instructions, with the set-up taken out,
    whatever else runs on the machine.
    """
    step = (demo_step if workload == "demo" else cnn_step)()
    if os.environ.get("BENCH_GC_OFF"):  # to tell the collector's share apart
        gc.disable()
    with _nothing() if recording else recording_off():
        for _ in range(steps + 1):
            step()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hierarchy", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 step, no tree timings")
    parser.add_argument("--only", nargs=3, metavar=("WORKLOAD", "RECORDING", "STEPS"),
                        help="run only STEPS steps of demo|cnn with recording on|off (for callgrind)")
    args = parser.parse_args(argv)
    if args.only:
        workload, recording, steps = args.only
        run_steps(workload, recording == "on", int(steps))
        return 0
    rounds, steps = (2, 1) if args.quick else (args.rounds, args.steps)
    print(f"recording the hierarchy: {rounds} interleaved rounds of {steps} step(s), median CPU time per step")
    for name, make in (("demo step (Value path)", demo_step), ("digits CNN step", cnn_step)):
        r = interleaved(make, rounds, steps)
        print(f"  {name:24s} recording {r['on'] * 1e3:8.2f} ms   not {r['off'] * 1e3:8.2f} ms   "
              f"ratio {r['ratio']:.3f} (of the fastest steps {r['best_ratio']:.3f})")
    print(f"memory: {bytes_per_node():.0f} bytes per node of a chain; "
          f"{bytes_per_call():.0f} bytes more per recorded call of a one-neuron layer")
    if not args.quick:
        print("building the tree (best of 3):")
        for name, n, seconds in tree_times():
            print(f"  {name:10s} {n:8,d} values  {seconds:7.3f} s  {seconds / n * 1e6:6.2f} us per value")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
