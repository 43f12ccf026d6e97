"""torch.* functions on tensors (PyTorch names and signatures); each is an op or composite."""
from __future__ import annotations

from collections import namedtuple as _namedtuple

from dualnet.ops import apply
from dualnet.ops import composite as C

from .tensor import Tensor


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def add(input, other, alpha=1, out=None):
    return _t(input).add(other, alpha)


def sub(input, other, alpha=1):
    return _t(input).sub(other, alpha)


def mul(input, other):
    return apply("mul", input, other)


def div(input, other, rounding_mode=None):
    return _t(input).div(other, rounding_mode)


subtract, multiply, divide, true_divide = sub, mul, div, div


def pow(input, exponent):
    return apply("pow", input, exponent)


def matmul(input, other):
    return apply("matmul", input, other)


def mm(input, mat2):
    return input.mm(mat2)


def bmm(input, mat2):
    return input.bmm(mat2)


def dot(input, other):
    return C.dot(input, other)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return apply("einsum", *operands, equation=equation)


def _unary(name):
    def fn(input):
        return apply(name, input)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (the registry op `{name}`)."
    return fn


exp, log, sqrt, rsqrt, abs, neg, sign = (_unary(n) for n in
                                         ("exp", "log", "sqrt", "rsqrt", "abs", "neg", "sign"))
sin, cos, floor, round, erf = (_unary(n) for n in ("sin", "cos", "floor", "round", "erf"))
sigmoid, tanh, relu = (_unary(n) for n in ("sigmoid", "tanh", "relu"))
isnan, isinf, isfinite, logical_not = (_unary(n) for n in
                                       ("isnan", "isinf", "isfinite", "logical_not"))
negative = neg


def square(input):
    return input * input


def clamp(input, min=None, max=None):
    return apply("clip", input, min=min, max=max)


clip = clamp


def maximum(input, other):
    return apply("maximum", input, other)


def minimum(input, other):
    return apply("minimum", input, other)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return apply("where", condition, input, other)


def nonzero(input, as_tuple=False):
    """[N, ndim] int64 positions (the registry's nonzero), or one [N] tensor per dim."""
    out = apply("nonzero", input)
    if as_tuple:
        return tuple(out[:, d] for d in range(out.shape[1]))
    return out


def eq(input, other):
    return apply("equal", input, other)


def ne(input, other):
    return apply("not_equal", input, other)


def lt(input, other):
    return apply("less", input, other)


def le(input, other):
    return apply("less_equal", input, other)


def gt(input, other):
    return apply("greater", input, other)


def ge(input, other):
    return apply("greater_equal", input, other)


def logical_and(input, other):
    return apply("logical_and", input, other)


def logical_or(input, other):
    return apply("logical_or", input, other)


