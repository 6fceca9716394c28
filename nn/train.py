"""Training steps, on the Value path or compiled (``autograd.compile``): the same losses, many times faster.

A step is ``loss_fn(model, batch)`` (a Value), its backward pass, and the
optimizer's update. :class:`BatchedStep` and :class:`CompiledStep` are drop-ins
for the first two::

    step = CompiledStep(model, loss_fn)
    for batch in ...:
        opt.zero_grad()
        loss = step(batch)        # instead of: loss = loss_fn(model, batch); loss.backward()
        opt.step()

:class:`BatchedStep` records the loss of *one example* (``loss_fn(model,
[example])``) with the parameters and the example's numbers as inputs, and
replays it over all the examples of a batch at once with NumPy arrays
(batched replay, ``autograd.compile``): a layer becomes a matrix product. It
checks on its first batch that the batch loss is the mean (or the sum) of the
examples' losses, and falls back, saying why (a :class:`FallbackWarning`),
where that does not hold. :class:`CompiledStep` records the whole batch's
graph instead and replays it on plain floats (one recording per batch shape).

Every number of an example (targets included) is an input, so a loss function
for compiled steps treats targets as Values: :func:`cross_entropy` takes class
probabilities (:func:`one_hot` of a label), :func:`binary_cross_entropy` and
:func:`mse` a target Value. They work on the Value path too.

:func:`fit` is a small training loop over mini-batches with either path.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from autograd import Value, collector_paused, dot, logsumexp
from autograd.functional import shifted_by_max
from nn import checks

if TYPE_CHECKING:  # compiled replay is imported when first used
    from autograd.compiled import Compiled
from nn.data import batches
from nn.module import Module
from nn.optim import Optimizer

Batch = Any  # nested lists/tuples of numbers
LossFn = Callable[[Module, Batch], Value]


class Recorder(Protocol):
    """What ``fit(recorder=...)`` calls after every optimizer step (``nn.health.UpdateRecorder`` is one)."""

    def record(self) -> Any: ...


# -- losses whose targets may be Values -----------------------------------------------------------


def one_hot(label: int, n_classes: int) -> list[float]:
    """``[0.0, ..., 1.0, ..., 0.0]`` with the 1.0 at ``label``: a class label as probabilities."""
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < n_classes:
        raise ValueError(f"one_hot: label {label!r} is not a class index in [0, {n_classes})")
    out = [0.0] * n_classes
    out[label] = 1.0
    return out


def cross_entropy(logits: Sequence[Value], probs: Sequence[Value | float]) -> Value:
    """``-Σ_j y_j log softmax(z)_j = logsumexp(s) - y·s`` for target probabilities y (Values or numbers),
    with the logits shifted by their max first (``s = z - max z``), as ``nn.losses.cross_entropy``.

    For a one-hot y this is the same number as ``nn.losses.cross_entropy(z, label)``
    (``y·s`` adds zeros and the one shifted logit), with the same gradient ``softmax(z) - y``.
    """
    zs = list(logits)
    ys = list(probs)
    if len(zs) != len(ys) or len(zs) < 2:
        raise ValueError(f"cross_entropy: {len(zs)} logits and {len(ys)} target probabilities (need >= 2, equal)")
    shifted = shifted_by_max(zs, "cross_entropy")
    return logsumexp(shifted) - dot(ys, shifted)


def binary_cross_entropy(logit: Value, target: Value | float) -> Value:
    """``-(y log σ(z) + (1 - y) log(1 - σ(z)))`` from a logit z, for a target y that may be a Value.

    The same number and gradient ``σ(z) - y`` as ``nn.losses.binary_cross_entropy(z, y)``
    (``logsumexp(0, z) - z·y``: stable for every z).
    """
    return logsumexp([0.0, logit]) - logit * target


def mse(outputs: Value | Sequence[Value], targets: Value | float | Sequence[Value | float]) -> Value:
    """``(1/n) Σ_j (a_j - y_j)²`` with targets as Values or numbers (as ``nn.losses.mse``, reduction "mean")."""
    outs = [outputs] if isinstance(outputs, Value) else list(outputs)
    ys = [targets] if isinstance(targets, (Value, int, float)) else list(targets)
    if len(outs) != len(ys) or not outs:
        raise ValueError(f"mse: {len(outs)} outputs and {len(ys)} targets (need >= 1, equal)")
    diffs = [a - y for a, y in zip(outs, ys)]
    sq = dot(diffs, diffs)
    return sq if len(diffs) == 1 else sq * (1.0 / len(diffs))


# -- batches as flat lists of numbers --------------------------------------------------------------


def flatten(batch: Batch) -> tuple[list[float], Any]:
    """``(numbers, shape)``: the batch's numbers in order, and its nesting (hashable) to rebuild it."""
    numbers: list[float] = []
    plain = {float}

    def walk(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            if x and set(map(type, x)) <= plain:  # a vector of floats (an image, a one-hot target): at C speed
                numbers.extend(x)
                return (None,) * len(x)
            return tuple(walk(item) for item in x)
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise TypeError(f"a batch holds (nested lists of) numbers, got {type(x).__name__}: {x!r}")
        numbers.append(float(x))
        return None

    return numbers, walk(batch)


def unflatten(items: Sequence[Any], shape: Any) -> Any:
    """The inverse of :func:`flatten`: ``items`` (numbers or Values) nested as ``shape``."""
    it = iter(items)

    def build(s: Any) -> Any:
        return next(it) if s is None else [build(c) for c in s]

    return build(shape)


# -- the compiled step -------------------------------------------------------------------------------


def _check_step(who: str, model: object, loss_fn: object) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{who} needs a Module, got {type(model).__name__}: {model!r}")
    if not callable(loss_fn):
        raise TypeError(f"{who} needs a callable loss_fn(model, batch), got {loss_fn!r}")


class CompiledStep:
    """``loss = step(batch)``: ``loss_fn(model, batch)`` and its backward pass, replayed from a recording.

    The parameters' ``.grad`` get the gradients added (as ``backward()`` does);
    the return value is the loss as a float. One recording per batch shape
    (``recordings`` counts them), made with the collector paused.
    """

    def __init__(self, model: Module, loss_fn: LossFn) -> None:
        _check_step("CompiledStep", model, loss_fn)
        self.model = model
        self.loss_fn = loss_fn
        self.params = model.parameters()
        self._by_shape: dict[Any, Compiled] = {}

    @property
    def recordings(self) -> int:
        """How many recordings were made (one per batch shape, more if a guard asked for one)."""
        return sum(c.recordings for c in self._by_shape.values())

    def compiled(self, batch: Batch) -> Compiled:
        """The :class:`autograd.compiled.Compiled` for ``batch``'s shape (recorded on first use)."""
        return self._compiled(*flatten(batch))

    def _compiled(self, numbers: list[float], shape: Any) -> Compiled:
        compiled = self._by_shape.get(shape)
        if compiled is None:
            from autograd.compiled import compile

            n = len(self.params)
            data = [Value(x) for x in numbers]
            model, loss_fn = self.model, self.loss_fn

            def record(inputs: list[Value]) -> Value:
                return loss_fn(model, unflatten(inputs[n:], shape))

            compiled = compile(record, self.params + data, wrt=self.params)
            self._by_shape[shape] = compiled
        return compiled

    def __call__(self, batch: Batch) -> float:
        numbers, shape = flatten(batch)
        compiled = self._compiled(numbers, shape)
        loss, grads = compiled([p.data for p in self.params] + numbers)
        for p, g in zip(self.params, grads):
            p.grad += g
        return loss


class FallbackWarning(UserWarning):
    """A :class:`BatchedStep` cannot replay the examples' loss over the batch and trains another way; says why."""


# More distinct example shapes than this (sequences of many lengths, say) and recording each costs more
# than it saves: BatchedStep trains on the Value path from then on.
MAX_SHAPES = 8
# The first batch checks the batched replay against the Value path to this relative precision (rounding
# is ~1e-15; a batch-level term, a regulariser of 1e-4, differs by ~1e-5).
_CHECK_RTOL = 1e-9


class BatchedStep:
    """``loss = step(batch)``: the loss of one example, recorded once, replayed over the whole batch with arrays.

    For ``loss_fn(model, batch)`` that is the mean (or the sum) of the examples' losses,
    ``loss_fn(model, [example])``, as losses built with ``nn.losses.mean`` are. The
    parameters' ``.grad`` get the batch's gradient added (as ``backward()`` does); the
    return value is the batch loss as a float.

    One recording per *example* shape (``recordings`` counts them), made at the first
    example of that shape, with the parameters and the example's numbers as inputs.
    The first batch of two or more examples runs on the Value path (its result is the
    step's) and checks that the replay gives the same loss and gradients, which also
    tells the mean from the sum. It falls back, with a :class:`FallbackWarning` saying why:

    - to whole-batch compiled replay (:class:`CompiledStep`) when the batch loss is not
      the mean or sum of the examples' losses (the examples interact: a square of the
      mean, a term added once to a sum) or NumPy is missing (a regulariser added to a
      mean is fine: ``mean(l_b + R) = mean(l_b) + R``);
    - to the Value path when one example's loss cannot be recorded with its numbers as
      inputs (a loss that needs a target as a plain number, e.g. a class index), or when
      examples come in more than ``MAX_SHAPES`` shapes.

    Examples on which a Python ``if`` in ``loss_fn`` or the model takes another branch
    than the recording are replayed one at a time (``autograd.compiled.BatchGuardWarning``).
    """

    def __init__(self, model: Module, loss_fn: LossFn) -> None:
        _check_step("BatchedStep", model, loss_fn)
        self.model = model
        self.loss_fn = loss_fn
        self.params = model.parameters()
        self._by_shape: dict[Any, Compiled] = {}
        self.scale: str | None = None  # "mean" or "sum" once checked
        self.mode = "batched"  # or "whole" (CompiledStep) or "value" (the Value path)
        self.reason: str | None = None  # why it fell back
        self._whole: CompiledStep | None = None
        try:
            import numpy  # noqa: F401 - batched replay computes with NumPy arrays
        except ImportError:
            self._fall_back("whole", "batched replay needs NumPy, which is not installed (pip install numpy)")

    @property
    def recordings(self) -> int:
        """Recordings made so far (one per example shape, more if a guard asked for one)."""
        own = sum(c.recordings for c in self._by_shape.values() if c is not None)
        return own + (self._whole.recordings if self._whole is not None else 0)

    def _fall_back(self, mode: str, reason: str) -> None:
        self.mode, self.reason = mode, reason
        how = "whole-batch compiled replay" if mode == "whole" else "the Value path"
        warnings.warn(f"BatchedStep: {reason}; training with {how} instead", FallbackWarning, stacklevel=3)

    def compiled(self, example: Any) -> Compiled:
        """The :class:`autograd.compiled.Compiled` of one example of ``example``'s shape (recorded on first use)."""
        numbers, shape = flatten(example)
        return self._compiled(numbers, shape)

    def _compiled(self, numbers: list[float], shape: Any) -> Compiled:
        compiled = self._by_shape.get(shape)
        if compiled is None:
            from autograd.compiled import compile

            n = len(self.params)
            model, loss_fn = self.model, self.loss_fn

            def example_loss(inputs: list[Value]) -> Value:
                return loss_fn(model, [unflatten(inputs[n:], shape)])

            with collector_paused():
                compiled = compile(example_loss, self.params + [Value(x) for x in numbers], wrt=self.params)
            self._by_shape[shape] = compiled
        return compiled

    def __call__(self, batch: Batch) -> float:
        examples = list(batch)
        if not examples:
            raise ValueError("BatchedStep needs a batch of at least one example")
        return self._step(examples, None)

    def _step(self, examples: list[Any], flat: list[tuple[list[float], Any]] | None) -> float:
        """One step; ``flat`` holds the examples already flattened (fit flattens its samples once)."""
        if self.mode == "whole":
            return self._whole_step(examples)
        if self.mode == "value":
            return value_step(self.model, self.loss_fn, examples)
        if flat is None:
            try:
                flat = [flatten(ex) for ex in examples]
            except TypeError as e:
                self._fall_back("value", f"an example is not (nested lists of) numbers ({e})")
                return value_step(self.model, self.loss_fn, examples)
        shapes = {shape for _, shape in flat}
        if len(set(self._by_shape) | shapes) > MAX_SHAPES:
            self._fall_back("value", f"the examples come in more than {MAX_SHAPES} shapes (sequences of many "
                                     "lengths?), and recording each shape costs more than it saves")
            return value_step(self.model, self.loss_fn, examples)
        if self.scale is None and len(examples) < 2:
            return value_step(self.model, self.loss_fn, examples)  # one example tells a mean from no sum
        try:
            loss, grads = self._replay(flat)
        except (TypeError, ValueError) as e:  # loss_fn cannot take the example's numbers as Values
            self._fall_back("value", f"the loss of one example cannot be recorded with its numbers as inputs "
                                     f"({type(e).__name__}: {e})")
            return value_step(self.model, self.loss_fn, examples)
        if self.scale is None:
            return self._check(examples, loss, grads)
        return self._apply(loss, grads, len(examples))

    def _replay(self, flat: list[tuple[list[float], Any]]) -> tuple[float, list[float]]:
        """The sum over the batch of the examples' losses and of their gradients (one replay per shape)."""
        import numpy as np

        by_shape: dict[Any, list[list[float]]] = {}
        for numbers, shape in flat:
            by_shape.setdefault(shape, []).append(numbers)
        pvals = [p.data for p in self.params]
        loss, grads = 0.0, None
        for shape, rows in by_shape.items():
            compiled = self._compiled(rows[0], shape)
            columns: list[np.ndarray[Any, Any]] = list(np.array(rows, dtype=float).T.copy()) if rows[0] else []
            values, gs = compiled(pvals + columns, sum_grads=True) if columns else _no_data(compiled, pvals, len(rows))
            loss += float(values.sum())
            grads = gs if grads is None else [a + b for a, b in zip(grads, gs)]
        return loss, grads or []

    def _apply(self, loss_sum: float, grads: list[float], size: int) -> float:
        k = 1.0 / size if self.scale == "mean" else 1.0
        for p, g in zip(self.params, grads):
            p.grad += g * k
        return loss_sum * k

    def _check(self, examples: list[Any], loss_sum: float, grads: list[float]) -> float:
        """The first batch on the Value path (the step's result), compared with the replay: mean, sum, or neither."""
        before = [p.grad for p in self.params]
        loss = value_step(self.model, self.loss_fn, examples)
        step = [p.grad - b for p, b in zip(self.params, before)]
        size = len(examples)
        norm = max((abs(g) for g in step), default=0.0)
        for scale, k in (("mean", 1.0 / size), ("sum", 1.0)):
            if math.isclose(loss_sum * k, loss, rel_tol=_CHECK_RTOL, abs_tol=1e-300) and all(
                    abs(g * k - v) <= _CHECK_RTOL * norm for g, v in zip(grads, step)):
                self.scale = scale
                return loss
        self._fall_back("whole", "the batch loss is not the mean or the sum of the examples' losses (in loss_fn "
                                 "the examples interact, or a term is added once to a sum of their losses)")
        return loss

    def _whole_step(self, examples: list[Any]) -> float:
        if self._whole is None:
            self._whole = CompiledStep(self.model, self.loss_fn)
        return self._whole(examples)


def _no_data(compiled: Compiled, pvals: list[float], count: int) -> tuple[Any, list[float]]:
    """Examples without numbers: every example's loss is the same; replay it once."""
    import numpy as np

    value, grads = compiled(pvals)
    return np.full(count, value), [g * count for g in grads]


def value_step(model: Module, loss_fn: LossFn, batch: Batch) -> float:
    """The same step on the Value path: ``loss_fn(model, batch).backward()``; returns the loss."""
    loss = loss_fn(model, batch)
    loss.backward()
    return loss.data


def fit(
    model: Module,
    loss_fn: LossFn,
    samples: Sequence[Any],
    optimizer: Optimizer,
    *,
    epochs: int = 1,
    batch_size: int = 16,
    rng: random.Random | None = None,
    compiled: bool = False,
    on_batch: Callable[[float], None] | None = None,
    recorder: Recorder | None = None,
) -> list[float]:
    """Train with mini-batches of ``samples``; return the mean loss of each epoch.

    A batch is the list of its samples (each nested numbers, e.g. ``(x, y)``);
    ``loss_fn(model, batch)`` gives the batch loss (a mean, so gradients average).
    ``compiled=True`` runs each step through :class:`BatchedStep`: one example's
    loss recorded once and replayed over the batch with arrays, the same losses to
    about 1e-15 (it falls back, saying why, where the batch loss is not a mean of the
    examples' losses or examples differ in shape). ``on_batch(loss)`` is called after every step,
    ``recorder.record()`` right after the optimizer's update (e.g. an
    :class:`nn.health.UpdateRecorder`, which follows each layer's update-to-data ratio).

    Each step runs with the cyclic collector paused (``autograd.collector_paused``):
    a step's graph holds no reference cycles and is freed by reference counting,
    while full collections would walk every node of it as it grows; measured on
    the CNN digits step (Value path, 2 cores): 0.26 s with the collector on,
    0.21 s paused. The collector's state is restored after each step.
    """
    checks.count(epochs, "fit's epochs")  # bounded: 10**400 is a ValueError, not a loop without end
    items = list(samples)
    if not items:
        raise ValueError("fit needs at least one sample")
    if recorder is not None and not callable(getattr(recorder, "record", None)):
        raise TypeError(f"fit's recorder must have a record() method (e.g. nn.UpdateRecorder), got {recorder!r}")
    rng = rng or random.Random()
    batched = BatchedStep(model, loss_fn) if compiled else None
    flat: list[Any] = [None] * len(items)  # each sample flattened once, for all epochs

    def step(idx: list[int]) -> float:
        batch = [items[i] for i in idx]
        if batched is None:
            return value_step(model, loss_fn, batch)
        try:
            for i in idx:
                if flat[i] is None:
                    flat[i] = flatten(items[i])
        except TypeError:  # not numbers: BatchedStep falls back and says so
            return batched._step(batch, None)
        return batched._step(batch, [flat[i] for i in idx])

    history: list[float] = []
    for _ in range(epochs):
        running = 0.0
        for idx in batches(len(items), batch_size, rng=rng):
            optimizer.zero_grad()
            with collector_paused():
                loss = step(idx)
            optimizer.step()
            if recorder is not None:
                recorder.record()
            running += loss * len(idx)
            if on_batch is not None:
                on_batch(loss)
        history.append(running / len(items))
    return history


def check_finite(loss: float, params: Iterable[Value], where: str, lr: float) -> None:
    """Raise ``FloatingPointError`` when the loss or a parameter is infinite or NaN: training diverged.

    ``where`` names the moment ("epoch 3, batch 7"); the message suggests a smaller learning rate.
    """
    if math.isfinite(loss):
        n = sum(1 for p in params if not math.isfinite(p.data))
        if not n:
            return
        bad = f"{n} parameter(s) became infinite or NaN"
    else:
        bad = f"the loss became {loss}"
    raise FloatingPointError(f"training diverged: {bad} at {where} with learning rate {lr:g}; try a smaller --lr")
