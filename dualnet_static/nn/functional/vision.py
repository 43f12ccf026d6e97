"""Paddle's resampling functions: interpolate / upsample (nearest, linear, bilinear,
trilinear, area; align_corners and align_mode), pixel_shuffle and pixel_unshuffle, with
channels-first or channels-last layouts. The coordinate tables are dualnet.ops.resample's."""
from __future__ import annotations

from dualnet.ops import resample as R

from ._utils import channel_last, to_channel_first, to_channel_last

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle"]

_MODES = ("nearest", "linear", "bilinear", "trilinear", "area", "bicubic")
_FORMATS = {3: ("NCW", "NWC"), 4: ("NCHW", "NHWC"), 5: ("NCDHW", "NDHWC")}


def _check_format(x, data_format: str, what: str) -> bool:
    """Whether the layout is channels-last, checked against the rank Paddle pairs it with."""
    formats = _FORMATS.get(x.ndim)
    if formats is None:
        raise ValueError(f"{what}: expects a 3-D, 4-D or 5-D input, got shape {x.shape}")
    if data_format not in formats:
        raise ValueError(f"{what}: data_format of a {x.ndim}-D input must be one of "
                         f"{formats}, got {data_format!r}")
    return channel_last(data_format, what)


def _check_mode(x, mode: str, align_corners, align_mode) -> str:
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if mode == "bicubic":
        raise NotImplementedError("interpolate(mode='bicubic') is not supported")
    need = R.LINEAR_DIMS.get(mode)
    if need is not None and need != x.ndim - 2:
        raise ValueError(f"interpolate: mode {mode!r} only supports a {need + 2}-D input, got "
                         f"shape {x.shape}")
    if not isinstance(align_corners, bool):
        raise TypeError(f"interpolate: align_corners must be a bool, got {align_corners!r}")
    if align_mode not in (0, 1):
        raise ValueError(f"interpolate: align_mode must be 0 or 1, got {align_mode!r}")
    if align_corners and mode in ("nearest", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    return mode


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=False,
                align_mode=0, data_format="NCHW", name=None):
    """Resize the spatial dims. align_corners maps the corner pixels onto each other;
    otherwise align_mode=0 uses half-pixel centres (src = (dst + 0.5) / scale - 0.5) and
    align_mode=1 src = dst / scale."""
    last = _check_format(x, data_format, "interpolate")
    mode = _check_mode(x, mode, align_corners, align_mode)
    if last:
        x = to_channel_first(x)
    if isinstance(size, int) and x.ndim > 3:
        raise TypeError(f"interpolate: size must be a list or tuple of {x.ndim - 2} ints for "
                        f"a {x.ndim}-D input, got {size}")
    out_sizes, factors = R.output_sizes(tuple(x.shape[2:]), size, scale_factor)
    y = R.interpolate(x, out_sizes, factors, mode, align_corners,
                      half_pixel=align_mode == 0)
    return to_channel_last(y) if last else y


def upsample(x, size=None, scale_factor=None, mode="nearest", align_corners=False,
             align_mode=0, data_format="NCHW", name=None):
    """The same as interpolate."""
    return interpolate(x, size, scale_factor, mode, align_corners, align_mode, data_format)


def _four_d(x, data_format: str, what: str) -> bool:
    if x.ndim != 4:
        raise ValueError(f"{what}: expects a 4-D input, got shape {x.shape}")
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(f"{what}: data_format must be 'NCHW' or 'NHWC', got {data_format!r}")
    return data_format == "NHWC"


def pixel_shuffle(x, upscale_factor, data_format="NCHW", name=None):
    """(N, C*r^2, H, W) -> (N, C, H*r, W*r)."""
    if _four_d(x, data_format, "pixel_shuffle"):
        return to_channel_last(R.pixel_shuffle(to_channel_first(x), upscale_factor))
    return R.pixel_shuffle(x, upscale_factor)


def pixel_unshuffle(x, downscale_factor, data_format="NCHW", name=None):
    """(N, C, H*r, W*r) -> (N, C*r^2, H, W)."""
    if _four_d(x, data_format, "pixel_unshuffle"):
        return to_channel_last(R.pixel_unshuffle(to_channel_first(x), downscale_factor))
    return R.pixel_unshuffle(x, downscale_factor)