def equal(input, other) -> bool:
    return input.equal(other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return apply("isclose", input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


# ---------------------------------------------------------------- reductions
def sum(input, dim=None, keepdim=False, dtype=None):
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    return input.mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False):
    return input.prod(dim, keepdim)


def max(input, dim=None, keepdim=False):
    """torch.max(x), torch.max(x, dim, keepdim) -> (values, indices), torch.max(x, other)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"max() received an invalid combination of arguments: expected a Tensor "
                        f"as input, got {type(input).__name__}")
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"min() received an invalid combination of arguments: expected a Tensor "
                        f"as input, got {type(input).__name__}")
    return input.min(dim, keepdim)


def amax(input, dim=None, keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    return input.amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.var(dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.std(dim, unbiased, keepdim, correction)


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    return input.norm(p, dim, keepdim, dtype)


def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


def cumsum(input, dim):
    return input.cumsum(dim)


def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype)


# ---------------------------------------------------------------- shapes
def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


swapaxes = transpose


def permute(input, dims):
    return input.permute(*dims)


def t(input):
    return input.t()


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    return apply("concat", *tensors, axis=dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    return C.stack(tensors, axis=dim)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    return input.unbind(dim)


def gather(input, dim, index):
    return input.gather(dim, index)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def flip(input, dims):
    return input.flip(dims)


def tril(input, diagonal=0):
    return input.tril(diagonal)


def triu(input, diagonal=0):
    return input.triu(diagonal)


def broadcast_to(input, size):
    return input.expand(*size)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def clone(input):
    return input.clone()


def numel(input) -> int:
    return input.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return input.is_floating_point()


# ---------------------------------------------------------------- more torch.* functions

_histogram_result = _namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges) of `input` (torch.histogram): `bins` equal bins over `range` (the
    data's min and max when None, widened by 0.5 each side when they are equal), or the
    sorted 1-D tensor of edges `bins`. Entries outside are ignored; the last bin includes its
    right edge. hist has input's float dtype: counts, or the sums of `weight`; density=True
    divides by the total and the bin widths."""
    from dualnet.ops import manip as M
    from dualnet.ops import statistics as S

    if input._data.dtype.kind != "f":
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, floating point expected, got {input.dtype.name}")
    x = input.detach()
    w = None if weight is None else weight.detach()
    if isinstance(bins, Tensor):
        edges = bins.detach().to(input.dtype)
        n = edges.numel() - 1
        if edges.ndim != 1 or n < 1:
            raise RuntimeError("torch.histogram: bins tensor should have one dimension and at "
                               f"least 2 elements, got shape {list(bins.shape)}")
        flat = x.reshape(-1)
        index = M.searchsorted(edges, flat, right=True) - 1
        inside = flat.ge(edges[0]).logical_and(flat.le(edges[-1]))
        index = index.clamp(0, n - 1)  # the last edge (index n) belongs to the last bin
        counts = inside.long() if w is None else apply("where", inside, w.reshape(-1), 0.0)
        hist = apply("bincount", index, counts, minlength=n).to(input.dtype)
    else:
        n = int(bins)
        if n <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif x.numel():
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): min should not exceed max, got min {lo} "
                               f"max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        import numpy as np

        edges = Tensor._wrap(x._xp().asarray(np.linspace(lo, hi, n + 1).astype(
            x._data.dtype)))
        hist = S.histogram(x, n, lo, hi, w).to(input.dtype)
    if density:
        widths = edges[1:] - edges[:-1]
        hist = hist / (hist.sum() * widths)
    return _histogram_result(hist, edges)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (None: the dtype's largest / lowest)."""
    from dualnet.ops import special as S

    return S.nan_to_num(_t(input), nan, posinf, neginf)


def positive(input):
    """`input` itself (torch.positive); an error for bool tensors, as in PyTorch."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def index_put(input, indices, values, accumulate=False):
    return input.index_put(indices, values, accumulate)


def masked_scatter(input, mask, source):
    return input.masked_scatter(mask, source)


def narrow_copy(input, dim, start, length):
    return input.narrow_copy(dim, start, length)


def as_strided(input, size, stride, storage_offset=None):
    return input.as_strided(size, stride, storage_offset)


def matrix_exp(A):
    """e^A of square matrices (batched): scaling and squaring with the degree-13 Pade
    approximant (Higham 2005), built from matmul / solve, so it is differentiable."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but "
                           f"they are {tuple(A.shape)[-2:]} matrices")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_exp: expected a floating point tensor, got "
                           f"{A.dtype.name}")
    import math

    xp = A._xp()
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(xp.abs(A._data).sum(axis=-2).max())  # the largest 1-norm in the batch
    s = 0 if norm1 <= _THETA13 else int(math.ceil(math.log2(norm1 / _THETA13)))
    a = A * (0.5 ** s) if s else A
    eye = Tensor._wrap(xp.eye(n, dtype=A._data.dtype))
    b = _PADE13
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a6 @ (a6 * b[13] + a4 * b[11] + a2 * b[9]) + a6 * b[7] + a4 * b[5] + a2 * b[3] \
        + eye * b[1]
    u = a @ u
    v = a6 @ (a6 * b[12] + a4 * b[10] + a2 * b[8]) + a6 * b[6] + a4 * b[4] + a2 * b[2] \
        + eye * b[0]
    r = apply("solve", v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


_THETA13 = 5.371920351148152
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
