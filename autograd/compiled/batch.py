"""Batched replay: one example's recording replayed over a whole batch with NumPy arrays, as code.

A recording (:class:`~autograd.compiled.tape.Tape`) is the graph of *one* example. Replayed over a
batch, each of its values becomes a row of B numbers, one per example; inputs given as numbers
(the parameters, usually) stay single numbers, broadcast to every example. Calling NumPy once per
scalar op would cost about a microsecond per op whatever B is, so the ops are regrouped first
(:mod:`autograd.compiled.groups`: the ops of one kind at one depth), and each group becomes one
array operation over a 2-D array (a layer's sixteen ``tanh`` nodes: one ``tanh`` of a 16 x B
array); the ``sum`` and ``dot`` nodes of a group become matrix products: a layer's weighted sums
are ``W @ X`` with ``W`` gathered from the parameters and ``X`` from the previous layer's rows.

The values live in two arrays, ``V`` (one row of B numbers per varying node) and ``U`` (one
number per uniform node, input and constant); each group owns consecutive rows, so a layer
reading the layer before it reads a slice (no copy). Gradients live in ``GV`` and ``GU`` alike.
The generated function names every group's rows (``relu2 = V[19:35]``), so it reads as the
network's forward and backward pass, one line per group: ``Compiled.source(batched=...)``.

Each group computes its ops' formulas from :mod:`autograd.ops` in their array forms
(``python_expr(..., array=True)``), so relu's step, abs's sign, max's routing and logsumexp's
softmax are selections made per example, never guards. Gradients of uniform values are summed
over the batch (the gradient of a parameter is the sum of the examples' gradients).

Floating point: every op computes what the scalar replay computes, example by example, except
that the sums of a ``sum``/``dot`` group and the sums over the batch are NumPy's (matrix products,
pairwise sums), in another order than ``backward()``'s: results agree to about 1e-15 relative to
the size of the terms summed, not to the last bit. Gradients start at ``-0.0`` (the identity of
IEEE addition), so a gradient that is a single ``-0.0`` contribution stays ``-0.0``, as in the
scalar replay and PyTorch.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import ops
from autograd.compiled.codegen import aligned
from autograd.compiled.groups import CONST, LIN, UNIFORM, VARYING, Builder, Group, float_key
from autograd.compiled.names import AUX, GRAD, comment_text
from autograd.compiled.tape import GuardSpec, Ref, Tape

_ROWS = {"max": "max_rows", "logsumexp": "logsumexp_rows"}


@dataclass
class Layout:
    """Where the wrapper puts the inputs and finds the results (rows of V, entries of U)."""

    n_rows: int  # rows of V
    n_entries: int  # entries of U
    u_base: list[float]  # U's initial contents (the constants; inputs and computed entries are overwritten)
    input_space: list[str]
    input_at: list[int]  # per input: its row of V ("v") or entry of U ("u")
    output: tuple[str, Any]  # ("v", row) | ("u", entry) | ("c", number)
    grads: dict[int, tuple[str, int]]  # input position -> ("v", row of GV) | ("u", entry of GU); absent: 0
    guards: list[GuardSpec] = field(default_factory=list)
    # the same, arranged for the wrapper: which inputs fill U's first entries and V's first rows (in order),
    # and which positions of ``wrt`` read their gradient from which row of GV / entry of GU (or are 0)
    u_inputs: list[int] = field(default_factory=list)
    v_inputs: list[int] = field(default_factory=list)
    v_grads: list[int] = field(default_factory=list)
    v_grad_rows: list[int] = field(default_factory=list)
    u_grads: list[int] = field(default_factory=list)
    u_grad_entries: list[int] = field(default_factory=list)
    v_zero: list[int] = field(default_factory=list)

    def arrange(self, wrt: Sequence[int]) -> None:
        self.u_inputs = [i for i, s in enumerate(self.input_space) if s == UNIFORM]
        self.v_inputs = [i for i, s in enumerate(self.input_space) if s == VARYING]
        for j, i in enumerate(wrt):
            where = self.grads.get(i)
            if where is None:
                if self.input_space[i] == VARYING:
                    self.v_zero.append(j)
            elif where[0] == VARYING:
                self.v_grads.append(j)
                self.v_grad_rows.append(where[1])
            else:
                self.u_grads.append(j)
                self.u_grad_entries.append(where[1])


@dataclass
class BatchProgram:
    source: str  # what runs (and, with its comments, what source() shows)
    namespace: dict[str, Any]  # index arrays and constant matrices the source names
    layout: Layout
    groups: int  # array operations' groups (for reprs and tests)
    fn: Any = None



class _Code:
    """The generated function's text, with the index arrays and constants it names."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.head: list[str] = []
        self.fwd: list[str] = []
        self.guard: list[str] = []
        self.bwd_head: list[str] = []
        self.bwd: list[str] = []
        self.tail: list[str] = []
        self._hoisted: dict[tuple[Any, ...], str] = {}  # refs -> name of the matrix gathered once at the top
        self.hoisted_names: set[str] = set()
        self._hoisted_grads: dict[str, tuple[str, list[list[Ref]]]] = {}  # W name -> (d_W name, refs)
        self.bwd_seed: list[str] = []
        self.note = ""  # the comment of the backward lines being written
        self._grad_views: dict[str, str] = {}  # block name -> the line defining its gradient view
        self._count = 0
        self.v_blocks: list[tuple[int, int, str]] = []  # (start, size, name), sorted by start
        self.u_blocks: list[tuple[int, int, str]] = []
        self.row: dict[int, int] = {}
        self.entry: dict[Ref, int] = {}

    # -- names for constants of the generated code ---------------------------------------------------

    def array(self, prefix: str, data: Any, dtype: str) -> str:
        """A NumPy array constant of the generated code (index arrays, constant matrices), shared when equal."""
        import numpy as np

        arr = np.array(data, dtype=dtype)
        key = (prefix, arr.shape, dtype, arr.tobytes())
        name = self.b._arrays.get(key)
        if name is None:
            self._count += 1
            name = f"_{prefix}{self._count}"
            arr.setflags(write=False)
            self.b.ns[name] = arr
            self.b._arrays[key] = name
        return name

    # -- reading values ------------------------------------------------------------------------------

    def _block(self, blocks: list[tuple[int, int, str]], at: int) -> tuple[int, int, str] | None:
        k = bisect.bisect_right(blocks, (at, float("inf"), "")) - 1
        if k >= 0 and blocks[k][0] <= at < blocks[k][0] + blocks[k][1]:
            return blocks[k]
        return None

    def _index(self, whole: str, blocks: list[tuple[int, int, str]], at: list[int], shape: tuple[int, ...],
               one: bool) -> tuple[str, bool]:
        """An expression for ``whole[at]`` (reshaped to ``shape``); True when it is a view (no copy).

        Rows inside one named block are read through its name (``relu2[3:5]``); ``one`` allows a
        single repeated row to be read once and broadcast.
        """
        first = self._block(blocks, at[0])
        base, offset = (first[2], first[0]) if first and all(
            first[0] <= a < first[0] + first[1] for a in at) else (whole, 0)
        rel = [a - offset for a in at]
        if one and all(r == rel[0] for r in rel):
            return f"{base}[{rel[0]}]", True
        if len(shape) == 1 and rel == list(range(rel[0], rel[0] + len(rel))):
            if first is not None and base != whole and rel[0] == 0 and len(rel) == first[1]:
                return base, True
            return f"{base}[{rel[0]}:{rel[0] + len(rel)}]", True
        import numpy as np

        idx = self.array("i", np.array(rel).reshape(shape), "intp")
        return f"{base}[{idx}]", False

    def rows(self, refs: list[Ref], one: bool = True) -> tuple[str, bool]:
        """Varying refs as an (n, B) expression (or (B,) when all equal and ``one``)."""
        return self._index("V", self.v_blocks, [self.row[r] for r in refs], (len(refs),), one)

    def rows2(self, refs: list[list[Ref]]) -> tuple[str, bool]:
        """Varying refs ``[n][T]`` as an (n, T, B) expression."""
        flat = [self.row[r] for rs in refs for r in rs]
        return self._index("V", self.v_blocks, flat, (len(refs), len(refs[0])), False)

    def uniform(self, refs: list[Ref], column: bool, one: bool = True) -> tuple[str, bool]:
        """Uniform/constant refs as an (n,) expression, (n, 1) with ``column``; constants baked in."""
        b = self.b
        if all(r < 0 for r in refs):
            vals = [b.value(r) for r in refs]
            if one and all(float_key(v) == float_key(vals[0]) for v in vals):
                return _literal(vals[0]), True
            return self.array("c", [[v] for v in vals] if column else vals, "float64"), True
        expr, view = self._index("U", self.u_blocks, [self.entry[r] for r in refs], (len(refs),), one)
        if column and not (one and all(r == refs[0] for r in refs)):
            expr = f"{expr}[:, None]"
        return expr, view

    def uniform2(self, refs: list[list[Ref]]) -> str:
        """Uniform/constant refs ``[n][T]`` as an (n, T) matrix: a constant, or gathered once per call."""
        b = self.b
        flat = [r for rs in refs for r in rs]
        if all(r < 0 for r in flat):
            return self.array("c", [[b.value(r) for r in rs] for rs in refs], "float64")
        expr, _ = self._index("U", self.u_blocks, [self.entry[r] for r in flat], (len(refs), len(refs[0])), False)
        if any(r >= b.n_in for r in flat):  # a uniform node: known only once the forward pass reached it
            return expr
        key = tuple(tuple(rs) for rs in refs)
        name = self._hoisted.get(key)
        if name is None:  # inputs and constants only: gathered once per call, however many groups read it
            name = self._hoisted[key] = b.names.name("W", "W")
            self.hoisted_names.add(name)
            self.head.append(f"{name} = {expr}  # {len(refs)} x {len(refs[0])} numbers given as inputs")
        return name

    # -- writing gradients ---------------------------------------------------------------------------

    def scatter(self, refs: list[Ref] | list[list[Ref]], contrib: str, varying_group: bool,
                squeezed: bool = False) -> None:
        """``contrib`` (shaped like ``refs``, then B in a varying group) added into the gradients of ``refs``.

        ``squeezed``: one ref, and ``contrib`` without the node axis (B numbers, or one).
        """
        b = self.b
        two_d = bool(refs) and isinstance(refs[0], list)
        # (ignore: two_d tells which of the two kinds of list refs is)
        flat: list[Ref] = [r for rs in refs for r in rs] if two_d else list(refs)  # type: ignore[union-attr,arg-type]
        if not any(r >= 0 and b.wanted[r] for r in flat):
            return
        kinds = {b.kind(r) for r in flat}
        if VARYING in kinds:
            assert kinds == {VARYING}, kinds
            whole, blocks, at = "V", self.v_blocks, [self.row[r] for r in flat]
        else:
            whole, blocks, at = "U", self.u_blocks, [self.entry[r] for r in flat]
            if varying_group:  # a uniform value's gradient: summed over the batch
                contrib = f"({contrib}).sum()" if squeezed else f"({contrib}).sum(-1)"
        if squeezed:
            first = self._block(blocks, at[0])
            target = f"{self.grad_view(whole, first)}[{at[0] - first[0]}]" if first else f"G{whole}[{at[0]}]"
            self._emit(f"{target} += {contrib}")
            return
        self._add(whole, blocks, at, refs, two_d, contrib)

    def grad_view(self, whole: str, block: tuple[int, int, str]) -> str:
        """The name of the gradient rows of ``block`` (defined at the start of the backward pass)."""
        name = f"{GRAD}{block[2]}"
        if name not in self._grad_views:
            self._grad_views[name] = f"{name} = G{whole}[{block[0]}:{block[0] + block[1]}]"
        return name

    def _emit(self, line: str) -> None:
        """A backward line, with the current note (which derivative it applies) as its comment."""
        self.bwd.append(f"{line}  # {self.note}" if self.note else line)

    def group_grad(self, g: Group) -> str:
        """The name of group ``g``'s gradient rows."""
        return self.grad_view("V" if g.space == VARYING else "U", (g.start, len(g.slots), g.name))

    def _add(self, whole: str, blocks: list[tuple[int, int, str]], at: list[int], refs: Any, two_d: bool,
             contrib: str) -> None:
        n = len(refs)
        unique = len(set(at)) == len(at)
        first = self._block(blocks, at[0])
        inside = first is not None and all(first[0] <= a < first[0] + first[1] for a in at)
        gwhole = f"G{whole}"
        if not two_d and all(a == at[0] for a in at):
            target = f"{self.grad_view(whole, first)}[{at[0] - first[0]}]" if first else f"{gwhole}[{at[0]}]"
            self._emit(f"{target} += ({contrib}).sum(0)" if n > 1 else f"{target} += ({contrib})[0]")
            return
        if unique and inside and first is not None and not two_d:
            rel = [a - first[0] for a in at]
            if rel == list(range(rel[0], rel[0] + n)):
                view = self.grad_view(whole, first)
                target = view if rel[0] == 0 and n == first[1] else f"{view}[{rel[0]}:{rel[0] + n}]"
                self._emit(f"{target} += {contrib}")
                return
        import numpy as np

        shape = (n, len(refs[0])) if two_d else (n,)
        idx = self.array("i", np.array(at).reshape(shape), "intp")
        if unique:
            self._emit(f"{gwhole}[{idx}] += {contrib}")
        else:
            self._emit(f"np.add.at({gwhole}, {idx}, {contrib})")


