"""What the passes rewrite: a plan's ops as nodes over compiler.py's numbered slots.

A `Node` is one kernel call: `outs = opdef(ins, **attrs)` with input and output slots (output
tuples always, `SINK` for an output nobody may read). The `Graph` adds what a pass must know
about a slot: its kind ("const" | "feed" | "persist" | "tmp"), its static shape and dtype, and
whether a fetch reads it. A fusion may only make a slot vanish when it is `private`: a temporary
that no fetch reads and that one node writes.
"""
from __future__ import annotations

import bisect

from dualnet.ops.registry import Meta

NONE, SINK = 0, 1

# Inputs read for their shape and dtype only: (op name, input position). A fusion may point
# such a read at another value of the same (provably equal) shape and dtype.
SHAPE_ONLY = {("sum_to_like", 1), ("broadcast_like", 1), ("reshape_like", 1),
              ("zeros_like", 0), ("ones_like", 0), ("full_like", 0), ("shape_of", 0)}


class Node:
    __slots__ = ("opdef", "ins", "outs", "attrs", "op")

    def __init__(self, opdef, ins, outs, attrs: dict, op):
        self.opdef = opdef
        self.ins = tuple(ins)
        self.outs = tuple(outs)
        self.attrs = attrs
        self.op = op  # the Operator (or FusedOp) that errors and printing name

    @property
    def type(self) -> str:
        return self.opdef.name

    def __repr__(self) -> str:
        return f"{self.outs} = {self.type}{self.ins}"


class FusedOp:
    """Stands in for the Operator of a fused node in errors and plan printing: the fused op's
    name and attrs, the outputs' variables, and where the first fused op was built."""

    def __init__(self, opdef, attrs: dict, ops: list, outputs: tuple):
        self.opdef = opdef
        self.attrs = attrs
        self.outputs = outputs
        self.site = ops[0].site
        self.fused = tuple(op.type for op in ops)

    @property
    def type(self) -> str:
        return self.opdef.name


class Graph:
    """Nodes plus slot facts; `initial` holds the values of constant slots."""

    def __init__(self, analysis, xp):
        self.xp = xp
        self.nodes = [Node(op.opdef, ins, outs, op.attrs, op)
                      for op, (ins, outs) in zip(analysis.ops, analysis.wiring)]
        self.kinds = list(analysis.kinds)
        self.vars = list(analysis.vars)
        self.fetch = set(analysis.fetch_slots)
        self.initial = [None] * len(self.kinds)
        for s, v in analysis.sources.items():
            if self.kinds[s] == "const":
                self.initial[s] = xp.asarray(v._value)

    # ------------------------------------------------------------ slot facts
    def meta(self, slot: int) -> Meta | None:
        v = self.vars[slot]
        return None if v is None else Meta(v._shape, v._dtype)

    def private(self, slot: int, writers: dict) -> bool:
        return self.kinds[slot] == "tmp" and slot not in self.fetch and \
            len(writers.get(slot, ())) == 1

    def var_of(self, slot: int):
        return self.vars[slot]

    # ------------------------------------------------------------ use lists
    def readers(self) -> dict:
        """slot -> [(node index, input position)] in node order."""
        out: dict[int, list] = {}
        for k, node in enumerate(self.nodes):
            for pos, s in enumerate(node.ins):
                if s > SINK:
                    out.setdefault(s, []).append((k, pos))
        return out

    def writers(self) -> dict:
        """slot -> [node index] in node order."""
        out: dict[int, list] = {}
        for k, node in enumerate(self.nodes):
            for s in node.outs:
                if s > SINK:
                    out.setdefault(s, []).append(k)
        return out


def written_between(writers: dict, slots, lo: int, hi: int) -> bool:
    """Whether a node with index in (lo, hi] writes one of `slots` (moving a read from lo to
    hi would then see another value)."""
    for s in slots:
        ks = writers.get(s)
        if ks and bisect.bisect_right(ks, hi) > bisect.bisect_right(ks, lo):
            return True
    return False


