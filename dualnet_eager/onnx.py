"""torch.onnx: `export` over interop (to_static records the model into a Program on `args`,
interop.onnx.export writes it) and `is_in_onnx_export`.

What is supported, as in torch's TorchScript-based exporter: `args` (a tensor, a tuple, a
tuple ending with a dict of keyword arguments), `f` (a path or a binary file object),
`input_names`/`output_names`, `dynamic_axes` (the named input dims are recorded as dynamic
dims - the Program stays valid for other sizes there, also through `x.size(0)` in view/reshape
- and become dim_params of the ONNX inputs and outputs), `opset_version` (default 17, or the
newest onnxruntime supports), `training=TrainingMode.EVAL`, `verbose` (prints the graph).
The model is always exported for inference (dropout off, batch norm on running statistics),
with its weights as initializers; arguments asking for anything else (training graphs,
ATen fallbacks, custom opsets, local functions, initializers as inputs, the dynamo exporter)
raise a clear error instead of being ignored.
"""
from __future__ import annotations

import enum
import inspect
import os
import threading

from .nn import Module
from .tensor import Tensor

__all__ = ["export", "is_in_onnx_export", "TrainingMode", "OperatorExportTypes",
           "OnnxExporterError"]

DEFAULT_OPSET = 17


class TrainingMode(enum.IntEnum):
    PRESERVE = 0
    EVAL = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


class OnnxExporterError(RuntimeError):
    """An argument of torch.onnx.export that dualnet's exporter does not support."""


class _State(threading.local):
    exporting = False


_state = _State()


def is_in_onnx_export() -> bool:
    """True while torch.onnx.export records the model (on this thread)."""
    return _state.exporting


# keyword arguments of torch's (dynamo) exporter that are fine at these values
_IGNORED = {"report": False, "optimize": True, "verify": False, "profile": False,
            "dump_exported_program": False, "artifacts_dir": ".", "fallback": False,
            "custom_translation_table": None, "external_data": True}


