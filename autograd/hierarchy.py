"""A graph's hierarchy: the tree of boxes (model > layer > neuron, example > ..., scopes, chunks) its values sit in.

``hierarchy(root)`` reads what was recorded while the graph was built
(:mod:`autograd.scopes`): the calls of ``nn`` modules and the
``autograd.scope(...)`` blocks. Nothing is guessed from label text (except
with ``group_by="labels"``, kept for compatibility). Drawings and the explorer
collapse, expand and lay out this tree one box at a time.

Where a value goes (the rules, and why)
---------------------------------------
* **Made inside a scope**: in the innermost frame (scope or module call) that
  was active when it was made; a scope marks every node made inside it.
* **Returned by a module call**: in the innermost call that returned it, in
  the part of the call that made it when the module names its parts
  (``Module.recorded_parts``: a layer's neurons, told apart by their weights; a
  convolution's or pooling's channels and an RNN's steps, by position).
* **Any other op result**: in the innermost box holding every value that uses
  it, after leaving each call the value was passed into as an argument (a
  value passed to a call was made outside it) and each scope (a value made
  inside a scope would have been marked). So a neuron's weighted sum is in the
  neuron, a layer's input is outside the layer.
* **Leaves**: parameters are placed where they are used: in the innermost box
  holding every module call that uses them (a neuron's weights in the neuron;
  an RNN's weights, shared by all steps, in the RNN box). Uses outside any
  module call (a weight-decay term) do not move them. When that box is the
  whole graph (a model called once per example), they go into a
  ``parameters`` box that mirrors the model's modules, so that no example
  seems to feed another. Other leaves go where their users are, outside the
  calls they are passed into (a model's input is next to the model, in its
  example).
* **Examples**: when one module is called several times at the top of the
  graph (a batch of examples summed into a loss), each call becomes the box
  ``example k`` (k from 0, in the order of the graph), and every value outside
  the calls that depends on that example alone (its loss term, its target)
  joins it.
* **Chunks**: a box with more than ``max_items`` direct items (values and
  boxes) is split into nested ``chunk`` boxes of consecutive items (boxes of
  one kind together, values in reading order; the box's last op result, often
  its output, stays out), so no level of the tree is large: a chain of 10,000
  values becomes top > chunk > chunk > values.

Order: ``nodes``, ``outputs`` and ``inputs`` follow ``order`` (the topological
order). ``children`` read like the program: by their first op result in
:func:`reading_order` (neuron 0, 1, 2; example 0, 1, 2), a parameters box in
the order its model lists its modules.

Names read like the model: ``MLP``, ``layer 1``, ``neuron 3`` (Python's
indices: ``model.layers[1].neurons[3]``, labelled ``L1.N3.*``), ``conv 0`` /
``channel 2`` (a Sequential's first module, one output channel), ``RNN`` >
``step 4`` (the step that makes ``h4``), ``example 2``, a scope's own name.
Siblings with the same name get `` (2)``, `` (3)``... appended.

Cost: linear in the graph (each edge is looked at a few times, times the depth
of the tree); nothing is recorded per node while the graph is built.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Union

from autograd.graph import check_value, collector_paused, topological_order
from autograd.scopes import Call, Frame, GroupPath, Part, Scope, ScopeFrame, parts_of, values_in
from autograd.trace import node_names
from autograd.value import Value, _describe

DEFAULT_MAX_ITEMS = 32
#: What ``group_by=`` takes (:func:`resolve_groups`): ``"labels"``, a Scope, Scopes, or a function of a node
#: giving a box name, a path of names, or None.
GroupBy = Union[str, Scope, Iterable[Scope], Callable[[Value], Union[str, GroupPath, None]]]
KINDS = ("graph", "module", "scope", "example", "group", "chunk")

# Single-input ops that finish a neuron: with group_by="labels" they join the group of their input.
_ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "exp", "log", "sin", "cos", "abs", "neg"})


class Box:
    """A box of the hierarchy: the whole graph, a module call, a scope, an example, a group or a chunk.

    Attributes (see the module docstring for where values go):
        name: display text, as written (never split or re-joined).
        kind: ``"graph"`` (the root box), ``"module"``, ``"scope"``, ``"example"``, ``"group"`` or ``"chunk"``.
        path: names from the top, excluding the root box's own name.
        parent: the enclosing box (None for the root box).
        children: inner boxes, in the order the graph was made (see :func:`reading_order`).
        nodes: values directly in this box (not in a child), in topological order.
        module: the nn Module whose call made the box (or whose parameters it holds), else None.
        count: values in this box and all its descendants.
        inputs: values outside the box that feed a value inside it, in order of first use.
        outputs: values inside the box used outside it (and the root if inside), in topological order.
    """

    __slots__ = ("name", "kind", "path", "parent", "children", "nodes", "module", "count", "_inputs", "_outputs",
                 "_tree", "_first", "_key")

    def __init__(self, name: str, kind: str, parent: Box | None = None, module: Any = None) -> None:
        self.name = name
        self.kind = kind
        self.parent = parent
        self.module = module
        self.children: list[Box] = []
        self.nodes: list[Value] = []
        self.path: tuple[str, ...] = ()
        self.count = 0
        self._inputs: list[Value] | None = None  # computed on first use: a drawing reads few boxes
        self._outputs: list[Value] | None = None
        self._tree: _Tree | None = None
        self._first = 0  # reading_order position of the first value inside
        self._key: Any = None  # what made the box (a frame, a group path...), while building
        if parent is not None:
            parent.children.append(self)

    @property
    def inputs(self) -> list[Value]:
        """Values outside the box that feed a value inside it, in order of first use (topological order)."""
        if self._inputs is None:
            self._inputs, self._outputs = self._tree.crossings(self) if self._tree is not None else ([], [])
        return self._inputs

    @property
    def outputs(self) -> list[Value]:
        """Values inside the box used outside it (and the root if inside), in topological order."""
        if self._outputs is None:
            self._inputs, self._outputs = self._tree.crossings(self) if self._tree is not None else ([], [])
        return self._outputs

    def walk(self) -> Iterator[Box]:
        """This box and every descendant, preorder (a box before its children, children in order)."""
        stack = [self]
        while stack:
            box = stack.pop()
            yield box
            stack.extend(reversed(box.children))

    def box_of(self, node: Value) -> Box:
        """The innermost box of this box's tree that holds ``node`` (ValueError if the graph has no such node)."""
        tree = self._tree
        box = tree.box_of.get(node) if tree is not None else None
        if box is None:
            raise ValueError(f"{node!r} is not a value of the graph this hierarchy was made from")
        return box

    def members(self) -> list[Value]:
        """Every value in this box and its descendants, in topological order."""
        out = [n for b in self.walk() for n in b.nodes]
        index = self._tree.index if self._tree is not None else {}
        out.sort(key=index.__getitem__)
        return out

    def find(self, path: str | Sequence[str]) -> Box:
        """The descendant at ``path`` below this box: a tuple of names, or one string split at ``/``.

        A name that itself contains ``/`` needs the tuple form. ValueError names
        the first missing step and what was there instead.
        """
        steps = tuple(path.split("/")) if isinstance(path, str) else tuple(path)
        box = self
        for k, step in enumerate(steps):
            found = next((c for c in box.children if c.name == step), None)
            if found is None:
                where = "/".join(steps[:k]) or "the top"
                inside = ", ".join(repr(c.name) for c in box.children[:12]) or "no boxes"
                more = ", ..." if len(box.children) > 12 else ""
                raise ValueError(f"no box {step!r} in {where}; it holds {inside}{more}")
            box = found
        return box

    @property
    def depth(self) -> int:
        """How many boxes enclose this one (0 for the root box)."""
        return len(self.path) if self.parent is not None else 0

    def __repr__(self) -> str:
        where = " > ".join(self.path) if self.path else self.name
        n = len(self.children)
        return (f"<Box {self.kind} {where!r}: {self.count} value{'' if self.count == 1 else 's'}, "
                f"{n} box{'' if n == 1 else 'es'}>")


