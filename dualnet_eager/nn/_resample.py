"""F.interpolate (nearest, nearest-exact, linear/bilinear/trilinear, area) and pixel shuffles:
PyTorch's argument checks and coordinate rules over dualnet.ops.resample's composites."""
from __future__ import annotations

from dualnet.ops import resample as _rs

_LINEAR = _rs.LINEAR_DIMS


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *spatial) input."""
    dims = input.ndim - 2
    if dims < 1:
        raise ValueError(f"interpolate expects (N, C, ...) input, got {input.ndim}-D")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode in _LINEAR and _LINEAR[mode] != dims:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported")
    if mode not in ("nearest", "nearest-exact", "area") and mode not in _LINEAR:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (nearest, "
                                  "nearest-exact, linear, bilinear, trilinear, area)")
    out_sizes, factors = _rs.output_sizes(tuple(input.shape[2:]), size, scale_factor)
    if recompute_scale_factor:
        factors = (None,) * dims
    rule = "half" if mode == "nearest-exact" else "floor"
    return _rs.interpolate(input, out_sizes, factors, "nearest" if rule == "half" else mode,
                           bool(align_corners), nearest_rule=rule)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return _rs.pixel_shuffle(input, r)


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    h, w = input.shape[-2:]
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got {h} and {w} for factor {r}")
    return _rs.pixel_unshuffle(input, r)
