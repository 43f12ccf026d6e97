"""Paddle's 3-D convolution, pooling, normalization and padding: values against the NumPy loop
references of tests/ops/specs in explicit static mode and implicit mode, NDHWC layouts,
Paddle's parameter shapes, gradients against finite differences, -1 batch dims, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
import dualnet_static.nn.functional as F
from dualnet_static import static
from tests.ops.specs.conv import conv3d_ref, conv_transpose3d_ref
from tests.ops.specs.pool import (adaptive_avg_pool3d_ref, avg_pool3d_ref, max_pool3d_indices_ref,
                                  max_pool3d_ref)

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


R = np.random.default_rng(0)


def _f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _distinct(*shape):
    return (R.permutation(math.prod(shape)).reshape(shape) * 0.37).astype(np.float32)


def both(build, expected, feeds, atol=1e-5):
    check_both(build, expected, feeds, rtol=1e-5, atol=atol, check_dtype=False)


def _ndhwc(a):
    return a.transpose(0, 2, 3, 4, 1)


def test_conv3d_and_transpose_functions():
    x, w = _f32(2, 4, 4, 5, 4), _f32(6, 2, 2, 3, 2)
    b = _f32(6)
    want = conv3d_ref(x, w, (1, 2, 1), (1, 0, 0, 1, 1, 1), 1, 2) + b.reshape(-1, 1, 1, 1)
    both(lambda v, k, c: F.conv3d(v, k, c, stride=[1, 2, 1], padding=[1, 0, 0, 1, 1, 1],
                                  groups=2), want, {"x": x, "w": w, "b": b})
    both(lambda v, k: F.conv3d(v, k, padding=[[0, 0], [1, 0], [0, 1], [1, 1], [0, 0]],
                               data_format="NDHWC"),
         _ndhwc(conv3d_ref(x, w[:, :, :, :, :].repeat(2, axis=1), 1, (1, 0, 0, 1, 1, 1))),
         {"x": _ndhwc(x), "w": w.repeat(2, axis=1)})
    wt = _f32(4, 3, 2, 2, 3)
    want = conv_transpose3d_ref(x, wt, 2, 1, 1)
    both(lambda v, k: F.conv3d_transpose(v, k, stride=2, padding=1, output_padding=1), want,
         {"x": x, "w": wt})
    y = F.conv3d_transpose(paddle.to_tensor(x), paddle.to_tensor(wt), stride=2,
                           output_size=[9, 10, 10])
    assert y.shape == [2, 3, 9, 10, 10]


def test_conv3d_layers_have_paddle_shapes_and_values():
    conv = nn.Conv3D(4, 6, (2, 3, 2), padding="SAME", groups=2)
    assert conv.weight.shape == [6, 2, 2, 3, 2] and conv.bias.shape == [6]
    x = _f32(1, 4, 3, 4, 3)
    y = conv(paddle.to_tensor(x))
    assert y.shape == [1, 6, 3, 4, 3]
    convt = nn.Conv3DTranspose(4, 2, 3, stride=2)
    assert convt.weight.shape == [4, 2, 3, 3, 3]
    want = conv_transpose3d_ref(x, convt.weight.numpy(), 2)
    np.testing.assert_allclose(convt(paddle.to_tensor(x)).numpy(), want, atol=1e-5)


def test_pooling_functions_both_modes():
    x = _distinct(2, 3, 5, 6, 5)
    a = {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 1), "ceil_mode": True}
    both(lambda v: F.max_pool3d(v, [3, 2, 3], [2, 1, 2], 1, ceil_mode=True, return_mask=True),
         [max_pool3d_ref(x, **a), max_pool3d_indices_ref(x, **a)], {"x": x})
    both(lambda v: F.max_pool3d(v, 2, data_format="NDHWC"), _ndhwc(max_pool3d_ref(x, kernel_size=2)),
         {"x": _ndhwc(x)})
    both(lambda v: F.avg_pool3d(v, 3, 2, 1, ceil_mode=True),  # exclusive=True by default
         avg_pool3d_ref(x, 3, 2, 1, True, count_include_pad=False), {"x": x})
    both(lambda v: F.avg_pool3d(v, 2, 1, [0, 1, 1, 0, 0, 1], exclusive=False),
         _avg_asym(x), {"x": x})
    both(lambda v: F.adaptive_avg_pool3d(v, [2, 4, 3]), adaptive_avg_pool3d_ref(x, (2, 4, 3)),
         {"x": x})
    got = F.adaptive_max_pool3d(paddle.to_tensor(x), 2).numpy()
    assert got.shape == (2, 3, 2, 2, 2) and got[1, 2, 1, 1, 1] == x[1, 2, 2:, 3:, 2:].max()


def _avg_asym(x):
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 0), (0, 1)))
    return avg_pool3d_ref(padded, 2, 1)


def test_pooling_and_norm_layers():
    x = _distinct(2, 3, 4, 4, 4)
    xt = paddle.to_tensor(x)
    np.testing.assert_allclose(nn.MaxPool3D(2)(xt).numpy(), max_pool3d_ref(x, kernel_size=2))
    np.testing.assert_allclose(nn.AvgPool3D(2, divisor_override=3)(xt).numpy(),
                               avg_pool3d_ref(x, 2, divisor_override=3), rtol=1e-5)
    np.testing.assert_allclose(nn.AdaptiveAvgPool3D(1)(xt).numpy(),
                               x.mean(axis=(2, 3, 4), keepdims=True), rtol=1e-5)
    assert nn.AdaptiveMaxPool3D([1, 2, 2])(xt).shape == [2, 3, 1, 2, 2]
    mean, var = x.mean(axis=(2, 3, 4), keepdims=True), x.var(axis=(2, 3, 4), keepdims=True)
    np.testing.assert_allclose(nn.InstanceNorm3D(3)(xt).numpy(),
                               (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-4)
    mb, vb = x.mean(axis=(0, 2, 3, 4), keepdims=True), x.var(axis=(0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(nn.BatchNorm3D(3)(xt).numpy(), (x - mb) / np.sqrt(vb + 1e-5),
                               rtol=1e-4, atol=1e-4)


def test_pad3d_and_six_element_pads():
    x = _f32(1, 2, 3, 3, 4)
    widths = ((0, 0), (0, 0), (2, 0), (1, 1), (0, 1))
    both(lambda v: nn.Pad3D([0, 1, 1, 1, 2, 0], mode="reflect")(v),
         np.pad(x, widths, mode="reflect"), {"x": x})
    both(lambda v: F.pad(v, [0, 1, 1, 1, 2, 0], mode="replicate", data_format="NDHWC"),
         _ndhwc(np.pad(x, widths, mode="edge")), {"x": _ndhwc(x)})
    both(lambda v: nn.Pad3D(1, value=1.5)(v), np.pad(x, ((0, 0), (0, 0)) + ((1, 1),) * 3,
                                                      constant_values=1.5), {"x": x})


def _fd_grad(fn, x, eps=1e-3):
    t = paddle.to_tensor(x)
    t.stop_gradient = False
    (fn(t) ** 2).sum().backward()
    g = t.grad.numpy()
    flat = x.reshape(-1)
    for i in R.choice(flat.size, 6, replace=False):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        f = lambda v: float((fn(paddle.to_tensor(v.reshape(x.shape))) ** 2).sum().numpy())
        np.testing.assert_allclose(g.reshape(-1)[i], (f(up) - f(down)) / (2 * eps),
                                   rtol=1e-4, atol=1e-6)


def test_gradients_against_finite_differences():
    x = _distinct(1, 2, 4, 4, 3).astype(np.float64)
    w = paddle.to_tensor(R.standard_normal((3, 2, 2, 2, 2)))
    _fd_grad(lambda v: F.conv3d(v, w, stride=2, padding=1), x)
    _fd_grad(lambda v: F.max_pool3d(v, 3, 2, 1), x)
    _fd_grad(lambda v: F.avg_pool3d(v, 2, 1, 1), x)
    _fd_grad(lambda v: F.adaptive_avg_pool3d(v, [3, 2, 2]), x)
    v = paddle.to_tensor(x)
    v.stop_gradient = False
    (gw,) = paddle.grad(F.conv3d(paddle.to_tensor(x), w).sum(), [w]) if not w.stop_gradient \
        else (None,)
    assert gw is None or gw.shape == [3, 2, 2, 2, 2]


def test_unknown_batch_in_static_mode_and_errors():
    with static.program_guard(static.Program(), static.Program()):
        v = static.data("x", [None, 2, 4, 6, 6], "float32")
        assert F.conv3d(v, paddle.ones([3, 2, 3, 3, 3]), padding=1).shape == [-1, 3, 4, 6, 6]
        assert F.max_pool3d(v, 2).shape == [-1, 2, 2, 3, 3]
        assert F.avg_pool3d(v, 2, data_format="NCDHW").shape == [-1, 2, 2, 3, 3]
        assert F.adaptive_avg_pool3d(v, [1, 2, 3]).shape == [-1, 2, 1, 2, 3]
        assert nn.Conv3DTranspose(2, 4, 2, stride=2)(v).shape == [-1, 4, 8, 12, 12]
    with pytest.raises(ValueError, match="5-D"):
        F.conv3d(paddle.to_tensor(_f32(1, 2, 4, 4)), paddle.to_tensor(_f32(3, 2, 3, 3, 3)))
    with pytest.raises(ValueError, match="data_format"):
        F.max_pool3d(paddle.to_tensor(_f32(1, 2, 4, 4, 4)), 2, data_format="NCHW")
    with pytest.raises(Exception, match="channels"):
        F.conv3d(paddle.to_tensor(_f32(1, 4, 4, 4, 4)), paddle.to_tensor(_f32(3, 2, 3, 3, 3)))
