"""Optimizer updates: the one place where kernels write into their inputs (DESIGN.md section 10).

Each op updates the parameter and its optimizer state in place (`inplace={out: in}`), writing
with `out=` so a step makes at most one or two parameter-sized temporaries, and returns the
updated arrays. `lr` and `step` are 0-d array inputs (shape () or (1,)), so a static program
keeps them as variables and a learning-rate schedule never changes the program. `step` counts
the updates already applied; the op adds one to it (PyTorch's `state['step']`). Optional state
inputs (Adam's `max_exp_avg_sq`, RMSprop's momentum buffer and gradient average) may be None:
their output is then None as well. None of these ops is differentiable.

The formulas are PyTorch's single-tensor `torch.optim` code (maximize=False shown; maximize
negates the gradient first). Writing g for grad + weight_decay * param (L2, when weight_decay):

    sgd_update       param -= lr * g
    momentum_update  b = g on the first step (step == 0), else momentum * b + (1 - dampening) * g;
                     param -= lr * (g + momentum * b if nesterov else b)
    adam_update      t = step + 1; m += (1 - beta1) * (g - m); v = beta2 * v + (1 - beta2) * g * g;
                     vmax = max(vmax, v) (amsgrad, when vmax is given; v below means vmax then);
                     param -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    adamw_update     param *= 1 - lr * weight_decay (decoupled), then adam_update without L2
    rmsprop_update   s = alpha * s + (1 - alpha) * g * g; centered (grad_avg given):
                     a += (1 - alpha) * (g - a), d = sqrt(s - a * a) + eps, else d = sqrt(s) + eps;
                     with a momentum buffer: b = momentum * b + g / d, param -= lr * b;
                     without: param -= lr * g / d
    adagrad_update   t = step + 1; s += g * g;
                     param -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

Paddle's optimizers map onto the same ops: Momentum is momentum_update with dampening 0 (its
velocity = mu * v + g, param -= lr * v, use_nesterov: param -= lr * (g + mu * v)); Paddle's
Adam kernel computes lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps * sqrt(1 -
beta2^t)), algebraically PyTorch's formula above; AdamW (lr_ratio folded into lr) and Adagrad
(initial_accumulator_value is how the front end fills `state_sum`) match too. Only RMSProp
differs: `style="paddle"` puts eps inside the square root and the learning rate into the
momentum buffer: d = sqrt(s [- a * a] + eps), b = momentum * b + lr * g / d, param -= b.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .registry import Meta, register

# ---------------------------------------------------------------- shared checks and helpers


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x == y or x == -1 or y == -1 for x, y in zip(a, b))


def _check_scalar(name: str, meta: Meta | None) -> None:
    if meta is not None and tuple(meta.shape) not in ((), (1,), (-1,)):
        raise ValueError(f"{name} must be a 0-d array (or shape [1]), got shape {list(meta.shape)}")


def _check_update(param: Meta, grad: Meta, lr: Meta | None, step: Meta | None = None,
                  **states: Meta | None) -> None:
    """param is floating; grad and every given state match its shape and dtype."""
    if param.dtype.kind != "f":
        raise ValueError(f"param must be floating point, got {param.dtype}")
    for name, meta in (("grad", grad),) + tuple(states.items()):
        if meta is None:
            continue
        if not _same_shape(meta.shape, param.shape) or meta.dtype != param.dtype:
            raise ValueError(f"{name} {list(meta.shape)} {meta.dtype} does not match param "
                             f"{list(param.shape)} {param.dtype}")
    _check_scalar("lr", lr)
    if lr is not None and lr.dtype.kind != "f":
        raise ValueError(f"lr must be floating point, got {lr.dtype}")
    _check_scalar("step", step)
    if step is not None and step.dtype.kind not in "iuf":
        raise ValueError(f"step must be a real number, got {step.dtype}")


def _require(param, **inputs) -> None:
    """canon's cheap checks (the kernels run without `infer` on arrays)."""
    dtype = None if param is None else dtypes.as_np(param.dtype)
    if dtype is None or dtype.kind != "f":
        raise ValueError(f"param must be floating point, got {dtype}")
    for name, value in inputs.items():
        if value is None:
            raise ValueError(f"the {name} input is required (a 0-d array), got None")


def _step_meta(step: Meta | None) -> Meta:
    return Meta((), np.dtype(np.int64)) if step is None else step


def _nonneg(**values) -> None:
    for name, v in values.items():
        if not v >= 0.0:
            raise ValueError(f"Invalid {name} value: {v}")


