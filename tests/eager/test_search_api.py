"""torch's sorting / searching / indexing / reshaping API in dualnet_eager: values against
NumPy, gradients against central differences (float64), return types, defaults and errors."""
import numpy as np
import pytest

import dualnet_eager as torch

RNG = np.random.default_rng(0)


def T(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n).reshape(shape) * 0.37 - n * 0.18).astype(np.float64)


def check_grad(fn, *arrays, eps=1e-6, atol=1e-6, wrt=None):
    """d sum(fn(*inputs) * c) / d inputs by autograd vs central differences (float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [T(a, grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*tensors)
    cot = RNG.standard_normal(tuple(out.shape))

    def objective():
        return float(np.sum(fn(*[T(a) for a in arrays]).numpy() * cot))

    (out * T(cot)).sum().backward()
    for i in wrt:
        a = arrays[i]
        numeric = np.zeros_like(a)
        for pos in np.ndindex(*a.shape):
            old = a[pos]
            a[pos] = old + eps
            hi = objective()
            a[pos] = old - eps
            lo = objective()
            a[pos] = old
            numeric[pos] = (hi - lo) / (2 * eps)
        np.testing.assert_allclose(tensors[i].grad.numpy(), numeric, atol=atol, rtol=1e-5,
                                   err_msg=f"gradient of input {i}")


# ---------------------------------------------------------------- sorting and selection

def test_sort_values_indices_stable_and_descending():
    a = np.array([[3, 1, 2, 1, 3], [0, 0, 5, 4, 0]], dtype=np.float32)
    out = torch.sort(T(a))
    assert out._fields == ("values", "indices") and type(out).__name__ == "sort"
    np.testing.assert_array_equal(out.indices.numpy(), np.argsort(a, axis=-1, kind="stable"))
    np.testing.assert_array_equal(out.values.numpy(), np.sort(a, axis=-1, kind="stable"))
    assert out.indices.dtype == torch.int64 and out.values.dtype == torch.float32
    desc = T(a).sort(dim=0, descending=True)
    np.testing.assert_array_equal(desc.indices.numpy(),
                                  np.argsort(-a, axis=0, kind="stable"))
    np.testing.assert_array_equal(torch.argsort(T(a), dim=1, descending=True).numpy(),
                                  np.argsort(-a, axis=1, kind="stable"))
    np.testing.assert_array_equal(torch.msort(T(a)).numpy(), np.sort(a, axis=0))


def test_topk_kthvalue_median_mode_values():
    a = distinct(3, 6)
    v, i = torch.topk(T(a), 2)
    np.testing.assert_array_equal(i.numpy(), np.argsort(-a, axis=1)[:, :2])
    np.testing.assert_allclose(v.numpy(), -np.sort(-a, axis=1)[:, :2])
    v, i = T(a).topk(3, dim=0, largest=False)
    np.testing.assert_allclose(v.numpy(), np.sort(a, axis=0)[:3])
    k = torch.kthvalue(T(a), 4)
    assert type(k).__name__ == "kthvalue"
    np.testing.assert_allclose(k.values.numpy(), np.partition(a, 3, axis=1)[:, 3])
    np.testing.assert_array_equal(np.take_along_axis(a, k.indices.numpy()[:, None], 1)[:, 0],
                                  k.values.numpy())
    assert torch.kthvalue(T(a), 2, 0, keepdim=True).values.shape == (1, 6)
    flat = np.sort(a.reshape(-1))
    assert torch.median(T(a)).shape == () and float(torch.median(T(a))) == flat[(18 - 1) // 2]
    m = T(a).median(1)
    np.testing.assert_allclose(m.values.numpy(), np.sort(a, axis=1)[:, (6 - 1) // 2])
    np.testing.assert_array_equal(a[np.arange(3), m.indices.numpy()], m.values.numpy())
    b = np.array([[1, 2, 2, 3, 3, 0], [4, 4, 1, 1, 0, 4]])
    mo = torch.mode(T(b))
    np.testing.assert_array_equal(mo.values.numpy(), [2, 4])
    np.testing.assert_array_equal(mo.indices.numpy(), [2, 5])
    assert mo.indices.dtype == torch.int64 and type(mo).__name__ == "mode"


def test_nanmedian_ignores_nan():
    a = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan] * 4, [5.0, 4.0, np.nan, np.nan]])
    out = torch.nanmedian(T(a), dim=1)
    want = [np.sort(r[~np.isnan(r)])[(np.sum(~np.isnan(r)) - 1) // 2]
            if np.any(~np.isnan(r)) else np.nan for r in a]
    np.testing.assert_array_equal(out.values.numpy(), want)
    assert float(torch.nanmedian(T(a))) == 3.0
    assert np.isnan(float(torch.median(T(a))))


def test_sort_family_gradients_flow_through_indices():
    a = distinct(3, 5)
    check_grad(lambda x: torch.sort(x, 1, descending=True).values, a)
    check_grad(lambda x: torch.topk(x, 2, dim=0).values, a)
    check_grad(lambda x: torch.kthvalue(x, 3, 1).values, a)
    check_grad(lambda x: x.median(dim=0, keepdim=True).values, a)
    check_grad(lambda x: torch.median(x), a)
    check_grad(lambda x: torch.msort(x), a)
    check_grad(lambda x: torch.mode(x, 1).values, a)


def test_unique_and_unique_consecutive():
    a = np.array([[3, 1, 3], [2, 1, 1]])
    np.testing.assert_array_equal(torch.unique(T(a)).numpy(), np.unique(a))
    out, inv, counts = torch.unique(T(a), return_inverse=True, return_counts=True)
    _, ninv, ncounts = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(inv.numpy(), ninv.reshape(a.shape))
    np.testing.assert_array_equal(counts.numpy(), ncounts)
    assert inv.dtype == torch.int64 and inv.shape == (2, 3)
    rows, rinv = T(np.array([[1, 2], [0, 1], [1, 2]])).unique(dim=0, return_inverse=True)
    np.testing.assert_array_equal(rows.numpy(), [[0, 1], [1, 2]])
    np.testing.assert_array_equal(rinv.numpy(), [1, 0, 1])
    c = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    out, inv, counts = torch.unique_consecutive(T(c), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(out.numpy(), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(inv.numpy(), [0, 0, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(counts.numpy(), [2, 2, 1, 2, 1])
    m = np.array([[1, 1, 2, 2], [3, 3, 3, 4]])
    np.testing.assert_array_equal(torch.unique_consecutive(T(m), dim=1).numpy(),
                                  [[1, 2, 2], [3, 3, 4]])


def test_searchsorted_and_bucketize():
    seq = np.array([1, 3, 3, 5, 7])
    vals = np.array([[0, 3, 4], [7, 8, 5]])
    for right in (False, True):
        out = torch.searchsorted(T(seq), T(vals), right=right)
        np.testing.assert_array_equal(out.numpy(), np.searchsorted(
            seq, vals, side="right" if right else "left"))
        assert out.dtype == torch.int64
        np.testing.assert_array_equal(
            torch.bucketize(T(vals), T(seq), right=right).numpy(),
            np.searchsorted(seq, vals, side="right" if right else "left"))
    assert torch.searchsorted(T(seq), T(vals), side="right", out_int32=True).dtype == torch.int32
    rows = np.sort(RNG.integers(0, 9, (3, 6)), axis=1)
    q = RNG.integers(0, 9, (3, 4))
    np.testing.assert_array_equal(torch.searchsorted(T(rows), T(q)).numpy(),
                                  np.stack([np.searchsorted(r, v) for r, v in zip(rows, q)]))
    unsorted = np.array([5, 1, 3])
    out = torch.searchsorted(T(unsorted), T(np.array([2, 4])), sorter=T(np.argsort(unsorted)))
    np.testing.assert_array_equal(out.numpy(), [1, 2])
    assert int(torch.searchsorted(T(seq), 4)) == 3


# ---------------------------------------------------------------- masks, gathers and scatters

def test_masked_select_and_take_along_dim():
    a = distinct(3, 4)
    mask = a > 0
    np.testing.assert_array_equal(torch.masked_select(T(a), T(mask)).numpy(), a[mask])
    np.testing.assert_array_equal(T(a).masked_select(T(mask[0])).numpy(),
                                  a[np.broadcast_to(mask[0], a.shape)])
    idx = np.argsort(a, axis=1)
    np.testing.assert_array_equal(torch.take_along_dim(T(a), T(idx), dim=1).numpy(),
                                  np.take_along_axis(a, idx, 1))
    np.testing.assert_array_equal(torch.take_along_dim(T(a), T(np.array([0, 5]))).numpy(),
                                  a.reshape(-1)[[0, 5]])
    np.testing.assert_array_equal(T(a).take_along_dim(T(idx[:1, :2]), 1).numpy(),
                                  np.take_along_axis(a, np.broadcast_to(idx[:1, :2], (3, 2)), 1))
    check_grad(lambda x: torch.masked_select(x, T(mask)), a)
    check_grad(lambda x: torch.take_along_dim(x, T(idx[:, :2]), 1), a)


def _scatter_reduce_ref(x, dim, index, src, reduce, include_self=True):
    out = x.copy()
    groups = {}
    for pos in np.ndindex(*index.shape):
        t = list(pos)
        t[dim] = index[pos]
        groups.setdefault(tuple(t), []).append(src[pos])
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for t, vals in groups.items():
        out[t] = fns[reduce](([x[t]] if include_self else []) + vals)
    return out


def test_scatter_family_values():
    x = distinct(3, 4)
    index = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
    src = distinct(2, 4)
    ref = x.copy()
    for pos in np.ndindex(*index.shape):
        ref[index[pos], pos[1]] = src[pos]
    np.testing.assert_array_equal(torch.scatter(T(x), 0, T(index[:1]), T(src[:1])).numpy(),
                                  _scatter_reduce_ref(x, 0, index[:1], src[:1], "amax", False))
    filled = T(x).scatter(1, T(np.array([[3], [0], [1]])), 7.5).numpy()
    want = x.copy()
    want[[0, 1, 2], [3, 0, 1]] = 7.5
    np.testing.assert_array_equal(filled, want)
    np.testing.assert_allclose(torch.scatter_add(T(x), 0, T(index), T(src)).numpy(),
                               _scatter_reduce_ref(x, 0, index, src, "sum"))
    np.testing.assert_allclose(T(x).scatter(0, T(index), T(src), reduce="multiply").numpy(),
                               _scatter_reduce_ref(x, 0, index, src, "prod"))
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            out = torch.scatter_reduce(T(x), 0, T(index), T(src), reduce,
                                       include_self=include_self)
            np.testing.assert_allclose(out.numpy(), _scatter_reduce_ref(
                x, 0, index, src, reduce, include_self), err_msg=f"{reduce} {include_self}")
    t = T(x)
    assert t.scatter_add_(0, T(index), T(src)) is t
    np.testing.assert_allclose(t.numpy(), _scatter_reduce_ref(x, 0, index, src, "sum"))
    t = T(x)
    t.scatter_reduce_(1, T(index[:, :2]), T(src[:, :2]), "amax")
    np.testing.assert_allclose(t.numpy(), _scatter_reduce_ref(
        x, 1, index[:, :2], src[:, :2], "amax"))
    ints = torch.scatter_reduce(T(np.array([1, 2, 3])), 0, T(np.array([0, 0])),
                                T(np.array([4, 6])), "mean")
    assert ints.dtype == torch.int64 and ints.tolist() == [3, 2, 3]


def test_scatter_family_gradients():
    x, src = distinct(3, 4), distinct(2, 4) + 0.1
    index = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
    check_grad(lambda a, s: torch.scatter(a, 0, T(index[:1]), s[:1]), x, src)
    check_grad(lambda a, s: torch.scatter_add(a, 0, T(index), s), x, src)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            check_grad(lambda a, s: torch.scatter_reduce(a, 0, T(index), s, reduce,
                                                         include_self=include_self), x, src)
    zx, zs = x.copy(), src.copy()
    zx[2, 0], zs[1, 0], zs[0, 1] = 0.0, 0.0, 0.0  # prod with zeros: one and two per group
    check_grad(lambda a, s: torch.scatter_reduce(a, 0, T(index), s, "prod"), zx, zs)


def test_index_add_fill_copy():
    x = distinct(4, 3)
    index = np.array([2, 0, 2])
    src = distinct(3, 3)
    want = x.copy()
    np.add.at(want, index, 2.0 * src)
    np.testing.assert_allclose(torch.index_add(T(x), 0, T(index), T(src), alpha=2).numpy(), want)
    t = T(x)
    wide = distinct(4, 3)
    t.index_add_(1, T(np.array([1, 1, 0], dtype=np.int32)), T(wide))
    want = x.copy()
    np.add.at(want.T, [1, 1, 0], wide.T)
    np.testing.assert_allclose(t.numpy(), want)
    want = x.copy()
    want[:, [0, 2]] = -1.0
    np.testing.assert_array_equal(T(x).index_fill(1, T(np.array([0, 2])), -1.0).numpy(), want)
    np.testing.assert_array_equal(torch.index_fill(T(x), 1, T(np.array([0, 2])),
                                                   T(np.array(-1.0))).numpy(), want)
    want = x.copy()
    want[[3, 1]] = src[:2]
    np.testing.assert_array_equal(T(x).index_copy(0, T(np.array([3, 1])), T(src[:2])).numpy(),
                                  want)
    t = T(x)
    t.index_fill_(0, T(np.array([1])), 0.0)
    assert t.numpy()[1].tolist() == [0.0, 0.0, 0.0]
    check_grad(lambda a, s: torch.index_add(a, 0, T(index), s, alpha=3.0), x, src)
    check_grad(lambda a, v: torch.index_fill(a, 1, T(np.array([0, 2])), v), x, np.array(0.5))
    check_grad(lambda a, s: torch.index_copy(a, 0, T(np.array([3, 1])), s), x, src[:2])


def test_repeat_interleave_count_nonzero_bincount_histc():
    a = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(torch.repeat_interleave(T(a), 2).numpy(), np.repeat(a, 2))
    np.testing.assert_array_equal(T(a).repeat_interleave(T(np.array([1, 2])), dim=0).numpy(),
                                  np.repeat(a, [1, 2], axis=0))
    np.testing.assert_array_equal(torch.repeat_interleave(T(np.array([2, 0, 1]))).numpy(),
                                  [0, 0, 2])
    check_grad(lambda x: torch.repeat_interleave(x, 3, dim=1), distinct(2, 3))
    z = np.array([[0, 1, 2], [0, 0, 3]])
    assert torch.count_nonzero(T(z)).item() == 3 and torch.count_nonzero(T(z)).dtype == \
        torch.int64
    np.testing.assert_array_equal(T(z).count_nonzero(dim=1).numpy(), np.count_nonzero(z, 1))
    np.testing.assert_array_equal(torch.count_nonzero(T(z), dim=(0, 1)).numpy(), 3)
    v = np.array([0, 1, 1, 3, 1, 0])
    bc = torch.bincount(T(v))
    np.testing.assert_array_equal(bc.numpy(), np.bincount(v))
    assert bc.dtype == torch.int64
    w = np.linspace(0, 1, 6).astype(np.float32)
    bw = T(v).bincount(T(w), minlength=6)
    np.testing.assert_allclose(bw.numpy(), np.bincount(v, w, minlength=6), rtol=1e-6)
    assert bw.dtype == torch.float32
    assert torch.bincount(T(v), T(w.astype(np.float16))).dtype == torch.float64
    assert torch.bincount(T(np.zeros(0, np.int64)), minlength=2).tolist() == [0, 0]
    h = RNG.standard_normal(50).astype(np.float32)
    np.testing.assert_array_equal(torch.histc(T(h), bins=7, min=-1, max=1).numpy(),
                                  np.histogram(h[(h >= -1) & (h <= 1)], 7, (-1, 1))[0])
    np.testing.assert_array_equal(T(h).histc(5).numpy(),
                                  np.histogram(h, 5, (h.min(), h.max()))[0])
    assert torch.histc(T(h)).shape == (100,) and torch.histc(T(h)).dtype == torch.float32


# ---------------------------------------------------------------- diagonals and shapes

def test_diagonal_diag_diag_embed_trace():
    a = distinct(3, 4, 5)
    for offset, d1, d2 in ((0, 0, 1), (1, 1, 2), (-2, 2, 0), (4, 0, 2)):
        np.testing.assert_array_equal(
            torch.diagonal(T(a), offset, d1, d2).numpy(), np.diagonal(a, offset, d1, d2))
    m = distinct(4, 4)
    v = np.array([1.0, 2.0, 3.0])
    for k in (0, 1, -2):
        np.testing.assert_array_equal(torch.diag(T(v), k).numpy(), np.diag(v, k))
        np.testing.assert_array_equal(T(m).diag(k).numpy(), np.diag(m, k))
    b = distinct(2, 3)
    emb = torch.diag_embed(T(b), offset=1, dim1=0, dim2=2)
    want = np.zeros((4, 2, 4))
    for i in range(2):
        want[:, i, :] = np.diag(b[i], 1)
    np.testing.assert_array_equal(emb.numpy(), want)
    assert torch.trace(T(m)).item() == pytest.approx(np.trace(m))
    assert torch.trace(T(np.arange(9).reshape(3, 3))).dtype == torch.int64
    check_grad(lambda x: torch.diagonal(x, 1, 2, 0), a)
    check_grad(lambda x: torch.diag(x, -1), v)
    check_grad(lambda x: torch.diag_embed(x, -1), b)
    check_grad(lambda x: torch.trace(x), m)


def test_roll_rot90_flips():
    a = distinct(3, 4)
    np.testing.assert_array_equal(torch.roll(T(a), 2).numpy(), np.roll(a, 2))
    np.testing.assert_array_equal(T(a).roll((1, -1), (0, 1)).numpy(),
                                  np.roll(a, (1, -1), (0, 1)))
    for k in (-1, 0, 1, 2, 3, 5):
        np.testing.assert_array_equal(torch.rot90(T(a), k).numpy(), np.rot90(a, k))
    b = distinct(2, 3, 4)
    np.testing.assert_array_equal(T(b).rot90(1, [2, 0]).numpy(), np.rot90(b, 1, (2, 0)))
    np.testing.assert_array_equal(torch.fliplr(T(a)).numpy(), np.fliplr(a))
    np.testing.assert_array_equal(torch.flipud(T(a)).numpy(), np.flipud(a))
    check_grad(lambda x: torch.roll(x, (1, 2), (0, 1)), a)
    check_grad(lambda x: torch.rot90(x, 3), a)


def test_narrow_select_unfold_tensor_split():
    a = distinct(4, 5)
    np.testing.assert_array_equal(torch.narrow(T(a), 1, 1, 3).numpy(), a[:, 1:4])
    np.testing.assert_array_equal(T(a).narrow(0, T(np.array(-2)), 2).numpy(), a[2:4])
    np.testing.assert_array_equal(torch.select(T(a), 1, -1).numpy(), a[:, -1])
    w = T(a).unfold(1, 2, 2)
    want = np.lib.stride_tricks.sliding_window_view(a, 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(w.numpy(), want)
    np.testing.assert_array_equal(T(a).unfold(0, 3, 1).numpy(),
                                  np.lib.stride_tricks.sliding_window_view(a, 3, axis=0))
    parts = torch.tensor_split(T(np.arange(7)), 3)
    assert [p.tolist() for p in parts] == [list(p) for p in np.array_split(np.arange(7), 3)]
    parts = T(a).tensor_split([1, 4], dim=1)
    for p, q in zip(parts, np.split(a, [1, 4], axis=1)):
        np.testing.assert_array_equal(p.numpy(), q)
    assert [p.shape[0] for p in torch.tensor_split(T(a), T(np.array([3, 1])))] == [3, 0, 3]
    check_grad(lambda x: torch.narrow(x, 0, 1, 2), a)
    check_grad(lambda x: x.select(0, 2), a)
    check_grad(lambda x: x.unfold(1, 3, 1), a)
    check_grad(lambda x: torch.tensor_split(x, 2, dim=1)[1], a)


def test_moves_stacks_tile_meshgrid_cartesian():
    a = distinct(2, 3, 4)
    np.testing.assert_array_equal(torch.movedim(T(a), 0, -1).numpy(), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(T(a).moveaxis((0, 1), (2, 0)).numpy(),
                                  np.moveaxis(a, (0, 1), (2, 0)))
    assert torch.unflatten(T(a), 2, (2, -1)).shape == (2, 3, 2, 2)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(torch.hstack([T(x), T(y)]).numpy(), np.hstack([x, y]))
    np.testing.assert_array_equal(torch.vstack([T(x), T(y)]).numpy(), np.vstack([x, y]))
    np.testing.assert_array_equal(torch.dstack([T(x), T(y)]).numpy(), np.dstack([x, y]))
    np.testing.assert_array_equal(torch.column_stack([T(x), T(a[0, :2])]).numpy(),
                                  np.column_stack([x, a[0, :2]]))
    np.testing.assert_array_equal(torch.tile(T(x), (2, 2)).numpy(), np.tile(x, (2, 2)))
    for indexing in ("ij", "xy"):
        grids = torch.meshgrid(T(x), T(np.arange(3.0)), T(y), indexing=indexing)
        for g, n in zip(grids, np.meshgrid(x, np.arange(3.0), y, indexing=indexing)):
            np.testing.assert_array_equal(g.numpy(), n)
    assert torch.meshgrid(T(x), T(y))[0].shape == (2, 2)  # default 'ij'
    cp = torch.cartesian_prod(T(x), T(np.arange(3.0)))
    np.testing.assert_array_equal(cp.numpy(), [[p, q] for p in x for q in np.arange(3.0)])
    check_grad(lambda p, q: torch.column_stack([p, q]), x, y)
    check_grad(lambda p, q: torch.meshgrid(p, q, indexing="xy")[0] * 2 +
               torch.meshgrid(p, q, indexing="xy")[1], x, np.arange(3.0))
    check_grad(lambda p, q: torch.cartesian_prod(p, q), x, y)


def test_argwhere_nonzero_tri_indices():
    a = np.array([[0, 1], [2, 0]])
    np.testing.assert_array_equal(torch.argwhere(T(a)).numpy(), np.argwhere(a))
    np.testing.assert_array_equal(T(a).nonzero().numpy(), np.argwhere(a))
    for offset in (0, 1, -1):
        np.testing.assert_array_equal(torch.tril_indices(3, 4, offset).numpy(),
                                      np.stack(np.tril_indices(3, offset, 4)))
        np.testing.assert_array_equal(torch.triu_indices(4, 3, offset).numpy(),
                                      np.stack(np.triu_indices(4, offset, 3)))
    assert torch.tril_indices(2, 2).dtype == torch.int64
    assert torch.triu_indices(2, 2, dtype=torch.int32).dtype == torch.int32


# ---------------------------------------------------------------- scans and differences

def test_scans_values():
    a = distinct(3, 5)
    np.testing.assert_allclose(torch.cumprod(T(a), 1).numpy(), np.cumprod(a, 1))
    assert torch.cumprod(T(np.array([1, 2, 3], np.int32)), 0).dtype == torch.int64
    assert T(a).cumprod(0, dtype=torch.float32).dtype == torch.float32
    mx = torch.cummax(T(a), 1)
    assert type(mx).__name__ == "cummax" and mx.indices.dtype == torch.int64
    np.testing.assert_array_equal(mx.values.numpy(), np.maximum.accumulate(a, 1))
    np.testing.assert_array_equal(T(a).cummin(0).values.numpy(), np.minimum.accumulate(a, 0))
    ties = torch.cummax(T(np.array([1, 3, 3, 2, 3])), 0)
    assert ties.indices.tolist() == [0, 1, 2, 2, 4]  # PyTorch: the last of equal maxima
    assert torch.cummin(T(np.array([2, 1, 1])), 0).indices.tolist() == [0, 1, 2]
    wide = np.array([-1000.0, 0.0, 3.0, 800.0, -5.0])
    np.testing.assert_allclose(torch.logcumsumexp(T(wide), 0).numpy(),
                               np.logaddexp.accumulate(wide))
    np.testing.assert_allclose(T(a).logcumsumexp(1).numpy(), np.logaddexp.accumulate(a, 1))


def test_scans_gradients():
    a = distinct(3, 4) / 3
    check_grad(lambda x: torch.cumprod(x, 1), a)
    z = a.copy()
    z[0, 1], z[1, 0], z[1, 2], z[2, 3] = 0.0, 0.0, 0.0, 0.0  # one and two zeros per row
    check_grad(lambda x: torch.cumprod(x, 1), z)
    check_grad(lambda x: torch.cumprod(x, 0), z)
    check_grad(lambda x: torch.cummax(x, 1).values, a)
    check_grad(lambda x: torch.cummin(x, 0).values, a)
    check_grad(lambda x: torch.logcumsumexp(x, 1), a * 4)
    check_grad(lambda x: torch.diff(x, 2, 0), a)


def test_diff():
    a = distinct(3, 5)
    np.testing.assert_allclose(torch.diff(T(a)).numpy(), np.diff(a))
    np.testing.assert_allclose(T(a).diff(n=2, dim=0).numpy(), np.diff(a, 2, 0))
    pre, app = distinct(3, 1), distinct(3, 2)
    np.testing.assert_allclose(torch.diff(T(a), 1, 1, T(pre), T(app)).numpy(),
                               np.diff(a, 1, 1, prepend=pre, append=app))
    b = np.array([True, True, False, True])
    np.testing.assert_array_equal(torch.diff(T(b)).numpy(), np.diff(b))
    check_grad(lambda x, p: torch.diff(x, 1, 1, prepend=p), a, pre)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("call, error, words", [
    (lambda x: torch.sort(x, 2), IndexError, "sort()"),
    (lambda x: torch.topk(x, 5), RuntimeError, "k=5"),
    (lambda x: torch.kthvalue(x, 0), RuntimeError, "kthvalue()"),
    (lambda x: x.median(-3), IndexError, "Dimension out of range"),
    (lambda x: torch.gather(x, 0, T(np.zeros((1, 1)))), Exception, "integer"),
    (lambda x: torch.scatter(x, 0, T(np.zeros((1, 1), np.int32)), 1.0), RuntimeError, "int64"),
    (lambda x: torch.scatter_reduce(x, 0, T(np.zeros((1, 1), np.int64)), x, "max"),
     RuntimeError, "amax"),
    (lambda x: torch.index_add(x, 0, T(np.zeros(1)), x[:1]), RuntimeError, "index"),
    (lambda x: torch.index_copy(x, 0, T(np.array([0])), x), RuntimeError, "shape"),
    (lambda x: torch.masked_select(x, T(np.ones((2, 4)))), RuntimeError, "BoolTensor"),
    (lambda x: torch.take_along_dim(x, T(np.zeros((2, 4), np.int32)), 1), RuntimeError,
     "int64"),
    (lambda x: torch.diagonal(x, 0, 1, 1), RuntimeError, "identical"),
    (lambda x: torch.diag(x[None]), RuntimeError, "1D or 2D"),
    (lambda x: torch.trace(x[0]), RuntimeError, "matrix"),
    (lambda x: torch.narrow(x, 1, 2, 3), RuntimeError, "exceeds"),
    (lambda x: torch.select(x, 0, 2), IndexError, "out of range"),
    (lambda x: x.unfold(1, 5, 1), RuntimeError, "maximum size"),
    (lambda x: x.unfold(1, 2, 0), RuntimeError, "step"),
    (lambda x: torch.rot90(x, 1, (0, 0)), RuntimeError, "different"),
    (lambda x: torch.roll(x, (1, 2), 0), RuntimeError, "align"),
    (lambda x: torch.movedim(x, (0, 1), 0), RuntimeError, "movedim()"),
    (lambda x: torch.unflatten(x, 1, (3, 2)), RuntimeError, "unflatten()"),
    (lambda x: torch.bincount(x), RuntimeError, "integral"),
    (lambda x: torch.bincount(T(np.array([1, -1]))), RuntimeError, "negative"),
    (lambda x: torch.histc(T(np.array([1, 2])), 3), RuntimeError, "histc()"),
    (lambda x: torch.repeat_interleave(x, T(np.array([1, 2, 3])), dim=0), RuntimeError,
     "same size"),
    (lambda x: torch.bucketize(x, x), RuntimeError, "1 dimension"),
    (lambda x: torch.searchsorted(x, x, right=True, side="left"), RuntimeError, "opposites"),
    (lambda x: torch.meshgrid(x, indexing="yx"), RuntimeError, "indexing"),
    (lambda x: torch.fliplr(x[0]), RuntimeError, ">= 2-d"),
    (lambda x: torch.diff(x, dim=2), IndexError, "diff()"),
    (lambda x: torch.sort([1, 2]), TypeError, "Tensor"),
    (lambda x: torch.logcumsumexp(T(np.array([1, 2])), 0), RuntimeError, "floating"),
    (lambda x: torch.tensor_split(x, 0), RuntimeError, "sections"),
])
def test_errors_name_the_problem(call, error, words):
    x = T(distinct(2, 4))
    with pytest.raises(error, match=None) as info:
        call(x)
    assert words in str(info.value), str(info.value)


def test_defaults_match_pytorch():
    a = distinct(2, 3)
    assert torch.sort(T(a)).indices.tolist() == np.argsort(a, axis=-1).tolist()  # dim=-1
    assert torch.topk(T(a), 1).values.shape == (2, 1)  # dim=-1, largest
    assert torch.kthvalue(T(a), 1).values.shape == (2,)  # keepdim=False
    assert torch.diagonal(T(a)).tolist() == np.diagonal(a).tolist()  # offset 0, dims (0, 1)
    assert torch.rot90(T(a)).tolist() == np.rot90(a).tolist()  # k=1, dims (0, 1)
    assert torch.diff(T(a)).shape == (2, 2)  # n=1, dim=-1
    assert torch.unique(T(np.array([2, 1, 2]))).tolist() == [1, 2]  # sorted, no extras
    assert torch.histc(T(a)).shape == (100,)
    assert torch.roll(T(a), 1).tolist() == np.roll(a, 1).tolist()  # flattened
    assert torch.repeat_interleave(T(a), 2).shape == (12,)  # flattened


def test_scatter_reduce_kernel_without_ufunc_at():
    """CuPy lacks `ufunc.at` for some ufuncs: the kernel then applies repeats in rounds."""
    from dualnet.ops.sorting import _ufunc_at

    class NoAt:  # a ufunc without .at
        def __init__(self, fn):
            self.fn = fn

        def __call__(self, *args):
            return self.fn(*args)

    class XP:
        def __getattr__(self, name):
            value = getattr(np, name)
            return NoAt(value) if isinstance(value, np.ufunc) else value

    index = np.array([[0, 2, 1, 0], [2, 2, 0, 1], [0, 0, 0, 0]])
    key = (index, np.arange(4)[None, :])
    values = RNG.standard_normal((3, 4))
    for name in ("add", "multiply", "maximum", "minimum"):
        out, want = np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(3, 4)
        _ufunc_at(XP(), name, out, key, values)
        getattr(np, name).at(want, key, values)
        np.testing.assert_allclose(out, want, err_msg=name)


def test_descending_sort_puts_nan_first_keeps_ties_and_extreme_ints():
    """PyTorch's order: NaN counts as the largest value (first when descending, last when
    ascending); equal values keep their order; int64's extremes sort without overflow."""
    x = torch.tensor([3.0, float("nan"), 1.0, 3.0, 2.0, float("nan"), 1.0])
    values, indices = torch.sort(x, descending=True, stable=True)
    assert indices.tolist() == [1, 5, 0, 3, 4, 2, 6]
    assert np.isnan(values.numpy()[:2]).all() and values.numpy()[2:].tolist() == [3, 3, 2, 1, 1]
    assert torch.sort(x, stable=True).indices.tolist() == [2, 6, 4, 0, 3, 1, 5]
    assert torch.topk(x, 3).indices.tolist() == [1, 5, 0]
    big = np.iinfo(np.int64)
    ints = torch.tensor([big.min, 5, 5, -1, big.max])
    assert torch.argsort(ints, descending=True, stable=True).tolist() == [4, 1, 2, 3, 0]
