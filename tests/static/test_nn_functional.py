"""paddle.nn.functional in static programs: each function's value (run on the Executor) against
an independent NumPy reference, with Paddle's signatures, defaults and layouts."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn.functional as F
from dualnet_static import static, unique_name

RNG = np.random.default_rng(0)


def run(fn, *arrays, seed=0, for_test=False):
    """fn(*data variables) -> Variable or list, run once on `arrays` (batch dim dynamic)."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        xs = [static.data(f"in{i}", [None, *a.shape[1:]] if a.ndim else [], a.dtype)
              for i, a in enumerate(arrays)]
        outs = fn(*xs)
    single = not isinstance(outs, (list, tuple))
    outs = [outs] if single else list(outs)
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    program = main.clone(for_test=True) if for_test else main
    paddle.seed(seed)
    res = exe.run(program, feed={f"in{i}": a for i, a in enumerate(arrays)},
                  fetch_list=[o.name for o in outs], scope=scope)
    return res[0] if single else res


def randn(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def np_log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def np_conv2d(x, w, stride=1, pad=(0, 0, 0, 0), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pad[:2], pad[2:]))
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh,
                           j * stride:j * stride + kw]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out


# ---------------------------------------------------------------- linear, conv, pooling

def test_linear_uses_paddle_weight_layout():
    x, w, b = randn(4, 3), randn(3, 5), randn(5)
    np.testing.assert_allclose(run(F.linear, x, w, b), x @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(lambda a, c: F.linear(a, c), x, w), x @ w, rtol=1e-5)


def test_conv2d_padding_forms_groups_bias_and_nhwc():
    x, w, b = randn(2, 4, 6, 5), randn(6, 2, 3, 3), randn(6)
    ref = np_conv2d(x, w, stride=2, pad=(1, 1, 1, 1), groups=2) + b[None, :, None, None]
    got = run(lambda a, k, c: F.conv2d(a, k, c, stride=2, padding=1, groups=2), x, w, b)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    ref2 = np_conv2d(x, w, pad=(1, 0, 2, 1), groups=2)
    for padding in ([1, 0, 2, 1], [[0, 0], [0, 0], [1, 0], [2, 1]]):
        got = run(lambda a, k: F.conv2d(a, k, padding=padding, groups=2), x, w)
        np.testing.assert_allclose(got, ref2, rtol=1e-4, atol=1e-5)
    same = run(lambda a, k: F.conv2d(a, k, padding="SAME", groups=2), x, w)
    np.testing.assert_allclose(same, np_conv2d(x, w, pad=(1, 1, 1, 1), groups=2), rtol=1e-4,
                               atol=1e-5)
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    got = run(lambda a, k, c: F.conv2d(a, k, c, padding=[[0, 0], [1, 1], [1, 1], [0, 0]],
                                       groups=2, data_format="NHWC"), xh, w, b)
    ref3 = np_conv2d(x, w, pad=(1, 1, 1, 1), groups=2) + b[None, :, None, None]
    np.testing.assert_allclose(got, ref3.transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-5)


def test_conv1d():
    x, w, b = randn(2, 3, 7), randn(4, 3, 3), randn(4)
    ref = np_conv2d(x[:, :, None], w[:, :, None], pad=(0, 0, 1, 1))[:, :, 0] + b[None, :, None]
    np.testing.assert_allclose(run(lambda a, k, c: F.conv1d(a, k, c, padding=1), x, w, b), ref,
                               rtol=1e-4, atol=1e-5)
    xl = np.ascontiguousarray(x.transpose(0, 2, 1))
    got = run(lambda a, k, c: F.conv1d(a, k, c, padding=1, data_format="NLC"), xl, w, b)
    np.testing.assert_allclose(got, ref.transpose(0, 2, 1), rtol=1e-4, atol=1e-5)


