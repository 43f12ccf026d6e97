"""Top-level utilities: `paddle.set_printoptions`, `iinfo` / `finfo`, `DataParallel`, `flops`.

- set_printoptions: implicit-mode tensors print through NumPy's `array2string`
  (dygraph/tensor.py) with the options kept here (precision, threshold, edgeitems,
  linewidth; sci_mode=True forces `1.0000e+00` floats); NumPy's own print options are left
  alone.
- DataParallel: one process, one device - a wrapper Layer that forwards calls, parameters and
  state_dict (without a `_layers.` prefix, as Paddle) to the wrapped layer.
- flops: the network is called once on `static.data` inputs inside a throwaway program
  (shape inference only, nothing runs, as paddle.summary), with a forward post-hook per
  sublayer applying Paddle's counting rules (hapi/dynamic_flops): Conv: output elements x
  (kernel area x in/groups + bias); Linear: output elements x in_features; BatchNorm
  (inference form): 2 x input elements; AvgPool: output elements; AdaptiveAvgPool: output
  elements x (kernel area + 1); activations, MaxPool, Dropout: 0.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from dualnet import dtypes

__all__ = ["set_printoptions", "iinfo", "finfo", "DataParallel", "flops"]


# ---------------------------------------------------------------- printing


PRINT_OPTIONS: dict = {}  # np.array2string keywords for printing tensors (set_printoptions)


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, sci_mode: bool | None = None,
                     linewidth: int | None = None) -> None:
    """Paddle's `set_printoptions`: how tensors print (None keeps an option as it is)."""
    options = {}
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise TypeError(f"set_printoptions: {name} must be a non-negative int, got "
                                f"{value!r}")
            options[name] = value
    if sci_mode is not None:
        if not isinstance(sci_mode, bool):
            raise TypeError(f"set_printoptions: sci_mode must be a bool, got {sci_mode!r}")
        digits = options.get("precision", PRINT_OPTIONS.get("precision", 8))
        options["formatter"] = ({"float_kind": lambda v: f"{v:.{digits}e}"} if sci_mode
                                else None)
        options["suppress_small"] = not sci_mode
    PRINT_OPTIONS.update(options)
    if PRINT_OPTIONS.get("formatter", 0) is None:
        del PRINT_OPTIONS["formatter"]


# ---------------------------------------------------------------- dtype limits


class iinfo:  # noqa: N801  (Paddle's name)
    """Limits of an integer dtype: min, max, bits, dtype (a string)."""

    def __init__(self, dtype):
        np_dt = dtypes.as_np(dtype)
        if np_dt.kind not in "iub":
            raise TypeError(f"paddle.iinfo expects an integer dtype, got {np_dt.name} (use "
                            "paddle.finfo for floating dtypes)")
        info = np.iinfo(np.uint8 if np_dt.kind == "b" else np_dt)
        self.min, self.max, self.bits = int(info.min), int(info.max), int(info.bits)
        self.dtype = np_dt.name

    def __repr__(self) -> str:
        return f"paddle.iinfo(min={self.min}, max={self.max}, bits={self.bits}, " \
               f"dtype={self.dtype})"


class finfo:  # noqa: N801  (Paddle's name)
    """Limits of a floating dtype: min, max, eps, resolution, smallest_normal, tiny, bits,
    dtype (a string)."""

    def __init__(self, dtype):
        np_dt = dtypes.as_np(dtype)
        if np_dt.kind not in "fc":
            raise TypeError(f"paddle.finfo expects a floating dtype, got {np_dt.name} (use "
                            "paddle.iinfo for integer dtypes)")
        info = np.finfo(np_dt)
        self.min, self.max = float(info.min), float(info.max)
        self.eps, self.resolution = float(info.eps), float(info.resolution)
        self.smallest_normal = self.tiny = float(info.smallest_normal)
        self.bits = int(info.bits)
        self.dtype = np.dtype(info.dtype).name

    def __repr__(self) -> str:
        return (f"paddle.finfo(min={self.min}, max={self.max}, eps={self.eps}, "
                f"resolution={self.resolution}, smallest_normal={self.smallest_normal}, "
                f"bits={self.bits}, dtype={self.dtype})")


# ---------------------------------------------------------------- DataParallel


def _layer_base():
    from .nn.layer.layers import Layer

    return Layer


