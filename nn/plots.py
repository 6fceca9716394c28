"""The training plots of the demo and the examples, as PNG bytes (matplotlib's object API, no GUI backend).

matplotlib is an optional dependency (the ``demo`` extra), imported when a plot is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def loss_png(history: Sequence[float], title: str, ylabel: str = "mean training loss") -> bytes:
    """The loss per epoch; a log scale when every loss is positive."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(range(1, len(history) + 1), history, marker="." if len(history) < 30 else None)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.set_yscale("log" if min(history) > 0 else "linear")
    ax.grid(alpha=0.3)
    return _png(fig)


def boundary_png(score: Callable[[float, float], float], X: Sequence[Sequence[float]], y: Sequence[int],
                 title: str, steps: int = 60) -> bytes:
    """The plane shaded by the sign of ``score(x1, x2)`` (the class boundary at 0), with the points ``X`` on top."""
    from matplotlib.figure import Figure

    xs = [x[0] for x in X]
    ys = [x[1] for x in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    grid = [[score(a, b) for a in gx] for b in gy]
    fig = Figure(figsize=(5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.contourf(gx, gy, grid, levels=[-1e300, 0.0, 1e300], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(gx, gy, grid, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(xs, ys, c=["#d62728" if label == 0 else "#1f77b4" for label in y], s=18, edgecolors="k",
               linewidths=0.5)
    ax.set(title=title, xlabel="x1", ylabel="x2")
    return _png(fig)