class _Tree:
    """What every box of one tree shares: the topological index, the reading order and each value's box."""

    __slots__ = ("index", "rank", "box_of", "root", "_users")

    def __init__(self, index: dict[Value, int], rank: dict[Value, int], root: Value) -> None:
        self.index = index
        self.rank = rank  # reading_order
        self.box_of: dict[Value, Box] = {}
        self.root = root
        self._users: dict[Value, list[Value]] | None = None

    def users(self) -> dict[Value, list[Value]]:
        """Every value -> the values that take it as an input (once each)."""
        if self._users is None:
            users: dict[Value, list[Value]] = defaultdict(list)
            for node in self.index:
                for p in dict.fromkeys(node.parents):
                    users[p].append(node)
            self._users = users
        return self._users

    def crossings(self, box: Box) -> tuple[list[Value], list[Value]]:
        """``box``'s inputs and outputs (the root box has none)."""
        if box.parent is None:
            return [], []
        members = box.members()
        inside = set(members)
        inputs: dict[Value, None] = {}
        for n in members:
            for p in n.parents:
                if p not in inside:
                    inputs.setdefault(p, None)
        users = self.users()
        outputs = [n for n in members if n is self.root or any(u not in inside for u in users.get(n, ()))]
        return list(inputs), outputs


# -- the entry point ------------------------------------------------------------------------------


