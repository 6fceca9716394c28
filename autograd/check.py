"""Checking gradients: central differences against the backward pass.

For each input ``x_i`` of a scalar function ``f``,

    numeric_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

has error O(eps**2) from the Taylor series plus about ``ulp(f) / eps`` from
rounding, so it agrees with the analytic gradient (from ``backward``) to a few
significant digits when ``f`` is smooth near ``x``. The comparison is
``|analytic - numeric| <= atol + rtol * |numeric|``, as in ``numpy.isclose``.

``detect_anomaly`` and ``AnomalyError`` live in :mod:`autograd.modes`; they are
re-exported here, next to the other debugging tools.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from autograd.graph import grad as _grad
from autograd.higher import hessian
from autograd.inputs import Inputs, InputsLike, as_inputs
from autograd.modes import AnomalyError, detect_anomaly, no_grad
from autograd.trace import format_table
from autograd.value import Value, _describe, as_float

__all__ = ["AnomalyError", "GradcheckEntry", "GradcheckError", "GradcheckReport", "detect_anomaly", "gradcheck",
           "gradgradcheck"]


@dataclass(frozen=True)
class GradcheckEntry:
    """The comparison for one input: where, both gradients, both errors, verdict."""

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """The result of :func:`gradcheck`: ``ok`` is True when every input passed."""

    entries: tuple[GradcheckEntry, ...]
    output: float
    eps: float
    atol: float
    rtol: float
    check: str = "gradcheck"  # or "gradgradcheck": the entries are then second derivatives

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries)

    @property
    def analytic(self) -> list[float]:
        """Backward's gradient for each input, in input order."""
        return [e.analytic for e in self.entries]

    @property
    def numeric(self) -> list[float]:
        """The central-difference gradient for each input, in input order."""
        return [e.numeric for e in self.entries]

    @property
    def failures(self) -> list[GradcheckEntry]:
        """The entries that did not match."""
        return [e for e in self.entries if not e.ok]

    def __str__(self) -> str:
        first = "input" if self.check == "gradcheck" else "second derivative"
        header = (first, "value", "analytic", "numeric", "abs error", "rel error", "")
        rows = [header] + [
            (
                e.name,
                f"{e.value:.6g}",
                f"{e.analytic:.9g}",
                f"{e.numeric:.9g}",
                f"{e.abs_error:.2e}",
                f"{e.rel_error:.2e}",
                "ok" if e.ok else "MISMATCH",
            )
            for e in self.entries
        ]
        lines = format_table(rows, left={0, 6})
        what = "input(s)" if self.check == "gradcheck" else "second derivative(s)"
        verdict = (
            f"{self.check} passed: {len(self.entries)} {what}"
            if self.ok
            else f"{self.check} FAILED: {len(self.failures)} of {len(self.entries)} {what} mismatched"
        )
        tolerance = f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}; f = {self.output:.6g})"
        return "\n".join([f"{verdict} {tolerance}", *lines])


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_on_failure=True)`` on a mismatch; ``report`` has the details."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def _evaluate(f: Callable[..., Value], given: Inputs, xs: list[float], labels: list[str]) -> tuple[list[Value], Value]:
    """Fresh leaves holding ``xs``, and ``f`` of them (one bare leaf for one bare input)."""
    leaves = [Value(x, label=lab) for x, lab in zip(xs, labels)]
    out = f(given.pack(leaves))
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck's f must return a Value, got {type(out).__name__}: {out!r}")
    return leaves, out


