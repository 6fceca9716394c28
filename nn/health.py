"""Gradient health: does every layer of a network get a useful gradient?

After a backward pass, ``nn.health`` reports one row per layer::

    loss.backward()
    report = nn.health(model, loss=loss)      # activations of the batch behind ``loss``
    report = nn.health(model, inputs=batch)   # or: activations of a fresh forward pass over ``batch``
    print(report)                             # an aligned table
    report.flags                              # the raised flags, e.g. [Flag('layers.0', 'vanishing', ...)]
    report.plot()                             # gradient size per layer, log scale (a matplotlib Figure)

Columns, for a layer with parameters ``w`` (weights and biases) and outputs ``a``:

- ``mean|dL/dw|``, ``max|dL/dw|``: the size of the gradient the layer's parameters received;
- ``|dL/dw|/|w|``: the Euclidean norm of the gradient over the norm of the parameters (an SGD
  step of rate α changes the layer by α times this, relative to its size);
- ``mean|dL/da|``: the gradient reaching the layer's outputs (needs ``loss``);
- ``saturated``: the fraction of tanh outputs with ``|a| > 0.97`` or sigmoid outputs outside
  ``[0.03, 0.97]`` over the batch, where ``g′`` is below 0.06 (tanh) or 0.03 (sigmoid);
- ``dead``: the fraction of ReLU units that output 0 for *every* sample of the batch.

An :class:`nn.RNN` also gets one row per time step ``t``: the gradient reaching the hidden
state ``h_t`` (``mean|dL/da|``) and step ``t``'s term of the BPTT sum
``dL/dW = Σ_t dL/dW|_t`` (``mean|dL/dw|``), which fade going back in time when gradients vanish.

Flags and their default thresholds (:class:`HealthThresholds`, all adjustable):

- ``vanishing``: a layer's ``mean|dL/dw|`` is below ``1e-3`` times the largest layer's (a
  step moves it a thousand times less than the best-fed layer). Relative on purpose: at a
  minimum *every* gradient is small, which is convergence, not a vanishing gradient. For an
  RNN step: ``mean|dL/dh_t|`` below ``1e-3`` times the largest step's.
- ``exploding``: a non-finite gradient; or ``mean|dL/dw|`` above ``1e3`` times the output
  (last) layer's, i.e. grown a thousandfold on its way back; or ``|dL/dw|/|w| > 10`` (for a
  loss that is a mean over the batch). For an RNN step: ``mean|dL/dh_t|`` above ``1e3`` times
  the last step's.
- ``saturated``: more than ``0.5`` of the layer's tanh/sigmoid outputs are saturated.
- ``dead``: more than ``0.25`` of the layer's ReLU units are dead over the batch.

Where the activations come from. The layer an activation belongs to is read off the graph:
a ``dot`` node (``autograd.dot``, how every nn layer forms its weighted sum) that combines two or
more parameters of one unit of a layer (the neuron, filter or hidden unit owning them), each once,
is that unit's weighted sum ``z``, and a ``tanh``, ``sigmoid`` or ``relu`` applied to it is the
layer's output. ``loss=`` walks the graph of the loss you just
backpropagated, so nothing is recomputed and the gradients reaching every output are there;
``inputs=`` runs ``model(x)`` for each sample with the graph recorded (under ``no_grad()``
nodes keep no parents, so the layers could not be told apart) and touches no ``.grad``. With
neither, only the gradient columns are filled and ``saturated``/``dead`` are not checked. Use
a batch of a few dozen samples at least: with 4 samples a healthy ReLU is silent on all of
them one time in 16.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from autograd import Value, enable_grad, topological_order, total
from nn.conv import Conv2d, flatten
from nn.module import Layer, Module, Neuron
from nn.rnn import RNN

__all__ = ["Flag", "HealthReport", "HealthThresholds", "LayerHealth", "health"]

_SQUASHING = ("tanh", "sigmoid")


@dataclass(frozen=True)
class HealthThresholds:
    """When a flag is raised; see the module docstring for the reasoning behind each default."""

    vanishing: float = 1e-3  # mean|dL/dw| below this fraction of the largest layer's
    exploding: float = 1e3  # mean|dL/dw| above this multiple of the output layer's
    ratio: float = 10.0  # |dL/dw| / |w| above this (a mean loss assumed)
    saturated: float = 0.5  # fraction of saturated tanh/sigmoid outputs above this
    dead: float = 0.25  # fraction of ReLU units dead over the batch above this
    tanh_limit: float = 0.97  # |tanh| above this is saturated
    sigmoid_low: float = 0.03  # sigmoid below this ...
    sigmoid_high: float = 0.97  # ... or above this is saturated

    def __post_init__(self) -> None:
        for name in ("vanishing", "exploding", "ratio", "saturated", "dead", "tanh_limit", "sigmoid_low",
                     "sigmoid_high"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"HealthThresholds.{name} must be a finite number >= 0, got {v!r}")
        if not self.sigmoid_low < self.sigmoid_high:
            raise ValueError(f"HealthThresholds needs sigmoid_low < sigmoid_high, got "
                             f"{self.sigmoid_low!r} and {self.sigmoid_high!r}")


class Flag(NamedTuple):
    """One raised flag: the row it concerns, its kind and the numbers that raised it."""

    layer: str
    kind: str  # "vanishing", "exploding", "saturated" or "dead"
    reason: str

    def __str__(self) -> str:
        return f"{self.layer}: {self.kind} ({self.reason})"


@dataclass
class LayerHealth:
    """One row of the report: a layer, or one time step of an RNN (``step`` set).

    ``nan`` or ``None`` marks a number that is not available: the per-step gradients without ``loss=``,
    the gradient-to-weight ratio of all-zero parameters, ``saturated`` for a layer that is not tanh or
    sigmoid, ``dead`` for one that is not ReLU. A non-finite gradient shows as ``inf``.
    """

    name: str
    kind: str
    activation: str
    n_params: int
    mean_grad: float
    max_grad: float
    grad_weight_ratio: float
    mean_act_grad: float | None = None
    saturated: float | None = None
    dead: float | None = None
    step: int | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class HealthReport:
    """Per-layer gradient health; ``print(report)`` for the table, ``report.flags`` for the flags."""

    model: str
    source: str
    rows: list[LayerHealth]
    thresholds: HealthThresholds
    flags: list[Flag]

    @property
    def ok(self) -> bool:
        """True when no flag is raised."""
        return not self.flags

    def flagged(self, kind: str) -> list[str]:
        """The names of the rows with flag ``kind`` raised, in model order."""
        if kind not in ("vanishing", "exploding", "saturated", "dead"):
            raise ValueError(f"unknown flag kind {kind!r}; kinds are 'vanishing', 'exploding', 'saturated', 'dead'")
        return [f.layer for f in self.flags if f.kind == kind]

    def layer_rows(self) -> list[LayerHealth]:
        """The rows of whole layers (not the per-step rows of an RNN)."""
        return [r for r in self.rows if r.step is None]

    def __str__(self) -> str:
        header = ["layer", "type", "act", "params", "mean|dL/dw|", "max|dL/dw|", "|dL/dw|/|w|", "mean|dL/da|",
                  "saturated", "dead", "flags"]
        table = [header]
        for r in self.rows:
            table.append([r.name, r.kind, r.activation, str(r.n_params) if r.step is None else "",
                          _num(r.mean_grad), _num(r.max_grad), _num(r.grad_weight_ratio), _num(r.mean_act_grad),
                          _pct(r.saturated), _pct(r.dead), ",".join(r.flags)])
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        left = {0, 1, 2, 10}
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
        t = self.thresholds
        lines.append(f"thresholds: vanishing < {t.vanishing:g} x largest layer's mean|dL/dw|; exploding > "
                     f"{t.exploding:g} x output layer's, or |dL/dw|/|w| > {t.ratio:g}, or not finite;\n"
                     f"            saturated > {t.saturated:.0%} of outputs (|tanh| > {t.tanh_limit:g}, "
                     f"sigmoid outside [{t.sigmoid_low:g}, {t.sigmoid_high:g}]); "
                     f"dead > {t.dead:.0%} of ReLU units silent on every sample")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<HealthReport of {self.model}: {len(self.rows)} rows, {len(self.flags)} flags>"

    def plot(self, dpi: int = 100) -> Any:
        """Gradient size per layer on a log scale, flagged rows in red; returns a matplotlib ``Figure``.

        Left: mean and max ``|dL/dw|`` per layer. Right (RNNs only): ``mean|dL/dh_t|`` per time step.
        """
        from matplotlib.figure import Figure  # imported here: matplotlib is optional

        layers = self.layer_rows()
        steps = [r for r in self.rows if r.step is not None]
        fig = Figure(figsize=(9 if steps else 5.5, 3.4), dpi=dpi, layout="constrained")
        ax = fig.add_subplot(1, 2 if steps else 1, 1)
        xs = range(len(layers))
        _log_series(ax, xs, [r.mean_grad for r in layers], "o-", "mean |dL/dw|")
        _log_series(ax, xs, [r.max_grad for r in layers], "^:", "max |dL/dw|")
        for i, r in enumerate(layers):
            if r.flags and _positive(r.mean_grad):
                ax.plot([i], [r.mean_grad], "o", color="red", ms=10, fillstyle="none")
        ax.set_xticks(list(xs), [r.name for r in layers], rotation=45 if len(layers) > 4 else 0,
                      ha="right" if len(layers) > 4 else "center", fontsize=8)
        ax.set(xlabel="layer (input side left)", ylabel="gradient size", title="parameter gradients per layer")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        if steps:
            ax2 = fig.add_subplot(1, 2, 2)
            for name in dict.fromkeys(r.name.rsplit(" ", 1)[0] for r in steps):
                mine = [r for r in steps if r.name.rsplit(" ", 1)[0] == name]
                _log_series(ax2, [r.step for r in mine], [r.mean_act_grad for r in mine], "o-", f"{name}: |dL/dh_t|")
                _log_series(ax2, [r.step for r in mine], [r.mean_grad for r in mine], "s:", f"{name}: |dL/dW|_t|")
                for r in mine:
                    if r.flags and _positive(r.mean_act_grad):
                        ax2.plot([r.step], [r.mean_act_grad], "o", color="red", ms=10, fillstyle="none")
            ax2.set(xlabel="time step t", title="through time (BPTT)")
            ax2.grid(alpha=0.3, which="both")
            ax2.legend(fontsize=8)
        return fig


def _positive(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _log_series(ax: Any, xs: Iterable[int], ys: Sequence[float | None], style: str, label: str) -> None:
    """Plot the positive finite points only (a log axis cannot show 0); the gaps show where they were."""
    pts = [(x, y) for x, y in zip(xs, ys) if _positive(y)]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label, ms=4)
        ax.set_yscale("log")


def _num(x: float | None) -> str:
    if x is None or math.isnan(x):  # not available (a step row without loss=, or all-zero weights for a ratio)
        return "-"
    if x == 0.0:
        return "0"
    return f"{x:.2e}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


# -- finding the layers ----------------------------------------------------------------------


@dataclass
class _Row:
    name: str
    module: Module
    params: list[Value]
    unit_of: dict[int, int]  # id(param) -> unit index within the layer


def _units(module: Module, params: list[Value]) -> dict[int, int]:
    """Which unit (neuron, filter, hidden unit) each parameter belongs to."""
    groups: list[Iterable[Value]]
    if isinstance(module, Layer):
        groups = [n.parameters() for n in module.neurons]
    elif isinstance(module, Conv2d):
        groups = [[*flatten(module.weight[o]), module.bias[o]] for o in range(module.out_channels)]
    elif isinstance(module, RNN):
        groups = [[*module.weight_ih[j], *module.weight_hh[j], module.bias_ih[j], module.bias_hh[j]]
                  for j in range(module.hidden_size)]
    else:
        groups = [params]
    return {id(p): j for j, g in enumerate(groups) for p in g}


def _find_rows(module: Module, name: str) -> list[_Row]:
    """The layers of ``module`` in order: the smallest modules above single neurons that own parameters."""
    label = name or type(module).__name__
    if isinstance(module, (Layer, Neuron, Conv2d, RNN)):
        params = module.parameters()
        return [_Row(label, module, params, _units(module, params))] if params else []
    rows: list[_Row] = []
    inner: set[int] = set()
    for child_name, child in module.children():
        rows += _find_rows(child, f"{name}.{child_name}" if name else child_name)
        inner.update(id(p) for p in child.parameters())
    own = [p for p in module.parameters() if id(p) not in inner]
    if own:  # parameters held directly by a container: one row of their own, first
        rows.insert(0, _Row(label, module, own, _units(module, own)))
    return rows


def _kind(row: _Row) -> str:
    return type(row.module).__name__


def _activation(row: _Row) -> str:
    act = getattr(row.module, "activation", None)
    return act if isinstance(act, str) else "linear"


# -- reading the activations off a graph -------------------------------------------------------


@dataclass
class _Out:
    """One output of one unit of a layer, for one sample: the node, its unit and its time step."""

    node: Value
    z: Value
    unit: int
    step: int


def _outputs(order: Sequence[Value], rows: list[_Row]) -> list[list[_Out]]:
    """For each row, every output node found in ``order`` (a topological order)."""
    owner: dict[int, tuple[int, int]] = {}
    for i, row in enumerate(rows):
        for p in row.params:
            owner[id(p)] = (i, row.unit_of.get(id(p), 0))
    found: list[dict[int, _Out]] = [{} for _ in rows]  # per row: id(z) -> its output
    out_of: dict[int, tuple[int, _Out]] = {}  # id(output node) -> (row, record): the time-step chain
    for node in order:
        parents = node.parents
        if not parents:
            continue
        if node.op in ("tanh", "sigmoid", "relu") and len(parents) == 1:
            hit = out_of.get(id(parents[0]))
            if hit is not None and hit[1].node is parents[0] and hit[1].z is parents[0]:
                i, rec = hit
                rec.node = node  # the weighted sum is followed by the layer's nonlinearity
                del out_of[id(parents[0])]
                out_of[id(node)] = (i, rec)
                continue
        # a weighted sum is a dot node combining two or more parameters of one unit of one layer, each
        # once (so a penalty such as dot(params, params) is not mistaken for one)
        if node.op != "dot":
            continue
        mine = [owner[id(p)] for p in parents if id(p) in owner]
        ids = [id(p) for p in parents if id(p) in owner]
        if len(mine) < 2 or len(set(mine)) != 1 or len(set(ids)) != len(ids):
            continue
        i, unit = mine[0]
        prev = [out_of[id(p)][1].step for p in parents if id(p) in out_of and out_of[id(p)][0] == i]
        rec = _Out(node, node, unit, 1 + max(prev, default=0))
        found[i][id(node)] = rec
        out_of[id(node)] = (i, rec)
    return [list(f.values()) for f in found]


def _is_saturated(op: str, a: float, t: HealthThresholds) -> bool:
    if op == "tanh":
        return abs(a) > t.tanh_limit
    return not t.sigmoid_low <= a <= t.sigmoid_high


def _activation_stats(outs: list[_Out], t: HealthThresholds) -> tuple[float | None, float | None]:
    """(saturated fraction, dead fraction) of one layer's outputs; None where it does not apply."""
    squash = [o for o in outs if o.node.op in _SQUASHING]
    saturated = sum(_is_saturated(o.node.op, o.node.data, t) for o in squash) / len(squash) if squash else None
    relus = [o for o in outs if o.node.op == "relu"]
    dead = None
    if relus:
        fired: dict[int, bool] = {}
        for o in relus:
            fired[o.unit] = fired.get(o.unit, False) or o.node.data > 0.0
        dead = sum(not f for f in fired.values()) / len(fired)
    return saturated, dead


