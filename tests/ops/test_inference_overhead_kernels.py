"""Kernel branches added for small-model inference (issue 7), each against an independent
float64 NumPy reference, with thresholds forced so the branch runs on small inputs:
log_softmax over short rows (the transposed copy, NumPy's ufunc reductions) and maximum_zero
(relu, and the relu epilogue of fused kernels) against cached zero rows."""
import numpy as np
import pytest

from dualnet.ops import common, get, nn


def _bits(a):
    return np.ascontiguousarray(a).view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])


def _log_softmax_ref(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return (x - m) - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _plain_log_softmax(x, axis):
    """The kernel's general (not transposed) formula."""
    z = np.subtract(x, x.max(axis=axis, keepdims=True))
    return nn._minus_log_sum_exp(np, z, axis)


# ---------------------------------------------------------------- log_softmax, short rows

@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape", [(17, 1), (20, 5), (64, 10), (33, 16)])
def test_log_softmax_short_rows_matches_float64(shape, dtype, tol):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x[3] += 60.0  # a row far from the others: the per-row shift matters
    out = get("log_softmax").forward(np, x, axis=1)
    assert out.dtype == dtype and out.shape == shape and out.flags.c_contiguous
    assert not np.shares_memory(out, x)
    np.testing.assert_allclose(out, _log_softmax_ref(x, 1), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(out, _plain_log_softmax(x, 1), rtol=tol, atol=tol * 10)


def test_log_softmax_short_rows_threshold(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4)).astype(np.float32)  # 6 rows: not taken by default
    before = get("log_softmax").forward(np, x, axis=1)
    assert np.array_equal(_bits(before), _bits(_plain_log_softmax(x, 1)))
    monkeypatch.setattr(nn, "SHORT_ROWS", 4)  # forced: rows of 4 <= 4 < 6 rows
    out = get("log_softmax").forward(np, x, axis=1)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, _log_softmax_ref(x, 1), rtol=1e-6, atol=1e-6)


def test_log_softmax_short_rows_special_values():
    x = np.zeros((20, 3), np.float32)
    x[0] = [np.inf, 0.0, 1.0]
    x[1] = [np.nan, 0.0, 1.0]
    x[2] = [-np.inf, 0.0, 0.0]
    x[3] = [1e30, -1e30, 0.0]
    x[4] = [-0.0, 0.0, -0.0]
    with np.errstate(all="ignore"):
        out = get("log_softmax").forward(np, x, axis=1)
        ref = _plain_log_softmax(x, 1)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_allclose(np.nan_to_num(out[2:]), np.nan_to_num(ref[2:]), rtol=1e-6)
    np.testing.assert_allclose(out[2], [-np.inf, -np.log(2), -np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(out[4], np.full(3, -np.log(3)), rtol=1e-6)


def test_log_softmax_nll_loss_logp_is_log_softmax_bit_for_bit():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 7)).astype(np.float32)
    t = rng.integers(0, 7, 40)
    loss, logp = get("log_softmax_nll_loss").forward(np, x, t, None, axis=1, reduction="mean",
                                                     ignore_index=-100, label_smoothing=0.0)
    assert np.array_equal(_bits(logp), _bits(get("log_softmax").forward(np, x, axis=1)))
    ref = -_log_softmax_ref(x, 1)[np.arange(40), t].mean()
    np.testing.assert_allclose(loss, ref, rtol=1e-6)


# ---------------------------------------------------------------- relu epilogue

def _special(shape, rng, dtype=np.float32):
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[::7], flat[::11], flat[::13] = -0.0, np.nan, 0.0
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape", [(64, 128), (64, 10), (3, 5, 7), (128, 256)])
def test_maximum_zero_with_its_cached_zero_rows(monkeypatch, shape, dtype):
    """The zero rows maximum_zero compares with are made once per (length, dtype) and cannot
    be written: the results stay those of xp.maximum(x, 0), in place or not."""
    monkeypatch.setattr(common, "ZERO_ROW_MIN_SIZE", 1)  # the row branch for small x too
    monkeypatch.setattr(common, "_ZERO_ROWS", {})
    rng = np.random.default_rng(3)
    x = _special(shape, rng, dtype)
    ref = np.maximum(x.astype(np.float64), 0.0)
    for _ in range(2):  # the second call reads the cached row
        got = common.maximum_zero(np, x)
        assert got.dtype == dtype and got.shape == shape
        np.testing.assert_array_equal(got.astype(np.float64), ref)  # NaN where x is NaN
        if dtype != np.float16:  # (NumPy's float16 maximum keeps -0.0 against 0.0)
            assert not np.signbit(got[~np.isnan(got)]).any()  # -0.0 became 0.0
        y = x.copy()
        assert common.maximum_zero(np, y, out=y) is y
        assert np.array_equal(_bits(y), _bits(got))
    assert len(common._ZERO_ROWS) == 1
    (row,) = common._ZERO_ROWS.values()
    assert not row.flags.writeable and not row.any()


@pytest.mark.parametrize("transpose_w", [False, True])
def test_fused_linear_relu_matches_float64(monkeypatch, transpose_w):
    monkeypatch.setattr(common, "ZERO_ROW_MIN_SIZE", 1)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 6)).astype(np.float32)
    w = rng.standard_normal((4, 6) if transpose_w else (6, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    out = get("fused_linear").forward(np, x, w, b, transpose_w=transpose_w, activation="relu")
    wm = w.T if transpose_w else w
    ref = np.maximum(x.astype(np.float64) @ wm.astype(np.float64) + b, 0.0)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    unfused = get("relu").forward(np, get("add").forward(
        np, get("matmul").forward(np, x, wm), b))
    assert np.array_equal(_bits(out), _bits(unfused))
