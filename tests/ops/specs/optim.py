"""Specs for dualnet/ops/optim.py: one optimizer step against the published PyTorch algorithms
(torch.optim docs pseudocode) and Paddle's kernels, written as plain NumPy in float64.

The update ops write into their inputs, and the generic forward test calls the reference on
the inputs after the op ran. `_kept` remembers a copy of every input array when it is made,
and the references start from those copies (falling back to the arrays they are given, so they
also work when a harness hands them pristine copies). Steps over several iterations and the
variants with absent optional state (None outputs) are in tests/ops/test_optim_ops.py.
"""
import weakref

import numpy as np

from tests.ops.spec import OpSpec, randn, uniform

_PRISTINE = {}


def _kept(inputs):
    for a in inputs:
        if isinstance(a, np.ndarray):
            key = id(a)
            _PRISTINE[key] = (weakref.ref(a, lambda _, k=key: _PRISTINE.pop(k, None)),
                              a.copy())
    return inputs


def _orig(a):
    if a is None:
        return None
    entry = _PRISTINE.get(id(a))
    if entry is not None and entry[0]() is a:
        a = entry[1]
    return np.array(a, dtype=np.float64)


def _out(dtypes, *values):
    return tuple(None if v is None else np.asarray(v).astype(d) for v, d in zip(values, dtypes))


# ---------------------------------------------------------------- references (torch formulas)


def ref_sgd(param, grad, lr, weight_decay=0.0, maximize=False):
    dt = param.dtype
    p, g, lr = _orig(param), _orig(grad), float(_orig(lr))
    g = -g if maximize else g
    g = g + weight_decay * p
    return _out((dt,), p - lr * g)[0]


def ref_momentum(param, grad, buf, step, lr, momentum=0.9, dampening=0.0, nesterov=False,
                 weight_decay=0.0, maximize=False):
    dts = (param.dtype, buf.dtype, step.dtype)
    p, g, b, t, lr = (_orig(a) for a in (param, grad, buf, step, lr))
    g = -g if maximize else g
    g = g + weight_decay * p
    b = g.copy() if t == 0 else momentum * b + (1 - dampening) * g
    d = g + momentum * b if nesterov else b
    return _out(dts, p - lr * d, b, t + 1)


def ref_adam(param, grad, m, v, vmax, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
             weight_decay=0.0, maximize=False, decoupled=False):
    dts = (param.dtype, m.dtype, v.dtype, param.dtype, step.dtype)
    p, g, m, v, vmax, t, lr = (_orig(a) for a in (param, grad, m, v, vmax, step, lr))
    t = t + 1
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    if vmax is not None:
        vmax = np.maximum(vmax, v)
    v_hat = (v if vmax is None else vmax) / (1 - beta2 ** t)
    p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return _out(dts, p, m, v, vmax, t)


def ref_adamw(*args, weight_decay=0.01, **attrs):
    return ref_adam(*args, weight_decay=weight_decay, decoupled=True, **attrs)


def ref_paddle_adam(param, grad, m, v, vmax, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                    weight_decay=0.0, maximize=False):
    """Paddle's adam kernel (phi AdamFunctor): eps scaled by sqrt(1 - beta2^t)."""
    dts = (param.dtype, m.dtype, v.dtype, param.dtype, step.dtype)
    p, g, m, v, vmax, t, lr = (_orig(a) for a in (param, grad, m, v, vmax, step, lr))
    t = t + 1
    g = g + weight_decay * p  # L2Decay regularizer
    b1p, b2p = beta1 ** t, beta2 ** t
    lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    if vmax is not None:
        vmax = np.maximum(v, vmax)
    p = p - lr_t * (m / (np.sqrt(v if vmax is None else vmax) + eps * np.sqrt(1 - b2p)))
    return _out(dts, p, m, v, vmax, t)


def ref_rmsprop(param, grad, sq, buf, gavg, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                momentum=0.0, maximize=False, style="torch"):
    dts = (param.dtype,) * 4
    p, g, sq, buf, gavg, lr = (_orig(a) for a in (param, grad, sq, buf, gavg, lr))
    g = -g if maximize else g
    g = g + weight_decay * p
    sq = alpha * sq + (1 - alpha) * g * g
    var = sq
    if gavg is not None:
        gavg = alpha * gavg + (1 - alpha) * g
        var = sq - gavg * gavg
    if style == "paddle":  # phi rmsprop kernel: mom = mu * mom + lr * g / sqrt(ms + eps)
        step = lr * g / np.sqrt(var + eps)
        if buf is not None:
            buf = momentum * buf + step
            step = buf
        return _out(dts, p - step, sq, buf, gavg)
    d = g / (np.sqrt(var) + eps)
    if buf is not None:
        buf = momentum * buf + d
        d = buf
    return _out(dts, p - lr * d, sq, buf, gavg)