def _tolerances(eps: float, atol: float, rtol: float, who: str) -> tuple[float, float, float]:
    eps = as_float(eps, what=f"{who}'s eps")
    if not eps > 0.0 or not math.isfinite(eps):
        raise ValueError(f"{who}'s eps must be a positive finite number, got {_describe(eps)}")
    atol = as_float(atol, what=f"{who}'s atol")
    rtol = as_float(rtol, what=f"{who}'s rtol")
    if not (atol >= 0.0 and rtol >= 0.0):
        raise ValueError(f"{who}'s atol and rtol must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    return eps, atol, rtol


def _entry(name: str, x: float, analytic: float, numeric: float, atol: float, rtol: float) -> GradcheckEntry:
    abs_error = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel_error = abs_error / scale if scale > 0.0 else abs_error
    ok = abs_error <= atol + rtol * abs(numeric)  # False for NaN, as wanted
    return GradcheckEntry(name, x, analytic, numeric, abs_error, rel_error, ok)


def gradcheck(
    f: Callable[..., Value],
    inputs: InputsLike,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = False,
) -> GradcheckReport:
    r"""Compare backward's gradient of ``f`` at ``inputs`` with central differences.

    The numeric gradient of input $i$ is
    $\big(f(x + \varepsilon e_i) - f(x - \varepsilon e_i)\big) / 2\varepsilon$.
    ``f`` takes a list of Values (fresh leaves holding the inputs' values, so
    the caller's Values keep their ``.grad``) and returns a Value. ``inputs``
    may be numbers or Values, or one of them bare, for an ``f`` of one Value
    (see :mod:`autograd.inputs`). Input ``i`` passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``; the report has both
    gradients and the absolute and relative errors
    ``|a - n| / max(|a|, |n|)`` for every input. With ``raise_on_failure=True``
    a mismatch raises :class:`GradcheckError` carrying the report.

    Examples:
        >>> report = gradcheck(lambda v: (v[0] * v[1]).tanh(), [0.5, -1.0])
        >>> report.ok
        True
    """
    if not callable(f):
        raise TypeError(f"gradcheck needs a callable f, got {type(f).__name__}: {f!r}")
    eps, atol, rtol = _tolerances(eps, atol, rtol, "gradcheck")
    given = as_inputs(inputs, "gradcheck")
    xs, labels = given.floats(), given.labels()

    # analytic: one backward pass through the graph f builds (hooks inside f apply)
    leaves, out = _evaluate(f, given, xs, labels)
    analytic = _grad(out, leaves)

    entries = []
    with no_grad():  # the perturbed evaluations need values only, no graph
        for i, x in enumerate(xs):
            up, down = list(xs), list(xs)
            up[i] = x + eps
            down[i] = x - eps
            numeric = (_evaluate(f, given, up, labels)[1].data - _evaluate(f, given, down, labels)[1].data) \
                / (2.0 * eps)
            entries.append(_entry(labels[i], x, analytic[i], numeric, atol, rtol))
    report = GradcheckReport(tuple(entries), out.data, eps, atol, rtol)
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report


def gradgradcheck(
    f: Callable[..., Value],
    inputs: InputsLike,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = False,
) -> GradcheckReport:
    """Compare second derivatives of ``f`` with central differences of its gradient.

    Analytic: the Hessian from differentiating the gradient built with
    ``create_graph=True`` (:func:`autograd.hessian`). Numeric: for each input
    ``j``, ``(∇f(x + eps e_j) - ∇f(x - eps e_j)) / (2 eps)``, using backward's
    first derivatives, so it checks the derivative formulas' derivatives. One
    entry per pair ``(i, j)``, named ``d2/dx_i dx_j``; the report reads like
    :func:`gradcheck`'s.
    """
    if not callable(f):
        raise TypeError(f"gradgradcheck needs a callable f, got {type(f).__name__}: {f!r}")
    eps, atol, rtol = _tolerances(eps, atol, rtol, "gradgradcheck")
    given = as_inputs(inputs, "gradgradcheck")
    xs, labels = given.floats(), given.labels()
    leaves, out = _evaluate(f, given, xs, labels)
    analytic = hessian(f, given.pack(leaves))
    if given.single:
        analytic = [[analytic]]

    def gradient(at: list[float]) -> list[float]:
        vs, y = _evaluate(f, given, at, labels)
        return _grad(y, vs)

    entries = []
    for j, x in enumerate(xs):
        up, down = list(xs), list(xs)
        up[j] = x + eps
        down[j] = x - eps
        g_up, g_down = gradient(up), gradient(down)
        for i in range(len(xs)):
            numeric = (g_up[i] - g_down[i]) / (2.0 * eps)
            entries.append(_entry(f"d2/d{labels[i]} d{labels[j]}", x, analytic[i][j], numeric, atol, rtol))
    report = GradcheckReport(tuple(entries), out.data, eps, atol, rtol, check="gradgradcheck")
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report
