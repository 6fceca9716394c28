"""The demo: train a model, print loss and accuracy, write plots, metrics, a checkpoint and a graph.

``python -m nn`` trains ``MLP(2, [16, 16, 1])`` on 100 two-moons points and
writes into ``out/``:

- ``loss.png``: the training loss per epoch;
- ``decision_boundary.png``: the learned classifier over the plane (2-D data only);
- ``model.json``: the checkpoint (``model.load("out/model.json")`` restores it);
- ``neuron.svg``: the computation graph of the first neuron of the first layer
  on the first training sample, with the gradients of one backward pass from
  that neuron's output ``a``: each value shows ``d a / d value``, which equals
  the sum over paths of the products of the edge labels drawn (the model's own
  gradients are left as they were);
- ``metrics.json``: losses, accuracies, settings and timing.

``--model cnn`` and ``--model rnn`` run the convolutional and recurrent
examples of ``nn.examples`` instead (``loss.png``, ``model.json``, ``metrics.json``).

It prints one line per stage (loading data, training, writing) and, on a
terminal, a progress bar while training. Heavy libraries (scikit-learn,
matplotlib, tqdm, graphviz) are imported only when their stage starts.

Failures end in one line on stderr, ``error: ...``, never a traceback:

- exit status 2: a bad argument (``--lr inf``, ``--seed -1``, ``--epochs 0``),
  or an output folder that cannot be used (``--out`` naming a file, a folder
  that cannot be created or written, an output name taken by a folder). All of
  these are checked before training starts.
- exit status 1: the run itself failed: training diverged (a loss or a
  parameter became infinite or NaN, e.g. with ``--lr 1e308``), a package the
  demo needs is missing, or writing an output failed (e.g. a full disk).
- exit status 130: interrupted (Ctrl-C), whenever it comes, with a line that
  says whether the outputs were written.

The outputs are made in memory, then written as one unit
(:func:`nn.files.write_all_atomic`): every file of this run, or (after an
error or a Ctrl-C before the swap) every file of the earlier run, never a mix
and never a partial file.

The modules: :mod:`~nn.demo.options` (arguments and their checks),
:mod:`~nn.demo.folder` (the output folder), :mod:`~nn.demo.mlp` (the MLP run),
:mod:`~nn.demo.neuron` (the neuron picture), :mod:`~nn.demo.command` (the
command: runs a model, writes, reports).
"""

from __future__ import annotations

from nn.demo.command import main, run
from nn.demo.folder import prepare_out_dir
from nn.demo.mlp import SETTINGS, accuracy, fit_mlp, train_mlp
from nn.demo.neuron import draw_neuron, neuron_graph
from nn.demo.options import MODELS, OUTPUTS, DemoError, build_parser, check_args

__all__ = [
    "MODELS",
    "OUTPUTS",
    "SETTINGS",
    "DemoError",
    "accuracy",
    "build_parser",
    "check_args",
    "draw_neuron",
    "fit_mlp",
    "main",
    "neuron_graph",
    "prepare_out_dir",
    "run",
    "train_mlp",
]
