"""Figures of a health report and of an update recorder (matplotlib, imported only when drawing)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # (matplotlib is optional: imported when drawing)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from nn.health.rows import LayerHealth


class _Updates(Protocol):
    """What the figure reads of an update recorder (a protocol: updates.py imports this module when drawing)."""

    @property
    def steps(self) -> list[int]: ...
    @property
    def history(self) -> dict[str, list[float]]: ...
    @property
    def reference(self) -> float: ...


class _Report(Protocol):
    """What the figure reads of a report (a protocol: report.py imports this module, not the other way round)."""

    @property
    def rows(self) -> list[LayerHealth]: ...
    @property
    def updates(self) -> _Updates | None: ...

    def layer_rows(self) -> list[LayerHealth]: ...


def _positive(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _log_series(ax: Any, xs: Iterable[int], ys: Sequence[float | None], style: str, label: str) -> None:
    """Plot the positive finite points only (a log axis cannot show 0); the gaps show where they were."""
    pts = [(x, y) for x, y in zip(xs, ys) if _positive(y)]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label, ms=4)
        ax.set_yscale("log")


def _layer_ticks(ax: Any, layers: list[LayerHealth]) -> None:
    many = len(layers) > 4
    ax.set_xticks(list(range(len(layers))), [r.name for r in layers], rotation=45 if many else 0,
                  ha="right" if many else "center", fontsize=8)
    ax.set_xlabel("layer (input side left)")


def _gradients(ax: Any, layers: list[LayerHealth]) -> None:
    xs = range(len(layers))
    _log_series(ax, xs, [r.mean_grad for r in layers], "o-", "mean |dL/dw|")
    _log_series(ax, xs, [r.max_grad for r in layers], "^:", "max |dL/dw|")
    for i, r in enumerate(layers):
        if r.flags and _positive(r.mean_grad):
            ax.plot([i], [r.mean_grad], "o", color="red", ms=10, fillstyle="none")
    _layer_ticks(ax, layers)
    ax.set(ylabel="gradient size", title="parameter gradients per layer")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def _activations(ax: Any, layers: list[LayerHealth]) -> None:
    """Mean ± std of each layer's outputs; the saturated (tanh/sigmoid) or dead (ReLU) share written above."""
    pts = [(i, r) for i, r in enumerate(layers) if r.act_mean is not None and r.act_std is not None]
    ax.errorbar([i for i, _ in pts], [r.act_mean for _, r in pts], yerr=[r.act_std for _, r in pts], fmt="o",
                capsize=3, ms=4, label="mean ± std")
    for i, r in pts:
        share, what = (r.saturated, "sat") if r.saturated is not None else (r.dead, "dead")
        if share is not None:
            color = "red" if ("saturated" in r.flags or "dead" in r.flags) else "black"
            top = r.act_mean + r.act_std  # type: ignore[operator]  # pts keeps the rows that have both
            ax.annotate(f"{share:.0%} {what}", (i, top), textcoords="offset points",
                        xytext=(0, 4), ha="center", fontsize=7, color=color)
    _layer_ticks(ax, layers)
    ax.set(ylabel="activation", title="activations per layer (over the batch)")
    ax.grid(alpha=0.3)
    ax.margins(x=0.15, y=0.2)


def _through_time(ax: Any, steps: list[LayerHealth]) -> None:
    for name in dict.fromkeys(r.name.rsplit(" ", 1)[0] for r in steps):
        mine = [r for r in steps if r.name.rsplit(" ", 1)[0] == name]
        ts: list[int] = [r.step for r in mine]  # type: ignore[misc]  # the rows of time steps have their step
        _log_series(ax, ts, [r.mean_act_grad for r in mine], "o-", f"{name}: |dL/dh_t|")
        _log_series(ax, ts, [r.mean_grad for r in mine], "s:", f"{name}: |dL/dW|_t|")
        for r in mine:
            if r.flags and _positive(r.mean_act_grad):
                ax.plot([r.step], [r.mean_act_grad], "o", color="red", ms=10, fillstyle="none")
    ax.set(xlabel="time step t", title="through time (BPTT)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def _updates(ax: Any, rec: _Updates) -> None:
    for name, ys in rec.history.items():
        pts = [(s, y) for s, y in zip(rec.steps, ys) if math.isfinite(y)]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", lw=1.2, label=name)
    ax.axhline(rec.reference, color="black", ls="--", lw=1, label=f"reference {rec.reference:g}")
    ax.set(xlabel="training step", ylabel="log10(std(Δw) / std(w))", title="update-to-data ratio per group")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(rec.history) > 4 else 1)


def plot_report(report: _Report, dpi: int = 100) -> Figure:
    """The panels of :meth:`HealthReport.plot`, side by side in one Figure."""
    from matplotlib.figure import Figure

    layers = report.layer_rows()
    steps = [r for r in report.rows if r.step is not None]
    panels: list[tuple[Any, Any]] = [(_gradients, layers)]
    if any(r.act_mean is not None for r in layers):
        panels.append((_activations, layers))
    if steps:
        panels.append((_through_time, steps))
    if report.updates is not None and report.updates.steps:
        panels.append((_updates, report.updates))
    fig = Figure(figsize=(4.6 * len(panels) + 0.9, 3.6), dpi=dpi, layout="constrained")
    for k, (panel, what) in enumerate(panels, start=1):
        panel(fig.add_subplot(1, len(panels), k), what)
    return fig


def plot_updates(rec: _Updates, ax: Axes | None = None, dpi: int = 100) -> Figure | SubFigure:
    """The update-to-data ratios of ``rec`` on ``ax`` (a new Figure when None); returns the Figure."""
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.0, 3.4), dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
    _updates(ax, rec)
    return ax.figure
