"""Convolution, max pooling and flattening over nested lists ``[C][H][W]``.

A convolution is a fully connected layer with two constraints (seed 002):
most weights are zero (each output sees one patch), and the remaining ones are
*shared* across positions. Every output is one ``dot`` node

    y[o][i][j] = b[o] + Σ_{c,u,v} w[o][c][u][v] · x[c][i·s+u][j·s+v]

so the same weight Value is a parent of every output, and the backward pass
adds its gradient over all positions by itself: ∂L/∂w = Σ_{i,j} ∂L/∂y[i][j] · x[...].

Max pooling keeps the largest value of each window; its gradient goes to the
arg max only (``autograd.max``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

from autograd import Value, dot
from autograd import max as vmax
from nn.module import Module, Seed, _positive_int, get_activation, make_rng

Scalar = Union[Value, float]
Image = Sequence[Sequence[Sequence[Scalar]]]  # [C][H][W]


def shape_of(x: Any, who: str) -> tuple[int, int, int]:
    """``(C, H, W)`` of a nested list, checking it is rectangular; errors name ``who``."""
    try:
        c = len(x)
        h = len(x[0])
        w = len(x[0][0])
    except (TypeError, IndexError):
        raise ValueError(f"{who} expects a nested list of shape [C][H][W], got {_describe(x)}") from None
    for ci, channel in enumerate(x):
        if len(channel) != h:
            raise ValueError(f"{who}: channel {ci} has {len(channel)} rows, channel 0 has {h}")
        for ri, row in enumerate(channel):
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != w:
                size = len(row) if isinstance(row, Sequence) else type(row).__name__
                raise ValueError(f"{who}: row {ri} of channel {ci} has {size} entries, row 0 of channel 0 has {w}")
    if min(c, h, w) == 0:
        raise ValueError(f"{who} got an empty input of shape [{c}][{h}][{w}]")
    return c, h, w


def _describe(x: Any) -> str:
    text = repr(x)
    return f"{type(x).__name__}: {text[:57] + '...' if len(text) > 60 else text}"


def _out_size(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in PyTorch) with ``out_channels`` filters.

    ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``
    maps ``[in_channels][H][W]`` to ``[out_channels][H'][W']`` with
    ``H' = (H + 2·padding - kernel_size) // stride + 1`` (W' likewise).
    Padding cells count as zeros: they add nothing to the sum and no edges to the graph.

    Weights ``w[o][c][u][v]`` and biases ``b[o]`` start uniform in
    ``±1/√(in_channels·k²)`` (PyTorch's default). ``activation`` (an
    ``nn.module`` activation name, default linear) is applied to every output.
    In drawings a call is a box ``conv`` with one part per output channel.
    """

    box_name = "conv"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        activation: str | None = None,
        seed: Seed = None,
    ) -> None:
        super().__init__()
        self.in_channels = _positive_int(in_channels, "Conv2d's in_channels")
        self.out_channels = _positive_int(out_channels, "Conv2d's out_channels")
        self.kernel_size = _positive_int(kernel_size, "Conv2d's kernel_size")
        self.stride = _positive_int(stride, "Conv2d's stride")
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"Conv2d's padding must be an int >= 0, got {_describe(padding)}")
        self.padding = padding
        self._act = get_activation(activation)
        self.activation = activation or "linear"
        rng = make_rng(seed)
        k = self.kernel_size
        bound = 1.0 / math.sqrt(self.in_channels * k * k)
        self.weight = [
            [[[Value(rng.uniform(-bound, bound), f"w[{o},{c},{u},{v}]") for v in range(k)] for u in range(k)]
             for c in range(self.in_channels)]
            for o in range(self.out_channels)
        ]
        self.bias = [Value(rng.uniform(-bound, bound), f"b[{o}]") for o in range(self.out_channels)]

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """``(out_channels, H', W')`` for an input of ``height × width``."""
        k, s, p = self.kernel_size, self.stride, self.padding
        return self.out_channels, _out_size(height, k, s, p), _out_size(width, k, s, p)

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        c, h, w = shape_of(x, "Conv2d")
        k, s, p = self.kernel_size, self.stride, self.padding
        if c != self.in_channels:
            raise ValueError(
                f"Conv2d expects input of shape [{self.in_channels}][H][W] (channels first), got [{c}][{h}][{w}]"
            )
        if h + 2 * p < k or w + 2 * p < k:
            raise ValueError(
                f"Conv2d's {k}x{k} kernel does not fit an input of shape [{c}][{h}][{w}] with padding {p}: "
                f"expected H and W >= {k - 2 * p}"
            )
        if p:
            # padding cells are None, and dropped from each patch below: a zero input would still
            # make its weight a parent (with local derivative 0), cluttering graphs for nothing
            # (ignore: the padded image holds None where the Image type says numbers; patches drop them)
            pad_row = [None] * (w + 2 * p)
            x = [[pad_row] * p + [[None] * p + list(row) + [None] * p for row in ch] + [pad_row] * p  # type: ignore[misc]
                 for ch in x]
        _, ho, wo = self.output_shape(h, w)
        # the patch order (c, u, v) matches the flattened weights of each filter
        filters = [[wv for wc in wo_ for wu in wc for wv in wu] for wo_ in self.weight]
        act = self._act
        out = []
        for o, f in enumerate(filters):
            bias = self.bias[o]
            plane = []
            for i in range(ho):
                rows = [[x[ci][i * s + u] for u in range(k)] for ci in range(c)]
                line = []
                for j in range(wo):
                    js = j * s
                    patch = [v for rc in rows for r in rc for v in r[js:js + k]]
                    if p and None in patch:
                        kept = [(wv, xv) for wv, xv in zip(f, patch) if xv is not None]
                        y = dot([wv for wv, _ in kept], [xv for _, xv in kept], bias)
                    else:
                        y = dot(f, patch, bias)
                    line.append(act(y) if act is not None else y)
                plane.append(line)
            out.append(plane)
        return out

    def recorded_parts(
        self, n_outputs: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Module | None, int]]:
        """One part per output channel (the outputs of one filter)."""
        return _channels(self.out_channels, n_outputs)

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "activation": self.activation,
        }


