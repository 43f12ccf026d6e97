"""paddle.nn.functional / paddle.nn spatial extras (affine_grid, grid_sample, lp_pool,
max_pool(return_mask=True) + max_unpool, channel_shuffle, temporal_shift, sequence_mask,
Unflatten, ParameterDict) in explicit programs and in implicit mode, against the NumPy loop
references of tests/eager/test_nn_spatial_more.py; gradients in implicit mode against central
differences of those references."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn.functional as F
from dualnet_static import static

from ..eager.test_nn_spatial_more import (fd_grad, ref_affine_grid, ref_channel_shuffle,
                                          ref_grid_sample, ref_lp_pool2d, ref_max_pool_indices,
                                          ref_max_unpool)
from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both

R = np.random.default_rng(1)


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def _implicit_grads(fn, arrays, which):
    """Gradients of sum(fn(*tensors) * w) in implicit mode, with the weights w used."""
    tensors = [paddle.to_tensor(a) for a in arrays]
    for i in which:
        tensors[i].stop_gradient = False
    out = fn(*tensors)
    w = R.standard_normal(tuple(out.shape))
    (out * paddle.to_tensor(w)).sum().backward()
    return [tensors[i].grad.numpy() for i in which], w


def run_dynamic_batch(build, feeds):
    """Run `build` in an explicit program whose inputs have an unknown (-1) batch dim."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        data = [static.data(k, [None] + list(v.shape[1:]), v.dtype.name)
                for k, v in feeds.items()]
        outs = build(*data)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    for o in outs:
        assert o.shape[0] == -1
    return static.Executor().run(main, feed=feeds, fetch_list=list(outs))


# ---------------------------------------------------------------- sampling grids

THETA = R.standard_normal((2, 2, 3)).astype(np.float32)
X = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
GRID = R.uniform(-1.3, 1.3, (2, 3, 4, 2)).astype(np.float32)


def test_affine_grid_default_align_corners_true():
    feeds = {"theta": THETA}
    check_both(lambda t: F.affine_grid(t, [2, 3, 4, 5]),
               ref_affine_grid(THETA, (2, 3, 4, 5), True), feeds, rtol=1e-5, atol=1e-6)
    check_both(lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False),
               ref_affine_grid(THETA, (2, 3, 4, 5), False), feeds, rtol=1e-5, atol=1e-6)
    shape = paddle.to_tensor(np.array([2, 3, 4, 5]))
    got = F.affine_grid(paddle.to_tensor(THETA), shape)  # a Tensor out_shape (implicit)
    np.testing.assert_allclose(got.numpy(), ref_affine_grid(THETA, (2, 3, 4, 5), True),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_both_modes(mode, padding):
    feeds = {"x": X, "grid": GRID}
    check_both(lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding),
               ref_grid_sample(X, GRID, mode, padding, True), feeds, rtol=1e-5, atol=1e-5)


def test_grid_sample_dynamic_batch_and_align_false():
    (got,) = run_dynamic_batch(lambda x, g: F.grid_sample(x, g, align_corners=False),
                               {"x": X, "grid": GRID})
    np.testing.assert_allclose(got, ref_grid_sample(X, GRID, "bilinear", "zeros", False),
                               rtol=1e-5, atol=1e-5)


def test_affine_grid_sample_gradients():
    x = R.standard_normal((1, 2, 3, 4))
    grid = R.uniform(-1.4, 1.4, (1, 2, 3, 2))
    (gx, gg), w = _implicit_grads(lambda a, g: F.grid_sample(a, g, padding_mode="reflection"),
                                  [x, grid], (0, 1))

    def ref(a, g):
        return ref_grid_sample(a, g, "bilinear", "reflection", True)
    np.testing.assert_allclose(gx, fd_grad(ref, [x, grid], 0, w), atol=1e-6)
    np.testing.assert_allclose(gg, fd_grad(ref, [x, grid], 1, w), atol=1e-6)
    theta = R.standard_normal((2, 2, 3))
    (gt,), w = _implicit_grads(lambda t: F.affine_grid(t, [2, 1, 3, 2]), [theta], (0,))
    np.testing.assert_allclose(
        gt, fd_grad(lambda t: ref_affine_grid(t, (2, 1, 3, 2), True), [theta], 0, w), atol=1e-6)


