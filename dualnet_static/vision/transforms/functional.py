"""`paddle.vision.transforms.functional` on NumPy images.

An image is a NumPy array in HWC (or HW) layout - what Paddle's cv2 backend uses and what a
PIL image converts to - or a paddle Tensor in CHW (or HW) layout, processed through its value
(the result is a new tensor). Resizing follows OpenCV's rules (half-pixel centres for
bilinear, floor(dst * scale) for nearest); uint8 images stay uint8 (rounded, clipped).
"""
from __future__ import annotations

import numbers

import numpy as np

from dualnet.datasets import _bilinear_matrix

__all__ = ["to_tensor", "resize", "pad", "crop", "center_crop", "hflip", "vflip",
           "normalize", "to_grayscale", "transpose", "adjust_brightness", "erase"]


def _is_tensor(img) -> bool:
    from ...variable import Variable

    return isinstance(img, Variable)


def _unwrap(img):
    """(NumPy array, was a tensor) - tensors are CHW, arrays HWC."""
    if _is_tensor(img):
        from ...dygraph import value_of

        return np.asarray(value_of(img, "paddle.vision.transforms")), True
    if not isinstance(img, np.ndarray):
        if hasattr(img, "mode") and hasattr(img, "size"):  # a PIL image
            return np.asarray(img), False
        raise TypeError(f"img should be a NumPy array or a paddle Tensor, got "
                        f"{type(img).__name__}")
    return img, False


def _wrap(array, tensor: bool):
    if not tensor:
        return array
    from ...dygraph import to_tensor as _to_tensor

    return _to_tensor(np.ascontiguousarray(array))


def _hw_axes(array, tensor: bool) -> tuple:
    if array.ndim == 2:
        return 0, 1
    if array.ndim != 3:
        raise ValueError(f"an image must be 2-D (HW) or 3-D ({'CHW' if tensor else 'HWC'}), "
                         f"got shape {list(array.shape)}")
    return (1, 2) if tensor else (0, 1)


def _restore_dtype(out: np.ndarray, dtype) -> np.ndarray:
    if np.dtype(dtype).kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype, copy=False)


# ---------------------------------------------------------------- conversion


def to_tensor(pic, data_format: str = "CHW"):
    """An HWC/HW array as a CHW (or HWC) float tensor; uint8 values are divided by 255."""
    if data_format not in ("CHW", "HWC"):
        raise ValueError(f"data_format should be CHW or HWC, got {data_format!r}")
    array, tensor = _unwrap(pic)
    if tensor:
        return pic
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"to_tensor: pic should be 2/3 dimensional, got shape "
                         f"{list(array.shape)}")
    if data_format == "CHW":
        array = array.transpose(2, 0, 1)
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    return _wrap(array, True)


# ---------------------------------------------------------------- geometry


def _target_size(h: int, w: int, size) -> tuple:
    if isinstance(size, numbers.Integral):
        if (w <= h and w == size) or (h <= w and h == size):
            return h, w
        if w < h:
            return int(size * h / w), int(size)
        return int(size), int(size * w / h)
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise TypeError(f"size should be an int or a (h, w) pair, got {size!r}")


def _nearest_index(n_in: int, n_out: int) -> np.ndarray:
    return np.minimum(np.floor(np.arange(n_out) * (n_in / n_out)).astype(np.int64), n_in - 1)


def resize(img, size, interpolation: str = "bilinear"):
    """Resize to `size` ((h, w), or an int for the smaller edge keeping the aspect ratio)
    with 'nearest' or 'bilinear' interpolation."""
    array, tensor = _unwrap(img)
    ha, wa = _hw_axes(array, tensor)
    h, w = array.shape[ha], array.shape[wa]
    oh, ow = _target_size(h, w, size)
    if interpolation == "nearest":
        out = np.take(np.take(array, _nearest_index(h, oh), axis=ha),
                      _nearest_index(w, ow), axis=wa)
    elif interpolation in ("bilinear", "linear"):
        rows, cols = _bilinear_matrix(h, oh), _bilinear_matrix(w, ow)
        moved = np.moveaxis(array.astype(np.float64), (ha, wa), (0, 1))
        out = np.einsum("ij,jk...,lk->il...", rows, moved, cols)
        out = _restore_dtype(np.moveaxis(out, (0, 1), (ha, wa)), array.dtype)
    else:
        raise ValueError(f"resize: interpolation must be 'nearest' or 'bilinear' (NumPy "
                         f"images), got {interpolation!r}")
    return _wrap(out, tensor)


