"""Paddle's recurrent layers, resampling, transposed convolution, pooling, activations,
distances, losses and normalizations of paddle.nn: shapes and values against NumPy loops in
explicit static mode and implicit mode, Paddle's parameter layout, gradients, -1 dims and
errors; LSTM and GRU train to the same losses in both modes."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
import dualnet_static.nn.functional as F
from dualnet.ops.registry import OpError
from dualnet_static import static

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


R = np.random.default_rng(0)


def _f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def both(build, expected, feeds, rtol=1e-5, atol=1e-6):
    """Values (not dtypes) in an explicit program and in implicit mode."""
    check_both(build, expected, feeds, rtol=rtol, atol=atol, check_dtype=False)


# ---------------------------------------------------------------- NumPy references

def _sig(v):
    return 1 / (1 + np.exp(-v))


def np_step(mode, x, state, p):
    if mode == "LSTM":
        h, c = state
        g = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        i, f, gg, o = np.split(g, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(gg)
        return _sig(o) * np.tanh(c), c
    if mode == "GRU":
        xr, xz, xc = np.split(x @ p["weight_ih"].T + p["bias_ih"], 3, axis=-1)
        hr, hz, hc = np.split(state @ p["weight_hh"].T + p["bias_hh"], 3, axis=-1)
        r, z = _sig(xr + hr), _sig(xz + hz)
        c = np.tanh(xc + r * hc)
        return (state - c) * z + c
    return np.tanh(x @ p["weight_ih"].T + p["bias_ih"] + state @ p["weight_hh"].T
                   + p["bias_hh"])


def np_rnn(mode, x, sd, num_layers, dirs, hidden):
    """Paddle's stacked RNN on [N, T, I] from a state_dict; (outputs, finals)."""
    n, t = x.shape[:2]
    finals = []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = "_reverse" if d else ""
            p = {k: sd[f"{k}_l{layer}{sfx}"] for k in
                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            z = np.zeros((n, hidden), np.float32)
            state = (z, z) if mode == "LSTM" else z
            out = np.zeros((n, t, hidden), np.float32)
            for s in (range(t - 1, -1, -1) if d else range(t)):
                state = np_step(mode, x[:, s], state, p)
                out[:, s] = state[0] if mode == "LSTM" else state
            outs.append(out)
            finals.append(state)
        x = np.concatenate(outs, axis=-1)
    if mode == "LSTM":
        return x, (np.stack([f[0] for f in finals]), np.stack([f[1] for f in finals]))
    return x, np.stack(finals)


# ---------------------------------------------------------------- recurrent layers

@pytest.mark.parametrize("cls,mode", [(nn.SimpleRNN, "RNN"), (nn.LSTM, "LSTM"),
                                      (nn.GRU, "GRU")])
def test_stacked_rnn_matches_numpy_both_modes(cls, mode):
    x = _f32(3, 5, 4)
    net = cls(4, 6, num_layers=2, direction="bidirect")
    sd = net.state_dict()
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
    assert sd["weight_ih_l0"].shape == (gates * 6, 4)
    assert sd["weight_ih_l1_reverse"].shape == (gates * 6, 12)
    assert sd["bias_hh_l0"].shape == (gates * 6,)
    assert "0.cell_fw.weight_ih" in sd and "1.cell_bw.bias_hh" in sd
    bound = 1 / math.sqrt(6)
    assert all(np.abs(v).max() <= bound for v in sd.values())
    assert len(net.parameters()) == 16
    want_out, want_final = np_rnn(mode, x, sd, 2, 2, 6)
    out, final = net(paddle.to_tensor(x))
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5, atol=1e-6)
    finals = final if mode == "LSTM" else (final,)
    wants = want_final if mode == "LSTM" else (want_final,)
    for f, w in zip(finals, wants):
        assert f.shape == [4, 3, 6]
        np.testing.assert_allclose(f.numpy(), w, rtol=1e-5, atol=1e-6)
    # explicit: same weights, unknown batch dim
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 5, 4], "float32")
        net2 = cls(4, 6, num_layers=2, direction="bidirect")
        out2, final2 = net2(xv)
        assert out2.shape == [-1, 5, 12]
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    net2.set_state_dict(sd, scope=scope)
    fetch = [out2] + (list(final2) if mode == "LSTM" else [final2])
    got = exe.run(main, feed={"x": x}, fetch_list=fetch, scope=scope)
    np.testing.assert_allclose(got[0], want_out, rtol=1e-5, atol=1e-6)
    for g, w in zip(got[1:], wants):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_time_major_initial_states_and_cells():
    x = _f32(5, 2, 3)  # [T, N, I]
    net = nn.LSTM(3, 4, time_major=True)
    sd = net.state_dict()
    h0, c0 = _f32(1, 2, 4), _f32(1, 2, 4)
    out, (h, c) = net(paddle.to_tensor(x), (paddle.to_tensor(h0), paddle.to_tensor(c0)))
    p = {k: sd[f"{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    state = (h0[0], c0[0])
    for t in range(5):
        state = np_step("LSTM", x[t], state, p)
        np.testing.assert_allclose(out.numpy()[t], state[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy()[0], state[1], rtol=1e-5, atol=1e-6)
    # a cell on its own, and RNN(cell, is_reverse=True)
    cell = nn.GRUCell(3, 4)
    csd = {k.split(".")[-1]: v for k, v in cell.state_dict().items()}
    y, hn = cell(paddle.to_tensor(x[0]))
    np.testing.assert_allclose(y.numpy(), np_step("GRU", x[0], np.zeros((2, 4)), csd),
                               rtol=1e-5, atol=1e-6)
    outs, last = nn.RNN(cell, is_reverse=True, time_major=True)(paddle.to_tensor(x))
    s = np.zeros((2, 4), np.float32)
    for t in range(4, -1, -1):
        s = np_step("GRU", x[t], s, csd)
    np.testing.assert_allclose(last.numpy(), s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs.numpy()[0], s, rtol=1e-5, atol=1e-6)
    st = nn.LSTMCell(3, 4).get_initial_states(paddle.to_tensor(x[0]))
    assert [v.shape for v in st] == [[2, 4], [2, 4]]


def test_birnn_and_sequence_length():
    x = _f32(2, 4, 3)
    fw, bw = nn.SimpleRNNCell(3, 5), nn.SimpleRNNCell(3, 5)
    out, (sf, sb) = nn.BiRNN(fw, bw)(paddle.to_tensor(x),
                                     sequence_length=paddle.to_tensor(np.array([4, 2])))
    assert out.shape == [2, 4, 10]
    p = {k.split(".")[-1]: v for k, v in fw.state_dict().items()}
    h = np.zeros((1, 5), np.float32)
    for t in range(2):
        h = np_step("RNN", x[1:, t], h, p)
    np.testing.assert_allclose(sf.numpy()[1:], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out.numpy()[1, 2:], 0.0)  # padded steps output zeros
    q = {k.split(".")[-1]: v for k, v in bw.state_dict().items()}
    h = np.zeros((1, 5), np.float32)
    for t in (1, 0):  # the reverse direction starts at the last valid step
        h = np_step("RNN", x[1:, t], h, q)
    np.testing.assert_allclose(sb.numpy()[1:], h, rtol=1e-5, atol=1e-6)


def test_unknown_time_dim_and_bad_arguments_raise():
    with static.program_guard(static.Program(), static.Program()):
        x = static.data("x", [None, None, 4], "float32")
        with pytest.raises(ValueError, match="number of time steps must be known"):
            nn.GRU(4, 3)(x)
    with pytest.raises(ValueError, match="direction"):
        nn.LSTM(4, 3, direction="backward")
    with pytest.raises(ValueError, match="activation"):
        nn.SimpleRNNCell(4, 3, activation="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRUCell(4, 0)


class _Seq(nn.Layer):
    def __init__(self, cls):
        super().__init__()
        self.rnn = cls(3, 5, num_layers=2)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_lstm_gru_train_same_losses_implicit_and_explicit(cls):
    rng = np.random.default_rng(1)  # one batch, four steps: the loss must go down
    x0, y0 = rng.standard_normal((6, 7, 3)).astype(np.float32), rng.integers(0, 2, 6)
    xs, ys = [x0] * 4, [y0] * 4
    net = _Seq(cls)
    start = net.state_dict()
    opt = paddle.optimizer.SGD(learning_rate=0.5, parameters=net.parameters())
    imp = []
    for x, y in zip(xs, ys):
        opt.clear_grad()
        loss = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
        loss.backward()
        opt.step()
        imp.append(float(loss))
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 7, 3], "float32")
        yv = static.data("y", [None], "int64")
        net2 = _Seq(cls)
        loss2 = F.cross_entropy(net2(xv), yv)
        paddle.optimizer.SGD(learning_rate=0.5).minimize(loss2)
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    net2.set_state_dict(start, scope=scope)
    exp = [float(exe.run(main, feed={"x": x, "y": y}, fetch_list=[loss2], scope=scope)[0])
           for x, y in zip(xs, ys)]
    np.testing.assert_allclose(imp, exp, rtol=1e-6)
    assert imp[-1] < imp[0]


# ---------------------------------------------------------------- resampling

def _np_linear_1d(n_in, n_out, align_corners, align_mode):
    ratio = (n_in - 1) / (n_out - 1) if align_corners else n_in / n_out
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners or align_mode == 1:
            src = o * ratio
        else:
            src = max((o + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        m[o, i0] += 1 - (src - i0)
        m[o, i1] += src - i0
    return m


@pytest.mark.parametrize("align_corners,align_mode", [(False, 0), (False, 1), (True, 0)])
def test_bilinear_interpolate(align_corners, align_mode):
    x = _f32(2, 3, 4, 5)
    mh = _np_linear_1d(4, 7, align_corners, align_mode)
    mw = _np_linear_1d(5, 9, align_corners, align_mode)
    want = np.einsum("oh,nchw,pw->ncop", mh, x, mw)
    both(lambda v: F.interpolate(v, size=[7, 9], mode="bilinear", align_corners=align_corners,
                                 align_mode=align_mode), want, {"x": x})
    layer = nn.Upsample(size=[7, 9], mode="bilinear", align_corners=align_corners,
                        align_mode=align_mode, data_format="NHWC")
    got = layer(paddle.to_tensor(x.transpose(0, 2, 3, 1))).numpy()
    np.testing.assert_allclose(got, want.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)


def test_nearest_interpolate_and_upsampling_layers():
    x = _f32(1, 2, 3, 4)
    rows, cols = np.floor(np.arange(6) * 0.5).astype(int), np.floor(np.arange(8) * 0.5)
    want = x[:, :, rows][:, :, :, cols.astype(int)]
    both(lambda v: F.interpolate(v, scale_factor=2), want, {"x": x})
    np.testing.assert_allclose(nn.UpsamplingNearest2D(scale_factor=2)(
        paddle.to_tensor(x)).numpy(), want)
    mh, mw = _np_linear_1d(3, 5, True, 0), _np_linear_1d(4, 6, True, 0)
    np.testing.assert_allclose(nn.UpsamplingBilinear2D(size=[5, 6])(paddle.to_tensor(x)).numpy(),
                               np.einsum("oh,nchw,pw->ncop", mh, x, mw), rtol=1e-5, atol=1e-6)
    line = _f32(2, 3, 5)
    both(lambda v: F.interpolate(v, size=[8], mode="linear", data_format="NCW"),
         np.einsum("ol,ncl->nco", _np_linear_1d(5, 8, False, 0), line), {"x": line})
    area = F.interpolate(paddle.to_tensor(x), size=[1, 2], mode="area").numpy()
    np.testing.assert_allclose(area, x.reshape(1, 2, 3, 2, 2).mean(axis=(2, 4))[:, :, None],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(paddle.to_tensor(x), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(paddle.to_tensor(line), scale_factor=2, mode="bilinear",
                      data_format="NCW")


def test_interpolate_gradient_and_unknown_batch():
    x = _f32(1, 1, 3, 3)
    t = paddle.to_tensor(x)
    t.stop_gradient = False
    F.interpolate(t, size=[5, 4], mode="bilinear").sum().backward()
    mh, mw = _np_linear_1d(3, 5, False, 0), _np_linear_1d(3, 4, False, 0)
    np.testing.assert_allclose(t.grad.numpy()[0, 0], np.outer(mh.sum(0), mw.sum(0)),
                               rtol=1e-5)
    with static.program_guard(static.Program(), static.Program()):
        v = static.data("x", [None, 3, 4, 4], "float32")
        assert F.interpolate(v, scale_factor=0.5, mode="bilinear").shape == [-1, 3, 2, 2]
        assert F.pixel_shuffle(static.data("y", [None, 8, 2, 2], "float32"), 2).shape == \
            [-1, 2, 4, 4]


def test_pixel_shuffle_and_unshuffle():
    x = _f32(2, 8, 3, 4)
    r = 2
    want = x.reshape(2, 2, r, r, 3, 4).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 6, 8)
    both(lambda v: F.pixel_shuffle(v, 2), want, {"x": x})
    both(lambda v: nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(v)), x, {"x": x})
    nhwc = nn.PixelShuffle(2, data_format="NHWC")(paddle.to_tensor(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(nhwc.numpy(), want.transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match="upscale_factor"):
        F.pixel_shuffle(paddle.to_tensor(_f32(1, 6, 2, 2)), 2)


# ---------------------------------------------------------------- convolution and pooling

def _np_conv_transpose(x, w, stride, pad):
    n, cin, h, wd = x.shape
    cout, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    full = np.zeros((n, cout, (h - 1) * stride + kh, (wd - 1) * stride + kw))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += \
                np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    return full[:, :, pad:full.shape[2] - pad, pad:full.shape[3] - pad]


def test_conv2d_transpose_function_and_layer():
    x, w, b = _f32(2, 3, 4, 4), _f32(3, 2, 3, 3), _f32(2)
    want = _np_conv_transpose(x, w, 2, 1) + b[None, :, None, None]
    both(lambda v, wv, bv: F.conv2d_transpose(v, wv, bv, stride=2, padding=1), want,
         {"x": x, "w": w, "b": b}, rtol=1e-4, atol=1e-5)
    got = F.conv2d_transpose(paddle.to_tensor(x), paddle.to_tensor(w), stride=2, padding=1,
                             output_size=[8, 8]).numpy()
    assert got.shape == (2, 2, 8, 8)
    np.testing.assert_allclose(got[:, :, :7, :7], want - b[None, :, None, None], rtol=1e-4,
                               atol=1e-5)
    layer = nn.Conv2DTranspose(3, 4, 3, stride=2, padding=1)
    assert layer.weight.shape == [3, 4, 3, 3] and layer.bias.shape == [4]
    assert layer(paddle.to_tensor(x), output_size=[8, 8]).shape == [2, 4, 8, 8]
    with pytest.raises(ValueError, match="output_size"):
        layer(paddle.to_tensor(x), output_size=[10, 10])


def test_adaptive_max_pool2d_uneven_bins():
    x = _f32(2, 3, 5, 7)
    want = np.zeros((2, 3, 3, 4), np.float32)
    for i in range(3):
        for j in range(4):
            hs, he = (i * 5) // 3, -(-((i + 1) * 5) // 3)
            ws, we = (j * 7) // 4, -(-((j + 1) * 7) // 4)
            want[:, :, i, j] = x[:, :, hs:he, ws:we].max(axis=(2, 3))
    both(lambda v: F.adaptive_max_pool2d(v, [3, 4]), want, {"x": x})
    both(lambda v: nn.AdaptiveMaxPool2D(1)(v), x.max(axis=(2, 3), keepdims=True), {"x": x})
    line = _f32(2, 3, 6)
    both(lambda v: nn.AdaptiveMaxPool1D(3)(v), line.reshape(2, 3, 3, 2).max(-1), {"x": line})


def test_unfold_and_fold():
    x = _f32(2, 3, 5, 4)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))  # paddings [top, left, bottom, right]
    cols = []
    for i in range(0, xp.shape[2] - 2 + 1, 2):
        for j in range(0, xp.shape[3] - 2 + 1, 1):
            cols.append(xp[:, :, i:i + 2, j:j + 2].reshape(2, -1))
    want = np.stack(cols, axis=-1)
    both(lambda v: F.unfold(v, [2, 2], strides=[2, 1], paddings=[1, 0, 1, 0]), want, {"x": x})
    both(lambda v: nn.Unfold([2, 2], paddings=[1, 0, 1, 0], strides=[2, 1])(v), want, {"x": x})
    # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
    c = _f32(*want.shape)
    folded = nn.Fold([5, 4], [2, 2], paddings=[1, 0, 1, 0], strides=[2, 1])(
        paddle.to_tensor(c)).numpy()
    np.testing.assert_allclose((want * c).sum(), (x * folded).sum(), rtol=1e-4)
    t = paddle.to_tensor(x)
    t.stop_gradient = False
    F.unfold(t, 2).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), F.fold(paddle.to_tensor(
        np.ones((2, 12, 12), np.float32)), [5, 4], 2).numpy())  # taps covering each pixel
    with pytest.raises(ValueError, match="fold"):
        F.fold(paddle.to_tensor(c), [6, 6], [2, 2])


# ---------------------------------------------------------------- activations

def test_prelu_and_shrinks():
    x = _f32(2, 3, 2, 2)
    w = np.array([0.1, 0.2, 0.3], np.float32)
    want = np.where(x > 0, x, x * w[None, :, None, None])
    both(lambda v, wv: F.prelu(v, wv), want, {"x": x, "w": w})
    layer = nn.PReLU(3, init=0.1)
    assert layer.state_dict()["_weight"].tolist() == pytest.approx([0.1] * 3)
    np.testing.assert_allclose(layer(paddle.to_tensor(x)).numpy(), np.where(x > 0, x, 0.1 * x),
                               rtol=1e-6)
    np.testing.assert_allclose(nn.PReLU()(paddle.to_tensor(x)).numpy(),
                               np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    both(lambda v: F.softshrink(v, 0.5),
         np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)), {"x": x})
    both(lambda v: nn.Hardshrink(0.4)(v), np.where(np.abs(x) > 0.4, x, 0), {"x": x})
    both(lambda v: nn.ThresholdedReLU(0.3)(v), np.where(x > 0.3, x, 0), {"x": x})
    both(lambda v: nn.Silu()(v), x * _sig(x), {"x": x})


def test_maxout_glu_gumbel():
    x = _f32(2, 6, 3, 2)
    both(lambda v: F.maxout(v, 2), x.reshape(2, 3, 2, 3, 2).max(axis=2), {"x": x})
    last = _f32(2, 3, 2, 6)
    both(lambda v: nn.Maxout(3, axis=-1)(v), last.reshape(2, 3, 2, 2, 3).max(axis=-1),
         {"x": last})
    both(lambda v: F.glu(v, axis=1), x[:, :3] * _sig(x[:, 3:]), {"x": x})
    g = F.gumbel_softmax(paddle.to_tensor(_f32(4, 5)), temperature=0.5).numpy()
    np.testing.assert_allclose(g.sum(-1), 1.0, rtol=1e-5)
    logits = paddle.to_tensor(_f32(4, 5))
    logits.stop_gradient = False
    hard = F.gumbel_softmax(logits, hard=True)
    assert sorted(np.unique(hard.numpy()).tolist()) == [0.0, 1.0]
    np.testing.assert_array_equal(hard.numpy().sum(-1), 1.0)
    (hard * paddle.to_tensor(_f32(4, 5))).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0  # straight-through gradient


# ---------------------------------------------------------------- distances and losses

def test_cosine_similarity_and_pairwise_distance():
    a, b = _f32(4, 5), _f32(4, 5)
    b[0] = 0.0
    cos = (a * b).sum(1) / np.sqrt(np.maximum((a * a).sum(1) * (b * b).sum(1), 1e-16))
    both(lambda u, v: nn.CosineSimilarity(axis=1)(u, v), cos, {"a": a, "b": b})
    dist = np.sqrt(((a - b + 1e-6) ** 2).sum(-1))
    both(lambda u, v: F.pairwise_distance(u, v), dist, {"a": a, "b": b})
    both(lambda u, v: nn.PairwiseDistance(p=1.0, keepdim=True)(u, v),
         np.abs(a - b + 1e-6).sum(-1, keepdims=True), {"a": a, "b": b})


def test_margin_and_embedding_losses():
    x1, x2 = _f32(6), _f32(6)
    y = np.array([1, -1, 1, -1, 1, 1], np.float32)
    both(lambda a, b, t: F.margin_ranking_loss(a, b, t, margin=0.1),
         np.maximum(0, -y * (x1 - x2) + 0.1).mean(), {"a": x1, "b": x2, "y": y})
    both(lambda a, b, t: nn.MarginRankingLoss(reduction="sum")(a, b, t),
         np.maximum(0, -y * (x1 - x2)).sum(), {"a": x1, "b": x2, "y": y})
    both(lambda a, t: F.hinge_embedding_loss(a, t, reduction="none"),
         np.where(y == 1, x1, np.maximum(0, 1 - x1)), {"a": x1, "y": y})
    u, v = _f32(6, 4), _f32(6, 4)
    cos = (u * v).sum(-1) / np.sqrt(((u * u).sum(-1) + 1e-11) * ((v * v).sum(-1) + 1e-11))
    both(lambda a, b, t: nn.CosineEmbeddingLoss(margin=0.2)(a, b, t),
         np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.2)).mean(), {"a": u, "b": v, "y": y})
    w = _f32(6, 4)

    def d(p, q):
        return np.sqrt(((p - q + 1e-6) ** 2).sum(-1))

    both(lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=True),
         np.maximum(d(u, v) - np.minimum(d(u, w), d(v, w)) + 1.0, 0).mean(),
         {"a": u, "b": v, "c": w})
    both(lambda a, b, c: nn.TripletMarginLoss(margin=0.5)(a, b, c),
         np.maximum(d(u, v) - d(u, w) + 0.5, 0).mean(), {"a": u, "b": v, "c": w})
    with pytest.raises(ValueError, match="reduction"):
        F.margin_ranking_loss(paddle.to_tensor(x1), paddle.to_tensor(x2),
                              paddle.to_tensor(y), reduction="avg")


