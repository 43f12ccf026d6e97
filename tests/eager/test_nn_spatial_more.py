"""torch.nn.functional / torch.nn spatial extras against NumPy loop references: affine_grid,
grid_sample, fold/unfold, lp_pool, max_pool(return_indices) + max_unpool, channel_shuffle,
pdist, embedding_bag; gradients against central differences. The reference functions are
reused by tests/static/test_paddle_spatial_more.py."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_eager as torch
import dualnet_eager.nn.functional as F
from dualnet_eager import nn

R = np.random.default_rng(0)


# ---------------------------------------------------------------- NumPy loop references

def ref_affine_grid(theta, size, align):
    n, _, h, w = size
    def coord(i, m):
        if m == 1:
            return 0.0
        return -1 + 2 * i / (m - 1) if align else (2 * i + 1) / m - 1
    out = np.zeros((n, h, w, 2), theta.dtype)
    for b in range(n):
        for i in range(h):
            for j in range(w):
                v = np.array([coord(j, w), coord(i, h), 1.0])
                out[b, i, j] = theta[b] @ v
    return out


def _reflect(c, n, align):
    lo, hi = (0.0, n - 1.0) if align else (-0.5, n - 0.5)
    if hi <= lo:
        return 0.0
    while c < lo or c > hi:
        c = 2 * lo - c if c < lo else 2 * hi - c
    return min(max(c, 0.0), n - 1.0)


def _source(g, n, padding, align):
    c = (g + 1) / 2 * (n - 1) if align else ((g + 1) * n - 1) / 2
    if padding == "border":
        return min(max(c, 0.0), n - 1.0)
    if padding == "reflection":
        return _reflect(c, n, align)
    return c


def ref_grid_sample(x, grid, mode, padding, align):
    n, c, h, w = x.shape
    _, ho, wo, _ = grid.shape
    out = np.zeros((n, c, ho, wo), x.dtype)

    def at(b, yi, xi):
        if 0 <= yi < h and 0 <= xi < w:
            return x[b, :, yi, xi]
        return np.zeros(c, x.dtype)

    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                cx = _source(float(grid[b, i, j, 0]), w, padding, align)
                cy = _source(float(grid[b, i, j, 1]), h, padding, align)
                if mode == "nearest":
                    out[b, :, i, j] = at(b, round(cy), round(cx))  # ties to even
                    continue
                x0, y0 = math.floor(cx), math.floor(cy)
                ax, ay = cx - x0, cy - y0
                out[b, :, i, j] = (at(b, y0, x0) * (1 - ax) * (1 - ay)
                                   + at(b, y0, x0 + 1) * ax * (1 - ay)
                                   + at(b, y0 + 1, x0) * (1 - ax) * ay
                                   + at(b, y0 + 1, x0 + 1) * ax * ay)
    return out


def ref_unfold(x, k, stride, pad, dil):
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad[0], w + 2 * pad[1]), x.dtype)
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    bh = (h + 2 * pad[0] - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    bw = (w + 2 * pad[1] - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c * k[0] * k[1], bh * bw), x.dtype)
    for ch in range(c):
        for ki in range(k[0]):
            for kj in range(k[1]):
                row = (ch * k[0] + ki) * k[1] + kj
                for bi in range(bh):
                    for bj in range(bw):
                        out[:, row, bi * bw + bj] = xp[:, ch, bi * stride[0] + ki * dil[0],
                                                       bj * stride[1] + kj * dil[1]]
    return out


def ref_fold(cols, size, k, stride, pad, dil):
    n, ckk, _ = cols.shape
    c = ckk // (k[0] * k[1])
    h, w = size
    out = np.zeros((n, c, h + 2 * pad[0], w + 2 * pad[1]), cols.dtype)
    bh = (h + 2 * pad[0] - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    bw = (w + 2 * pad[1] - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    for ch in range(c):
        for ki in range(k[0]):
            for kj in range(k[1]):
                row = (ch * k[0] + ki) * k[1] + kj
                for bi in range(bh):
                    for bj in range(bw):
                        out[:, ch, bi * stride[0] + ki * dil[0],
                            bj * stride[1] + kj * dil[1]] += cols[:, row, bi * bw + bj]
    return out[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w]


def ref_lp_pool2d(x, p, k, stride, pad=(0, 0), ceil=False, torch_rule=False):
    n, c, h, w = x.shape
    s = stride or k

    def out_len(m, kk, ss, pp):
        num = m + 2 * pp - kk
        o = (-(-num // ss) if ceil else num // ss) + 1
        if ceil and (o - 1) * ss >= m + pp:
            o -= 1
        return o

    oh, ow = out_len(h, k[0], s[0], pad[0]), out_len(w, k[1], s[1], pad[1])
    out = np.zeros((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s[0] - pad[0], j * s[1] - pad[1]
            rs = [r for r in range(r0, r0 + k[0]) if 0 <= r < h]
            cs = [q for q in range(c0, c0 + k[1]) if 0 <= q < w]
            total = sum(x[:, :, r, q] ** p for r in rs for q in cs)
            if torch_rule:  # average over the window clipped to the input, times k*k
                rows = min(r0 + k[0], h + pad[0]) - r0
                cols = min(c0 + k[1], w + pad[1]) - c0
                total = total / (rows * cols) * (k[0] * k[1])
            out[:, :, i, j] = total ** (1.0 / p)
    return out


def ref_max_pool_indices(x, k, stride, pad=(0, 0)):
    """(values, flat indices h * W + w) with the first maximum of each window."""
    n, c, h, w = x.shape
    s = stride or k
    oh = (h + 2 * pad[0] - k[0]) // s[0] + 1
    ow = (w + 2 * pad[1] - k[1]) // s[1] + 1
    vals = np.zeros((n, c, oh, ow), x.dtype)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, where = -np.inf, -1
                    for r in range(i * s[0] - pad[0], i * s[0] - pad[0] + k[0]):
                        for q in range(j * s[1] - pad[1], j * s[1] - pad[1] + k[1]):
                            if 0 <= r < h and 0 <= q < w and x[b, ch, r, q] > best:
                                best, where = x[b, ch, r, q], r * w + q
                    vals[b, ch, i, j], idx[b, ch, i, j] = best, where
    return vals, idx


def ref_max_unpool(vals, idx, out_hw):
    n, c = vals.shape[:2]
    out = np.zeros((n, c, out_hw[0] * out_hw[1]), vals.dtype)
    for b in range(n):
        for ch in range(c):
            for v, i in zip(vals[b, ch].ravel(), idx[b, ch].ravel()):
                out[b, ch, i] = v
    return out.reshape(n, c, *out_hw)


def ref_channel_shuffle(x, g):
    out = np.empty_like(x)
    k = x.shape[1] // g
    for ch in range(x.shape[1]):
        out[:, ch] = x[:, (ch % g) * k + ch // g]
    return out


def ref_pdist(x, p):
    n = x.shape[0]
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            d = np.abs(x[i] - x[j])
            if p == 0:
                out.append(float(np.count_nonzero(d)))
            elif math.isinf(p):
                out.append(float(d.max()))
            else:
                out.append(float(np.sum(d ** p) ** (1.0 / p)))
    return np.array(out, x.dtype)


def ref_embedding_bag(ids, w, offsets, mode, psw=None, last=False, pad=None):
    if ids.ndim == 2:
        bags = [list(range(r * ids.shape[1], (r + 1) * ids.shape[1]))
                for r in range(ids.shape[0])]
        flat = ids.ravel()
        psw = None if psw is None else psw.ravel()
    else:
        flat = ids
        ends = list(offsets[1:]) + ([] if last else [len(ids)])
        starts = offsets[:-1] if last else offsets
        bags = [list(range(s, e)) for s, e in zip(starts, ends)]
    out = np.zeros((len(bags), w.shape[1]), w.dtype)
    for b, members in enumerate(bags):
        members = [m for m in members if pad is None or flat[m] != pad]
        if not members:
            continue
        rows = np.stack([w[flat[m]] * (1.0 if psw is None else psw[m]) for m in members])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


# ---------------------------------------------------------------- gradient helpers

def fd_grad(fn, arrays, which, weights, eps=1e-6):
    """Central differences of sum(fn(*arrays) * weights) w.r.t. arrays[which] (float64)."""
    arrays = [a.copy() for a in arrays]
    x = arrays[which]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + eps
        hi = np.sum(fn(*arrays) * weights)
        x[i] = keep - eps
        lo = np.sum(fn(*arrays) * weights)
        x[i] = keep
        g[i] = (hi - lo) / (2 * eps)
    return g


def check_grads(torch_fn, arrays, which, atol=1e-6):
    """torch_fn(*tensors)'s backward against central differences of the same function."""
    def run(*a):
        return torch_fn(*[torch.tensor(v) for v in a]).detach().numpy()
    weights = R.standard_normal(run(*arrays).shape)
    tensors = [torch.tensor(a, requires_grad=i in which) for i, a in enumerate(arrays)]
    (torch_fn(*tensors) * torch.tensor(weights)).sum().backward()
    for i in which:
        np.testing.assert_allclose(tensors[i].grad.numpy(), fd_grad(run, arrays, i, weights),
                                   atol=atol, rtol=1e-5)


