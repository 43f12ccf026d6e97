"""`paddle.nn.utils`: weight / spectral normalization hooks, gradient clipping of parameters'
gradients in place, and parameters <-> one flat vector.

weight_norm replaces `layer.weight` by the parameters `weight_g` (the norm over every axis but
`dim`, shape [weight.shape[dim]]) and `weight_v` (the direction), and a forward pre-hook that
recomputes weight = weight_v * weight_g / ||weight_v|| from ops before each call, so the
gradients reach g and v. spectral_norm keeps `weight_orig` and the power-iteration vectors
`weight_u` / `weight_v` (buffers, updated while training) and divides by the estimated largest
singular value. The clip functions work on the gradients of dynamic (implicit) mode.
"""
from __future__ import annotations

import math

import numpy as np

from dualnet.ops import apply

from ..binder import write_to
from ..framework import in_implicit_mode
from .initializer import Assign
from .layer.storage import read_value

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "clip_grad_norm_",
           "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


# ---------------------------------------------------------------- weight norm

def _np_norm_except_dim(w: np.ndarray, dim: int) -> np.ndarray:
    if dim == -1:
        return np.sqrt(np.sum(w.astype(np.float64) ** 2)).reshape(1).astype(w.dtype)
    moved = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1).astype(np.float64)
    return np.sqrt(np.sum(moved ** 2, axis=1)).astype(w.dtype)


def _norm_except_dim(v, dim: int):
    sq = apply("mul", v, v)
    if dim == -1:
        return apply("reshape", apply("sqrt", apply("sum", sq, axis=None, keepdim=False)),
                     shape=(1,))
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return apply("sqrt", apply("sum", sq, axis=axes, keepdim=False))


