"""3-D convolution, pooling, normalization and padding in the torch front end: values against
the NumPy loop references of tests/ops/specs, PyTorch's parameter shapes and init bounds,
gradients by finite differences, return_indices, and an ONNX round trip through onnxruntime."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_eager as torch
import dualnet_eager.nn as nn
import dualnet_eager.nn.functional as F
from tests.ops.specs.conv import conv3d_ref, conv_transpose3d_ref
from tests.ops.specs.pool import (adaptive_avg_pool3d_ref, avg_pool3d_ref, max_pool3d_indices_ref,
                                  max_pool3d_ref)

R = np.random.default_rng(0)


def _x(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _distinct(*shape):
    return (R.permutation(math.prod(shape)).reshape(shape) * 0.37).astype(np.float32)


def test_conv3d_module_matches_the_loop_reference_with_pytorch_shapes():
    m = nn.Conv3d(4, 6, (2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1),
                  groups=2)
    assert tuple(m.weight.shape) == (6, 2, 2, 3, 2) and tuple(m.bias.shape) == (6,)
    bound = 1 / math.sqrt(2 * 2 * 3 * 2)
    assert np.abs(m.weight.detach().numpy()).max() <= bound + 1e-6
    x = _x(2, 4, 5, 6, 4)
    want = conv3d_ref(x, m.weight.detach().numpy(), (1, 2, 1), (1, 0, 1), (2, 1, 1), 2)
    want = want + m.bias.detach().numpy().reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), want, atol=1e-5)
    same = nn.Conv3d(2, 3, 3, padding="same", bias=False)
    assert tuple(same(torch.tensor(_x(1, 2, 4, 4, 4))).shape) == (1, 3, 4, 4, 4)
    assert tuple(same(torch.tensor(_x(2, 4, 4, 4))).shape) == (3, 4, 4, 4)  # unbatched
    refl = nn.Conv3d(1, 1, 3, padding=1, padding_mode="reflect", bias=False)
    xr = _x(1, 1, 3, 4, 3)
    padded = np.pad(xr, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1)), mode="reflect")
    np.testing.assert_allclose(refl(torch.tensor(xr)).detach().numpy(),
                               conv3d_ref(padded, refl.weight.detach().numpy()), atol=1e-5)


def test_conv_transpose3d_and_output_size():
    m = nn.ConvTranspose3d(4, 2, (3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1),
                           output_padding=(1, 0, 1), groups=2)
    assert tuple(m.weight.shape) == (4, 1, 3, 2, 2)
    x = _x(1, 4, 2, 3, 3)
    want = conv_transpose3d_ref(x, m.weight.detach().numpy(), (2, 1, 2), (1, 0, 1), (1, 0, 1),
                                1, 2) + m.bias.detach().numpy().reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), want, atol=1e-5)
    m2 = nn.ConvTranspose3d(2, 2, 3, stride=2)
    assert tuple(m2(torch.tensor(_x(1, 2, 2, 2, 2)), output_size=[6, 5, 6]).shape) == \
        (1, 2, 6, 5, 6)


def _fd_check(fn, x, eps=1e-6, tol=1e-6):
    t = torch.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    g = t.grad.numpy()
    flat = x.reshape(-1)
    for i in R.choice(flat.size, 8, replace=False):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        num = (fn(torch.tensor(up.reshape(x.shape))).sum().item()
               - fn(torch.tensor(down.reshape(x.shape))).sum().item()) / (2 * eps)
        assert abs(num - g.reshape(-1)[i]) < tol + 1e-4 * abs(num)


def test_gradients_by_finite_differences():
    w = R.standard_normal((3, 2, 2, 2, 2))
    _fd_check(lambda t: F.conv3d(t, torch.tensor(w), stride=2, padding=1) ** 2,
              R.standard_normal((1, 2, 4, 3, 4)))
    _fd_check(lambda t: F.conv_transpose3d(t, torch.tensor(w),
                                           stride=2) ** 2, R.standard_normal((1, 3, 2, 2, 2)))
    x = _distinct(1, 2, 4, 4, 4).astype(np.float64)
    _fd_check(lambda t: F.max_pool3d(t, 3, 2, 1) ** 2, x)
    _fd_check(lambda t: F.avg_pool3d(t, 2, 1, 1, count_include_pad=False) ** 2, x)
    _fd_check(lambda t: F.adaptive_avg_pool3d(t, (3, 2, 3)) ** 2, x)
    _fd_check(lambda t: F.adaptive_max_pool3d(t, (3, 2, 3)) ** 2, x)
    _fd_check(lambda t: nn.InstanceNorm3d(2)(t) ** 3, R.standard_normal((2, 2, 2, 3, 2)))


def test_pooling_modules_match_the_loop_references():
    x = _distinct(2, 3, 5, 6, 5)
    a = {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 1),
         "dilation": (1, 2, 1), "ceil_mode": True}
    y, idx = nn.MaxPool3d(**a, return_indices=True)(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), max_pool3d_ref(x, **a))
    np.testing.assert_array_equal(idx.numpy(), max_pool3d_indices_ref(x, **a))
    assert idx.dtype == torch.int64
    b = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
         "count_include_pad": False}
    np.testing.assert_allclose(nn.AvgPool3d(**b)(torch.tensor(x)).numpy(),
                               avg_pool3d_ref(x, **b), rtol=1e-5)
    np.testing.assert_allclose(nn.AvgPool3d(2, divisor_override=3)(torch.tensor(x)).numpy(),
                               avg_pool3d_ref(x, 2, divisor_override=3), rtol=1e-5)
    np.testing.assert_allclose(nn.AdaptiveAvgPool3d((2, None, 3))(torch.tensor(x)).numpy(),
                               adaptive_avg_pool3d_ref(x, (2, None, 3)), rtol=1e-5)
    got = nn.AdaptiveMaxPool3d((2, 4, 3))(torch.tensor(x)).numpy()
    assert got.shape == (2, 3, 2, 4, 3)
    assert got[0, 0, 0, 0, 0] == x[0, 0, :3, :2, :2].max()


def test_norm_and_padding_layers():
    x = _x(2, 3, 2, 3, 4)
    y = nn.InstanceNorm3d(3)(torch.tensor(x)).numpy()
    mean = x.mean(axis=(2, 3, 4), keepdims=True)
    var = x.var(axis=(2, 3, 4), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-5)
    bn = nn.BatchNorm3d(3)
    yb = bn(torch.tensor(x)).detach().numpy()
    mb, vb = x.mean(axis=(0, 2, 3, 4), keepdims=True), x.var(axis=(0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(yb, (x - mb) / np.sqrt(vb + 1e-5), atol=1e-5)
    pads = (1, 0, 2, 1, 0, 1)
    widths = ((0, 0), (0, 0), (0, 1), (2, 1), (1, 0))
    for layer, mode in ((nn.ReflectionPad3d, "reflect"), (nn.ReplicationPad3d, "edge"),
                        (nn.CircularPad3d, "wrap")):
        np.testing.assert_allclose(layer(pads)(torch.tensor(x)).numpy(),
                                   np.pad(x, widths, mode=mode))
    np.testing.assert_allclose(nn.ConstantPad3d(pads, 2.5)(torch.tensor(x)).numpy(),
                               np.pad(x, widths, constant_values=2.5))
    assert tuple(nn.ZeroPad3d(1)(torch.tensor(x)).shape) == (2, 3, 4, 5, 6)


def test_errors_name_the_shapes():
    with pytest.raises(Exception, match="channels"):
        F.conv3d(torch.tensor(_x(1, 3, 4, 4, 4)), torch.tensor(_x(2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match="5D"):
        nn.BatchNorm3d(3)(torch.tensor(_x(2, 3, 4, 4)))


def test_onnx_round_trip_through_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    from interop import InputSpec
    from interop.onnx import export, load

    model = nn.Sequential(nn.Conv3d(2, 4, 3, padding=(1, 0, 1), stride=(1, 1, 2)), nn.ReLU(),
                          nn.MaxPool3d(2, ceil_mode=True), nn.AvgPool3d(1),
                          nn.ConvTranspose3d(4, 2, 2, stride=2), nn.AdaptiveAvgPool3d(1))
    model.eval()
    proto = export(model, None, input_spec=[InputSpec([None, 2, 5, 6, 7], "float32", "x")])
    x = _x(3, 2, 5, 6, 7)
    with torch.no_grad():
        want = model(torch.tensor(x)).numpy()
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {proto.graph.input[0].name: x})[0], want,
                               atol=1e-5)
    np.testing.assert_allclose(load(proto)(x), want, atol=1e-5)
