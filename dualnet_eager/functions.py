"""torch.* functions on tensors (PyTorch names and signatures); each is an op or composite."""
from __future__ import annotations

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


def norm(input, p="fro", dim=None, keepdim=False):
    return input.norm(p, dim, keepdim)


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
