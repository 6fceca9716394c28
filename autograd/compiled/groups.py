"""Which ops of a recording run together in batched replay: depths, spaces and groups.

Replayed over a batch, every value of one example's recording becomes B numbers (it *varies*
over the batch, space ``"v"``) or stays one number (*uniform*, ``"u"``: it depends only on inputs
given as numbers, the parameters usually). Each op gets a *depth*: 1 + the depth of its deepest
input (inputs are at depth 0), so the nodes at one depth depend on nothing at that depth. The
nodes of one op at one depth whose operands are of the same kinds form a :class:`Group`,
computed by one array operation (:mod:`autograd.compiled.batch` writes the code): a layer's
sixteen ``tanh`` nodes, its sixteen weighted sums.

``sum`` and ``dot`` nodes are read as ``c0 + Σ left·right`` (a sum's terms are ``1·x``), with the
varying factor of each product on the right, so the products of a group line up as a matrix
product (uniform weights on the left, varying activations on the right).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import ops
from autograd.compiled.names import NameTable
from autograd.compiled.tape import Ref, Tape

VARYING, UNIFORM, CONST = "v", "u", "c"
LIN = ("sum", "dot")  # read as sums of products


@dataclass
class Group:
    """Nodes (slots) of one op at one depth whose operands have the same kinds: computed together."""

    level: int
    space: str
    op: ops.Op
    slots: list[int] = field(default_factory=list)
    operands: list[list[Ref]] = field(default_factory=list)  # per node: its refs (fixed-arity, max, logsumexp)
    terms: list[list[tuple[Ref, Ref]]] = field(default_factory=list)  # per node (sum/dot): (left, right) pairs
    c0: list[float] = field(default_factory=list)  # per node (sum/dot): the constant term
    name: str = ""
    start: int = 0  # first row of V (or entry of U) the group owns


def float_key(x: float) -> bytes:
    return struct.pack("<d", x)  # tells -0.0 from 0.0 and keeps NaN payloads apart


class Builder:
    """The kinds, depths and groups of a recording's nodes, for the inputs given as arrays (``spaces``)."""

    def __init__(self, tape: Tape, wrt: Sequence[int], spaces: Sequence[str], backward: bool) -> None:
        self.tape = tape
        self.backward = backward
        self.n_in = tape.n_inputs
        self.consts: list[float] = list(tape.constants)
        self._const_index: dict[bytes, Ref] = {}
        n = self.n_in + len(tape.nodes)
        self.space: list[str] = list(spaces) + [UNIFORM] * len(tape.nodes)
        self.level = [0] * n
        needs = [False] * n
        for i in wrt:
            needs[i] = True
        for j, node in enumerate(tape.nodes):
            s = self.n_in + j
            lv, sp, nd = 0, UNIFORM, False
            for r in node.args:
                if r >= 0:
                    lv = max(lv, self.level[r])
                    sp = VARYING if self.space[r] == VARYING else sp
                    nd = nd or needs[r]
            self.level[s], self.space[s], needs[s] = lv + 1, sp, nd
        self.needs = needs
        # a node's gradient is wanted if it depends on a differentiated input and the output depends on it
        self.wanted = [needs[s] and (s in tape.reach or s < self.n_in) for s in range(n)]
        self.names = NameTable()
        self.ns: dict[str, Any] = {}
        self._arrays: dict[tuple[Any, ...], str] = {}
        self.groups = self._group()

    # -- constants and kinds -------------------------------------------------------------------------

    def const(self, x: float) -> Ref:
        k = float_key(x)
        if k not in self._const_index:
            self.consts.append(x)
            self._const_index[k] = -len(self.consts)
        return self._const_index[k]

    def value(self, r: Ref) -> float:
        return self.consts[-1 - r]

    def kind(self, r: Ref) -> str:
        return CONST if r < 0 else self.space[r]

    # -- grouping ------------------------------------------------------------------------------------

    def _group(self) -> list[Group]:
        found: dict[tuple[Any, ...], Group] = {}
        for j, node in enumerate(self.tape.nodes):
            s = self.n_in + j
            op = node.op
            if op.key in LIN:
                c0, terms = self._terms(node)
                sig: tuple[Any, ...] = ("lin", tuple((self.kind(a), self.kind(b)) for a, b in terms))
            else:
                operands = list(node.args)
                if op.n_consts:
                    operands.append(self.const(node.consts[0]))
                sig = (op.key, tuple(self.kind(r) for r in operands))
            key = (self.level[s], self.space[s], sig)
            g = found.get(key)
            if g is None:
                g = found[key] = Group(self.level[s], self.space[s], op)
            g.slots.append(s)
            if op.key in LIN:
                g.terms.append(terms)
                g.c0.append(c0)
            else:
                g.operands.append(operands)
        return sorted(found.values(), key=lambda g: g.level)  # stable: first appearance within a depth

    def _terms(self, node: Any) -> tuple[float, list[tuple[Ref, Ref]]]:
        """A sum or dot node as ``c0 + Σ left * right``, the varying factor of each product on the right."""
        args, consts = node.args, node.consts
        if node.op.key == "sum":
            one = self.const(1.0)
            pairs = [(one, a) for a in args]
            c0 = consts[0] if consts else 0.0
        else:
            c0, npairs = consts[0], int(consts[1])
            pairs = [(args[2 * k], args[2 * k + 1]) for k in range(npairs)]
            pairs += [(self.const(coef), a) for coef, a in zip(consts[2:], args[2 * npairs:])]
        out = []
        for a, b in pairs:
            if self.kind(a) == VARYING and self.kind(b) != VARYING:
                a, b = b, a
            out.append((a, b))
        return c0, out