def test_pooling():
    x = randn(2, 3, 5, 5)
    mp = run(lambda a: F.max_pool2d(a, 2), x)
    np.testing.assert_allclose(mp, x[:, :, :4, :4].reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    ap = run(lambda a: F.avg_pool2d(a, 3, stride=2, padding=1), x)  # exclusive by default
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ones = np.pad(np.ones((5, 5)), 1)
    ref = np.zeros((2, 3, 3, 3))
    ref_incl = np.zeros((2, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            win = xpad[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].sum(axis=(2, 3))
            ref[:, :, i, j] = win / ones[2 * i:2 * i + 3, 2 * j:2 * j + 3].sum()
            ref_incl[:, :, i, j] = win / 9
    np.testing.assert_allclose(ap, ref, rtol=1e-5, atol=1e-6)
    incl = run(lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, exclusive=False), x)
    np.testing.assert_allclose(incl, ref_incl, rtol=1e-5, atol=1e-6)
    ad = run(lambda a: F.adaptive_avg_pool2d(a, 1), x)
    np.testing.assert_allclose(ad, x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    mph = run(lambda a: F.max_pool2d(a, 2, data_format="NHWC"), xh)
    np.testing.assert_allclose(mph, mp.transpose(0, 2, 3, 1))
    x1 = randn(2, 3, 8)
    np.testing.assert_allclose(run(lambda a: F.max_pool1d(a, 2), x1),
                               x1.reshape(2, 3, 4, 2).max(-1))
    np.testing.assert_allclose(run(lambda a: F.avg_pool1d(a, 4), x1),
                               x1.reshape(2, 3, 2, 4).mean(-1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(lambda a: F.adaptive_avg_pool1d(a, 2), x1),
                               x1.reshape(2, 3, 2, 4).mean(-1), rtol=1e-5, atol=1e-6)
    out, mask = run(lambda a: F.max_pool2d(a, 2, return_mask=True), x)  # Paddle's flat h*W+w
    np.testing.assert_allclose(out, mp)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    np.testing.assert_allclose(np.take_along_axis(flat, mask.reshape(*mask.shape[:2], -1),
                                                  axis=2).reshape(out.shape), mp)


# ---------------------------------------------------------------- activations

def test_activations():
    x = randn(3, 5)
    erf = np.vectorize(math.erf)
    cases = {
        F.relu: np.maximum(x, 0), F.relu6: np.clip(x, 0, 6),
        F.sigmoid: 1 / (1 + np.exp(-x)), F.tanh: np.tanh(x),
        F.gelu: 0.5 * x * (1 + erf(x / math.sqrt(2))),
        F.silu: x / (1 + np.exp(-x)), F.softsign: x / (1 + np.abs(x)),
        F.elu: np.where(x > 0, x, np.exp(x) - 1),
        F.softplus: np.log1p(np.exp(x)), F.hardtanh: np.clip(x, -1, 1),
        F.hardsigmoid: np.clip(x * 0.1666667 + 0.5, 0, 1),
        F.log_sigmoid: -np.log1p(np.exp(-x)),
        F.selu: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    }
    for fn, ref in cases.items():
        np.testing.assert_allclose(run(fn, x), ref, rtol=1e-5, atol=1e-6, err_msg=fn.__name__)
    np.testing.assert_allclose(run(lambda a: F.leaky_relu(a, 0.2), x),
                               np.where(x > 0, x, 0.2 * x), rtol=1e-6)
    tanh_gelu = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(run(lambda a: F.gelu(a, approximate=True), x), tanh_gelu,
                               rtol=1e-5, atol=1e-6)


def test_softmax_and_log_softmax_axes():
    x = randn(2, 3, 4)
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(run(F.softmax, x), e / e.sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(run(lambda a: F.log_softmax(a, axis=1), x),
                               np_log_softmax(x, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(lambda a: F.log_softmax(a, dim=1), x),
                               np_log_softmax(x, 1), rtol=1e-5, atol=1e-6)
    got = run(lambda a: F.softmax(a, dtype="float64"), x)
    assert got.dtype == np.float64


# ---------------------------------------------------------------- dropout

def test_dropout_modes_axis_and_inference():
    x = np.ones((50, 40), "float32")
    up = run(lambda a: F.dropout(a, 0.25), x)
    assert set(np.unique(up)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (up == 0).mean() < 0.3
    down = run(lambda a: F.dropout(a, 0.25, mode="downscale_in_infer"), x)
    assert set(np.unique(down)) <= {0.0, 1.0}
    np.testing.assert_allclose(run(lambda a: F.dropout(a, 0.25, training=False), x), x)
    np.testing.assert_allclose(
        run(lambda a: F.dropout(a, 0.25, training=False, mode="downscale_in_infer"), x),
        0.75 * x)
    np.testing.assert_allclose(
        run(lambda a: F.dropout(a, 0.25, mode="downscale_in_infer"), x, for_test=True),
        0.75 * x)
    rows = run(lambda a: F.dropout(a, 0.5, axis=0), x)
    assert all(len(set(r)) == 1 for r in rows)  # one mask value per row
    x4 = np.ones((4, 6, 3, 3), "float32")
    ch = run(lambda a: F.dropout2d(a, 0.5), x4)
    assert all(len(np.unique(ch[n, c])) == 1 for n in range(4) for c in range(6))
    with pytest.raises(ValueError, match="mode"):
        run(lambda a: F.dropout(a, 0.5, mode="nope"), x)


# ---------------------------------------------------------------- normalization

def test_batch_norm_functional_training_and_inference():
    x = randn(6, 3, 2, 2, dtype="float64")
    rm, rv = randn(3, dtype="float64"), np.abs(randn(3, dtype="float64")) + 0.5
    w, b = randn(3, dtype="float64"), randn(3, dtype="float64")
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    c = (slice(None), None, None)
    ref_train = (x - mean[c]) / np.sqrt(var[c] + 1e-5) * w[c] + b[c]
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 3, 2, 2], "float64")
        m = static.create_global_var([3], 0.0, "float64", name="m")
        v = static.create_global_var([3], 1.0, "float64", name="v")
        ww = static.create_global_var([3], 0.0, "float64", name="w")
        bb = static.create_global_var([3], 0.0, "float64", name="b")
        y_train = F.batch_norm(xv, m, v, ww, bb, training=True, momentum=0.8)
        y_eval = F.batch_norm(xv, m, v, ww, bb, training=False)
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    for name, val in (("m", rm), ("v", rv), ("w", w), ("b", b)):
        scope.var(name).set(val)
    got, got_eval = exe.run(main, feed={"x": x}, fetch_list=[y_train, y_eval], scope=scope)
    np.testing.assert_allclose(got, ref_train, rtol=1e-10)
    new_m, new_v = 0.8 * rm + 0.2 * mean, 0.8 * rv + 0.2 * var  # Paddle: biased variance
    np.testing.assert_allclose(np.asarray(scope.find_var("m").get_tensor()), new_m, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(scope.find_var("v").get_tensor()), new_v, rtol=1e-12)
    # y_eval was built after the update ops: it normalizes with the updated statistics
    ref_eval = (x - new_m[c]) / np.sqrt(new_v[c] + 1e-5) * w[c] + b[c]
    np.testing.assert_allclose(got_eval, ref_eval, rtol=1e-10)


def test_layer_norm_and_group_norm_and_normalize():
    x = randn(2, 3, 4)
    w, b = randn(12), randn(12)
    mu = x.reshape(2, 12).mean(1)[:, None, None]
    sd = np.sqrt(x.reshape(2, 12).var(1)[:, None, None] + 1e-5)
    ref = (x - mu) / sd * w.reshape(3, 4) + b.reshape(3, 4)
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 3, 4], "float32")
        wv = static.create_global_var([12], 0.0, "float32", name="lw")
        bv = static.create_global_var([12], 0.0, "float32", name="lb")
        y = F.layer_norm(xv, [3, 4], wv, bv)
        y1 = F.layer_norm(xv, 4)
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    scope.var("lw").set(w)
    scope.var("lb").set(b)
    got, got1 = exe.run(main, feed={"x": x}, fetch_list=[y, y1], scope=scope)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    ref1 = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got1, ref1, rtol=1e-4, atol=1e-5)
    x4 = randn(2, 4, 3, 3)
    g = x4.reshape(2, 2, -1)
    ref_g = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(run(lambda a: F.group_norm(a, 2), x4), ref_g.reshape(x4.shape),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(run(F.normalize, x), x / np.linalg.norm(x, axis=1,
                                                                        keepdims=True),
                               rtol=1e-5)


# ---------------------------------------------------------------- embedding, pad, one_hot

def test_embedding_one_hot_label_smooth():
    ids = np.array([[0, 2], [3, 2]], "int64")
    table = randn(4, 3)
    np.testing.assert_allclose(run(F.embedding, ids, table), table[ids])
    oh = run(lambda a: F.one_hot(a, 5), ids)
    assert oh.dtype == np.float32 and oh.shape == (2, 2, 5)
    np.testing.assert_array_equal(oh.argmax(-1), ids)
    np.testing.assert_allclose(run(lambda a: F.label_smooth(a, epsilon=0.1), oh),
                               0.9 * oh + 0.1 / 5, rtol=1e-6)


def test_pad_paddle_semantics():
    x = randn(1, 2, 3, 4)
    full = run(lambda a: F.pad(a, [0, 0, 1, 0, 2, 1, 0, 3], value=1.5), x)
    np.testing.assert_allclose(full, np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 3)),
                                            constant_values=1.5))
    spatial = run(lambda a: F.pad(a, [1, 2, 0, 1], mode="reflect"), x)  # left right top bottom
    np.testing.assert_allclose(spatial, np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2)),
                                               mode="reflect"))
    xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    nhwc = run(lambda a: F.pad(a, [1, 2, 0, 1], mode="replicate", data_format="NHWC"), xh)
    np.testing.assert_allclose(nhwc, np.pad(xh, ((0, 0), (0, 1), (1, 2), (0, 0)), mode="edge"))
    with pytest.raises(ValueError, match="expects 4 values"):
        run(lambda a: F.pad(a, [1, 1], mode="reflect"), x)