def _scalar(xp, a):
    """A 0-d input (lr, step) for scalar math: a Python number on the CPU (cheap), a float64
    0-d array on the GPU (reading it on the host would wait for the device)."""
    if isinstance(a, (int, float)):
        return a
    return a.item() if xp is np else a.reshape(()).astype(np.float64)


def _factor(x, dtype):
    """A scalar factor in the parameter's dtype. Python numbers are weak scalars already; a
    float64 0-d array would make NumPy 2 compute a float32 update in float64."""
    return x if isinstance(x, (int, float)) else x.astype(dtype)


def _grad(xp, grad, param, weight_decay: float, maximize: bool):
    """(g, owned): the gradient with L2 decay added (torch `grad.add(param, alpha=wd)`) and
    maximize applied; owned says whether g is a fresh temporary the caller may overwrite."""
    if weight_decay == 0.0:
        return (xp.negative(grad), True) if maximize else (grad, False)
    g = xp.multiply(param, weight_decay)
    if maximize:
        g -= grad
    else:
        g += grad
    return g, True


# ---------------------------------------------------------------- SGD and momentum


def _sgd_canon(param, grad, lr, weight_decay=0.0, maximize=False):
    _require(param, lr=lr)
    _nonneg(weight_decay=weight_decay)
    return {"weight_decay": float(weight_decay), "maximize": bool(maximize)}


def _sgd_infer(param, grad, lr, **attrs):
    _check_update(param, grad, lr)
    return param


@register("sgd_update", infer=_sgd_infer, canon=_sgd_canon, inplace={0: 0}, saves=(),
          differentiable=False)
def sgd_update(xp, param, grad, lr, *, weight_decay=0.0, maximize=False):
    """param -= lr * (grad + weight_decay * param), in place."""
    g, owned = _grad(xp, grad, param, weight_decay, maximize)
    lr = _factor(_scalar(xp, lr), param.dtype)
    if owned:
        g *= lr
    else:
        g = xp.multiply(g, lr)
    param -= g
    return param


def _momentum_canon(param, grad, velocity, step, lr, momentum=0.9, dampening=0.0,
                    nesterov=False, weight_decay=0.0, maximize=False):
    _require(param, velocity=velocity, lr=lr)  # step: optional (see the kernel)
    _nonneg(momentum=momentum, weight_decay=weight_decay)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    return {"momentum": float(momentum), "dampening": float(dampening),
            "nesterov": bool(nesterov), "weight_decay": float(weight_decay),
            "maximize": bool(maximize)}


def _momentum_infer(param, grad, velocity, step, lr, **attrs):
    _check_update(param, grad, lr, step, velocity=velocity)
    return param, velocity, step  # (no step given: none returned)


@register("momentum_update", infer=_momentum_infer, canon=_momentum_canon, n_out=3,
          inplace={0: 0, 1: 2, 2: 3}, saves=(), differentiable=False)
def momentum_update(xp, param, grad, velocity, step, lr, *, momentum=0.9, dampening=0.0,
                    nesterov=False, weight_decay=0.0, maximize=False):
    """SGD with momentum (torch.optim.SGD, Paddle Momentum) -> (param, velocity, step).

    PyTorch starts the buffer as a copy of the first gradient (no dampening on step 1): with
    first = (step == 0), b = b * momentum * (1 - first) + g * (1 - dampening * (1 - first)),
    branch-free and without reading `step` on the host. step None: no first step - the
    velocity always carries on (Paddle's Momentum, whose velocity starts at zero), and the
    step output is None (nothing to count, nothing written).
    """
    dt = param.dtype
    g, _ = _grad(xp, grad, param, weight_decay, maximize)
    # 0 on the first step, else 1
    later = 1 if step is None else _factor(_scalar(xp, step) != 0, dt)
    velocity *= later * momentum
    if dampening == 0.0:
        velocity += g
    else:
        velocity += xp.multiply(g, 1.0 - later * dampening)
    lr = _factor(_scalar(xp, lr), dt)
    if nesterov:
        d = xp.multiply(velocity, momentum)
        d += g
        d *= lr
    else:
        d = xp.multiply(velocity, lr)
    param -= d
    if step is not None:
        step += 1
    return param, velocity, step


# ---------------------------------------------------------------- Adam and AdamW


def _adam_canon(param, grad, m, v, vmax, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.0, maximize=False):
    _require(param, exp_avg=m, exp_avg_sq=v, step=step, lr=lr)
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2}")
    _nonneg(epsilon=eps, weight_decay=weight_decay)
    return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
            "weight_decay": float(weight_decay), "maximize": bool(maximize)}