class Rewriter:
    """Collects one pass's rewrites (nodes dropped, fused nodes placed, inputs redirected) and
    applies them in one sweep, so a pass over n nodes stays O(n)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.readers = graph.readers()
        self.writers = graph.writers()
        self.dropped: set = set()
        self.placed: dict[int, Node] = {}

    def taken(self, *ks) -> bool:
        return any(k in self.dropped or k in self.placed for k in ks)

    def sole_reader(self, slot: int):
        """(node index, input position) of the one node reading `slot` for its value (reads
        of its shape alone aside), or None when there is not exactly one."""
        found = None
        for k, pos in self.readers.get(slot, ()):
            if (self.graph.nodes[k].type, pos) in SHAPE_ONLY:
                continue
            if found is not None:
                return None
            found = (k, pos)
        return found

    def sole_consumer(self, slot: int):
        """The index of the node that alone reads the private temporary `slot`, as its first
        input, untouched by this pass so far and with no shape-only reads of `slot` elsewhere;
        else None (what fusing a producer into its consumer needs)."""
        if not self.graph.private(slot, self.writers) or self.shape_reads(slot):
            return None
        found = self.sole_reader(slot)
        if found is None or self.taken(found[0]) or found[1] != 0:
            return None
        return found[0]

    def shape_reads(self, slot: int) -> list:
        return [(k, pos) for k, pos in self.readers.get(slot, ())
                if (self.graph.nodes[k].type, pos) in SHAPE_ONLY]

    def fuse(self, members: list, node: Node, at: int, vanish=(), same_shape_as=None) -> None:
        """Replace the nodes `members` by `node` placed at index `at` (one of them). Slots in
        `vanish` disappear: their shape-only reads move to `same_shape_as`."""
        nodes = self.graph.nodes
        ops = [nodes[k].op for k in sorted(members)]
        outputs = tuple(self.graph.var_of(s) for s in node.outs)
        node.op = FusedOp(node.opdef, node.attrs, ops, outputs)
        for k in members:
            self.dropped.add(k)
        self.placed[at] = node
        for s in vanish:
            for k, pos in self.shape_reads(s):
                reader = nodes[k]
                ins = list(reader.ins)
                ins[pos] = same_shape_as
                reader.ins = tuple(ins)
                self.readers.setdefault(same_shape_as, []).append((k, pos))
            self.readers.pop(s, None)

    def inputs_stable(self, members: list, inputs, at: int) -> bool:
        """Whether moving every read of `inputs` by the nodes `members` to node `at` reads the
        same values: no other node between a member's read and `at` writes the slot (the
        members' own writes happen in the fused kernel, after its reads)."""
        nodes = self.graph.nodes
        inside = set(members)
        for s in inputs:
            if s <= SINK:
                continue
            first = min((k for k in members if s in nodes[k].ins), default=at)
            if any(first < k <= at and k not in inside for k in self.writers.get(s, ())):
                return False
        return True

    def apply(self) -> int:
        """Rebuild the node list; returns how many fused nodes were placed."""
        if not self.placed:
            return 0
        out = []
        for k, node in enumerate(self.graph.nodes):
            if k in self.placed:
                out.append(self.placed[k])
            elif k not in self.dropped:
                out.append(node)
        self.graph.nodes = out
        return len(self.placed)


def rewrite_each(graph: Graph, types: tuple, visit, needs: str | None = None) -> int:
    """One pass's sweep: `visit(graph, rw, i, node)` for every node of a type in `types` not
    yet taken by an earlier rewrite; nothing runs unless some node has type `needs` (default:
    one of `types`). Returns how many fused nodes were placed."""
    wanted = (needs,) if needs is not None else types
    if not any(node.type in wanted for node in graph.nodes):
        return 0
    rw = Rewriter(graph)
    for i, node in enumerate(graph.nodes):
        if node.type in types and not rw.taken(i):
            visit(graph, rw, i, node)
    return rw.apply()
