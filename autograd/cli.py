"""``python -m autograd explain EXPR NAME=VALUE ...``: backpropagation through one expression, spelled out.

    python -m autograd explain 'tanh(x*w + b)' x=1.5 w=-0.7 b=0.2 --wrt w

prints the forward values, every chain-rule step of the backward pass, the
gradient of every input, and with ``--wrt`` each path from that input to the
output with its product and their sum; ``--svg out.svg`` also draws the graph
and ``--html page.html`` writes the explorer (step through the backward pass,
click a node for its paths, nudge an input).

The expression is never handed to ``eval``. It is parsed by Python's ``ast``
and every node is checked against a whitelist (numbers, names, ``+ - * / **``,
unary signs, parentheses, calls of the functions in :data:`FUNCTIONS`), then
evaluated by walking the tree with :class:`Value` operations. Anything else
(attribute access, other calls, strings, comprehensions, lambdas, ...) is
rejected with a message that points at the offending part. A power inside an
exponent (``9**9**9``) and constant exponents beyond :data:`MAX_EXPONENT` are
refused before anything is computed. Every user error exits with status 2 and
an ``error: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import math
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TextIO, Union

from autograd.ops import binary
from autograd.pathsum import PathLimitError, paths
from autograd.trace import format_table, trace_backward
from autograd.value import Value

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt", "sin", "cos")
MAX_LENGTH = 500  # characters of expression text
MAX_DEPTH = 100  # real nesting of the syntax tree (a chain like a+b+c+d counts once)
MAX_EXPONENT = 100  # |p| for a constant exponent
MAX_LISTED_PATHS = 64  # --wrt lists at most this many paths one by one

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
# what to call a refused node type in a message (others are named by their class)
_REFUSED_NODES = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Slice: "slices",
    ast.Lambda: "lambdas", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions", ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings", ast.NamedExpr: "assignments (:=)", ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'", ast.IfExp: "conditional expressions", ast.Tuple: "tuples", ast.List: "lists",
    ast.Set: "sets", ast.Dict: "dicts", ast.Starred: "unpacking (*)", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield",
}


class ExplainError(Exception):
    """A user error: a one-line message, and the span of the expression at fault when there is one."""

    def __init__(self, message: str, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span  # (start, end) character columns in the expression


# -- parsing -----------------------------------------------------------------------------


def _span(expr: str, node: ast.AST) -> tuple[int, int]:
    """Character columns of ``node`` (``ast`` counts UTF-8 bytes)."""
    raw = expr.encode("utf-8")

    def column(byte_offset: int | None) -> int:
        return len(raw[: byte_offset or 0].decode("utf-8", errors="ignore"))

    start = column(getattr(node, "col_offset", 0))
    end = column(getattr(node, "end_col_offset", None)) if getattr(node, "end_col_offset", None) else start + 1
    return start, max(end, start + 1)


def _excerpt(expr: str, span: tuple[int, int]) -> str:
    text = expr[span[0] : span[1]]
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _has_power(node: ast.AST) -> bool:
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node))


def _constant_value(node: ast.AST) -> float | None:
    """The value of a number literal with optional signs, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return sign * float(node.value)
        except OverflowError:
            return math.inf
    return None


def _refuse(expr: str, node: ast.AST, what: str) -> ExplainError:
    span = _span(expr, node)
    return ExplainError(f"{what} (column {span[0] + 1}: {_excerpt(expr, span)})", span)


# Operators that chain flat: in ``a + b - c + d`` the parser nests each one in the next one's left
# operand, but a reader sees one level. (Powers nest for real: ``(a**2)**3``.)
_SAME_LEVEL = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1}


def _child_depth(parent: ast.AST, child: ast.AST, depth: int) -> int:
    """The nesting depth of ``child``: the parent's, for the left operand continuing a flat chain."""
    if (
        isinstance(parent, ast.BinOp)
        and child is parent.left
        and isinstance(child, ast.BinOp)
        and _SAME_LEVEL.get(type(child.op), -1) == _SAME_LEVEL.get(type(parent.op), -2)
    ):
        return depth
    return depth + 1


