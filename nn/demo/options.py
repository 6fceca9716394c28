"""The demo's arguments: the parser, and the checks that run before anything else."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import NoReturn

from autograd.version import add_version_option
from nn import interrupts
from nn.checks import shown
from nn.data import NAMES

MODELS = ("mlp", "cnn", "rnn")
# Every name the demo may write: checked before training so none of them is a folder.
OUTPUTS = ("loss.png", "decision_boundary.png", "model.json", "neuron.svg", "metrics.json")
# sklearn's random_state takes 0 .. 2**32 - 1, and the moons test set uses seed + 1.
MAX_SEED = 2**32 - 2
MAX_EPOCHS = 1_000_000

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = interrupts.INTERRUPTED  # 130


class DemoError(Exception):
    """A problem reported as one line ``error: <message>`` and exit status ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (``error: ...``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise DemoError(f"{message} (python -m nn --help lists the options)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m nn",
        description="Train a small network on the scalar autograd engine and write plots, metrics, "
        "a checkpoint and the computation graph of one neuron.",
        epilog="Exit status: 0 done, 1 the run failed (e.g. training diverged), 2 a bad argument or output folder, "
        "130 interrupted.",
    )
    add_version_option(parser)
    parser.add_argument("--dataset", choices=NAMES, default=None,
                        help="data set for --model mlp (default: moons; cnn always uses digits)")
    parser.add_argument("--model", choices=MODELS, default="mlp",
                        help="mlp (default), cnn (convolutional net on digits) or rnn (recurrent net on sequences)")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the training data (default per data set)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default per data set)")
    parser.add_argument("--seed", type=int, default=0,
                        help=f"seed for data, initial weights and shuffling, 0 to {MAX_SEED} (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--compiled", action=argparse.BooleanOptionalAction, default=None,
                        help="train --model cnn|rnn with compiled replay: one example's graph recorded once, then "
                        "replayed over each batch with NumPy arrays (same losses, many times faster; default on for "
                        "cnn and rnn)")
    return parser


def check_args(args: argparse.Namespace) -> None:
    """Refuse impossible settings before anything runs (:class:`DemoError`, exit status 2)."""
    if args.epochs is not None and not 1 <= args.epochs <= MAX_EPOCHS:
        raise DemoError(f"--epochs must be between 1 and {MAX_EPOCHS:,}, got {shown(args.epochs)}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise DemoError(f"--lr must be a finite number > 0, got {args.lr}")
    if not 0 <= args.seed <= MAX_SEED:
        raise DemoError(f"--seed must be between 0 and {MAX_SEED}, got {shown(args.seed)}")
    if args.model == "cnn" and args.dataset not in (None, "digits"):
        raise DemoError(f"--model cnn trains on digits, not {args.dataset}")
    if args.model == "rnn" and args.dataset is not None:
        raise DemoError("--model rnn trains on its own sequence task; --dataset does not apply")
    if args.model == "mlp" and args.compiled:
        raise DemoError("--compiled applies to --model cnn and rnn; the MLP demo trains on the Value path")