# ---------------------------------------------------------------- sampling grids

THETA = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]],
                  [[1.2, 0.4, 0.3], [-0.1, 0.7, 0.25]]])


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_values_and_grad(align):
    got = F.affine_grid(torch.tensor(THETA), (2, 3, 4, 5), align_corners=align)
    np.testing.assert_allclose(got.numpy(), ref_affine_grid(THETA, (2, 3, 4, 5), align),
                               atol=1e-12)
    check_grads(lambda t: F.affine_grid(t, (2, 3, 3, 2), align_corners=align), [THETA], (0,))
    one = F.affine_grid(torch.tensor(THETA), (2, 1, 1, 3), align_corners=align)
    np.testing.assert_allclose(one.numpy(), ref_affine_grid(THETA, (2, 1, 1, 3), align))


def test_affine_grid_defaults_and_errors():
    with pytest.warns(UserWarning, match="align_corners"):
        F.affine_grid(torch.tensor(THETA), (2, 3, 4, 5))
    with pytest.raises(ValueError, match="theta"):
        F.affine_grid(torch.tensor(THETA[:, :1]), (2, 3, 4, 5), align_corners=False)
    with pytest.raises(ValueError, match="positive"):
        F.affine_grid(torch.tensor(THETA), (2, 3, 0, 5), align_corners=False)
    with pytest.raises(ValueError, match="floating"):
        F.affine_grid(torch.tensor([[[1, 0, 0], [0, 1, 0]]]), (1, 1, 2, 2), align_corners=False)


