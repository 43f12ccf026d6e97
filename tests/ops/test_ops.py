"""The parametrized suite over every op spec (DESIGN.md section 9)."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet
from dualnet.ops import Meta, all_ops, apply, get
from dualnet.ops.registry import infer_metas
from tests.ops.specs import ALL_SPECS

SPEC_CASES = [pytest.param(s, d, id=f"{s.id}-{d}") for s in ALL_SPECS for d in s.dtypes]
GRAD_CASES = [pytest.param(s, id=s.id) for s in ALL_SPECS  # grad=(): inputs on a jump
              if get(s.op).vjp is not None and get(s.op).differentiable and s.grad != ()]


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _inputs(spec, dtype, seed=0):
    return spec.inputs(np.random.default_rng(seed), np.dtype(dtype))


def _attrs(spec, inputs):
    """The attrs as `apply` hands them to kernels: after the op's canon."""
    op = get(spec.op)
    return op.canon(*inputs, **spec.attrs) if op.canon is not None else dict(spec.attrs)


def _run(spec, inputs):
    if spec.random:
        dualnet.random.manual_seed(1234)
    return apply(spec.op, *inputs, **spec.attrs)


def test_every_op_has_a_spec():
    covered = {s.op for s in ALL_SPECS} | {c for s in ALL_SPECS for c in s.covers}
    missing = sorted(set(all_ops()) - covered)
    assert not missing, f"ops without a spec in tests/ops/specs: {missing}"


@pytest.mark.parametrize("spec,dtype", SPEC_CASES)
def test_forward_matches_reference(spec, dtype):
    inputs = _inputs(spec, dtype)
    # In-place ops (optimizer updates) overwrite their inputs: the reference gets copies.
    ref_inputs = [None if a is None else np.array(a, copy=True) for a in inputs] \
        if get(spec.op).inplace else inputs
    outs = _as_tuple(_run(spec, inputs))
    if spec.ref is None:
        pytest.fail(f"spec {spec.id} has no reference")
    expected = _as_tuple(spec.ref(*ref_inputs, **spec.attrs))
    assert len(expected) <= len(outs)
    for i, (o, e) in enumerate(zip(outs, expected)):
        if e is None:
            continue
        e = np.asarray(e)
        assert o.shape == e.shape, f"output {i}: shape {o.shape} != reference {e.shape}"
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(o, e, atol=spec.atol, rtol=spec.rtol,
                                       err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(o, e, err_msg=f"output {i}")


@pytest.mark.parametrize("spec,dtype", SPEC_CASES)
def test_infer_matches_actual(spec, dtype):
    inputs = _inputs(spec, dtype)
    outs = _as_tuple(_run(spec, inputs))
    metas = tuple(None if a is None else Meta.of(np.asarray(a)) for a in inputs)
    inferred = infer_metas(get(spec.op), metas, _attrs(spec, inputs))
    assert len(inferred) == len(outs)
    for i, (m, o) in enumerate(zip(inferred, outs)):
        if m is None and o is None:  # an absent optional output (e.g. no running stats)
            continue
        if spec.data_dependent_shape:
            assert len(m.shape) == o.ndim and all(d in (-1, a) for d, a in zip(m.shape, o.shape))
        else:
            assert tuple(m.shape) == o.shape, f"output {i}: infer {m.shape} != actual {o.shape}"
        assert np.dtype(m.dtype) == o.dtype, f"output {i}: infer {m.dtype} != actual {o.dtype}"


@pytest.mark.parametrize("spec,dtype", SPEC_CASES)
def test_infer_with_unknown_batch_dim(spec, dtype):
    """With dim 0 of every input unknown (-1), infer still works and agrees elsewhere."""
    inputs = _inputs(spec, dtype)
    outs = _as_tuple(_run(spec, inputs))
    metas = tuple(None if a is None else Meta.of(np.asarray(a)) for a in inputs)
    dyn = tuple(m if m is None or m.ndim == 0 else Meta((-1,) + m.shape[1:], m.dtype)
                for m in metas)
    inferred = infer_metas(get(spec.op), dyn, _attrs(spec, inputs))
    for m, o in zip(inferred, outs):
        if m is None and o is None:
            continue
        assert len(m.shape) == o.ndim
        for d, actual in zip(m.shape, o.shape):
            assert d == -1 or d == actual, f"infer {m.shape} vs actual {o.shape}"


def _numeric_grad(f, x, eps):
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f()
        flat[i] = old - eps
        lo = f()
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return g


@pytest.mark.parametrize("spec", GRAD_CASES)
def test_vjp_matches_finite_differences(spec):
    op = get(spec.op)
    inputs = [None if a is None else np.array(a, copy=True) for a in _inputs(spec, "float64")]
    outs = _as_tuple(_run(spec, inputs))
    rng = np.random.default_rng(1)
    want = spec.grad_outputs
    cots = tuple(rng.standard_normal(o.shape) if o.dtype.kind == "f"
                 and (want is None or i in want) else None for i, o in enumerate(outs))

    def objective():
        values = _as_tuple(_run(spec, inputs))
        return sum(float(np.sum(v * c)) for v, c in zip(values, cots) if c is not None)

    g = cots[0] if op.n_out == 1 else cots
    out = outs[0] if op.n_out == 1 else outs
    # The tape keeps only what `saves` declares: the rule must work with the rest as None.
    keep = op.saved_inputs(len(inputs))
    saved = [a if i in keep else None for i, a in enumerate(inputs)]
    if op.saves is not None and not op.saves_out:
        out = None
    grads = _as_tuple(op.vjp(g, *saved, out=out, **_attrs(spec, inputs)))
    assert len(grads) == len(inputs), f"vjp returned {len(grads)} grads for {len(inputs)} inputs"
    check = spec.grad if spec.grad is not None else tuple(
        i for i, a in enumerate(inputs) if a is not None and np.asarray(a).dtype.kind == "f")
    assert check, f"spec {spec.id}: nothing to differentiate"
    for i in check:
        numeric = _numeric_grad(objective, inputs[i], spec.eps)
        assert grads[i] is not None, f"vjp gave no gradient for input {i}"
        np.testing.assert_allclose(np.asarray(grads[i]), numeric, atol=spec.grad_atol,
                                   rtol=spec.grad_rtol, err_msg=f"gradient of input {i}")