def _adam_infer(param, grad, m, v, vmax, step, lr, **attrs):
    _check_update(param, grad, lr, step, exp_avg=m, exp_avg_sq=v, max_exp_avg_sq=vmax)
    return param, m, v, vmax, _step_meta(step)


def _adam_step(xp, param, g, m, v, vmax, step, lr, beta1, beta2, eps):
    """The shared Adam moment and parameter update (g already holds any L2 term)."""
    dt = param.dtype
    step += 1
    t = _scalar(xp, step)
    bc2_sqrt = (1.0 - beta2 ** t) ** 0.5
    # m / (sqrt(v) / bc2_sqrt + eps) * step_size, with bc2_sqrt moved out of the element-wise
    # part (one pass fewer): m / (sqrt(v) + eps * bc2_sqrt) * (step_size * bc2_sqrt)
    step_size = _factor(_scalar(xp, lr) / (1.0 - beta1 ** t) * bc2_sqrt, dt)
    eps_hat = _factor(eps * bc2_sqrt, dt)
    tmp = xp.multiply(g, g)  # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    tmp *= 1.0 - beta2
    v *= beta2
    v += tmp
    xp.subtract(g, m, out=tmp)  # m.lerp_(g, 1 - beta1)
    tmp *= 1.0 - beta1
    m += tmp
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
    xp.sqrt(v if vmax is None else vmax, out=tmp)  # denom
    tmp += eps_hat
    xp.divide(m, tmp, out=tmp)  # param.addcdiv_(m, denom, value=-step_size)
    tmp *= step_size
    param -= tmp
    return param, m, v, vmax, step


@register("adam_update", infer=_adam_infer, canon=_adam_canon, n_out=5,
          inplace={0: 0, 1: 2, 2: 3, 3: 4, 4: 5}, saves=(), differentiable=False)
def adam_update(xp, param, grad, m, v, vmax, step, lr, *, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.0, maximize=False):
    """torch.optim.Adam (L2 weight decay added to the gradient; AMSGrad when `vmax`, the
    running max of v, is given) -> (param, exp_avg, exp_avg_sq, max_exp_avg_sq, step)."""
    g, _ = _grad(xp, grad, param, weight_decay, maximize)
    return _adam_step(xp, param, g, m, v, vmax, step, lr, beta1, beta2, eps)


def _adamw_canon(param, grad, m, v, vmax, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=0.01, maximize=False):
    return _adam_canon(param, grad, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay,
                       maximize)


@register("adamw_update", infer=_adam_infer, canon=_adamw_canon, n_out=5,
          inplace={0: 0, 1: 2, 2: 3, 3: 4, 4: 5}, saves=(), differentiable=False)
def adamw_update(xp, param, grad, m, v, vmax, step, lr, *, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=0.01, maximize=False):
    """torch.optim.AdamW / paddle AdamW: decoupled decay param *= 1 - lr * weight_decay, then
    Adam without L2 -> (param, exp_avg, exp_avg_sq, max_exp_avg_sq, step)."""
    if weight_decay != 0.0:
        param *= _factor(1.0 - _scalar(xp, lr) * weight_decay, param.dtype)
    g, _ = _grad(xp, grad, param, 0.0, maximize)
    return _adam_step(xp, param, g, m, v, vmax, step, lr, beta1, beta2, eps)


# ---------------------------------------------------------------- RMSprop and Adagrad


def _rmsprop_canon(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha=0.99,
                   eps=1e-8, weight_decay=0.0, momentum=0.0, maximize=False, style="torch"):
    _require(param, square_avg=square_avg, lr=lr)
    _nonneg(alpha=alpha, epsilon=eps, weight_decay=weight_decay, momentum=momentum)
    if style not in ("torch", "paddle"):
        raise ValueError(f"style must be 'torch' or 'paddle', got {style!r}")
    if momentum > 0 and momentum_buffer is None:
        raise ValueError(f"momentum={momentum} needs the momentum_buffer input")
    return {"alpha": float(alpha), "eps": float(eps), "weight_decay": float(weight_decay),
            "momentum": float(momentum), "maximize": bool(maximize), "style": style}


def _rmsprop_infer(param, grad, square_avg, momentum_buffer, grad_avg, lr, **attrs):
    _check_update(param, grad, lr, square_avg=square_avg, momentum_buffer=momentum_buffer,
                  grad_avg=grad_avg)
    return param, square_avg, momentum_buffer, grad_avg


