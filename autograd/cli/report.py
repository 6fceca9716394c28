"""The report ``explain`` prints: forward values, every chain-rule step, the gradients, and the paths to one input.

A worked example stops at the first value that is not finite, forward or
backward, with the reason: the forward pass in the walk
(:class:`~autograd.cli.evaluate.Evaluator`, ``log needs a value > 0``), the
backward pass here (``sqrt(x)`` at ``x = 0`` has an infinite slope). Either is
an :class:`ExplainError` pointing at the part of the expression at fault, so
no table of ``inf`` and ``nan`` is printed as if it were an answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd.cli.errors import ExplainError
from autograd.cli.evaluate import Evaluator, Formula, Operand, names_in, parse_inputs
from autograd.cli.expression import MAX_LISTED_PATHS, parse
from autograd.pathsum import PathLimitError, paths
from autograd.trace import Step, format_table, trace_backward
from autograd.value import Value


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


def explain(expr: str, assignments: Sequence[str], wrt: str | None = None) -> tuple[str, Value, dict[str, Value]]:
    """The report ``python -m autograd explain`` prints, the output node and the input leaves by name.

    Traces the backward pass (:func:`autograd.trace_backward`) and leaves its
    gradients in the ``.grad`` of the expression's own fresh graph (for the
    report and the drawings), so the inputs' ``.grad`` hold d output / d input.
    Raises :class:`ExplainError` for any mistake and at the first non-finite value.
    """
    expr = expr.strip() if isinstance(expr, str) else expr
    tree = parse(expr)
    values = parse_inputs(assignments)
    used = names_in(tree)
    missing = [n for n in used if n not in values]
    if missing:
        listed = ", ".join(map(repr, missing))
        raise ExplainError(f"no value for {listed}: pass it as NAME=NUMBER, e.g. {missing[0]}=1.0")
    unused = [n for n in values if n not in used]
    if unused:
        raise ExplainError(f"unknown input {unused[0]!r}: the expression has no such name")
    if wrt is not None and wrt not in values:
        raise ExplainError(f"--wrt {wrt!r} is not an input of the expression (inputs: {', '.join(values) or 'none'})")
    inputs = {name: Value(value, label=name) for name, value in values.items()}
    evaluator = Evaluator(expr, inputs)
    result = evaluator.run(tree)
    root = result if isinstance(result, Value) else Value(result)

    steps = trace_backward(root)
    _stop_at_non_finite(steps, evaluator)
    _fill_grads(root, steps)
    names = steps.names
    out = names[root]
    lines = [f"expression: {expr}", "", "forward pass (each node after its inputs):"]
    rows: list[tuple[str, ...]] = []
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


def _fill_grads(root: Value, steps: Sequence[Step]) -> None:
    """Set every node's ``.grad`` to its gradient in the traced pass (the last ``parent_grad`` recorded for it).

    Set, not added: the graph is explain's own and fresh, and whether the
    tracing itself wrote ``.grad`` or not, each node ends with this one pass's gradient.
    """
    grads: dict[Value, float] = {root: 1.0}
    for step in steps:
        grads[step.parent] = step.parent_grad
    for node, g in grads.items():
        node.grad = g


def _describe(node: Value, evaluator: Evaluator) -> str:
    """A node as the user wrote it: an input's name, else its part of the expression (in parentheses)."""
    if node.label:
        return node.label
    span = evaluator.spans.get(node)
    return f"({evaluator.expr[span[0]:span[1]]})" if span else f"{node.data:g}"


def _stop_at_non_finite(steps: Sequence[Step], evaluator: Evaluator) -> None:
    """Raise :class:`ExplainError` at the first chain-rule step whose numbers are not all finite."""
    for k, step in enumerate(steps, start=1):
        numbers = (step.local_grad, step.upstream, step.contribution, step.parent_grad)
        if all(math.isfinite(x) for x in numbers):
            continue
        node, parent = _describe(step.node, evaluator), _describe(step.parent, evaluator)
        if not math.isfinite(step.local_grad):
            why = (f"the local derivative d {node}/d {parent} = {step.local_grad!r} at {parent} = "
                   f"{step.parent.data:g} is not a finite number")
        elif not math.isfinite(step.contribution):
            why = (f"upstream * local derivative = {step.upstream:g} * {step.local_grad:g} for d {node}/d {parent} "
                   "overflows a float")
        else:
            why = f"the gradient of {parent} overflows a float when {step.contribution:g} is added"
        raise ExplainError(f"cannot explain the backward pass: at step {k}, {why}", evaluator.spans.get(step.node))


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
