"""torch's math / linear-algebra / random API in dualnet_eager (_mathx.py, linalg.py): values
against independent NumPy references, gradients against central differences (float64),
PyTorch's defaults and return types, random functions statistically, and error cases."""
import math

import numpy as np
import pytest

import dualnet_eager as torch
from tests.ops.test_ops import _numeric_grad

RNG = np.random.default_rng(11)


def randn(*shape):
    return RNG.standard_normal(shape)


def well(n, *batch):
    return RNG.standard_normal(batch + (n, n)) + 3 * np.eye(n)


def spd(n, *batch):
    x = RNG.standard_normal(batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def spread(m, n):
    u, _ = np.linalg.qr(RNG.standard_normal((m, m)))
    v, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    s = np.zeros((m, n))
    k = min(m, n)
    s[range(k), range(k)] = np.arange(k, 0, -1) + 0.5
    return u @ s @ v.T


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def check_grad(fn, *arrays, argnums=None, atol=1e-6, rtol=1e-5):
    """Gradient of sum(fn(*tensors) * cot) through the tape vs central differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    argnums = range(len(arrays)) if argnums is None else argnums
    ts = [T(a, i in argnums) for i, a in enumerate(arrays)]
    out = fn(*ts)
    cot = RNG.standard_normal(tuple(out.shape))
    (out * T(cot)).sum().backward()

    def objective():
        return float(np.sum(fn(*[T(a) for a in arrays]).numpy() * cot))

    for i in argnums:
        numeric = _numeric_grad(objective, arrays[i], 1e-6)
        np.testing.assert_allclose(ts[i].grad.numpy(), numeric, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")


# ---------------------------------------------------------------- products

def test_fused_products_values_and_defaults():
    i, a, b = randn(3, 4), randn(3, 5), randn(5, 4)
    out = torch.addmm(T(i), T(a), T(b), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * i + 2 * a @ b)
    nan = np.full((3, 4), np.nan)
    assert not np.isnan(torch.addmm(T(nan), T(a), T(b), beta=0).numpy()).any()
    v = randn(5)
    np.testing.assert_allclose(torch.addmv(T(randn(3) * 0), T(a), T(v)).numpy(), a @ v)
    b1, b2, c = randn(2, 3, 5), randn(2, 5, 4), randn(3, 4)
    np.testing.assert_allclose(torch.addbmm(T(c), T(b1), T(b2)).numpy(), c + (b1 @ b2).sum(0))
    np.testing.assert_allclose(torch.baddbmm(T(c), T(b1), T(b2), alpha=3).numpy(),
                               c + 3 * b1 @ b2)
    x, y, z = randn(3, 4), randn(3, 4), randn(3, 4) + 5
    np.testing.assert_allclose(torch.addcmul(T(x), T(y), T(z), value=0.5).numpy(),
                               x + 0.5 * y * z)
    np.testing.assert_allclose(T(x).addcdiv(T(y), T(z), value=2).numpy(), x + 2 * y / z)
    t = T(x)
    t.addcmul_(T(y), T(z))
    np.testing.assert_allclose(t.numpy(), x + y * z)
    check_grad(lambda i, a, b: torch.addmm(i, a, b, beta=0.3, alpha=-1.5), i, a, b)
    check_grad(lambda x, y, z: torch.addcdiv(x, y, z, value=0.7), x, y, z)


def test_outer_kron_cross_inner():
    u, v = randn(3), randn(4)
    np.testing.assert_allclose(torch.outer(T(u), T(v)).numpy(), np.outer(u, v))
    np.testing.assert_allclose(T(u).ger(T(v)).numpy(), np.outer(u, v))
    a, b = randn(2, 3), randn(3, 2, 2)
    np.testing.assert_allclose(torch.kron(T(a), T(b)).numpy(), np.kron(a, b))
    check_grad(torch.kron, a, randn(2, 2))
    p, q = randn(4, 3), randn(4, 3)
    np.testing.assert_allclose(torch.cross(T(p), T(q), dim=1).numpy(), np.cross(p, q))
    np.testing.assert_allclose(torch.linalg.cross(T(p), T(q)).numpy(), np.cross(p, q))
    np.testing.assert_allclose(torch.cross(T(p.T), T(q.T)).numpy(), np.cross(p, q).T)
    check_grad(lambda x, y: torch.linalg.cross(x, y), p, q)
    x, y = randn(2, 3, 4), randn(5, 4)
    np.testing.assert_allclose(torch.inner(T(x), T(y)).numpy(), np.inner(x, y))
    np.testing.assert_allclose(torch.vdot(T(u), T(u)).numpy(), np.vdot(u, u))
    mats = [randn(2, 3), randn(3, 4), randn(4, 2)]
    np.testing.assert_allclose(torch.linalg.multi_dot([T(m) for m in mats]).numpy(),
                               mats[0] @ mats[1] @ mats[2])
    np.testing.assert_allclose(torch.chain_matmul(*[T(m) for m in mats]).numpy(),
                               mats[0] @ mats[1] @ mats[2])
    np.testing.assert_allclose(torch.linalg.vecdot(T(x), T(x)).numpy(), (x * x).sum(-1))
    with pytest.raises(RuntimeError, match="length 3"):
        torch.linalg.cross(T(randn(4, 2)), T(randn(4, 2)))
    with pytest.raises(RuntimeError, match="last dimension must match"):
        torch.inner(T(randn(2, 3)), T(randn(2, 4)))


# ---------------------------------------------------------------- matrix functions

def test_det_slogdet_inv_solve_values_and_types():
    a = randn(2, 3, 3)
    np.testing.assert_allclose(torch.det(T(a)).numpy(), np.linalg.det(a))
    np.testing.assert_allclose(torch.linalg.det(T(a)).numpy(), np.linalg.det(a))
    res = torch.linalg.slogdet(T(a))
    sign, logabs = np.linalg.slogdet(a)
    np.testing.assert_allclose(res.sign.numpy(), sign)
    np.testing.assert_allclose(res.logabsdet.numpy(), logabs)
    s2, l2 = torch.slogdet(T(a))
    np.testing.assert_allclose(l2.numpy(), logabs)
    ld = torch.logdet(T(a)).numpy()
    np.testing.assert_allclose(ld[sign > 0], logabs[sign > 0])
    assert np.isnan(ld[sign < 0]).all()
    w = well(3, 2)
    np.testing.assert_allclose(torch.linalg.inv(T(w)).numpy(), np.linalg.inv(w))
    np.testing.assert_allclose(T(w).inverse().numpy(), np.linalg.inv(w))
    b, vec = randn(3, 2), randn(2, 3)
    np.testing.assert_allclose(torch.linalg.solve(T(w), T(b)).numpy(),
                               np.linalg.solve(w, np.broadcast_to(b, (2, 3, 2))))
    np.testing.assert_allclose(torch.linalg.solve(T(w), T(vec)).numpy(),
                               np.linalg.solve(w, vec[..., None])[..., 0])
    left = torch.linalg.solve(T(w), T(randn(2, 4, 3)), left=False)
    np.testing.assert_allclose((left @ T(w)).numpy().shape, (2, 4, 3))
    np.testing.assert_allclose(torch.linalg.matrix_power(T(w[0]), 3).numpy(),
                               np.linalg.matrix_power(w[0], 3))
    np.testing.assert_allclose(T(w[0]).matrix_power(-2).numpy(),
                               np.linalg.matrix_power(w[0], -2))
    np.testing.assert_allclose(torch.matrix_power(T(w), 0).numpy(), np.broadcast_to(np.eye(3),
                                                                                   (2, 3, 3)))


def test_matrix_function_gradients():
    check_grad(torch.det, well(3))
    check_grad(lambda a: torch.logdet(a), spd(3))
    check_grad(lambda a: torch.linalg.slogdet(a).logabsdet, randn(2, 3, 3))
    check_grad(torch.linalg.inv, well(3, 2))
    check_grad(torch.linalg.solve, well(3, 2), randn(3, 2))
    check_grad(torch.linalg.solve, well(3), randn(3))
    check_grad(lambda a: torch.linalg.matrix_power(a, -2), well(3))
    check_grad(lambda a: torch.linalg.cholesky(a), spd(3))
    check_grad(lambda a: torch.linalg.cholesky(a, upper=True), spd(3, 2))
    check_grad(lambda a: torch.linalg.pinv(a), spread(4, 3))
    check_grad(lambda a, b: torch.linalg.lstsq(a, b).solution, spread(5, 3), randn(5, 2))
    check_grad(lambda b, l: torch.cholesky_solve(b, l), randn(3, 2),
               np.linalg.cholesky(spd(3)), argnums=(0,))


def test_decompositions_values_types_and_gradients():
    a = spd(3, 2)
    L = torch.linalg.cholesky(T(a))
    np.testing.assert_allclose(L.numpy(), np.linalg.cholesky(a))
    np.testing.assert_allclose(torch.cholesky(T(a), upper=True).numpy(),
                               np.swapaxes(np.linalg.cholesky(a), -1, -2))
    b = randn(2, 3, 2)
    np.testing.assert_allclose(torch.cholesky_solve(T(b), L).numpy(), np.linalg.solve(a, b))
    m = randn(5, 3)
    q, r = torch.linalg.qr(T(m))
    nq, nr = np.linalg.qr(m)
    np.testing.assert_allclose(q.numpy(), nq)
    np.testing.assert_allclose(r.numpy(), nr)
    assert torch.linalg.qr(T(m), mode="complete").Q.shape == (5, 5)
    assert torch.linalg.qr(T(m), mode="r").Q.numel() == 0
    assert torch.qr(T(m), some=False).R.shape == (5, 3)
    check_grad(lambda x: torch.linalg.qr(x).Q, m)
    check_grad(lambda x: torch.linalg.qr(x).R, randn(2, 4, 4))
    s = spread(4, 3)
    U, S, Vh = torch.linalg.svd(T(s))  # full_matrices=True by default
    assert (U.shape, S.shape, Vh.shape) == ((4, 4), (3,), (3, 3))
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(s, compute_uv=False))
    U, S, V = torch.svd(T(s))  # some=True, V (not Vh)
    assert (U.shape, V.shape) == ((4, 3), (3, 3))
    np.testing.assert_allclose((U * S) @ V.T, s, atol=1e-12)
    U0, S0, V0 = torch.svd(T(s), compute_uv=False)
    assert U0.shape == (4, 4) and V0.shape == (3, 3) and not U0.numpy().any()
    np.testing.assert_allclose(torch.linalg.svdvals(T(s)).numpy(), S.numpy())
    check_grad(lambda x: torch.linalg.svd(x, full_matrices=False).U, s)
    check_grad(lambda x: torch.linalg.svd(x, full_matrices=False).Vh, spread(3, 5))
    check_grad(lambda x: torch.linalg.svd(x).U[:, :3], s)  # full_matrices: reduced part
    check_grad(lambda x: torch.svd(x).V, s)
    check_grad(torch.linalg.svdvals, s)
    sym = randn(3, 3)
    sym = sym + sym.T + np.diag([0.0, 4.0, 8.0])
    w, v = torch.linalg.eigh(T(sym))
    nw, nv = np.linalg.eigh(sym)
    np.testing.assert_allclose(w.numpy(), nw)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(nv))
    np.testing.assert_allclose(torch.linalg.eigvalsh(T(sym)).numpy(), nw)
    check_grad(lambda x: torch.linalg.eigh(x).eigenvectors, sym, atol=1e-5)
    check_grad(torch.linalg.eigvalsh, sym)
    assert int(torch.linalg.matrix_rank(T(spread(4, 3)))) == 3
    low = randn(4, 2) @ randn(2, 3)
    assert int(torch.linalg.matrix_rank(T(low))) == 2
    np.testing.assert_allclose(torch.linalg.pinv(T(low)).numpy(), np.linalg.pinv(low),
                               atol=1e-10)
    np.testing.assert_allclose(torch.pinverse(T(low)).numpy(), np.linalg.pinv(low), atol=1e-10)


def test_lstsq_and_norms():
    a, b = randn(6, 3), randn(6, 2)
    res = torch.linalg.lstsq(T(a), T(b))
    x, resid, rank, _ = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(res.solution.numpy(), x)
    np.testing.assert_allclose(res.residuals.numpy(), resid)
    assert int(res.rank) == rank and res.singular_values.numel() == 0
    m = randn(2, 3, 4)
    for ord_ in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        np.testing.assert_allclose(torch.linalg.matrix_norm(T(m), ord_).numpy(),
                                   np.linalg.norm(m, ord_, axis=(-2, -1)), err_msg=str(ord_))
    np.testing.assert_allclose(torch.linalg.matrix_norm(T(m), 1, dim=(0, 2), keepdim=True)
                               .numpy(), np.linalg.norm(m, 1, axis=(0, 2), keepdims=True))
    v = randn(3, 5)
    for ord_ in (2, 1, 3, 0, math.inf, -math.inf):
        np.testing.assert_allclose(torch.linalg.vector_norm(T(v), ord_, dim=1).numpy(),
                                   np.linalg.norm(v, ord_, axis=1), err_msg=str(ord_))
    np.testing.assert_allclose(torch.linalg.norm(T(m)).numpy(), np.linalg.norm(m.ravel()))
    np.testing.assert_allclose(torch.linalg.norm(T(v), "nuc").numpy(), np.linalg.norm(v, "nuc"))
    np.testing.assert_allclose(torch.linalg.norm(T(v), dim=1).numpy(), np.linalg.norm(v, axis=1))
    np.testing.assert_allclose(torch.dist(T(v), T(v * 0), 3).numpy(),
                               np.linalg.norm(v.ravel(), 3))
    check_grad(lambda x: torch.linalg.matrix_norm(x, "nuc"), spread(4, 3))
    check_grad(lambda x: torch.linalg.vector_norm(x, 3, dim=0), v)


def test_cdist():
    x1, x2 = randn(2, 4, 3), randn(2, 5, 3)
    ref = np.linalg.norm(x1[:, :, None] - x2[:, None], axis=-1)
    np.testing.assert_allclose(torch.cdist(T(x1), T(x2)).numpy(), ref)
    ref1 = np.abs(x1[:, :, None] - x2[:, None]).sum(-1)
    np.testing.assert_allclose(torch.cdist(T(x1), T(x2), p=1).numpy(), ref1)
    check_grad(torch.cdist, x1, x2)
    x = T(x1[0], grad=True)
    torch.cdist(x, x).sum().backward()  # zero distances on the diagonal: finite gradient
    assert np.isfinite(x.grad.numpy()).all()


def test_linalg_errors():
    with pytest.raises(RuntimeError, match="square"):
        torch.linalg.inv(T(randn(2, 3)))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.linalg.det(T(randn(3)))
    with pytest.raises(RuntimeError, match="singular"):
        torch.linalg.inv(T(np.ones((3, 3))))
    with pytest.raises(RuntimeError, match="positive-definite"):
        torch.linalg.cholesky(T(-np.eye(3)))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        torch.linalg.solve(T(well(3)), T(randn(4, 2)))
    with pytest.raises(RuntimeError, match="floating point"):
        torch.linalg.inv(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError):
        torch.mm(T(randn(2, 3)), T(randn(2, 3)))
    with pytest.raises(RuntimeError, match="cannot be chained"):
        torch.linalg.multi_dot([T(randn(2, 3)), T(randn(2, 3))])
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        torch.linalg.qr(T(randn(3, 3)), mode="full")


# ---------------------------------------------------------------- elementwise math

def _erfinv_bisect(v):
    lo, hi = -6.0, 6.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
    return 0.5 * (lo + hi)


def test_elementwise_values():
    x, y = randn(3, 4), randn(3, 4)
    u = RNG.uniform(-0.95, 0.95, (3, 4))
    cases = {
        "atan2": (torch.atan2(T(x), T(y)), np.arctan2(x, y)),
        "arctan2": (torch.arctan2(T(x), T(y)), np.arctan2(x, y)),
        "hypot": (torch.hypot(T(x), T(y)), np.hypot(x, y)),
        "lerp": (torch.lerp(T(x), T(y), 0.3), x + 0.3 * (y - x)),
        "erfc": (torch.erfc(T(x)), np.vectorize(math.erfc)(x)),
        "expm1": (torch.expm1(T(x * 1e-9)), np.expm1(x * 1e-9)),
        "log1p": (torch.log1p(T(x * 1e-9)), np.log1p(x * 1e-9)),
        "exp2": (torch.exp2(T(x)), np.exp2(x)),
        "log2": (torch.log2(T(np.abs(x))), np.log2(np.abs(x))),
        "log10": (torch.log10(T(np.abs(x))), np.log10(np.abs(x))),
        "logaddexp": (torch.logaddexp(T(x * 300), T(y * 300)), np.logaddexp(x * 300, y * 300)),
        "logaddexp2": (torch.logaddexp2(T(x), T(y)), np.logaddexp2(x, y)),
        "logit": (torch.logit(T(u * 0.5 + 0.5)), np.log((u * .5 + .5) / (1 - (u * .5 + .5)))),
        "sinc": (torch.sinc(T(x)), np.sinc(x)),
        "frac": (torch.frac(T(x * 3)), np.modf(x * 3)[0]),
        "fix": (torch.fix(T(x * 3)), np.fix(x * 3)),
        "deg2rad": (torch.deg2rad(T(x)), np.deg2rad(x)),
        "rad2deg": (torch.rad2deg(T(x)), np.rad2deg(x)),
        "fmod": (torch.fmod(T(x * 5), 1.5), np.fmod(x * 5, 1.5)),
        "fmod-neg": (torch.fmod(T(x * 5), T(y)), np.fmod(x * 5, y)),
        "remainder": (torch.remainder(T(x * 5), -1.5), np.remainder(x * 5, -1.5)),
        "floor_divide": (torch.floor_divide(T(x * 5), 1.5), np.floor_divide(x * 5, 1.5)),
        "tan": (torch.tan(T(x)), np.tan(x)),
        "asin": (torch.asin(T(u)), np.arcsin(u)),
        "acos": (torch.acos(T(u)), np.arccos(u)),
        "atan": (torch.atan(T(x)), np.arctan(x)),
        "sinh": (torch.sinh(T(x)), np.sinh(x)),
        "sinh-tiny": (torch.sinh(T(x * 1e-12)), np.sinh(x * 1e-12)),
        "cosh": (torch.cosh(T(x)), np.cosh(x)),
        "asinh": (torch.asinh(T(x * 10)), np.arcsinh(x * 10)),
        "asinh-tiny": (torch.asinh(T(x * 1e-12)), np.arcsinh(x * 1e-12)),
        "acosh": (torch.acosh(T(np.abs(x) + 1)), np.arccosh(np.abs(x) + 1)),
        "atanh": (torch.atanh(T(u)), np.arctanh(u)),
        "clamp_min": (torch.clamp_min(T(x), 0.1), np.maximum(x, 0.1)),
        "clamp_max": (T(x).clamp_max(T(y)), np.minimum(x, y)),
        "float_power": (torch.float_power(T(np.abs(x)), 1.5), np.abs(x) ** 1.5),
        "erfinv": (torch.erfinv(T(u)), np.vectorize(_erfinv_bisect)(u)),
    }
    for name, (got, want) in cases.items():
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12, err_msg=name)
    e32 = torch.erfinv(torch.tensor(u.astype(np.float32)))
    assert e32.dtype == torch.float32
    np.testing.assert_allclose(e32.numpy(), np.vectorize(_erfinv_bisect)(u), rtol=1e-5)
    np.testing.assert_array_equal(torch.erfinv(torch.tensor([1.0, -1.0, 2.0])).numpy(),
                                  [np.inf, -np.inf, np.nan])
    assert torch.float_power(torch.tensor([2.0]), 2).dtype == torch.float64
    assert torch.atan2(torch.tensor([1, 2]), torch.tensor([3, 4])).dtype == torch.float32
    assert torch.tan(torch.tensor([1, 2])).dtype == torch.float32
    sb = torch.signbit(torch.tensor([-1.0, -0.0, 0.0, 2.0]))
    np.testing.assert_array_equal(sb.numpy(), [True, True, False, False])
    np.testing.assert_array_equal(torch.signbit(torch.tensor([-3, 0, 3])).numpy(),
                                  [True, False, False])
    h = torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([0.5]))
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.5, 1.0])
    xl = torch.xlogy(torch.tensor([0.0, 2.0, 0.0]), torch.tensor([0.0, 3.0, float("nan")]))
    np.testing.assert_allclose(xl.numpy(), [0.0, 2 * np.log(3.0), np.nan])
    np.testing.assert_array_equal(torch.fmod(torch.tensor([-7, 7]), 3).numpy(), [-1, 1])
    assert torch.logaddexp(torch.tensor([-np.inf]), torch.tensor([-np.inf])).item() == -np.inf
    t = T(x)
    t.trunc_()
    np.testing.assert_array_equal(t.numpy(), np.trunc(x))
    np.testing.assert_array_equal(T(x).ceil().numpy(), np.ceil(x))


def test_elementwise_gradients():
    x, y = randn(3, 4), randn(3, 4)
    u = RNG.uniform(-0.9, 0.9, (3, 4))
    check_grad(torch.atan2, x, y)
    check_grad(torch.hypot, x, y)
    check_grad(lambda a, b, w: torch.lerp(a, b, w), x, y, u)
    check_grad(torch.erfinv, u)
    check_grad(lambda a, b: torch.xlogy(a, b), x, np.abs(y) + 0.1)
    for fn in (torch.asin, torch.acos, torch.atanh, torch.tan):
        check_grad(fn, u)
    for fn in (torch.atan, torch.sinh, torch.cosh, torch.asinh, torch.expm1, torch.exp2,
               torch.sinc, torch.erfc, torch.deg2rad, torch.frac):
        check_grad(fn, x)
    check_grad(torch.logaddexp, x, y)
    check_grad(lambda a: torch.acosh(a), np.abs(x) + 1.1)
    check_grad(lambda a: torch.logit(a), u * 0.5 + 0.5)
    check_grad(lambda a: torch.log1p(a), np.abs(x))
    check_grad(lambda a, b: torch.fmod(a, b), x * 3 + 0.05, np.abs(y) + 0.5)
    z = T(np.zeros(3), grad=True)  # slope 1 at 0 (an odd function, not |x| * sign)
    torch.asinh(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 1.0)
    z = T(np.zeros(3), grad=True)
    torch.sinc(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 0.0)


# ---------------------------------------------------------------- reductions and statistics

def test_nan_reductions_quantile_and_moments():
    x = randn(4, 5)
    xn = x.copy()
    xn[0, 1] = xn[2, 3] = np.nan
    np.testing.assert_allclose(torch.nansum(T(xn), 1).numpy(), np.nansum(xn, 1))
    np.testing.assert_allclose(torch.nanmean(T(xn)).numpy(), np.nanmean(xn))
    np.testing.assert_allclose(T(xn).nanmean(0, keepdim=True).numpy(),
                               np.nanmean(xn, 0, keepdims=True))
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(
            torch.quantile(T(x), 0.3, dim=1, interpolation=method).numpy(),
            np.quantile(x, 0.3, axis=1, method=method), err_msg=method)
    q = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(torch.quantile(T(x), T(q), dim=0, keepdim=True).numpy(),
                               np.quantile(x, q, axis=0, keepdims=True))
    np.testing.assert_allclose(torch.quantile(T(x), T(q)).numpy(), np.quantile(x, q))
    np.testing.assert_allclose(torch.quantile(T(x), 0.4).numpy(), np.quantile(x, 0.4))
    assert np.isnan(torch.quantile(T(xn), 0.5, dim=1).numpy()[[0, 2]]).all()
    np.testing.assert_allclose(torch.nanquantile(T(xn), T(q), dim=1).numpy(),
                               np.nanquantile(xn, q, axis=1))
    check_grad(lambda a: torch.quantile(a, torch.tensor([0.25, 0.7], dtype=torch.float64),
                                        dim=1), x)
    with pytest.raises(RuntimeError, match="range"):
        torch.quantile(T(x), 1.5)
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.quantile(T(x), torch.tensor([0.5]))
    v, m = torch.var_mean(T(x), 1)
    np.testing.assert_allclose(v.numpy(), x.var(1, ddof=1))
    np.testing.assert_allclose(m.numpy(), x.mean(1))
    s, m = torch.std_mean(T(x), dim=0, correction=0, keepdim=True)
    np.testing.assert_allclose(s.numpy(), x.std(0, keepdims=True))
    mn, mx = torch.aminmax(T(x), dim=1)
    np.testing.assert_allclose(mn.numpy(), x.min(1))
    np.testing.assert_allclose(T(x).aminmax().max.numpy(), x.max())


def test_cov_corrcoef():
    x = randn(3, 6)
    np.testing.assert_allclose(torch.cov(T(x)).numpy(), np.cov(x))
    np.testing.assert_allclose(torch.cov(T(x), correction=0).numpy(), np.cov(x, ddof=0))
    fw = RNG.integers(1, 4, 6)
    aw = RNG.uniform(0.5, 2, 6)
    np.testing.assert_allclose(
        torch.cov(T(x), fweights=torch.tensor(fw), aweights=T(aw)).numpy(),
        np.cov(x, fweights=fw, aweights=aw))
    np.testing.assert_allclose(torch.cov(T(x[0])).numpy(), np.cov(x[0]))
    np.testing.assert_allclose(torch.corrcoef(T(x)).numpy(), np.corrcoef(x))
    check_grad(torch.cov, x)
    check_grad(torch.corrcoef, x)
    with pytest.raises(RuntimeError, match="integral"):
        torch.cov(T(x), fweights=T(aw))


# ---------------------------------------------------------------- creation and randomness

def test_logspace():
    np.testing.assert_allclose(torch.logspace(0, 3, 4).numpy(), [1, 10, 100, 1000], rtol=1e-6)
    out = torch.logspace(0, 4, 5, base=2, dtype=torch.float64)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), 2.0 ** np.arange(5))


def test_normal_overloads_statistics_and_seed():
    torch.manual_seed(3)
    a = torch.normal(2.0, 3.0, size=(20000,))
    assert a.shape == (20000,) and a.dtype == torch.float32
    assert abs(a.mean().item() - 2.0) < 0.1 and abs(a.std().item() - 3.0) < 0.1
    mean = torch.full((4, 5000), 1.5)
    b = torch.normal(mean)  # std=1.0
    assert b.shape == (4, 5000) and abs(b.mean().item() - 1.5) < 0.05
    c = torch.normal(mean, torch.full((5000,), 0.5))
    assert abs(c.std().item() - 0.5) < 0.03
    d = torch.normal(0.0, torch.full((5000,), 2.0))
    assert d.shape == (5000,) and abs(d.std().item() - 2.0) < 0.1
    torch.manual_seed(7)
    x1 = torch.normal(0.0, 1.0, (5,)).numpy()
    torch.manual_seed(7)
    np.testing.assert_array_equal(torch.normal(0.0, 1.0, (5,)).numpy(), x1)
    with pytest.raises(RuntimeError, match="std"):
        torch.normal(mean, -1.0)


def test_bernoulli_multinomial_poisson():
    torch.manual_seed(0)
    p = torch.full((20000,), 0.3)
    s = torch.bernoulli(p)
    assert s.dtype == torch.float32 and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert abs(s.mean().item() - 0.3) < 0.02
    assert abs(torch.bernoulli(torch.zeros(20000), 0.8).mean().item() - 0.8) < 0.02
    idx = torch.multinomial(torch.tensor([0.0, 1.0, 3.0]), 4000, replacement=True)
    counts = np.bincount(idx.numpy(), minlength=3) / 4000
    assert counts[0] == 0 and abs(counts[2] - 0.75) < 0.03
    no_rep = torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 1.0]), 4)
    assert sorted(no_rep.tolist()) == [0, 1, 2, 3]
    lam = torch.full((20000,), 4.0)
    k = torch.poisson(lam)
    assert abs(k.mean().item() - 4.0) < 0.1 and abs(k.var().item() - 4.0) < 0.2
    with pytest.raises(RuntimeError, match="range"):
        torch.bernoulli(torch.tensor([1.5]))


def test_tensor_random_fills():
    torch.manual_seed(1)
    n = 20000
    t = torch.empty(n)
    assert abs(t.bernoulli_(0.25).mean().item() - 0.25) < 0.02
    assert abs(t.exponential_(2.0).mean().item() - 0.5) < 0.02 and t.min().item() >= 0
    med = torch.empty(n).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(med) - 1.0) < 0.1
    ln = torch.empty(n, dtype=torch.float64).log_normal_(0.0, 0.5).log()
    assert abs(ln.mean().item()) < 0.02 and abs(ln.std().item() - 0.5) < 0.02
    g = torch.empty(n).geometric_(0.5)
    assert g.min().item() >= 1 and abs(g.mean().item() - 2.0) < 0.05
    r = torch.empty(n, dtype=torch.int64).random_(3, 7)
    assert set(np.unique(r.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(torch.empty(n).random_(4).numpy())) == {0, 1, 2, 3}
    assert torch.empty(100).normal_(0, 1).std().item() > 0.5
    torch.manual_seed(5)
    a = torch.empty(4).exponential_().numpy()
    torch.manual_seed(5)
    np.testing.assert_array_equal(torch.empty(4).exponential_().numpy(), a)


# ---------------------------------------------------------------- layout attributes

def test_layout_attributes_and_sum_to_size():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert x.is_contiguous() and x.stride() == (12, 4, 1) and x.stride(-2) == 4
    assert x.storage_offset() == 0 and x.nbytes == 96 and x.itemsize == 4
    assert isinstance(x.data_ptr(), int) and x.data_ptr() != 0
    v = x[1, 1:]
    assert v.storage_offset() == 16
    assert not x.transpose(0, 2).is_contiguous()
    s = x.sum_to_size(3, 1)
    np.testing.assert_allclose(s.numpy(), x.numpy().sum(0).sum(1, keepdims=True))
    assert x.sum_to_size((1, 3, 4)).shape == (1, 3, 4)
    with pytest.raises(RuntimeError, match="expandable"):
        x.sum_to_size(5)
