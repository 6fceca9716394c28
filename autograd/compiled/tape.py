"""A recording as data: which op made each node from which slots, for the readers that regroup it.

The scalar program (:mod:`~autograd.compiled.program`) is text, one line per op. Batched replay
(:mod:`~autograd.compiled.batch`) needs the structure instead, to put the ops of one kind at one depth
side by side: a :class:`Tape` lists the ops in a topological order, each reading *slots* (the inputs,
then the ops' results, by position) or recorded *constants* (numbers of the graph that depend on no
input), plus what the guards asked.

References are ints: ``r >= 0`` is slot ``r`` (``0 .. n_inputs - 1`` the inputs, then ``n_inputs + j``
the result of ``nodes[j]``), ``r < 0`` is ``constants[-1 - r]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograd import ops

Ref = int


@dataclass(frozen=True)
class TapeNode:
    """One op of the recording: ``op`` applied to ``args`` (refs), with its recorded ``consts``."""

    op: ops.Op
    args: tuple[Ref, ...]
    consts: tuple[float, ...]
    name: str  # its identifier in the scalar program
    label: str  # the node's label ("" if none)


@dataclass(frozen=True)
class GuardSpec:
    """A question the recorded function asked: ``left <kind> right`` (``bool``/``float`` of ``left``) and its answer."""

    kind: str  # "<", "<=", ">", ">=", "bool" or "float"
    left: Ref
    right: Ref | None
    result: bool | float
    description: str


@dataclass
class Tape:
    n_inputs: int
    nodes: list[TapeNode] = field(default_factory=list)
    constants: list[float] = field(default_factory=list)
    output: Ref = -1
    guards: list[GuardSpec] = field(default_factory=list)
    reach: set[Ref] = field(default_factory=set)  # slots the output depends on (its backward pass reaches)

    def constant(self, x: float) -> Ref:
        """The ref of constant ``x`` (appended; the same number may appear twice, which is harmless)."""
        self.constants.append(x)
        return -len(self.constants)

    def value(self, ref: Ref) -> float:
        """A constant's number (``ref < 0``)."""
        return self.constants[-1 - ref]
