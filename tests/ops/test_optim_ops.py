"""Optimizer update ops over several steps against hand-written NumPy loops of the published
algorithms (torch.optim's documented pseudocode, Paddle's phi kernels), plus the in-place
contract, absent optional state (None outputs) and errors. PyTorch is not needed."""
import numpy as np
import pytest

from dualnet.ops import OpError, apply, get
from dualnet.ops.registry import Meta, infer_metas

STEPS = 6
LRS = [0.1, 0.05, 0.05, 0.02, 0.1, 0.01]  # a schedule: lr is an input, not an attr


def _grads(shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(STEPS)]


def _lr(i, dtype=np.float64):
    return np.asarray(LRS[i], dtype=dtype)


# ---------------------------------------------------------------- torch loops (docs pseudocode)


def torch_sgd(p, grads, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    p, b = p.copy(), None
    for i, g in enumerate(grads):
        g = g + weight_decay * p
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - LRS[i] * g
    return p


def torch_adam(p, grads, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
               decoupled=False):
    p = p.copy()
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        lr = LRS[t - 1]
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def torch_rmsprop(p, grads, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                  centered=False):
    p = p.copy()
    v, b, ga = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for i, g in enumerate(grads):
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            ga = alpha * ga + (1 - alpha) * g
            vt = v - ga * ga
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            p = p - LRS[i] * b
        else:
            p = p - LRS[i] * g / (np.sqrt(vt) + eps)
    return p


def torch_adagrad(p, grads, lr_decay=0.0, weight_decay=0.0, eps=1e-10, init=0.0):
    p, s = p.copy(), np.full_like(p, init)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        clr = LRS[t - 1] / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
    return p


# ---------------------------------------------------------------- running the ops


def run_momentum(p, grads, step=0, **attrs):
    """step None: the op's no-counter form (Paddle's Momentum)."""
    p, buf = p.copy(), np.zeros_like(p)
    step = None if step is None else np.asarray(step, np.int64)
    for i, g in enumerate(grads):
        apply("momentum_update", p, g, buf, step, _lr(i), **attrs)
    assert step is None or step == len(grads)
    return p


def run_adam(p, grads, op="adam_update", amsgrad=False, **attrs):
    p = p.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    vmax = np.zeros_like(p) if amsgrad else None
    step = np.asarray(0.0, np.float32)  # torch keeps a float32 step; int64 works too
    for i, g in enumerate(grads):
        outs = apply(op, p, g, m, v, vmax, step, _lr(i), **attrs)
        assert outs[3] is vmax
    return p


def run_rmsprop(p, grads, momentum=0.0, centered=False, **attrs):
    p, sq = p.copy(), np.zeros_like(p)
    buf = np.zeros_like(p) if momentum > 0 else None
    ga = np.zeros_like(p) if centered else None
    for i, g in enumerate(grads):
        apply("rmsprop_update", p, g, sq, buf, ga, _lr(i), momentum=momentum, **attrs)
    return p


def run_adagrad(p, grads, init=0.0, **attrs):
    p, s, step = p.copy(), np.full_like(p, init), np.asarray(0, np.int64)
    for i, g in enumerate(grads):
        apply("adagrad_update", p, g, s, step, _lr(i), **attrs)
    return p


P0 = np.random.default_rng(42).standard_normal((4, 3))
G = _grads((4, 3))
TOL = dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("attrs", [
    dict(),
    dict(weight_decay=0.1),
])
def test_sgd_steps(attrs):
    p = P0.copy()
    for i, g in enumerate(G):
        apply("sgd_update", p, g, _lr(i), **attrs)
    np.testing.assert_allclose(p, torch_sgd(P0, G, **attrs), **TOL)


@pytest.mark.parametrize("attrs", [
    dict(momentum=0.9),
    dict(momentum=0.9, dampening=0.5),
    dict(momentum=0.7, dampening=0.1, weight_decay=0.01),
    dict(momentum=0.9, nesterov=True, weight_decay=0.05),
])
def test_momentum_steps(attrs):
    np.testing.assert_allclose(run_momentum(P0, G, **attrs), torch_sgd(P0, G, **attrs), **TOL)


@pytest.mark.parametrize("attrs", [
    dict(),
    dict(beta1=0.8, beta2=0.95, eps=1e-4, weight_decay=0.1),
    dict(amsgrad=True, weight_decay=0.02),
])
def test_adam_steps(attrs):
    np.testing.assert_allclose(run_adam(P0, G, **attrs), torch_adam(P0, G, **attrs), **TOL)


@pytest.mark.parametrize("attrs", [dict(), dict(weight_decay=0.1, amsgrad=True, eps=1e-5)])
def test_adamw_steps(attrs):
    attrs.setdefault("weight_decay", 0.01)  # torch's AdamW default
    np.testing.assert_allclose(run_adam(P0, G, op="adamw_update", **attrs),
                               torch_adam(P0, G, decoupled=True, **attrs), **TOL)


@pytest.mark.parametrize("attrs", [
    dict(),
    dict(momentum=0.9, alpha=0.9),
    dict(centered=True, eps=1e-6, weight_decay=0.01),
    dict(centered=True, momentum=0.5),
])
def test_rmsprop_steps(attrs):
    np.testing.assert_allclose(run_rmsprop(P0, G, **attrs), torch_rmsprop(P0, G, **attrs),
                               **TOL)


@pytest.mark.parametrize("attrs", [dict(), dict(lr_decay=0.1, weight_decay=0.01, eps=1e-6)])
def test_adagrad_steps(attrs):
    np.testing.assert_allclose(run_adagrad(P0, G, init=0.1, **attrs),
                               torch_adagrad(P0, G, init=0.1, **attrs), **TOL)


def test_float32_matches_float64_and_stays_float32():
    p32, g32 = P0.astype(np.float32), [g.astype(np.float32) for g in G]
    p, m, v, vmax = p32.copy(), np.zeros_like(p32), np.zeros_like(p32), np.zeros_like(p32)
    step = np.asarray(0, np.int64)
    for i, g in enumerate(g32):
        outs = apply("adam_update", p, g, m, v, vmax, step, _lr(i, np.float64))
        assert all(o.dtype == np.float32 for o in outs[:4])
    np.testing.assert_allclose(p, torch_adam(P0, G, amsgrad=True), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- hand-computed values


def test_momentum_known_values():
    """Constant gradient 1, lr 0.1, momentum 0.9: buffers 1, 1.9, 2.71."""
    p, buf, step = np.zeros(1), np.zeros(1), np.asarray(0, np.int64)
    seen = []
    for _ in range(3):
        apply("momentum_update", p, np.ones(1), buf, step, np.asarray(0.1), momentum=0.9)
        seen.append(p[0])
    np.testing.assert_allclose(seen, [-0.1, -0.29, -0.561], rtol=1e-12)


def test_momentum_first_step_has_no_dampening():
    p, buf, step = np.zeros(1), np.zeros(1), np.asarray(0, np.int64)
    apply("momentum_update", p, np.full(1, 2.0), buf, step, np.asarray(1.0), momentum=0.9,
          dampening=0.5)
    assert buf[0] == 2.0 and p[0] == -2.0  # buf = clone(g), not (1 - dampening) * g
    apply("momentum_update", p, np.full(1, 2.0), buf, step, np.asarray(1.0), momentum=0.9,
          dampening=0.5)
    assert buf[0] == 0.9 * 2.0 + 0.5 * 2.0


def test_momentum_without_step_always_carries_the_buffer():
    """step None (Paddle's Momentum): b = momentum * b + (1 - dampening) * g from the first
    update on, nothing counted, the step output None (and its meta)."""
    p, buf = np.zeros(1), np.zeros(1)
    for _ in range(3):
        outs = apply("momentum_update", p, np.ones(1), buf, None, np.asarray(0.1),
                     momentum=0.9)
        assert outs[0] is p and outs[1] is buf and outs[2] is None
    np.testing.assert_allclose(p, [-0.561], rtol=1e-12)  # buffers 1, 1.9, 2.71
    p, buf = np.zeros(1), np.ones(1)
    apply("momentum_update", p, np.full(1, 2.0), buf, None, np.asarray(1.0), momentum=0.9,
          dampening=0.5)
    assert buf[0] == 0.9 * 1.0 + 0.5 * 2.0  # no first-step rule: dampening applies at once
    meta = Meta.of(p)
    metas = infer_metas(get("momentum_update"),
                        (meta, meta, meta, None, Meta((), np.dtype("float64"))), {})
    assert metas[2] is None and metas[0] == meta


def test_adam_first_step_moves_by_lr():
    """Bias correction makes the first Adam step lr * g / (|g| + eps) (Kingma & Ba, sec. 2.1)."""
    g = np.array([3.0, -0.5, 1e-3])
    p, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
    apply("adam_update", p, g, m, v, None, np.asarray(0, np.int64), np.asarray(0.01), eps=1e-8)
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-10)


# ---------------------------------------------------------------- Paddle's formulas


def test_paddle_momentum_is_momentum_update():
    """Paddle Momentum: v = mu * v + g; p -= lr * v (use_nesterov: p -= lr * (g + mu * v))."""
    for nesterov in (False, True):
        p, v = P0.copy(), np.zeros_like(P0)
        for i, g in enumerate(G):
            v = 0.9 * v + g
            p = p - LRS[i] * (g + 0.9 * v if nesterov else v)
        np.testing.assert_allclose(run_momentum(P0, G, momentum=0.9, nesterov=nesterov), p,
                                   **TOL)
        np.testing.assert_allclose(run_momentum(P0, G, step=None, momentum=0.9,
                                                nesterov=nesterov), p, **TOL)


def test_paddle_adam_kernel_is_adam_update():
    """Paddle's adam kernel: lr_t = lr * sqrt(1 - b2p) / (1 - b1p) with beta-pow accumulators,
    p -= lr_t * m / (sqrt(v) + eps * sqrt(1 - b2p))."""
    b1, b2, eps = 0.9, 0.999, 1e-6
    p, m, v, b1p, b2p = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), b1, b2
    for i, g in enumerate(G):
        lr_t = LRS[i] * np.sqrt(1 - b2p) / (1 - b1p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr_t * (m / (np.sqrt(v) + eps * np.sqrt(1 - b2p)))
        b1p, b2p = b1p * b1, b2p * b2
    np.testing.assert_allclose(run_adam(P0, G, eps=eps), p, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("centered", [False, True])
def test_paddle_rmsprop_style(centered):
    """Paddle RMSProp: ms = rho * ms + (1 - rho) g^2; [mg = rho * mg + (1 - rho) g];
    mom = mu * mom + lr * g / sqrt(ms [- mg^2] + eps); p -= mom."""
    rho, mu, eps = 0.95, 0.5, 1e-6
    p, ms, mg, mom = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), np.zeros_like(P0)
    for i, g in enumerate(G):
        ms = rho * ms + (1 - rho) * g * g
        mg = rho * mg + (1 - rho) * g
        var = ms - mg * mg if centered else ms
        mom = mu * mom + LRS[i] * g / np.sqrt(var + eps)
        p = p - mom
    got = run_rmsprop(P0, G, momentum=mu, centered=centered, alpha=rho, eps=eps, style="paddle")
    np.testing.assert_allclose(got, p, **TOL)
    # momentum 0 without a buffer gives Paddle's result with a zero-momentum buffer
    p2, ms = P0.copy(), np.zeros_like(P0)
    for i, g in enumerate(G):
        ms = rho * ms + (1 - rho) * g * g
        p2 = p2 - LRS[i] * g / np.sqrt(ms + eps)
    np.testing.assert_allclose(run_rmsprop(P0, G, alpha=rho, eps=eps, style="paddle"), p2, **TOL)


# ---------------------------------------------------------------- the in-place contract


def test_updates_write_into_their_inputs_and_leave_grad_alone():
    p, g, m, v, vmax = (P0.copy() for _ in range(5))
    v, vmax = np.abs(v), np.abs(vmax)
    g0, step = g.copy(), np.asarray(3, np.int64)
    outs = apply("adam_update", p, g, m, v, vmax, step, np.asarray(0.1), weight_decay=0.1)
    assert [o is a for o, a in zip(outs, (p, m, v, vmax, step))] == [True] * 5
    np.testing.assert_array_equal(g, g0)
    op = get("adam_update")
    assert op.inplace == {0: 0, 1: 2, 2: 3, 3: 4, 4: 5} and not op.differentiable
    assert int(step) == 4


@pytest.mark.parametrize("name", ["sgd_update", "momentum_update", "adam_update",
                                  "adamw_update", "rmsprop_update", "adagrad_update"])
def test_inplace_maps_outputs_to_same_shaped_inputs(name):
    op = get(name)
    assert op.inplace[0] == 0 and op.vjp is None and not op.differentiable


def test_absent_state_gives_none_outputs_and_none_metas():
    p, g, sq = P0.copy(), G[0], np.zeros_like(P0)
    outs = apply("rmsprop_update", p, g, sq, None, None, np.asarray(0.1))
    assert outs[0] is p and outs[1] is sq and outs[2] is None and outs[3] is None
    meta = Meta.of(p)
    scalar = Meta((), np.dtype("float64"))
    metas = infer_metas(get("rmsprop_update"), (meta, meta, meta, None, None, scalar), {})
    assert metas[2] is None and metas[3] is None
    metas = infer_metas(get("adam_update"), (meta,) * 4 + (None, Meta((), np.dtype("int64")),
                                                           scalar), {})
    assert metas[3] is None and metas[4] == Meta((), np.dtype("int64"))


def test_lr_of_shape_one_and_python_scalars():
    p = P0.copy()
    apply("sgd_update", p, G[0], np.asarray([0.1]))
    np.testing.assert_allclose(p, P0 - 0.1 * G[0], **TOL)
    p = P0.copy()
    apply("sgd_update", p, G[0], 0.1)  # a weak Python scalar becomes a 0-d array
    np.testing.assert_allclose(p, P0 - 0.1 * G[0], **TOL)


def test_infer_with_unknown_dims():
    dyn = Meta((-1, 3), np.dtype("float32"))
    scalar = Meta((), np.dtype("float32"))
    out = infer_metas(get("momentum_update"), (dyn, Meta((4, 3), np.dtype("float32")), dyn,
                                               Meta((), np.dtype("int64")), scalar), {})
    assert out[0].shape == (-1, 3) and out[2].shape == ()


# ---------------------------------------------------------------- errors


def test_errors_name_what_is_wrong():
    p, g = np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32)
    with pytest.raises(OpError, match=r"grad \[3, 2\] float32 does not match param \[2, 3\]"):
        apply("sgd_update", p, g, np.asarray(0.1, np.float32))
    with pytest.raises(OpError, match="Nesterov momentum requires"):
        apply("momentum_update", p, p, p.copy(), np.asarray(0), np.asarray(0.1, np.float32),
              nesterov=True, dampening=0.1)
    with pytest.raises(OpError, match="step input is required"):
        apply("adam_update", p, p, p.copy(), p.copy(), None, None, np.asarray(0.1, np.float32))
    with pytest.raises(OpError, match="Invalid beta parameter at index 1"):
        apply("adam_update", p, p, p.copy(), p.copy(), None, np.asarray(0),
              np.asarray(0.1, np.float32), beta2=1.0)
    with pytest.raises(OpError, match="needs the momentum_buffer input"):
        apply("rmsprop_update", p, p, p.copy(), None, None, np.asarray(0.1, np.float32),
              momentum=0.9)
    with pytest.raises(OpError, match="style must be"):
        apply("rmsprop_update", p, p, p.copy(), None, None, np.asarray(0.1, np.float32),
              style="tf")
    with pytest.raises(OpError, match="lr must be a 0-d array"):
        apply("sgd_update", p, p, np.zeros(3, np.float32))
    with pytest.raises(OpError, match="param must be floating point"):
        q = np.zeros(3, np.int64)
        apply("sgd_update", q, q, np.asarray(0.1))


def test_canon_fills_defaults_into_one_form():
    p, lr = np.zeros(2), np.asarray(0.1)
    op = get("adam_update")
    a = op.canon(p, p, p, p, None, np.asarray(0), lr)
    b = op.canon(p, p, p, p, None, np.asarray(0), lr, beta1=0.9, eps=1e-8, weight_decay=0)
    assert a == b and type(b["weight_decay"]) is float