# -- the report --------------------------------------------------------------------------------


def _grad_stats(grads: Sequence[float], params: Sequence[Value]) -> tuple[float, float, float]:
    """(mean |g|, max |g|, |g| / |w|); the ratio is nan when the parameters are all 0."""
    if not grads:
        return math.nan, math.nan, math.nan
    absg = [abs(g) for g in grads]
    if not all(math.isfinite(g) for g in absg):
        return math.inf, math.inf, math.inf
    gnorm = math.sqrt(math.fsum(g * g for g in absg))
    wnorm = math.sqrt(math.fsum(p.data * p.data for p in params))
    ratio = gnorm / wnorm if wnorm > 0 else math.nan
    return math.fsum(absg) / len(absg), max(absg), ratio


def _mean_abs(xs: Sequence[float]) -> float | None:
    return math.fsum(abs(x) for x in xs) / len(xs) if xs else None


def _model_inputs(model: Module, inputs: Iterable[Any]) -> Value | None:
    """Run ``model`` on each input with the graph recorded; one root over all the outputs (None if none)."""
    outs: list[Value] = []
    with enable_grad():
        for x in inputs:
            outs += [v for v in flatten(model(x)) if isinstance(v, Value)]
        return total(outs) if outs else None


def health(model: Module, *, loss: Value | None = None, inputs: Iterable[Any] | None = None,
           thresholds: HealthThresholds | None = None) -> HealthReport:
    """The gradient health of ``model`` after a backward pass: one row per layer, flags, a table and a plot.

    Args:
        model: an ``nn.Module`` (an MLP, a ``Sequential`` of ``Conv2d``/``Layer``s, a module holding an ``RNN``...).
        loss: the Value ``backward()`` was just called on; its graph gives the activations of its batch
            and the gradient reaching every layer's outputs and every RNN hidden state.
        inputs: a batch of model inputs instead: ``model(x)`` is run on each (graph recorded, no ``.grad``
            touched) for the saturated and dead fractions. Give ``loss`` or ``inputs``, not both.
        thresholds: a :class:`HealthThresholds` (the defaults are documented in this module's docstring).

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
    rows = _find_rows(model, "")
    if not rows:
        raise ValueError(f"{model!r} has no parameters: there is no gradient to report on")

    source = "gradients only: pass loss= or inputs= for saturated and dead units"
    outs: list[list[_Out]] = [[] for _ in rows]
    if loss is not None:
        outs = _outputs(topological_order(loss), rows)
        source = "activations and their gradients from the graph of the loss"
    elif inputs is not None:
        batch = list(inputs)
        if not batch:
            raise ValueError("health's inputs is an empty batch")
        root = _model_inputs(model, batch)
        if root is not None:
            outs = _outputs(topological_order(root), rows)
        source = f"activations from a forward pass over {len(batch)} inputs"

    report_rows: list[LayerHealth] = []
    for row, row_outs in zip(rows, outs):
        mean_g, max_g, ratio = _grad_stats([p.grad for p in row.params], row.params)
        saturated, dead = _activation_stats(row_outs, t)
        act_grad = _mean_abs([o.node.grad for o in row_outs]) if loss is not None else None
        layer = LayerHealth(row.name, _kind(row), _activation(row), len(row.params), mean_g, max_g, ratio,
                            act_grad, saturated, dead)
        report_rows.append(layer)
        if isinstance(row.module, RNN) and row_outs:
            report_rows += _step_rows(row, row_outs, t, with_grads=loss is not None)

    flags = _raise_flags(report_rows, t)
    return HealthReport(repr(model), source, report_rows, t, flags)


def _step_rows(row: _Row, outs: list[_Out], t: HealthThresholds, with_grads: bool) -> list[LayerHealth]:
    """One row per time step of an RNN: dL/dh_t and step t's term of the BPTT sum for the weights."""
    index = {id(p): k for k, p in enumerate(row.params)}
    steps = sorted({o.step for o in outs})
    result = []
    for s in steps:
        mine = [o for o in outs if o.step == s]
        saturated, dead = _activation_stats(mine, t)
        mean_g = max_g = ratio = math.nan
        act_grad = None
        if with_grads:
            # step s's term of dL/dW: the chain-rule contributions of the edges from W into step s's sums
            term = [0.0] * len(row.params)
            for o in mine:
                for p, local in zip(o.z.parents, o.z.local_grads):
                    k = index.get(id(p))
                    if k is not None:
                        term[k] += o.z.grad * local
            mean_g, max_g, ratio = _grad_stats(term, row.params)
            act_grad = _mean_abs([o.node.grad for o in mine])
        result.append(LayerHealth(f"{row.name} t={s}", "RNN step", _activation(row), len(row.params), mean_g,
                                  max_g, ratio, act_grad, saturated, dead, step=s))
    return result


