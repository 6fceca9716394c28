"""The update-to-data ratio of each parameter group, step after step.

After every optimizer step, for each group of weights ``w`` (by default one group per layer, its
weights without the biases) and the change ``Δw`` that step made::

    ratio = log10( std(Δw) / std(w) )

For plain SGD ``Δw = -lr·∇w``, so this is ``log10(std(lr·grad) / std(w))``, the statistic of
Karpathy's *Building makemore, part 3* (where a healthy run sits near -3); CS231n ("Neural Networks
Part 3", *ratio of weights:updates*) gives the same rule of thumb, an update about 1e-3 of the
weights' size. Far above it the steps are too large for the weights (the learning rate is too high,
or the gradients explode); far below it the group barely moves. Measuring the change itself rather
than ``lr·grad`` makes the number true for momentum and Adam too.

    rec = UpdateRecorder(model)            # remembers the weights now
    fit(model, loss_fn, samples, opt, recorder=rec)   # fit calls rec.record() after every step
    print(rec)                             # last and median ratio per group
    rec.plot()                             # one line per group, the reference line at -3
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from autograd import Value
from nn.health.layers import find_layers
from nn.health.thresholds import HealthThresholds
from nn.module import Module

if TYPE_CHECKING:  # (matplotlib is optional: imported when drawing)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


def _std(xs: Sequence[float]) -> float:
    mean = math.fsum(xs) / len(xs)
    return math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / len(xs))


def _log_ratio(delta: Sequence[float], data: Sequence[float]) -> float:
    """log10(std(delta) / std(data)): nan when the data do not vary, -inf when nothing moved."""
    if not all(math.isfinite(x) for x in (*delta, *data)):
        return math.nan
    sd = _std(data)
    if sd == 0.0:
        return math.nan
    su = _std(delta)
    return math.log10(su / sd) if su > 0.0 else -math.inf


class UpdateRecorder:
    """``log10(std(Δw)/std(w))`` per parameter group after each step; see the module docstring.

    Args:
        groups: an ``nn.Module`` (one group per layer: its weights, biases left out, as in the sources
            above; a bias starts at 0, where the ratio means nothing) or a mapping ``name -> parameters``.
        thresholds: gives the reference ratio (``HealthThresholds.update_ratio``, 1e-3).

    ``record()`` after every optimizer step (``nn.train.fit(..., recorder=rec)`` does it) appends one
    ratio per group; ``history[name]`` is the list, ``steps`` the step numbers (1, 2, ...).
    """

    def __init__(self, groups: Module | Mapping[str, Sequence[Value]], *,
                 thresholds: HealthThresholds | None = None) -> None:
        if isinstance(groups, Module):
            named = {row.name: list(row.weights) for row in find_layers(groups)}
            named = {k: v for k, v in named.items() if len(v) > 1}
        elif isinstance(groups, Mapping):
            named = {}
            for name, params in groups.items():
                if not isinstance(name, str):
                    raise TypeError(f"UpdateRecorder's group names must be str, got {type(name).__name__}: {name!r}")
                ps = list(params)
                bad = [p for p in ps if not isinstance(p, Value)]
                if bad:
                    raise TypeError(f"UpdateRecorder's group {name!r} holds a {type(bad[0]).__name__}, "
                                    f"not a Value: {bad[0]!r}")
                if len(ps) < 2:
                    raise ValueError(f"UpdateRecorder's group {name!r} has {len(ps)} parameter(s): a standard "
                                     f"deviation needs at least 2")
                named[name] = ps
        else:
            raise TypeError(f"UpdateRecorder needs an nn.Module or a mapping name -> parameters, got "
                            f"{type(groups).__name__}: {groups!r}")
        if not named:
            raise ValueError(f"UpdateRecorder found no group of at least 2 weights in {groups!r}")
        t = HealthThresholds() if thresholds is None else thresholds
        if not isinstance(t, HealthThresholds):
            raise TypeError(f"thresholds must be a HealthThresholds, got {type(t).__name__}: {t!r}")
        self.thresholds = t
        self.groups: dict[str, list[Value]] = named
        self.history: dict[str, list[float]] = {name: [] for name in named}
        self.steps: list[int] = []
        self._before = {name: [p.data for p in ps] for name, ps in named.items()}

    @property
    def reference(self) -> float:
        """The reference line, log10 of ``thresholds.update_ratio`` (-3 by default)."""
        return math.log10(self.thresholds.update_ratio)

    def record(self) -> dict[str, float]:
        """Append this step's ratio for every group (the change since the last call); returns them."""
        now: dict[str, float] = {}
        for name, params in self.groups.items():
            after = [p.data for p in params]
            delta = [a - b for a, b in zip(after, self._before[name])]
            now[name] = _log_ratio(delta, after)
            self.history[name].append(now[name])
            self._before[name] = after
        self.steps.append(len(self.steps) + 1)
        return now

    def __call__(self, *_: Any) -> None:
        """``record()``, for use as a callback such as ``fit``'s ``on_batch``."""
        self.record()

    def median(self, name: str, last: int = 10) -> float:
        """The median ratio of group ``name`` over its ``last`` recorded steps (-inf: no move; nan if none known)."""
        if name not in self.history:
            raise KeyError(f"no group {name!r}; groups are {', '.join(map(repr, self.history))}")
        xs = [x for x in self.history[name][-last:] if not math.isnan(x)]
        return statistics.median(xs) if xs else math.nan

    def __str__(self) -> str:
        if not self.steps:
            return f"update-to-data ratios of {len(self.groups)} group(s): nothing recorded yet (call record())"
        width = max(len(n) for n in self.groups)
        lines = [f"update-to-data ratio log10(std(dw)/std(w)) after {len(self.steps)} step(s); "
                 f"reference {self.reference:g}"]
        lines.append(f"{'group':<{width}}  {'weights':>7}  {'last':>6}  {'median of last 10':>17}  vs reference")
        for name, params in self.groups.items():
            last, med = self.history[name][-1], self.median(name)
            off = med - self.reference
            verdict = "-" if not math.isfinite(off) else f"{off:+.1f} decades"
            lines.append(f"{name:<{width}}  {len(params):>7}  {last:>6.2f}  {med:>17.2f}  {verdict}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<UpdateRecorder: {len(self.groups)} groups, {len(self.steps)} steps>"

    # A new Figure; on a given ``ax``, the figure (or subfigure) that holds it.
    @overload
    def plot(self, ax: None = None, dpi: int = 100) -> Figure: ...
    @overload
    def plot(self, ax: Axes, dpi: int = 100) -> Figure | SubFigure: ...
    def plot(self, ax: Axes | None = None, dpi: int = 100) -> Figure | SubFigure:
        """One line per group against the step, and the reference line; returns the matplotlib Figure."""
        from nn.health.plot import plot_updates  # matplotlib is optional: imported when drawing

        return plot_updates(self, ax=ax, dpi=dpi)
