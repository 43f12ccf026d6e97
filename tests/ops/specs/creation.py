"""Specs for dualnet/ops/creation.py. The random ops' references redraw the numbers from a
PCG64 generator seeded 1234 (the harness seeds dualnet.random with 1234 before the op runs),
which pins down that `manual_seed` makes runs reproducible; their statistics are checked in
tests/ops/test_creation_ops.py."""
from statistics import NormalDist

import numpy as np

from tests.ops.spec import OpSpec, randn

SEED = 1234


def _gen():
    return np.random.Generator(np.random.PCG64(SEED))


def ref_fill(shape, value, dtype, device=None):
    return np.full(shape, value, dtype=dtype)


def ref_arange(start=0, end=None, step=1, dtype=None, device=None):
    if end is None:
        start, end = 0, start
    n = int(np.ceil((end - start) / step))
    if dtype is None:
        dtype = "int64" if all(isinstance(v, int) for v in (start, end, step)) else "float32"
    return np.array([start + i * step for i in range(max(n, 0))], dtype=np.float64).astype(dtype)


def ref_eye(rows, cols=None, dtype="float32", device=None):
    cols = rows if cols is None else cols
    return np.array([[1 if i == j else 0 for j in range(cols)] for i in range(rows)],
                    dtype=dtype).reshape(rows, cols)


def ref_linspace(start, end, steps, dtype="float32", device=None):
    if steps == 1:
        return np.array([start], dtype=dtype)
    step = (end - start) / (steps - 1)
    return np.array([start + i * step for i in range(steps - 1)] + [end],
                    dtype=np.float64).astype(dtype)


def ref_randperm(n, dtype="int64", device=None):
    return _gen().permutation(n).astype(dtype)


def ref_uniform(shape, low=0.0, high=1.0, dtype="float32", device=None):
    return _gen().random(shape).astype(dtype) * (high - low) + low


def ref_gaussian(shape, mean=0.0, std=1.0, dtype="float32", device=None):
    z = _gen().standard_normal(shape, dtype=np.float64 if dtype == "float64" else np.float32)
    return (z * std + mean).astype(dtype)


def ref_truncated(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, dtype="float32", device=None):
    """Inverse-CDF sampling; a range above the mean is sampled mirrored in the lower tail."""
    unit = NormalDist()
    lo, hi = (a - mean) / std, (b - mean) / std
    sign = -1.0 if lo > 0 else 1.0
    lo, hi = sorted((sign * lo, sign * hi))
    lo, hi = unit.cdf(lo), unit.cdf(hi)
    u = _gen().random(shape) * (hi - lo) + lo
    z = sign * np.vectorize(unit.inv_cdf)(u) * std + mean
    return np.clip(z, a, b).astype(dtype)


def ref_randint(shape, low=0, high=None, dtype="int64", device=None):
    return _gen().integers(low, high, size=shape, dtype=np.int64).astype(dtype)



