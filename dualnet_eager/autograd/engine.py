"""The tape: one `Node` per recorded op, and the reverse walk that runs registry vjp rules.

A Node keeps what its op's `saves` asks for (input Tensors, output arrays), the versions of those
values (in-place changes after saving are detected), and edges to the nodes that produced its
inputs. Leaves that require grad end in an `AccumulateGrad`. Backward visits nodes in reverse
topological order (diamonds are summed before a node runs) and calls each op's vjp on Tensors —
under no_grad, or recorded again when `create_graph=True` (higher-order gradients).
"""
from __future__ import annotations

import traceback
from collections import defaultdict

from dualnet.ops.registry import NotDifferentiableError, user_frame

from . import grad_mode


class Node:
    """grad_fn of a Tensor: the recorded call of one registry op."""

    __slots__ = ("op", "attrs", "saved", "versions", "next_edges", "out_data", "out_versions",
                 "out_meta", "pre_hooks", "created_at", "__weakref__")

    def __init__(self, op, attrs, saved, next_edges, out_meta):
        self.op = op
        self.attrs = attrs
        self.saved = saved  # tuple: input Tensor or None per input
        self.versions = tuple([None if t is None else _version_of(t) for t in saved])
        self.next_edges = next_edges  # tuple: (node, output index) or None per input
        self.out_data = None
        self.out_versions = None
        self.out_meta = out_meta  # tuple of (array module, shape, dtype) per output
        self.pre_hooks = None
        self.created_at = None

    def name(self) -> str:
        return "".join(p.capitalize() for p in self.op.name.split("_")) + "Backward0"

    @property
    def next_functions(self) -> tuple:
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    def register_prehook(self, index, fn):
        if self.pre_hooks is None:
            self.pre_hooks = defaultdict(list)
        self.pre_hooks[index].append(fn)
        return _Handle(self.pre_hooks[index], fn)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


def _version_of(value):
    cell = getattr(value, "_version", None)  # constants (plain arrays) have no version
    return None if cell is None else cell[0]


class AccumulateGrad:
    """The node that ends the graph at a leaf Tensor: adds the gradient into `.grad`."""

    __slots__ = ("variable", "__weakref__")
    next_edges = ()
    pre_hooks = None

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


class _Handle:
    """What register_hook returns: `.remove()` takes the hook away."""

    def __init__(self, hooks: list, fn):
        self.hooks, self.fn = hooks, fn

    def remove(self) -> None:
        if self.fn in self.hooks:
            self.hooks.remove(self.fn)


def record_creation(node: Node) -> None:
    """Anomaly mode: remember the user's line and the stack that created `node`."""
    stack = "".join(traceback.format_stack()[:-3])
    node.created_at = (user_frame(), stack)


# ---------------------------------------------------------------- the reverse walk

def _topo_order(roots):
    """Nodes reachable from `roots`, each after every node that feeds it a gradient."""
    consumers = defaultdict(int)
    seen = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.next_edges:
            if edge is not None:
                consumers[id(edge[0])] += 1
                stack.append(edge[0])
    order, ready = [], [n for n in {id(r): r for r in roots}.values() if consumers[id(n)] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.next_edges:
            if edge is not None:
                consumers[id(edge[0])] -= 1
                if consumers[id(edge[0])] == 0:
                    ready.append(edge[0])
    return order


def run_backward(roots, grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False, accumulate=True):
    """Backpropagate `grads` from the Tensors `roots`.

    With `inputs`, returns the gradients w.r.t. those Tensors (autograd.grad) and accumulates
    into `.grad` only if `accumulate`; otherwise accumulates into leaves' `.grad`.
    """
    from ..tensor import Tensor

    pending = defaultdict(dict)  # node -> {output index: grad Tensor}
    root_nodes = []
    for t, g in zip(roots, grads):
        edge = t._grad_edge()
        if edge is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn")
        _add_grad(pending[edge[0]], edge[1], g, create_graph)
        root_nodes.append(edge[0])

    captures = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            edge = t._grad_edge()
            if edge is None:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                                   "require grad")
            captures.setdefault((id(edge[0]), edge[1]), []).append(i)
    results = [None] * (len(inputs) if inputs is not None else 0)

    with grad_mode.set_grad_enabled(create_graph):
        for node in _topo_order(root_nodes):
            node_grads = pending.pop(node, None)
            if not node_grads:
                continue
            if node.pre_hooks:
                _run_hooks(node.pre_hooks, node_grads)
            for idx, g in node_grads.items():
                for pos in captures.get((id(node), idx), ()):
                    results[pos] = g
            if type(node) is AccumulateGrad:
                if accumulate:
                    _accumulate(node.variable, node_grads[0], create_graph)
                continue
            in_grads = _call_vjp(node, node_grads, retain_graph, create_graph, Tensor)
            for edge, g in zip(node.next_edges, in_grads):
                if edge is not None and g is not None:
                    _add_grad(pending[edge[0]], edge[1], g, create_graph)
    if inputs is not None:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
    return results


