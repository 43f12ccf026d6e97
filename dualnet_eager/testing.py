"""torch.testing: `assert_close` (PyTorch's default tolerances per dtype, its checks in its
order and its failure messages) and `make_tensor`."""
from __future__ import annotations

import collections.abc
import math

import numpy as np

from dualnet import backend, dtypes
from dualnet import random as _random

from .tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) per dtype, as torch.testing; exact comparison for integers and bools
_TOLERANCES = {np.dtype("float16"): (1e-3, 1e-5), np.dtype("float32"): (1.3e-6, 1e-5),
               np.dtype("float64"): (1e-7, 1e-7), np.dtype("complex64"): (1.3e-6, 1e-5),
               np.dtype("complex128"): (1e-7, 1e-7)}


class _Unsupported(Exception):
    pass


def _torch_name(dtype: np.dtype) -> str:
    try:
        return repr(dtypes.as_dtype(dtype)).replace("dualnet.", "torch.")
    except TypeError:
        return f"torch.{dtype}"


def _tolerances(*dts, rtol, atol) -> tuple:
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return float(rtol), float(atol)
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dts]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _fail(msg: str, custom, id_: tuple):
    if callable(custom):
        msg = custom(msg)
    elif custom is not None:
        msg = custom
    if id_:
        msg += "\n\nThe failure occurred for item " + "".join(f"[{i!r}]" for i in id_)
    raise AssertionError(msg)


def _mismatch_msg(identifier: str, extra: str | None, abs_diff, abs_idx, atol, rel_diff,
                  rel_idx, rtol) -> str:
    equality = rtol == 0 and atol == 0

    def diff(kind: str, value, idx, tol) -> str:
        out = (f"{kind.title()} difference: {value}" if idx is None
               else f"Greatest {kind} difference: {value} at index {idx}")
        return out + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += diff("absolute", abs_diff, abs_idx, atol) + diff("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None,
                         atol, rel_diff, None, rtol)


def _isclose(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool):
    if a.dtype.kind == "b":
        return a == e
    if a.dtype.kind in "iu" and rtol == 0 and atol == 0:
        return a == e
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return close | (a == e)  # equal infinities are close


def _tensor_msg(a: np.ndarray, e: np.ndarray, matches: np.ndarray, rtol, atol) -> str:
    total, bad = matches.size, int(matches.size - matches.sum())
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        rel_diff = abs_diff / np.abs(ef)
        if rel_diff.dtype == np.float64 and a.dtype.kind not in "fc":
            rel_diff = rel_diff.astype(np.float32)  # torch: int / int is the default float
    rel_diff[mf] = 0
    i_abs, i_rel = _argmax(abs_diff), _argmax(rel_diff)
    unravel = (lambda i: tuple(int(k) for k in np.unravel_index(i, matches.shape))) \
        if matches.shape else (lambda i: ())
    return _mismatch_msg("Tensor-likes", extra, abs_diff[i_abs].item(), unravel(i_abs), atol,
                         rel_diff[i_rel].item(), unravel(i_rel), rtol)


def _argmax(values: np.ndarray) -> int:
    """torch.max's index: the first NaN if there is one, else the first maximum."""
    nan = np.isnan(values) if values.dtype.kind in "fc" else None
    if nan is not None and nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(values))


def _as_array(x) -> np.ndarray:
    return backend.to_numpy(x._data) if isinstance(x, Tensor) else np.asarray(x)


def _compare_tensors(actual, expected, *, rtol, atol, equal_nan, check_device, check_dtype,
                     msg, id_) -> None:
    if check_device and isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            str(actual.device) != str(expected.device):
        _fail(f"The values for attribute 'device' do not match: {actual.device} != "
              f"{expected.device}.", msg, id_)
    a, e = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        from .size import Size

        _fail(f"The values for attribute 'shape' do not match: {Size(a.shape)!r} != "
              f"{Size(e.shape)!r}.", msg, id_)
    if check_dtype and a.dtype != e.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {_torch_name(a.dtype)} != "
              f"{_torch_name(e.dtype)}.", msg, id_)
    rtol, atol = _tolerances(a.dtype, e.dtype, rtol=rtol, atol=atol)
    if a.dtype != e.dtype:
        common = dtypes.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    matches = _isclose(a, e, rtol, atol, equal_nan)
    if matches.all():
        return
    if a.ndim == 0:
        _fail(_scalar_msg(a.item(), e.item(), rtol, atol), msg, id_)
    _fail(_tensor_msg(a, e, matches, rtol, atol), msg, id_)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, complex, np.number)) and not isinstance(x, np.ndarray)


def _compare_numbers(actual, expected, *, rtol, atol, equal_nan, check_dtype, msg, id_):
    if check_dtype and type(actual) is not type(expected):
        _fail(f"The values for attribute 'dtype' do not match: {type(actual)} != "
              f"{type(expected)}.", msg, id_)
    kind = {bool: "b", int: "i"}.get(type(actual), "f")
    default = (0.0, 0.0) if kind in "bi" and type(expected) in (bool, int) else \
        _TOLERANCES[np.dtype("complex128" if isinstance(actual, complex) else "float64")]
    if (rtol is None) != (atol is None):
        _tolerances(rtol=rtol, atol=atol)
    rtol, atol = (default if rtol is None else (float(rtol), float(atol)))
    if actual == expected or (equal_nan and _nan(actual) and _nan(expected)):
        return
    if not _nan(actual) and not _nan(expected) and \
            abs(actual - expected) <= atol + rtol * abs(expected):
        return
    _fail(_scalar_msg(actual, expected, rtol, atol), msg, id_)