SPECS = [
    OpSpec("fill_constant", lambda r, d: (), ref_fill, dtypes=("float32",),
           attrs={"shape": (2, 3), "value": 1.5, "dtype": "float64"}),
    OpSpec("fill_constant", lambda r, d: (), ref_fill, dtypes=("float32",),
           attrs={"shape": (4,), "value": 7, "dtype": "int64"}, name="int"),
    OpSpec("fill_constant", lambda r, d: (), ref_fill, dtypes=("float32",),
           attrs={"shape": (), "value": True, "dtype": "bool"}, name="bool-scalar"),
    OpSpec("arange", lambda r, d: (), ref_arange, dtypes=("float32",),
           attrs={"start": 2, "end": 11, "step": 3}),
    OpSpec("arange", lambda r, d: (), ref_arange, dtypes=("float32",),
           attrs={"start": 1.0, "end": -0.45, "step": -0.1, "dtype": "float32"}, name="float"),
    OpSpec("uniform_random", lambda r, d: (), ref_uniform, dtypes=("float32",), random=True,
           attrs={"shape": (3, 4), "low": -2.0, "high": 3.0, "dtype": "float32"}),
    OpSpec("gaussian_random", lambda r, d: (), ref_gaussian, dtypes=("float32",), random=True,
           attrs={"shape": (5, 2), "mean": 1.0, "std": 2.0, "dtype": "float32"}),
    OpSpec("gaussian_random", lambda r, d: (), ref_gaussian, dtypes=("float32",), random=True,
           attrs={"shape": (7,), "mean": -1.0, "std": 0.5, "dtype": "float64"}, name="f64"),
    OpSpec("truncated_gaussian_random", lambda r, d: (), ref_truncated, dtypes=("float32",),
           random=True, attrs={"shape": (4, 5), "mean": 0.5, "std": 2.0, "a": -1.0, "b": 4.0,
                               "dtype": "float64"}),
    OpSpec("truncated_gaussian_random", lambda r, d: (), ref_truncated, dtypes=("float32",),
           random=True, attrs={"shape": (6,), "mean": 0.0, "std": 1.0, "a": 3.0, "b": 5.0,
                               "dtype": "float64"}, name="far-tail", rtol=1e-6),
    OpSpec("randint", lambda r, d: (), ref_randint, dtypes=("float32",), random=True,
           attrs={"shape": (3, 3), "low": -5, "high": 5, "dtype": "int64"}),
    OpSpec("eye", lambda r, d: (), ref_eye, dtypes=("float32",),
           attrs={"rows": 3, "cols": 5, "dtype": "float32"}),
    OpSpec("eye", lambda r, d: (), ref_eye, dtypes=("float32",),
           attrs={"rows": 4, "dtype": "int64"}, name="square"),
    OpSpec("linspace", lambda r, d: (), ref_linspace, dtypes=("float32",),
           attrs={"start": -1.0, "end": 2.0, "steps": 7, "dtype": "float32"}),
    OpSpec("linspace", lambda r, d: (), ref_linspace, dtypes=("float32",),
           attrs={"start": 3, "end": 3, "steps": 1, "dtype": "float64"}, name="one"),
    OpSpec("randperm", lambda r, d: (), ref_randperm, dtypes=("float32",), random=True,
           attrs={"n": 9, "dtype": "int64"}),
    OpSpec("shape_of", lambda r, d: (randn(r, d, 2, 3, 4),),
           lambda x: np.array(x.shape, dtype=np.int64)),
    OpSpec("assign", lambda r, d: (randn(r, d, 3, 4),), lambda x: x.copy(), second_order=True),
]


def ref_bernoulli(x):
    u = _gen().random(x.shape)
    return np.array([1.0 if a < p else 0.0 for a, p in zip(u.reshape(-1), x.reshape(-1))],
                    dtype=x.dtype).reshape(x.shape)


def ref_multinomial(x, num_samples=1, replacement=False):
    """With replacement: the first category whose cumulative share passes each draw.
    Without: categories ranked by the finish time -log(1 - u) / p, one u each."""
    rows = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    gen = _gen()
    if replacement:
        u = gen.random(x.shape[:-1] + (num_samples,)).reshape(len(rows), num_samples)
    else:
        u = gen.random(x.shape).reshape(rows.shape)
    out = []
    for p, draws in zip(rows, u):
        if replacement:
            shares = np.cumsum(p) / p.sum()
            out.append([next(c for c in range(len(p)) if a < shares[c] or c == len(p) - 1)
                        for a in draws])
        else:
            finish = [-np.log(1.0 - a) / q if q > 0 else np.inf for q, a in zip(p, draws)]
            out.append(sorted(range(len(p)), key=lambda c: finish[c])[:num_samples])
    return np.array(out, dtype=np.int64).reshape(x.shape[:-1] + (num_samples,))


def _probs(r, d, *shape):
    p = r.random(shape) + 0.05
    p[..., 1] = 0.0  # a category that must never be drawn
    return p.astype(d)


SPECS += [
    OpSpec("bernoulli", lambda r, d: (r.random((3, 4)).astype(d),), ref_bernoulli, random=True),
    OpSpec("multinomial", lambda r, d: (_probs(r, d, 3, 5),), ref_multinomial, random=True,
           attrs={"num_samples": 4, "replacement": False}),
    OpSpec("multinomial", lambda r, d: (_probs(r, d, 6),), ref_multinomial, random=True,
           attrs={"num_samples": 9, "replacement": True}, name="replacement"),
]