# ---------------------------------------------------------------- losses

def _ce_ref(x, label, axis=-1, weight=None):
    logp = np_log_softmax(x, axis)
    logp = np.moveaxis(logp, axis, -1)
    picked = -np.take_along_axis(logp, label[..., None], -1)[..., 0]
    w = np.ones_like(picked) if weight is None else weight[label]
    return picked * w, w


def test_cross_entropy_hard_labels_n_and_n1():
    x, label = randn(6, 4), RNG.integers(0, 4, 6)
    per, _ = _ce_ref(x, label)
    np.testing.assert_allclose(run(F.cross_entropy, x, label), per.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(F.cross_entropy, x, label[:, None]), per.mean(), rtol=1e-5)
    none = run(lambda a, b: F.cross_entropy(a, b, reduction="none"), x, label)
    assert none.shape == (6,)
    np.testing.assert_allclose(none, per, rtol=1e-5)
    none1 = run(lambda a, b: F.cross_entropy(a, b, reduction="none"), x, label[:, None])
    assert none1.shape == (6, 1)
    np.testing.assert_allclose(run(lambda a, b: F.cross_entropy(a, b, reduction="sum"), x,
                                   label), per.sum(), rtol=1e-5)


def test_cross_entropy_weight_ignore_index_axis_and_use_softmax():
    x, label = randn(8, 5), RNG.integers(0, 5, 8)
    weight = np.abs(randn(5)) + 0.1
    per, w = _ce_ref(x, label, weight=weight)
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 5], "float32")
        lv = static.data("l", [None], "int64")
        wv = static.create_global_var([5], 0.0, "float32", name="cw")
        mean = F.cross_entropy(xv, lv, weight=wv)
        ign = F.cross_entropy(xv, lv, ignore_index=int(label[0]))
    scope = static.Scope()
    static.Executor().run(startup, scope=scope)
    scope.var("cw").set(weight)
    got, got_ign = static.Executor().run(main, feed={"x": x, "l": label},
                                         fetch_list=[mean, ign], scope=scope)
    np.testing.assert_allclose(got, per.sum() / w.sum(), rtol=1e-5)
    plain, _ = _ce_ref(x, label)
    keep = label != label[0]
    np.testing.assert_allclose(got_ign, plain[keep].mean(), rtol=1e-5)
    # classes on axis 1 of a 3-D input
    x3, l3 = randn(2, 4, 3), RNG.integers(0, 4, (2, 3))
    per3, _ = _ce_ref(x3, l3, axis=1)
    np.testing.assert_allclose(run(lambda a, b: F.cross_entropy(a, b, axis=1), x3, l3),
                               per3.mean(), rtol=1e-5)
    probs = np.exp(np_log_softmax(x)).astype("float32")
    np.testing.assert_allclose(run(lambda a, b: F.cross_entropy(a, b, use_softmax=False),
                                   probs, label), plain.mean(), rtol=1e-5)


