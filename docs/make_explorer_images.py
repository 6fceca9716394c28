"""Screenshots of the explorer for the README: ``python docs/make_explorer_images.py`` from the repository root.

``explorer_mlp.png``: the loss of ``nn.MLP(2, [16, 16, 1])`` summed over 4
points, as the explorer opens it in a 1400x900 window: collapsed into its
boxes (the parameters, one box per example), each module box coloured by the
gradient size of its parameters.

``explorer_neuron.png``: the same page after expanding example 0, its MLP,
``layer 1`` and ``neuron 3`` in it, stepped to the chain-rule step on the
neuron's ``tanh``: the neuron's scalar graph with the step's formula
(``d tanh(a)/da = 1 - out * out = ...``) in the side panel.

``explorer.png``: the page of one neuron
``o = tanh(x1*w1 + x2*w2 + b)`` opened at step 6 with ``w1`` selected and
nudged by 0.01 (the prediction grad x delta beside the actual change).

Needs Playwright and the system's Chromium (the test extra and Debian's
``chromium``); skipped with a message without them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # this repository's autograd, not an installed namesake

from autograd import Value, explore, topological_order, total  # noqa: E402

WINDOW = {"width": 1400, "height": 900}


def mlp_loss() -> Value:
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    points = [([0.5, -1.0], 1.0), ([1.0, 0.2], -1.0), ([-0.3, 0.8], 1.0), ([0.0, -0.5], -1.0)]
    loss = total([(model(x) - y) ** 2 for x, y in points])
    loss.label = "loss"
    return loss


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.75, label="w2"), Value(0.25, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = total([x1w1, x2w2, b])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def box_path(data: dict, names: list[str]) -> list[int]:
    """Box indices along ``names`` from the top (each the first box of that name inside the previous one)."""
    found, within = [], 0
    for name in names:
        within = next(j for j, b in enumerate(data["boxes"]) if b["name"] == name and b["parent"] == within)
        found.append(within)
    return found


def settle(page) -> None:
    """Wait until an animated move of the view has ended, and the edges' colour transitions (0.15 s) too."""
    page.wait_for_function("() => !document.querySelector('.cr-explorer').hasAttribute('data-moving')",
                           timeout=60000)
    page.wait_for_timeout(300)


def wait_view(page, old: str | None) -> None:
    page.wait_for_function("(old) => document.querySelector('.cr-graph').getAttribute('data-view') !== old",
                           arg=old, timeout=60000)
    settle(page)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium is None or sync_playwright is None:
        print("skipped the explorer's screenshots: they need headless Chromium and playwright")
        return
    loss = mlp_loss()
    ex = explore(loss, title="MLP(2, [16, 16, 1]), squared error over 4 points")
    mlp_page = DOCS / "explorer_mlp.html"
    ex.save(mlp_page)
    one = explore(neuron(), title="One neuron, o = tanh(x1·w1 + x2·w2 + b): the backward pass")
    neuron_page = Path(one.save(DOCS / "explorer_one_neuron.html"))
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=WINDOW)
        page.goto(mlp_page.as_uri())
        page.wait_for_selector(".cr-explorer[data-ready=yes]", timeout=60000)
        settle(page)
        page.screenshot(path=str(DOCS / "explorer_mlp.png"))
        written.append(DOCS / "explorer_mlp.png")
        # down to one neuron: example 0 > MLP > layer 1 > neuron 3, then the step on its tanh
        path = box_path(ex.data, ["example 0", "MLP", "layer 1", "neuron 3"])
        for b in path:
            if page.query_selector(f'g.cr-boxnode[data-box="{b}"]'):
                old = page.get_attribute(".cr-graph", "data-view")
                page.evaluate("(b) => chainruleExplorer.expand(b)", b)
                wait_view(page, old)
        order = topological_order(loss)
        out = next(k for k, box in enumerate(ex.data["box"]) if box == path[-1] and order[k].op == "tanh")
        steps = 0
        for k in range(len(order) - 1, out, -1):
            steps += len(order[k].parents)
        page.evaluate("(s) => chainruleExplorer.showStep(s)", steps + 1)
        settle(page)
        page.screenshot(path=str(DOCS / "explorer_neuron.png"))
        written.append(DOCS / "explorer_neuron.png")
        page.close()
        page = browser.new_page(viewport=WINDOW)
        page.goto(neuron_page.as_uri() + "#step=6&node=w1")
        page.wait_for_selector(".cr-explorer[data-ready=yes]", timeout=60000)
        page.evaluate("document.querySelector('button.cr-apply').click()")  # no scrolling to the button
        settle(page)
        page.screenshot(path=str(DOCS / "explorer.png"))
        written.append(DOCS / "explorer.png")
        browser.close()
    # the pages were only the screenshots' subjects (the site's gallery has live ones): not kept
    mlp_page.unlink()
    neuron_page.unlink()
    for path in written:
        print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
