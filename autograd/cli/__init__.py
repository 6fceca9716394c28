"""``python -m autograd explain EXPR NAME=VALUE ...``: backpropagation through one expression, spelled out.

    python -m autograd explain 'tanh(x*w + b)' x=1.5 w=-0.7 b=0.2 --wrt w

prints the forward values, every chain-rule step of the backward pass, the
gradient of every input, and with ``--wrt`` each path from that input to the
output with its product and their sum; ``--svg out.svg`` also draws the graph
and ``--html page.html`` writes the explorer (step through the backward pass,
click a node for its paths, nudge an input).

The expression is never handed to ``eval``: it is parsed by Python's ``ast``,
every node checked against a whitelist, and evaluated by walking the tree
with :class:`Value` operations. Every user error exits with status 2 and an
``error: ...`` line on stderr.

The modules, in the order a command goes through them:
:mod:`~autograd.cli.command` (arguments, the output checks, printing),
:mod:`~autograd.cli.expression` (parsing and the whitelist),
:mod:`~autograd.cli.evaluate` (inputs and the walk),
:mod:`~autograd.cli.report` (the report, and the stop at a non-finite value),
:mod:`~autograd.cli.outputs` (``--svg`` and ``--html``),
:mod:`~autograd.cli.console` (consoles that cannot encode every character),
:mod:`~autograd.cli.errors` (:class:`ExplainError`).
"""

from __future__ import annotations

from autograd.cli.command import USAGE, main
from autograd.cli.errors import ExplainError
from autograd.cli.evaluate import parse_inputs
from autograd.cli.expression import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_LISTED_PATHS, parse
from autograd.cli.report import explain

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_LISTED_PATHS",
    "USAGE",
    "ExplainError",
    "explain",
    "main",
    "parse",
    "parse_inputs",
]
