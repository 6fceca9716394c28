"""A recurrent layer, unrolled over a sequence: backpropagation through time comes for free.

At every step t the same weights map the input and the previous hidden state
to the new hidden state (PyTorch's ``nn.RNN`` parameterisation):

    h_t = g(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   h_0 = 0 unless given

Unrolled, the sequence is one deep graph in which each weight is a parent at
every step, so the backward pass sums its gradient over time (seed 002):
∂L/∂W = Σ_t ∂L/∂W|_t. That sum *is* BPTT; nothing here implements it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

from autograd import Value, dot
from autograd.value import _describe
from nn.module import Module, Seed, _positive_int, get_activation, make_rng

Scalar = Union[Value, float]


def _vector(x: Any, size: int, what: str) -> list[Scalar]:
    """``x`` as a list of ``size`` entries, or a ValueError naming expected and given sizes."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise ValueError(f"{what} must be a list of {size} numbers or Values, got {type(x).__name__}: {x!r}")
    if len(x) != size:
        raise ValueError(f"{what} must have size {size}, got size {len(x)}")
    return list(x)


class RNN(Module):
    """``RNN(input_size, hidden_size, activation="tanh")``; ``rnn(seq, h0=None)`` returns every hidden state.

    ``seq`` is a list of input vectors (``input_size`` numbers or Values each);
    the result has one list of ``hidden_size`` Values per step. Parameters are
    ``weight_ih [hidden][input]``, ``weight_hh [hidden][hidden]``, ``bias_ih``
    and ``bias_hh``, uniform in ``±1/√hidden_size`` as in PyTorch, so weights
    copy one-to-one between the two. Hidden unit j at step t is one ``dot``
    node over ``[W_ih[j], W_hh[j], b_ih[j]] · [x_t, h_{t-1}, 1]`` plus ``b_hh[j]``,
    then the activation, labelled ``h{t}[j]`` (t from 1). In drawings a call is
    a box ``RNN`` with one part ``step t`` per step (the step that makes ``h{t}``).
    """

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh", seed: Seed = None) -> None:
        super().__init__()
        self.input_size = _positive_int(input_size, "RNN's input_size")
        self.hidden_size = _positive_int(hidden_size, "RNN's hidden_size")
        self._act = get_activation(activation)
        self.activation = activation or "linear"
        rng = make_rng(seed)
        bound = 1.0 / math.sqrt(self.hidden_size)

        def init(label: str) -> Value:
            return Value(rng.uniform(-bound, bound), label)

        n_in, n_h = self.input_size, self.hidden_size
        self.weight_ih = [[init(f"W_ih[{j},{i}]") for i in range(n_in)] for j in range(n_h)]
        self.weight_hh = [[init(f"W_hh[{j},{i}]") for i in range(n_h)] for j in range(n_h)]
        self.bias_ih = [init(f"b_ih[{j}]") for j in range(n_h)]
        self.bias_hh = [init(f"b_hh[{j}]") for j in range(n_h)]

    def step(self, x: Sequence[Scalar], h: Sequence[Scalar], t: int = 0) -> list[Value]:
        """One step: ``h_t = g(W_ih x + b_ih + W_hh h + b_hh)`` (``t`` only names the nodes)."""
        xh1 = [*x, *h, 1.0]
        act = self._act
        out = []
        for j in range(self.hidden_size):
            z = dot([*self.weight_ih[j], *self.weight_hh[j], self.bias_ih[j]], xh1, self.bias_hh[j])
            a = act(z) if act is not None else z
            a.label = f"h{t}[{j}]"
            out.append(a)
        return out

    def __call__(self, seq: Sequence[Sequence[Scalar]], h0: Sequence[Scalar] | None = None) -> list[list[Value]]:
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence) or not seq:
            raise ValueError(f"RNN needs a non-empty list of input vectors, got {_describe(seq)}")
        xs = [_vector(x, self.input_size, f"RNN input at step {t}") for t, x in enumerate(seq)]
        h: Sequence[Scalar] = (
            [0.0] * self.hidden_size if h0 is None else _vector(h0, self.hidden_size, "RNN's h0")
        )
        states = []
        for t, x in enumerate(xs, start=1):
            h = self.step(x, h, t)
            states.append(h)
        return states

    def recorded_parts(
        self, n_outputs: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Module | None, int]]:
        """One part per step: ``step t`` made the hidden state ``h{t}`` (the call's ``t``-th list)."""
        return [(f"step {t}", None, self.hidden_size) for t in range(1, n_outputs // self.hidden_size + 1)]

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "activation": self.activation}