def hierarchy(root: Value, order: Sequence[Value] | None = None, group_by: GroupBy | None = None,
              max_items: int | None = DEFAULT_MAX_ITEMS) -> Box:
    """The tree of boxes of ``root``'s graph; returns the root box (kind ``"graph"``).

    Args:
        order: ``autograd.topological_order(root)``, when the caller has it already.
        group_by: None for the recorded hierarchy (nn module calls, ``autograd.scope`` blocks, examples);
            or ``"labels"``, a Scope, a list of Scopes, or a function ``node -> name`` (a str is one box name,
            shown as written; a tuple of str is a path of boxes; None or "" leaves the node outside), as
            ``draw(group_by=...)`` takes.
        max_items: the most direct items (values and boxes) a box may hold before it is split into chunks;
            None never chunks.
    """
    check_value(root, "hierarchy")
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 2):
        raise ValueError(f"max_items must be an int >= 2 or None, got {_describe(max_items)}")
    if order is None:
        order = topological_order(root)
    paths = None if group_by is None else resolve_groups(order, group_by)
    with collector_paused():  # many small objects while the graph is alive: full collections would scan it all
        return _build(root, order, paths, group_kind(group_by), max_items)


def tree_of_groups(root: Value, order: Sequence[Value], groups: dict[Value, GroupPath], kind: str = "group") -> Box:
    """The tree of boxes of a ``node -> path`` mapping (as :func:`resolve_groups` gives), never chunked."""
    with collector_paused():
        return _build(root, order, groups, kind, None)


def _build(root: Value, order: Sequence[Value], paths: dict[Value, GroupPath] | None, kind: str,
           max_items: int | None) -> Box:
    index = {node: k for k, node in enumerate(order)}
    if root not in index:
        raise ValueError(f"order does not hold the root {root!r}: pass autograd.topological_order(root)")
    rank = reading_order(root)
    top = Box("graph", "graph")
    if paths is None:
        where = _Recorded(root, order, rank, top).place()
    else:
        where = _from_paths(order, paths, top, kind)
    for node in order:
        where[node].nodes.append(node)
    _prune(top)
    if max_items is not None:
        names = node_names(root, list(order))
        for box in list(top.walk()):
            _chunk(box, max_items, rank, names)
    _finish(top, root, order, index, rank)
    return top


def reading_order(root: Value) -> dict[Value, int]:
    """Each value's position in a depth-first walk that visits a node's inputs in order, inputs first.

    A topological order that reads like the program: of two values made from
    the same inputs, the one used first comes first (``topological_order``
    lists siblings the other way round). Boxes are ordered by it, so neurons
    read 0, 1, 2 and examples come in the order of the batch.
    """
    rank: dict[Value, int] = {}
    entered = {root}
    stack: list[tuple[Value, int]] = [(root, 0)]
    while stack:
        node, k = stack.pop()
        parents = node.parents
        while k < len(parents) and parents[k] in entered:
            k += 1
        if k < len(parents):
            stack.append((node, k + 1))
            entered.add(parents[k])
            stack.append((parents[k], 0))
        else:
            rank[node] = len(rank)
    return rank


def box_derivatives(box: Box, output: Value | None = None) -> dict[Value, float]:
    """``d output / d x`` for every ``x`` in ``box.inputs``, by a backward pass inside the box.

    The values outside the box are held fixed: this is the derivative of the box
    as a function of its inputs, the number an edge into a collapsed box
    carries. ``output`` defaults to the box's only output (ValueError naming the
    box when it has several and none is given).
    """
    if not isinstance(box, Box):
        raise TypeError(f"box_derivatives needs a Box from autograd.hierarchy.hierarchy(), got {box!r}")
    members = box.members()
    member_set = set(members)
    if output is None:
        if len(box.outputs) != 1:
            raise ValueError(f"box {box.name!r} has {len(box.outputs)} outputs; pass output= (one of box.outputs)")
        output = box.outputs[0]
    elif output not in member_set:
        raise ValueError(f"output {output!r} is not a value of box {box.name!r}")
    through = derivatives_inside(members, output, member_set)
    return {x: through.get(x, 0.0) for x in box.inputs}


def derivatives_inside(members: Sequence[Value], output: Value, member_set: set[Value]) -> dict[Value, float]:
    """d output / d x for every x outside ``member_set`` feeding it, by a backward pass over ``members``.

    ``members`` are in topological order; values outside are held fixed.
    """
    acc = {output: 1.0}
    outside: dict[Value, float] = defaultdict(float)
    for node in reversed(members):
        g = acc.get(node)
        if g is None:
            continue
        for p, lg in zip(node.parents, node.local_grads):
            if p in member_set:
                acc[p] = acc.get(p, 0.0) + lg * g
            else:
                outside[p] += lg * g
    return outside


# -- grouping by a function, labels or scopes (draw's group_by) --------------------------------------


def label_groups(order: Sequence[Value]) -> dict[Value, GroupPath]:
    """Groups read from dotted labels (nn's ``L0.N3.w1`` -> ``("L0", "N3")``), spread to the ops.

    An op joins a group when one of its inputs is a grouped leaf (the neuron's
    weighted sum), or when all its inputs are in that group and it either has
    several inputs (a chain of ``+``) or is an activation. So the loss, which
    mixes a neuron's output with targets or constants, stays outside.
    """
    paths: dict[Value, GroupPath] = {}
    for node in order:  # parents before children
        if "." in node.label:
            paths[node] = tuple(node.label.split(".")[:-1])
            continue
        if not node.parents:
            continue
        leaf_groups = [paths[p] for p in node.parents if not p.parents and p in paths]
        if leaf_groups:
            paths[node] = Counter(leaf_groups).most_common(1)[0][0]
            continue
        found = {paths.get(p) for p in node.parents}
        if len(found) == 1 and None not in found and (len(node.parents) > 1 or node.op in _ACTIVATIONS):
            paths[node] = found.pop()  # type: ignore[assignment]  # not None: tested just above
    return paths