@register("rmsprop_update", infer=_rmsprop_infer, canon=_rmsprop_canon, n_out=4,
          inplace={0: 0, 1: 2, 2: 3, 3: 4}, saves=(), differentiable=False)
def rmsprop_update(xp, param, grad, square_avg, momentum_buffer, grad_avg, lr, *, alpha=0.99,
                   eps=1e-8, weight_decay=0.0, momentum=0.0, maximize=False, style="torch"):
    """torch.optim.RMSprop (centered when `grad_avg` is given; momentum when
    `momentum_buffer` is given) or Paddle's RMSProp (`style="paddle"`, rho = alpha)
    -> (param, square_avg, momentum_buffer, grad_avg)."""
    dt = param.dtype
    g, _ = _grad(xp, grad, param, weight_decay, maximize)
    tmp = xp.multiply(g, g)  # square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    tmp *= 1.0 - alpha
    square_avg *= alpha
    square_avg += tmp
    if grad_avg is not None:  # centered: grad_avg.lerp_(g, 1 - alpha)
        xp.subtract(g, grad_avg, out=tmp)
        tmp *= 1.0 - alpha
        grad_avg += tmp
        xp.multiply(grad_avg, grad_avg, out=tmp)
        xp.subtract(square_avg, tmp, out=tmp)  # square_avg.addcmul(a, a, value=-1)
    var = tmp if grad_avg is not None else square_avg
    lr = _factor(_scalar(xp, lr), dt)
    if style == "paddle":
        xp.add(var, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        if momentum_buffer is not None:
            momentum_buffer *= momentum
            momentum_buffer += tmp
            tmp = momentum_buffer
        param -= tmp
        return param, square_avg, momentum_buffer, grad_avg
    xp.sqrt(var, out=tmp)
    tmp += eps
    xp.divide(g, tmp, out=tmp)
    if momentum_buffer is not None:  # buf.mul_(momentum).addcdiv_(g, avg); param -= lr * buf
        momentum_buffer *= momentum
        momentum_buffer += tmp
        xp.multiply(momentum_buffer, lr, out=tmp)
    else:
        tmp *= lr
    param -= tmp
    return param, square_avg, momentum_buffer, grad_avg


def _adagrad_canon(param, grad, state_sum, step, lr, lr_decay=0.0, weight_decay=0.0,
                   eps=1e-10, maximize=False):
    _require(param, state_sum=state_sum, step=step, lr=lr)
    _nonneg(lr_decay=lr_decay, weight_decay=weight_decay, epsilon=eps)
    return {"lr_decay": float(lr_decay), "weight_decay": float(weight_decay),
            "eps": float(eps), "maximize": bool(maximize)}


def _adagrad_infer(param, grad, state_sum, step, lr, **attrs):
    _check_update(param, grad, lr, step, state_sum=state_sum)
    return param, state_sum, _step_meta(step)


@register("adagrad_update", infer=_adagrad_infer, canon=_adagrad_canon, n_out=3,
          inplace={0: 0, 1: 2, 2: 3}, saves=(), differentiable=False)
def adagrad_update(xp, param, grad, state_sum, step, lr, *, lr_decay=0.0, weight_decay=0.0,
                   eps=1e-10, maximize=False):
    """torch.optim.Adagrad / paddle Adagrad -> (param, state_sum, step). The front end fills
    `state_sum` with initial_accumulator_value when it creates it."""
    dt = param.dtype
    step += 1
    t = _scalar(xp, step)
    clr = _factor(_scalar(xp, lr) / (1.0 + (t - 1.0) * lr_decay), dt)
    g, _ = _grad(xp, grad, param, weight_decay, maximize)
    tmp = xp.multiply(g, g)  # state_sum.addcmul_(g, g, value=1)
    state_sum += tmp
    xp.sqrt(state_sum, out=tmp)
    tmp += eps
    xp.divide(g, tmp, out=tmp)  # param.addcdiv_(g, std, value=-clr)
    tmp *= clr
    param -= tmp
    return param, state_sum, step


# ---------------------------------------------------------------- Adadelta, Adamax, NAdam, RAdam
#
#   adadelta_update  s = rho * s + (1 - rho) * g * g; d = sqrt(u + eps) / sqrt(s + eps) * g;
#                    u = rho * u + (1 - rho) * d * d; param -= lr * d (torch and Paddle alike)
#   adamax_update    m += (1 - beta1) * (g - m); torch: u = max(beta2 * u, |g| + eps),
#                    Paddle (style="paddle"): u = max(beta2 * u + eps, |g|);
#                    param -= lr / (1 - beta1^t) * m / u
#   nadam_update     mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)), mu_{t+1} likewise;
#                    P *= mu_t (mu_product); adam moments; denom = sqrt(v / (1 - beta2^t)) + eps;
#                    param -= lr * ((1 - mu_t) / (1 - P) * g + mu_{t+1} / (1 - P * mu_{t+1}) * m)
#                    / denom
#   radam_update     adam moments; rho_inf = 2 / (1 - beta2) - 1,
#                    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t); rho_t > 5: param -= lr *
#                    m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps), else param -= lr * m_hat


def _beta_checks(beta1, beta2) -> None:
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2}")


