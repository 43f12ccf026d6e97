"""The eager Tensor: an xp array plus autograd state, and the binder that runs registry ops on
Tensors and records them on the tape."""
from __future__ import annotations

import threading

import numpy as np

from dualnet import backend, dtypes
from dualnet.ops import registry
from dualnet.ops.registry import OpError, explain

from .autograd import grad_mode
from .autograd.engine import AccumulateGrad, Node, record_creation
from ._mathx import MathMethods
from ._methods import TensorMethods
from ._search import SearchMethods
from ._shapes import ShapeMethods
from .size import Size

_state = grad_mode.state
_as_size = tuple.__new__  # _as_size(Size, dims): dims that are ints already, unchecked


class _Tracing(threading.local):
    """The hook of interop.to_static (interop/trace.py): while it traces a model on this thread,
    `tracer` is set and the Tensor methods that read shapes or values, or write in place
    without an op, report to it (shapes become symbolic dims; a Python decision on a traced
    value raises a clear error). None otherwise: a single attribute check."""

    tracer = None


tracing = _Tracing()


class Tensor(TensorMethods, SearchMethods, ShapeMethods, MathMethods):
    """A multi-dimensional array with autograd, in PyTorch's style."""

    __slots__ = ("_data", "_requires_grad", "grad", "_node", "_out_idx", "_version", "_hooks",
                 "_accum", "_retains_grad", "__weakref__", "__dict__")
    __array_priority__ = 1000  # NumPy defers `ndarray * tensor` to Tensor.__rmul__

    def __init__(self, data=None, *size, dtype=None, device=None, requires_grad=False):
        if isinstance(data, int) and not isinstance(data, bool) or (data is None and size):
            shape = ((data,) if data is not None else ()) + tuple(size)  # torch.Tensor(2, 3)
            array = np.zeros(shape, dtype=dtypes.as_np(dtype))
        else:  # torch.Tensor(data) is the default-float constructor; torch.tensor infers
            array = _to_array(data if data is not None else [],
                              dtype if dtype is not None else dtypes.get_default_dtype())
        if device is not None:
            array = backend.to_device(array, device)
        self._init(array, None, 0, bool(requires_grad))
        if requires_grad and array.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")

    def _init(self, data, node, idx, requires_grad):
        self._data = data
        self._node = node
        self._out_idx = idx
        self._requires_grad = requires_grad
        self.grad = None
        self._version = [0]
        self._hooks = None
        self._accum = None
        self._retains_grad = False

    @classmethod
    def _wrap(cls, data, node=None, idx=0, requires_grad=False):
        """Wrap an xp array without copying (the fast path used by the binder)."""
        t = cls.__new__(cls)
        t._init(data, node, idx, requires_grad)
        return t

    # ------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._node is not None or self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def _grad_edge(self):
        """(node, output index) a gradient of this tensor flows to, or None."""
        return _edge(self)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (PyTorch semantics)."""
        from . import autograd

        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is not None:
            return self._node.register_prehook(self._out_idx, hook)
        from .autograd.engine import _Handle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _Handle(self._hooks, hook)

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if self._node is None:
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                t.grad = g.detach() if t.grad is None else t.grad + g.detach()

        keep.runs_last = True  # as in PyTorch, retain_grad sees the grad after other hooks
        self._node.register_prehook(self._out_idx, keep)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> "Tensor":
        t = Tensor._wrap(self._data)
        t._version = self._version
        if tracing.tracer is not None:  # to_static: the copy stops gradients
            tracing.tracer.detached(self, t)
        return t

    def detach_(self) -> "Tensor":
        self._node = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        return self.detach()

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else _to_array(value, None)

    # ------------------------------------------------------------ array facts
    @property
    def shape(self):
        if tracing.tracer is not None:  # to_static: dynamic dims are symbolic
            return tracing.tracer.shape(self)
        return _as_size(Size, self._data.shape)  # an array's shape: Python ints already

    def size(self, dim=None):
        if tracing.tracer is not None:  # to_static: dynamic dims are symbolic
            shape = tracing.tracer.shape(self)
            return shape if dim is None else shape[registry_norm_axis(dim, self._data.ndim)]
        if dim is None:
            return _as_size(Size, self._data.shape)
        return self._data.shape[registry_norm_axis(dim, self._data.ndim)]

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.as_dtype(self._data.dtype)

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        if tracing.tracer is not None:  # to_static: dynamic dims are symbolic
            return tracing.tracer.numel(self)
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def _xp(self):
        return backend.get_array_module(self._data)

    def _type_name(self) -> str:
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "bool": "BoolTensor", "float16": "HalfTensor"}
        prefix = "torch.cuda." if self.is_cuda else "torch."
        return prefix + names.get(self._data.dtype.name, "Tensor")

    # ------------------------------------------------------------ conversion
    def numpy(self, force: bool = False) -> np.ndarray:
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "tensor.numpy()")
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.is_cuda and not force:
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return backend.to_numpy(self._data)

    def item(self):
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "tensor.item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item() if self.is_cuda else self._data.item()

    def tolist(self):
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "tensor.tolist()")
        return backend.to_numpy(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "np.asarray(tensor)")
        a = backend.to_numpy(self._data)
        return a.astype(dtype) if dtype is not None else a

    def to(self, *args, **kwargs) -> "Tensor":
        """`to(device)`, `to(dtype)`, `to(device, dtype)`, `to(other)`; differentiable."""
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (dtypes.DType, type)) or (isinstance(a, str) and _is_dtype(a)):
                dtype = a
            elif a is not None:
                device = a
        out = self
        if dtype is not None and dtypes.as_np(dtype) != self._data.dtype:
            out = registry.apply("cast", out, dtype=dtypes.as_np(dtype).name)
        if device is not None and backend.Device(device) != self.device:
            out = registry.apply("to_device", out, device=str(backend.Device(device)))
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, device=None) -> "Tensor":
        return self.to(backend.Device("cuda", device if isinstance(device, int) else None)
                       if not isinstance(device, str) else device)

    def type(self, dtype=None):
        if dtype is None:
            return self._type_name()
        return self.to(dtype)

    def __repr__(self) -> str:
        from ._runtime import format_array  # honours torch.set_printoptions

        extra = ""
        if self._data.size == 0:  # PyTorch: the shape (unless (0,)) and non-default dtypes
            body = "[]"
            if self._data.shape != (0,):
                extra += f", size={tuple(self._data.shape)}"
            shown = (dtypes.get_default_dtype().np,)
        else:
            body = format_array(backend.to_numpy(self._data), len("tensor("))
            shown = (dtypes.get_default_dtype().np, np.int64, np.bool_)
        if self._data.dtype not in shown:
            extra += f", dtype={self.dtype!r}".replace("dualnet.", "torch.")
        if self.is_cuda:
            extra += f", device='{self.device}'"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __hash__(self) -> int:
        return id(self)

    def __len__(self) -> int:
        if tracing.tracer is not None:  # to_static: len() of a dynamic dim can't be traced
            tracing.tracer.check_len(self, "len(tensor)")
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if tracing.tracer is not None:  # to_static: a loop over a dynamic dim can't be traced
            tracing.tracer.check_len(self, "iterating over a tensor")
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "bool(tensor)")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "float(tensor)")
        return float(self.item())

    def __int__(self) -> int:
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "int(tensor)")
        return int(self.item())

    def __index__(self) -> int:
        if tracing.tracer is not None:  # to_static: a traced value can't be read
            tracing.tracer.read_value(self, "using a tensor as an index")
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __deepcopy__(self, memo):
        """A leaf copy on the same device, keeping requires_grad and .grad (as PyTorch)."""
        if self._node is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = type(self)._wrap(self._data.copy(), None, 0, self._requires_grad)
        memo[id(self)] = t
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        if self.__dict__:
            import copy

            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return t

    def __reduce__(self):
        return (_rebuild, (backend.to_numpy(self._data), self._requires_grad))

    # ------------------------------------------------------------ in-place support
    def _set_(self, result: "Tensor") -> "Tensor":
        """Make this tensor hold `result` in place: write its values into our buffer (so views
        see them), bump the version, and take over its place in the graph."""
        if self._node is None and self._requires_grad and _state.grad_enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        src = result._data
        if src.dtype != self._data.dtype and not np.can_cast(src.dtype, self._data.dtype,
                                                             "same_kind"):
            raise RuntimeError(f"result type {dtypes.as_dtype(src.dtype).name} can't be cast to "
                               f"the desired output type {self.dtype.name}")
        if src.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(src.shape)}")
        node = result._node
        if node is not None and node.saved is not None and any(t is self for t in node.saved):
            # The op that computed `result` saved our old value: keep a snapshot of it.
            snap = Tensor._wrap(self._data.copy(), self._node, self._out_idx,
                                self._requires_grad)
            snap._version = [self._version[0]]
            node.saved = tuple(snap if t is self else t for t in node.saved)
        if self._data.flags.writeable:
            self._xp().copyto(self._data, src, casting="unsafe")
        else:
            self._data = src.astype(self._data.dtype, copy=True)
        self._version[0] += 1
        if node is not None:
            self._node, self._out_idx = node, result._out_idx
        elif self._node is not None and _state.grad_enabled:
            # a value no gradient flows through (eq_, copy_ of a constant): the old graph no
            # longer describes it (PyTorch would give zero gradients; we give none)
            self._node = None
        if tracing.tracer is not None:  # to_static: record the write (state updates)
            tracing.tracer.wrote(self, result)
        return self


def _rebuild(array, requires_grad):
    t = Tensor._wrap(array)  # the array's own dtype (Tensor(array) would make it float)
    t.requires_grad_(requires_grad)
    return t


def _is_dtype(name: str) -> bool:
    try:
        dtypes.as_dtype(name)
        return True
    except TypeError:
        return False


def registry_norm_axis(dim, ndim):
    from dualnet.ops.common import norm_axis

    return norm_axis(dim, ndim)


def _to_array(data, dtype):
    """Python data, NumPy/CuPy arrays or Tensors -> an xp array of `dtype` (a copy)."""
    if isinstance(data, Tensor):
        a = data._data
        return a.astype(dtypes.as_np(dtype)) if dtype is not None else a.copy()
    if backend.is_array(data):
        return data.astype(dtypes.as_np(dtype)) if dtype is not None else data.copy()
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_to_numpy(data)
    a = np.array(data, dtype=dtypes.as_np(dtype) if dtype is not None else None)
    if dtype is None and a.dtype == np.float64 and not isinstance(data, np.ndarray):
        a = a.astype(dtypes.get_default_dtype().np)
    if dtype is None and a.dtype.kind == "i" and a.dtype != np.int64:
        a = a.astype(np.int64)
    return a


def _flat(seq):
    for s in seq:
        if isinstance(s, (list, tuple)):
            yield from _flat(s)
        else:
            yield s


def _nested_to_numpy(seq):
    if isinstance(seq, (list, tuple)):
        return [_nested_to_numpy(s) for s in seq]
    if isinstance(seq, Tensor):
        return backend.to_numpy(seq._data)
    return seq


def zeros_like_tensor(t: Tensor) -> Tensor:
    return Tensor._wrap(t._xp().zeros_like(t._data))


# ---------------------------------------------------------------- the eager binder

class EagerBinder:
    """Runs the kernel on the Tensors' arrays and, when a gradient can flow, records a Node."""

    priority = 10

    def constant(self, value, like):
        data = getattr(like, "_data", like)  # `like` may be a saved plain array in a vjp
        if data is not None and type(data) is not np.ndarray:
            return backend.get_array_module(data).asarray(value)
        return value

    def bind(self, op, args, attrs):
        arrays = []
        record = False
        xp_type = None
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                if xp_type is None:
                    xp_type = type(d)
                elif type(d) is not xp_type and backend.get_array_module(d) is not \
                        backend.get_array_module(*[t._data for t in args if isinstance(t, Tensor)]):
                    _device_mismatch(op, args)
                if a._node is not None or a._requires_grad:
                    record = True
                arrays.append(d)
            else:
                arrays.append(a)
        xp = np if xp_type is np.ndarray or xp_type is None else backend.get_array_module(
            *[a for a in arrays if a is not None])
        try:
            out = op.forward(xp, *arrays, **attrs)
        except OpError:
            raise
        except Exception as e:
            raise explain(op, tuple(arrays), attrs, e) from e
        if op.n_out == 1:
            if type(out) is not xp_type and isinstance(out, np.generic):
                out = np.asarray(out)  # NumPy returns scalars from 0-d arithmetic
        else:
            out = tuple(np.asarray(o) if isinstance(o, np.generic) else o for o in out)
        if not (record and _state.grad_enabled and op.differentiable):
            if op.n_out == 1:
                return Tensor._wrap(out)
            return tuple(None if o is None else Tensor._wrap(o) for o in out)
        return _record(op, args, attrs, out)