def _literal(x: float) -> str:
    """A recorded number as source: a NumPy float (``f8(2.5)``), so arithmetic on it follows IEEE, never raises.

    (``1.0 / 0.0`` on Python floats raises; on NumPy floats it is ``inf``, as the scalar replay's ``f_div``.)
    """
    return f"f8({float(x)!r})"


def build(tape: Tape, wrt: Sequence[int], spaces: Sequence[str], title: str, backward: bool = True) -> BatchProgram:
    """The batched program of ``tape``: inputs in ``spaces`` (``"v"`` an array, ``"u"`` a number per input)."""
    b = Builder(tape, wrt, spaces, backward)
    code = _Code(b)
    n_in = b.n_in
    # -- layout: varying inputs, then the varying groups (rows of V); uniform inputs, constants, groups (U)
    v_in = [i for i in range(n_in) if spaces[i] == VARYING]
    u_in = [i for i in range(n_in) if spaces[i] == UNIFORM]
    for k, i in enumerate(v_in):
        code.row[i] = k
    for k, i in enumerate(u_in):
        code.entry[i] = k
    n_rows, n_entries = len(v_in), len(u_in)
    if v_in:
        code.v_blocks.append((0, len(v_in), "X"))
    if u_in:
        code.u_blocks.append((0, len(u_in), "P"))
    # every group's constants exist by now (grouping made them): give each an entry of U
    for k in range(len(b.consts)):
        code.entry[-1 - k] = n_entries + k
    n_entries += len(b.consts)
    for g in b.groups:
        label = b.tape.nodes[g.slots[0] - n_in].label if len(g.slots) == 1 else ""
        g.name = b.names.name(label or f"{g.op.key}{g.level}", f"g{g.level}")  # one labelled node: its label
        n = len(g.slots)
        if g.space == VARYING:
            g.start, n_rows = n_rows, n_rows + n
            code.v_blocks.append((g.start, n, g.name))
            for k, s in enumerate(g.slots):
                code.row[s] = g.start + k
        else:
            g.start, n_entries = n_entries, n_entries + n
            code.u_blocks.append((g.start, n, g.name))
            for k, s in enumerate(g.slots):
                code.entry[s] = g.start + k
    u_base = [0.0] * n_entries
    for k, x in enumerate(b.consts):
        u_base[len(u_in) + k] = x

    # -- forward and backward of every group
    for g in b.groups:
        whole, blocks = ("V", code.v_blocks) if g.space == VARYING else ("U", code.u_blocks)
        code.head.append(f"{g.name} = {whole}[{g.start}:{g.start + len(g.slots)}]")
    bwd_groups = []
    for g in b.groups:
        comment = _group_comment(b, g)
        if g.op.key in LIN:
            back = _lin(code, g, comment)
        elif g.op.key in _ROWS:
            back = _rows_op(code, g, comment)
        else:
            back = _fixed(code, g, comment)
        bwd_groups.append(back)
    # guards
    varying_guards: list[str] = []
    for k, spec in enumerate(tape.guards):
        cond = _guard_changed(code, spec)
        if cond is None:
            continue
        expr, varying = cond
        if varying:
            varying_guards.append(f"({k}, {expr})")
        else:
            code.guard.append(f"if {expr}: return _changed({k})  # {comment_text(spec.description, 80)}")
    if varying_guards:
        code.guard.append(f"_bad = [{', '.join(varying_guards)}]")
        code.guard.append("if any(m.any() for _, m in _bad): return _rows(_bad)")

    # -- the output and the gradients
    out = tape.output
    if out < 0:
        output: tuple[str, Any] = (CONST, b.value(out))
    elif b.space[out] == VARYING:
        output = (VARYING, code.row[out])
    else:
        output = (UNIFORM, code.entry[out])
    grads: dict[int, tuple[str, int]] = {}
    if backward:
        if out >= 0 and b.needs[out]:
            group = next(g for g in b.groups if out in g.slots)
            at = f"{code.group_grad(group)}[{group.slots.index(out)}]"
            if b.space[out] == VARYING:
                code.bwd_seed = [f"{at} += seed  # d out / d out = 1 for every example"]
            else:
                code.bwd_seed = [f"{at} += seed.sum()  # d out / d out, summed over the batch"]
            for back in reversed(bwd_groups):
                if back is not None:
                    back()
            code.note = "the gradients of the weights, into their inputs"
            for dname, refs in code._hoisted_grads.values():
                code.scatter(refs, dname, varying_group=False)
        for i in wrt:
            if i == out or (out >= 0 and b.needs[out] and _reaches(b, i)):
                grads[i] = (VARYING, code.row[i]) if spaces[i] == VARYING else (UNIFORM, code.entry[i])
    layout = Layout(n_rows, n_entries, u_base, list(spaces), [code.row[i] if spaces[i] == VARYING else code.entry[i]
                                                              for i in range(n_in)], output, grads, list(tape.guards))
    layout.arrange(wrt)
    source = _assemble(code, title, backward)
    return BatchProgram(source, b.ns, layout, len(b.groups))


