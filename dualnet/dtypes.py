"""Data types shared by both front ends, and PyTorch's type-promotion rules.

A `DType` wraps a NumPy dtype. Front ends expose them under PyTorch's names
(`torch.float32`, `torch.long`) and Paddle's (`paddle.float32`, `'int64'`).
The registry itself works with plain `numpy.dtype` objects.
"""
from __future__ import annotations

import numpy as np


class DType:
    """A framework dtype: a named wrapper around a NumPy dtype."""

    __slots__ = ("name", "np", "kind")

    def __init__(self, name: str):
        self.name = name
        self.np = np.dtype(name)
        self.kind = self.np.kind  # as numpy.dtype.kind: 'b', 'i', 'u', 'f', 'c'

    @property
    def dtype(self) -> np.dtype:
        """Lets `numpy.dtype(d)` accept a DType."""
        return self.np

    @property
    def is_floating_point(self) -> bool:
        return self.np.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.np.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.np.kind in "fic"

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __repr__(self) -> str:
        return f"dualnet.{self.name}"

    def __eq__(self, other) -> bool:
        if isinstance(other, DType):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np)


bool_ = DType("bool")
uint8 = DType("uint8")
int8 = DType("int8")
int16 = DType("int16")
int32 = DType("int32")
int64 = DType("int64")
float16 = DType("float16")
float32 = DType("float32")
float64 = DType("float64")
complex64 = DType("complex64")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64)
_BY_NP = {d.np: d for d in ALL}

_default_float = float32


def get_default_dtype() -> DType:
    return _default_float


def set_default_dtype(dtype) -> None:
    global _default_float
    d = as_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating point types are allowed, got {d}")
    _default_float = d


class UnsupportedDType:
    """A dtype scripts name but NumPy lacks (bfloat16): it can be passed around (autocast's
    `dtype=`) and compared; making a tensor of it is a clear TypeError."""

    __slots__ = ("name",)
    is_floating_point, is_complex, is_signed = True, False, True

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"dualnet.{self.name}"


bfloat16 = UnsupportedDType("bfloat16")


def as_dtype(dtype) -> DType:
    """Convert a DType, NumPy dtype, type or name ('float32', 'long', 'float') to a DType."""
    if isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, UnsupportedDType) or dtype == "bfloat16":
        raise TypeError("bfloat16 is not supported: NumPy has no bfloat16 type (use float16 "
                        "or float32)")
    found = _BY_NP.get(dtype) if isinstance(dtype, np.dtype) else None
    if found is not None:  # the hot path: Tensor.dtype on every promoted op
        return found
    if dtype is None:
        return _default_float
    if isinstance(dtype, str):
        dtype = _ALIASES.get(dtype, dtype)
    if dtype is float:
        return _default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    np_dtype = getattr(dtype, "np", None)
    try:
        np_dtype = np.dtype(np_dtype if np_dtype is not None else dtype)
    except TypeError as e:
        raise TypeError(f"unknown dtype {dtype!r}") from e
    if np_dtype not in _BY_NP:
        raise TypeError(f"unsupported dtype {np_dtype}")
    return _BY_NP[np_dtype]


def as_np(dtype) -> np.dtype:
    """Any dtype spelling -> numpy.dtype."""
    return as_dtype(dtype).np


_ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64",
    "int": "int32", "short": "int16", "bool_": "bool", "uint8": "uint8",
    "fp32": "float32", "fp64": "float64", "fp16": "float16",
}

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex: PyTorch's promotion categories."""
    return _CATEGORY[np.dtype(dtype).kind]


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """Result dtype of a binary op between two tensors, following PyTorch.

    Within a category NumPy's rule applies (float32 + float64 -> float64); across
    categories the higher category's dtype wins (int64 + float32 -> float32, not float64).
    """
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def scalar_dtype(value) -> np.dtype:
    """The dtype a lone Python scalar would get as a tensor."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, complex):
        return np.dtype(np.complex64)
    return _default_float.np


def result_type_with_scalar(tensor_dtype: np.dtype, value) -> np.dtype:
    """Python scalars are weak: `x * 2.0` keeps x's dtype unless 2.0 is of a higher category."""
    tensor_dtype = np.dtype(tensor_dtype)
    sd = scalar_dtype(value)
    if category(sd) > category(tensor_dtype):
        return sd
    return tensor_dtype