def group_kind(group_by: GroupBy | None) -> str:
    """The kind of the boxes ``group_by`` makes: ``"scope"`` for scopes, ``"group"`` otherwise."""
    scopes = isinstance(group_by, Scope) or (isinstance(group_by, (list, tuple)) and bool(group_by)
                                             and all(isinstance(s, Scope) for s in group_by))
    return "scope" if scopes else "group"


def resolve_groups(order: Sequence[Value], group_by: GroupBy | None) -> dict[Value, GroupPath]:
    """node -> path of group names, for ``group_by`` = "labels", a Scope, a list of Scopes or a function.

    A function's str result is one name, shown as written (``"loss 1/2 (y - a)^2"``
    is one box); a tuple of str is a path of nested boxes.
    """
    if group_by is None:
        return {}
    if isinstance(group_by, str):
        if group_by == "labels":
            return label_groups(order)
        raise ValueError(f"group_by={group_by!r}: the only string accepted is 'labels'")
    if isinstance(group_by, Scope):
        scopes: list[Scope] = [group_by]
    elif callable(group_by):
        out: dict[Value, GroupPath] = {}
        for node in order:
            name = group_by(node)
            if name is None or name == "" or name == ():
                continue
            if isinstance(name, str):
                out[node] = (name,)
            elif isinstance(name, tuple) and name and all(isinstance(n, str) and n for n in name):
                out[node] = name
            else:
                raise TypeError(f"group_by returned {name!r} for {node!r}; expected a str, a tuple of "
                                "non-empty str, or None")
        return out
    else:
        try:
            scopes = list(group_by)
        except TypeError:
            scopes = []
        if not scopes or not all(isinstance(s, Scope) for s in scopes):
            raise TypeError(
                "group_by must be None, 'labels', a Scope, a list of Scopes or a function node -> name; "
                f"got {group_by!r}"
            )
    merged: dict[Value, GroupPath] = {}
    for s in scopes:
        merged.update(s.groups())
    in_graph = set(order)
    return {n: p for n, p in merged.items() if n in in_graph}


def _from_paths(order: Sequence[Value], paths: dict[Value, GroupPath], top: Box, kind: str) -> dict[Value, Box]:
    boxes: dict[GroupPath, Box] = {(): top}

    def box_at(path: GroupPath) -> Box:
        box = boxes.get(path)
        if box is None:
            box = boxes[path] = Box(path[-1], kind, box_at(path[:-1]))
            box._key = path
        return box

    return {node: box_at(paths.get(node, ())) for node in order}


# -- the recorded hierarchy --------------------------------------------------------------------------


_MIXED = object()  # depends on several examples