def _reaches(b: Builder, i: int) -> bool:
    return i in b.tape.reach


def _group_comment(b: Builder, g: Group) -> str:
    labels = [b.tape.nodes[s - b.n_in].label or b.tape.nodes[s - b.n_in].name for s in g.slots]
    what = comment_text(labels[0], 24) if len(labels) == 1 else \
        f"{comment_text(labels[0], 20)} .. {comment_text(labels[-1], 20)}"
    return f"{len(g.slots)} x {comment_text(g.op.key, 16)}: {what}"


# -- the three kinds of groups ---------------------------------------------------------------------


def _fixed(code: _Code, g: Group, comment: str) -> Callable[[], None] | None:
    """An op with formulas (``+ - * / ** exp tanh relu ...``): its array form, once for the group."""
    b = code.b
    op = g.op
    varying = g.space == VARYING
    exprs = []
    for pos in range(len(g.operands[0])):
        refs = [operands[pos] for operands in g.operands]
        if b.kind(refs[0]) == VARYING:
            e, view = code.rows(refs)
        else:
            e, view = code.uniform(refs, column=varying)
        if not view:  # a gather (a copy): once, named, and kept for the backward pass
            name = b.names.name(f"{g.name}_{'abc'[pos]}", "t")
            code.fwd.append(f"{name} = {e}")
            e = name
        exprs.append(e)
    single = len(g.slots) == 1  # one node: written with rows (g[0]), no node axis
    env = {"out": f"{g.name}[0]" if single else g.name}
    for var, e in zip(("a", "b"), exprs[:op.arity]):
        env[var] = e
    if op.n_consts:
        env["c"] = exprs[-1]
    # (ignores: an op of fixed arity, here, always has its forward and grads formulas)
    forward = ops.python_expr(op.forward, env, array=True)  # type: ignore[arg-type]
    code.fwd.append(f"{g.name}[...] = {forward}  # {comment}")
    if not code.b.backward or not any(b.wanted[s] for s in g.slots):
        return None

    def back() -> None:
        up = code.group_grad(g) + ("[0]" if single else "")
        for pos, tree in enumerate(op.grads):  # type: ignore[arg-type]
            refs = [operands[pos] for operands in g.operands]
            code.note = f"d {g.name} / d {exprs[pos]}"
            if tree == ["num", 1.0]:
                contrib = up
            elif tree in (["num", -1.0], ["neg", ["num", 1.0]]):
                contrib = f"(-{up})"
            else:
                contrib = f"{ops.python_expr(tree, env, array=True)} * {up}"
            code.scatter(refs, contrib, varying, squeezed=single)

    return back