def crop(img, top: int, left: int, height: int, width: int):
    array, tensor = _unwrap(img)
    ha, wa = _hw_axes(array, tensor)
    index = [slice(None)] * array.ndim
    index[ha], index[wa] = slice(top, top + height), slice(left, left + width)
    return _wrap(array[tuple(index)].copy(), tensor)


def center_crop(img, output_size):
    """The centre `output_size` ((h, w) or int) region (Paddle's rounding)."""
    array, tensor = _unwrap(img)
    ha, wa = _hw_axes(array, tensor)
    if isinstance(output_size, numbers.Integral):
        output_size = (int(output_size), int(output_size))
    th, tw = output_size
    h, w = array.shape[ha], array.shape[wa]
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return crop(img, top, left, th, tw)


def hflip(img):
    array, tensor = _unwrap(img)
    return _wrap(np.flip(array, axis=_hw_axes(array, tensor)[1]).copy(), tensor)


def vflip(img):
    array, tensor = _unwrap(img)
    return _wrap(np.flip(array, axis=_hw_axes(array, tensor)[0]).copy(), tensor)


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _pads4(padding) -> tuple:
    """(left, top, right, bottom) from an int, a 2-sequence (lr, tb) or a 4-sequence."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    if isinstance(padding, (list, tuple)) and len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if isinstance(padding, (list, tuple)) and len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"padding must be an int or a sequence of 2 or 4 ints, got {padding!r}")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders; modes constant (with `fill`), edge, reflect, symmetric."""
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode should be constant, edge, reflect or symmetric, got "
                         f"{padding_mode!r}")
    array, tensor = _unwrap(img)
    ha, wa = _hw_axes(array, tensor)
    left, top, right, bottom = _pads4(padding)
    widths = [(0, 0)] * array.ndim
    widths[ha], widths[wa] = (top, bottom), (left, right)
    if padding_mode == "constant":
        out = np.pad(array, widths, mode="constant", constant_values=fill)
    else:
        out = np.pad(array, widths, mode=_PAD_MODES[padding_mode])
    return _wrap(out, tensor)


def transpose(img, order=(2, 0, 1)):
    array, tensor = _unwrap(img)
    if array.ndim == 2:
        array = array[:, :, None]
    return _wrap(np.ascontiguousarray(array.transpose(order)), tensor)


# ---------------------------------------------------------------- values


def normalize(img, mean, std, data_format: str = "CHW", to_rgb: bool = False):
    """(img - mean) / std per channel (the channel axis given by data_format)."""
    if data_format not in ("CHW", "HWC"):
        raise ValueError(f"data_format should be CHW or HWC, got {data_format!r}")
    array, tensor = _unwrap(img)
    array = array.astype(np.float32) if array.dtype.kind in "uib" else array
    mean = np.asarray(mean, dtype=array.dtype)
    std = np.asarray(std, dtype=array.dtype)
    if to_rgb:
        array = array[::-1] if data_format == "CHW" else array[..., ::-1]
    shape = (-1, 1, 1) if data_format == "CHW" else (1, 1, -1)
    out = (array - mean.reshape(shape)) / std.reshape(shape)
    return _wrap(out, tensor)


def to_grayscale(img, num_output_channels: int = 1):
    """Luma 0.299 R + 0.587 G + 0.114 B (OpenCV's weights), 1 or 3 channels."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels should be 1 or 3, got {num_output_channels}")
    array, tensor = _unwrap(img)
    c_axis = 0 if tensor else -1
    if array.ndim == 2:
        gray = array.astype(np.float64)
    else:
        rgb = np.moveaxis(array.astype(np.float64), c_axis, -1)
        gray = rgb[..., 0] if rgb.shape[-1] == 1 else \
            rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    gray = _restore_dtype(gray, array.dtype)
    out = np.stack([gray] * num_output_channels, axis=c_axis)
    return _wrap(out, tensor)


def adjust_brightness(img, brightness_factor: float):
    array, tensor = _unwrap(img)
    return _wrap(_restore_dtype(array * float(brightness_factor), array.dtype)
                 if array.dtype.kind in "ui" else array * float(brightness_factor), tensor)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the (i, j, h, w) box to `v`."""
    array, tensor = _unwrap(img)
    out = array if inplace and not tensor else array.copy()
    ha, wa = _hw_axes(out, tensor)
    index = [slice(None)] * out.ndim
    index[ha], index[wa] = slice(i, i + h), slice(j, j + w)
    out[tuple(index)] = v
    return _wrap(out, tensor)