def export(model, args=(), f=None, export_params: bool = True, verbose: bool = False,
           training=TrainingMode.EVAL, input_names=None, output_names=None,
           operator_export_type=OperatorExportTypes.ONNX, opset_version=None,
           do_constant_folding: bool = True, dynamic_axes=None,
           keep_initializers_as_inputs=None, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining: bool = True, *,
           kwargs=None, dynamo: bool = False, dynamic_shapes=None, **options) -> None:
    """Export `model` (an nn.Module, a function, or a torch.jit result) run on `args` to the
    ONNX file `f`. `do_constant_folding` is accepted (values computed from constants only
    are folded while recording anyway)."""
    _check_options(model, training, export_params, operator_export_type, custom_opsets,
                   export_modules_as_functions, keep_initializers_as_inputs, dynamo,
                   dynamic_shapes, options)
    if f is None:
        raise ValueError("torch.onnx.export: give `f`, the file (path or binary file object) "
                         "to write")
    import onnx

    from interop.onnx import export as interop_export
    from interop.onnx import supported_opsets

    opset = opset_version if opset_version is not None else min(
        DEFAULT_OPSET, supported_opsets().stop - 1)
    prev, _state.exporting = _state.exporting, True
    try:
        static, names = _record(model, args, kwargs, input_names, dynamic_axes or {})
        proto = interop_export(static, None, opset_version=opset,
                               dynamic_axes=_axes_dict(dynamic_axes or {}),
                               output_names=output_names)
    finally:
        _state.exporting = prev
    _warn_unknown_axes(dynamic_axes or {}, names, proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        from interop.onnx.export import save_atomic

        save_atomic(proto, os.fspath(f))


def _check_options(model, training, export_params, operator_export_type, custom_opsets,
                   export_modules_as_functions, keep_initializers_as_inputs, dynamo,
                   dynamic_shapes, options) -> None:
    def refuse(what: str) -> None:
        raise OnnxExporterError(f"torch.onnx.export: {what} is not supported by dualnet's "
                                "exporter (it writes inference graphs of the standard ONNX "
                                "domain, weights as initializers)")

    if training == TrainingMode.TRAINING:
        refuse("training=TrainingMode.TRAINING")
    if training == TrainingMode.PRESERVE and getattr(model, "training", False):
        refuse("training=TrainingMode.PRESERVE on a model in training mode (call "
               "model.eval() first)")
    if not export_params:
        refuse("export_params=False")
    if operator_export_type != OperatorExportTypes.ONNX:
        refuse(f"operator_export_type={operator_export_type!r}")
    if custom_opsets:
        refuse("custom_opsets")
    if export_modules_as_functions:
        refuse("export_modules_as_functions")
    if keep_initializers_as_inputs:
        refuse("keep_initializers_as_inputs=True")
    if dynamo:
        refuse("dynamo=True (dualnet records the model with its own tracer)")
    if dynamic_shapes is not None:
        refuse("dynamic_shapes (use dynamic_axes)")
    for key, value in options.items():
        if key not in _IGNORED:
            raise TypeError(f"torch.onnx.export() got an unexpected keyword argument {key!r}")
        if value != _IGNORED[key]:
            refuse(f"{key}={value!r}")


def _split_args(args, kwargs) -> tuple:
    if isinstance(args, Tensor) or not isinstance(args, (tuple, list)):
        args = (args,)
    args = tuple(args)
    extra = {}
    if args and isinstance(args[-1], dict):  # torch: a trailing dict holds keyword arguments
        extra, args = dict(args[-1]), args[:-1]
    extra.update(kwargs or {})
    return args, extra


def _record(model, args, kwargs, input_names, dynamic_axes: dict):
    """(StaticModel recorded on args with the dynamic dims declared, input names)."""
    from interop import InputSpec, to_static
    from interop._tree import flatten, is_leaf

    from .jit import _Converted

    if isinstance(model, _Converted):
        model = model._eager
    if not callable(model):
        raise TypeError(f"torch.onnx.export expects an nn.Module or a function, got "
                        f"{type(model).__name__}")
    args, kwargs = _split_args(args, kwargs)
    leaves, structure = flatten((args, kwargs))
    plain = not kwargs and all(is_leaf(a) for a in args)
    target = model if plain else _flat(model, structure)
    names = _input_names(model, len(leaves), input_names, plain)
    specs = []
    for leaf, name in zip(leaves, names):
        t = leaf if isinstance(leaf, Tensor) else Tensor._wrap(leaf)
        axes = _axes(dynamic_axes.get(name, ()))
        bad = [a for a in axes if not -t.dim() <= a < t.dim()]
        if bad:
            raise ValueError(f"torch.onnx.export: dynamic_axes for input {name!r} names axis "
                             f"{bad[0]}, but the input has {t.dim()} dims")
        axes = {a % t.dim() for a in axes} if t.dim() else set()
        shape = [None if i in axes else d for i, d in enumerate(t.shape)]
        specs.append(InputSpec(shape, t._data.dtype.name, name))
    tensors = [x if isinstance(x, Tensor) else Tensor._wrap(x) for x in leaves]
    return to_static(target, input_spec=specs, example_inputs=tuple(tensors)), names


def _flat(model, structure):
    """`model` taking the flattened tensor leaves of (args, kwargs) positionally."""
    from interop._tree import unflatten

    if not isinstance(model, Module):
        def flat_fn(*tensors):
            args, kwargs = unflatten(structure, tensors)
            return model(*args, **kwargs)
        return flat_fn
    return _FlatModule(model, structure)


class _FlatModule(Module):
    """Shares the model's parameters, buffers and submodules (same state_dict names)."""

    def __init__(self, model: Module, structure):
        super().__init__()
        for attr in ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"):
            object.__setattr__(self, attr, getattr(model, attr))
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_structure", structure)
        self.training = model.training

    def forward(self, *tensors):
        from interop._tree import unflatten

        args, kwargs = unflatten(self._structure, tensors)
        return self._model(*args, **kwargs)

    def train(self, mode: bool = True) -> "_FlatModule":
        super().train(mode)
        self._model.train(mode)
        return self


def _input_names(model, n: int, given, plain: bool) -> list:
    given = list(given or [])
    if len(given) > n:
        raise ValueError(f"torch.onnx.export: {len(given)} input_names for {n} inputs")
    defaults = []
    if plain:
        fn = model.forward if isinstance(model, Module) else model
        try:
            params = inspect.signature(fn).parameters.values()
            defaults = [p.name for p in params
                        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            defaults = []
    names = []
    for i in range(n):
        name = given[i] if i < len(given) else (
            defaults[i] if i < len(defaults) else f"input_{i}")
        while name in names:
            name = f"{name}_{i}"
        names.append(name)
    return names


def _axes(spec) -> list:
    if isinstance(spec, dict):
        return [int(a) for a in spec]
    return [int(a) for a in spec]


def _axes_dict(dynamic_axes: dict) -> dict:
    """torch's {name: [axes] | {axis: dim name}} as interop's {name: {axis: dim name}}."""
    out = {}
    for name, spec in dynamic_axes.items():
        if isinstance(spec, dict):
            out[name] = {int(a): str(v) for a, v in spec.items()}
        else:  # a list: torch names them <name>_dynamic_axes_<k>
            out[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(spec)}
    return out


def _warn_unknown_axes(dynamic_axes: dict, input_names: list, proto) -> None:
    import warnings

    known = set(input_names) | {o.name for o in proto.graph.output}
    for key in dynamic_axes:
        if key not in known:
            warnings.warn(f"Provided key {key} for dynamic axes is not a valid input/output "
                          "name", stacklevel=3)