class WeightNorm:
    """The forward pre-hook of weight_norm: weight = v * (g / ||v||) along `dim`."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, layer):
        g = getattr(layer, self.name + "_g")
        v = getattr(layer, self.name + "_v")
        scale = apply("div", g, _norm_except_dim(v, self.dim))
        if self.dim != -1:
            shape = [1] * v.ndim
            shape[self.dim] = v.shape[self.dim]
            scale = apply("reshape", scale, shape=tuple(shape))
        return apply("mul", v, scale)

    def __call__(self, layer, inputs):
        object.__setattr__(layer, self.name, self.compute_weight(layer))


def _hooks(layer) -> dict:
    if "_dn_norm_hooks" not in layer.__dict__:
        object.__setattr__(layer, "_dn_norm_hooks", {})
    return layer.__dict__["_dn_norm_hooks"]


def _new_param(layer, name: str, value: np.ndarray):
    p = layer.create_parameter(list(value.shape), dtype=value.dtype.name,
                               default_initializer=Assign(value))
    layer.add_parameter(name, p)
    return p


def weight_norm(layer, name: str = "weight", dim: int | None = 0):
    """Reparameterize `layer.<name>` as <name>_g * <name>_v / ||<name>_v||."""
    if name in _hooks(layer):
        raise RuntimeError(f"weight_norm: {name!r} of {type(layer).__name__} already has a "
                           "norm hook")
    w = layer._parameters.get(name)
    if w is None:
        raise ValueError(f"weight_norm: {type(layer).__name__} has no parameter {name!r}")
    ndim = len(w.shape)
    dim = -1 if dim is None else dim
    if not -ndim <= dim < ndim:
        raise ValueError(f"weight_norm: dim {dim} is out of range for {name!r} of shape "
                         f"{list(w.shape)}")
    if dim < -1:
        dim += ndim
    value = read_value(w)
    del layer._parameters[name]
    _new_param(layer, name + "_g", _np_norm_except_dim(value, dim))
    _new_param(layer, name + "_v", value)
    fn = WeightNorm(name, dim)
    helper = layer.register_forward_pre_hook(fn)
    _hooks(layer)[name] = (fn, helper)
    object.__setattr__(layer, name, fn.compute_weight(layer))
    return layer


def remove_weight_norm(layer, name: str = "weight"):
    """Undo weight_norm: <name> becomes a plain parameter holding g * v / ||v||."""
    entry = _hooks(layer).get(name)
    if entry is None or not isinstance(entry[0], WeightNorm):
        raise ValueError(f"weight_norm of {name!r} not found in {type(layer).__name__}")
    fn, helper = _hooks(layer).pop(name)
    g, v = read_value(getattr(layer, name + "_g")), read_value(getattr(layer, name + "_v"))
    n = _np_norm_except_dim(v, fn.dim)
    shape = [1] * v.ndim
    if fn.dim != -1:
        shape[fn.dim] = v.shape[fn.dim]
    weight = (v * (g / n).reshape(shape)).astype(v.dtype)
    helper.remove()
    del layer._parameters[name + "_g"], layer._parameters[name + "_v"]
    layer.__dict__.pop(name, None)
    _new_param(layer, name, weight)
    return layer


# ---------------------------------------------------------------- spectral norm

def _normalize(x, eps: float):
    norm = apply("sqrt", apply("sum", apply("mul", x, x), axis=None, keepdim=False))
    return apply("div", x, apply("maximum", norm, eps))


class SpectralNorm:
    """The forward pre-hook of spectral_norm: weight = weight_orig / sigma, sigma from
    `n_power_iterations` steps of power iteration on weight_orig as an [h, w] matrix."""

    def __init__(self, name: str, n_power_iterations: int, eps: float, dim: int):
        self.name, self.n, self.eps, self.dim = name, n_power_iterations, eps, dim

    def _matrix(self, w):
        if self.dim != 0:
            perm = (self.dim,) + tuple(a for a in range(w.ndim) if a != self.dim)
            w = apply("transpose", w, perm=perm)
        return apply("reshape", w, shape=(w.shape[0], -1))

    def compute_weight(self, layer, training: bool):
        w = getattr(layer, self.name + "_orig")
        u_var, v_var = getattr(layer, self.name + "_u"), getattr(layer, self.name + "_v")
        mat = self._matrix(w)
        u, v = u_var, v_var
        if training and self.n > 0:
            from ..dygraph.tensor import no_grad

            with no_grad():
                for _ in range(self.n):
                    v = _normalize(apply("matmul", mat, u, transpose_x=True), self.eps)
                    u = _normalize(apply("matmul", mat, v), self.eps)
            write_to(u, u_var)
            write_to(v, v_var)
            u, v = getattr(layer, self.name + "_u"), getattr(layer, self.name + "_v")
        sigma = apply("sum", apply("mul", u, apply("matmul", mat, v)), axis=None,
                      keepdim=False)
        return apply("div", w, sigma)

    def __call__(self, layer, inputs):
        object.__setattr__(layer, self.name, self.compute_weight(layer, layer.training))


def spectral_norm(layer, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None):
    """Divide `layer.<name>` by its spectral norm (largest singular value) at each call."""
    w = layer._parameters.get(name)
    if w is None:
        raise ValueError(f"spectral_norm: {type(layer).__name__} has no parameter {name!r}")
    if n_power_iterations <= 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be > 0, got "
                         f"{n_power_iterations}")
    if dim is None:
        kind = type(layer).__name__
        dim = 1 if kind == "Linear" or kind.endswith("Transpose") else 0
    value = read_value(w)
    h = value.shape[dim]
    rng = np.random.default_rng(0)
    u = rng.standard_normal(h).astype(value.dtype)
    v = rng.standard_normal(value.size // h).astype(value.dtype)
    u /= max(np.linalg.norm(u), eps)
    v /= max(np.linalg.norm(v), eps)
    del layer._parameters[name]
    _new_param(layer, name + "_orig", value)
    layer.register_buffer(name + "_u", u)
    layer.register_buffer(name + "_v", v)
    fn = SpectralNorm(name, int(n_power_iterations), float(eps), dim)
    helper = layer.register_forward_pre_hook(fn)
    _hooks(layer)[name] = (fn, helper)
    object.__setattr__(layer, name, fn.compute_weight(layer, False))
    return layer


# ---------------------------------------------------------------- gradients

def _grads(parameters, what: str) -> list:
    """[(param, grad tensor, accumulator name)] of the parameters holding a gradient."""
    if not in_implicit_mode():
        raise RuntimeError(f"paddle.nn.utils.{what} works on the gradients of dynamic mode; "
                           "in a static program pass grad_clip= to the optimizer")
    from ..dygraph.autograd import acc_name
    from ..dygraph.session import SESSION

    params = [parameters] if not isinstance(parameters, (list, tuple)) and \
        hasattr(parameters, "grad") else list(parameters)
    out = []
    for p in params:
        state = SESSION.grad_state.get(getattr(p, "_origin", p).name)
        if state == "held":
            out.append((p, p.grad, acc_name(p)))
    return out


def _store_grad(name: str, value) -> None:
    from ..scope import global_scope

    global_scope().var(name).value = np.asarray(value.numpy())


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False):
    """Scale the gradients in place so that their joint `norm_type` norm is at most
    max_norm; returns that norm (before clipping) as a tensor."""
    from ..dygraph import to_tensor

    items = _grads(parameters, "clip_grad_norm_")
    norm_type = float(norm_type)
    if not items:
        return to_tensor(0.0)
    if math.isinf(norm_type):
        parts = [apply("max", apply("abs", g), axis=None, keepdim=False) for _, g, _ in items]
        total = parts[0]
        for p in parts[1:]:
            total = apply("maximum", total, p)
    else:
        total = None
        for _, g, _ in items:
            s = apply("sum", apply("pow", apply("abs", g), norm_type), axis=None, keepdim=False)
            total = s if total is None else apply("add", total, s)
        total = apply("pow", total, 1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(float(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    coef = apply("clip", apply("div", float(max_norm), apply("add", total, 1e-6)), max=1.0)
    for _, g, name in items:
        _store_grad(name, apply("mul", g, coef))
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value], in place."""
    c = float(clip_value)
    for _, g, name in _grads(parameters, "clip_grad_value_"):
        _store_grad(name, apply("clip", g, min=-c, max=c))


def parameters_to_vector(parameters, name=None):
    """The parameters flattened and concatenated into one 1-D tensor."""
    flat = [apply("reshape", p, shape=(-1,)) for p in parameters]
    return apply("concat", *flat, axis=0)


def vector_to_parameters(vec, parameters, name=None) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters (reshaped)."""
    params = list(parameters)
    sizes = [int(np.prod(p.shape)) for p in params]
    if len(vec.shape) != 1 or (vec.shape[0] != -1 and vec.shape[0] != sum(sizes)):
        raise ValueError(f"vector_to_parameters: vec of shape {list(vec.shape)} does not "
                         f"hold the {sum(sizes)} elements of the parameters")
    pieces = apply("split", vec, sections=tuple(sizes), axis=0)
    for p, piece in zip(params, pieces):
        write_to(apply("reshape", piece, shape=tuple(p.shape)), p)
