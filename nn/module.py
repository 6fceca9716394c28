"""Modules: neurons, layers, MLPs and the ``Module`` base class they share.

A neuron computes, as in the derivation of backpropagation,

    z = b + Σ_i w_i x_i        (one n-ary ``dot`` node in the graph)
    a = g(z)                   (g = tanh, sigmoid, relu, or none for "linear")

and a layer is a list of neurons reading the same inputs.

The Module contract (for anyone writing a new layer)
----------------------------------------------------
A subclass only has to

1. call ``super().__init__()`` (optional: the base ``__init__`` does nothing yet,
   but calling it keeps the door open), then store its parameters and child
   modules as public attributes, and
2. define ``__call__``.

Everything else (``parameters()``, ``named_parameters()``, ``zero_grad()``,
``state_dict()`` / ``load_state_dict()``, ``save()`` / ``load()``) is found by
walking the public attributes in the order they were assigned:

- a ``Value`` is a parameter;
- a (nested) list or tuple whose leaves are all ``Value``s is a parameter
  tensor, e.g. a convolution kernel ``[out][in][k][k]``; its shape is checked
  when a checkpoint is loaded;
- a ``Module``, or a list/tuple of ``Module``s, is a child and is walked in turn;
- anything else (numbers, strings, lists of numbers such as layer sizes) is
  configuration and is ignored.

Attributes whose name starts with ``_`` are never walked, so caches and
helpers (say a hidden state kept between calls) belong there. A list that
mixes Values or Modules with other things is rejected with a TypeError rather
than half-walked.

Override ``config()`` to return the constructor arguments (JSON-able): it goes
into checkpoints as the architecture, so a file saved from
``MLP(2, [16, 1])`` refuses to load into ``MLP(2, [8, 1])`` with a clear message,
and it makes ``repr(module)`` informative.

Where each node was made (the graph's hierarchy)
------------------------------------------------
Every subclass's ``__call__`` is wrapped when the class is defined
(``__init_subclass__``) so that each call is recorded as a frame
(:mod:`autograd.scopes`): drawings and the explorer then show a graph as
``MLP > layer 1 > neuron 3`` or ``example 2 > MLP > ...`` without being told
(:mod:`autograd.hierarchy`). A call costs a few operations more, nothing per
node. A box is named after the module's place in its parent (``layers[1]``
of an MLP is ``layer 1``: the class's ``box_name`` and the index; an attribute
``self.encoder`` is ``encoder``), or after its class's ``box_name`` at the top.
A module that makes several outputs in one call may name their parts with
``recorded_parts`` (a layer names its neurons, an RNN its steps).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Union

from autograd import Value, dot
from autograd.roles import mark
from autograd.scopes import record_calls
from autograd.value import _describe
from nn import checkpoint, checks

Seed = Union[int, random.Random, None]
Activation = Callable[[Value], Value]

# name -> the Value method applying it (None: the identity, a linear unit)
ACTIVATIONS: dict[str, Activation | None] = {
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "linear": None,
}

# Init gain per activation: He (sqrt 2) for relu, which zeroes half its inputs;
# LeCun (1) for the others, which keeps Var(z) ~ Var(x) through a layer.
_GAINS = {"tanh": 1.0, "sigmoid": 1.0, "relu": math.sqrt(2.0), "linear": 1.0}


def get_activation(name: str | None) -> Activation | None:
    """The activation function called ``name`` (None for ``"linear"``).

    ``None`` is accepted as a synonym of ``"linear"``. An unknown name raises
    ValueError listing the valid ones.
    """
    if name is None:
        return None
    if not isinstance(name, str) or name not in ACTIVATIONS:
        valid = ", ".join(repr(n) for n in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; valid activations are {valid}")
    return ACTIVATIONS[name]


def make_rng(seed: Seed) -> random.Random:
    """A ``random.Random`` from ``seed``: an int seeds a new one, a Random is used as is, None is unseeded."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r} ({type(seed).__name__})")