def _lin(code: _Code, g: Group, comment: str) -> Callable[[], None] | None:
    """``sum`` and ``dot`` nodes: ``c0 + Σ left * right`` for the group, as matrix products where it can."""
    b = code.b
    varying = g.space == VARYING
    n = len(g.slots)
    kinds = [(b.kind(lt), b.kind(rt)) for lt, rt in g.terms[0]]
    wpos = [t for t, (kl, kr) in enumerate(kinds) if kl != VARYING and kr == VARYING]
    vpos = [t for t, (kl, kr) in enumerate(kinds) if kl == VARYING and kr == VARYING]
    upos = [t for t, (kl, kr) in enumerate(kinds) if kl != VARYING and kr != VARYING]
    parts: list[str] = []
    backs: list[Callable[[], None]] = []
    names = b.names
    up = f"{GRAD}{g.name}"  # registered by back() below, before any of these run

    if wpos:
        left = [[g.terms[k][t][0] for t in wpos] for k in range(n)]
        right = [[g.terms[k][t][1] for t in wpos] for k in range(n)]
        w = code.uniform2(left)
        shared = all(right[k] == right[0] for k in range(n))
        if shared:  # the layer case: every node reads the same rows: one matrix product
            x, view = code.rows(right[0], one=False)
            if not view:
                xname = names.name(f"{g.name}_x", "x")
                code.fwd.append(f"{xname} = {x}")
                x = xname
            parts.append(f"{w} @ {x}")

            def back_w(w: str = w, x: str = x, left: list[list[Ref]] = left, right: list[list[Ref]] = right) -> None:
                code.scatter(right[0], f"{w}.T @ {up}", True)
                _weights_grad(code, w, left, f"{up} @ {x}.T")
        else:  # each node its own rows (a convolution's patches): products summed per node
            x, _ = code.rows2(right)
            xname = names.name(f"{g.name}_x", "x")
            code.fwd.append(f"{xname} = {x}")
            parts.append(f"np.einsum('nt,ntb->nb', {w}, {xname})")

            def back_w(w: str = w, x: str = xname, left: list[list[Ref]] = left,
                       right: list[list[Ref]] = right) -> None:
                code.scatter(right, f"{w}[:, :, None] * {up}[:, None, :]", True)
                _weights_grad(code, w, left, f"np.einsum('ntb,nb->nt', {x}, {up})")
        backs.append(back_w)

    if vpos:
        left = [[g.terms[k][t][0] for t in vpos] for k in range(n)]
        right = [[g.terms[k][t][1] for t in vpos] for k in range(n)]
        lname, rname = names.name(f"{g.name}_l", "l"), names.name(f"{g.name}_r", "r")
        code.fwd.append(f"{lname} = {code.rows2(left)[0]}")
        code.fwd.append(f"{rname} = {code.rows2(right)[0]}")
        parts.append(f"({lname} * {rname}).sum(1)")

        def back_v(left: list[list[Ref]] = left, right: list[list[Ref]] = right, ln: str = lname,
                   rn: str = rname) -> None:
            code.scatter(left, f"{rn} * {up}[:, None, :]", True)
            code.scatter(right, f"{ln} * {up}[:, None, :]", True)
        backs.append(back_v)

    if upos:
        left = [[g.terms[k][t][0] for t in upos] for k in range(n)]
        right = [[g.terms[k][t][1] for t in upos] for k in range(n)]
        lu, ru = code.uniform2(left), code.uniform2(right)
        if len(upos) == 1 and all(rs[0] < 0 and b.value(rs[0]) == 1.0 for rs in left):  # 1 * bias: the bias
            parts.append(ru if varying else f"{ru}[:, 0]")
        else:
            parts.append(f"({lu} * {ru}).sum(1)" + ("[:, None]" if varying else ""))

        def back_u(left: list[list[Ref]] = left, right: list[list[Ref]] = right, lu: str = lu, ru: str = ru) -> None:
            total = f"{up}.sum(1)" if varying else up
            _weights_grad(code, lu, left, f"{ru} * {total}[:, None]")
            _weights_grad(code, ru, right, f"{lu} * {total}[:, None]")
        backs.append(back_u)

    if any(c != 0.0 for c in g.c0):
        c0, _ = code.uniform([b.const(c) for c in g.c0], column=varying)
        parts.append(c0)
    if not parts:
        parts.append("0.0")
    code.fwd.append(f"{g.name}[...] = {' + '.join(parts)}  # {comment}")
    if not b.backward or not any(b.wanted[s] for s in g.slots):
        return None

    def back() -> None:
        code.group_grad(g)
        code.note = f"d {g.name} / d its inputs and weights"
        for fn in backs:
            fn()

    return back