def _record(op, args, attrs, out):
    mask = op.saved_mask(len(args))
    saved = tuple([a if keep else None for a, keep in zip(args, mask)]) if True in mask else \
        _NONES[len(args)] if len(args) < len(_NONES) else (None,) * len(args)
    edges = tuple([_edge(a) if isinstance(a, Tensor) else None for a in args])
    if op.n_out == 1:
        outs = (out,)
        node = Node(op, attrs, saved, edges, (out.shape,))
    else:
        outs = tuple(out)
        node = Node(op, attrs, saved, edges, tuple([None if o is None else o.shape
                                                    for o in outs]))
    if _state.anomaly:
        record_creation(node)
    wrapped = tuple([None if o is None else
                     Tensor._wrap(o, node if o.dtype.kind in "fc" else None, i)
                     for i, o in enumerate(outs)])
    if op.saves_out:
        node.out_data = outs
        node.out_versions = tuple(None if w is None else (w._version, 0) for w in wrapped)
    return wrapped[0] if op.n_out == 1 else wrapped


_NONES = tuple((None,) * n for n in range(8))  # `saved` of an op that keeps no input


def _edge(t: Tensor):
    """Tensor._grad_edge, called directly per recorded input (no method lookup): the node
    that made t, its leaf's AccumulateGrad (made on first use), or None."""
    node = t._node
    if node is not None:
        return (node, t._out_idx)
    if t._requires_grad:
        accum = t._accum
        if accum is None:
            accum = t._accum = AccumulateGrad(t)
        return (accum, 0)
    return None


def _device_mismatch(op, args):
    devices = sorted({str(a.device) for a in args if isinstance(a, Tensor)})
    raise RuntimeError(f"{op.name}: Expected all tensors to be on the same device, but found at "
                       f"least two devices, {' and '.join(devices)}!\n  at {registry.user_frame()}")


registry.register_binder(Tensor, EagerBinder())
registry.register_dtype_of(Tensor, lambda t: t._data.dtype)