def test_cross_entropy_soft_labels_weight_and_label_smoothing():
    x = randn(5, 4)
    soft = np.exp(randn(5, 4)).astype("float32")
    soft /= soft.sum(-1, keepdims=True)
    per = -(soft * np_log_softmax(x)).sum(-1)
    got = run(lambda a, b: F.cross_entropy(a, b, soft_label=True), x, soft)
    np.testing.assert_allclose(got, per.mean(), rtol=1e-5)
    none = run(lambda a, b: F.cross_entropy(a, b, soft_label=True, reduction="none"), x, soft)
    assert none.shape == (5, 1)
    np.testing.assert_allclose(none[:, 0], per, rtol=1e-5)
    weight = np.abs(randn(4)) + 0.1
    sample_w = soft @ weight
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        xv = static.data("x", [None, 4], "float32")
        sv = static.data("s", [None, 4], "float32")
        lv = static.data("l", [None], "int64")
        wv = static.create_global_var([4], 0.0, "float32", name="sw")
        weighted = F.cross_entropy(xv, sv, weight=wv, soft_label=True)
        smooth = F.cross_entropy(xv, lv, label_smoothing=0.2)
    scope = static.Scope()
    static.Executor().run(startup, scope=scope)
    scope.var("sw").set(weight)
    label = RNG.integers(0, 4, 5)
    got_w, got_s = static.Executor().run(main, feed={"x": x, "s": soft, "l": label},
                                         fetch_list=[weighted, smooth], scope=scope)
    np.testing.assert_allclose(got_w, (per * sample_w).sum() / sample_w.sum(), rtol=1e-5)
    target = np.eye(4)[label] * 0.8 + 0.2 / 4
    np.testing.assert_allclose(got_s, -(target * np_log_softmax(x)).sum(-1).mean(), rtol=1e-5)