class _Recorded:
    """Places every value of one graph in a frame (see the module docstring), then makes the boxes."""

    def __init__(self, root: Value, order: Sequence[Value], rank: dict[Value, int], top: Box) -> None:
        self.root = root
        self.order = order
        self.rank = rank  # reading_order
        self.top = top
        self.up: dict[Frame, Frame | None] = {}  # canonical parent of every frame met
        self.canon: dict[Frame, Frame] = {}  # a frame -> the frame it stands for
        self.inputs_of: dict[Frame, set[Value]] = {}
        self.parts: dict[Call, list[Part]] = {}
        self.param_parts: dict[Call, dict[Value, Part]] = {}
        self.depth: dict[Frame | None, int] = {None: 0}
        self.boxes: dict[Frame, Box] = {}
        self.chains: dict[Frame, tuple[list[tuple[Call, set[Value]]], Frame | None]] = {}

    # frames ----------------------------------------------------------------------------------------

    def _canonical(self, frame: Frame) -> Frame:
        """A call of the same module directly inside a call of it (``super().__call__``) is that call."""
        done = self.canon.get(frame)
        if done is not None:
            return done
        chain = []
        f: Frame | None = frame
        while f is not None and f not in self.canon:
            chain.append(f)
            f = f.parent
        for f in reversed(chain):
            parent = self.canon[f.parent] if f.parent is not None else None
            if isinstance(f, Call) and isinstance(parent, Call) and parent.module is f.module:
                self.canon[f] = parent
            else:
                self.canon[f] = f
                self.up[f] = parent
                self.depth[f] = self.depth[parent] + 1
        return self.canon[frame]

    def _parts_of(self, call: Call) -> list[Part]:
        """The parts of a call whose module tells them apart by their parameters (``recorded_parts``)."""
        parts = self.parts.get(call)
        if parts is None:
            recorded = getattr(call.module, "recorded_parts", None)
            named = recorded(call.n_outputs, call.args, call.kwargs or {}) if callable(recorded) else ()
            parts = self.parts[call] = parts_of(call, named)
            for part in parts:
                self.up[part] = call
                self.canon[part] = part
                self.depth[part] = self.depth[call] + 1
        return parts

    def _inputs(self, frame: Frame) -> set[Value]:
        found = self.inputs_of.get(frame)
        if found is None:
            found = self.inputs_of[frame] = (set(values_in((frame.args, frame.kwargs)))
                                             if isinstance(frame, Call) else set())
        return found

    def _lca(self, a: Frame | None, b: Frame | None) -> Frame | None:
        if a is b:
            return a
        if a is None or b is None:
            return None
        up, depth = self.up, self.depth
        da, db = depth[a], depth[b]
        # (ignores: a frame below depth 0, or below the common ancestor, has a parent, never None)
        while da > db:
            a, da = up[a], da - 1  # type: ignore[index]
        while db > da:
            b, db = up[b], db - 1  # type: ignore[index]
        while a is not b:
            a, b = up[a], up[b]  # type: ignore[index]
        return a

    def _tag(self, node: Value) -> Frame | None:
        """The frame a value's mark names, once checked: None for an argument a call passed through."""
        mark = getattr(node, "_box", None)  # (a Value subclass whose __init__ skipped Value's has none)
        if not isinstance(mark, Frame):
            return None
        frame = self._canonical(mark)
        call = frame.parent if isinstance(frame, Part) else frame
        if isinstance(call, Call) and node in self._inputs(call):
            # marked on the way out but made outside: the innermost call that made it marked it first,
            # so this value was made by no call (or by a scope, which would have marked it)
            return None
        if frame is mark and isinstance(frame, Call) and frame.module is not None:
            part = self._part_by_parameters(frame, node)
            if part is not None:
                return part
        return frame

    def _part_by_parameters(self, call: Call, node: Value) -> Part | None:
        """The part of ``call`` that made ``node``, told by the part's parameters among what ``node`` depends
        on inside the call (a layer's neuron by its weights: no position to record per output)."""
        by_param = self.param_parts.get(call)
        if by_param is None:
            by_param = self.param_parts[call] = {p: part for part in self._parts_of(call) if part.module is not None
                                                 for p in _params(part.module)}
        if not by_param:
            return None
        inputs = self._inputs(call)
        stack, seen = [node], {node}
        while stack:
            for p in stack.pop().parents:
                part = by_param.get(p)
                if part is not None:
                    return part
                mark = getattr(p, "_box", None)
                if p in seen or p in inputs or not p.parents or (mark is not None and mark is not call):
                    continue
                seen.add(p)
                stack.append(p)
        return None

    # placing values ---------------------------------------------------------------------------------

    def place(self) -> dict[Value, Box]:
        order, root = self.order, self.root
        tags = {}
        for node in order:
            t = self._tag(node)
            if t is not None:
                tags[node] = t
        owner = self._parameters()
        # values whose mark alone places them (a part's or a scope's): their users' frames do not matter
        settled = {n for n, t in tags.items() if not isinstance(t, Call)}
        ctx_all: dict[Value, Frame | None] = {root: None}  # LCA of the (lifted) frames of a value's users
        ctx_calls: dict[Value, Frame | None] = {}  # the same over users inside some frame (for leaves)
        frame_of: dict[Value, Frame | None] = {}
        lift = self._lift
        lca = self._lca
        for node in reversed(order):
            t = tags.get(node)
            if t is None:
                if node.parents or node not in owner:
                    where = ctx_all.get(node)
                else:  # a parameter: where the module calls that use it are
                    where = ctx_calls[node] if node in ctx_calls else ctx_all.get(node)
            else:
                where = t
                seen = ctx_all.get(node)
                # a value marked by a call (not by one of its parts) whose users are all in one part of
                # that call: the part made it (a scope marks with the call, parts are known only now)
                if isinstance(seen, Part) and self.up[seen] is t:
                    where = seen
            frame_of[node] = where
            for p in node.parents:
                if p in settled:
                    continue
                c = lift(where, p, p in tags, p in owner)
                if p in ctx_all:
                    ctx_all[p] = lca(ctx_all[p], c)
                else:
                    ctx_all[p] = c
                if c is not None:
                    ctx_calls[p] = lca(ctx_calls[p], c) if p in ctx_calls else c
        return self._boxes(frame_of, owner)

    def _ancestors(self, frame: Frame) -> Iterator[Frame]:
        f = self.up[frame]
        while f is not None:
            yield f
            f = self.up[f]

    def _lift(self, where: Frame | None, p: Value, tagged: bool, parameter: bool) -> Frame | None:
        """The frame ``p`` is seen in from a user in ``where``: outside every call it was passed into and,
        unless marked or a parameter, outside every scope (it would carry the scope's mark)."""
        if where is None:
            return None
        chain = self.chains.get(where)
        if chain is None:
            chain = self.chains[where] = self._chain(where)
        calls, outermost_scope = chain
        cut: Frame | None = None
        for f, args in calls:  # innermost first: the last hit is the outermost
            if p in args:
                cut = f
        if outermost_scope is not None and not tagged and not parameter:
            if cut is None or self.depth[outermost_scope] < self.depth[cut]:
                cut = outermost_scope
        return where if cut is None else self.up[cut]

    def _chain(self, where: Frame) -> tuple[list[tuple[Call, set[Value]]], Frame | None]:
        """The calls from ``where`` up, with their arguments, and the outermost scope among them."""
        calls = []
        outermost = None
        f: Frame | None = where
        while f is not None:
            if isinstance(f, Call):
                calls.append((f, self._inputs(f)))
            elif isinstance(f, ScopeFrame):
                outermost = f
            f = self.up[f]
        return calls, outermost

    def _parameters(self) -> dict[Value, Any]:
        """Every parameter of a recorded module -> the module that holds it itself (not through a child)."""
        tops: dict[int, Any] = {}
        for frame in list(self.canon):
            if isinstance(frame, Call):
                tops.setdefault(id(frame.module), frame.module)
        owner: dict[Value, Any] = {}
        for _, module in _module_depths(tops.values()):
            own = set(_params(module))
            for _, child in _children(module):
                own.difference_update(_params(child))
            for p in own:
                owner[p] = module
        return owner

    # boxes -------------------------------------------------------------------------------------------

    def _box(self, frame: Frame | None) -> Box:
        if frame is None:
            return self.top
        box = self.boxes.get(frame)
        if box is None:
            parent = self._box(self.up[frame])
            box = self.boxes[frame] = Box(self._name(frame), _kind(frame), parent, getattr(frame, "module", None))
            box._key = frame
        return box

    def _name(self, frame: Frame) -> str:
        if isinstance(frame, (Part, ScopeFrame)):
            return frame.name
        module = frame.module  # type: ignore[attr-defined]  # a Call: parts and scopes returned above
        parent = self.up[frame]
        while isinstance(parent, ScopeFrame):  # a scope inside a module's call: the module still holds it
            parent = self.up[parent]
        holder = getattr(parent, "module", None)
        if holder is not None:
            name = _child_name(holder, module)
            if name is not None:
                return name
        return _box_name(module)

    def _boxes(self, frame_of: dict[Value, Frame | None], owner: dict[Value, Any]) -> dict[Value, Box]:
        where = {node: self._box(f) for node, f in frame_of.items()}
        self._examples(where)
        self._parameter_box(where, owner)
        _unique_names(self.top)
        return where

    def _examples(self, where: dict[Value, Box]) -> None:
        """A module called several times at the top: each call is an example, with what depends on it alone."""
        top = self.top
        calls = [b for b in top.children if isinstance(b._key, Call)]
        by_module = Counter(id(b.module) for b in calls)
        if not by_module or by_module.most_common(1)[0][1] < 2:
            return
        chosen = by_module.most_common(1)[0][0]
        item_of_box: dict[Box, Box | None] = {top: None}  # a box -> its top-level ancestor (None for top)

        def item_of(box: Box) -> Box | None:
            found = item_of_box.get(box, top)
            if found is top:
                # (ignore: a box below the top has a parent)
                found = item_of_box[box] = box if box.parent is top else item_of(box.parent)  # type: ignore[arg-type]
            return found

        first: dict[Box, int] = {}  # a top-level box -> the reading position of its first op result
        for node in self.order:
            item = item_of(where[node])
            if item is not None and node.parents:
                r = self.rank[node]
                if r < first.get(item, r + 1):
                    first[item] = r
        repeated = sorted((b for b in calls if id(b.module) == chosen and b in first), key=first.__getitem__)
        examples = []
        example_of: dict[Box, int] = {}  # a top-level item (a call) -> its example
        for k, call_box in enumerate(repeated):
            ex = Box(f"example {k}", "example")
            ex.parent = top
            call_box.parent = ex
            ex.children.append(call_box)
            example_of[call_box] = k
            examples.append(ex)
        # which example each value depends on: k, None (none), or _MIXED
        dep: dict[Value, Any] = {}
        item_dep: dict[Box, Any] = {}
        for node in self.order:
            item = item_of(where[node])
            if item is not None and item in example_of:
                dep[node] = example_of[item]
                continue
            d = None
            for p in node.parents:
                e = dep[p]
                if e is None or e is d:
                    continue
                if d is None:
                    d = e
                else:
                    d = _MIXED
                    break
            dep[node] = d
            if item is not None:
                item_dep[item] = _combine(item_dep.get(item), d)
        joining = {item: d for item, d in item_dep.items() if d is not None and d is not _MIXED}
        for item, d in joining.items():  # another call whose inputs come from one example only
            item.parent = examples[d]
            examples[d].children.append(item)
        top.children = [c for c in top.children if c not in example_of and c not in joining] + examples
        for node in self.order:
            if where[node] is top and node.parents:
                d = dep[node]
                if d is not None and d is not _MIXED:
                    where[node] = examples[d]
        # leaves at the top (inputs, targets): into the example that all their users are in
        users: dict[Value, Any] = {}
        loose = {n for n in self.order if not n.parents and where[n] is top}
        for node in self.order:
            for p in node.parents:
                if p in loose:
                    b = where[node]
                    while b is not top and b.kind != "example":
                        b = b.parent  # type: ignore[assignment]  # below the top: a parent
                    users[p] = _combine(users.get(p), b if b is not top else _MIXED)
        for leaf, b in users.items():
            if isinstance(b, Box):
                where[leaf] = b

    def _parameter_box(self, where: dict[Value, Box], owner: dict[Value, Any]) -> None:
        """Parameters left at the top (used by several examples) go into a box mirroring the modules."""
        top = self.top
        strays = [n for n in self.order if where[n] is top and n in owner]
        if not strays:
            return
        # the module tree from the outermost recorded modules down
        outermost: dict[int, Any] = {}
        for frame in self.canon:
            if isinstance(frame, Call) and not any(isinstance(f, Call) for f in self._ancestors(frame)):
                outermost.setdefault(id(frame.module), frame.module)
        inner = {id(m) for t in outermost.values() for _, m in _module_depths([t]) if m is not t}
        tops = [m for i, m in outermost.items() if i not in inner]
        path_of: dict[int, list[tuple[str, Any]]] = {}
        preorder: dict[int, int] = {}  # the boxes keep the modules' order, not the order of use
        for t in tops:
            stack: list[tuple[Any, list[tuple[str, Any]]]] = [(t, [] if len(tops) == 1 else [(_box_name(t), t)])]
            while stack:
                m, path = stack.pop()
                if id(m) in path_of:
                    continue
                path_of[id(m)] = path
                preorder[id(m)] = len(preorder)
                stack.extend(reversed([(child, [*path, (_child_name(m, child) or _box_name(child), child)])
                                       for _, child in _children(m)]))
        holder = Box("parameters", "module", top, tops[0] if len(tops) == 1 else None)
        boxes: dict[tuple[int, ...], Box] = {(): holder}
        for p in strays:
            found = path_of.get(id(owner[p]))
            if found is None:
                continue
            path = found
            key: tuple[int, ...] = ()
            box = holder
            for name, m in path:
                key = (*key, id(m))
                nxt = boxes.get(key)
                if nxt is None:
                    nxt = boxes[key] = Box(name, "module", box, m)
                    nxt._key = ("module order", preorder[id(m)])
                box = nxt
            where[p] = box


