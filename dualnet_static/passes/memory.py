"""Memory planning: out= kernels write into the buffers of dead temporaries.

Liveness. Each step's outputs may alias its inputs (a reshape is a view, `sum_to_like` returns
its input when the shapes agree, an in-place optimizer update returns its parameter), so values
form alias groups (union-find over slots): outputs join all inputs, except for ops known to
return new arrays (FRESH), ops that alias only some inputs (ALIASES), and in-place updates
(only the inputs they overwrite). A group is alive until the last step that touches a member;
it *escapes* when a member is a feed, a constant, a persistable variable (the Scope keeps it)
or a fetched snapshot: an escaping group's memory is never reused.

Owners. A temporary produced by a FRESH op, written once, in a group that does not escape, of
at least MIN_ELEMENTS elements, is an array the plan owns. After its group dies, its buffer is
free for a later owner of the same static shape and dtype (the -1 dims too: the batch dim of
one run); an out= kernel (dualnet.ops.fused.OUT_KERNELS) then writes into it. Owners share a
slot ("physical slot"), so the run stays plain slot reads and writes:

- memory_optimize: out= kernels take a free buffer (or their own slot's buffer from the last
  run); the buffers of slots written by out= kernels stay with the plan between runs (like
  a caching allocator: the plan's steady state allocates nothing for them);
- enable_inplace: an elementwise op writes into a dying input (the input's group ends at this
  step and holds nothing but that buffer and `sum_to_like` pass-throughs of it).

Buffers are only ever written by the kernel that produces the slot's next value, after every
reader of the previous value (and of any view of it) ran, so no live value is overwritten.
An out= kernel uses a buffer only when the result would be C-contiguous anyway (a strided
buffer, or inputs in a convolution's batch-last layout, would change the result's layout and
with it the bits of what reads it next); otherwise it returns a new array, as the plain kernel.
"""
from __future__ import annotations

import math

from dualnet.ops.fused import OUT_KERNELS

from .graph import SINK

# Values smaller than this (elements; a -1 dim, usually the batch, counts as 64) keep plain
# kernels: an out= kernel's checks cost ~0.4 us, and below ~100k elements a fresh array
# (glibc's heap, tuned by dualnet._malloc) costs no more than reusing a buffer (measured:
# bench/executor_passes.py - 0.8x on a gelu of 1M elements, 1.06x at 32k, neutral on the MLP).
MIN_ELEMENTS = 65536
BATCH_GUESS = 64

# ops returning new arrays (never a view of an input)
FRESH = set(OUT_KERNELS) | {
    "fused_conv2d", "fused_conv2d_max_pool2d", "fused_elementwise", "log_softmax_nll_loss",
    "log_softmax_nll_loss_grad", "log_softmax", "log_softmax_grad", "softmax", "softmax_grad",
    "nll_loss", "nll_loss_grad", "sigmoid", "conv2d_input_grad", "conv2d_weight_grad",
    "linear_weight_grad"}
# ops whose output may be (a view of) these inputs only
ALIASES = {"sum_to_like": (0,), "broadcast_like": (0,), "reshape_like": (0,)}
# ... and which return that input itself or a new array (an in-place op may read through them)
SAME_OR_FRESH = {"sum_to_like"}


def plan_memory(plan, graph, keep: set, strategy) -> list:
    """Rewrite `plan.steps` to use out= kernels and shared slots; returns the slots whose
    buffers the plan keeps between runs."""
    if not (strategy.memory_optimize or strategy.enable_inplace):
        return []
    m = _Liveness(plan, graph, keep)
    phys_of, rewrite, kept = m.assign(strategy)
    for k, step in enumerate(plan.steps):
        fn, ins, outs, attrs, dead = step
        if k in rewrite:
            fn, p = rewrite[k]
            ins = (p,) + tuple(ins)
        ins = tuple(phys_of.get(s, s) for s in ins)
        outs = phys_of.get(outs, outs) if type(outs) is int else \
            tuple(phys_of.get(s, s) for s in outs)
        plan.steps[k] = [fn, ins, outs, attrs, dead]
    return sorted(kept) if strategy.memory_optimize else []


def is_out_kernel(fn) -> bool:
    return fn in _OUT_FNS


_OUT_FNS = {fn for fn, _ in OUT_KERNELS.values()}