def test_cross_entropy_errors():
    x, label = randn(4, 3), RNG.integers(0, 3, (4, 1, 1))
    with pytest.raises(ValueError, match="label dims"):
        run(F.cross_entropy, x, label)
    with pytest.raises(ValueError, match="reduction"):
        run(lambda a, b: F.cross_entropy(a, b, reduction="avg"), x, label[:, 0])


def test_softmax_with_cross_entropy():
    x, label = randn(5, 3), RNG.integers(0, 3, (5, 1))
    loss, sm = run(lambda a, b: F.softmax_with_cross_entropy(a, b, return_softmax=True), x,
                   label)
    per, _ = _ce_ref(x, label[:, 0])
    assert loss.shape == (5, 1)
    np.testing.assert_allclose(loss[:, 0], per, rtol=1e-5)
    np.testing.assert_allclose(sm, np.exp(np_log_softmax(x)), rtol=1e-5)


def test_regression_and_binary_losses():
    x, y = randn(4, 3), randn(4, 3)
    d = x - y
    np.testing.assert_allclose(run(F.mse_loss, x, y), (d ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(run(lambda a, b: F.l1_loss(a, b, "sum"), x, y), np.abs(d).sum(),
                               rtol=1e-5)
    huber = np.where(np.abs(d) < 0.5, 0.5 * d ** 2, 0.5 * (np.abs(d) - 0.25))
    np.testing.assert_allclose(run(lambda a, b: F.smooth_l1_loss(a, b, delta=0.5), x, y),
                               huber.mean(), rtol=1e-5)
    p = 1 / (1 + np.exp(-x))
    t = (RNG.random((4, 3)) > 0.5).astype("float32")
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(run(F.binary_cross_entropy, p, t), bce.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(F.binary_cross_entropy_with_logits, x, t), bce.mean(),
                               rtol=1e-5)
    logq = np_log_softmax(x)
    target = np.exp(np_log_softmax(y))
    kl = target * (np.log(target) - logq)
    np.testing.assert_allclose(run(F.kl_div, logq, target), kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(lambda a, b: F.kl_div(a, b, "batchmean"), logq, target),
                               kl.sum() / 4, rtol=1e-5)
    logp = np_log_softmax(x)
    label = RNG.integers(0, 3, 4)
    np.testing.assert_allclose(run(F.nll_loss, logp, label),
                               -logp[np.arange(4), label].mean(), rtol=1e-5)