def _weights_grad(code: _Code, w: str, refs: list[list[Ref]], contrib: str) -> None:
    """Add ``contrib`` (n x T, summed over the batch) to the gradients of the uniform refs read as ``w``."""
    b = code.b
    if not any(r >= 0 and b.wanted[r] for rs in refs for r in rs):
        return
    if w in code.hoisted_names:
        entry = code._hoisted_grads.get(w)
        if entry is None:
            dname = f"{GRAD}{w}"
            code._hoisted_grads[w] = (dname, refs)
            code.bwd_head.append(f"{dname} = np.zeros({w}.shape)")
        code.bwd.append(f"{GRAD}{w} += {contrib}")
        return
    code.scatter(refs, contrib, varying_group=False)


def _rows_op(code: _Code, g: Group, comment: str) -> Callable[[], None] | None:
    """``max`` and ``logsumexp``: the inputs of each node stacked, reduced per example (ops.max_rows, ...)."""
    b = code.b
    varying = g.space == VARYING
    width = len(g.operands[0])
    kinds = [b.kind(r) for r in g.operands[0]]
    if varying and all(k == VARYING for k in kinds):
        stack, _ = code.rows2(g.operands)
    elif not varying:
        stack = code.uniform2(g.operands)
    else:  # varying and uniform inputs mixed: broadcast each column to (n, B), then stack
        cols = []
        for pos in range(width):
            refs = [operands[pos] for operands in g.operands]
            cols.append(code.rows(refs, one=False)[0] if kinds[pos] == VARYING else code.uniform(refs, column=True)[0])
        stack = f"np.stack(np.broadcast_arrays({', '.join(cols)}), 1)"
    aux = f"{AUX}{g.name}"
    code.fwd.append(f"{g.name}[...], {aux} = {_ROWS[g.op.key]}({stack})  # {comment}")
    if not b.backward or not any(b.wanted[s] for s in g.slots):
        return None

    def back() -> None:
        up = code.group_grad(g)
        code.note = f"d {g.name} / d its inputs"
        if g.op.key == "max":
            import numpy as np

            ar = code.array("k", np.arange(width).reshape((1, width, 1) if varying else (1, width)), "intp")
            local = f"({aux}[:, None] == {ar})"
        else:
            local = aux
        if all(k == kinds[0] for k in kinds):
            code.scatter(g.operands, f"{local} * {up}[:, None]", varying)
            return
        for pos in range(width):
            refs = [operands[pos] for operands in g.operands]
            code.scatter(refs, f"{local}[:, {pos}] * {up}", varying)

    return back


