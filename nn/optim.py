"""Optimizers: SGD (with momentum) and Adam.

They read each parameter's ``.grad`` and write its ``.data`` directly, so an
update adds no nodes to any graph. For mini-batches, backpropagate the mean
loss of the batch (``nn.losses.mean``): each ``.grad`` is then
``1/m Σ_x ∂L_x/∂w`` and a plain SGD step is the derivation's
``w ← w - α/m Σ_x ∂L_x/∂w``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value
from nn import checks


def _hyper(x: object, name: str, low: float, high: float, low_open: bool = False, high_open: bool = True) -> float:
    """A hyperparameter as a float in its valid interval, or a ValueError naming it (never OverflowError)."""
    return checks.real(x, name, low, high, low_open, high_open)


class Optimizer:
    """Holds the parameters; subclasses define :meth:`step`."""

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty list of parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}'s parameter {i} is not a Value: {p!r}")
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define step")


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum (PyTorch's convention).

    Without momentum: $w \leftarrow w - \mathrm{lr}\cdot g$. With momentum $\mu$, a velocity per
    parameter: $v \leftarrow \mu v + g$, $w \leftarrow w - \mathrm{lr}\cdot v$ ($v$ starts at 0,
    so the first step is plain SGD).

    Examples:
        >>> from autograd import Value
        >>> w = Value(1.0)
        >>> (w * w).backward()             # dL/dw = 2w = 2
        >>> SGD([w], lr=0.1).step()
        >>> w.data                         # 1 - 0.1 * 2
        0.8
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params)
        self.lr = _hyper(lr, "SGD's lr", 0.0, math.inf, low_open=True)
        self.momentum = _hyper(momentum, "SGD's momentum", 0.0, 1.0)
        self.velocity = [0.0] * len(self.params) if self.momentum else []

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        lr = self.lr
        if not self.momentum:
            for p in self.params:
                p.data -= lr * p.grad
        else:
            mu, vel = self.momentum, self.velocity
            for i, p in enumerate(self.params):
                v = mu * vel[i] + p.grad
                vel[i] = v
                p.data -= lr * v
        self.steps += 1


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): per-parameter steps from running moments of the gradient.

    With $t$ the step number (from 1):

    $$m \leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2,$$
    $$\hat m = \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
      w \leftarrow w - \mathrm{lr}\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.$$
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params)
        self.lr = _hyper(lr, "Adam's lr", 0.0, math.inf, low_open=True)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam's betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_hyper(betas[0], "Adam's beta1", 0.0, 1.0), _hyper(betas[1], "Adam's beta2", 0.0, 1.0))
        self.eps = _hyper(eps, "Adam's eps", 0.0, math.inf, low_open=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        self.steps += 1
        b1, b2 = self.betas
        t = self.steps
        c1 = 1.0 - b1**t  # bias corrections: m and v start at 0
        c2 = 1.0 - b2**t
        lr, eps, m, v = self.lr, self.eps, self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            mi = b1 * m[i] + (1.0 - b1) * g
            vi = b2 * v[i] + (1.0 - b2) * g * g
            m[i] = mi
            v[i] = vi
            p.data -= lr * (mi / c1) / (math.sqrt(vi / c2) + eps)
