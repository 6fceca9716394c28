"""``python -m nn``: parse, check, train the chosen model, write its outputs as one unit, report.

Every way the command ends is one line on stderr and an exit status (see
:mod:`nn.demo`); Ctrl-C in particular always ends it with status 130 and a
line that says whether the outputs were written, even when the interrupt
lands in a finaliser that Python does not let it escape from
(:mod:`nn.interrupts`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nn import interrupts
from nn.demo import mlp
from nn.demo.folder import prepare_out_dir, remove_if_empty, write_outputs
from nn.demo.install import install_command
from nn.demo.options import EXIT_FAILED, EXIT_INTERRUPTED, DemoError, build_parser, check_args
from nn.files import InterruptedAfterWriting
from nn.runs import Run, show_path


@dataclass
class _Progress:
    """How far the command got, for the message of an interrupt."""

    out: Path | None = None
    written: bool = False


def _say(message: str) -> None:
    print(message, flush=True)  # flushed: through make or a pipe, each stage shows when it starts


def _example_run(kind: str, epochs: int | None, lr: float | None, seed: int,
                 say: Callable[[str], None], compiled: bool) -> Run:
    """``nn.examples.fit_cnn_digits`` or ``fit_rnn`` with the options that were given (others: its defaults)."""
    try:
        # through sys.modules, not the package attribute, so a replaced module is honoured
        examples = importlib.import_module("nn.examples")
    except ImportError as e:
        raise DemoError(f"--model {kind} needs nn.examples, which is not available: {e}", EXIT_FAILED) from None
    fit = examples.fit_cnn_digits if kind == "cnn" else examples.fit_rnn
    given = {name: value for name, value in (("epochs", epochs), ("lr", lr)) if value is not None}
    run: Run = fit(seed=seed, say=say, compiled=compiled, **given)  # (examples: a module found at run time)
    return run


def _fmt(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def _report(metrics: dict[str, Any], out: Path) -> None:
    loss = metrics.get("loss")
    if isinstance(loss, list) and loss:
        print(f"final loss: {_fmt(loss[-1])} (first epoch {_fmt(loss[0])})")
    for key in ("train_accuracy", "test_accuracy"):
        if key in metrics:
            print(f"{key.replace('_', ' ')}: {_fmt(metrics[key])}")
    if "train_seconds" in metrics:
        print(f"training time: {metrics['train_seconds']:.1f} s")
    for name, why in metrics.get("skipped", {}).items():
        print(f"skipped {name}: {why}")
    print(f"wrote to {show_path(out.resolve())}/: {', '.join(metrics['files'])}")


def run(argv: Sequence[str] | None = None, progress: _Progress | None = None) -> int:
    """:func:`main` without the error handling: raises :class:`DemoError`, ``FloatingPointError``, ...

    ``progress`` (if given) records the output folder and whether the outputs were written.
    """
    progress = progress or _Progress()
    args = build_parser().parse_args(argv)
    check_args(args)
    created = prepare_out_dir(args.out)
    progress.out = args.out
    try:
        if args.model == "mlp":
            result = mlp.fit_mlp(args.dataset or "moons", args.epochs, args.lr, args.seed, say=_say)
        else:
            result = _example_run(args.model, args.epochs, args.lr, args.seed, _say,
                                  compiled=args.compiled is not False)
        try:
            write_outputs(result, args.out, _say)
        except InterruptedAfterWriting:
            progress.written = True
            raise
        progress.written = True
    except BaseException:
        if not progress.written:
            remove_if_empty(args.out, created)  # a failed first run leaves no empty folder behind
        raise
    _report(result.metrics, args.out)
    return 0


def main(argv: Sequence[str] | None = None, exiting: bool = False) -> int:
    """Parse ``argv``, train, print the results and where they were written; return the exit status.

    Every failure is one line ``error: ...`` on stderr (see :mod:`nn.demo` for the statuses).
    ``exiting=True`` (the command line) ignores Ctrl-C once the status is decided, so that one
    pressed while the interpreter shuts down cannot replace it.
    """
    progress = None
    try:
        progress = _Progress()
        with interrupts.catching(then_ignore=exiting):
            try:
                code = run(argv, progress)
            except Exception as e:
                # An interrupt can surface as another error: Python reports Ctrl-C inside a class's __set_name__
                # as RuntimeError, a pybind11 module reports it in its import as ImportError("initialization
                # failed"). The interrupt is then what to report.
                interrupts.check()
                if not isinstance(e, (DemoError, FloatingPointError, ImportError)):
                    raise
                code = _fail(_message_for(e), e.code if isinstance(e, DemoError) else EXIT_FAILED)
            interrupts.check()  # an interrupt that a finaliser swallowed
            return code
    except KeyboardInterrupt:
        return _fail(_interrupted(progress), EXIT_INTERRUPTED)


def _message_for(error: DemoError | FloatingPointError | ImportError) -> str:
    if isinstance(error, ImportError):
        return f"the demo needs a package that is not installed ({error}): {install_command('demo')}"
    if isinstance(error, FloatingPointError):
        return f"{error}; nothing was written"
    return str(error)


def _interrupted(progress: _Progress | None) -> str:
    if progress is None:
        return "interrupted (Ctrl-C)"
    if progress.written and progress.out is not None:
        return f"interrupted (Ctrl-C) after the outputs were written to {show_path(progress.out)}/"
    if progress.out is not None:
        return "interrupted (Ctrl-C); nothing was written: the files of an earlier run are unchanged"
    return "interrupted (Ctrl-C)"


def _fail(message: str, code: int) -> int:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):  # a closed or broken stdout must not hide the message
        pass
    print(f"error: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    interrupts.exit(main(exiting=True))
