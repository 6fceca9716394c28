"""Writing a :class:`~autograd.compiled.program.Program` out as Python, and running it.

Two renderings of the same program:

- :func:`readable`: the forward pass one line per op, the backward pass one line
  per chain-rule application (``d_w += x * d_z``), labels as names; the text of
  ``Compiled.source()``.
- :func:`fused`: what runs. The same lines, except that each gradient is one
  assignment summing its chain-rule terms, in the same order
  (``d_w = x1 * d_z1 + x2 * d_z2``): the same floating-point additions as the
  readable form and as ``backward()``, with fewer loads and stores.

Long sums are split over several lines (``s = s + ...``, which keeps the
left-to-right order) so that no expression nests deeper than CPython's
compiler allows.
"""

from __future__ import annotations

import itertools
import linecache
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, final

from autograd import ops
from autograd.compiled.program import FN_PREFIX, Line, Program

CHUNK = 64  # terms per line of a long sum
_counter = itertools.count(1)


@final  # (so that ``type(result) is Changed`` tells a type checker what result is otherwise)
class Changed:
    """Returned by a replay whose guard ``index`` failed: the graph would be built differently now."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


# -- helpers the generated code calls (the n-ary ops without a formula) -------------------------


def _max(*xs: float) -> tuple[float, int]:
    """``(max, first arg max)`` as ``ops.evaluate``/``ops.local_grads`` define them (NaN wins, first NaN)."""
    s = sum(xs)
    if s == s:  # no NaN (and no inf - inf): the builtin max keeps the first of equal maxima
        m = max(xs)
        return m, xs.index(m)
    grads = ops.local_grads("max", xs, 0.0)
    k = grads.index(1.0)
    return xs[k], k


def _logsumexp(*xs: float) -> tuple[float, list[float]]:
    """``(logsumexp, softmax)``: the op's value and its local derivatives, as the engine computes them."""
    return ops.logsumexp_with_softmax(xs)


def namespace() -> dict[str, Any]:
    """The globals of generated code: the primitives, the n-ary helpers, ``inf``/``nan``; no other builtins."""
    ns: dict[str, Any] = {FN_PREFIX + key[2:]: fn for key, fn in ops.float_namespace().items()}
    ns.update(_max=_max, _logsumexp=_logsumexp, _changed=Changed, inf=math.inf, nan=math.nan)
    ns["__builtins__"] = {"abs": abs}
    return ns


# -- rendering ----------------------------------------------------------------------------------


def _sum_lines(target: str, parts: Sequence[str], indent: str) -> list[str]:
    """``target = p0 + p1 + ...`` split into lines of at most CHUNK terms, same order of additions."""
    lines = [f"{indent}{target} = {' + '.join(parts[:CHUNK])}"]
    for k in range(CHUNK, len(parts), CHUNK):
        lines.append(f"{indent}{target} = {target} + {' + '.join(parts[k:k + CHUNK])}")
    return lines


def _forward(line: Line, indent: str, comments: bool) -> list[str]:
    if line.parts is not None and len(line.parts) > CHUNK:
        out = _sum_lines(line.target, line.parts, indent)
    else:
        out = [f"{indent}{line.target} = {line.expr}"]
    if comments and line.comment:
        out[0] = f"{out[0]}  # {line.comment}"
    return out


def _returns(prog: Program) -> str:
    grads = ", ".join(prog.grads.get(i, "0.0") for i in prog.wrt)
    return f"return {prog.output}, [{grads}]"


def _head(prog: Program, fn_name: str, indent: str) -> list[str]:
    if not prog.inputs:
        return [f"def {fn_name}(_in):"]
    return [f"def {fn_name}(_in):", f"{indent}{', '.join(prog.inputs)}, = _in"]


def fused(prog: Program, fn_name: str = "replay", backward: bool = True) -> str:
    """The program as the function that runs: ``fn(numbers) -> (value, grads)`` or a :class:`Changed`."""
    ind = "    "
    lines = _head(prog, fn_name, ind)
    for line in prog.forward:
        lines += _forward(line, ind, comments=False)
    for k, g in enumerate(prog.guards):
        lines.append(f"{ind}if {g.changed}: return _changed({k})")
    if not backward:
        lines.append(f"{ind}return {prog.output}")
        return "\n".join(lines) + "\n"
    pending: dict[str, list[str]] = {}
    if prog.root_grad is not None:
        pending[prog.root_grad] = ["1.0"]
    done: set[str] = set()
    for term in prog.terms:
        up = term.upstream
        if up not in done:  # every term into this gradient is known: write it as one sum
            done.add(up)
            lines += _sum_lines(up, pending.pop(up), ind)
        pending.setdefault(term.target, []).append(term.expr)
    for target, parts in pending.items():  # the inputs' gradients
        lines += _sum_lines(target, parts, ind)
    lines.append(f"{ind}{_returns(prog)}")
    return "\n".join(lines) + "\n"


def readable(prog: Program, fn_name: str = "forward_backward") -> str:
    """The program for people: one line per op, one line per chain-rule application, guards explained.

    Every comment starts in one column (as far as the longest lines allow), helpers read as the math
    they compute (``_f_tanh(z)`` -> ``tanh(z)``), and comments hold only cleaned text (no line breaks).
    """
    ind = "    "
    args = ", ".join(prog.inputs)
    lines = [f"{ind}# forward: one line per op"]
    for line in prog.forward:
        lines += _forward(line, ind, comments=True)
    if prog.guards:
        lines.append(f"{ind}# guards: the recording holds while every answer below is the same")
        for g in prog.guards:
            lines.append(f"{ind}if {g.changed}: record_again()")
    lines.append(f"{ind}# backward: one line per chain-rule application (d_x is d {prog.output} / d x)")
    if prog.root_grad is not None:
        lines.append(f"{ind}{prog.root_grad} = 1.0")
    started = {prog.root_grad}
    for term in prog.terms:
        op = "+=" if term.target in started else "="
        started.add(term.target)
        lines.append(f"{ind}{term.target} {op} {term.expr}  # {term.comment}")
    lines.append(f"{ind}{_returns(prog)}")
    # helpers read as the math they compute: _f_tanh(z) -> tanh(z), _max(...) -> max(...)
    lines = [_HELPER_CALL.sub(r"\1(", line) for line in lines]
    return "\n".join([f"def {fn_name}({args}):", *aligned(lines)]) + "\n"


# a call of a namespace helper (user names never start with "_", so nothing else matches)
_HELPER_CALL = re.compile(r"\b(?:_f_|_)(\w+)\(")


def aligned(lines: list[str], width: int = 100) -> list[str]:
    """Comments moved to one column (the longest code line's, up to ``width``), for reading.

    Lines that are only a comment keep their place; a code line longer than ``width`` keeps its
    comment two spaces after it.
    """
    split = [line.split("  # ", 1) if "  # " in line.lstrip() else [line] for line in lines]
    col = min(width, max((len(s[0]) for s in split if len(s) == 2), default=0))
    return [s[0] if len(s) == 1 else f"{s[0].ljust(col)}  # {s[1]}" for s in split]


def build_function(source: str, fn_name: str, title: str, ns: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Compile generated ``source`` (our formulas, checked identifiers, float reprs) and return ``fn_name``.

    ``ns``: the globals of the code (default: :func:`namespace`, the scalar replay's).
    """
    # named inside the package folder: frames there count as the engine's, and tracebacks show the line
    filename = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"<compiled {next(_counter)}: {title}>")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if ns is None:
        ns = namespace()
    exec(compile(source, filename, "exec"), ns)
    fn: Callable[..., Any] = ns[fn_name]
    return fn