def _decay(xp, param, grad, lr, weight_decay, decoupled, maximize):
    """The gradient after maximize and L2 decay, or the decoupled decay applied to param."""
    if decoupled and weight_decay != 0.0:
        param *= _factor(1.0 - _scalar(xp, lr) * weight_decay, param.dtype)
        weight_decay = 0.0
    return _grad(xp, grad, param, weight_decay, maximize)[0]


def _moments(xp, g, m, v, beta1, beta2, tmp):
    """m += (1 - beta1) * (g - m); v = beta2 * v + (1 - beta2) * g * g (tmp is scratch)."""
    xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta2
    v *= beta2
    v += tmp
    xp.subtract(g, m, out=tmp)
    tmp *= 1.0 - beta1
    m += tmp


def _adadelta_canon(param, grad, square_avg, acc_delta, lr, rho=0.9, eps=1e-6,
                    weight_decay=0.0, maximize=False):
    _require(param, square_avg=square_avg, acc_delta=acc_delta, lr=lr)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"Invalid rho value: {rho}")
    _nonneg(epsilon=eps, weight_decay=weight_decay)
    return {"rho": float(rho), "eps": float(eps), "weight_decay": float(weight_decay),
            "maximize": bool(maximize)}


def _adadelta_infer(param, grad, square_avg, acc_delta, lr, **attrs):
    _check_update(param, grad, lr, square_avg=square_avg, acc_delta=acc_delta)
    return param, square_avg, acc_delta


@register("adadelta_update", infer=_adadelta_infer, canon=_adadelta_canon, n_out=3,
          inplace={0: 0, 1: 2, 2: 3}, saves=(), differentiable=False)
def adadelta_update(xp, param, grad, square_avg, acc_delta, lr, *, rho=0.9, eps=1e-6,
                    weight_decay=0.0, maximize=False):
    """torch.optim.Adadelta / paddle Adadelta -> (param, square_avg, acc_delta)."""
    g = _decay(xp, param, grad, lr, weight_decay, False, maximize)
    tmp = xp.multiply(g, g)
    tmp *= 1.0 - rho
    square_avg *= rho
    square_avg += tmp
    xp.add(square_avg, eps, out=tmp)
    xp.sqrt(tmp, out=tmp)
    delta = xp.add(acc_delta, eps)
    xp.sqrt(delta, out=delta)
    delta /= tmp
    delta *= g
    xp.multiply(delta, delta, out=tmp)
    tmp *= 1.0 - rho
    acc_delta *= rho
    acc_delta += tmp
    delta *= _factor(_scalar(xp, lr), param.dtype)
    param -= delta
    return param, square_avg, acc_delta


def _adamax_canon(param, grad, exp_avg, exp_inf, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                  weight_decay=0.0, maximize=False, style="torch"):
    _require(param, exp_avg=exp_avg, exp_inf=exp_inf, step=step, lr=lr)
    _beta_checks(beta1, beta2)
    _nonneg(epsilon=eps, weight_decay=weight_decay)
    if style not in ("torch", "paddle"):
        raise ValueError(f"style must be 'torch' or 'paddle', got {style!r}")
    return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
            "weight_decay": float(weight_decay), "maximize": bool(maximize), "style": style}


def _adamax_infer(param, grad, exp_avg, exp_inf, step, lr, **attrs):
    _check_update(param, grad, lr, step, exp_avg=exp_avg, exp_inf=exp_inf)
    return param, exp_avg, exp_inf, _step_meta(step)


@register("adamax_update", infer=_adamax_infer, canon=_adamax_canon, n_out=4,
          inplace={0: 0, 1: 2, 2: 3, 3: 4}, saves=(), differentiable=False)