def ref_adagrad(param, grad, ssum, step, lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                maximize=False):
    dts = (param.dtype, ssum.dtype, step.dtype)
    p, g, s, t, lr = (_orig(a) for a in (param, grad, ssum, step, lr))
    t = t + 1
    g = -g if maximize else g
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g
    return _out(dts, p - clr * g / (np.sqrt(s) + eps), s, t)


# ---------------------------------------------------------------- inputs


def _lr(d, value=0.1):
    return np.asarray(value, dtype=d)


def _step(n):
    return np.asarray(n, dtype=np.int64)


def sgd_inputs(r, d):
    return _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), _lr(d)))


def momentum_inputs(step):
    return lambda r, d: _kept((randn(r, d, 3, 4), randn(r, d, 3, 4),
                               randn(r, d, 3, 4) if step else np.zeros((3, 4), d),
                               _step(step), _lr(d)))


def adam_inputs(amsgrad=True, step=3):
    def make(r, d):
        v = uniform(r, d, 0.01, 1.0, 2, 5)
        vmax = v + uniform(r, d, -0.005, 0.3, 2, 5) if amsgrad else None
        return _kept((randn(r, d, 2, 5), randn(r, d, 2, 5), randn(r, d, 2, 5) * 0.1, v, vmax,
                      _step(step), _lr(d, 0.01)))
    return make


def rmsprop_inputs(r, d):
    sq = uniform(r, d, 0.5, 1.5, 3, 4)
    return _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), sq, randn(r, d, 3, 4) * 0.1,
                  uniform(r, d, -0.3, 0.3, 3, 4), _lr(d, 0.01)))


def adagrad_inputs(r, d):
    return _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), uniform(r, d, 0.1, 2.0, 3, 4),
                  _step(4), _lr(d)))


