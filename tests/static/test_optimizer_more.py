"""paddle.optimizer's Adadelta, Adamax, Lamb, NAdam, RAdam, Rprop and ASGD: several explicit
Executor steps against NumPy loops of Paddle's documented formulas, the same losses in implicit
mode, state_dict round trips, and the cyclical schedules of paddle.optimizer.lr."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
from dualnet_static import static, unique_name
from dualnet_static.optimizer import ASGD, Adadelta, Adamax, Lamb, NAdam, RAdam, Rprop
from dualnet_static.optimizer import lr as lr_mod
from tests.static.implicit_helpers import fresh_dynamic_mode
from tests.static.test_optimizer import W0, B0, X, Y, _build, _check, _reference, _run

STEPS = 6


def _adadelta(lr, eps=1e-6, rho=0.95):
    def update(n, p, g, s):
        s["e"] = rho * s.get("e", 0.0) + (1 - rho) * g * g
        dx = -np.sqrt((s.get("u", 0.0) + eps) / (s["e"] + eps)) * g
        s["u"] = rho * s.get("u", 0.0) + (1 - rho) * dx * dx
        return p + lr * dx
    return update


def _adamax(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    def update(n, p, g, s):
        g = g + wd * p
        t = s["t"] = s.get("t", 0) + 1
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0.0) + eps, np.abs(g))
        return p - lr / (1 - b1 ** t) * s["m"] / s["u"]
    return update


def _nadam(lr, b1=0.9, b2=0.999, eps=1e-8, psi=0.004):
    def update(n, p, g, s):
        t = s["t"] = s.get("t", 0) + 1
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        s["P"] = s.get("P", 1.0) * mu
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = mu1 * s["m"] / (1 - s["P"] * mu1) + (1 - mu) * g / (1 - s["P"])
        return p - lr * m_hat / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
    return update


def _radam(lr, b1=0.9, b2=0.999, eps=1e-8):
    rho_inf = 2 / (1 - b2) - 1

    def update(n, p, g, s):
        t = s["t"] = s.get("t", 0) + 1
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t <= 5:
            return p - lr * m_hat
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                      / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return p - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(s["v"]) + eps)
    return update


def _lamb(lr, wd=0.01, b1=0.9, b2=0.999, eps=1e-6, excluded=()):
    def update(n, p, g, s):
        decay = 0.0 if n in excluded else wd
        t = s["t"] = s.get("t", 0) + 1
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        r = s["m"] / (1 - b1 ** t) / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps) + decay * p
        ratio = np.linalg.norm(p) / np.linalg.norm(r) if decay else 1.0
        return p - lr * ratio * r
    return update


def _rprop(lr, lo=1e-5, hi=50, etas=(0.5, 1.2)):
    def update(n, p, g, s):
        prev, rate = s.get("prev", np.zeros_like(p)), s.get("rate", np.full_like(p, lr))
        sign = g * prev
        rate = np.where(sign > 0, np.minimum(rate * etas[1], hi),
                        np.where(sign < 0, np.maximum(rate * etas[0], lo), rate))
        g = np.where(sign < 0, 0.0, g)
        s["prev"], s["rate"] = g, rate
        return p - np.sign(g) * rate
    return update


def _sag(lr, n_slots, wd=0.0):
    def update(n, p, g, s):
        g = g + wd * p
        m = s.get("m", 0)
        ys = s.setdefault("y", [np.zeros_like(p)] * n_slots)
        s["d"] = s.get("d", 0.0) - ys[m % n_slots] + g
        ys[m % n_slots] = g
        s["m"] = m + 1
        return p - lr * s["d"] / min(m + 1, n_slots)
    return update


CASES = {
    "adadelta": (lambda: Adadelta(learning_rate=0.5), _adadelta(0.5)),
    "adamax": (lambda: Adamax(0.05, epsilon=1e-3, weight_decay=0.1),
               _adamax(0.05, eps=1e-3, wd=0.1)),
    "nadam": (lambda: NAdam(learning_rate=0.05), _nadam(0.05)),
    "radam": (lambda: RAdam(learning_rate=0.05, beta2=0.9), _radam(0.05, b2=0.9)),
    "lamb": (lambda: Lamb(learning_rate=0.05, lamb_weight_decay=0.1), _lamb(0.05, 0.1)),
    "lamb_excluded": (
        lambda: Lamb(0.05, lamb_weight_decay=0.1,
                     exclude_from_weight_decay_fn=lambda p: p.name.endswith("b_0")),
        _lamb(0.05, 0.1, excluded=("b",))),
    "rprop": (lambda: Rprop(0.05, learning_rate_range=(1e-3, 0.08)),
              _rprop(0.05, 1e-3, 0.08)),
    "asgd": (lambda: ASGD(0.05, batch_num=3, weight_decay=0.1), _sag(0.05, 3, 0.1)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_explicit_updates_match_paddle_formulas(case):
    make_opt, update = CASES[case]
    main, startup, loss, *_ = _build(make_opt)
    _check(_run(main, startup, loss, steps=STEPS), _reference(update, steps=STEPS))


def test_state_names_and_round_trip():
    main, startup, loss, opt, *_ = _build(lambda: NAdam(0.05))
    assert {"fc.w_0_moment1_0", "fc.w_0_moment2_0", "fc.w_0_mu_product_0",
            "fc.w_0_step_0"} <= set(main.global_block().vars)
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    for _ in range(3):
        exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss], scope=scope)
    saved = opt.state_dict(scope)
    assert saved["fc.w_0_step_0"].tolist() == [3]
    other = static.Scope()
    exe.run(startup, scope=other)
    for name in ("fc.w_0", "fc.b_0"):
        other.var(name).set(scope.find_var(name).get_tensor().numpy().copy())
    opt.set_state_dict(saved, other)
    a = [exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss], scope=s)[0] for s in
         (scope, other)]
    np.testing.assert_allclose(a[0], a[1], rtol=1e-12)
    asgd = _build(lambda: ASGD(0.1, batch_num=4))[0]
    assert asgd.global_block().var("fc.w_0_y_0").shape == [4, 3, 2]


# ---------------------------------------------------------------- implicit == explicit

def _explicit_losses(make_opt, steps):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float32")
        y = static.data("y", [5, 2], "float32")
        lin = nn.Linear(3, 2)
        r = lin(x) - y
        loss = paddle.mean(r * r)
        make_opt(lin.parameters()).minimize(loss)
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    scope.var(lin.weight.name).set(W0.astype(np.float32))
    scope.var(lin.bias.name).set(B0.astype(np.float32))
    feed = {"x": X.astype(np.float32), "y": Y.astype(np.float32)}
    return [float(exe.run(main, feed=feed, fetch_list=[loss], scope=scope)[0])
            for _ in range(steps)]


def _implicit_losses(make_opt, steps):
    with fresh_dynamic_mode():
        lin = nn.Linear(3, 2)
        lin.weight.set_value(W0.astype(np.float32))
        lin.bias.set_value(B0.astype(np.float32))
        opt = make_opt(lin.parameters())
        out = []
        for _ in range(steps):
            r = lin(paddle.to_tensor(X.astype(np.float32))) - paddle.to_tensor(
                Y.astype(np.float32))
            loss = paddle.mean(r * r)
            loss.backward()
            opt.step()
            opt.clear_grad()
            out.append(float(loss))
        return out


IMPLICIT = {
    "adadelta": lambda ps: Adadelta(0.5, parameters=ps),
    "adamax": lambda ps: Adamax(0.05, parameters=ps, weight_decay=0.01),
    "lamb": lambda ps: Lamb(0.05, parameters=ps),
    "nadam": lambda ps: NAdam(0.05, parameters=ps),
    "radam": lambda ps: RAdam(0.05, beta2=0.9, parameters=ps),
    "rprop": lambda ps: Rprop(0.05, parameters=ps),
    "asgd": lambda ps: ASGD(0.05, batch_num=2, parameters=ps),
}


@pytest.mark.parametrize("name", list(IMPLICIT))
def test_implicit_and_explicit_modes_give_the_same_losses(name):
    explicit = _explicit_losses(IMPLICIT[name], 5)
    implicit = _implicit_losses(IMPLICIT[name], 5)
    np.testing.assert_allclose(implicit, explicit, rtol=1e-5)
    assert explicit[-1] < explicit[0]


# ---------------------------------------------------------------- schedules

def _sequence(sched, n):
    out = []
    for _ in range(n):
        out.append(sched())
        sched.step()
    return out


def test_one_cycle_lr_closed_form():
    total, peak = 10, 0.1
    got = _sequence(lr_mod.OneCycleLR(peak, total, end_learning_rate=1e-4), total)
    init, up = peak / 25, 0.3 * total - 1

    def cos(a, b, pct):
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)
    want = [cos(init, peak, t / up) if t <= up else
            cos(peak, 1e-4, (t - up) / (total - 1 - up)) for t in range(total)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    lin = _sequence(lr_mod.OneCycleLR(0.1, 10, anneal_strategy="linear", three_phase=True), 10)
    assert lin[0] == pytest.approx(0.004) and max(lin) == pytest.approx(0.1)
    assert lin[-1] == pytest.approx(1e-4)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_closed_form(mode):
    got = _sequence(lr_mod.CyclicLR(0.01, 0.1, step_size_up=3, step_size_down=2, mode=mode,
                                    exp_gamma=0.9), 17)
    want = []
    for it in range(17):
        cycle = 1 + it // 5
        x = 1 + it / 5 - cycle
        scale = x / 0.6 if x <= 0.6 else (1 - x) / 0.4
        amp = {"triangular": 1, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": 0.9 ** it}
        want.append(0.01 + 0.09 * scale * amp[mode])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cosine_annealing_warm_restarts_closed_form_and_state():
    sched = lr_mod.CosineAnnealingWarmRestarts(0.1, T_0=3, T_mult=2, eta_min=0.01)
    got = _sequence(sched, 12)
    periods = [(0, 3), (3, 6), (9, 12)]
    want = []
    for t in range(12):
        start, length = next((s, n) for s, n in periods if s <= t < s + n)
        want.append(0.01 + 0.09 * (1 + math.cos(math.pi * (t - start) / length)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    state = sched.state_dict()
    again = lr_mod.CosineAnnealingWarmRestarts(0.1, T_0=3, T_mult=2, eta_min=0.01)
    again.set_state_dict(state)
    sched.step()
    again.step()
    assert again() == pytest.approx(sched())


def test_scheduler_drives_a_new_optimizer():
    sched = lr_mod.CyclicLR(0.01, 0.1, step_size_up=2)
    main, startup, loss, opt, *_ = _build(lambda: Adamax(learning_rate=sched))
    assert opt.get_lr() == pytest.approx(0.01)
    sched.step()
    assert opt.get_lr() == pytest.approx(0.055)
