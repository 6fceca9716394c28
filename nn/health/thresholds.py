"""When ``nn.health`` raises a flag: the thresholds, where each comes from, and the rules that apply them.

The reasoning behind each default is in the docstring of :mod:`nn.health`; this module holds the
numbers (:class:`HealthThresholds`), the flags they raise (:class:`Flag`) and :func:`raise_flags`,
which applies them to the rows of a report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

from autograd.value import _describe
from nn.health.rows import LayerHealth

FLAG_KINDS = ("vanishing", "exploding", "saturated", "dead")


@dataclass(frozen=True)
class HealthThresholds:
    """When a flag is raised; see the docstring of :mod:`nn.health` for each default and its source."""

    vanishing: float = 1e-3  # mean|dL/dw| below this fraction of the largest layer's
    exploding: float = 1e3  # mean|dL/dw| above this multiple of the output layer's
    ratio: float = 10.0  # |dL/dw| / |w| above this (a mean loss assumed)
    saturated: float = 0.5  # fraction of saturated tanh/sigmoid outputs above this
    dead: float = 0.25  # fraction of ReLU units dead over the batch above this
    tanh_limit: float = 0.97  # |tanh| above this is saturated
    sigmoid_low: float = 0.03  # sigmoid below this ...
    sigmoid_high: float = 0.97  # ... or above this is saturated
    update_ratio: float = 1e-3  # the usual size of std(update) / std(w) per step: the reference line at log10 = -3

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"HealthThresholds.{f.name} must be a finite number >= 0, got {_describe(v)}")
        if not self.sigmoid_low < self.sigmoid_high:
            raise ValueError(f"HealthThresholds needs sigmoid_low < sigmoid_high, got "
                             f"{self.sigmoid_low!r} and {self.sigmoid_high!r}")
        if not self.update_ratio > 0:
            raise ValueError(f"HealthThresholds.update_ratio must be > 0 (it is drawn on a log scale), got "
                             f"{self.update_ratio!r}")

    def is_saturated(self, op: str, a: float) -> bool:
        """Whether an output ``a`` of a ``tanh`` or ``sigmoid`` node lies where its derivative is tiny."""
        if op == "tanh":
            return abs(a) > self.tanh_limit
        return not self.sigmoid_low <= a <= self.sigmoid_high

    def describe(self) -> str:
        """The thresholds in force, as the last lines of a report's table."""
        return (f"thresholds: vanishing < {self.vanishing:g} x largest layer's mean|dL/dw|; exploding > "
                f"{self.exploding:g} x output layer's, or |dL/dw|/|w| > {self.ratio:g}, or not finite;\n"
                f"            saturated > {self.saturated:.0%} of outputs (|tanh| > {self.tanh_limit:g}, "
                f"sigmoid outside [{self.sigmoid_low:g}, {self.sigmoid_high:g}]); "
                f"dead > {self.dead:.0%} of ReLU units silent on every sample")


class Flag(NamedTuple):
    """One raised flag: the row it concerns, its kind and the numbers that raised it."""

    layer: str
    kind: str  # one of FLAG_KINDS
    reason: str

    def __str__(self) -> str:
        return f"{self.layer}: {self.kind} ({self.reason})"


def check_kind(kind: str) -> str:
    """``kind`` if it names a flag, else a ValueError listing the kinds."""
    if kind not in FLAG_KINDS:
        raise ValueError(f"unknown flag kind {kind!r}; kinds are {', '.join(map(repr, FLAG_KINDS))}")
    return kind


def raise_flags(rows: list[LayerHealth], t: HealthThresholds) -> list[Flag]:
    """Apply the thresholds to a report's rows: each flag goes into its row's ``flags`` and the returned list."""
    flags: list[Flag] = []

    def flag(r: LayerHealth, kind: str, reason: str) -> None:
        r.flags.append(kind)
        flags.append(Flag(r.name, kind, reason))

    layers = [r for r in rows if r.step is None]
    finite = [r.mean_grad for r in layers if math.isfinite(r.mean_grad)]
    largest = max(finite, default=0.0)
    output = layers[-1].mean_grad if layers else math.nan
    for r in rows:
        if r.step is not None:
            owner = r.name.rsplit(" ", 1)[0]
            _step_flags(r, [s for s in rows if s.step is not None and s.name.rsplit(" ", 1)[0] == owner], t, flag)
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


FlagFn = Callable[[LayerHealth, str, str], None]


def _activation_flags(r: LayerHealth, t: HealthThresholds, flag: FlagFn) -> None:
    if r.saturated is not None and r.saturated > t.saturated:
        flag(r, "saturated", f"{r.saturated:.0%} of its {r.activation} outputs are saturated, above {t.saturated:.0%}")
    if r.dead is not None and r.dead > t.dead:
        flag(r, "dead", f"{r.dead:.0%} of its ReLU units output 0 on every sample, above {t.dead:.0%}")


def _step_flags(r: LayerHealth, steps: list[LayerHealth], t: HealthThresholds, flag: FlagFn) -> None:
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