GRID_X = R.standard_normal((2, 3, 4, 5))
GRID = R.uniform(-1.3, 1.3, (2, 3, 4, 2))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_values(mode, padding, align):
    got = F.grid_sample(torch.tensor(GRID_X), torch.tensor(GRID), mode=mode,
                        padding_mode=padding, align_corners=align)
    np.testing.assert_allclose(got.numpy(), ref_grid_sample(GRID_X, GRID, mode, padding, align),
                               atol=1e-12)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_gradients(padding):
    x, grid = GRID_X[:1, :2, :3, :4], R.uniform(-1.4, 1.4, (1, 2, 3, 2))
    check_grads(lambda a, g: F.grid_sample(a, g, padding_mode=padding, align_corners=False),
                [x, grid], (0, 1))
    check_grads(lambda a, g: F.grid_sample(a, g, mode="nearest", padding_mode=padding,
                                           align_corners=True), [x, grid], (0,))


def test_grid_sample_float32_and_errors():
    x = torch.tensor(GRID_X.astype(np.float32))
    g = torch.tensor(GRID.astype(np.float32))
    with pytest.warns(UserWarning):
        out = F.grid_sample(x, g)
    assert out.dtype == torch.float32 and tuple(out.shape) == (2, 3, 3, 4)
    with pytest.raises(ValueError, match="mode"):
        F.grid_sample(x, g, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, g, padding_mode="circular", align_corners=False)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(x, g, mode="bicubic", align_corners=False)
    with pytest.raises(ValueError, match="batch"):
        F.grid_sample(x, g[:1], align_corners=False)


def test_warp_identity_round_trip():
    """affine_grid(identity) + grid_sample returns the input (align_corners both ways)."""
    eye = torch.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for align in (False, True):
        grid = F.affine_grid(eye, (2, 3, 4, 5), align_corners=align)
        out = F.grid_sample(torch.tensor(GRID_X), grid, align_corners=align)
        np.testing.assert_allclose(out.numpy(), GRID_X, atol=1e-12)


# ---------------------------------------------------------------- fold / unfold

def test_unfold_fold_values_modules_and_grads():
    x = R.standard_normal((2, 2, 5, 6))
    got = F.unfold(torch.tensor(x), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    want = ref_unfold(x, (2, 3), (2, 1), (1, 1), (1, 2))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    assert tuple(nn.Unfold(2)(torch.tensor(x)).shape) == (2, 8, 20)
    cols = R.standard_normal(want.shape)
    back = nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))(torch.tensor(cols))
    np.testing.assert_allclose(back.numpy(),
                               ref_fold(cols, (5, 6), (2, 3), (2, 1), (1, 1), (1, 2)),
                               atol=1e-12)
    un = F.unfold(torch.tensor(x[0]), 2)  # unbatched
    np.testing.assert_allclose(un.numpy(), ref_unfold(x[:1], (2, 2), (1, 1), (0, 0),
                                                      (1, 1))[0], atol=1e-12)
    check_grads(lambda a: F.unfold(a, 2, padding=1), [x[:1, :1, :3, :3]], (0,))
    check_grads(lambda a: F.fold(a, (3, 3), 2), [R.standard_normal((1, 4, 4))], (0,))
    with pytest.raises(RuntimeError, match="blocks"):
        F.fold(torch.tensor(cols), (4, 4), (2, 3))


