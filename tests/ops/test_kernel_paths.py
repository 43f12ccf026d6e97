"""The fast paths of the hot kernels, each against an independent NumPy reference: branches the
op specs' tiny shapes do not reach (GEMMs in row or column blocks, convolution columns built in
chunks, the epilogues on a convolution's rows) are forced with small thresholds here."""
import numpy as np
import pytest

from dualnet.ops import common, conv, fused, get, linalg
from tests.ops.specs.conv import conv2d_ref
from tests.ops.specs.pool import max_pool2d_ref


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32 if a.dtype == np.float32 else np.uint64)


# ---------------------------------------------------------------- max(x, 0)

def _special(shape, rng):
    """float32 values with -0.0, +0.0 and NaN sprinkled in."""
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[::7], flat[::11], flat[::13] = -0.0, np.nan, 0.0
    return x


LAYOUTS = {
    "c": lambda a: a,
    "f": lambda a: np.asfortranarray(a),
    "batch-last": lambda a: np.ascontiguousarray(a.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2),
    "strided": lambda a: a[:, :, ::2],  # not one dense block: the plain call
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("shape", [(16, 6, 24, 24), (3, 5, 37, 41), (2, 2, 3, 4)])
def test_maximum_zero_is_maximum_bit_for_bit(layout, shape):
    x = LAYOUTS[layout](_special(shape, np.random.default_rng(0)))
    want = np.maximum(x, np.float32(0))
    got = common.maximum_zero(np, x)
    assert got.shape == want.shape and got.strides == want.strides
    np.testing.assert_array_equal(_bits(got), _bits(want))
    inplace = x.copy(order="K")
    assert common.maximum_zero(np, inplace, out=inplace) is inplace
    np.testing.assert_array_equal(_bits(inplace), _bits(want))
    other = np.empty(x.shape, np.float32)  # C order whatever x's layout
    common.maximum_zero(np, x, out=other)
    np.testing.assert_array_equal(_bits(other), _bits(want))


def test_maximum_zero_integers_and_row_lengths():
    x = np.arange(-20000, 20000, dtype=np.int64).reshape(40, 1000)
    np.testing.assert_array_equal(common.maximum_zero(np, x), np.maximum(x, 0))
    for size in (40000, 8192 * 7, 65537 * 3, 100003):  # a divisor in range, or none at all
        n = common._zero_row_length(size)
        assert n == 0 or (size % n == 0 and (n == size or n >= common.ZERO_ROW[0]))


# ---------------------------------------------------------------- GEMMs in row blocks

@pytest.fixture(params=[True, False], ids=["row-blocks", "one-gemm"])
def row_blocks(request, monkeypatch):
    monkeypatch.setattr(linalg, "ROW_BLOCKS", request.param)
    return request.param


@pytest.mark.parametrize("m, k, n", [(64, 300, 100), (100, 300, 100), (37, 50, 1000),
                                     (8, 784, 128), (3000, 40, 10)])
def test_gemm_matches_float64(row_blocks, m, k, n):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((m, k)).astype(np.float32)
    y = rng.standard_normal((k, n)).astype(np.float32)
    want = x.astype(np.float64) @ y.astype(np.float64)
    np.testing.assert_allclose(linalg.gemm(np, x, y), want, rtol=1e-4, atol=1e-4)
    out = np.full((m, n), np.nan, np.float32)
    assert linalg.gemm(np, x, y, out=out) is out
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)
    # a transposed row-major y (linear's x @ w.T) takes the same path
    yt = np.ascontiguousarray(y.T).T
    np.testing.assert_allclose(linalg.gemm(np, x, yt), want, rtol=1e-4, atol=1e-4)
    out = np.full((m, n), np.nan, np.float32)
    assert linalg.gemm(np, x, yt, out=out) is out
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)
    # neither row- nor column-major: NumPy's matmul copes
    strided = np.ascontiguousarray(np.repeat(y, 2, axis=1))[:, ::2]
    np.testing.assert_allclose(linalg.gemm(np, x, strided), want, rtol=1e-4, atol=1e-4)


