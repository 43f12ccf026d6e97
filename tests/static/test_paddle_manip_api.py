"""paddle's indexing, scatter/gather and manipulation functions of tensor_methods/manipx.py
(gather_nd, scatter, take, slice, tensor_split, rot90, repeat_interleave, unique_consecutive,
...) in explicit programs and in implicit mode against NumPy references; gradients through
backward() against central differences; -1 batch dims; Variable methods; error messages."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet.ops.registry import OpError
from dualnet_static import static

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both, run_explicit


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


R = np.random.default_rng(0)
X = R.standard_normal((3, 4)).astype(np.float32)
X3 = R.standard_normal((2, 3, 4)).astype(np.float32)


def _t(value):
    return paddle.to_tensor(value)


def _check_grad(fn, *values, wrt=(0,), eps=1e-6):
    """backward() of sum(fn(*inputs) * w) against central differences, in float64."""
    values = [np.asarray(v) for v in values]
    w = None

    def loss(vals):
        out = fn(*[_t(v) for v in vals]).numpy().astype(np.float64)
        return float((out * w).sum())

    tensors = [_t(v) for v in values]
    for i in wrt:
        tensors[i].stop_gradient = False
    out = fn(*tensors)
    w = R.standard_normal(out.shape)
    (out * _t(w)).sum().backward()
    for i in wrt:
        numeric = np.zeros(values[i].shape)
        for pos in np.ndindex(*values[i].shape):
            hi = [v.copy() for v in values]
            lo = [v.copy() for v in values]
            hi[i][pos] += eps
            lo[i][pos] -= eps
            numeric[pos] = (loss(hi) - loss(lo)) / (2 * eps)
        np.testing.assert_allclose(tensors[i].grad.numpy(), numeric, rtol=1e-5, atol=1e-6)


def _batch_program(build, feeds: dict, unknown=("x",)):
    """Build with -1 as the first dim of the feeds named in `unknown`; run; outputs + vars."""
    main = static.Program()
    with static.program_guard(main, static.Program()):
        data = [static.data(k, [-1, *v.shape[1:]] if k in unknown else list(v.shape),
                            v.dtype.name) for k, v in feeds.items()]
        outs = build(*data)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    got = static.Executor().run(main, feed=feeds, fetch_list=list(outs))
    return got, [list(o.shape) for o in outs]


# ---------------------------------------------------------------- gather / scatter by coords


def test_gather_nd_and_scatter_nd():
    idx = np.array([[1, 2], [0, 0], [1, 2]], np.int64)
    feeds = {"x": X3, "i": idx}
    check_both(lambda x, i: paddle.gather_nd(x, i), X3[idx[:, 0], idx[:, 1]], feeds)
    check_both(lambda x, i: x.gather_nd(i[:, :1]), X3[idx[:, 0]], feeds)
    upd = R.standard_normal((3, 4)).astype(np.float32)
    want = X3.copy()
    for (a, b), u in zip(idx, upd):  # the repeated index accumulates
        want[a, b] += u
    check_both(lambda x, i, u: paddle.scatter_nd_add(x, i, u), want, {**feeds, "u": upd})
    zeros = np.zeros((2, 3, 4), np.float32)
    for (a, b), u in zip(idx, upd):
        zeros[a, b] += u
    check_both(lambda i, u: paddle.scatter_nd(i, u, [2, 3, 4]), zeros, {"i": idx, "u": upd})
    full = np.zeros((2, 0), np.int64)  # index.shape[-1] == 0: the whole of x per position
    check_both(lambda x: paddle.gather_nd(x, paddle.to_tensor(full) if paddle.in_dynamic_mode()
                                          else paddle.assign(full)),
               np.broadcast_to(X3, (2, 2, 3, 4)), {"x": X3})
    got, shapes = _batch_program(lambda x, i: paddle.gather_nd(x, i), feeds)
    assert shapes == [[3, 4]]
    np.testing.assert_allclose(got[0], X3[idx[:, 0], idx[:, 1]])


def test_gather_nd_and_scatter_nd_add_gradients():
    x = X3.astype(np.float64)
    idx = np.array([[1, 2], [0, 0], [1, 2]], np.int64)
    _check_grad(lambda a, i: paddle.gather_nd(a, i), x, idx)
    upd = R.standard_normal((3, 4))
    _check_grad(lambda a, i, u: paddle.scatter_nd_add(a, i, u), x, idx, upd, wrt=(0, 2))


def test_scatter_overwrite_and_accumulate_with_repeated_indices():
    x = np.array([[1, 1], [2, 2], [3, 3]], np.float32)
    index = np.array([2, 1, 0, 1], np.int64)
    upd = np.array([[1, 1], [2, 2], [3, 3], [4, 4]], np.float32)
    feeds = {"x": x, "i": index, "u": upd}
    # Paddle's documented example: the last row sent to a repeated index wins ...
    check_both(lambda x, i, u: paddle.scatter(x, i, u),
               np.array([[3, 3], [4, 4], [1, 1]], np.float32), feeds)
    # ... or, with overwrite=False, the targeted rows are zeroed and then accumulate.
    check_both(lambda x, i, u: x.scatter(i, u, overwrite=False),
               np.array([[3, 3], [6, 6], [1, 1]], np.float32), feeds)
    one = {"x": x, "i": np.array([1, 0], np.int32), "u": upd[:2]}
    check_both(lambda x, i, u: paddle.scatter(x, i, u), np.array([[2, 2], [1, 1], [3, 3]],
                                                                 np.float32), one)


def test_scatter_gradients():
    x = R.standard_normal((3, 2))
    index = np.array([2, 1, 0, 1], np.int64)
    upd = R.standard_normal((4, 2))
    _check_grad(lambda a, i, u: paddle.scatter(a, i, u), x, index, upd, wrt=(0, 2))
    _check_grad(lambda a, i, u: paddle.scatter(a, i, u, overwrite=False), x, index, upd,
                wrt=(0, 2))
    u = _t(upd.astype(np.float32))
    u.stop_gradient = False
    paddle.scatter(_t(x.astype(np.float32)), _t(index), u).sum().backward()
    np.testing.assert_array_equal(u.grad.numpy()[:, 0], [1, 0, 1, 1])  # row 1 is overwritten


# ---------------------------------------------------------------- index / mask functions


def test_index_add_sample_fill():
    idx = np.array([2, 0, 2], np.int64)
    val = R.standard_normal((3, 3)).astype(np.float32)
    want = X.copy()
    np.add.at(want, (slice(None), idx), val)
    check_both(lambda x, i, v: paddle.index_add(x, i, 1, v), want, {"x": X, "i": idx, "v": val})
    sidx = np.array([[3, 0], [1, 1], [2, 3]], np.int64)
    check_both(lambda x, i: paddle.index_sample(x, i), np.take_along_axis(X, sidx, 1),
               {"x": X, "i": sidx})
    filled = X.copy()
    filled[[0, 2]] = -1.5
    check_both(lambda x: paddle.index_fill(x, paddle.to_tensor(np.array([0, 2]))
                                           if paddle.in_dynamic_mode()
                                           else paddle.assign(np.array([0, 2])), 0, -1.5),
               filled, {"x": X})
    _check_grad(lambda a, i, v: paddle.index_add(a, i, 1, v), X.astype(np.float64), idx,
                val.astype(np.float64), wrt=(0, 2))
    _check_grad(lambda a, i: paddle.index_sample(a, i), X.astype(np.float64), sidx)
    _check_grad(lambda a: a.index_fill(_t(np.array([1])), 1, 0.0), X.astype(np.float64))


def test_masked_fill_and_masked_scatter():
    mask = np.array([True, False, True, False])
    feeds = {"x": X, "m": mask}
    check_both(lambda x, m: paddle.masked_fill(x, m, 2.0), np.where(mask, 2.0, X), feeds)
    check_both(lambda x, m: x.masked_fill(m, paddle.to_tensor(np.float32(-1.0))
                                          if paddle.in_dynamic_mode()
                                          else paddle.full([], -1.0)),
               np.where(mask, -1.0, X).astype(np.float32), feeds)
    col = np.array([[True], [False], [True]])  # mask broadcast over x; x over a larger mask
    check_both(lambda x, m: paddle.masked_fill(x, m, 0.0), np.where(col, 0.0, X).astype(
        np.float32), {"x": X, "m": col})
    check_both(lambda x, m: paddle.masked_fill(x, m, 7), np.where(mask, 7, X[0]).astype(
        np.float32)[None].repeat(2, 0), {"x": X[0], "m": np.stack([mask, mask])})
    value = np.arange(12, dtype=np.float32) * 10
    want = X.copy()
    full_mask = np.broadcast_to(mask, X.shape)
    want[full_mask] = value[:full_mask.sum()]
    check_both(lambda x, m, v: paddle.masked_scatter(x, m, v), want, {**feeds, "v": value})
    _check_grad(lambda a, v: paddle.masked_scatter(a, _t(mask), v), X.astype(np.float64),
                value.astype(np.float64), wrt=(0, 1))
    _check_grad(lambda a: paddle.masked_fill(a, _t(mask), 3.0), X.astype(np.float64))


def test_take_modes():
    idx = np.array([[0, -1], [5, 11]], np.int64)
    flat = X.reshape(-1)
    feeds = {"x": X, "i": idx}
    check_both(lambda x, i: paddle.take(x, i), flat[idx], feeds)
    far = np.array([13, -14, 3], np.int32)
    check_both(lambda x, i: paddle.take(x, i, mode="wrap"), flat[far % 12], {"x": X, "i": far})
    check_both(lambda x, i: x.take(i, mode="clip"), flat[np.clip(far, 0, 11)],
               {"x": X, "i": far})
    got, shapes = _batch_program(lambda x, i: paddle.take(x, i, mode="wrap"),
                                 {"x": X, "i": far}, unknown=("x",))
    assert shapes == [[3]]
    np.testing.assert_allclose(got[0], flat[far % 12])
    with pytest.raises(OpError, match="out of bounds"):
        paddle.take(_t(X), _t(np.array([12]))).numpy()
    with pytest.raises(OpError, match="out of bounds"):
        paddle.take(_t(X), _t(np.array([-13]))).numpy()
    with pytest.raises(ValueError, match="mode"):
        paddle.take(_t(X), _t(idx), mode="bad")
    _check_grad(lambda a, i: paddle.take(a, i), X.astype(np.float64), np.array([1, 1, -1]))


def test_searchsorted_and_bucketize():
    seq = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    vals = np.array([[3.0, 6.0], [9.0, 1.0]], np.float32)
    feeds = {"s": seq, "v": vals}
    check_both(lambda s, v: paddle.searchsorted(s, v), np.searchsorted(seq, vals), feeds)
    check_both(lambda s, v: paddle.searchsorted(s, v, right=True, out_int32=True),
               np.searchsorted(seq, vals, side="right").astype(np.int32), feeds)
    check_both(lambda s, v: paddle.bucketize(v, s, right=True),
               np.searchsorted(seq, vals, side="right"), feeds)
    check_both(lambda s, v: v.bucketize(s, out_int32=True),
               np.searchsorted(seq, vals).astype(np.int32), feeds)
    rows = np.sort(R.standard_normal((2, 5)).astype(np.float32), axis=1)
    want = np.stack([np.searchsorted(r, v) for r, v in zip(rows, vals)])
    check_both(lambda s, v: paddle.searchsorted(s, v), want, {"s": rows, "v": vals})
    with pytest.raises(ValueError, match="1-D"):
        paddle.bucketize(_t(vals), _t(rows))


# ---------------------------------------------------------------- slicing and splitting


def test_slice_strided_slice_crop():
    feeds = {"x": X3}
    check_both(lambda x: paddle.slice(x, [1, 2], [-2, 1], [3, 1000]), X3[:, 1:3, 1:], feeds)
    check_both(lambda x: paddle.strided_slice(x, [0, 2], [1, -1], [2, 0], [1, -2]),
               X3[1:2, :, -1:0:-2], feeds)
    check_both(lambda x: paddle.crop(x, [1, -1, 2], [1, 1, 2]), X3[1:2, 1:, 2:4], feeds)
    check_both(lambda x: paddle.crop(x, shape=[2, 2, 2]), X3[:, :2, :2], feeds)
    starts = paddle.to_tensor(np.array([1, 0]))  # tensors for bounds, read in implicit mode
    np.testing.assert_allclose(paddle.slice(_t(X3), [1, 2], starts, [3, 2]).numpy(),
                               X3[:, 1:3, 0:2])
    got, shapes = _batch_program(lambda x: [paddle.slice(x, [0, 2], [0, 1], [1, 3]),
                                            x.strided_slice([2], [0], [4], [3]),
                                            paddle.crop(x, [-1, 2, 2], [0, 1, 1])], feeds)
    assert shapes == [[-1, 3, 2], [-1, 3, 2], [-1, 2, 2]]
    for g, w in zip(got, [X3[0:1, :, 1:3], X3[:, :, ::3], X3[:, 1:3, 1:3]]):
        np.testing.assert_allclose(g, w)
    _check_grad(lambda a: paddle.strided_slice(a, [1], [2], [0], [-1]), X3.astype(np.float64))
    with pytest.raises(ValueError, match="strides must not be 0"):
        paddle.strided_slice(_t(X3), [0], [0], [1], [0])
    with pytest.raises(ValueError, match="exceeds dim 1"):
        paddle.crop(_t(X3), [1, 3, 1], [0, 1, 0])
    main = static.Program()
    with static.program_guard(main, static.Program()):
        x = static.data("x", [2, 3, 4], "float32")
        s = static.data("s", [1], "int64")
        with pytest.raises(ValueError, match="slice: starts given as a tensor"):
            paddle.slice(x, [0], [s], [2])


def test_tensor_split_and_friends():
    a = np.arange(14, dtype=np.float32).reshape(7, 2)
    feeds = {"x": a}
    check_both(lambda x: paddle.tensor_split(x, 3), np.array_split(a, 3), feeds)
    check_both(lambda x: x.tensor_split([2, -2, 6]), [a[:2], a[2:-2], a[-2:6], a[6:]], feeds)
    check_both(lambda x: paddle.tensor_split(x, [1], axis=1), [a[:, :1], a[:, 1:]], feeds)
    b = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    check_both(lambda x: paddle.vsplit(x, 2), np.vsplit(b, 2), {"x": b})
    check_both(lambda x: paddle.hsplit(x, [1]), np.hsplit(b, [1]), {"x": b})
    check_both(lambda x: paddle.dsplit(x, 3), np.array_split(b, 3, axis=2), {"x": b})
    check_both(lambda x: paddle.hsplit(x, 2), np.hsplit(b[0, 0], 2), {"x": b[0, 0]})
    got, shapes = _batch_program(lambda x: paddle.tensor_split(x, [1], axis=0), {"x": a})
    assert shapes == [[-1, 2], [-1, 2]]  # a slice of an unknown dim may be shorter
    np.testing.assert_allclose(got[1], a[1:])
    with pytest.raises(ValueError, match="at least 3 dims"):
        paddle.dsplit(_t(a), 2)
    with pytest.raises(ValueError, match="needs the size of dim 0"):
        _batch_program(lambda x: paddle.tensor_split(x, 2), {"x": a})


# ---------------------------------------------------------------- rearranging


def test_rot90_moveaxis_unflatten_view():
    feeds = {"x": X3}
    for k in (-1, 0, 1, 2, 3, 5):
        check_both(lambda x, k=k: paddle.rot90(x, k, axes=[1, 2]), np.rot90(X3, k, (1, 2)),
                   feeds)
    check_both(lambda x: x.rot90(), np.rot90(X3), feeds)
    check_both(lambda x: paddle.moveaxis(x, [0, 2], [2, 0]), np.moveaxis(X3, [0, 2], [2, 0]),
               feeds)
    check_both(lambda x: x.moveaxis(-1, 0), np.moveaxis(X3, -1, 0), feeds)
    check_both(lambda x: paddle.unflatten(x, -1, [2, -1]), X3.reshape(2, 3, 2, 2), feeds)
    check_both(lambda x: paddle.view(x, [6, -1]), X3.reshape(6, 4), feeds)
    check_both(lambda x, y: x.view_as(y), X3.reshape(4, 6), {"x": X3, "y": X3.reshape(4, 6)})
    check_both(lambda x: paddle.as_strided(x, [3, 2], [1, 4], 1),
               np.lib.stride_tricks.as_strided(X3.reshape(-1)[1:], (3, 2), (4, 16)), feeds)
    got, shapes = _batch_program(lambda x: [paddle.unflatten(x, 2, [2, 2]),
                                            paddle.rot90(x, 1, [1, 2]),
                                            paddle.unflatten(x, 0, [1, -1])], feeds)
    assert shapes == [[-1, 3, 2, 2], [-1, 4, 3], [1, -1, 3, 4]]
    np.testing.assert_allclose(got[1], np.rot90(X3, 1, (1, 2)))
    _check_grad(lambda a: paddle.rot90(a, 1, [0, 2]), X3.astype(np.float64))
    _check_grad(lambda a: paddle.as_strided(a, [2, 2], [1, 1]), X.astype(np.float64))
    with pytest.raises(ValueError, match="rotation axes must differ"):
        paddle.rot90(_t(X3), 1, [1, 1])
    with pytest.raises(ValueError, match="don't multiply up"):
        paddle.unflatten(_t(X3), 1, [2, 2])
    with pytest.raises(NotImplementedError, match="dtype"):
        paddle.view(_t(X3), "int32")


def test_repeat_interleave():
    feeds = {"x": X}
    check_both(lambda x: paddle.repeat_interleave(x, 2), np.repeat(X, 2), feeds)
    check_both(lambda x: x.repeat_interleave(3, axis=1), np.repeat(X, 3, axis=1), feeds)
    check_both(lambda x: paddle.repeat_interleave(x, [1, 0, 2], axis=0),
               np.repeat(X, [1, 0, 2], axis=0), feeds)
    reps = paddle.to_tensor(np.array([2, 1, 0, 1]))
    np.testing.assert_allclose(paddle.repeat_interleave(_t(X), reps, 1).numpy(),
                               np.repeat(X, [2, 1, 0, 1], axis=1))
    got, shapes = _batch_program(lambda x: paddle.repeat_interleave(x, 2, axis=1), feeds)
    assert shapes == [[-1, 8]]
    np.testing.assert_allclose(got[0], np.repeat(X, 2, axis=1))
    _check_grad(lambda a: paddle.repeat_interleave(a, [2, 0, 1, 3], axis=1),
                X.astype(np.float64))
    _check_grad(lambda a: paddle.repeat_interleave(a, 2), X.astype(np.float64))
    main = static.Program()
    with static.program_guard(main, static.Program()):
        x = static.data("x", [3, 4], "float32")
        r = static.data("r", [4], "int64")
        with pytest.raises(ValueError, match="repeat_interleave: repeats given as a tensor"):
            paddle.repeat_interleave(x, r, axis=1)


def test_unique_consecutive():
    v = np.array([1, 1, 2, 2, 3, 1, 1, 2], np.int64)
    feeds = {"x": v}
    check_both(lambda x: paddle.unique_consecutive(x), np.array([1, 2, 3, 1, 2]), feeds)
    check_both(lambda x: paddle.unique_consecutive(x, return_inverse=True, return_counts=True),
               [np.array([1, 2, 3, 1, 2]), np.array([0, 0, 1, 1, 2, 3, 3, 4]),
                np.array([2, 2, 1, 2, 1])], feeds)
    m = np.array([[2, 0], [2, 0], [1, 1], [2, 0]], np.float32)
    check_both(lambda x: x.unique_consecutive(return_counts=True, axis=0, dtype="int32"),
               [m[[0, 2, 3]], np.array([2, 1, 1], np.int32)], {"x": m})
    check_both(lambda x: paddle.unique_consecutive(x, return_inverse=True),
               [np.array([2, 0, 2, 0, 1, 2, 0], np.float32),
                np.array([[0, 1], [2, 3], [4, 4], [5, 6]])], {"x": m})
    got, shapes = _batch_program(lambda x: paddle.unique_consecutive(x, return_counts=True,
                                                                     axis=0), {"x": m})
    assert shapes == [[-1, 2], [-1]]
    np.testing.assert_allclose(got[1], [2, 1, 1])


# ---------------------------------------------------------------- broadcasting and the rest


def test_broadcast_shape_and_tensors():
    assert paddle.broadcast_shape([2, 1, 3], [4, 1]) == [2, 4, 3]
    with pytest.raises(ValueError, match="broadcast_shape"):
        paddle.broadcast_shape([2, 3], [4, 3])
    a, b = X[:, :1], X[0]
    check_both(lambda x, y: paddle.broadcast_tensors([x, y]), np.broadcast_arrays(a, b),
               {"x": a, "y": b})
    got, shapes = _batch_program(lambda x, y: paddle.broadcast_tensors([x, y]),
                                 {"x": a, "y": b})
    assert shapes == [[-1, 4], [-1, 4]]
    for g, w in zip(got, np.broadcast_arrays(a, b)):
        np.testing.assert_allclose(g, w)
    tx, ty = _t(a.astype(np.float64)), _t(b.astype(np.float64))
    tx.stop_gradient = ty.stop_gradient = False
    u, v = paddle.broadcast_tensors([tx, ty])
    (u * 2.0 + v).sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(ty.grad.numpy(), np.full(4, 3.0))


def test_multiplex_shard_index_tolist_triangles():
    a, b = X, X * 10
    idx = np.array([[1], [0], [1]], np.int32)
    check_both(lambda x, y, i: paddle.multiplex([x, y], i),
               np.stack([b[0], a[1], b[2]]), {"x": a, "y": b, "i": idx})
    _check_grad(lambda x, y: paddle.multiplex([x, y], _t(idx)), a.astype(np.float64),
                b.astype(np.float64), wrt=(0, 1))
    labels = np.array([[16], [1], [9], [19]], np.int64)
    check_both(lambda x: paddle.shard_index(x, 20, 2, 1), np.array([[6], [-1], [-1], [9]]),
               {"x": labels})
    check_both(lambda x: paddle.shard_index(x, 20, 3, 0, ignore_value=99),
               np.array([[99], [1], [99], [99]]), {"x": labels})
    assert paddle.tolist(_t(X[:1, :2])) == X[:1, :2].tolist()
    assert _t(np.arange(3)).tolist() == [0, 1, 2]
    check_both(lambda: paddle.tril_indices(4, 3, -1), np.stack(np.tril_indices(4, -1, 3)))
    check_both(lambda: paddle.triu_indices(3, offset=1, dtype="int32"),
               np.stack(np.triu_indices(3, 1)).astype(np.int32))
    with pytest.raises(ValueError, match="shard_id"):
        paddle.shard_index(_t(labels), 20, 2, 2)


def test_explicit_errors_name_the_function():
    with pytest.raises(ValueError, match="gather_nd: index.shape"):
        paddle.gather_nd(_t(X), _t(np.zeros((2, 3), np.int64)))
    with pytest.raises(ValueError, match="scatter_nd_add: updates of shape"):
        paddle.scatter_nd_add(_t(X), _t(np.zeros((2, 1), np.int64)), _t(np.zeros((2, 3),
                                                                                np.float32)))
    with pytest.raises(ValueError, match="scatter: updates of shape"):
        paddle.scatter(_t(X), _t(np.array([0, 1])), _t(np.zeros((3, 4), np.float32)))
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool"):
        paddle.masked_fill(_t(X), _t(np.ones(4, np.int64)), 1.0)
    with pytest.raises(ValueError, match="index_sample: x and index must be 2-D"):
        paddle.index_sample(_t(X), _t(np.zeros(3, np.int64)))
    with pytest.raises(ValueError, match="moveaxis: source"):
        paddle.moveaxis(_t(X3), [0, 1], [1])


def test_variable_methods_exist():
    for name in ("gather_nd", "scatter", "scatter_nd_add", "index_add", "index_fill",
                 "masked_fill", "masked_scatter", "take", "tensor_split", "vsplit", "rot90",
                 "repeat_interleave", "unique_consecutive", "moveaxis", "unflatten", "view",
                 "view_as", "bucketize", "tolist", "strided_slice"):
        assert callable(getattr(paddle.Tensor, name)), name
    got = run_explicit(lambda x: x.scatter_nd_add(paddle.assign(np.array([[0]])),
                                                   paddle.ones([1, 4])), {"x": X})
    np.testing.assert_allclose(got[0], X + np.array([[1], [0], [0]]))