SPECS = [
    OpSpec("sgd_update", sgd_inputs, ref_sgd),
    OpSpec("sgd_update", sgd_inputs, ref_sgd, attrs={"weight_decay": 0.1, "maximize": True},
           name="decay-maximize"),
    OpSpec("momentum_update", momentum_inputs(0), ref_momentum,
           attrs={"momentum": 0.9, "dampening": 0.5}, name="first-step-dampening"),
    OpSpec("momentum_update", momentum_inputs(5), ref_momentum,
           attrs={"momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}, name="dampening"),
    OpSpec("momentum_update", momentum_inputs(2), ref_momentum,
           attrs={"momentum": 0.9, "nesterov": True, "weight_decay": 0.05}, name="nesterov"),
    OpSpec("adam_update", adam_inputs(), ref_adam, attrs={"beta1": 0.8, "beta2": 0.99},
           name="amsgrad"),
    OpSpec("adam_update", adam_inputs(step=0), ref_paddle_adam,
           attrs={"weight_decay": 0.1, "eps": 1e-3}, name="paddle-formula"),
    OpSpec("adam_update", adam_inputs(step=7), ref_adam,
           attrs={"weight_decay": 0.1, "maximize": True, "eps": 1e-3}, name="l2-maximize"),
    OpSpec("adamw_update", adam_inputs(step=2), ref_adamw,
           attrs={"weight_decay": 0.1, "eps": 1e-4}),
    OpSpec("rmsprop_update", rmsprop_inputs, ref_rmsprop,
           attrs={"alpha": 0.9, "momentum": 0.5, "weight_decay": 0.01, "eps": 1e-3},
           name="centered-momentum"),
    OpSpec("rmsprop_update", rmsprop_inputs, ref_rmsprop,
           attrs={"alpha": 0.95, "momentum": 0.9, "eps": 1e-6, "style": "paddle"},
           name="paddle"),
    OpSpec("adagrad_update", adagrad_inputs, ref_adagrad,
           attrs={"lr_decay": 0.1, "weight_decay": 0.01, "eps": 1e-6}),
]


# ---------------------------------------------------------------- more optimizers (torch docs
# pseudocode and Paddle's documented kernels, one step, float64 NumPy)


def ref_adadelta(param, grad, sq, acc, lr, rho=0.9, eps=1e-6, weight_decay=0.0,
                 maximize=False):
    dts = (param.dtype,) * 3
    p, g, v, u, lr = (_orig(a) for a in (param, grad, sq, acc, lr))
    g = (-g if maximize else g) + weight_decay * p
    v = rho * v + (1 - rho) * g ** 2
    dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = rho * u + (1 - rho) * dx ** 2
    return _out(dts, p - lr * dx, v, u)


def ref_adamax(param, grad, m, u, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.0, maximize=False, style="torch"):
    dts = (param.dtype, param.dtype, param.dtype, step.dtype)
    p, g, m, u, t, lr = (_orig(a) for a in (param, grad, m, u, step, lr))
    t = t + 1
    g = (-g if maximize else g) + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    if style == "paddle":
        u = np.maximum(beta2 * u + eps, np.abs(g))
    else:
        u = np.maximum(beta2 * u, np.abs(g) + eps)
    return _out(dts, p - lr / (1 - beta1 ** t) * m / u, m, u, t)


def ref_nadam(param, grad, m, v, mu_prod, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, momentum_decay=4e-3, decoupled_weight_decay=False,
              maximize=False):
    dts = (param.dtype, param.dtype, param.dtype, mu_prod.dtype, step.dtype)
    p, g, m, v, prod, t, lr = (_orig(a) for a in (param, grad, m, v, mu_prod, step, lr))
    t = t + 1
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu1 = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    prod = prod * mu
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = mu1 * m / (1 - prod * mu1) + (1 - mu) * g / (1 - prod)
    v_hat = v / (1 - beta2 ** t)
    return _out(dts, p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, prod, t)


def ref_radam(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, decoupled_weight_decay=False, maximize=False):
    dts = (param.dtype, param.dtype, param.dtype, step.dtype)
    p, g, m, v, t, lr = (_orig(a) for a in (param, grad, m, v, step, lr))
    t = t + 1
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    if rho_t > 5:
        l_t = np.sqrt(1 - beta2 ** t) / (np.sqrt(v) + eps)
        r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                      / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p = p - lr * m_hat * r_t * l_t
    else:
        p = p - lr * m_hat
    return _out(dts, p, m, v, t)


def ref_lamb(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-6,
             weight_decay=0.01, always_adapt=False):
    dts = (param.dtype, param.dtype, param.dtype, step.dtype)
    p, g, m, v, t, lr = (_orig(a) for a in (param, grad, m, v, step, lr))
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    r = (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps) + weight_decay * p
    ratio = 1.0
    if weight_decay != 0 or always_adapt:
        pn, rn = np.linalg.norm(p), np.linalg.norm(r)
        ratio = pn / rn if pn > 0 and rn > 0 else 1.0
    return _out(dts, p - lr * ratio * r, m, v, t)


def ref_rprop(param, grad, prev, sizes, etaminus=0.5, etaplus=1.2, step_size_min=1e-6,
              step_size_max=50.0, maximize=False):
    dts = (param.dtype,) * 3
    p, g, prev, sizes = (_orig(a) for a in (param, grad, prev, sizes))
    g = -g if maximize else g
    p, prev, sizes = p.copy(), prev.copy(), sizes.copy()
    for i in np.ndindex(p.shape):
        s = g[i] * prev[i]
        gi = g[i]
        if s > 0:
            sizes[i] = min(sizes[i] * etaplus, step_size_max)
        elif s < 0:
            sizes[i] = max(sizes[i] * etaminus, step_size_min)
            gi = 0.0
        p[i] -= np.sign(gi) * sizes[i]
        prev[i] = gi
    return _out(dts, p, prev, sizes)


def ref_asgd(param, grad, ax, eta, mu, step, lr, lambd=1e-4, alpha=0.75, t0=1e6,
             weight_decay=0.0, maximize=False):
    dts = (param.dtype, param.dtype, eta.dtype, mu.dtype, step.dtype)
    p, g, ax, eta, mu, t, lr = (_orig(a) for a in (param, grad, ax, eta, mu, step, lr))
    t = t + 1
    g = (-g if maximize else g) + weight_decay * p
    p = p * (1 - lambd * eta) - eta * g
    ax = p.copy() if mu == 1 else ax + (p - ax) * mu
    return _out(dts, p, ax, lr / (1 + lambd * lr * t) ** alpha, 1 / max(1, t - t0), t)


def ref_sag(param, grad, d, ys, m, lr):
    dts = (param.dtype, param.dtype, param.dtype, m.dtype)
    p, g, d, ys, m, lr = (_orig(a) for a in (param, grad, d, ys, m, lr))
    n = ys.shape[0]
    i = int(m.reshape(-1)[0]) % n
    d = d - ys[i] + g
    ys = ys.copy()
    ys[i] = g
    m = m + 1
    return _out(dts, p - lr * d / min(int(m.reshape(-1)[0]), n), d, ys, m)


def adadelta_inputs(r, d):
    return _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), uniform(r, d, 0.1, 1.0, 3, 4),
                  uniform(r, d, 0.0, 0.5, 3, 4), _lr(d, 0.5)))