def test_matmul_fused_linear_and_out_kernel_agree_bit_for_bit(row_blocks):
    """The fusion pass relies on it: fused_linear and the out= kernel compute matmul's bits."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 300)).astype(np.float32)
    w = rng.standard_normal((300, 100)).astype(np.float32)
    b = rng.standard_normal(100).astype(np.float32)
    plain = get("matmul").forward(np, x, w)
    if not row_blocks:
        np.testing.assert_array_equal(_bits(plain), _bits(x @ w))
    fused_out = get("fused_linear").forward(np, x, w, b, activation="relu")
    np.testing.assert_array_equal(_bits(fused_out), _bits(np.maximum(plain + b, 0)))
    out_kernel, _ = fused.forward_out("matmul")
    np.testing.assert_array_equal(_bits(out_kernel(np, np.empty_like(plain), x, w)), _bits(plain))
    lead = get("matmul").forward(np, x.reshape(4, 25, 300), w)
    np.testing.assert_array_equal(_bits(lead.reshape(100, 100)), _bits(plain))


def test_linear_layouts_agree_bit_for_bit(row_blocks):
    """linear (w [out, in]), fused_linear(transpose_w) and matmul(transpose_y) + add all take
    gemm's path for x @ w.T, so fusing linear's ops keeps its bits, with or without a batch."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    w = rng.standard_normal((128, 784)).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    want = x.astype(np.float64) @ w.T.astype(np.float64) + b
    lin = get("linear").forward(np, x, w, b)
    np.testing.assert_allclose(lin, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(
        _bits(get("fused_linear").forward(np, x, w, b, transpose_w=True)), _bits(lin))
    np.testing.assert_array_equal(
        _bits(get("matmul").forward(np, x, w, transpose_y=True) + b), _bits(lin))
    batched = get("linear").forward(np, x.reshape(8, 8, 784), w, b)
    np.testing.assert_array_equal(_bits(batched.reshape(64, 128)), _bits(lin))
    fused3 = get("fused_linear").forward(np, x.reshape(8, 8, 784), w, b, transpose_w=True)
    np.testing.assert_array_equal(_bits(fused3.reshape(64, 128)), _bits(lin))


# ---------------------------------------------------------------- conv2d: columns and GEMMs

@pytest.fixture(params=["default", "chunked"])
def small_blocks(request, monkeypatch):
    """'chunked': column blocks of ~2 KB and row chunks of ~4 KB, so that every convolution
    below runs in several chunks and several GEMM blocks."""
    if request.param == "chunked":
        monkeypatch.setattr(conv, "GEMM_BYTES", 2048)
        monkeypatch.setattr(conv, "FORWARD_BYTES", 4096)
        conv._column_blocks.cache_clear()
        yield
        conv._column_blocks.cache_clear()
    else:
        yield


CONVS = [  # (x shape, w shape, attrs)
    ((5, 1, 12, 11), (6, 1, 5, 5), {}),  # LeNet's first layer: one input channel
    ((1, 1, 9, 9), (3, 1, 3, 3), {}),  # batch 1
    ((3, 4, 9, 10), (6, 2, 3, 3), {"groups": 2, "stride": (2, 1), "padding": (1, 2)}),
    ((2, 3, 10, 9), (4, 3, 3, 2), {"stride": (3, 2), "padding": (2, 1, 0, 1),
                                   "dilation": (1, 2)}),
    ((2, 2, 11, 8), (4, 1, 2, 3), {"groups": 2, "dilation": (2, 1)}),  # rows dilated
    ((4, 6, 4, 4), (16, 6, 3, 3), {"padding": (1, 1)}),
]


@pytest.mark.parametrize("xshape, wshape, attrs", CONVS)
def test_conv2d_forward_paths(small_blocks, xshape, wshape, attrs):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    want = conv2d_ref(x, w, **attrs)
    got = get("conv2d")(x, w, **attrs)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    # the batch-last layout a convolution leaves behind (the next layer's input)
    lay = np.ascontiguousarray(x.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)
    np.testing.assert_allclose(get("conv2d")(lay, w, **attrs), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("xshape, wshape, attrs", CONVS)
@pytest.mark.parametrize("bias", ["channel", "full", "none"])
def test_fused_conv2d_epilogues(small_blocks, xshape, wshape, attrs, bias):
    """The fused kernel is conv2d, then add, then relu - bit for bit (the unfused plan)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    y = get("conv2d")(x, w, **attrs)
    b = {"channel": rng.standard_normal((wshape[0], 1, 1)), "none": None,
         "full": rng.standard_normal(y.shape[1:])}[bias]
    b = None if b is None else b.astype(np.float32)
    want = get("relu")(y if b is None else get("add")(y, b))
    got = get("fused_conv2d")(x, w, b, activation="relu", **attrs)
    np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("pool", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                         "padding": 1, "ceil_mode": True}])
@pytest.mark.parametrize("activation", ["relu", "none"])
def test_fused_conv2d_max_pool2d_is_pool_of_fused_conv2d(small_blocks, pool, activation):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 11, 10)).astype(np.float32)
    w = rng.standard_normal((5, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal((5, 1, 1)).astype(np.float32)
    want = get("max_pool2d")(get("fused_conv2d")(x, w, b, activation=activation), **pool)
    got = get("fused_conv2d_max_pool2d")(x, w, b, activation=activation,
                                         **{"pool_" + k: v for k, v in pool.items()})
    np.testing.assert_array_equal(got, want)  # -0.0 and 0.0 may differ in sign only
    np.testing.assert_allclose(got, max_pool2d_ref(conv2d_ref(x, w) + b if activation == "none"
                                                   else np.maximum(conv2d_ref(x, w) + b, 0),
                                                   **pool), rtol=1e-4, atol=1e-4)


def test_fused_conv2d_max_pool2d_rejects_a_spatial_bias():
    x = np.ones((1, 1, 6, 6), np.float32)
    w = np.ones((2, 1, 3, 3), np.float32)
    with pytest.raises(Exception, match="per channel"):
        get("fused_conv2d_max_pool2d")(x, w, np.ones((2, 4, 4), np.float32))


# ---------------------------------------------------------------- conv2d gradients in chunks

GRAD_CONVS = CONVS + [  # stride 1: the input gradient is a convolution of the padded g
    ((3, 1, 7, 6), (4, 1, 3, 3), {"padding": (1, 1)}),  # one input channel
    ((1, 4, 6, 7), (6, 2, 3, 3), {"groups": 2, "padding": (2, 1, 1, 2)}),  # batch 1
    ((2, 3, 7, 8), (4, 3, 3, 2), {"dilation": (2, 2), "padding": (2, 1)}),
    ((2, 3, 6, 6), (3, 3, 1, 1), {}),  # 1x1
    ((2, 2, 5, 5), (2, 2, 3, 3), {"padding": (3, 0)}),  # padded past the kernel: col2im
]


@pytest.mark.parametrize("chunk", ["one", "per-row"])
@pytest.mark.parametrize("layout", ["c", "batch-last"])
@pytest.mark.parametrize("xshape, wshape, attrs", GRAD_CONVS)
def test_conv2d_gradients_in_row_chunks(monkeypatch, chunk, layout, xshape, wshape, attrs):
    """The gradient kernels build their columns in chunks of output rows (COLUMN_BYTES,
    WEIGHT_GRAD_BYTES, FORWARD_BYTES) and contract in blocks (CONTRACT_BYTES, GEMM_BYTES):
    one chunk, or one per output row and tiny blocks, give the reference's gradients."""
    from tests.ops.specs.conv import conv2d_input_grad_ref, conv2d_weight_grad_ref

    size = 1 << 30 if chunk == "one" else 1
    for name in ("COLUMN_BYTES", "WEIGHT_GRAD_BYTES", "FORWARD_BYTES", "CONTRACT_BYTES",
                 "GEMM_BYTES"):
        monkeypatch.setattr(conv, name, size if name != "GEMM_BYTES" else max(size, 64))
    conv._column_blocks.cache_clear()
    rng = np.random.default_rng(5)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    g = rng.standard_normal(conv2d_ref(x, w, **attrs).shape).astype(np.float32)
    gx_want = conv2d_input_grad_ref(g, x, w, **attrs)
    gw_want = conv2d_weight_grad_ref(g, x, w, **attrs)
    x, g = LAYOUTS[layout](x), LAYOUTS[layout](g)
    np.testing.assert_allclose(get("conv2d_input_grad")(g, x, w, **attrs), gx_want,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(get("conv2d_weight_grad")(g, x, w, **attrs), gw_want,
                               rtol=1e-4, atol=1e-4)
    conv._column_blocks.cache_clear()


# ---------------------------------------------------------------- fused_linear heads

def _log_softmax_ref(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("transpose_w", [False, True])
@pytest.mark.parametrize("n,c", [(64, 10), (8, 10), (40, 33)])  # the transposed path: (64, 10)
def test_fused_linear_heads_are_the_unfused_ops_bit_for_bit(transpose_w, n, c):
    """fused_linear(activation log_softmax | softmax) is the plain product, the bias add and
    the softmax kernel, to the bit (the pass relies on it), and the NumPy formula within
    float tolerance."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((n, 50)).astype(np.float32)
    w = rng.standard_normal((c, 50) if transpose_w else (50, c)).astype(np.float32)
    b = (rng.standard_normal(c) * 3).astype(np.float32)
    plain = get("fused_linear").forward(np, x, w, b, transpose_w=transpose_w)
    wm = w.T if transpose_w else w
    ref = x.astype(np.float64) @ wm.astype(np.float64) + b
    for head, formula in (("log_softmax", _log_softmax_ref),
                          ("softmax", lambda z: np.exp(_log_softmax_ref(z)))):
        got = get("fused_linear").forward(np, x, w, b, transpose_w=transpose_w,
                                          activation=head)
        want = get(head).forward(np, plain.copy(), axis=1)
        assert got.flags.c_contiguous and got.shape == (n, c) and got.dtype == np.float32
        np.testing.assert_array_equal(_bits(got), _bits(want))
        np.testing.assert_allclose(got, formula(ref), rtol=1e-4, atol=1e-5)
    no_bias = get("fused_linear").forward(np, x, w, None, transpose_w=transpose_w,
                                          activation="log_softmax")
    np.testing.assert_allclose(no_bias, _log_softmax_ref(x.astype(np.float64) @ wm), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("head", ["log_softmax", "softmax"])
def test_fused_linear_head_gradients_match_finite_differences(head):
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((20, 6)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    g = rng.standard_normal((20, 4))
    op = get("fused_linear")

    def f(x, w, b):
        return float((op.forward(np, x, w, b, activation=head) * g).sum())

    out = op.forward(np, x, w, b, activation=head)
    grads = op.vjp(g, x, w, b, out=out, activation=head)
    for k, a in enumerate((x, w, b)):
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            args = [x.copy(), w.copy(), b.copy()]
            args[k][i] += 1e-6
            hi = f(*args)
            args[k][i] -= 2e-6
            num[i] = (hi - f(*args)) / 2e-6
        np.testing.assert_allclose(grads[k], num, rtol=1e-5, atol=1e-7)


def test_fused_linear_rejects_a_head_elsewhere():
    from dualnet.ops.registry import OpError

    x = np.ones((4, 3), np.float32)
    with pytest.raises(OpError, match="fused_conv2d: activation must be one of none, relu, "
                                      "tanh, sigmoid, got 'log_softmax'"):
        get("fused_conv2d")(x.reshape(1, 1, 4, 3), np.ones((1, 1, 1, 1), np.float32), None,
                            activation="log_softmax")
    with pytest.raises(OpError, match="fused_linear: activation must be one of.*log_softmax, "
                                      "softmax, got 'gelu'"):
        get("fused_linear")(x, np.ones((3, 2), np.float32), None, activation="gelu")


# ---------------------------------------------------------------- batch-norm channel sums

@pytest.mark.parametrize("layout", ["c", "batch-last", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_batch_norm_statistics_in_every_layout(layout, dtype):
    """norm._channel_sum adds a C-contiguous NumPy input over N as rows, then over the spatial
    dims; other layouts take one reduction. Both against float64 sums (float16 adds up in
    float32, as mean does)."""
    from dualnet.ops.norm import _channel_sum

    rng = np.random.default_rng(0)
    x = LAYOUTS[layout]((rng.standard_normal((6, 3, 8, 5)) * 2 + 1).astype(dtype))
    got = _channel_sum(np, x)
    want = x.astype(np.float64).sum(axis=(0, 2, 3))
    assert got.dtype == x.dtype and got.shape == (3,)
    np.testing.assert_allclose(got, want, rtol=2e-3 if dtype == "float16" else 1e-5)
    y, mean, var = get("batch_norm").forward(np, x, None, None, None, None, training=True)
    x64 = x.astype(np.float64)
    mu, v = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3), ddof=1)
    tol = 2e-3 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(mean, mu, rtol=tol, atol=tol)
    np.testing.assert_allclose(var, v, rtol=tol)
    gx, gw, gb = get("batch_norm_grad").forward(np, np.ones_like(x), x, None, None, None,
                                                training=True)
    np.testing.assert_allclose(gb, np.full(3, x[:, 0].size), rtol=tol)  # sum of ones
    np.testing.assert_allclose(gx.astype(np.float64), 0.0, atol=5e-2 if dtype == "float16"
                               else 1e-5)  # a constant gradient does not move normalized x


# ---------------------------------------------------------------- last-axis reductions

@pytest.mark.parametrize("shape,k", [((64, 8, 16), 1), ((300, 7), 1), ((5, 6, 4, 3), 2),
                                     ((40, 128), 1), ((3, 0, 4), 1), ((2, 3), 2),
                                     ((3, 5000), 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("layout", ["c", "strided"])
def test_last_axes_sum_and_max_match_numpy(shape, k, dtype, layout):
    """common.last_axes_sum (einsum over the rows) and last_axis_max (short rows on a
    transposed copy) against float64 sums and NumPy's max, keepdims, in every path."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(dtype)
    x = x[..., ::2] if layout == "strided" else np.ascontiguousarray(x[..., :shape[-1]])
    got = common.last_axes_sum(np, x, k)
    want = x.astype(np.float64).sum(axis=tuple(range(x.ndim - k, x.ndim)), keepdims=True)
    assert got.shape == want.shape and got.dtype == x.dtype
    np.testing.assert_allclose(got, want, rtol=1e-2 if dtype == "float16" else 1e-5,
                               atol=1e-2 if dtype == "float16" else 1e-5)
    if x.size:
        np.testing.assert_array_equal(common.last_axis_max(np, x),
                                      x.max(axis=-1, keepdims=True))


def test_last_axis_max_propagates_nan_and_infinities():
    x = np.random.default_rng(1).standard_normal((100, 8)).astype(np.float32)
    x[3, 5], x[7, 0], x[9, 2] = np.nan, np.inf, -np.inf
    np.testing.assert_array_equal(common.last_axis_max(np, x), x.max(axis=-1, keepdims=True))