def _combine(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None or a is b or a == b:
        return a
    return _MIXED


def _kind(frame: Frame) -> str:
    if isinstance(frame, ScopeFrame):
        return "scope"
    if isinstance(frame, Part) and frame.module is None:
        return "scope"
    return "module"


def _children(module: Any) -> list[tuple[str, Any]]:
    children = getattr(module, "children", None)
    if not callable(children):
        return []
    try:
        return list(children())
    except TypeError:
        return []


def _params(module: Any) -> list[Value]:
    params = getattr(module, "parameters", None)
    if not callable(params):
        return []
    return [p for p in params() if isinstance(p, Value)]


def _module_depths(tops: Iterable[Any]) -> list[tuple[int, Any]]:
    out = []
    seen: set[int] = set()
    stack = [(0, m) for m in tops]
    while stack:
        d, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        out.append((d, m))
        stack.extend((d + 1, c) for _, c in _children(m))
    return out


def _box_name(module: Any) -> str:
    name = getattr(type(module), "box_name", None)
    return name if isinstance(name, str) and name else type(module).__name__


def _child_name(holder: Any, module: Any) -> str | None:
    """``module``'s name in ``holder``: ``layer 1`` for ``holder.layers[1]``, ``encoder`` for ``holder.encoder``."""
    for attr, child in _children(holder):
        if child is module:
            head, _, index = attr.rpartition(".")
            return f"{_box_name(module)} {index}" if head and index.isdigit() else attr
    return None


def _unique_names(top: Box) -> None:
    for box in top.walk():
        seen: dict[str, int] = {}
        for child in box.children:
            k = seen.get(child.name, 0) + 1
            seen[child.name] = k
            if k > 1:
                child.name = f"{child.name} ({k})"


# -- chunks, and the finished tree ------------------------------------------------------------------


def _prune(top: Box) -> None:
    """Drop boxes holding no value at all (a call that returned its argument unchanged)."""
    stack: list[tuple[Box, bool]] = [(top, False)]
    while stack:  # iterative post-order: the tree may be deep
        box, done = stack.pop()
        if done:
            box.children = [c for c in box.children if c.nodes or c.children]
        else:
            stack.append((box, True))
            stack.extend((c, False) for c in box.children)


def _chunk(box: Box, max_items: int, rank: dict[Value, int], names: dict[Value, str]) -> None:
    """Split ``box``'s direct items into nested chunks of consecutive items while there are too many."""
    if len(box.nodes) + len(box.children) <= max_items:
        return
    first: dict[Value | Box, int] = {c: _place_of([n for b in c.walk() for n in b.nodes], rank)
                                     for c in box.children}
    ends: dict[Box, tuple[str, str]] = {}  # a chunk's first and last item names

    def position(item: Value | Box) -> int:
        return first[item] if isinstance(item, Box) else rank[item]

    def end_names(item: Value | Box) -> tuple[str, str]:
        if isinstance(item, Value):
            return names[item], names[item]
        return ends.get(item, (item.name, item.name))

    def chunked(level: list[Value | Box]) -> list[Value | Box]:
        """``level`` in consecutive chunks of at most ``max_items`` items (sizes balanced)."""
        n_chunks = math.ceil(len(level) / max_items)
        size = math.ceil(len(level) / n_chunks)
        out: list[Value | Box] = []
        for k in range(0, len(level), size):
            part = level[k:k + size]
            if len(part) == 1:
                out.append(part[0])
                continue
            ends_of = (end_names(part[0])[0], end_names(part[-1])[1])
            chunk = Box(f"{ends_of[0]} … {ends_of[1]}", "chunk")
            ends[chunk] = ends_of
            for it in part:
                if isinstance(it, Box):
                    it.parent = chunk
                    chunk.children.append(it)
                else:
                    chunk.nodes.append(it)
            first[chunk] = min(position(it) for it in part)
            out.append(chunk)
        return out

    # Items of one kind are chunked together (examples with examples, values with values, each in
    # topological order), the largest group first, until the box holds few enough.
    # The box's last op result (its output, often: a neuron's activation, the loss) stays outside the chunks;
    # a leaf is no output (an RNN's last parameter would be left alone beside a chunk of the others).
    items: list[Value | Box] = sorted([*box.nodes, *box.children], key=position)
    results = [n for n in box.nodes if n.parents]
    last = max(results, key=rank.__getitem__) if results else None
    by_kind: dict[str, list[Value | Box]] = {}
    for it in items:
        if it is not last:
            by_kind.setdefault("" if isinstance(it, Value) else it.kind, []).append(it)
    groups = list(by_kind.values())
    of_values = [kind == "" for kind in by_kind]  # values are chunked before boxes (examples stay in sight)
    if last is not None:
        groups.append([last])
        of_values.append(False)
    while sum(len(g) for g in groups) > max_items:
        candidates = [j for j in range(len(groups)) if of_values[j] and len(groups[j]) > 1]
        if not candidates:
            candidates = [j for j in range(len(groups)) if len(groups[j]) > 1]
        if not candidates:  # many kinds of one item each: chunk them all together
            groups, of_values = [[it for g in groups for it in g]], [False]
            continue
        k = max(candidates, key=lambda j: len(groups[j]))
        groups[k] = chunked(groups[k])
    level = sorted((it for g in groups for it in g), key=position)
    box.nodes = [it for it in level if isinstance(it, Value)]
    box.children = []
    for it in level:
        if isinstance(it, Box):
            it.parent = box
            box.children.append(it)


def _finish(top: Box, root: Value, order: Sequence[Value], index: dict[Value, int], rank: dict[Value, int]) -> None:
    """Paths, topological order inside each box, sibling order, counts, the shared index."""
    tree = _Tree(index, rank, root)
    boxes = list(top.walk())
    for box in boxes:
        box._tree = tree
        box.path = (*box.parent.path, box.name) if box.parent is not None else ()
        box.nodes.sort(key=index.__getitem__)
        for n in box.nodes:
            tree.box_of[n] = box
    inf = len(order)
    first_op: dict[Box, int] = {}
    first_any: dict[Box, int] = {}
    for box in reversed(boxes):  # children before parents
        ops = [rank[n] for n in box.nodes if n.parents]
        first_op[box] = min([*ops, *(first_op[c] for c in box.children)], default=inf)
        first_any[box] = min([*(rank[n] for n in box.nodes), *(first_any[c] for c in box.children)], default=inf)
        box._first = first_op[box] if first_op[box] < inf else first_any[box]  # see _sibling_order
        box.children.sort(key=_sibling_order)
        box.count = len(box.nodes) + sum(c.count for c in box.children)


def _sibling_order(box: Box) -> int:
    """Where a box comes among its siblings: at its first op result in reading order (its first value if it
    holds no op result: leaves do not count, since a layer's weights are read before the layer before it is
    computed); a parameters box as the model lists its modules."""
    key = box._key
    if isinstance(key, tuple) and key and key[0] == "module order":
        order: int = key[1]
        return order
    return box._first


def _place_of(values: Sequence[Value], rank: dict[Value, int]) -> int:
    """The first op result among ``values`` in reading order (the first value when none is an op result)."""
    ops = [rank[n] for n in values if n.parents]
    return min(ops) if ops else min(rank[n] for n in values)