def test_sampling_errors():
    x, g = paddle.to_tensor(X), paddle.to_tensor(GRID)
    with pytest.raises(ValueError, match="mode"):
        F.grid_sample(x, g, mode="bicubic")
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, g, padding_mode="wrap")
    with pytest.raises(TypeError, match="align_corners"):
        F.grid_sample(x, g, align_corners=None)
    with pytest.raises(ValueError, match="theta"):
        F.affine_grid(paddle.to_tensor(THETA[:, :1]), [2, 3, 4, 5])
    with static.program_guard(static.Program(), static.Program()):
        shape = static.data("shape", [4], "int64")
        theta = static.data("theta", [2, 2, 3], "float32")
        with pytest.raises(ValueError, match="out_shape"):
            F.affine_grid(theta, shape)


# ---------------------------------------------------------------- lp pooling

def test_lp_pool2d_exact_sum_with_padding_and_layouts():
    x = (np.abs(X) + 0.1).astype(np.float32)
    want = ref_lp_pool2d(x, 2.0, (2, 3), (2, 2), pad=(1, 1))
    check_both(lambda v: F.lp_pool2d(v, 2, (2, 3), stride=2, padding=1), want, {"x": x},
               rtol=1e-5, atol=1e-6)
    want = ref_lp_pool2d(x, 3.0, (2, 2), None, ceil=True)
    check_both(lambda v: paddle.nn.LPPool2D(3, 2, ceil_mode=True, data_format="NHWC")(v),
               want.transpose(0, 2, 3, 1), {"x": x.transpose(0, 2, 3, 1)}, rtol=1e-5,
               atol=1e-6)
    x1 = x[:, :, 0, :]
    want = ref_lp_pool2d(x1[:, :, None, :], 2.0, (1, 2), (1, 2))[:, :, 0]
    check_both(lambda v: paddle.nn.LPPool1D(2, 2)(v), want, {"x": x1}, rtol=1e-5, atol=1e-6)
    xd = np.abs(R.standard_normal((1, 1, 4, 4))) + 0.2
    (g,), w = _implicit_grads(lambda v: F.lp_pool2d(v, 2.5, 2), [xd], (0,))
    np.testing.assert_allclose(
        g, fd_grad(lambda v: ref_lp_pool2d(v, 2.5, (2, 2), None), [xd], 0, w), atol=1e-6)
    with pytest.raises(ValueError, match="norm_type"):
        F.lp_pool2d(paddle.to_tensor(x), 0, 2)


# ---------------------------------------------------------------- max pool mask, unpool

def test_max_pool2d_return_mask_and_unpool():
    x = R.permutation(2 * 3 * 4 * 6).reshape(2, 3, 4, 6).astype(np.float32)
    want_v, want_i = ref_max_pool_indices(x, (2, 2), (2, 2))
    unpooled = ref_max_unpool(want_v, want_i, (4, 6))

    def build(v):
        out, mask = F.max_pool2d(v, 2, return_mask=True)
        return [out, mask, F.max_unpool2d(out, mask, 2)]
    check_both(build, [want_v, want_i, unpooled], {"x": x})
    _, mask, up = run_dynamic_batch(build, {"x": x})
    np.testing.assert_array_equal(mask, want_i)
    np.testing.assert_array_equal(up, unpooled)

    def layers(v):
        out, mask = paddle.nn.MaxPool2D(2, return_mask=True)(v)
        return paddle.nn.MaxUnPool2D(2, output_size=[4, 6])(out, mask)
    check_both(layers, unpooled, {"x": x})
    (g,), w = _implicit_grads(lambda v: F.max_unpool2d(v, paddle.to_tensor(want_i), 2),
                              [want_v.astype(np.float64)], (0,))
    np.testing.assert_allclose(
        g, fd_grad(lambda v: ref_max_unpool(v, want_i, (4, 6)), [want_v.astype(np.float64)],
                   0, w), atol=1e-6)
    with pytest.raises(ValueError, match="output_size"):
        F.max_unpool2d(paddle.to_tensor(want_v), paddle.to_tensor(want_i), 2,
                       output_size=[9, 9])
    with pytest.raises(ValueError, match="data_format"):
        F.max_unpool2d(paddle.to_tensor(want_v), paddle.to_tensor(want_i), 2,
                       data_format="NHWC")


def test_max_pool1d_return_mask_and_unpool1d():
    x = R.permutation(2 * 3 * 8).reshape(2, 3, 8).astype(np.float32)
    want_v, want_i = ref_max_pool_indices(x[:, :, None, :], (1, 2), (1, 2))
    unpooled = ref_max_unpool(want_v, want_i, (1, 8))[:, :, 0]

    def build(v):
        out, mask = paddle.nn.MaxPool1D(2, return_mask=True)(v)
        return [mask, paddle.nn.MaxUnPool1D(2)(out, mask)]
    check_both(build, [want_i[:, :, 0], unpooled], {"x": x})


