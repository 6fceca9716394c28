"""The health report: one row per layer (and per RNN time step), its table, and ``health()`` that makes it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograd import Value, topological_order
from nn.health.activations import Output, activation_stats, forward_graph, layer_outputs
from nn.health.gradients import grad_stats, mean_abs, step_term
from nn.health.layers import LayerParams, find_layers
from nn.health.rows import LayerHealth
from nn.health.thresholds import Flag, HealthThresholds, check_kind, raise_flags
from nn.health.updates import UpdateRecorder
from nn.module import Module
from nn.rnn import RNN

if TYPE_CHECKING:  # (matplotlib is optional: imported when drawing)
    from matplotlib.figure import Figure


@dataclass
class HealthReport:
    """Per-layer gradient health; ``print(report)`` for the table, ``report.flags`` for the flags."""

    model: str
    source: str
    rows: list[LayerHealth]
    thresholds: HealthThresholds
    flags: list[Flag]
    updates: UpdateRecorder | None = None

    @property
    def ok(self) -> bool:
        """True when no flag is raised."""
        return not self.flags

    def flagged(self, kind: str) -> list[str]:
        """The names of the rows with flag ``kind`` raised, in model order."""
        check_kind(kind)
        return [f.layer for f in self.flags if f.kind == kind]

    def layer_rows(self) -> list[LayerHealth]:
        """The rows of whole layers (not the per-step rows of an RNN)."""
        return [r for r in self.rows if r.step is None]

    def __str__(self) -> str:
        header = ["layer", "type", "act", "params", "mean|dL/dw|", "max|dL/dw|", "|dL/dw|/|w|", "mean|dL/da|",
                  "mean a", "std a", "saturated", "dead", "flags"]
        table = [header]
        for r in self.rows:
            table.append([r.name, r.kind, r.activation, str(r.n_params) if r.step is None else "",
                          _num(r.mean_grad), _num(r.max_grad), _num(r.grad_weight_ratio), _num(r.mean_act_grad),
                          _fixed(r.act_mean), _fixed(r.act_std), _pct(r.saturated), _pct(r.dead), ",".join(r.flags)])
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        left = {0, 1, 2, len(header) - 1}
        lines = [f"gradient health of {self.model} ({self.source})"]
        for row in table:
            cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
        if self.flags:
            lines.append(f"{len(self.flags)} flag{'s' if len(self.flags) > 1 else ''} raised:")
            lines += [f"  {f}" for f in self.flags]
        else:
            lines.append("no flags raised")
        if all(r.max_grad == 0.0 for r in self.layer_rows()):
            lines.append("every parameter gradient is 0: was backward() called (and not zeroed since)?")
        lines.append(self.thresholds.describe())
        if self.updates is not None:
            lines.append(str(self.updates))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<HealthReport of {self.model}: {len(self.rows)} rows, {len(self.flags)} flags>"

    def plot(self, dpi: int = 100) -> Figure:
        """Gradients and activations per layer (and through time, and update ratios): a matplotlib ``Figure``.

        Panels: mean and max ``|dL/dw|`` per layer on a log scale, flagged rows circled in red; the
        activations' mean ± std per layer with the saturated (or dead) share; for an RNN,
        ``mean|dL/dh_t|`` per time step; with ``updates=``, the update-to-data ratios per step.
        """
        from nn.health.plot import plot_report  # matplotlib is optional: imported when drawing

        return plot_report(self, dpi=dpi)


def _num(x: float | None) -> str:
    if x is None or math.isnan(x):  # not available (a step row without loss=, or all-zero weights for a ratio)
        return "-"
    if x == 0.0:
        return "0"
    return f"{x:.2e}"


def _fixed(x: float | None) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:+.3f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def health(model: Module, *, loss: Value | None = None, inputs: Iterable[Any] | None = None,
           thresholds: HealthThresholds | None = None, updates: UpdateRecorder | None = None) -> HealthReport:
    """The gradient health of ``model`` after a backward pass: one row per layer, flags, a table and a plot.

    Args:
        model: an ``nn.Module`` (an MLP, a ``Sequential`` of ``Conv2d``/``Layer``s, a module holding an ``RNN``...).
        loss: the Value ``backward()`` was just called on; its graph gives the activations of its batch
            and the gradient reaching every layer's outputs and every RNN hidden state.
        inputs: a batch of model inputs instead: ``model(x)`` is run on each (graph recorded, no ``.grad``
            touched) for the activation statistics.  Give ``loss`` or ``inputs``, not both.
        thresholds: a :class:`HealthThresholds` (the defaults are documented in this module's docstring).
        updates: an :class:`UpdateRecorder` fed during training: its ratios are printed under the table
            and drawn by ``report.plot()``.

    The gradient columns read each parameter's ``.grad``: call it after ``loss.backward()``
    and before ``zero_grad()``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"health needs an nn.Module, got {type(model).__name__}: {model!r}")
    if loss is not None and inputs is not None:
        raise ValueError("health takes loss= (the graph just backpropagated) or inputs= (a batch), not both")
    if loss is not None and not isinstance(loss, Value):
        raise TypeError(f"health's loss must be the Value backward() was called on, got {type(loss).__name__}: "
                        f"{loss!r}")
    t = HealthThresholds() if thresholds is None else thresholds
    if not isinstance(t, HealthThresholds):
        raise TypeError(f"thresholds must be a HealthThresholds, got {type(t).__name__}: {t!r}")
    if updates is not None and not isinstance(updates, UpdateRecorder):
        raise TypeError(f"health's updates must be an UpdateRecorder, got {type(updates).__name__}: {updates!r}")
    rows = find_layers(model)
    if not rows:
        raise ValueError(f"{model!r} has no parameters: there is no gradient to report on")

    source = "gradients only: pass loss= or inputs= for activations, saturated and dead units"
    outs: list[list[Output]] = [[] for _ in rows]
    if loss is not None:
        outs = layer_outputs(topological_order(loss), rows)
        source = "activations and their gradients from the graph of the loss"
    elif inputs is not None:
        batch = list(inputs)
        if not batch:
            raise ValueError("health's inputs is an empty batch")
        root = forward_graph(model, batch)
        if root is not None:
            outs = layer_outputs(topological_order(root), rows)
        source = f"activations from a forward pass over {len(batch)} inputs"

    report_rows: list[LayerHealth] = []
    for row, row_outs in zip(rows, outs):
        report_rows.append(_layer_row(row, row_outs, t, with_grads=loss is not None))
        if isinstance(row.module, RNN) and row_outs:
            report_rows += _step_rows(row, row_outs, t, with_grads=loss is not None)

    flags = raise_flags(report_rows, t)
    return HealthReport(repr(model), source, report_rows, t, flags, updates)