# ---------------------------------------------------------------- lp pooling

def test_lp_pool_values_modules_and_grads():
    x = np.abs(R.standard_normal((2, 3, 5, 6))) + 0.1
    got = F.lp_pool2d(torch.tensor(x), 2, (2, 3), stride=(2, 2))
    np.testing.assert_allclose(got.numpy(), ref_lp_pool2d(x, 2, (2, 3), (2, 2)), atol=1e-12)
    got = nn.LPPool2d(3.0, 2, ceil_mode=True)(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), ref_lp_pool2d(x, 3.0, (2, 2), None, ceil=True,
                                                          torch_rule=True), atol=1e-12)
    x1 = x[:, :, 0, :]
    got = nn.LPPool1d(2, 3, stride=2)(torch.tensor(x1))
    want = ref_lp_pool2d(x1[:, :, None, :], 2, (1, 3), (1, 2))[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    check_grads(lambda a: F.lp_pool2d(a, 2.5, 2), [x[:1, :1, :4, :4]], (0,))
    inf = F.lp_pool2d(torch.tensor(x), float("inf"), 2)
    np.testing.assert_allclose(inf.numpy(), F.max_pool2d(torch.tensor(x), 2).numpy())


# ---------------------------------------------------------------- max pooling indices, unpool

def test_max_pool_return_indices_and_unpool():
    x = R.permutation(2 * 3 * 5 * 6).reshape(2, 3, 5, 6).astype(np.float64)
    vals, idx = F.max_pool2d(torch.tensor(x), 3, stride=2, padding=1, return_indices=True)
    want_v, want_i = ref_max_pool_indices(x, (3, 3), (2, 2), (1, 1))
    np.testing.assert_array_equal(vals.numpy(), want_v)
    np.testing.assert_array_equal(idx.numpy(), want_i)
    assert idx.dtype == torch.int64
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    v, i = pool(torch.tensor(x))
    out = unpool(v, i, output_size=(5, 6))
    np.testing.assert_array_equal(out.numpy(), ref_max_unpool(v.numpy(), i.numpy(), (5, 6)))
    # unbatched input and the default output size
    v3, i3 = F.max_pool2d(torch.tensor(x[0, :, :4, :4]), 2, return_indices=True)
    out3 = F.max_unpool2d(v3, i3, 2)
    np.testing.assert_array_equal(out3.numpy(), ref_max_unpool(v3.numpy()[None],
                                                               i3.numpy()[None], (4, 4))[0])
    v2, i2 = ref_max_pool_indices(x, (2, 2), (2, 2))  # distinct positions: gather is exact
    check_grads(lambda a: F.max_unpool2d(a, torch.tensor(i2), 2, output_size=(5, 6)), [v2],
                (0,))
    with pytest.raises(ValueError, match="output_size"):
        F.max_unpool2d(v, i, 2, output_size=(9, 9))
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(v, torch.full(tuple(i.shape), 24, dtype=torch.int64), 2)  # 4 x 6


def test_max_pool1d_return_indices_and_unpool1d():
    x = R.permutation(2 * 3 * 7).reshape(2, 3, 7).astype(np.float64)
    vals, idx = F.max_pool1d(torch.tensor(x), 3, stride=2, return_indices=True)
    want_v, want_i = ref_max_pool_indices(x[:, :, None, :], (1, 3), (1, 2))
    np.testing.assert_array_equal(vals.numpy(), want_v[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), want_i[:, :, 0])
    out = nn.MaxUnpool1d(3, stride=2)(vals, idx, output_size=[7])
    want = ref_max_unpool(want_v, want_i, (1, 7))[:, :, 0]
    np.testing.assert_array_equal(out.numpy(), want)


# ---------------------------------------------------------------- channel shuffle, pdist

def test_channel_shuffle():
    x = R.standard_normal((2, 6, 2, 3))
    np.testing.assert_array_equal(F.channel_shuffle(torch.tensor(x), 3).numpy(),
                                  ref_channel_shuffle(x, 3))
    np.testing.assert_array_equal(nn.ChannelShuffle(2)(torch.tensor(x)).numpy(),
                                  ref_channel_shuffle(x, 2))
    check_grads(lambda a: F.channel_shuffle(a, 2), [x[:1, :4, :1, :2]], (0,))
    with pytest.raises(ValueError, match="multiple of groups"):
        F.channel_shuffle(torch.tensor(x), 4)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.5, 0.0, float("inf")])
