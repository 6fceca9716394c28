"""A recorded graph as a straight-line program: forward lines, guards, chain-rule terms.

Every expression here is built from three things only: the op table's formulas
(:func:`autograd.ops.python_expr`), identifiers from :class:`~autograd.compiled.names.NameTable`
and ``repr`` of floats. Labels reach the program only through those names and
through comments cleaned by :func:`~autograd.compiled.names.comment_text`.

Order matters for floating point, so the program keeps the engine's:

- the forward lines follow a topological order, each op computed by its
  formula exactly as the ``Value`` method computes it (same expression, same
  rounding); the n-ary ops add their terms in the order of
  :func:`autograd.ops.evaluate`;
- the chain-rule terms follow :func:`autograd.graph.reverse_topological_order`,
  the order of ``backward()``, so each gradient sums the same contributions in
  the same order as the Value path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autograd import ops
from autograd.compiled.names import AUX, GRAD, NameTable, comment_text
from autograd.compiled.tape import GuardSpec, Ref, Tape, TapeNode
from autograd.compiled.watch import Answer
from autograd.graph import reverse_topological_order
from autograd.value import Value

FN_PREFIX = "_f_"  # the primitives' names in generated code (a label never starts with "_")


def literal(x: float) -> str:
    """A float as Python source that evaluates to exactly that float (``inf``/``nan`` are names in the namespace)."""
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


@dataclass
class Line:
    """``target = expr``; an expression that is a long sum keeps its terms in ``parts`` (joined with +)."""

    target: str
    expr: str
    comment: str = ""
    parts: list[str] | None = None


@dataclass
class Term:
    """One chain-rule application: ``target += expr`` (expr already multiplied by ``upstream``)."""

    target: str
    upstream: str
    expr: str
    comment: str = ""


@dataclass
class Guard:
    """A replay is valid while ``changed`` is false; ``description`` says what was asked when recording."""

    changed: str
    description: str
    spec: GuardSpec | None = None  # the same question as data, for batched replay


@dataclass
class Program:
    inputs: list[str]  # one identifier per input, in order
    wrt: list[int]  # positions of the inputs whose gradients are returned
    forward: list[Line] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    output: str = "0.0"
    root_grad: str | None = None  # d_<output> when the output depends on a differentiated input
    grads: dict[int, str] = field(default_factory=dict)  # input position -> gradient identifier
    nodes: int = 0  # ops computed on each replay
    edges: int = 0  # their inputs, counted with multiplicity
    tape: Tape | None = None  # the same recording as data (for batched replay)


class CompileError(TypeError):
    """A graph compiled replay cannot reproduce (a node made by hand, a hook); the message names the node."""


def _describe(node: Value) -> str:
    label = f" labelled {node.label!r}" if node.label else ""
    return f"node {node!r}{label}"


def _parents_first(roots: Sequence[Value], skip: set[Value]) -> list[Value]:
    """Every node reachable from ``roots`` and not in ``skip``, each after its parents (iterative)."""
    out: list[Value] = []
    visited: set[Value] = set()
    for root in roots:
        if root in skip or root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.parents))]
        while stack:
            node, it = stack[-1]
            for p in it:
                if p not in skip and p not in visited:
                    visited.add(p)
                    stack.append((p, iter(p.parents)))
                    break
            else:
                stack.pop()
                out.append(node)
    return out


def _uses_live(tree: ops.Tree, live_vars: set[str]) -> bool:
    if tree[0] == "var":
        return tree[1] in live_vars
    return any(isinstance(t, list) and _uses_live(t, live_vars) for t in tree[1:])


def _atom(expr: str) -> str:
    """``expr`` wrapped in parentheses unless it already is one atom (a name, a number, one bracketed group)."""
    if expr.isidentifier() or expr.replace(".", "", 1).replace("e-", "", 1).replace("e+", "", 1).isdigit():
        return expr
    if expr.startswith("("):
        depth = 0
        for i, ch in enumerate(expr):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                if i == len(expr) - 1:
                    return expr
                break
    return f"({expr})"


def _scaled(factor: float, upstream: str) -> str:
    """``factor * upstream``, written without the multiplication where it is exact to drop it."""
    if factor == 1.0:
        return upstream
    if factor == -1.0:
        return f"-{upstream}"
    return f"{literal(factor)} * {upstream}"


def build(output: Value, inputs: Sequence[Value], wrt: Sequence[int], answers: Sequence[Answer]) -> Program:
    """The program computing ``output`` and its gradient with respect to ``inputs[i]`` for ``i`` in ``wrt``."""
    names = NameTable()
    position = {v: i for i, v in enumerate(inputs)}
    prog = Program(inputs=[names.name(v.label, f"x{i}") for i, v in enumerate(inputs)], wrt=list(wrt))
    ref: dict[Value, str] = {v: prog.inputs[i] for i, v in enumerate(inputs)}  # live nodes -> identifier
    wanted = {inputs[i] for i in wrt}
    needs: set[Value] = set(wanted)  # nodes that depend on a differentiated input

    backward_order = reverse_topological_order(output)
    main = set(backward_order)
    asked = [a.node for a in answers] + [a.other for a in answers if isinstance(a.other, Value)]
    # the output's graph first, then what only the guards need: each node after its parents, visited depth
    # first from the output with the parents in order, which is the order the function built them in (a
    # layer's neurons one after the other), so batched replay finds a layer's nodes in the order the next
    # layer reads them
    order = _parents_first([output], set()) + _parents_first(asked, main)

    def at(v: Value) -> str:
        return ref[v] if v in ref else literal(v.data)

    tape = Tape(len(inputs))
    slot: dict[Value, Ref] = {v: i for i, v in enumerate(inputs)}  # live nodes -> tape slot

    def tape_ref(v: Value | float) -> Ref:
        if isinstance(v, Value):
            return slot[v] if v in slot else tape.constant(v.data)
        return tape.constant(v)

    count = 0
    for node in order:
        if node in position or not node.parents:
            continue
        if not any(p in ref for p in node.parents):
            continue  # depends on no input: a constant of the program (its recorded value)
        op = ops.op_of(node)
        if op is None:
            raise CompileError(
                f"cannot compile {_describe(node)}: its op {str(node.op)!r} is a plain string (a node made by hand "
                "with numbers for local derivatives), so there is no formula to recompute it from; build it from "
                "the engine's ops"
            )
        if node._hooks:
            raise CompileError(f"cannot compile {_describe(node)}: it has hooks, which compiled replay does not run")
        count += 1
        name = names.name(node.label, f"t{count}")
        ref[node] = name
        if any(p in needs for p in node.parents):
            needs.add(node)
        prog.forward.append(_forward_line(node, op, name, at))
        slot[node] = len(inputs) + len(tape.nodes)
        tape.nodes.append(TapeNode(op, tuple(tape_ref(p) for p in node.parents), ops.constants(node), name,
                                   node.label))
        prog.nodes += 1
        prog.edges += len(node.parents)
    for v in wanted:
        if v._hooks:
            raise CompileError(f"cannot compile {_describe(v)}: it has hooks, which compiled replay does not run")

    prog.output = at(output)
    if output in needs:
        prog.root_grad = GRAD + ref[output]
    for node in backward_order:
        if node not in needs or not node.parents:
            continue
        op = ops.op_of(node)
        upstream = GRAD + ref[node]
        consts = ops.constants(node)
        for i, p in enumerate(node.parents):
            if p in needs:
                # (ignore: op is not None, the forward loop above refused every node without one)
                term = _term(node, op, consts, i, upstream, ref, at)  # type: ignore[arg-type]
                prog.terms.append(Term(GRAD + ref[p], upstream, term, f"d {ref[node]} / d {ref[p]}"))
    reached = {t.target for t in prog.terms}
    if prog.root_grad is not None:
        reached.add(prog.root_grad)
    for i in wrt:
        if GRAD + prog.inputs[i] in reached:
            prog.grads[i] = GRAD + prog.inputs[i]
    prog.guards = _guards(answers, ref, at, tape_ref)
    tape.output = tape_ref(output)
    tape.guards = [g.spec for g in prog.guards if g.spec is not None]
    tape.reach = {slot[v] for v in backward_order if v in slot}
    prog.tape = tape
    return prog


def _comment(node: Value, op: ops.Op) -> str:
    """The op's key and the node's label, cleaned: neither can end the comment or add a line."""
    key, label = comment_text(op.key, 24), comment_text(node.label)
    return f"{key}  {label}" if label else key


def _forward_line(node: Value, op: ops.Op, name: str, at: Callable[[Value], str]) -> Line:
    parents = node.parents
    comment = _comment(node, op)
    if op.forward is not None:
        env = {"a": at(parents[0]), "out": name}
        if op.arity == 2:
            env["b"] = at(parents[1])
        if op.n_consts:
            env["c"] = literal(ops.constants(node)[0])
        return Line(name, ops.python_expr(op.forward, env, inline=True, fn_prefix=FN_PREFIX), comment)
    consts = ops.constants(node)
    refs = [at(p) for p in parents]
    if op.key == "sum":  # c0 + p0 + p1 + ..., in the order of ops.evaluate
        parts = ([literal(consts[0])] if consts[0] != 0.0 else []) + refs
        return Line(name, " + ".join(parts), comment, parts)
    if op.key == "dot":  # c0 + Σ p_2k·p_2k+1 + Σ coef_i·p_i, in the order of ops.evaluate
        npairs = int(consts[1])
        parts = [literal(consts[0])] if consts[0] != 0.0 else []
        parts += [f"{refs[2 * k]} * {refs[2 * k + 1]}" for k in range(npairs)]
        parts += [r if coef == 1.0 else f"{literal(coef)} * {r}" for coef, r in zip(consts[2:], refs[2 * npairs:])]
        return Line(name, " + ".join(parts), comment, parts)
    if op.key == "max":  # the value and the arg max routing its gradient
        return Line(f"{name}, {AUX}{name}", f"_max({', '.join(refs)})", comment)
    if op.key == "logsumexp":  # the value and its local derivatives (the softmax)
        return Line(f"{name}, {AUX}{name}", f"_logsumexp({', '.join(refs)})", comment)
    raise CompileError(f"cannot compile {_describe(node)}: no code generation for the n-ary op {op.key!r}")


def _term(node: Value, op: ops.Op, consts: tuple[float, ...], i: int, upstream: str, ref: dict[Value, str],
          at: Callable[[Value], str]) -> str:
    """The contribution of edge ``i`` of ``node``: its local derivative times ``upstream``."""
    name = at(node)
    if op.grads is not None:
        tree = op.grads[i]
        live = {"out"} | {v for v, p in zip(("a", "b"), node.parents) if p in ref}
        if not _uses_live(tree, live):  # the local derivative is a constant of the program: fold it
            data = [p.data for p in node.parents]
            return _scaled(ops.local_grads(op.key, data, node.data, consts)[i], upstream)
        env = {"a": at(node.parents[0]), "out": name}
        if op.arity == 2:
            env["b"] = at(node.parents[1])
        if op.n_consts:
            env["c"] = literal(consts[0])
        return f"{_atom(ops.python_expr(tree, env, inline=True, fn_prefix=FN_PREFIX))} * {upstream}"
    if op.key == "sum":
        return upstream
    if op.key == "dot":
        npairs = int(consts[1])
        if i < 2 * npairs:
            return f"{at(node.parents[i ^ 1])} * {upstream}"
        return _scaled(consts[2 + i - 2 * npairs], upstream)
    if op.key == "max":
        return f"(1.0 if {AUX}{name} == {i} else 0.0) * {upstream}"
    if op.key == "logsumexp":
        return f"{AUX}{name}[{i}] * {upstream}"
    raise CompileError(f"cannot compile {_describe(node)}: no code generation for the n-ary op {op.key!r}")


def _guards(answers: Sequence[Answer], ref: dict[Value, str], at: Callable[[Value], str],
            tape_ref: Callable[[Value | float], Ref]) -> list[Guard]:
    out: list[Guard] = []
    seen: set[str] = set()
    for a in answers:
        other_live = isinstance(a.other, Value) and a.other in ref
        if a.node not in ref and not other_live:
            continue  # a question about constants: its answer cannot change
        left = at(a.node)
        what = f"{_describe(a.node)}"
        if a.kind == "bool":
            cond = f"{left} != 0.0"
            changed = cond if not a.result else f"not ({cond})"
            desc = f"bool({what}) was {a.result}"
        elif a.kind == "float":
            r = float(a.result)
            changed = f"{left} == {left}" if math.isnan(r) else f"{left} != {literal(r)}"
            desc = f"float({what}) was {r!r} (a number taken out of the graph is a constant of the recording)"
        else:
            right = at(a.other) if isinstance(a.other, Value) else literal(a.other)
            cond = f"{left} {a.kind} {right}"
            changed = f"not ({cond})" if a.result else cond
            other = _describe(a.other) if isinstance(a.other, Value) else repr(a.other)
            desc = f"{what} {a.kind} {other} was {a.result}"
        if changed not in seen:
            seen.add(changed)
            out.append(Guard(changed, desc, _spec(a, tape_ref, desc)))
    return out


def _spec(a: Answer, tape_ref: Callable[[Value | float], Ref], description: str) -> GuardSpec:
    if a.kind in ("bool", "float"):
        right = None
    elif isinstance(a.other, Value):
        right = tape_ref(a.other)
    else:
        right = tape_ref(float(a.other))
    result = a.result if a.kind != "float" else float(a.result)
    return GuardSpec(a.kind, tape_ref(a.node), right, result, description)
