"""torch.optim's Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS against NumPy loops of
PyTorch's documented algorithms, state_dict round trips, and CyclicLR's closed form."""
import math

import numpy as np
import pytest

import dualnet_eager as torch
from dualnet_eager import optim
from dualnet_eager.optim import lr_scheduler

STEPS = 12


def _problem(seed=0, n=5):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    return a @ a.T / n + np.eye(n), rng.standard_normal(n), rng.standard_normal(n)


def _run(make_opt, steps=STEPS):
    a, b, p0 = _problem()
    p = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    opt = make_opt([p])
    for _ in range(steps):
        p.grad = torch.tensor(a @ p.detach().numpy() + b, dtype=torch.float64)
        opt.step()
    return p.detach().numpy(), opt


def _reference(update, steps=STEPS):
    a, b, p = _problem()
    state = {}
    for t in range(1, steps + 1):
        p = update(p, a @ p + b, state, t)
    return p


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    def update(p, g, s, t):
        g = (-g if maximize else g) + weight_decay * p
        s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
        dx = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
        s["u"] = rho * s.get("u", 0) + (1 - rho) * dx * dx
        return p - lr * dx
    return update


def ref_adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas

    def update(p, g, s, t):
        g = g + weight_decay * p
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
        return p - lr / (1 - b1 ** t) * s["m"] / s["u"]
    return update


def ref_nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled=False):
    b1, b2 = betas

    def update(p, g, s, t):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        s["P"] = s.get("P", 1.0) * mu
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        m_hat = mu1 * s["m"] / (1 - s["P"] * mu1) + (1 - mu) * g / (1 - s["P"])
        return p - lr * m_hat / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
    return update


def ref_radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1

    def update(p, g, s, t):
        g = g + weight_decay * p
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t <= 5:
            return p - lr * m_hat
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2)
                                                             * rho_t))
        return p - lr * m_hat * r * math.sqrt(1 - b2 ** t) / (np.sqrt(s["v"]) + eps)
    return update


def ref_rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    def update(p, g, s, t):
        prev = s.get("prev", np.zeros_like(p))
        size = s.get("size", np.full_like(p, lr))
        sign = np.sign(g * prev)
        size = np.clip(size * np.where(sign > 0, etas[1], np.where(sign < 0, etas[0], 1)),
                       *step_sizes)
        g = np.where(sign < 0, 0, g)
        s["prev"], s["size"] = g, size
        return p - np.sign(g) * size
    return update


def ref_asgd(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    def update(p, g, s, t):
        g = g + weight_decay * p
        eta, mu = s.get("eta", lr), s.get("mu", 1.0)
        p = p * (1 - lambd * eta) - eta * g
        s["ax"] = p.copy() if mu == 1 else s["ax"] + mu * (p - s["ax"])
        s["eta"] = lr / (1 + lambd * lr * t) ** alpha
        s["mu"] = 1 / max(1, t - t0)
        return p
    return update


CASES = {
    "adadelta": (lambda ps: optim.Adadelta(ps), ref_adadelta()),
    "adadelta-wd": (lambda ps: optim.Adadelta(ps, lr=0.5, rho=0.8, weight_decay=0.1),
                    ref_adadelta(0.5, 0.8, weight_decay=0.1)),
    "adamax": (lambda ps: optim.Adamax(ps, lr=0.05, weight_decay=0.01),
               ref_adamax(0.05, weight_decay=0.01)),
    "nadam": (lambda ps: optim.NAdam(ps, lr=0.05, weight_decay=0.01),
              ref_nadam(0.05, weight_decay=0.01)),
    "nadam-decoupled": (lambda ps: optim.NAdam(ps, lr=0.05, weight_decay=0.1,
                                               decoupled_weight_decay=True),
                        ref_nadam(0.05, weight_decay=0.1, decoupled=True)),
    "radam": (lambda ps: optim.RAdam(ps, lr=0.05, betas=(0.9, 0.99), weight_decay=0.01),
              ref_radam(0.05, (0.9, 0.99), weight_decay=0.01)),
    "rprop": (lambda ps: optim.Rprop(ps, lr=0.05, step_sizes=(1e-3, 0.2)),
              ref_rprop(0.05, step_sizes=(1e-3, 0.2))),
    "asgd": (lambda ps: optim.ASGD(ps, lr=0.05, lambd=0.01, t0=4, weight_decay=0.01),
             ref_asgd(0.05, 0.01, t0=4, weight_decay=0.01)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_reference(name):
    make, update = CASES[name]
    got, _ = _run(make)
    np.testing.assert_allclose(got, _reference(update), rtol=1e-10, atol=1e-12)


def test_adadelta_maximize_is_ascent_of_the_negation():
    got, _ = _run(lambda ps: optim.Adadelta(ps, maximize=True))
    np.testing.assert_allclose(got, _reference(ref_adadelta(maximize=True)), rtol=1e-10)


def test_asgd_state_holds_the_average():
    a, b, p0 = _problem()
    p = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    opt = optim.ASGD([p], lr=0.05, t0=3)
    iterates = []
    for _ in range(8):
        p.grad = torch.tensor(a @ p.detach().numpy() + b, dtype=torch.float64)
        opt.step()
        iterates.append(p.detach().numpy().copy())
    st = opt.state[p]
    assert float(st["step"]) == 8 and set(st) == {"step", "eta", "mu", "ax"}
    np.testing.assert_allclose(st["ax"].numpy(), np.mean(iterates[4:], axis=0), rtol=1e-10)


@pytest.mark.parametrize("name", ["adadelta", "adamax", "nadam", "radam", "rprop", "asgd"])
def test_state_dict_round_trip_continues_identically(name):
    make, _ = CASES[name]
    a, b, p0 = _problem()

    def steps(p, opt, n):
        for _ in range(n):
            p.grad = torch.tensor(a @ p.detach().numpy() + b, dtype=torch.float64)
            opt.step()

    p = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    opt = make([p])
    steps(p, opt, 5)
    saved = opt.state_dict()
    keys = sorted(saved["state"][0])
    q = torch.tensor(p.detach().numpy().copy(), dtype=torch.float64, requires_grad=True)
    opt2 = make([q])
    opt2.load_state_dict(saved)
    assert sorted(opt2.state_dict()["state"][0]) == keys
    steps(p, opt, 4)
    steps(q, opt2, 4)
    np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-12)


def test_state_dict_layouts_follow_pytorch():
    want = {"adadelta": {"step", "square_avg", "acc_delta"},
            "adamax": {"step", "exp_avg", "exp_inf"},
            "nadam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
            "radam": {"step", "exp_avg", "exp_avg_sq"},
            "rprop": {"step", "prev", "step_size"}}
    for name, keys in want.items():
        _, opt = _run(CASES[name][0], steps=2)
        assert set(opt.state_dict()["state"][0]) == keys, name


def test_option_checks():
    p = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="beta"):
        optim.NAdam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="eta"):
        optim.Rprop([p], etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="learning rate"):
        optim.ASGD([p], lr=-1)


