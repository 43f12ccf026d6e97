"""torch.autograd.gradcheck / gradgradcheck: analytical gradients (the tape's vjps, one per
output element) against central finite differences, PyTorch's slow mode and messages.

Finite differences are taken in the inputs' own dtype (pass float64 inputs, as PyTorch asks)
and the differences and comparisons are computed in float64.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when a check fails."""


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x) -> bool:
    from ..tensor import Tensor

    return isinstance(x, Tensor)


def _host(t) -> np.ndarray:
    a = t._data
    return np.asarray(a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a)


def _differentiable_outputs(out) -> tuple:
    return tuple(o for o in _as_tuple(out) if _is_tensor(o) and o.requires_grad)


def _all_outputs(out) -> tuple:
    return tuple(o for o in _as_tuple(out) if _is_tensor(o))


def _numerical_jacobian(func, inputs, diff_idx, n_out_numels, eps: float) -> list:
    """jac[j][i]: (inputs[j].numel, outputs[i].numel) float64, by central differences."""
    from ..tensor import Tensor

    jac = []
    for j in diff_idx:
        x = inputs[j]
        base = x._data
        per_out = [np.zeros((x.numel(), n), dtype=np.float64) for n in n_out_numels]
        for k in range(x.numel()):
            outs = []
            for sign in (1.0, -1.0):
                data = base.copy()
                flat = data.reshape(-1)
                flat[k] = flat[k] + sign * eps
                pert = Tensor._wrap(data)
                if x.requires_grad:
                    pert.requires_grad_(True)
                args = list(inputs)
                args[j] = pert
                outs.append(_all_outputs(func(*args)))
            for i, (plus, minus) in enumerate(zip(*outs)):
                diff = (_host(plus).astype(np.float64) - _host(minus).astype(np.float64))
                per_out[i][k] = diff.reshape(-1) / (2.0 * eps)
        jac.append(per_out)
    return jac


def _analytical_jacobian(outputs, diff_inputs, check_grad_dtypes: bool) -> list:
    """jac[j][i]: (inputs[j].numel, outputs[i].numel) float64, from one vjp per output entry."""
    from . import grad as autograd_grad
    from ..tensor import Tensor

    jac = [[np.zeros((x.numel(), o.numel()), dtype=np.float64) for o in outputs]
           for x in diff_inputs]
    for i, out in enumerate(outputs):
        xp = out._xp()
        for k in range(out.numel()):
            e = xp.zeros(out._data.shape, dtype=out._data.dtype)
            e.reshape(-1)[k] = 1
            grads = autograd_grad([out], list(diff_inputs), [Tensor._wrap(e)],
                                  retain_graph=True, allow_unused=True)
            for j, (g, x) in enumerate(zip(grads, diff_inputs)):
                if g is None:
                    continue
                if tuple(g.shape) != tuple(x.shape):
                    raise GradcheckError("Analytical gradient has incorrect size")
                if check_grad_dtypes and g.dtype != x.dtype:
                    raise GradcheckError("Gradient has dtype mismatch")
                jac[j][i][:, k] = _host(g).astype(np.float64).reshape(-1)
    return jac


def _fmt(a: np.ndarray) -> str:
    from ..tensor import Tensor

    return repr(Tensor._wrap(a))


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes) -> None:
    diff_idx = [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64 and inputs[i]._data.dtype.kind != "c":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ")
    func_out = func(*inputs)
    all_outs = _all_outputs(func_out)
    outputs = _differentiable_outputs(func_out)
    numerical = _numerical_jacobian(func, inputs, diff_idx, [o.numel() for o in all_outs], eps)
    if not outputs:
        for per_input in numerical:
            for n in per_input:
                if n.size and not np.allclose(n, 0.0, rtol=rtol, atol=atol):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    diff_pos = [k for k, o in enumerate(all_outs) if o.requires_grad]
    diff_inputs = [inputs[i] for i in diff_idx]
    first = _analytical_jacobian(outputs, diff_inputs, check_grad_dtypes)
    second = _analytical_jacobian(outputs, diff_inputs, check_grad_dtypes)
    for j, input_idx in enumerate(diff_idx):
        for i, out_pos in enumerate(diff_pos):
            a, n = first[j][i], numerical[j][out_pos]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian mismatch for output {i} with respect to input "
                                     f"{input_idx},\nnumerical:{_fmt(n)}\nanalytical:"
                                     f"{_fmt(a)}\n")
            if not np.allclose(a, second[j][i], rtol=0.0, atol=nondet_tol):
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient.The tolerance for nondeterminism was "
                    f"{nondet_tol}.\n\nNOTE: If your op relies on non-deterministic operations "
                    "i.e., it is listed here:\nhttps://pytorch.org/docs/stable/generated/"
                    "torch.use_deterministic_algorithms.html\nthis failure might be expected.")


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of `func` at `inputs` (a Tensor or tuple; those with
    requires_grad=True are checked) against finite differences. Returns True, or raises
    GradcheckError (returns False with raise_exception=False). The fast_mode/forward-AD/batched
    flags are accepted; the check is always PyTorch's slow mode over reverse mode."""
    inputs = _as_tuple(inputs)
    try:
        if check_backward_ad:
            _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the map (inputs, grad_outputs) -> autograd.grad(func(inputs), inputs,
    grad_outputs, create_graph=True): second derivatives against finite differences. Random
    grad_outputs in [-1, 1) are drawn when none are given."""
    from dualnet import random as dn_random

    from . import grad as autograd_grad
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = tuple(
            Tensor._wrap(dn_random.uniform(np, tuple(o.shape), -1.0, 1.0,
                                           dtype=o._data.dtype if o._data.dtype.kind in "fc"
                                           else "float64")).requires_grad_(True)
            for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        in_args = tuple(x.requires_grad_() if i in diff_in and x.is_leaf else x
                        for i, x in enumerate(args[:-n_out]))
        outputs = _differentiable_outputs(func(*in_args))
        gos = tuple(x.requires_grad_() if i in diff_go and x.is_leaf else x
                    for i, x in enumerate(args[-n_out:]))
        diff_args = tuple(x for i, x in enumerate(in_args) if i in diff_in)
        grads = autograd_grad(list(outputs), list(diff_args), list(gos), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, masked=masked)
