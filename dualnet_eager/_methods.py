"""Tensor's operators and math methods (PyTorch names), all through the op registry.

A mixin rather than code in tensor.py only to keep each file to one concern: tensor.py holds the
Tensor's state and autograd plumbing, this file its vocabulary.
"""
from __future__ import annotations

from collections import namedtuple

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops.operators import OperatorMixin

_values_indices = namedtuple("return_types", ["values", "indices"])


def _dims(dim):
    """PyTorch `dim` arguments: an int, a tuple/list, or None."""
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def _shape_args(args):
    """`view(2, 3)` and `view((2, 3))` both give (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    # ints are kept as they are: to_static's symbolic dims (int subclasses) must reach the op
    return tuple(a if type(a) is not bool and isinstance(a, int) else int(a) for a in args)


def _inplace(name: str):
    """The in-place variant of method `name`: compute out of place, then `_set_`."""
    def method(self, *args, **kwargs):
        return self._set_(getattr(self, name)(*args, **kwargs))

    method.__name__ = name + "_"
    method.__doc__ = f"In-place {name}."
    return method


class TensorMethods(OperatorMixin):
    __slots__ = ()

    # ---------------------------------------------------------------- in-place operators
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, key):
        from dualnet.ops.indexing import parse_index

        from .tensor import tracing

        if tracing.tracer is not None:  # to_static: sizes in the key may be symbolic
            tracing.tracer.check_index(key)
        spec, tensors = parse_index(key)
        out = apply("getitem", self, *[_as_index(self, t) for t in tensors], index=spec)
        if not tensors:  # basic indexing is a view: it shares the version counter
            out._version = self._version
        return out

    def __setitem__(self, key, value):
        from dualnet.ops.indexing import parse_index

        from .tensor import tracing

        if tracing.tracer is not None:  # to_static: sizes in the key may be symbolic
            tracing.tracer.check_index(key)
        spec, tensors = parse_index(key)
        self._set_(apply("setitem", self, value, *[_as_index(self, t) for t in tensors],
                         index=spec))

    # ---------------------------------------------------------------- arithmetic methods
    def add(self, other, alpha=1):
        return apply("add", self, other if alpha == 1 else apply("mul", other, alpha))

    def sub(self, other, alpha=1):
        return apply("sub", self, other if alpha == 1 else apply("mul", other, alpha))

    def mul(self, other):
        return apply("mul", self, other)

    def div(self, other, rounding_mode=None):
        if rounding_mode == "floor":
            return apply("floor_divide", self, other)
        if rounding_mode == "trunc":
            return apply("trunc", apply("div", self, other))
        return apply("div", self, other)

    multiply, divide, subtract, true_divide = mul, div, sub, div

    def pow(self, exponent):
        return apply("pow", self, exponent)

    def matmul(self, other):
        return apply("matmul", self, other)

    def mm(self, other):
        return C.mm(self, other)

    def bmm(self, other):
        return C.bmm(self, other)

    def dot(self, other):
        return C.dot(self, other)

    def maximum(self, other):
        return apply("maximum", self, other)

    def minimum(self, other):
        return apply("minimum", self, other)

    def clamp(self, min=None, max=None):
        return apply("clip", self, min=min, max=max)

    clip = clamp

    def where(self, condition, other):
        return apply("where", condition, self, other)

    def masked_fill(self, mask, value):
        return apply("where", mask, value, self)

    # ---------------------------------------------------------------- unary math
    def exp(self):
        return apply("exp", self)

    def log(self):
        return apply("log", self)

    def log1p(self):
        return apply("log1p", self)  # exact near 0, unlike log(1 + x)

    def sqrt(self):
        return apply("sqrt", self)

    def rsqrt(self):
        return apply("rsqrt", self)

    def abs(self):
        return apply("abs", self)

    def neg(self):
        return apply("neg", self)

    negative = neg

    def sign(self):
        return apply("sign", self)

    def sin(self):
        return apply("sin", self)

    def cos(self):
        return apply("cos", self)

    def floor(self):
        return apply("floor", self)

    def round(self):
        return apply("round", self)

    def square(self):
        return apply("mul", self, self)

    def reciprocal(self):
        return apply("div", 1.0, self)

    def erf(self):
        return apply("erf", self)

    def sigmoid(self):
        return apply("sigmoid", self)

    def tanh(self):
        return apply("tanh", self)

    def relu(self):
        return apply("relu", self)

    def softmax(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return apply("softmax", x, axis=dim)

    def log_softmax(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return apply("log_softmax", x, axis=dim)

    def isnan(self):
        return apply("isnan", self)

    def isinf(self):
        return apply("isinf", self)

    def isfinite(self):
        return apply("isfinite", self)

    # ---------------------------------------------------------------- comparisons
    def eq(self, other):
        return apply("equal", self, other)

    def ne(self, other):
        return apply("not_equal", self, other)

    def lt(self, other):
        return apply("less", self, other)

    def le(self, other):
        return apply("less_equal", self, other)

    def gt(self, other):
        return apply("greater", self, other)

    def ge(self, other):
        return apply("greater_equal", self, other)

    def logical_not(self):
        return apply("logical_not", self)

    def logical_and(self, other):
        return apply("logical_and", self, other)

    def logical_or(self, other):
        return apply("logical_or", self, other)

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(apply("equal", self, other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        xp = self._xp()
        return bool(xp.allclose(self._data, other._data, rtol, atol, equal_nan))

    # ---------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x._data.dtype.kind in "bi" and x._data.dtype != "int64":
            x = x.to(dtypes.int64)
        return apply("sum", x, axis=_dims(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {x.dtype.name}")
        return apply("mean", x, axis=_dims(dim), keepdim=keepdim)

    def prod(self, dim=None, keepdim=False):
        return apply("prod", self, axis=dim, keepdim=keepdim)

    def _minmax(self, name, dim, keepdim):
        if dim is None:
            return apply(name, self)
        if not isinstance(dim, int):  # torch.max(a, b): elementwise
            return apply("maximum" if name == "max" else "minimum", self, dim)
        values = apply(name, self, axis=dim, keepdim=keepdim)
        indices = apply("argmax" if name == "max" else "argmin", self, axis=dim,
                        keepdim=keepdim)
        return _values_indices(values, indices)

    def max(self, dim=None, keepdim=False):
        return self._minmax("max", dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return self._minmax("min", dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return apply("max", self, axis=_dims(dim), keepdim=keepdim)

    def amin(self, dim=None, keepdim=False):
        return apply("min", self, axis=_dims(dim), keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False):
        return apply("argmax", self, axis=dim, keepdim=keepdim)

    def argmin(self, dim=None, keepdim=False):
        return apply("argmin", self, axis=dim, keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return apply("var", self, axis=_dims(dim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return C.std(self, axis=_dims(dim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))

    def logsumexp(self, dim, keepdim=False):
        return apply("logsumexp", self, axis=_dims(dim), keepdim=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """torch.norm: 'fro' (the 2-norm of the elements over `dim`), 'nuc' (the nuclear norm
        of the matrices in two dims, the last two by default), or a vector p-norm."""
        x = self if dtype is None else self.to(dtype)
        if p == "nuc":
            from dualnet.ops import matrix

            axis = (-2, -1) if dim is None else tuple(_dims(dim))
            return matrix.matrix_norm(x, "nuc", axis=axis, keepdim=keepdim)
        if p == "fro" or p is None:
            p = 2
        elif isinstance(p, str):
            raise RuntimeError(f"norm(): unsupported p={p!r} (expected a number, 'fro' or "
                               "'nuc')")
        return C.norm(x, p=p, axis=_dims(dim), keepdim=keepdim)

    def all(self, dim=None, keepdim=False):
        return apply("all", self, axis=dim, keepdim=keepdim)

    def any(self, dim=None, keepdim=False):
        return apply("any", self, axis=dim, keepdim=keepdim)

    def cumsum(self, dim):
        return apply("cumsum", self, axis=dim)

    # ---------------------------------------------------------------- shapes (views)
    def _view_of(self, out):
        out._version = self._version
        return out

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            return self.to(shape[0])  # view(dtype)
        return self._view_of(apply("reshape", self, shape=_torch_shape(shape)))

    def reshape(self, *shape):
        return self._view_of(apply("reshape", self, shape=_torch_shape(shape)))

    def view_as(self, other):
        return self.view(*other.shape)

    def reshape_as(self, other):
        return self.reshape(*other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return self._view_of(apply("flatten", self, start_axis=start_dim, stop_axis=end_dim))

    def unflatten(self, dim, sizes):
        dim = dim % self.ndim
        shape = tuple(self.shape[:dim]) + tuple(sizes) + tuple(self.shape[dim + 1:])
        return self.reshape(shape)

    def squeeze(self, dim=None):
        return self._view_of(apply("squeeze", self, axis=_dims(dim)))

    def unsqueeze(self, dim):
        return self._view_of(apply("unsqueeze", self, axis=dim))

    def transpose(self, dim0, dim1):
        perm = list(range(self.ndim))
        dim0, dim1 = dim0 % max(self.ndim, 1), dim1 % max(self.ndim, 1)
        perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
        return self._view_of(apply("transpose", self, perm=tuple(perm)))

    swapaxes = transpose

    def permute(self, *dims):
        return self._view_of(apply("transpose", self, perm=_shape_args(dims)))

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return self._view_of(apply("transpose", self, perm=tuple(range(self.ndim))[::-1]))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        return self._view_of(apply("broadcast_to", self, shape=_shape_args(sizes)))

    def expand_as(self, other):
        return self.expand(*other.shape)

    def broadcast_to(self, shape):
        return self.expand(*shape)

    def repeat(self, *sizes):
        return apply("tile", self, repeats=_shape_args(sizes))

    def tile(self, *dims):
        return apply("tile", self, repeats=_shape_args(dims))

    def flip(self, dims):
        return apply("flip", self, axis=_dims(dims) if not isinstance(dims, int) else (dims,))

    def tril(self, diagonal=0):
        return apply("tril", self, diagonal=diagonal)

    def triu(self, diagonal=0):
        return apply("triu", self, diagonal=diagonal)

    def split(self, split_size_or_sections, dim=0):
        return C.torch_split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return C.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return tuple(t.squeeze(dim) for t in self.split(1, dim))

    def contiguous(self, memory_format=None):
        return self

    def clone(self, memory_format=None):
        return apply("assign", self)

    def gather(self, dim, index):
        return apply("gather", self, index, axis=dim)

    def scatter_add(self, dim, index, src):
        return apply("scatter_add", self, index, src, axis=dim)

    def index_select(self, dim, index):
        return apply("index_select", self, index, axis=dim)

    # ---------------------------------------------------------------- dtype conversion
    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def byte(self):
        return self.to(dtypes.uint8)

    def char(self):
        return self.to(dtypes.int8)

    def short(self):
        return self.to(dtypes.int16)

    def bfloat16(self):
        raise TypeError("bfloat16 is not supported: NumPy has no bfloat16 dtype (use half() "
                        "or float())")

    def type_as(self, other):
        return self.to(other.dtype)

    # ---------------------------------------------------------------- in place
    def add_(self, other, alpha=1):
        return self._set_(self.add(other, alpha))

    def sub_(self, other, alpha=1):
        return self._set_(self.sub(other, alpha))

    def mul_(self, other):
        return self._set_(apply("mul", self, other))

    def div_(self, other):
        return self._set_(apply("div", self, other))

    def pow_(self, exponent):
        return self._set_(apply("pow", self, exponent))

    def clamp_(self, min=None, max=None):
        return self._set_(self.clamp(min, max))

    clip_ = clamp_

    def neg_(self):
        return self._set_(apply("neg", self))

    def exp_(self):
        return self._set_(apply("exp", self))

    def relu_(self):
        return self._set_(apply("relu", self))

    def sigmoid_(self):
        return self._set_(apply("sigmoid", self))

    def tanh_(self):
        return self._set_(apply("tanh", self))

    def masked_fill_(self, mask, value):
        return self._set_(self.masked_fill(mask, value))

    def copy_(self, src, non_blocking=False):
        from .tensor import Tensor

        if not isinstance(src, Tensor):
            src = Tensor(src, dtype=self.dtype)
        src = src.to(self.device)
        return self._set_(apply("broadcast_like", apply("cast", src, dtype=self._data.dtype.name),
                                self))

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if self._node is None and self._requires_grad and _grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        from .tensor import tracing

        if tracing.tracer is not None:  # to_static: record the fill
            tracing.tracer.filled(self, value)
        self._data[...] = value.item() if hasattr(value, "item") else value
        self._version[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0):
        from dualnet import random

        return self._fill_random(random.uniform(self._xp(), self._data.shape, a, b,
                                                self._data.dtype))

    def normal_(self, mean=0.0, std=1.0):
        from dualnet import random

        return self._fill_random(random.normal(self._xp(), self._data.shape, mean, std,
                                               self._data.dtype))

    def _fill_random(self, values):
        from .tensor import tracing

        if tracing.tracer is not None:  # to_static: not recordable
            tracing.tracer.filled(self, None)
        self._data[...] = values
        self._version[0] += 1
        return self

    # in place through the out-of-place method (comparisons give 1 / 0 in self's dtype)
    abs_ = absolute_ = _inplace("abs")
    log_, sqrt_, rsqrt_, log1p_ = _inplace("log"), _inplace("sqrt"), _inplace("rsqrt"), \
        _inplace("log1p")
    sin_, cos_, floor_, round_, sign_ = (_inplace("sin"), _inplace("cos"), _inplace("floor"),
                                         _inplace("round"), _inplace("sign"))
    square_, reciprocal_, cumsum_ = _inplace("square"), _inplace("reciprocal"), \
        _inplace("cumsum")
    eq_, ne_, lt_, le_, gt_, ge_ = (_inplace("eq"), _inplace("ne"), _inplace("lt"),
                                    _inplace("le"), _inplace("gt"), _inplace("ge"))
    logical_not_, logical_and_, logical_or_ = (_inplace("logical_not"),
                                               _inplace("logical_and"), _inplace("logical_or"))
    nan_to_num_ = _inplace("nan_to_num")

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        from dualnet.ops import special

        return special.nan_to_num(self, nan, posinf, neginf)

    # ---------------------------------------------------------------- writes by index / mask
    def index_put(self, indices, values, accumulate=False):
        """A copy with values written at `indices` (a tuple of index tensors, as
        `x[indices] = values`); accumulate=True adds instead, repeated positions adding up."""
        from dualnet.ops.indexing import parse_index

        from .tensor import Tensor

        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put(): indices must be a tuple of tensors, got "
                            f"{type(indices).__name__}")
        spec, tensors = parse_index(tuple(indices))
        tensors = [_as_index(self, t) for t in tensors]
        if not isinstance(values, Tensor):
            values = Tensor(values, dtype=self.dtype)
        if not accumulate:
            return apply("setitem", self, values, *tensors, index=spec)
        picked = apply("getitem", self, *tensors, index=spec)
        values = apply("broadcast_like", apply("cast", values, dtype=self._data.dtype.name),
                       picked)
        return apply("add", self, apply("getitem_grad", values, self, *tensors, index=spec))

    def index_put_(self, indices, values, accumulate=False):
        return self._set_(self.index_put(indices, values, accumulate))

    def put(self, index, source, accumulate=False):
        """A copy with `source` written at the flat positions `index` (torch.Tensor.put)."""
        flat = self.reshape(-1)
        index = index.reshape(-1)
        index = index.where(index.ge(0), index + max(self.numel(), 1))
        out = flat.index_put((index,), source.reshape(-1), accumulate)
        return out.reshape(*self.shape) if self.ndim else out.reshape(())

    def put_(self, index, source, accumulate=False):
        return self._set_(self.put(index, source, accumulate))

    def masked_scatter(self, mask, source):
        """self with its True-`mask` positions filled by source's leading entries in order."""
        from dualnet.ops import manip

        return manip.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return self._set_(self.masked_scatter(mask, source))

    # ---------------------------------------------------------------- more views and copies
    def positive(self):
        from .functions import positive

        return positive(self)

    def narrow_copy(self, dim, start, length):
        return self.narrow(dim, start, length).clone()

    def as_strided(self, size, stride, storage_offset=None):
        """The elements at `storage_offset + sum(i_k * stride_k)` of this tensor's values in
        row-major order, as a new tensor of `size`. A copy (gradients flow through an
        index_select), not a view: writes to it do not reach self."""
        import numpy as np

        from .tensor import Tensor

        size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
        if len(size) != len(stride):
            raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                               f"{len(stride)}")
        offset = int(storage_offset or 0)
        pos = np.full(size, offset, dtype=np.int64)
        for k, (n, st) in enumerate(zip(size, stride)):
            pos = pos + (np.arange(n, dtype=np.int64) * st).reshape(
                (-1,) + (1,) * (len(size) - k - 1))
        numel = self.numel()
        if pos.size and (pos.min() < 0 or pos.max() >= numel):
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, "
                               f"storage offset {offset} require more than the {numel} "
                               "elements of the tensor")
        index = Tensor._wrap(self._xp().asarray(pos.reshape(-1)))
        out = apply("index_select", self.reshape(-1), index, axis=0)
        return out.reshape(size) if size else out.reshape(())

    def resize_(self, *sizes):
        """Give this tensor the shape `sizes` keeping its values in row-major order: a
        prefix when it shrinks, zeros after the old values when it grows (PyTorch leaves
        those uninitialized)."""
        import numpy as np

        from .tensor import tracing

        if self.requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        if tracing.tracer is not None:  # to_static: a shape change without an op
            tracing.tracer.filled(self, None)
        shape = tuple(int(s) for s in _shape_args(sizes))
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
        xp = self._xp()
        flat = self._data.reshape(-1)
        n = int(np.prod(shape))
        if n <= flat.size:
            new = flat[:n].copy()
        else:
            new = xp.concatenate([flat, xp.zeros(n - flat.size, dtype=flat.dtype)])
        self._data = new.reshape(shape)
        self._version[0] += 1
        return self

    def resize_as_(self, other):
        return self.resize_(*other.shape)

    # ---------------------------------------------------------------- memory (CPU no-ops)
    def share_memory_(self):
        return self

    def is_shared(self) -> bool:
        return False

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    # ---------------------------------------------------------------- more math
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return apply("isclose", self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        from .functions import histogram

        return histogram(self, bins, range=range, weight=weight, density=density)

    def matrix_exp(self):
        from .functions import matrix_exp

        return matrix_exp(self)

    @property
    def mH(self):
        """The conjugate transpose of the last two dims (a transpose: real dtypes only)."""
        _real_only(self, "mH")
        return self.transpose(-2, -1)

    @property
    def H(self):
        """The conjugate transpose of a matrix (a transpose: real dtypes only)."""
        _real_only(self, "H")
        if self.ndim not in (0, 2):
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor.")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def adjoint(self):
        _real_only(self, "adjoint()")
        return self.transpose(-2, -1)

    # ---------------------------------------------------------------- new tensors
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from . import creation

        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from . import creation

        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from . import creation

        return creation.full(size, fill_value, dtype=dtype or self.dtype,
                             device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A new tensor of `size` (filled with zeros: NumPy has no uninitialized memory worth
        exposing)."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from . import creation

        return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)


def _real_only(x, what: str) -> None:
    if x._data.dtype.kind == "c":
        raise NotImplementedError(f"tensor.{what}: complex tensors are not supported (the "
                                  "registry has no conjugate)")


def _grad_enabled():
    from .autograd.grad_mode import state

    return state.grad_enabled


def _correction(unbiased, correction):
    if correction is not None:
        return int(correction)
    return 0 if unbiased is False else 1


def _torch_shape(args):
    shape = _shape_args(args)
    if 0 in shape:  # a real zero-sized dim: the registry's reshape reads 0 as "copy"
        raise RuntimeError(f"view/reshape to a shape with a zero-sized dimension {list(shape)} "
                           "is not supported")
    return shape


def _as_index(x, idx):
    """Index arrays/lists from parse_index become Tensors on x's device."""
    from .tensor import Tensor

    if isinstance(idx, Tensor):
        return idx
    return Tensor._wrap(x._xp().asarray(idx))
