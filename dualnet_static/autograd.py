"""`paddle.autograd`: PyLayer (custom forward/backward), backward, grad, jacobian, hessian.

PyLayer.apply runs the user's `forward(ctx, *args)` under no_grad (its ops are recorded like
any others, so the forward's values are ordinary tensors), then links the outputs to the
tensor inputs with one `py_func` op (dualnet/ops/debug.py) in *traced* mode: its kernel passes
the outputs through, and its vjp calls the user's `backward(ctx, *grads)` on the values at
hand while the backward is built - Variables in both the implicit and explicit modes - so the
gradients are ops too (double backward works when the user's backward is differentiable).
The context of a call is kept on the op's first output (`_pylayer_ctx`), where the vjp finds
it; the function ids in the op's attrs stay the same from call to call (plans are reused).

jacobian / hessian return Paddle's lazily evaluated `Jacobian` / `Hessian` objects: nothing
is computed until they are indexed; the first index builds every row (one paddle.grad per
output element) and keeps the matrix.
"""
from __future__ import annotations

import functools

from dualnet.ops import apply
from dualnet.ops.debug import register_py_func

from .dygraph.tensor import no_grad
from .framework import _ctx, in_implicit_mode
from .variable import Variable

__all__ = ["PyLayer", "PyLayerContext", "backward", "grad", "jacobian", "hessian",
           "Jacobian", "Hessian", "no_grad", "saved_tensors_hooks"]


# ---------------------------------------------------------------- PyLayer

class PyLayerContext:
    """What forward hands to backward: saved tensors and any attributes set on it."""

    def __init__(self):
        self._saved = None
        self._non_differentiable = ()
        self._materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors

    def saved_tensor(self):
        """The tensors given to save_for_backward (None if none were)."""
        return self._saved

    def mark_not_inplace(self, *args) -> None:
        """Accepted: forward's outputs are always new tensors here."""

    def mark_non_differentiable(self, *tensors) -> None:
        """These outputs of forward get stop_gradient=True (no gradient flows to them)."""
        self._non_differentiable = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """True (default): backward gets zeros for outputs that received no gradient;
        False: it gets None for them."""
        self._materialize_grads = bool(value)


@functools.lru_cache(maxsize=None)
def _passthrough_id(n_out: int) -> int:
    """The py_func forward of a PyLayer: (inputs..., outputs...) -> the last n_out arrays."""
    return register_py_func(lambda *arrays: arrays[len(arrays) - n_out:])


class PyLayer:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call
    `MyLayer.apply(*args)`. backward returns one gradient per tensor input of forward."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("PyLayer subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *args):
        raise NotImplementedError("PyLayer subclasses must define a static backward(ctx, ...)")

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} is a PyLayer: call "
                           f"{type(self).__name__}.apply(...) instead of instantiating it")

    @classmethod
    def _backward_id(cls) -> int:
        fid = cls.__dict__.get("_dn_backward_id")
        if fid is None:
            fid = register_py_func(functools.partial(_call_backward, cls))
            cls._dn_backward_id = fid
        return fid

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = PyLayerContext()
        with no_grad():
            outs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outs, (tuple, list))
        items = [outs] if single else list(outs)
        where = [k for k, o in enumerate(items) if isinstance(o, Variable)]
        inputs = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Variable)]
        flows = _ctx.grad_enabled and any(not v.stop_gradient for v in inputs)
        if not where or not flows:
            return outs
        touts = [items[k] for k in where]
        if in_implicit_mode():  # the user's Python backward: such a step is not replayed
            from .dygraph.session import SESSION

            SESSION.log_event(("pylayer",), replayable=False)
        specs = tuple((tuple(o._shape), o._dtype.name) for o in touts)
        linked = apply("py_func", *inputs, *touts, func=_passthrough_id(len(touts)),
                       out_specs=specs, backward=cls._backward_id(), traced=True)
        linked = list(linked) if isinstance(linked, (tuple, list)) else [linked]
        linked[0]._pylayer_ctx = ctx
        for k, (old, new) in enumerate(zip(touts, linked)):
            if id(old) in ctx._non_differentiable:
                new.stop_gradient = True
            items[where[k]] = new
        return items[0] if single else type(outs)(items) if isinstance(outs, tuple) else items


def _call_backward(cls, g, x, out):
    """The traced vjp of a PyLayer's py_func op: gradients for (inputs..., outputs...)."""
    ctx = getattr(out[0], "_pylayer_ctx", None)
    if ctx is None:
        raise RuntimeError(f"{cls.__name__}: the context of this PyLayer call is gone (its "
                           "outputs were made by an earlier step)")
    n_in = len(x) - len(out)
    grads = []
    for gi, o in zip(g, out):
        if gi is None and ctx._materialize_grads:
            gi = apply("zeros_like", o)
        grads.append(gi)
    res = cls.backward(ctx, *grads)
    res = list(res) if isinstance(res, (tuple, list)) else [res]
    if len(res) != n_in:
        raise ValueError(f"{cls.__name__}.backward returned {len(res)} gradient(s), but "
                         f"forward had {n_in} tensor input(s)")
    for k, (r, v) in enumerate(zip(res, x[:n_in])):
        if r is not None and not isinstance(r, Variable):
            raise TypeError(f"{cls.__name__}.backward: gradient {k} must be a Tensor or None, "
                            f"got {type(r).__name__}")
    return tuple(res) + (None,) * len(out)