def adamax_update(xp, param, grad, exp_avg, exp_inf, step, lr, *, beta1=0.9, beta2=0.999,
                  eps=1e-8, weight_decay=0.0, maximize=False, style="torch"):
    """torch.optim.Adamax (eps added to |g|) or paddle Adamax (`style="paddle"`: eps added to
    the decayed norm) -> (param, exp_avg, exp_inf, step)."""
    g = _decay(xp, param, grad, lr, weight_decay, False, maximize)
    step += 1
    t = _scalar(xp, step)
    tmp = xp.subtract(g, exp_avg)
    tmp *= 1.0 - beta1
    exp_avg += tmp
    xp.abs(g, out=tmp)
    exp_inf *= beta2
    if style == "paddle":
        exp_inf += eps
    else:
        tmp += eps
    xp.maximum(exp_inf, tmp, out=exp_inf)
    xp.divide(exp_avg, exp_inf, out=tmp)
    tmp *= _factor(_scalar(xp, lr) / (1.0 - beta1 ** t), param.dtype)
    param -= tmp
    return param, exp_avg, exp_inf, step


def _nadam_canon(param, grad, exp_avg, exp_avg_sq, mu_product, step, lr, beta1=0.9,
                 beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False):
    _require(param, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, mu_product=mu_product, step=step,
             lr=lr)
    _beta_checks(beta1, beta2)
    _nonneg(epsilon=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
    return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
            "weight_decay": float(weight_decay), "momentum_decay": float(momentum_decay),
            "decoupled_weight_decay": bool(decoupled_weight_decay), "maximize": bool(maximize)}


def _nadam_infer(param, grad, exp_avg, exp_avg_sq, mu_product, step, lr, **attrs):
    _check_update(param, grad, lr, step, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    _check_scalar("mu_product", mu_product)
    return param, exp_avg, exp_avg_sq, mu_product, _step_meta(step)


@register("nadam_update", infer=_nadam_infer, canon=_nadam_canon, n_out=5,
          inplace={0: 0, 1: 2, 2: 3, 3: 4, 4: 5}, saves=(), differentiable=False)
def nadam_update(xp, param, grad, exp_avg, exp_avg_sq, mu_product, step, lr, *, beta1=0.9,
                 beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False):
    """torch.optim.NAdam / paddle NAdam -> (param, exp_avg, exp_avg_sq, mu_product, step);
    `mu_product` is a 0-d state holding the product of the momentum schedule (starts at 1)."""
    dt = param.dtype
    g = _decay(xp, param, grad, lr, weight_decay, decoupled_weight_decay, maximize)
    step += 1
    t = _scalar(xp, step)
    lr = _scalar(xp, lr)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
    mu_product *= mu
    prod = _scalar(xp, mu_product)
    tmp = xp.empty_like(param)
    _moments(xp, g, exp_avg, exp_avg_sq, beta1, beta2, tmp)
    xp.divide(exp_avg_sq, _factor(1.0 - beta2 ** t, dt), out=tmp)
    xp.sqrt(tmp, out=tmp)
    tmp += eps  # denom
    num = xp.multiply(g, _factor(lr * (1.0 - mu) / (1.0 - prod), dt))
    num += xp.multiply(exp_avg, _factor(lr * mu_next / (1.0 - prod * mu_next), dt))
    num /= tmp
    param -= num
    return param, exp_avg, exp_avg_sq, mu_product, step


def _radam_canon(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=0.0, decoupled_weight_decay=False, maximize=False):
    _require(param, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, step=step, lr=lr)
    _beta_checks(beta1, beta2)
    _nonneg(epsilon=eps, weight_decay=weight_decay)
    return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
            "weight_decay": float(weight_decay),
            "decoupled_weight_decay": bool(decoupled_weight_decay), "maximize": bool(maximize)}


