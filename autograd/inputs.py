"""One rule for the inputs of every function that differentiates, checks or replays a function.

``grad``, ``hessian``, ``hvp``, ``gradcheck``, ``gradgradcheck``, ``jvp`` (and
``compile``) all take their inputs the same way:

- a ``Value`` or a number (``int`` or ``float``): *one* input. The function
  ``f`` then receives one argument (a Value, or a Dual in forward mode) and the
  result comes back unwrapped: ``hessian(lambda x: x ** 3, 2.0) == 12.0``, as
  ``grad(y, x)`` gives one float for one Value (JAX's and PyTorch's convention);
- a sequence (list, tuple, any iterable but a string, a mapping or a set) of
  Values and numbers: ``f`` receives a list, results come back as lists.

A number stands for a fresh leaf holding it; a Value for its ``.data`` (the
tools that evaluate ``f`` build fresh leaves, so the caller's ``.grad`` is never
touched), except in ``grad``, whose inputs must be nodes of the graph. Anything
else is one ``TypeError`` (``ValueError`` for an int too large for a float) that
names the function, the argument and the position: never a bare
``'float' object is not iterable``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from numbers import Real
from typing import Any, Union

from autograd.value import Value, _describe, as_float

Number = Union[int, float]
InputsLike = Union[Value, Number, Iterable[Union[Value, Number]]]

_RULE = "a Value, a number (int or float), or a sequence of them"


@dataclass(frozen=True)
class Inputs:
    """Inputs after :func:`as_inputs`: each a Value or a float, and whether one was given bare."""

    items: tuple[Any, ...]
    single: bool

    def __len__(self) -> int:
        return len(self.items)

    def floats(self) -> list[float]:
        """Each input's number (a Value's ``.data``)."""
        return [x.data if isinstance(x, Value) else x for x in self.items]

    def labels(self) -> list[str]:
        """A name per input: a Value's label, else ``x<i>``."""
        return [(x.label if isinstance(x, Value) else "") or f"x{i}" for i, x in enumerate(self.items)]

    def fresh_leaves(self) -> list[Value]:
        """New leaves holding the inputs' numbers, labelled as :meth:`labels` (the caller's Values stay untouched)."""
        return [Value(x, label=name) for x, name in zip(self.floats(), self.labels())]

    def pack(self, xs: Sequence[Any]) -> Any:
        """What ``f`` receives: the one element for a bare input, else a list."""
        return xs[0] if self.single else list(xs)

    def unpack(self, results: Sequence[Any]) -> Any:
        """One result per input, as the caller gave the inputs: bare for one bare input, else a list."""
        return results[0] if self.single else list(results)


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def as_inputs(
    inputs: object,
    who: str,
    *,
    argument: str = "inputs",
    numbers: bool = True,
    empty: bool = False,
    extra: Callable[[object], bool] | None = None,
) -> Inputs:
    """Check ``inputs`` against the rule above and normalise it: Values kept, numbers as floats.

    ``who`` and ``argument`` name the function and its parameter in errors.
    ``numbers=False`` accepts Values only (``grad``: a number is not a node
    of the graph). ``empty`` allows an empty sequence. ``extra`` accepts more
    kinds of element as they are (a batch array for ``compile``).
    """
    if isinstance(inputs, Value) or _is_number(inputs) or (extra is not None and extra(inputs)):
        return Inputs((_element(inputs, who, argument, None, numbers, extra),), True)
    if isinstance(inputs, (str, bytes, bytearray, Mapping, Set)) or not isinstance(inputs, Iterable):
        raise TypeError(f"{who}'s {argument} must be {_RULE}, got {_describe(inputs)}")
    items = tuple(_element(x, who, argument, i, numbers, extra) for i, x in enumerate(inputs))
    if not items and not empty:
        raise ValueError(f"{who} needs at least one input: {argument} is empty")
    return Inputs(items, False)


def _element(x: object, who: str, argument: str, i: int | None, numbers: bool,
             extra: Callable[[object], bool] | None) -> Any:
    where = f"{who}'s {argument}" if i is None else f"{who}'s {argument}[{i}]"
    if isinstance(x, Value) or (extra is not None and extra(x)):
        return x
    if not numbers:
        kind = f"a number: {_describe(x)}" if _is_number(x) else _describe(x)
        raise TypeError(f"{where} must be a Value (a node of the graph to differentiate with respect to), got {kind}")
    if not _is_number(x):
        raise TypeError(f"{where} must be a Value or a number (int or float), got {_describe(x)}")
    return as_float(x, what=where)