class saved_tensors_hooks:
    """`paddle.autograd.saved_tensors_hooks(pack, unpack)`: accepted; saved tensors stay
    in the program (nothing to pack)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------- backward / grad

def backward(tensors, grad_tensors=None, retain_graph: bool = False) -> None:
    """Gradients of `tensors` (weighted by grad_tensors) accumulated into the leaves."""
    from .dygraph import backward as _backward

    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    grad_tensors = list(grad_tensors) if isinstance(grad_tensors, (list, tuple)) \
        else [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"paddle.autograd.backward: {len(tensors)} tensors but "
                         f"{len(grad_tensors)} grad_tensors")
    if len({id(t) for t in tensors}) != len(tensors):
        raise ValueError("paddle.autograd.backward: the tensors must not repeat")
    for k, (t, g) in enumerate(zip(tensors, grad_tensors)):
        _backward(t, g, retain_graph=retain_graph or k < len(tensors) - 1)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=False, no_grad_vars=None):
    """`paddle.grad` (implicit mode) / `paddle.static.gradients` (explicit mode)."""
    if in_implicit_mode():
        from .dygraph import grad as _grad

        return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                     allow_unused, no_grad_vars)
    from .backward import gradients

    res = gradients(outputs, inputs, grad_outputs, no_grad_vars)
    return res if isinstance(res, list) else [res]


# ---------------------------------------------------------------- jacobian / hessian

def _row_grad(y, x):
    g = grad([y], [x], retain_graph=True, create_graph=True, allow_unused=True)[0]
    return apply("zeros_like", x) if g is None else g


class Jacobian:
    """d ys / d xs, evaluated on first indexing (`J[:]`, `J[0, :]`, ...). Without a batch
    axis ys and xs are 0-D or 1-D and the shape is ys.shape + xs.shape; with batch_axis=0
    they are [B] or [B, n] and the shape is [B] + ys.shape[1:] + xs.shape[1:]."""

    def __init__(self, ys, xs, batch_axis=None):
        if batch_axis not in (None, 0):
            raise ValueError(f"jacobian: batch_axis must be None or 0, got {batch_axis}")
        lo, hi = (0, 1) if batch_axis is None else (1, 2)
        for what, v in (("ys", ys), ("xs", xs)):
            if not isinstance(v, Variable):
                raise TypeError(f"jacobian: {what} must be Tensors, got {type(v).__name__}")
            if not lo <= v.ndim <= hi:
                raise ValueError(f"jacobian: with batch_axis={batch_axis} {what} must be "
                                 f"{lo}-D or {hi}-D, got shape {v.shape}")
        self._ys, self._xs, self._batch = ys, xs, batch_axis
        if batch_axis is None:
            self._shape = list(ys.shape) + list(xs.shape)
        else:
            self._shape = [ys.shape[0]] + list(ys.shape[1:]) + list(xs.shape[1:])
        self._value = None

    @property
    def shape(self) -> list:
        return list(self._shape)

    def _rows(self) -> list:
        ys, xs = self._ys, self._xs
        if self._batch is None:
            if ys.ndim == 0:
                return [_row_grad(ys, xs)]
            return [_row_grad(ys[i], xs) for i in range(ys.shape[0])]
        if ys.ndim == 1:
            return [_row_grad(ys.sum(), xs)]
        return [_row_grad(ys[:, i].sum(), xs) for i in range(ys.shape[1])]

    def _evaluate(self):
        if self._value is None:
            from .tensor_methods.manipulation import stack

            rows = self._rows()
            single = (self._ys.ndim == 0) if self._batch is None else (self._ys.ndim == 1)
            self._value = rows[0] if single else stack(rows, axis=0 if self._batch is None
                                                       else 1)
        return self._value

    def __getitem__(self, index):
        return self._evaluate()[index]

    def numpy(self):
        return self._evaluate().numpy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self._shape})"


class Hessian(Jacobian):
    """The Jacobian of d ys / d xs with respect to xs (ys holds one element per batch)."""


def _nested(ys, xs, make):
    ys_seq, xs_seq = isinstance(ys, (list, tuple)), isinstance(xs, (list, tuple))
    if ys_seq and xs_seq:
        return tuple(tuple(make(y, x) for x in xs) for y in ys)
    if ys_seq:
        return tuple(make(y, xs) for y in ys)
    if xs_seq:
        return tuple(make(ys, x) for x in xs)
    return make(ys, xs)


def jacobian(ys, xs, batch_axis=None):
    """Jacobian object(s) of ys with respect to xs (nested like ys and xs)."""
    return _nested(ys, xs, lambda y, x: Jacobian(y, x, batch_axis))


def hessian(ys, xs, batch_axis=None):
    """Hessian object(s) of a scalar ys (one element, or [B] / [B, 1] with batch_axis=0)
    with respect to xs (a tuple of xs gives a tuple of tuples)."""
    if not isinstance(ys, Variable):
        raise TypeError(f"hessian: ys must be a Tensor, got {type(ys).__name__}")
    if batch_axis is None and ys.size != 1:
        raise ValueError(f"hessian: ys must hold one element, got shape {ys.shape}")
    if batch_axis == 0 and (ys.ndim not in (1, 2) or ys.ndim == 2 and ys.shape[1] != 1):
        raise ValueError(f"hessian: with batch_axis=0 ys must have shape [B] or [B, 1], "
                         f"got {ys.shape}")
    xs_seq = isinstance(xs, (list, tuple))
    xs_list = list(xs) if xs_seq else [xs]
    total = ys.sum() if ys.ndim else ys
    gs = grad([total], xs_list, retain_graph=True, create_graph=True, allow_unused=True)
    gs = [apply("zeros_like", x) if g is None else g for g, x in zip(gs, xs_list)]
    if not xs_seq:
        return Hessian(gs[0], xs, batch_axis)
    return tuple(tuple(Hessian(g, x, batch_axis) for x in xs_list) for g in gs)