def _radam_infer(param, grad, exp_avg, exp_avg_sq, step, lr, **attrs):
    _check_update(param, grad, lr, step, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    return param, exp_avg, exp_avg_sq, _step_meta(step)


@register("radam_update", infer=_radam_infer, canon=_radam_canon, n_out=4,
          inplace={0: 0, 1: 2, 2: 3, 3: 4}, saves=(), differentiable=False)
def radam_update(xp, param, grad, exp_avg, exp_avg_sq, step, lr, *, beta1=0.9, beta2=0.999,
                 eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, maximize=False):
    """torch.optim.RAdam / paddle RAdam -> (param, exp_avg, exp_avg_sq, step). The rectified
    (adaptive) step once the variance is tractable (rho_t > 5), momentum SGD before."""
    dt = param.dtype
    g = _decay(xp, param, grad, lr, weight_decay, decoupled_weight_decay, maximize)
    step += 1
    t = float(_scalar(xp, step))
    lr = _scalar(xp, lr)
    tmp = xp.empty_like(param)
    _moments(xp, g, exp_avg, exp_avg_sq, beta1, beta2, tmp)
    bc1, bc2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2 ** t / bc2
    if rho_t > 5.0:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
        xp.sqrt(exp_avg_sq, out=tmp)
        tmp += eps
        xp.divide(exp_avg, tmp, out=tmp)
        tmp *= _factor(lr / bc1 * rect * bc2 ** 0.5, dt)
    else:
        xp.multiply(exp_avg, _factor(lr / bc1, dt), out=tmp)
    param -= tmp
    return param, exp_avg, exp_avg_sq, step


# ---------------------------------------------------------------- Lamb, Rprop, ASGD
#
#   lamb_update   Paddle's Lamb: adam moments; r = m_hat / (sqrt(v_hat) + eps) + wd * param;
#                 param -= lr * ratio * r, ratio = ||param|| / ||r|| (1 when a norm is 0, or
#                 when wd == 0 and not always_adapt: parameters excluded from the decay)
#   rprop_update  s = sign(g * prev): step_size *= etaplus (s > 0) / etaminus (s < 0), clipped
#                 to [step_size_min, step_size_max]; g = 0 where s < 0;
#                 param -= sign(g) * step_size; prev = g
#   asgd_update   torch.optim.ASGD: param *= 1 - lambd * eta; param -= eta * g;
#                 ax = param if mu == 1 else ax + mu * (param - ax);
#                 eta = lr / (1 + lambd * lr * t)^alpha; mu = 1 / max(1, t - t0)
#   sag_update    paddle ASGD (stochastic average gradient over batch_num slots):
#                 i = m % n; d += g - y[i]; y[i] = g; m += 1; param -= lr * d / min(m, n)


def _lamb_canon(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-6,
                weight_decay=0.01, always_adapt=False):
    _require(param, moment1=m, moment2=v, step=step, lr=lr)
    _beta_checks(beta1, beta2)
    _nonneg(epsilon=eps, weight_decay=weight_decay)
    return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
            "weight_decay": float(weight_decay), "always_adapt": bool(always_adapt)}


def _lamb_infer(param, grad, m, v, step, lr, **attrs):
    _check_update(param, grad, lr, step, moment1=m, moment2=v)
    return param, m, v, _step_meta(step)


@register("lamb_update", infer=_lamb_infer, canon=_lamb_canon, n_out=4,
          inplace={0: 0, 1: 2, 2: 3, 3: 4}, saves=(), differentiable=False)
def lamb_update(xp, param, grad, m, v, step, lr, *, beta1=0.9, beta2=0.999, eps=1e-6,
                weight_decay=0.01, always_adapt=False):
    """paddle.optimizer.Lamb (layer-wise trust ratio) -> (param, moment1, moment2, step)."""
    dt = param.dtype
    step += 1
    t = _scalar(xp, step)
    tmp = xp.empty_like(param)
    _moments(xp, grad, m, v, beta1, beta2, tmp)
    xp.divide(v, _factor(1.0 - beta2 ** t, dt), out=tmp)
    xp.sqrt(tmp, out=tmp)
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    tmp *= _factor(1.0 / (1.0 - beta1 ** t), dt)
    if weight_decay != 0.0:
        tmp += xp.multiply(param, weight_decay)
    lr = _factor(_scalar(xp, lr), dt)
    if weight_decay != 0.0 or always_adapt:
        p_norm = xp.sqrt((param * param).sum())
        r_norm = xp.sqrt((tmp * tmp).sum())
        ok = (p_norm > 0) & (r_norm > 0)
        ratio = xp.where(ok, p_norm / xp.where(ok, r_norm, 1), 1).astype(dt)
        tmp *= ratio
    tmp *= lr
    param -= tmp
    return param, m, v, step


def _rprop_canon(param, grad, prev, step_size, etaminus=0.5, etaplus=1.2, step_size_min=1e-6,
                 step_size_max=50.0, maximize=False):
    _require(param, prev=prev, step_size=step_size)
    if not 0.0 < etaminus < 1.0 < etaplus:
        raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")
    if not 0.0 <= step_size_min <= step_size_max:
        raise ValueError(f"Invalid step sizes: {step_size_min}, {step_size_max}")
    return {"etaminus": float(etaminus), "etaplus": float(etaplus),
            "step_size_min": float(step_size_min), "step_size_max": float(step_size_max),
            "maximize": bool(maximize)}