def init_weights(nin: int, activation: str | None, rng: random.Random) -> list[float]:
    """``nin`` weights drawn from N(0, gain² / nin): variance scaled by fan-in."""
    std = _GAINS[activation or "linear"] / math.sqrt(nin)
    return [rng.gauss(0.0, std) for _ in range(nin)]


def _positive_int(x: object, what: str) -> int:
    """``x`` as a size in [1, nn.checks.MAX_COUNT]: ValueError naming ``what`` otherwise (10**400 too)."""
    return checks.count(x, what)


def _is_value_tree(x: object) -> bool:
    """True for a Value, or a non-empty (nested) list/tuple whose leaves are all Values."""
    if isinstance(x, Value):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(_is_value_tree(item) for item in x)
    return False


def _contains_graph_objects(x: object) -> bool:
    if isinstance(x, (Value, Module)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_graph_objects(item) for item in x)
    return False


def _leaves(tree: Any) -> Iterator[Value]:
    if isinstance(tree, Value):
        yield tree
    else:
        for item in tree:
            yield from _leaves(item)


def _data(tree: Any) -> Any:
    """The same nesting as ``tree`` with each Value replaced by its ``.data``."""
    if isinstance(tree, Value):
        return tree.data
    return [_data(item) for item in tree]


def _check_inputs(who: str, expected: int, x: Any) -> None:
    """Raise a clear error unless ``x`` is a sequence of ``expected`` inputs (``x``: whatever was passed)."""
    try:
        if len(x) == expected:
            return
    except TypeError:
        raise TypeError(f"{who} needs a sequence of {expected} inputs (floats or Values), "
                        f"got {type(x).__name__}: {x!r}") from None
    raise ValueError(f"{who} expects {expected} inputs, got {len(x)}")


def _marking_parameters(init: Callable[..., None]) -> Callable[..., None]:
    """``init``, then every parameter of the new module marked ``"parameter"`` (what it is, not its label)."""

    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        try:
            mark(self.parameters(), "parameter")
        except (TypeError, ValueError):  # attributes the walk refuses: parameters() will say so when asked
            pass

    __init__._marks_parameters = True  # type: ignore[attr-defined]  # a function attribute, unknown to type checkers
    return __init__