def test_pdist(p):
    x = R.standard_normal((5, 3))
    np.testing.assert_allclose(F.pdist(torch.tensor(x), p).numpy(), ref_pdist(x, p),
                               atol=1e-12)
    if p not in (0.0,):
        check_grads(lambda a: F.pdist(a, p), [x], (0,))


def test_pdist_zero_distance_gradient_and_errors():
    x = torch.tensor(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]), requires_grad=True)
    F.pdist(x).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert tuple(F.pdist(torch.tensor(np.ones((1, 3)))).shape) == (0,)
    with pytest.raises(ValueError, match="2-D"):
        F.pdist(torch.tensor(np.ones((2, 2, 2))))


# ---------------------------------------------------------------- embedding_bag

W = R.standard_normal((10, 3))
IDS = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7])
OFFSETS = np.array([0, 4, 4, 7])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_offsets(mode):
    for pad in (None, 2):
        got = F.embedding_bag(torch.tensor(IDS), torch.tensor(W), torch.tensor(OFFSETS),
                              mode=mode, padding_idx=pad)
        np.testing.assert_allclose(got.numpy(), ref_embedding_bag(IDS, W, OFFSETS, mode,
                                                                  pad=pad), atol=1e-12)
    closed = np.append(OFFSETS, len(IDS))  # include_last_offset: B + 1 offsets
    got = F.embedding_bag(torch.tensor(IDS), torch.tensor(W), torch.tensor(closed), mode=mode,
                          include_last_offset=True)
    np.testing.assert_allclose(got.numpy(), ref_embedding_bag(IDS, W, closed, mode,
                                                              last=True), atol=1e-12)
    check_grads(lambda w: F.embedding_bag(torch.tensor(IDS), w, torch.tensor(OFFSETS),
                                          mode=mode, padding_idx=2), [W], (0,))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_and_module(mode):
    ids = np.array([[1, 2, 2], [4, 0, 9]])
    got = F.embedding_bag(torch.tensor(ids), torch.tensor(W), mode=mode, padding_idx=2)
    np.testing.assert_allclose(got.numpy(), ref_embedding_bag(ids, W, None, mode, pad=2),
                               atol=1e-12)
    bag = nn.EmbeddingBag.from_pretrained(torch.tensor(W), mode=mode)
    np.testing.assert_allclose(bag(torch.tensor(ids)).numpy(),
                               ref_embedding_bag(ids, W, None, mode), atol=1e-12)
    assert not bag.weight.requires_grad


def test_embedding_bag_per_sample_weights_and_errors():
    psw = R.standard_normal(IDS.shape)
    got = F.embedding_bag(torch.tensor(IDS), torch.tensor(W), torch.tensor(OFFSETS),
                          mode="sum", per_sample_weights=torch.tensor(psw))
    np.testing.assert_allclose(got.numpy(), ref_embedding_bag(IDS, W, OFFSETS, "sum", psw),
                               atol=1e-12)
    check_grads(lambda w, s: F.embedding_bag(torch.tensor(IDS), w, torch.tensor(OFFSETS),
                                             mode="sum", per_sample_weights=s), [W, psw],
                (0, 1))
    m = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0)
    assert np.all(m.weight.detach().numpy()[0] == 0) and "mode='sum'" in repr(m)
    ids, w = torch.tensor(IDS), torch.tensor(W)
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(ids, w, torch.tensor(OFFSETS), mode="mean",
                        per_sample_weights=torch.tensor(psw))
    with pytest.raises(ValueError, match="offsets"):
        F.embedding_bag(ids, w)
    with pytest.raises(ValueError, match="offsets\\[0\\]"):
        F.embedding_bag(ids, w, torch.tensor([1, 3]))
    with pytest.raises(ValueError, match="mode"):
        F.embedding_bag(ids, w, torch.tensor(OFFSETS), mode="median")
    with pytest.raises(ValueError, match="2D"):
        F.embedding_bag(torch.tensor([[1, 2]]), w, torch.tensor([0]))