# ---------------------------------------------------------------- shuffles and shifts

def test_channel_shuffle_layouts_and_layer():
    x = R.standard_normal((2, 6, 2, 3)).astype(np.float32)
    check_both(lambda v: F.channel_shuffle(v, 3), ref_channel_shuffle(x, 3), {"x": x})
    xt = x.transpose(0, 2, 3, 1)
    check_both(lambda v: paddle.nn.ChannelShuffle(2, "NHWC")(v),
               ref_channel_shuffle(x, 2).transpose(0, 2, 3, 1), {"x": xt})
    (got,) = run_dynamic_batch(lambda v: F.channel_shuffle(v, 2), {"x": x})
    np.testing.assert_array_equal(got, ref_channel_shuffle(x, 2))
    with pytest.raises(ValueError, match="multiple of groups"):
        F.channel_shuffle(paddle.to_tensor(x), 4)
    with pytest.raises(TypeError, match="groups"):
        paddle.nn.ChannelShuffle(2.0)


def ref_temporal_shift(x, t, ratio):
    nt, c = x.shape[:2]
    v = x.reshape(nt // t, t, *x.shape[1:])
    c1, c2 = int(c * ratio), int(c * 2 * ratio)
    out = np.zeros_like(v)
    for s in range(t):
        if s >= 1:
            out[:, s, :c1] = v[:, s - 1, :c1]
        if s + 1 < t:
            out[:, s, c1:c2] = v[:, s + 1, c1:c2]
        out[:, s, c2:] = v[:, s, c2:]
    return out.reshape(x.shape)


def test_temporal_shift():
    x = R.standard_normal((6, 8, 2, 2)).astype(np.float32)
    check_both(lambda v: F.temporal_shift(v, 3), ref_temporal_shift(x, 3, 0.25), {"x": x})
    check_both(lambda v: F.temporal_shift(v, 2, 0.2, data_format="NHWC"),
               ref_temporal_shift(x, 2, 0.2).transpose(0, 2, 3, 1),
               {"x": x.transpose(0, 2, 3, 1)})
    (got,) = run_dynamic_batch(lambda v: F.temporal_shift(v, 3, 0.5), {"x": x})
    np.testing.assert_array_equal(got, ref_temporal_shift(x, 3, 0.5))
    xd = x[:4, :4].astype(np.float64)
    (g,), w = _implicit_grads(lambda v: F.temporal_shift(v, 2), [xd], (0,))
    np.testing.assert_allclose(g, fd_grad(lambda v: ref_temporal_shift(v, 2, 0.25), [xd], 0,
                                          w), atol=1e-6)
    with pytest.raises(ValueError, match="multiple of seg_num"):
        F.temporal_shift(paddle.to_tensor(x), 4)
    with pytest.raises(ValueError, match="shift_ratio"):
        F.temporal_shift(paddle.to_tensor(x), 3, 0.7)


def test_sequence_mask():
    lengths = np.array([[1, 3], [0, 2]], dtype=np.int64)
    want = np.array([[[j < n for j in range(3)] for n in row] for row in lengths])
    check_both(lambda v: F.sequence_mask(v), want.astype(np.int64), {"lengths": lengths})
    want5 = np.array([[[j < n for j in range(5)] for n in row] for row in lengths])
    check_both(lambda v: F.sequence_mask(v, maxlen=5, dtype="float32"),
               want5.astype(np.float32), {"lengths": lengths})
    got = F.sequence_mask(paddle.to_tensor(lengths), maxlen=paddle.to_tensor(np.array([4])),
                          dtype=paddle.bool)
    np.testing.assert_array_equal(got.numpy(), want5[..., :4])


# ---------------------------------------------------------------- Unflatten, ParameterDict

def test_unflatten_and_parameter_dict():
    x = R.standard_normal((2, 6, 3)).astype(np.float32)
    check_both(lambda v: paddle.nn.Unflatten(1, [2, -1])(v), x.reshape(2, 2, 3, 3), {"x": x})
    with pytest.raises(TypeError, match="shape"):
        paddle.nn.Unflatten(1, 6)
    a = paddle.create_parameter([2, 3], "float32")
    b = paddle.create_parameter([3], "float32")
    params = paddle.nn.ParameterDict({"a": a})
    params["b"] = b
    params.update([("c", paddle.create_parameter([1], "float32"))])
    assert len(params) == 3 and list(params) == ["a", "b", "c"] and "b" in params
    assert params["a"] is a and [n for n, _ in params.named_parameters()] == ["a", "b", "c"]
    assert len(paddle.nn.Sequential(paddle.nn.Linear(2, 2)).parameters()) == 2