class Module:
    """Base class of everything with parameters; see the module docstring for the contract."""

    #: The name of this module's box in drawings, followed by its index when it sits in a list of its parent
    #: (``"neuron"`` gives ``neuron 3``). Defaults to the class name.
    box_name: str = "Module"
    #: Whether ``recorded_parts`` needs each output's position, marked when the call returns (56 bytes an
    #: output). A module whose parts are modules with parameters (a layer's neurons) sets False: a part is
    #: then known by its parameters when the graph is drawn.
    parts_by_position: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "box_name" not in cls.__dict__:
            cls.box_name = cls.__name__
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_marks_parameters", False):
            # (ignores: the subclass's own method, wrapped once; mypy refuses assignments to methods)
            cls.__init__ = _marking_parameters(init)  # type: ignore[method-assign]  # parameters marked (roles)
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_records_calls", False):
            positions = cls.recorded_parts is not Module.recorded_parts and cls.parts_by_position
            cls.__call__ = record_calls(call, positions)  # type: ignore[method-assign]  # a frame of the hierarchy

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def recorded_parts(
        self, n_outputs: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Module | None, int]]:
        """The named parts of one call that returned ``n_outputs`` Values (flattened, in order).

        ``(name, module or None, count)`` for consecutive runs of the outputs:
        the first part made the first ``count`` of them, and so on. Read only
        when a graph is drawn, never during the call; ``args`` and ``kwargs``
        are the call's. The default has none; :class:`Layer` returns one part
        per neuron, ``Conv2d`` and ``MaxPool2d`` one per channel, ``RNN`` one
        per step.
        """
        return []

    # -- walking the attributes ------------------------------------------------

    def named_slots(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """``(name, Value or nested list of Values)`` for every parameter slot, children included.

        Names are dotted attribute paths: ``layers.0.neurons.3.w``.
        """
        for attr, obj in vars(self).items():
            if attr.startswith("_"):
                continue
            name = prefix + attr
            if isinstance(obj, Module):
                yield from obj.named_slots(name + ".")
            elif _is_value_tree(obj):
                yield name, obj
            elif isinstance(obj, (list, tuple)) and obj and all(isinstance(m, Module) for m in obj):
                for i, child in enumerate(obj):
                    yield from child.named_slots(f"{name}.{i}.")
            elif _contains_graph_objects(obj):
                raise TypeError(
                    f"{type(self).__name__}.{attr} mixes Values or Modules with other objects; "
                    "keep parameters, child modules and configuration in separate attributes "
                    "(or prefix the name with '_' to hide it)"
                )

    def children(self) -> Iterator[tuple[str, Module]]:
        """``(attribute name, child)`` for the direct child modules, in assignment order."""
        for attr, obj in vars(self).items():
            if attr.startswith("_"):
                continue
            if isinstance(obj, Module):
                yield attr, obj
            elif isinstance(obj, (list, tuple)) and obj and all(isinstance(m, Module) for m in obj):
                for i, child in enumerate(obj):
                    yield f"{attr}.{i}", child

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """``(name, Value)`` for every scalar parameter: ``layers.0.neurons.3.w.1``."""
        for name, slot in self.named_slots():
            if isinstance(slot, Value):
                yield name, slot
            else:
                yield from _indexed(name, slot)

    def parameters(self) -> list[Value]:
        """Every parameter once (a Value shared by two slots appears once), in a stable order."""
        seen: set[int] = set()
        out: list[Value] = []
        for _, slot in self.named_slots():
            for v in _leaves(slot):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (leaves accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- architecture and state ------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able; subclasses override. Stored in checkpoints."""
        return {}

    def architecture(self) -> dict[str, Any]:
        """``{"type", "config", "children"}``: what a checkpoint must match to load into this module."""
        return {
            "type": type(self).__name__,
            "config": self.config(),
            "children": [[name, child.architecture()] for name, child in self.children()],
        }

    def state_dict(self) -> dict[str, Any]:
        """``{slot name: float or nested list of floats}``, a snapshot of the parameter values."""
        return {name: _data(slot) for name, slot in self.named_slots()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy values from ``state`` (as made by :meth:`state_dict`) into the parameters.

        The whole dict is checked first (same names, same shapes, real numbers);
        on any mismatch a :class:`nn.checkpoint.CheckpointError` names it and no
        parameter is changed.
        """
        for value, number in checkpoint.match_state(self, state):
            value.data = number

    def save(self, path: str | PathLike[str]) -> Path:
        """Write a JSON checkpoint (architecture + parameters) atomically; return its path (:mod:`nn.checkpoint`)."""
        return checkpoint.save(self, path)

    def load(self, path: str | PathLike[str]) -> None:
        """Load a checkpoint into this module in place, after validating the whole file."""
        checkpoint.load(self, path)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _indexed(name: str, tree: Any) -> Iterator[tuple[str, Value]]:
    for i, item in enumerate(tree):
        if isinstance(item, Value):
            yield f"{name}.{i}", item
        else:
            yield from _indexed(f"{name}.{i}", item)


class Neuron(Module):
    """``a = g(b + Σ w_i x_i)``: one ``dot`` node, then the activation ``g``.

    Weights start at N(0, gain²/nin) (fan-in scaling), the bias at 0. ``label``
    prefixes the parameter labels (``L0.N3`` gives ``L0.N3.w0 ... L0.N3.b``)
    and the labels of the nodes a call makes (``L0.N3.z``, ``L0.N3.a``), so
    graphs and traces read like the derivation.
    """

    box_name = "neuron"

    def __init__(self, nin: int, activation: str = "tanh", seed: Seed = None, label: str = "") -> None:
        super().__init__()
        self.nin = _positive_int(nin, "Neuron's nin")
        self._act = get_activation(activation)
        self.activation = activation or "linear"
        self.label = label
        dot_prefix = f"{label}." if label else ""
        rng = make_rng(seed)
        self.w = [Value(w, f"{dot_prefix}w{i}") for i, w in enumerate(init_weights(self.nin, self.activation, rng))]
        self.b = Value(0.0, f"{dot_prefix}b")
        self._zlabel = f"{dot_prefix}z"
        self._alabel = f"{dot_prefix}a"

    def __call__(self, x: Sequence[Value | float]) -> Value:
        _check_inputs(f"Neuron {self.label}" if self.label else "Neuron", self.nin, x)
        return self._forward(x)

    def _forward(self, x: Sequence[Value | float]) -> Value:
        """The call without the input check (a Layer checks once for all its neurons)."""
        z = dot(self.w, x, self.b)
        z.label = self._zlabel
        act = self._act
        if act is None:
            return z
        a = act(z)
        a.label = self._alabel
        return a

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; a call returns a list of ``nout`` Values."""

    box_name = "layer"
    parts_by_position = False  # its parts are its neurons, known by their weights

    def __init__(self, nin: int, nout: int, activation: str = "tanh", seed: Seed = None, label: str = "") -> None:
        super().__init__()
        self.nin = _positive_int(nin, "Layer's nin")
        self.nout = _positive_int(nout, "Layer's nout")
        get_activation(activation)  # fail before building anything
        self.activation = activation or "linear"
        self.label = label
        rng = make_rng(seed)
        prefix = f"{label}." if label else ""
        self.neurons = [Neuron(self.nin, self.activation, rng, f"{prefix}N{j}") for j in range(self.nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        _check_inputs(f"Layer {self.label}" if self.label else "Layer", self.nin, x)
        return [n._forward(x) for n in self.neurons]

    def recorded_parts(
        self, n_outputs: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Module | None, int]]:
        """One part per neuron: ``neuron j`` made output ``j`` (the neurons are not called one by one)."""
        return [(f"{n.box_name} {j}", n, 1) for j, n in enumerate(self.neurons)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}


class MLP(Module):
    """A multilayer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers to 1 output.

    Hidden layers use ``activation`` (tanh by default), the last layer
    ``output_activation`` (None: linear, so outputs are logits or raw scores).
    Layers are labelled ``L0, L1, ...`` and neurons ``L0.N0, ...``. A call
    returns a Value when the last layer has one neuron, else a list of Values.

    Examples:
        >>> model = MLP(2, [4, 1], seed=0)
        >>> len(model.parameters())        # (2 weights + 1 bias) x 4, then 4 weights + 1 bias
        17
        >>> out = model([0.5, -1.0])
        >>> out.backward()
        >>> all(p.grad != 0.0 for p in model.parameters())
        True
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "tanh",
        output_activation: str | None = None,
        seed: Seed = None,
    ) -> None:
        super().__init__()
        self.nin = _positive_int(nin, "MLP's nin")
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"MLP's sizes must be a non-empty list of positive ints, got {_describe(sizes)}")
        self.sizes = [_positive_int(s, f"MLP layer size {i}") for i, s in enumerate(sizes)]
        get_activation(activation)
        get_activation(output_activation)
        self.activation = activation
        self.output_activation = output_activation
        rng = make_rng(seed)
        fan_in = [self.nin, *self.sizes[:-1]]
        last = len(self.sizes) - 1
        self.layers = [
            Layer(fan_in[i], size, activation if i < last else (output_activation or "linear"), rng, f"L{i}")
            for i, size in enumerate(self.sizes)
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        _check_inputs("MLP", self.nin, x)
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x  # type: ignore[return-value]  # the last layer's Values

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }


class Sequential(Module):
    """Modules applied in order: ``Sequential(conv, pool, Flatten(), mlp)(x)``.

    Each module's output is the next one's input; the last one's output is
    returned as is. Supports ``len``, indexing and iteration.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is {type(m).__name__}: {m!r}")
        self.layers = list(modules)

    def __call__(self, x: Any) -> Any:
        for m in self.layers:
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for m in self.layers)
        return f"Sequential({inner})"