def _check_node(expr: str, node: ast.AST) -> None:
    """Raise ExplainError unless ``node`` (one node, not its children) is allowed."""
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _refuse(expr, node, f"operator {_REFUSED_OPERATORS.get(type(node.op), '?')!r} is not allowed")
        if isinstance(node.op, ast.Pow):
            if _has_power(node.right):
                raise _refuse(expr, node.right, "a power inside an exponent (like 9**9**9) is not allowed")
            p = _constant_value(node.right)
            if p is not None and abs(p) > MAX_EXPONENT:
                raise _refuse(expr, node.right, f"exponent {p:g} is too large (at most {MAX_EXPONENT} in size)")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _refuse(expr, node, f"operator {_REFUSED_OPERATORS.get(type(node.op), '?')!r} is not allowed")
    elif isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            kind = "strings" if isinstance(node.value, (str, bytes)) else f"{type(node.value).__name__} constants"
            raise _refuse(expr, node, f"{kind} are not allowed (only numbers)")
        value = _constant_value(node)
        if value is None or not math.isfinite(value):
            raise _refuse(expr, node, "number is too large for a float")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise _refuse(expr, node, f"{node.id!r} is a function: call it as {node.id}(...)")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _refuse(expr, node.func, "only these functions can be called: " + ", ".join(FUNCTIONS))
        if node.func.id not in FUNCTIONS:
            raise _refuse(expr, node.func, f"unknown function {node.func.id!r} (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords:
            raise _refuse(expr, node, f"{node.func.id}() takes no keyword arguments")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _refuse(expr, node, f"{node.func.id}() takes exactly one argument")
    elif not isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
        what = _REFUSED_NODES.get(type(node), type(node).__name__)
        raise _refuse(expr, node, f"not allowed: {what}")


def parse(expr: str) -> ast.Expression:
    """Parse ``expr`` and check every node against the whitelist (see the module doc)."""
    if not isinstance(expr, str):
        raise ExplainError(f"the expression must be text, got {type(expr).__name__}")
    if not expr.strip():
        raise ExplainError("the expression is empty")
    if len(expr) > MAX_LENGTH:
        raise ExplainError(f"the expression is too long ({len(expr)} characters, at most {MAX_LENGTH})")
    for k, ch in enumerate(expr):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise ExplainError(f"the expression must be one line of printable text (character {ch!r} at column "
                               f"{k + 1})")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" for 1or x: the error below says it all
            warnings.simplefilter("ignore")
            tree = ast.parse(expr, mode="eval")
    except SyntaxError as err:
        # offset is 1-based; 0 or None means the end of the text
        start = min(err.offset - 1, len(expr)) if err.offset else len(expr)
        raise ExplainError(f"invalid syntax at column {start + 1}: {err.msg}", (start, start + 1)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExplainError("the expression is too deeply nested or malformed") from None
    # iterative walk, so the depth check itself needs no recursion (nor does evaluation: see _Evaluator)
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refuse(expr, node, f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
        _check_node(expr, node)
        # a call's function name was checked with the call; only its argument is an expression
        children = node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node)
        stack.extend((child, _child_depth(node, child, depth)) for child in children)
    return tree


# -- evaluating ----------------------------------------------------------------------------

Operand = Union[Value, float]


@dataclass
class Formula:
    """How a node was made, for display: ``op`` applied to ``operands`` (Values or constants)."""

    op: str
    operands: tuple[Operand, ...]


def _apply(op: str, a: Operand, b: Operand) -> Operand:
    if not isinstance(a, Value) and not isinstance(b, Value):
        # constant folding goes through Value too, for the engine's domain checks (no complex results)
        return _apply(op, Value(a), b).data
    return binary(op, a, b)


def _call(name: str, a: Operand) -> Operand:
    if not isinstance(a, Value):
        return _call(name, Value(a)).data
    if name == "abs":
        return abs(a)
    return getattr(a, name)()


class _Evaluator:
    """Walks a checked tree, building the graph with Value ops and remembering each node's formula."""

    def __init__(self, expr: str, inputs: dict[str, Value]) -> None:
        self.expr = expr
        self.inputs = inputs
        self.formulas: dict[Value, Formula] = {}
        self._failed: ast.AST = ast.Expression()

    def run(self, node: ast.AST) -> Operand:
        try:
            result = self._eval(node)
        except (ArithmeticError, ValueError) as err:
            span = _span(self.expr, self._failed)
            where = f"{_excerpt(self.expr, span)} (column {span[0] + 1})"
            raise ExplainError(f"cannot evaluate {where}: {err}", span) from None
        return result

    def _record(self, result: Operand, op: str, *operands: Operand) -> Operand:
        value = result.data if isinstance(result, Value) else result
        numbers = [x.data if isinstance(x, Value) else x for x in operands]
        if not math.isfinite(value) and all(math.isfinite(x) for x in numbers):
            # The engine gives inf/nan outside an op's domain (as PyTorch); a worked example stops there.
            raise ArithmeticError(f"{_domain_reason(op, numbers, value)} (the result would be {value!r})")
        if isinstance(result, Value) and result not in self.formulas and result.op:
            self.formulas[result] = Formula(op, operands)
        return result

    def _eval(self, tree: ast.AST) -> Operand:
        """Post-order walk with an explicit stack: a flat chain of 250 terms needs no recursion."""
        results: list[Operand] = []
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            node, operands_done = stack.pop()
            self._failed = node  # the innermost node being evaluated, for error messages
            if isinstance(node, ast.Expression):
                stack.append((node.body, False))
            elif isinstance(node, ast.Constant):
                results.append(float(node.value))
            elif isinstance(node, ast.Name):
                results.append(self.inputs[node.id])
            elif not isinstance(node, (ast.UnaryOp, ast.BinOp, ast.Call)):
                raise ExplainError(f"internal: unchecked node {type(node).__name__}")  # parse() rules this out
            elif not operands_done:  # operands first, left before right, as Python evaluates them
                stack.append((node, True))
                if isinstance(node, ast.UnaryOp):
                    stack.append((node.operand, False))
                elif isinstance(node, ast.BinOp):
                    stack += [(node.right, False), (node.left, False)]
                else:
                    stack.append((node.args[0], False))
            elif isinstance(node, ast.UnaryOp):
                a = results.pop()
                results.append(a if isinstance(node.op, ast.UAdd) else self._record(-a, "neg", a))
            elif isinstance(node, ast.BinOp):
                b = results.pop()
                a = results.pop()
                op = _BINARY[type(node.op)]
                results.append(self._record(_apply(op, a, b), op, a, b))
            else:
                a = results.pop()
                results.append(self._record(_call(node.func.id, a), node.func.id, a))
        return results.pop()


def _domain_reason(op: str, numbers: list[float], value: float) -> str:
    """Why ``op`` on finite ``numbers`` gave a non-finite ``value``, in words."""
    if op == "log":
        return "log needs a value > 0"
    if op == "sqrt":
        return "sqrt needs a value >= 0"
    if op == "/" and numbers[1] == 0.0:
        return "division by zero"
    if op == "**" and numbers[0] < 0.0 and not float(numbers[1]).is_integer():
        return "a negative base needs an integer exponent (the result would be complex)"
    if op == "**" and numbers[0] == 0.0 and numbers[1] < 0.0:
        return "zero to a negative power"
    return f"{op} overflows a float"


def _format_operand(x: Operand, names: dict[Value, str]) -> str:
    if isinstance(x, Value):
        return names[x]
    return f"{x:g}" if x >= 0 else f"({x:g})"


def _format_formula(formula: Formula, names: dict[Value, str]) -> str:
    ops = [_format_operand(x, names) for x in formula.operands]
    if formula.op == "neg":
        return f"-{ops[0]}"
    if len(ops) == 2:
        return f"{ops[0]} {formula.op} {ops[1]}"
    return f"{formula.op}({ops[0]})"


# -- the command -------------------------------------------------------------------------------


def parse_inputs(assignments: Sequence[str]) -> dict[str, float]:
    """``["x=1.5", "w=-0.7"]`` -> ``{"x": 1.5, "w": -0.7}``, with one-line errors for bad ones."""
    values: dict[str, float] = {}
    for text in assignments:
        name, sep, number = text.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())  # as Python does for identifiers
        if not sep or not name.isidentifier():
            raise ExplainError(f"malformed input {text!r}: expected NAME=NUMBER, e.g. x=1.5")
        if name in FUNCTIONS:
            raise ExplainError(f"input {text!r}: {name!r} is a function name, not a variable")
        try:
            value = float(number)
        except ValueError:
            raise ExplainError(f"malformed input {text!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise ExplainError(f"input {text!r}: the value must be a finite number")
        if name in values:
            raise ExplainError(f"input {name!r} is given twice")
        values[name] = value
    return values


def _names_in(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        # function names appear as Names too, but parse() allows them only as callees
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in found:
            found.append(node.id)
    return found


def explain(expr: str, assignments: Sequence[str], wrt: str | None = None) -> tuple[str, Value, dict[str, Value]]:
    """The report ``python -m autograd explain`` prints, the output node and the input leaves by name.

    Traces the backward pass (:func:`autograd.trace_backward`) and runs it on
    the expression's own fresh graph, so the inputs' ``.grad`` hold
    d output / d input afterwards.
    """
    expr = expr.strip() if isinstance(expr, str) else expr
    tree = parse(expr)
    values = parse_inputs(assignments)
    used = _names_in(tree)
    missing = [n for n in used if n not in values]
    if missing:
        names = ", ".join(map(repr, missing))
        raise ExplainError(f"no value for {names}: pass it as NAME=NUMBER, e.g. {missing[0]}=1.0")
    unused = [n for n in values if n not in used]
    if unused:
        raise ExplainError(f"unknown input {unused[0]!r}: the expression has no such name")
    if wrt is not None and wrt not in values:
        raise ExplainError(f"--wrt {wrt!r} is not an input of the expression (inputs: {', '.join(values) or 'none'})")
    inputs = {name: Value(value, label=name) for name, value in values.items()}
    evaluator = _Evaluator(expr, inputs)
    result = evaluator.run(tree)
    root = result if isinstance(result, Value) else Value(result)

    steps = trace_backward(root)  # the table; it leaves .grad alone
    root.backward()  # explain's own fresh graph: filling its .grad (for the report and drawings) is part of the job
    names = steps.names
    out = names[root]
    lines = [f"expression: {expr}", "", "forward pass (each node after its inputs):"]
    rows = []
    for node in steps.names:  # topological order: inputs first
        formula = evaluator.formulas.get(node)
        what = _format_formula(formula, names) if formula else ("input" if node.label else "constant")
        rows.append((names[node], what, f"{node.data:.6g}"))
    name_w = max(len(r[0]) for r in rows)
    what_w = max(len(r[1]) for r in rows)
    lines += [f"  {name:<{name_w}} = {what:<{what_w}} = {value}" for name, what, value in rows]
    lines += ["", f"backward pass (d {out}/d {out} = 1, then one chain-rule step per edge):"]
    lines += ["  " + line for line in str(steps).splitlines()]
    lines += ["", f"gradients (d {out}/d input):"]
    rows = [(name, f"{inputs[name].grad:.6g}") for name in values]
    lines += ["  " + line for line in format_table(rows, left={0})] if rows else ["  (no inputs)"]
    if wrt is not None:
        lines += ["", *_explain_paths(root, inputs[wrt], names)]
    return "\n".join(lines), root, inputs


def _explain_paths(root: Value, leaf: Value, names: dict[Value, str]) -> list[str]:
    out, name = names[root], names[leaf]
    try:
        listed = list(paths(root, leaf, limit=MAX_LISTED_PATHS))  # counts first, refuses before enumerating
    except PathLimitError as e:
        return [_paths_header(e.count, name, out),
                f"  too many to list (more than {MAX_LISTED_PATHS}); backward sums them in one pass: "
                f"{leaf.grad:.6g}"]
    lines = [_paths_header(len(listed), name, out)]
    total = 0.0
    for path in listed:
        route = " -> ".join(names[v] for v in path.nodes)
        factors = " * ".join(f"{g:.6g}" for g in path.local_grads) or "1"
        lines.append(f"  {route}: {factors} = {path.product:.6g}")
        total += path.product
    lines.append(f"  sum = {total:.6g} (backward: {leaf.grad:.6g})")
    return lines


def _paths_header(n: int, name: str, out: str) -> str:
    return f"paths from {name} to {out} ({n}; d {out}/d {name} = sum of the products along them):"


def _drawing_module(option: str = "--svg") -> ModuleType:
    try:
        import autograd.drawing as drawing
    except ImportError as err:
        raise ExplainError(f"{option} needs the drawing module, which is not available ({err})") from None
    return drawing


def _printable(text: str) -> str:
    """``text`` on one line: line breaks, control characters and lone surrogates escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _display_path(path: str) -> str:
    """A file name as the user typed it, safe to print on any terminal.

    A name that is not UTF-8 reaches Python with its bad bytes as lone
    surrogates, which a UTF-8 stream refuses to print: show them as ``\\xff``.
    """
    return _printable(os.fsencode(path).decode("utf-8", errors="backslashreplace"))


def _check_file_option(option: str, path: str | None) -> None:
    """Refuse an empty ``--svg``/``--html`` before anything is computed (it would write nothing, silently)."""
    if path is not None and not path.strip():
        example = "graph.svg" if option == "--svg" else "page.html"
        raise ExplainError(f"{option} needs a file name, e.g. {option} {example} (got an empty one)")


def _draw_svg(drawing: ModuleType, root: Value, wrt: Value | None) -> object:
    """The graph to write, drawn before anything is printed so that a graph too large fails cleanly."""
    try:
        return drawing.draw(root, highlight=wrt)
    except drawing.GraphTooLargeError:
        raise ExplainError(
            f"the expression's graph is too large to draw (more than {drawing.DEFAULT_MAX_NODES} nodes): "
            "explain a shorter expression, or drop --svg to get the report alone"
        ) from None
    except (RuntimeError, ValueError) as err:
        raise ExplainError(f"could not draw the graph: {err}") from None


def _write_svg(drawing: ModuleType, graph: object, path: str) -> None:
    try:
        drawing.save_graph(graph, path)
    except (OSError, RuntimeError, ValueError) as err:
        raise ExplainError(f"could not write {_display_path(path)}: {err}") from None


def _write_html(drawing: ModuleType, root: Value, path: str) -> None:
    try:
        drawing.draw_backward_steps(root, path)
    except drawing.GraphTooLargeError:
        raise ExplainError(
            f"could not write {_display_path(path)}: the expression's graph has more than "
            f"{drawing.DEFAULT_MAX_NODES} nodes to draw; explain a shorter expression, or build it in Python and call "
            "autograd.explore(root, max_nodes=None).save(PAGE)"
        ) from None
    except (OSError, RuntimeError, ValueError) as err:
        raise ExplainError(f"could not write {_display_path(path)}: {err}") from None


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every error gets the same one-line form."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ExplainError(f"{message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m autograd", description="Look at backpropagation through an expression.")
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


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status (0, or 2 on error)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    argv = _protect_negative_expressions(list(sys.argv[1:] if argv is None else argv))
    parser = _parser()
    expr = ""
    try:
        try:
            with contextlib.redirect_stdout(stdout):  # argparse prints --help to sys.stdout
                args = parser.parse_args(argv)
        except SystemExit as done:  # --help
            return done.code if isinstance(done.code, int) else 0
        if args.command is None:
            parser.print_help(stderr)
            return 2
        expr = args.expression.strip()  # surrounding blanks would upset Python's parser (and the caret)
        _check_file_option("--svg", args.svg)
        _check_file_option("--html", args.html)
        # fail before printing anything
        drawing = _drawing_module("--svg" if args.svg else "--html") if args.svg or args.html else None
        report, root, inputs = explain(expr, args.inputs, args.wrt)
        graph = _draw_svg(drawing, root, inputs.get(args.wrt) if args.wrt else None) if args.svg else None
        print(report, file=stdout)
        if args.svg:
            _write_svg(drawing, graph, args.svg)
            print(f"\ngraph written to {_display_path(args.svg)}", file=stdout)
        if args.html:
            _write_html(drawing, root, args.html)
            print(f"\nexplorer page written to {_display_path(args.html)}", file=stdout)
    except ExplainError as err:
        # one line whatever the user typed: escape line breaks and other unprintable characters
        print(f"error: {_printable(err.message)}", file=stderr)
        if err.span is not None and expr:
            start, end = err.span
            print(f"  {expr}\n  {' ' * start}{'^' * max(1, min(end, len(expr)) - start)}", file=stderr)
        return 2
    return 0