def _raise_flags(rows: list[LayerHealth], t: HealthThresholds) -> list[Flag]:
    flags: list[Flag] = []

    def flag(r: LayerHealth, kind: str, reason: str) -> None:
        r.flags.append(kind)
        flags.append(Flag(r.name, kind, reason))

    layers = [r for r in rows if r.step is None]
    finite = [r.mean_grad for r in layers if math.isfinite(r.mean_grad)]
    largest = max(finite, default=0.0)
    output = layers[-1].mean_grad
    for r in rows:
        if r.step is not None:
            _step_flags(r, [s for s in rows if s.step is not None and s.name.rsplit(" ", 1)[0] ==
                            r.name.rsplit(" ", 1)[0]], t, flag)
            continue
        if not math.isfinite(r.mean_grad) and not math.isnan(r.mean_grad):
            flag(r, "exploding", "a gradient is infinite or NaN")
        elif math.isfinite(r.mean_grad):
            if len(layers) > 1 and largest > 0 and r.mean_grad < t.vanishing * largest:
                flag(r, "vanishing", f"mean|dL/dw| {r.mean_grad:.2e} is {r.mean_grad / largest:.1e} of the largest "
                                     f"layer's {largest:.2e}, below {t.vanishing:g}")
            elif r is not layers[-1] and math.isfinite(output) and output > 0 and r.mean_grad > t.exploding * output:
                flag(r, "exploding", f"mean|dL/dw| {r.mean_grad:.2e} is {r.mean_grad / output:.1e} times the output "
                                     f"layer's, above {t.exploding:g}")
            elif math.isfinite(r.grad_weight_ratio) and r.grad_weight_ratio > t.ratio:
                flag(r, "exploding", f"|dL/dw|/|w| = {r.grad_weight_ratio:.3g}, above {t.ratio:g}")
        _activation_flags(r, t, flag)
    return flags