def _rprop_infer(param, grad, prev, step_size, **attrs):
    _check_update(param, grad, None, prev=prev, step_size=step_size)
    return param, prev, step_size


@register("rprop_update", infer=_rprop_infer, canon=_rprop_canon, n_out=3,
          inplace={0: 0, 1: 2, 2: 3}, saves=(), differentiable=False)
def rprop_update(xp, param, grad, prev, step_size, *, etaminus=0.5, etaplus=1.2,
                 step_size_min=1e-6, step_size_max=50.0, maximize=False):
    """torch.optim.Rprop / paddle Rprop -> (param, prev, step_size); `step_size` holds the
    per-element rates (the front end fills it with the learning rate)."""
    g = xp.negative(grad) if maximize else grad
    s = xp.sign(xp.multiply(g, prev))
    factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0)).astype(param.dtype)
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    g = xp.where(s < 0, 0, g).astype(param.dtype)
    param -= xp.sign(g) * step_size
    prev[...] = g
    return param, prev, step_size


def _asgd_canon(param, grad, ax, eta, mu, step, lr, lambd=1e-4, alpha=0.75, t0=1e6,
                weight_decay=0.0, maximize=False):
    _require(param, ax=ax, eta=eta, mu=mu, step=step, lr=lr)
    _nonneg(weight_decay=weight_decay)
    return {"lambd": float(lambd), "alpha": float(alpha), "t0": float(t0),
            "weight_decay": float(weight_decay), "maximize": bool(maximize)}


def _asgd_infer(param, grad, ax, eta, mu, step, lr, **attrs):
    _check_update(param, grad, lr, step, ax=ax)
    _check_scalar("eta", eta)
    _check_scalar("mu", mu)
    return param, ax, eta, mu, _step_meta(step)


@register("asgd_update", infer=_asgd_infer, canon=_asgd_canon, n_out=5,
          inplace={0: 0, 1: 2, 2: 3, 3: 4, 4: 5}, saves=(), differentiable=False)
def asgd_update(xp, param, grad, ax, eta, mu, step, lr, *, lambd=1e-4, alpha=0.75, t0=1e6,
                weight_decay=0.0, maximize=False):
    """torch.optim.ASGD -> (param, ax, eta, mu, step); eta (starts at lr) and mu (starts at 1)
    are 0-d state."""
    dt = param.dtype
    g = _decay(xp, param, grad, lr, weight_decay, False, maximize)
    step += 1
    t = _scalar(xp, step)
    e = _scalar(xp, eta)
    param *= _factor(1.0 - lambd * e, dt)
    param -= xp.multiply(g, _factor(e, dt))
    mu_now = _scalar(xp, mu)
    if xp is np and mu_now == 1:
        ax[...] = param
    else:
        diff = xp.subtract(param, ax)
        diff *= _factor(mu_now, dt)
        ax += diff
    lr = _scalar(xp, lr)
    eta[...] = lr / (1.0 + lambd * lr * t) ** alpha
    mu[...] = 1.0 / xp.maximum(1.0, t - t0) if xp is not np else 1.0 / max(1.0, t - t0)
    return param, ax, eta, mu, step


def _sag_canon(param, grad, d, ys, m, lr):
    _require(param, d=d, y=ys, m=m, lr=lr)
    return {}


def _sag_infer(param, grad, d, ys, m, lr):
    _check_update(param, grad, lr, d=d)
    if ys.dtype != param.dtype or not _same_shape(tuple(ys.shape)[1:], param.shape):
        raise ValueError(f"y {list(ys.shape)} {ys.dtype} must be [batch_num] + param shape "
                         f"{list(param.shape)} {param.dtype}")
    _check_scalar("m", m)
    return param, d, ys, _step_meta(m)


@register("sag_update", infer=_sag_infer, canon=_sag_canon, n_out=4,
          inplace={0: 0, 1: 2, 2: 3, 3: 4}, saves=(), differentiable=False)
def sag_update(xp, param, grad, d, ys, m, lr):
    """paddle.optimizer.ASGD (stochastic average gradient; `ys` [batch_num, *param.shape]
    keeps the last gradient of each slot, `m` counts the updates) -> (param, d, ys, m)."""
    n = ys.shape[0]
    i = int(_scalar(xp, m)) % n
    d += grad
    d -= ys[i]
    ys[i] = grad
    m += 1
    count = min(int(_scalar(xp, m)), n)
    param -= xp.multiply(d, _factor(_scalar(xp, lr) / count, param.dtype))
    return param, d, ys, m
