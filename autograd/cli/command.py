"""``python -m autograd explain EXPR NAME=VALUE ...``: the command line around :func:`~autograd.cli.report.explain`.

Every user error exits with status 2 and an ``error: ...`` line on stderr
(after it, for a mistake in the expression, the expression and a caret line
under the part at fault). No arguments at all print a one-line usage. Output
paths are checked before anything is computed. Text the console cannot encode
is printed with ASCII stand-ins (:mod:`autograd.cli.console`). Ctrl-C ends
it with status 130 and the line ``error: interrupted (Ctrl-C)``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from autograd.cli import outputs
from autograd.cli.console import fit_for, write_line
from autograd.cli.errors import ExplainError
from autograd.cli.expression import FUNCTIONS
from autograd.cli.report import explain
from autograd.exit_status import INTERRUPTED
from autograd.version import add_version_option

USAGE = ("usage: python -m autograd explain EXPR [NAME=VALUE ...] [--wrt NAME] [--svg FILE] [--html PAGE] "
         "(--help for more)")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every error gets the same one-line form."""

    def error(self, message: str) -> NoReturn:
        raise ExplainError(f"{message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m autograd", description="Look at backpropagation through an expression.")
    add_version_option(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    ex = commands.add_parser(
        "explain",
        help="forward values, backward steps, gradients (and paths) of one expression",
        description="Print the forward values, every chain-rule step of the backward pass and the gradient of "
        "every input of EXPR. Functions: " + ", ".join(FUNCTIONS) + "; operators: + - * / ** and unary minus.",
        epilog="example:\n  python -m autograd explain 'tanh(x*w + b)' x=1.5 w=-0.7 b=0.2 --wrt w",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("expression", metavar="EXPR", help="e.g. 'tanh(x*w + b)'")
    ex.add_argument("inputs", metavar="NAME=VALUE", nargs="*", help="a value for every name in EXPR")
    ex.add_argument("--wrt", metavar="NAME", help="also list every path from this input to the output")
    ex.add_argument("--svg", metavar="FILE", help="draw the graph into FILE (.svg)")
    ex.add_argument("--html", metavar="PAGE", help="write the explorer page to PAGE: step through the backward pass, "
                    "click a node for its paths, nudge an input")
    return parser


def _protect_negative_expressions(argv: list[str]) -> list[str]:
    """Let an expression start with a minus sign (``explain '-x*x' x=2``).

    argparse takes any word starting with '-' for an option. A leading space
    makes it an ordinary word, and Python's parser ignores it. Words after
    ``--wrt``/``--svg`` and after ``--`` are left alone.
    """
    out: list[str] = []
    for k, word in enumerate(argv):
        after_option = k > 0 and argv[k - 1] in ("--wrt", "--svg", "--html")
        if "--" in argv[:k] or after_option or word in ("-h", "--", "-") or not word.startswith("-"):
            out.append(word)
        elif re.fullmatch(r"--[A-Za-z][\w-]*(=.*)?", word, flags=re.DOTALL):
            out.append(word)  # a long option (or a typo of one): argparse reports it
        else:
            out.append(" " + word)
    return out


def _pointer(stream: TextIO, expr: str, span: tuple[int, int]) -> str:
    """The expression and a caret line under ``span``, aligned as ``stream`` will show them (escapes included)."""
    start, end = span[0], max(span[0] + 1, min(span[1], len(expr)))
    before, marked, after = (fit_for(stream, part) for part in (expr[:start], expr[start:end], expr[end:]))
    return f"  {before}{marked}{after}\n  {' ' * len(before)}{'^' * max(1, len(marked))}"


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status.

    0, 2 on an error, 130 on Ctrl-C (files written before it stay).
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        return _run(argv, stdout, stderr)
    except KeyboardInterrupt:
        write_line(stderr, "error: interrupted (Ctrl-C)")
        return INTERRUPTED


def _run(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        write_line(stderr, USAGE)
        return 2
    argv = _protect_negative_expressions(argv)
    expr = ""
    try:
        try:
            text = io.StringIO()
            with contextlib.redirect_stdout(text):  # argparse prints --help to sys.stdout
                args = _parser().parse_args(argv)
        except SystemExit as done:  # --help
            write_line(stdout, text.getvalue().rstrip("\n"))
            return done.code if isinstance(done.code, int) else 0
        if args.command is None:
            write_line(stderr, USAGE)
            return 2
        expr = args.expression.strip()  # surrounding blanks would upset Python's parser (and the caret)
        outputs.check_outputs(args.svg, args.html)  # fail before computing anything
        option = "--svg" if args.svg else "--html"
        drawing = outputs.drawing_module(option) if args.svg or args.html else None
        report, root, inputs = explain(expr, args.inputs, args.wrt)
        # everything that can still fail for this graph fails before the report is printed
        # (drawing is a module whenever --svg or --html is given)
        graph = outputs.draw_svg(drawing, root, inputs.get(args.wrt) if args.wrt else None) \
            if args.svg and drawing is not None else None
        page = outputs.build_page(drawing, root) if args.html and drawing is not None else None
        write_line(stdout, report)
        if args.svg and drawing is not None:
            outputs.write_svg(drawing, graph, args.svg)
            write_line(stdout, f"\ngraph written to {outputs.display_path(args.svg)}")
        if args.html and page is not None:
            outputs.write_html(page, args.html)
            write_line(stdout, f"\nexplorer page written to {outputs.display_path(args.html)}")
    except ExplainError as err:
        # one line whatever the user typed: escape line breaks and other unprintable characters
        write_line(stderr, f"error: {outputs.printable(err.message)}")
        if err.span is not None and expr:
            write_line(stderr, _pointer(stderr, expr, err.span))
        return 2
    return 0