def _add_grad(slot: dict, idx: int, g, create_graph: bool) -> None:
    prev = slot.get(idx)
    if prev is None:
        slot[idx] = g
    elif create_graph:
        slot[idx] = prev + g
    else:
        total = prev._data + g._data
        slot[idx] = type(g)._wrap(total if total.ndim else g._xp().asarray(total))


def _run_hooks(hooks, node_grads) -> None:
    for idx, fns in hooks.items():
        if idx in node_grads:
            for fn in sorted(fns, key=lambda f: getattr(f, "runs_last", False)):
                new = fn(node_grads[idx])
                if new is not None:
                    node_grads[idx] = new


def _accumulate(leaf, g, create_graph: bool) -> None:
    for fn in list(leaf._hooks or ()):
        new = fn(g)
        if new is not None:
            g = new
    if not create_graph:
        g = g.detach()
    if g.shape != leaf.shape:
        raise RuntimeError(f"gradient of shape {list(g.shape)} does not match the leaf's shape "
                           f"{list(leaf.shape)}")
    if leaf.grad is None:
        data = g._data
        if not create_graph and (data.base is not None or not data.flags.writeable):
            # A view (e.g. a broadcast of the upstream gradient) becomes its own buffer, so
            # in-place grad updates (clip_grad_norm_, zero_) never write through it.
            g = type(g)._wrap(data.copy())
        leaf.grad = g
    elif create_graph:
        leaf.grad = leaf.grad + g
    else:
        leaf.grad._data = leaf.grad._data + g._data


def _call_vjp(node: Node, node_grads: dict, retain_graph: bool, create_graph: bool, Tensor):
    op = node.op
    if node.saved is None:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the graph "
            "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
            "you need to backward through the graph a second time.")
    _check_versions(node)
    if op.vjp is None:
        raise NotDifferentiableError(
            f"the op '{op.name}' has no gradient rule, so it cannot be differentiated (this "
            "happens when differentiating a gradient kernel, e.g. a second-order gradient "
            "through it)" + (f"; it was created at {node.created_at[0]}" if node.created_at
                             else ""))
    n_out = len(node.out_meta)
    outs = None
    if node.out_data is not None:
        outs = tuple(None if d is None else Tensor._wrap(d, node if create_graph else None, i)
                     for i, d in enumerate(node.out_data))
    gs = tuple(node_grads.get(i) for i in range(n_out))
    if op.n_out == 1:
        g, out = gs[0], (outs[0] if outs else None)
    else:
        g, out = gs, outs
    if getattr(op, "vjp_takes_mask", False):
        mask = tuple(e is not None for e in node.next_edges)
        in_grads = op.vjp(g, *node.saved, out=out, needs_grad=mask, **node.attrs)
    else:
        in_grads = op.vjp(g, *node.saved, out=out, **node.attrs)
    if not isinstance(in_grads, (tuple, list)):
        in_grads = (in_grads,)
    if grad_mode.state.anomaly and grad_mode.state.anomaly_check_nan:
        _check_nan(node, in_grads)
    if not retain_graph:
        node.saved = None
        node.out_data = None
    return in_grads


def _check_versions(node: Node) -> None:
    for i, (t, v) in enumerate(zip(node.saved, node.versions)):
        if v is not None and t._version[0] != v:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t._type_name()} {list(t.shape)}], which is input {i} of "
                f"{node.name()}, is at version {t._version[0]}; expected version {v} instead.")
    if node.out_versions is not None:
        for i, (cell, v) in enumerate(node.out_versions):
            if cell is not None and cell[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: output {i} of {node.name()} is at version {cell[0]}; "
                    f"expected version {v} instead.")


def _check_nan(node: Node, in_grads) -> None:
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        xp_any = g._data
        if xp_any.dtype.kind in "fc" and bool((xp_any != xp_any).any()):
            where, stack = node.created_at or ("<unknown: anomaly mode was off when the op "
                                               "ran>", "")
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward op '{node.op.name}' was created at:\n  {where}\n"
                f"Traceback of forward call that caused the error:\n{stack}")