def adam_like_inputs(step, second=True):
    def make(r, d):
        v = uniform(r, d, 0.01, 1.0, 2, 5)
        return _kept((randn(r, d, 2, 5), randn(r, d, 2, 5), randn(r, d, 2, 5) * 0.1, v,
                      _step(step), _lr(d, 0.01)))
    return make


def nadam_inputs(r, d):
    return _kept((randn(r, d, 2, 5), randn(r, d, 2, 5), randn(r, d, 2, 5) * 0.1,
                  uniform(r, d, 0.01, 1.0, 2, 5), np.asarray(0.7, d), _step(3),
                  _lr(d, 0.01)))


def rprop_inputs(r, d):
    return _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), randn(r, d, 3, 4),
                  uniform(r, d, 0.01, 0.1, 3, 4)))


def asgd_inputs(mu):
    return lambda r, d: _kept((randn(r, d, 3, 4), randn(r, d, 3, 4), randn(r, d, 3, 4),
                               np.asarray(0.05, d), np.asarray(mu, d), _step(4),
                               _lr(d, 0.1)))


def sag_inputs(r, d):
    return _kept((randn(r, d, 3, 2), randn(r, d, 3, 2), randn(r, d, 3, 2),
                  randn(r, d, 3, 3, 2), np.asarray([4], np.int64), _lr(d, 0.1)))


SPECS += [
    OpSpec("adadelta_update", adadelta_inputs, ref_adadelta,
           attrs={"rho": 0.8, "eps": 1e-4, "weight_decay": 0.05, "maximize": True}),
    OpSpec("adamax_update", adam_like_inputs(2), ref_adamax,
           attrs={"beta1": 0.8, "weight_decay": 0.1, "eps": 1e-3}),
    OpSpec("adamax_update", adam_like_inputs(0), ref_adamax,
           attrs={"eps": 1e-2, "style": "paddle"}, name="paddle"),
    OpSpec("nadam_update", nadam_inputs, ref_nadam,
           attrs={"beta1": 0.85, "weight_decay": 0.1, "momentum_decay": 0.01}),
    OpSpec("nadam_update", nadam_inputs, ref_nadam,
           attrs={"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
           name="decoupled-maximize"),
    OpSpec("radam_update", adam_like_inputs(9), ref_radam,
           attrs={"weight_decay": 0.1, "eps": 1e-3}, name="rectified"),
    OpSpec("radam_update", adam_like_inputs(1), ref_radam,
           attrs={"weight_decay": 0.1, "decoupled_weight_decay": True}, name="sgd-phase"),
    OpSpec("lamb_update", adam_like_inputs(3), ref_lamb, attrs={"weight_decay": 0.05}),
    OpSpec("lamb_update", adam_like_inputs(0), ref_lamb, attrs={"weight_decay": 0.0},
           name="excluded"),
    OpSpec("rprop_update", rprop_inputs, ref_rprop,
           attrs={"etaminus": 0.4, "etaplus": 1.5, "step_size_min": 0.02,
                  "step_size_max": 0.12}),
    OpSpec("asgd_update", asgd_inputs(1.0), ref_asgd,
           attrs={"lambd": 0.01, "weight_decay": 0.1, "alpha": 0.5}),
    OpSpec("asgd_update", asgd_inputs(0.25), ref_asgd,
           attrs={"lambd": 0.01, "t0": 2.0, "maximize": True}, name="averaging"),
    OpSpec("sag_update", sag_inputs, ref_sag),
]