class _Liveness:
    def __init__(self, plan, graph, keep: set):
        self.steps = plan.steps
        self.defs = [None if op is None else op.opdef for op in plan.step_ops]
        self.graph = graph
        n = len(plan.initial)
        self.parent = list(range(n))
        self.writes = [0] * n
        self.last = [-1] * n
        self.maker = [None] * n  # name of the op that wrote the slot
        for k, (fn, ins, outs, attrs, _) in enumerate(self.steps):
            outs = outs if type(outs) is tuple else (outs,)
            for s in ins:
                self.last[s] = k
            d = self.defs[k]
            for j, o in enumerate(outs):
                if o <= SINK:
                    continue
                self.writes[o] += 1
                self.last[o] = max(self.last[o], k)
                self.maker[o] = None if d is None else d.name
                for i in self._aliased_inputs(d, j, ins):
                    if i > SINK:
                        self._union(o, i)
        self.end, self.escapes, self.members = {}, set(), {}
        for s in range(SINK + 1, n):
            r = self._find(s)
            self.end[r] = max(self.end.get(r, -1), self.last[s])
            self.members.setdefault(r, []).append(s)
            kind = graph.kinds[s] if s < len(graph.kinds) else "tmp"
            if kind != "tmp" or s in keep:
                self.escapes.add(r)

    @staticmethod
    def _aliased_inputs(d, j: int, ins) -> tuple:
        if d is None or d.name in FRESH:
            return ()
        if d.inplace:
            i = dict(d.inplace).get(j)
            return ins if i is None else (ins[i],)
        if d.name in ALIASES:
            return tuple(ins[i] for i in ALIASES[d.name])
        return ins

    def _find(self, s: int) -> int:
        parent = self.parent
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[ra] = rb

    def _key(self, s: int):
        """(static shape, dtype) when s is an owner, else None."""
        if s <= SINK or s >= len(self.graph.vars) or self.writes[s] != 1:
            return None
        if self.maker[s] not in FRESH or self._find(s) in self.escapes:
            return None
        meta = self.graph.meta(s)
        if meta is None or meta.ndim == 0 or self.graph.kinds[s] != "tmp":
            return None
        if math.prod(BATCH_GUESS if d == -1 else d for d in meta.shape) < MIN_ELEMENTS:
            return None
        return (meta.shape, meta.dtype)

    # ------------------------------------------------------------ assignment
    def assign(self, strategy):
        free: dict = {}
        occupant: dict[int, int] = {}
        releasing: dict[int, list] = {}
        phys_of, rewrite, kept, buffer_of = {}, {}, set(), {}
        for k, (fn, ins, outs, attrs, _) in enumerate(self.steps):
            for key, p, s in releasing.pop(k - 1, ()):
                if occupant.get(p) == s:
                    free.setdefault(key, []).append(p)
            outs_t = outs if type(outs) is tuple else (outs,)
            d = self.defs[k]
            out_kernel = OUT_KERNELS.get(d.name) if d is not None and type(outs) is int \
                else None
            for o in outs_t:
                key = self._key(o)
                if key is None:
                    continue
                p = o
                if out_kernel is not None:
                    p = self._buffer_for(k, ins, key, out_kernel[1], strategy, free,
                                         buffer_of, occupant)
                    if p is not None:
                        rewrite[k] = (out_kernel[0], p)
                        kept.add(p)
                    else:
                        p = o
                phys_of[o] = p
                occupant[p] = o
                buffer_of[self._find(o)] = (key, p)
                releasing.setdefault(self.end[self._find(o)], []).append((key, p, o))
        return phys_of, rewrite, kept

    def _buffer_for(self, k, ins, key, elementwise, strategy, free, buffer_of, occupant):
        """The physical slot an out= kernel at step k writes, or None (run the plain kernel)."""
        if strategy.enable_inplace and elementwise:
            for i in ins:
                r = self._find(i)
                got = buffer_of.get(r)
                if got is not None and got[0] == key and self.end[r] == k and \
                        self._clean(r, occupant.get(got[1])):
                    occupant[got[1]] = None  # taken over: not released after this step
                    return got[1]
        if not strategy.memory_optimize:
            return None
        pool = free.get(key)
        if pool:
            return pool.pop()
        return self.steps[k][2]  # its own slot: the buffer stays with the plan between runs

    def _clean(self, root: int, owner) -> bool:
        """Whether the group is its owner's buffer plus pass-throughs (same array or new)."""
        return owner is not None and all(
            s == owner or self.maker[s] in SAME_OR_FRESH for s in self.members[root])
