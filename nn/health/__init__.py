"""Gradient health: does every layer of a network get a useful gradient, and do its activations work?

After a backward pass, ``nn.health`` reports one row per layer::

    loss.backward()
    report = nn.health(model, loss=loss)      # activations of the batch behind ``loss``
    report = nn.health(model, inputs=batch)   # or: activations of a fresh forward pass over ``batch``
    print(report)                             # an aligned table
    report.flags                              # the raised flags, e.g. [Flag('layers.0', 'vanishing', ...)]
    report.plot()                             # gradients and activations per layer (a matplotlib Figure)

and across training, :class:`UpdateRecorder` follows each layer's update-to-data ratio::

    rec = nn.UpdateRecorder(model)            # remembers the weights; record() after each step
    nn.train.fit(model, loss_fn, samples, opt, recorder=rec)
    nn.health(model, loss=loss, updates=rec).plot()

Columns, for a layer with parameters ``w`` (weights and biases) and outputs ``a``:

- ``mean|dL/dw|``, ``max|dL/dw|``: the size of the gradient the layer's parameters received;
- ``|dL/dw|/|w|``: the Euclidean norm of the gradient over the norm of the parameters (an SGD
  step of rate α changes the layer by α times this, relative to its size);
- ``mean|dL/da|``: the gradient reaching the layer's outputs (needs ``loss``);
- ``mean a``, ``std a``: the mean and standard deviation of the layer's outputs over the batch
  (every unit, sample, position and time step), the statistics fastai's ``ActivationStats``
  callback records (*Deep Learning for Coders*, Howard and Gugger, ch. 13) and Karpathy's
  *Building makemore, part 3* plots per layer: a std that shrinks or grows layer after layer is
  the forward-pass picture of a vanishing or exploding signal;
- ``saturated``: the fraction of tanh outputs with ``|a| > 0.97`` or sigmoid outputs outside
  ``[0.03, 0.97]`` over the batch, where ``g′`` is below 0.06 (tanh) or 0.03 (sigmoid);
- ``dead``: the fraction of ReLU units that output 0 for *every* sample of the batch.

An :class:`nn.RNN` also gets one row per time step ``t``: the gradient reaching the hidden
state ``h_t`` (``mean|dL/da|``) and step ``t``'s term of the BPTT sum
``dL/dW = Σ_t dL/dW|_t`` (``mean|dL/dw|``), which fade going back in time when gradients vanish.

Flags, their default thresholds (:class:`HealthThresholds`, all adjustable) and where they come from:

- ``vanishing``: a layer's ``mean|dL/dw|`` is below ``1e-3`` times the largest layer's (a
  step moves it a thousand times less than the best-fed layer). Relative on purpose: at a
  minimum *every* gradient is small, which is convergence, not a vanishing gradient. The
  factor is this project's choice: Nielsen (*Neural Networks and Deep Learning*, ch. 5) shows
  the first layers of deep sigmoid nets learning 10 to 100 times slower than the last; a
  thousandfold gap is well past that. For an RNN step: ``mean|dL/dh_t|`` below ``1e-3`` times
  the largest step's.
- ``exploding``: a non-finite gradient; or ``mean|dL/dw|`` above ``1e3`` times the output
  (last) layer's, i.e. grown a thousandfold on its way back; or ``|dL/dw|/|w| > 10`` (for a
  loss that is a mean over the batch: a step of rate 0.1 would then change the layer by as much
  as its own size). Both factors are this project's choices, mirror images of ``vanishing``.
  For an RNN step: ``mean|dL/dh_t|`` above ``1e3`` times the last step's.
- ``saturated``: more than ``0.5`` of the layer's tanh/sigmoid outputs are saturated. The
  limit ``|tanh| > 0.97`` is the one Karpathy uses in *Building makemore, part 3*, where a few
  percent saturated is normal; the sigmoid band ``[0.03, 0.97]`` is its counterpart (outside it
  ``σ′ < 0.03``, an eighth of its maximum ¼). Half the outputs saturated is this project's line
  for a layer that has mostly stopped passing gradient.
- ``dead``: more than ``0.25`` of the layer's ReLU units are dead over the batch. CS231n
  ("Neural Networks Part 1") warns that with a too-high learning rate "as much as 40% of your
  network can be dead"; a quarter is this project's earlier warning.

The update-to-data reference ``update_ratio = 1e-3`` (log10 = -3) is the rule of thumb of
Karpathy (*Building makemore, part 3*) and CS231n ("Neural Networks Part 3", the ratio of the
update's size to the weights'); see :mod:`nn.health.updates`. It is a reference line on the
plot, not a flag: the right ratio depends on the optimizer and the stage of training.

Where the activations come from (:mod:`nn.health.activations`). The layer an activation belongs
to is read off the graph: a ``dot`` node (``autograd.dot``, how every nn layer forms its weighted
sum) that combines two or more parameters of one unit of a layer (the neuron, filter or hidden
unit owning them), each once, is that unit's weighted sum ``z``, and a ``tanh``, ``sigmoid`` or
``relu`` applied to it is the layer's output. ``loss=`` walks the graph of the loss you just
backpropagated, so nothing is recomputed and the gradients reaching every output are there;
``inputs=`` runs ``model(x)`` for each sample with the graph recorded (under ``no_grad()``
nodes keep no parents, so the layers could not be told apart) and touches no ``.grad``. With
neither, only the gradient columns are filled. Use a batch of a few dozen samples at least:
with 4 samples a healthy ReLU is silent on all of them one time in 16.

The package's modules: ``layers`` (which modules are layers), ``activations`` (outputs read off a
graph, their statistics), ``gradients`` (gradient statistics, BPTT terms), ``thresholds`` (the
numbers above and the flag rules), ``report`` (the rows, the table, ``health()``), ``updates``
(the update-to-data recorder), ``plot`` (the figures).
"""

from __future__ import annotations

from nn.health.activations import ActivationStats
from nn.health.report import HealthReport, health
from nn.health.rows import LayerHealth
from nn.health.thresholds import Flag, HealthThresholds
from nn.health.updates import UpdateRecorder

__all__ = ["ActivationStats", "Flag", "HealthReport", "HealthThresholds", "LayerHealth", "UpdateRecorder", "health"]