# ---------------------------------------------------------------- LBFGS


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_minimizes_a_quadratic(line_search):
    a, b, p0 = _problem()
    at, bt = torch.tensor(a), torch.tensor(b)
    p = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    opt = optim.LBFGS([p], lr=1 if line_search else 0.5, max_iter=100,
                      line_search_fn=line_search, tolerance_grad=1e-10,
                      tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (p * (at @ p)).sum() + (bt * p).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(p.detach().numpy(), np.linalg.solve(a, -b), atol=1e-6)


def test_lbfgs_strong_wolfe_minimizes_rosenbrock():
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = optim.LBFGS([x], lr=1, max_iter=200, history_size=10,
                      line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    first = opt.step(closure)
    assert float(first) == pytest.approx(_rosenbrock(np.array([-1.5, 2.0])))
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-6)
    state = opt.state_dict()["state"][0]
    assert state["n_iter"] <= 200 and state["func_evals"] >= state["n_iter"]
    assert len(state["old_dirs"]) <= 10


def test_lbfgs_needs_a_closure_and_one_group():
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([p]).step(None)
    with pytest.raises(ValueError, match="groups"):
        optim.LBFGS([{"params": [p]}, {"params": [torch.zeros(1, requires_grad=True)]}])


# ---------------------------------------------------------------- CyclicLR


def _cyclic(it, base, top, up, down, mode="triangular", gamma=1.0):
    cycle = math.floor(1 + it / (up + down))
    x = 1 + it / (up + down) - cycle
    ratio = up / (up + down)
    scale = x / ratio if x <= ratio else (1 - x) / (1 - ratio)
    amp = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1),
           "exp_range": gamma ** it}[mode]
    return base + (top - base) * scale * amp


@pytest.mark.parametrize("mode,down", [("triangular", None), ("triangular2", 2),
                                       ("exp_range", 3)])
def test_cyclic_lr_sequence(mode, down):
    p = torch.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=4, step_size_down=down,
                                  mode=mode, gamma=0.9)
    got = []
    for _ in range(20):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    want = [_cyclic(i, 0.01, 0.1, 4, down or 4, mode, 0.9) for i in range(20)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # momentum cycles inversely between 0.9 and 0.8
    it = sched.last_epoch
    lr_frac = (sched.get_last_lr()[0] - 0.01) / 0.09
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * lr_frac)
    assert it == 20


def test_cyclic_lr_beta1_and_state_dict():
    p = torch.zeros(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.5)
    sched = lr_scheduler.CyclicLR(opt, [0.01], [0.1], step_size_up=2, base_momentum=0.85,
                                  max_momentum=0.95)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    sched2 = lr_scheduler.CyclicLR(optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.5),
                                   0.01, 0.1, step_size_up=2)
    sched2.load_state_dict(state)
    assert sched2.last_epoch == 3 and sched2.get_last_lr() == sched.get_last_lr()
    with pytest.raises(ValueError, match="momentum"):
        lr_scheduler.CyclicLR(optim.Adagrad([p]), 0.01, 0.1)