def _nan(x) -> bool:
    return isinstance(x, (float, complex, np.floating, np.complexfloating)) and \
        np.isnan(x)


def _compare(actual, expected, id_: tuple, allow_subclasses: bool, **kw) -> None:
    tensor_like = (Tensor, np.ndarray)
    if isinstance(actual, tensor_like) or isinstance(expected, tensor_like):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            raise TypeError(f"No comparison pair was able to handle inputs of type "
                            f"{type(actual)} and {type(expected)}.")
        _compare_tensors(actual, expected, id_=id_, **kw)
        return
    if _is_number(actual) and _is_number(expected):
        kw.pop("check_device")
        _compare_numbers(actual, expected, id_=id_, **kw)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual "
                  f"mapping: {sorted(map(str, set(expected) - set(actual)))}\nExtra keys in "
                  f"the actual mapping: {sorted(map(str, set(actual) - set(expected)))}",
                  kw["msg"], id_)
        for key in expected:
            _compare(actual[key], expected[key], id_ + (key,), allow_subclasses, **kw)
        return
    seqs = (collections.abc.Sequence,)
    if isinstance(actual, seqs) and isinstance(expected, seqs) and \
            not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  kw["msg"], id_)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, id_ + (i,), allow_subclasses, **kw)
        return
    if actual is None and expected is None:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                    f"and {type(expected)}.")


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless `actual` and `expected` are close:
    |actual - expected| <= atol + rtol * |expected| elementwise, with PyTorch's default
    (rtol, atol) for the dtype when neither is given (float32: 1.3e-6, 1e-5; float64: 1e-7,
    1e-7; float16: 1e-3, 1e-5; integers and bools: exact). Tensors (and NumPy arrays),
    Python numbers, sequences and mappings of them are compared; shape, device and (with
    check_dtype) dtype must match first. `msg` (a string, or a callable taking the default
    message) replaces the message."""
    _compare(actual, expected, (), allow_subclasses, rtol=rtol, atol=atol,
             equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype, msg=msg)


def make_tensor(*shape, dtype, device=None, low=None, high=None,
                requires_grad: bool = False, noncontiguous: bool = False,
                exclude_zero: bool = False, memory_format=None) -> Tensor:
    """A tensor of `shape` filled with values uniform in [low, high) (integers: high
    exclusive), drawn from the global generator (torch.manual_seed makes it reproducible).
    Defaults as PyTorch: [-9, 9] for floats, [-9, 10) for signed integers, [0, 10) for
    unsigned, random True/False for bool; `exclude_zero` replaces zeros (1 for integers,
    the smallest normal number for floats)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(d) for d in shape)
    np_dtype = dtypes.as_np(dtype)
    gen = _random.generator(np)
    if np_dtype.kind == "b":
        array = gen.integers(0, 2, size=shape).astype(np.bool_)
    elif np_dtype.kind in "iu":
        lo, hi = _int_range(np_dtype, low, high)
        array = gen.integers(lo, hi, size=shape, dtype=np.int64).astype(np_dtype)
        if exclude_zero:
            array[array == 0] = 1
    else:
        lo, hi = _float_range(np_dtype, low, high)
        real_dtype = np.dtype(np.float32 if np_dtype == np.complex64 else np_dtype)
        array = (gen.random(shape) * (hi - lo) + lo).astype(real_dtype)
        if np_dtype.kind == "c":
            array = array + 1j * (gen.random(shape) * (hi - lo) + lo).astype(real_dtype)
            array = array.astype(np_dtype)
        if exclude_zero:
            array[array == 0] = np.finfo(real_dtype).tiny
    if requires_grad and np_dtype.kind not in "fc":
        raise ValueError("make_tensor: requires_grad=True is only for floating point and "
                         "complex dtypes")
    t = Tensor._wrap(array)
    if device is not None:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_range(low, high) -> None:
    for name, v in (("low", low), ("high", high)):
        if v is not None and isinstance(v, float) and math.isnan(v):
            raise ValueError(f"make_tensor: {name} cannot be NaN")
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low must be less than or equal to high, but got "
                         f"low={low} and high={high}")


def _int_range(np_dtype, low, high) -> tuple:
    _check_range(low, high)
    info = np.iinfo(np_dtype)
    lo = max(info.min, -9 if low is None else math.ceil(low))
    lo = max(lo, 0) if np_dtype.kind == "u" else lo
    hi = min(info.max + 1, 10 if high is None else math.ceil(high))
    if low is not None and high is not None and low == high:
        hi = lo + 1  # PyTorch: low == high fills with that value
    return lo, max(hi, lo + 1)


def _float_range(np_dtype, low, high) -> tuple:
    _check_range(low, high)
    info = np.finfo(np.float32 if np_dtype == np.complex64 else np_dtype)
    lo = max(float(info.min), -9.0 if low is None else float(low))
    hi = min(float(info.max), 9.0 if high is None else float(high))
    return lo, hi