class _DataParallelMixin:
    """The behaviour of paddle.DataParallel on one process (no collective communication)."""

    def __init__(self, layers, strategy=None, comm_buffer_size: int = 25,
                 last_comm_buffer_size: float = 1, find_unused_parameters: bool = False,
                 group=None):
        super().__init__()
        self._layers = layers
        self.find_unused_parameters = find_unused_parameters
        self.grad_need_sync = True

    def forward(self, *inputs, **kwargs):
        return self._layers(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradient synchronization is off inside (a no-op: there is one process)."""
        prev, self.grad_need_sync = self.grad_need_sync, False
        try:
            yield
        finally:
            self.grad_need_sync = prev

    def scale_loss(self, loss):
        return loss

    def apply_collective_grads(self) -> None:
        """Nothing to all-reduce on one process."""

    def state_dict(self, *args, **kwargs):
        return self._layers.state_dict(*args, **kwargs)

    def set_state_dict(self, *args, **kwargs):
        return self._layers.set_state_dict(*args, **kwargs)

    set_dict = load_dict = set_state_dict


_DP_CLASS: list = []


def _data_parallel_class():
    """paddle.DataParallel, made on first use (a Layer subclass: importing paddle does not
    import paddle.nn)."""
    if not _DP_CLASS:
        Layer = _layer_base()

        class DataParallel(_DataParallelMixin, Layer):
            """`paddle.DataParallel(layer)`: the layer, wrapped; one process, so calls,
            parameters and state_dict go straight to it."""

            def __init__(self, layers, *args, **kwargs):
                if not isinstance(layers, Layer):
                    raise TypeError(f"DataParallel wraps a paddle.nn.Layer, got "
                                    f"{type(layers).__name__}")
                super().__init__(layers, *args, **kwargs)

        DataParallel.__module__, DataParallel.__qualname__ = "paddle", "DataParallel"
        _DP_CLASS.append(DataParallel)
    return _DP_CLASS[0]


def __getattr__(name):
    if name == "DataParallel":
        return _data_parallel_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- flops


def _numel(v) -> int:
    return math.prod(max(int(d), 1) for d in v.shape)


def _first(values):
    return values[0] if isinstance(values, (list, tuple)) else values


def count_convnd(m, x, y) -> None:
    w = m.weight
    kernel_ops = math.prod(w.shape[2:]) * w.shape[1]  # weight [out, in/groups, k...]
    bias_ops = 1 if getattr(m, "bias", None) is not None else 0
    m.total_ops += _numel(_first(y)) * (kernel_ops + bias_ops)


def count_linear(m, x, y) -> None:
    m.total_ops += m.weight.shape[0] * _numel(_first(y))  # weight [in, out]


def count_bn(m, x, y) -> None:
    if not m.training:
        m.total_ops += 2 * _numel(_first(x))


def count_avgpool(m, x, y) -> None:
    m.total_ops += _numel(_first(y))


def count_adap_avgpool(m, x, y) -> None:
    ins, outs = _first(x).shape[2:], _first(y).shape[2:]
    kernel = math.prod(int(i) // max(int(o), 1) for i, o in zip(ins, outs))
    m.total_ops += (kernel + 1) * _numel(_first(y))


def count_leaky_relu(m, x, y) -> None:
    m.total_ops += _numel(_first(x))


def count_zero_ops(m, x, y) -> None:
    m.total_ops += 0


def _rules() -> dict:
    from . import nn

    rules = {nn.Conv2D: count_convnd, nn.Conv1D: count_convnd, nn.Linear: count_linear,
             nn.BatchNorm: count_bn, nn.BatchNorm1D: count_bn, nn.BatchNorm2D: count_bn,
             nn.AvgPool2D: count_avgpool, nn.AvgPool1D: count_avgpool,
             nn.AdaptiveAvgPool2D: count_adap_avgpool, nn.AdaptiveAvgPool1D: count_adap_avgpool,
             nn.LeakyReLU: count_leaky_relu}
    if hasattr(nn, "BatchNorm3D"):
        rules[nn.BatchNorm3D] = count_bn
    for name in ("ReLU", "ReLU6", "Dropout", "MaxPool2D", "MaxPool1D", "AdaptiveMaxPool2D",
                 "Sigmoid", "Tanh", "Flatten", "Identity"):
        if hasattr(nn, name):
            rules[getattr(nn, name)] = count_zero_ops
    return {k: v for k, v in rules.items() if v is not None}


def flops(net, input_size=None, custom_ops=None, print_detail: bool = False,
          inputs=None) -> int:
    """The forward FLOPs (multiply-adds, Paddle's counting rules) of `net` on inputs of
    `input_size` (batch dim included); prints the total, and the per-layer table with
    `print_detail`."""
    from .hapi.summary import input_specs, shape_pass

    if not isinstance(net, _layer_base()):
        raise TypeError(f"paddle.flops counts a paddle.nn.Layer, got {type(net).__name__} "
                        "(static Programs: build the network as a Layer)")
    rules = {**_rules(), **(custom_ops or {})}
    if input_size is None and inputs is None:
        raise ValueError("paddle.flops needs input_size (e.g. [1, 3, 224, 224]) or inputs")
    specs = input_specs(input_size, inputs=inputs)
    rows, hooks = [], []
    layers = [(name, layer) for name, layer in net.named_sublayers(include_self=True)
              if layer is not None and not layer._sub_layers]
    for name, layer in layers:
        rule = next((rules[c] for c in type(layer).__mro__ if c in rules), None)
        if rule is None and print_detail:
            print(f"Cannot find suitable count function for {type(layer)}. Treat it as zero "
                  "FLOPs.")
        hooks.append(layer.register_forward_post_hook(_flops_hook(layer, rule, rows)))
    shape_pass(net, specs, hooks, "flops")
    total = sum(r[4] for r in rows)
    params = sum(int(np.prod(p.shape)) for p in net.parameters())
    if print_detail:
        _print_table(rows)
    print(f"Total Flops: {total}     Total Params: {params}")
    return total


def _flops_hook(layer, rule, rows: list):
    def hook(m, x, y):
        object.__setattr__(m, "total_ops", 0)
        if rule is not None:
            rule(m, x, y)
        n = int(m.__dict__.pop("total_ops"))
        params = sum(int(np.prod(p.shape)) for p in m.parameters(include_sublayers=False))
        rows.append((m.full_name(), list(_first(x).shape) if x else [],
                     list(_first(y).shape) if hasattr(_first(y), "shape") else [], params, n))
    return hook


def _print_table(rows: list) -> None:
    head = ("Layer Name", "Input Shape", "Output Shape", "Params", "Flops")
    cells = [head] + [tuple(str(c) for c in r) for r in rows]
    width = [max(len(r[i]) for r in cells) + 2 for i in range(5)]
    line = "+" + "+".join("-" * w for w in width) + "+"
    print(line)
    for i, r in enumerate(cells):
        print("|" + "|".join(c.center(w) for c, w in zip(r, width)) + "|")
        if i == 0:
            print(line)
    print(line)
