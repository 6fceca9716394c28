"""The expression ``explain`` reads: parsed by Python's ``ast`` and checked against a whitelist, never run.

Every node is checked against the whitelist (numbers, names, ``+ - * / **``,
unary signs, parentheses, calls of the functions in :data:`FUNCTIONS`).
Anything else (attribute access, other calls, strings, comprehensions,
lambdas, ...) is refused with a message that points at the offending part. A
power inside an exponent (``9**9**9``) and constant exponents beyond
:data:`MAX_EXPONENT` are refused before anything is computed. ``^`` (Python's
exclusive or) gets a hint to write ``**``.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
import warnings

from autograd.cli.errors import ExplainError

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt", "sin", "cos")
MAX_LENGTH = 500  # characters of expression text
MAX_DEPTH = 100  # real nesting of the syntax tree (a chain like a+b+c+d counts once)
MAX_EXPONENT = 100  # |p| for a constant exponent
MAX_LISTED_PATHS = 64  # --wrt lists at most this many paths one by one

BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
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


# -- parsing -----------------------------------------------------------------------------



def _syntax_hint(expr: str, start: int, msg: str) -> str:
    """Python's reason for a syntax error, said for an expression where it only says "invalid syntax"."""
    if "literal" in msg and re.search(r"\d[A-Za-z_(]", expr):  # 2x: Python reads a malformed number
        return f"{msg} (a product needs its star: 2*x, not 2x)"
    if msg != "invalid syntax":
        return msg
    if not expr[start:].strip():
        return "the expression ends too early: an operand is missing"
    return "an operand or an operator is missing here (a product is written x*y)"


def span_of(expr: str, node: ast.AST) -> tuple[int, int]:
    """Character columns of ``node`` (``ast`` counts UTF-8 bytes)."""
    raw = expr.encode("utf-8")

    def column(byte_offset: int | None) -> int:
        return len(raw[: byte_offset or 0].decode("utf-8", errors="ignore"))

    start = column(getattr(node, "col_offset", 0))
    end = column(getattr(node, "end_col_offset", None)) if getattr(node, "end_col_offset", None) else start + 1
    return start, max(end, start + 1)


def excerpt(expr: str, span: tuple[int, int]) -> str:
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
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        try:
            return sign * float(node.value)
        except OverflowError:
            return math.inf
    return None


def _refuse(expr: str, node: ast.AST, what: str) -> ExplainError:
    span = span_of(expr, node)
    return ExplainError(f"{what} (column {span[0] + 1}: {excerpt(expr, span)})", span)


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
        if type(node.op) not in BINARY:
            hint = " (for a power write **, as in x**2)" if isinstance(node.op, ast.BitXor) else ""
            raise _refuse(expr, node, f"operator {_REFUSED_OPERATORS.get(type(node.op), '?')!r} is not allowed{hint}")
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
        raise ExplainError(f"invalid syntax at column {start + 1}: {_syntax_hint(expr, start, err.msg)}",
                           (start, start + 1)) from None
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