def _guard_changed(code: _Code, spec: GuardSpec) -> tuple[str, bool] | None:
    """``(condition true where the answer differs now, whether it varies over the batch)``."""
    b = code.b

    def read(r: Ref) -> tuple[str, bool]:
        if r < 0:
            return _literal(b.value(r)), False
        if b.space[r] == VARYING:
            return code.rows([r])[0], True
        return code.uniform([r], column=False)[0], False

    left, lv = read(spec.left)
    if spec.kind == "bool":
        cond = f"{left} == 0.0" if spec.result else f"{left} != 0.0"
        return f"({cond})", lv
    if spec.kind == "float":
        r = float(spec.result)
        cond = f"{left} == {left}" if r != r else f"{left} != {_literal(r)}"
        return f"({cond})", lv
    assert spec.right is not None
    right, rv = read(spec.right)
    cond = f"({left} {spec.kind} {right})"
    return (f"~{cond}" if spec.result else cond), lv or rv


def _assemble(code: _Code, title: str, backward: bool) -> str:
    ind = "    "
    args = "V, U, GV, GU, seed" if backward else "V, U"
    lines = [f"def batch_replay({args}):",
             f"{ind}# {comment_text(title, 60)}: one example's recording over a batch of B examples",
             f"{ind}# V: a row of B numbers per varying value (X: the array inputs); U: one number per uniform",
             f"{ind}# value (P: the inputs given as numbers, then the constants); groups: ops of one kind at one depth"]
    views = []
    if code.v_blocks and code.v_blocks[0][2] == "X":
        views.append(f"X = V[0:{code.v_blocks[0][1]}]")
    if code.u_blocks and code.u_blocks[0][2] == "P":
        views.append(f"P = U[0:{code.u_blocks[0][1]}]")
    body = [*views, *code.head]
    body.append("# forward: one line per group")
    body += code.fwd
    if code.guard:
        body.append("# guards: the recording holds for the examples whose answers are the same")
        body += code.guard
    if backward and code.bwd_seed:
        body.append("# backward: the chain rule, one group at a time (gradients start at -0.0, adding changes nothing)")
        body += code._grad_views.values()
        body += code.bwd_head
        body += code.bwd_seed
        body += code.bwd
    body.append("return None")
    return "\n".join(lines + aligned([ind + line for line in body], 110)) + "\n"


