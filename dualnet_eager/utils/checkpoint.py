"""torch.utils.checkpoint: trade compute for memory. The forward of a checkpointed function
runs without recording a graph (its activations are freed at once); the backward runs it again
with grad enabled, with the random state it first saw (dropout draws the same mask), and
backpropagates through that second run.

The tape node standing for the call has an edge to every tensor the function read that
requires grad: its inputs and anything it closes over (a module's parameters), found by
watching `dualnet.ops.apply` during the forward. During the recompute those tensors are
replaced by detached stand-ins, so the inner backward stops at them and hands their gradients
back to the outer tape: no re-entrant walk into the rest of the graph.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from dualnet import random as _random
from dualnet.ops import registry

from ..autograd import grad_mode
from ..autograd.engine import Node, run_backward
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


class _Chained:
    """An `apply` interceptor that rewrites or watches the Tensor arguments, then defers to
    the interceptor that was active before it (the to_static tracer, the profiler)."""

    def __init__(self, on_args):
        self.on_args = on_args
        self.prev = getattr(registry._local, "interceptor", None)

    def __call__(self, op, args, attrs, proceed):
        args = self.on_args(args)
        if self.prev is not None:
            return self.prev(op, args, attrs, proceed)
        return proceed(args, attrs)


def _rng_states() -> dict:
    """The generators' states, per backend that has one (CPU always)."""
    states = {"numpy": _random.get_state(np)}
    from dualnet import backend

    cp = backend._cupy
    if cp is not None and "cupy" in _random._generators:
        states["cupy"] = _random.get_state(cp)
    return states


def _set_rng_states(states: dict) -> None:
    from dualnet import backend

    for key, state in states.items():
        _random.set_state(state, np if key == "numpy" else backend._cupy)


def _flatten(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


class _CheckpointOp:
    """Stands in for an OpDef in the tape node of one checkpointed call."""

    n_out = -1
    differentiable = True
    vjp_takes_mask = False
    name = "checkpoint"

    def __init__(self, run, externals, rng, recompute_ctx):
        self.run, self.externals, self.rng = run, externals, rng
        self.recompute_ctx = recompute_ctx

    def vjp(self, g, *saved, out=None):
        create_graph = grad_mode.is_grad_enabled()
        stand = {id(t): t.detach().requires_grad_(True) for t in self.externals}

        def swap(args):
            return tuple(stand.get(id(a), a) if isinstance(a, Tensor) else a for a in args)

        current = _rng_states() if self.rng is not None else None
        if self.rng is not None:
            _set_rng_states(self.rng)
        try:
            with grad_mode.enable_grad(), self.recompute_ctx, registry.intercept(_Chained(swap)):
                outs = _flatten(self.run())
        finally:
            if current is not None:
                _set_rng_states(current)
        roots, grads = [], []
        tensors = [o for o in outs if isinstance(o, Tensor)]
        for o, gi in zip(tensors, g):
            if gi is not None and o.requires_grad:
                roots.append(o)
                grads.append(gi)
        if not roots:
            return tuple(None for _ in self.externals)
        found = run_backward(roots, grads, retain_graph=create_graph, create_graph=create_graph,
                             inputs=list(stand.values()), allow_unused=True, accumulate=False)
        return tuple(found)


def _check_args(use_reentrant, kwargs, context_fn, debug):
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Pass use_reentrant=True or use_reentrant=False; "
                      "use_reentrant=True is assumed here, as PyTorch does.", stacklevel=3)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not noop_context_fn or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    return use_reentrant


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False, **kwargs):
    """Run `function(*args, **kwargs)` now without keeping its activations; recompute it in
    backward. `preserve_rng_state=True` (a keyword) replays the same random numbers."""
    preserve = kwargs.pop("preserve_rng_state", True)
    use_reentrant = _check_args(use_reentrant, kwargs, context_fn, debug)
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    if use_reentrant and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
        with grad_mode.no_grad():
            return function(*args, **kwargs)
    rng = _rng_states() if preserve else None
    found = {}

    def watch(call_args):
        for a in call_args:
            if isinstance(a, Tensor) and a.requires_grad and id(a) not in found:
                found[id(a)] = a
        return call_args

    for a in args:  # inputs first, so an input returned unchanged still gets its edge
        watch((a,))
    forward_ctx, recompute_ctx = context_fn()
    with grad_mode.no_grad(), forward_ctx, registry.intercept(_Chained(watch)):
        out = function(*args, **kwargs)
    externals = list(found.values())
    if not externals:
        return out
    op = _CheckpointOp(lambda: function(*args, **kwargs), externals, rng, recompute_ctx)
    return _attach(out, op, externals)


def _attach(out, op, externals):
    """Give the floating-point tensors among the outputs a grad_fn: one node for the call."""
    outs = _flatten(out)
    tensors = [o for o in outs if isinstance(o, Tensor)]
    edges = tuple(t._grad_edge() for t in externals)
    node = Node(op, {}, tuple(None for _ in externals), edges,
                tuple(tuple(t.shape) for t in tensors))
    wrapped, k = [], 0
    for o in outs:
        if isinstance(o, Tensor):
            if o._data.dtype.kind in "fc":
                o = Tensor._wrap(o._data, node, k)
            k += 1
        wrapped.append(o)
    if not isinstance(out, (tuple, list)):
        return wrapped[0]
    return type(out)(wrapped) if isinstance(out, list) else tuple(wrapped)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Split a Sequential (or list of modules) into `segments` runs; checkpoint each but the
    last, which runs normally (its activations are needed for the backward anyway)."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