class MaxPool2d(Module):
    """Max over ``kernel_size × kernel_size`` windows, moved by ``stride`` (default: ``kernel_size``).

    ``[C][H][W]`` in, ``[C][H'][W']`` out with ``H' = (H - kernel_size) // stride + 1``.
    Each output is one ``max`` node: the gradient goes to the window's first
    arg max, every other input of the window gets 0 (seed 002).
    """

    box_name = "pool"

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = _positive_int(kernel_size, "MaxPool2d's kernel_size")
        self.stride = self.kernel_size if stride is None else _positive_int(stride, "MaxPool2d's stride")

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        c, h, w = shape_of(x, "MaxPool2d")
        k, s = self.kernel_size, self.stride
        if h < k or w < k:
            raise ValueError(
                f"MaxPool2d's {k}x{k} window does not fit an input of shape [{c}][{h}][{w}]: expected H and W >= {k}"
            )
        ho, wo = _out_size(h, k, s, 0), _out_size(w, k, s, 0)
        return [
            [[vmax([v for r in ch[i * s:i * s + k] for v in r[j * s:j * s + k]]) for j in range(wo)]
             for i in range(ho)]
            for ch in x
        ]

    def recorded_parts(
        self, n_outputs: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Module | None, int]]:
        """One part per channel."""
        return _channels(len(args[0]) if args else 1, n_outputs)

    def config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride}


def _channels(channels: int, n_outputs: int) -> list[tuple[str, Module | None, int]]:
    """``channel c`` for each ``[H][W]`` plane of a ``[C][H][W]`` output (none for a single channel)."""
    if channels < 2 or n_outputs % channels:
        return []
    return [(f"channel {c}", None, n_outputs // channels) for c in range(channels)]


def flatten(x: Any) -> list[Any]:
    """Nested lists and tuples to one flat list, row-major; iterative, so any nesting depth works."""
    out: list[Any] = []
    stack = [iter([x])]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


class Flatten(Module):
    """Nested lists to one flat list, row-major (``[C][H][W]`` -> ``C·H·W`` entries), for a dense layer."""

    box_name = "flatten"

    def __call__(self, x: Any) -> list[Scalar]:
        return flatten(x)
