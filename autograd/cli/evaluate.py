"""Evaluating a checked expression: the inputs (``NAME=NUMBER``) and a walk of the tree with Value ops.

The walk uses an explicit stack (a flat chain of 250 terms needs no
recursion) and remembers, for every node it makes, how it was made (its
:class:`Formula`) and where in the expression it comes from (its span), for
the report and for error messages. A value outside an op's domain (``log(-1)``)
stops the walk with the reason in words.
"""

from __future__ import annotations

import ast
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from autograd.cli.errors import ExplainError
from autograd.cli.expression import BINARY, FUNCTIONS, excerpt, span_of
from autograd.ops import binary
from autograd.value import Value

Operand = Union[Value, float]


@dataclass
class Formula:
    """How a node was made, for display: ``op`` applied to ``operands`` (Values or constants)."""

    op: str
    operands: tuple[Operand, ...]


def _apply(op: str, a: Operand, b: Operand) -> Operand:
    if not isinstance(a, Value) and not isinstance(b, Value):
        # constant folding goes through Value too, for the engine's domain checks (no complex results)
        folded: Value = binary(op, Value(a), b)
        return folded.data
    result: Operand = binary(op, a, b)
    return result


def _call(name: str, a: Operand) -> Operand:
    if not isinstance(a, Value):
        return _call_value(name, Value(a)).data  # constant folding, as in _apply
    return _call_value(name, a)


def _call_value(name: str, a: Value) -> Value:
    if name == "abs":
        return abs(a)
    result: Value = getattr(a, name)()
    return result


class Evaluator:
    """Walks a checked tree, building the graph with Value ops and remembering each node's formula and span."""

    def __init__(self, expr: str, inputs: dict[str, Value]) -> None:
        self.expr = expr
        self.inputs = inputs
        self.formulas: dict[Value, Formula] = {}
        self.spans: dict[Value, tuple[int, int]] = {}  # where in the expression each node comes from
        self._failed: ast.AST = ast.AST()  # (a placeholder: replaced by the node being evaluated)

    def run(self, node: ast.AST) -> Operand:
        try:
            result = self._eval(node)
        except (ArithmeticError, ValueError) as err:
            span = span_of(self.expr, self._failed)
            where = f"{excerpt(self.expr, span)} (column {span[0] + 1})"
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
            self.spans[result] = span_of(self.expr, self._failed)
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
                results.append(float(node.value))  # type: ignore[arg-type]  # parse() admits numbers only
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
                op = BINARY[type(node.op)]
                results.append(self._record(_apply(op, a, b), op, a, b))
            else:
                a = results.pop()
                name: str = node.func.id  # type: ignore[attr-defined]  # parse() admits calls of names only
                results.append(self._record(_call(name, a), name, a))
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


def names_in(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        # function names appear as Names too, but parse() allows them only as callees
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in found:
            found.append(node.id)
    return found