def _layer_row(row: LayerParams, outs: list[Output], t: HealthThresholds, with_grads: bool,
               name: str | None = None, step: int | None = None, grads: list[float] | None = None) -> LayerHealth:
    """One row: the gradient columns (of ``grads``, by default the parameters' ``.grad``) and the activations."""
    mean_g, max_g, ratio = grad_stats([p.grad for p in row.params] if grads is None else grads, row.params)
    stats = activation_stats(outs, t)
    act_grad = mean_abs([o.node.grad for o in outs]) if with_grads else None
    return LayerHealth(name or row.name, "RNN step" if step is not None else row.kind, row.activation,
                       len(row.params), mean_g, max_g, ratio, act_grad, stats.saturated, stats.dead, step,
                       act_mean=stats.mean, act_std=stats.std)


def _step_rows(row: LayerParams, outs: list[Output], t: HealthThresholds, with_grads: bool) -> list[LayerHealth]:
    """One row per time step of an RNN: dL/dh_t, step t's term of the BPTT sum for the weights, activations."""
    result = []
    for s in sorted({o.step for o in outs}):
        mine = [o for o in outs if o.step == s]
        # without a backward pass there is no term: an empty list makes the gradient columns nan
        term = step_term(mine, row.params) if with_grads else []
        result.append(_layer_row(row, mine, t, with_grads, name=f"{row.name} t={s}", step=s, grads=term))
    return result