def test_pointwise_losses():
    x, lab = _f32(4, 3), (R.random((4, 3)) > 0.5).astype(np.float32)
    both(lambda a, b: F.square_error_cost(a, b), (x - lab) ** 2, {"x": x, "y": lab})
    p = _sig(x)
    both(lambda a, b: F.log_loss(a, b),
         -lab * np.log(p + 1e-4) - (1 - lab) * np.log(1 - p + 1e-4), {"p": p, "y": lab})
    ce = np.maximum(x, 0) - x * lab + np.log1p(np.exp(-np.abs(x)))
    p_t = p * lab + (1 - p) * (1 - lab)
    a_t = 0.25 * lab + 0.75 * (1 - lab)
    focal = a_t * ce * (1 - p_t) ** 2
    norm = np.array([2.0], np.float32)
    both(lambda a, b, n: F.sigmoid_focal_loss(a, b, n), (focal / 2.0).sum(),
         {"x": x, "y": lab, "n": norm})
    both(lambda a, b: F.sigmoid_focal_loss(a, b, gamma=0.0, reduction="mean"),
         (a_t * ce).mean(), {"x": x, "y": lab})


# ---------------------------------------------------------------- normalization, bilinear,
# padding and dropout

def test_instance_norm_and_lrn():
    x = _f32(2, 3, 4, 5)
    mu, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    w, b = _f32(3), _f32(3)
    want = (x - mu) / np.sqrt(var + 1e-5) * w[None, :, None, None] + b[None, :, None, None]
    both(lambda v, wv, bv: F.instance_norm(v, weight=wv, bias=bv), want,
         {"x": x, "w": w, "b": b}, rtol=1e-4, atol=1e-5)
    layer = nn.InstanceNorm2D(3)
    assert sorted(layer.state_dict()) == ["bias", "scale"]
    np.testing.assert_allclose(layer(paddle.to_tensor(x)).numpy(),
                               (x - mu) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    assert nn.InstanceNorm1D(3, weight_attr=False).parameters() == []
    sq = np.pad(x ** 2, ((0, 0), (1, 1), (0, 0), (0, 0)))
    avg = np.stack([sq[:, c:c + 3].mean(1) for c in range(3)], axis=1)
    both(lambda v: nn.LocalResponseNorm(3)(v), x / (1.0 + 1e-4 * avg) ** 0.75, {"x": x})


def test_bilinear_pads_alpha_dropout():
    x1, x2 = _f32(4, 3), _f32(4, 5)
    layer = nn.Bilinear(3, 5, 2)
    sd = layer.state_dict()
    assert sd["weight"].shape == (2, 3, 5) and sd["bias"].shape == (1, 2)
    want = np.einsum("ni,oij,nj->no", x1, sd["weight"], x2) + sd["bias"]
    np.testing.assert_allclose(layer(paddle.to_tensor(x1), paddle.to_tensor(x2)).numpy(),
                               want, rtol=1e-5, atol=1e-6)
    w = _f32(2, 3, 5)
    both(lambda a, b, wv: F.bilinear(a, b, wv), np.einsum("ni,oij,nj->no", x1, w, x2),
         {"a": x1, "b": x2, "w": w})
    x = _f32(1, 2, 3)
    both(lambda v: nn.Pad1D([1, 2], mode="reflect")(v),
         np.pad(x, ((0, 0), (0, 0), (1, 2)), mode="reflect"), {"x": x})
    img = _f32(1, 2, 3, 3)
    both(lambda v: nn.ZeroPad2D([1, 0, 2, 1])(v),
         np.pad(img, ((0, 0), (0, 0), (2, 1), (1, 0))), {"x": img})
    both(lambda v: F.zeropad2d(v, 1), np.pad(img, ((0, 0), (0, 0), (1, 1), (1, 1))),
         {"x": img})
    big = paddle.to_tensor(R.standard_normal((200, 200)).astype(np.float32))
    y = F.alpha_dropout(big, p=0.2).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    drop = nn.AlphaDropout(0.3)
    drop.eval()
    np.testing.assert_array_equal(drop(big).numpy(), big.numpy())


def test_errors_name_the_function():
    t = paddle.to_tensor(_f32(2, 5, 3, 3))
    with pytest.raises(ValueError, match="maxout"):
        F.maxout(t, 2)
    with pytest.raises(ValueError, match="glu"):
        F.glu(t, axis=1)
    with pytest.raises((ValueError, OpError), match="prelu"):
        F.prelu(t, paddle.to_tensor(np.ones(3, np.float32)))
    with static.program_guard(static.Program(), static.Program()):
        v = static.data("x", [None, 4], "float32")
        with pytest.raises(ValueError, match="gumbel_softmax"):
            F.gumbel_softmax(v)