def _activation_flags(r: LayerHealth, t: HealthThresholds, flag: Any) -> None:
    if r.saturated is not None and r.saturated > t.saturated:
        flag(r, "saturated", f"{r.saturated:.0%} of its {r.activation} outputs are saturated, above {t.saturated:.0%}")
    if r.dead is not None and r.dead > t.dead:
        flag(r, "dead", f"{r.dead:.0%} of its ReLU units output 0 on every sample, above {t.dead:.0%}")


def _step_flags(r: LayerHealth, steps: list[LayerHealth], t: HealthThresholds, flag: Any) -> None:
    grads = [s.mean_act_grad for s in steps if s.mean_act_grad is not None]
    g = r.mean_act_grad
    if g is not None:
        if not math.isfinite(g):
            flag(r, "exploding", "the gradient reaching h_t is infinite or NaN")
        else:
            largest = max((x for x in grads if math.isfinite(x)), default=0.0)
            last = steps[-1].mean_act_grad
            if largest > 0 and g < t.vanishing * largest:
                flag(r, "vanishing", f"mean|dL/dh_t| {g:.2e} is {g / largest:.1e} of the largest step's, "
                                     f"below {t.vanishing:g}")
            elif last is not None and math.isfinite(last) and last > 0 and g > t.exploding * last:
                flag(r, "exploding", f"mean|dL/dh_t| {g:.2e} is {g / last:.1e} times the last step's, "
                                     f"above {t.exploding:g}")
    _activation_flags(r, t, flag)
