"""torch.autograd: backward, grad, grad modes, anomaly detection, functional (jacobian,
hessian, vjp, jvp, hvp, vhp), gradcheck / gradgradcheck."""
from __future__ import annotations

from .engine import AccumulateGrad, Node, run_backward  # noqa: F401
from .grad_mode import (detect_anomaly, enable_grad, inference_mode,  # noqa: F401
                        is_anomaly_enabled, is_grad_enabled, no_grad, set_detect_anomaly,
                        set_grad_enabled)
from .function import Function  # noqa: F401
from . import functional  # noqa: F401,E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401,E402


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _make_grads(outputs, grad_outputs):
    from ..tensor import Tensor

    grads = []
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got a tensor of shape {list(t.shape)})")
            g = Tensor._wrap(t._xp().ones(t._data.shape, dtype=t._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=t.dtype, device=t.device)
        if tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{list(g.shape)} and output[{i}] has a shape of {list(t.shape)}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves."""
    tensors = _as_list(tensors)
    grads = _make_grads(tensors, _as_list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs)
        found = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs,
                             allow_unused=True, accumulate=False)
        for t, g in zip(inputs, found):
            if g is not None:
                from .engine import _accumulate
                _accumulate(t, g, create_graph)
        return
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Gradients of `outputs` w.r.t. `inputs`, returned (not accumulated into `.grad`)."""
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grads = _make_grads(outputs, _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          allow_unused=bool(allow_unused) or materialize_grads,
                          accumulate=False)
    if materialize_grads:
        from ..tensor import zeros_like_tensor
        result = [zeros_like_tensor(t) if r is None else r for t, r in zip(inputs, result)]
    if not create_graph:
        result = [None if r is None else r.detach() for r in result]
    return tuple(result)


def __getattr__(name):
    # torch.autograd.profiler imports on first use (it is light, but rarely needed)
    if name == "profiler":
        import importlib

        return importlib.import_module(f"{__name__}.profiler")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
