"""Static optimizers: minimize appends backward + update ops; several Executor steps match a
NumPy reference of Paddle's documented formulas; state names, regularization, clipping,
per-parameter learning rates, parameter subsets and reuse of the update appending."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import static, unique_name
from dualnet_static.nn.clip import ClipGradByGlobalNorm, ClipGradByNorm, ClipGradByValue
from dualnet_static.optimizer import SGD, Adagrad, Adam, AdamW, Momentum, RMSProp
from dualnet_static.regularizer import L1Decay, L2Decay

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal((5, 2))
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)
STEPS = 4


class _Attr:
    """A ParamAttr-like object (H9a's paddle.ParamAttr carries the same attributes)."""

    def __init__(self, name, regularizer=None, learning_rate=1.0, need_clip=True):
        self.name, self.regularizer = name, regularizer
        self.learning_rate, self.need_clip = learning_rate, need_clip


def _build(make_opt, w_attr=None, b_attr=None, minimize_kwargs=None):
    """A float64 linear regression: loss = mean((x @ w + b - y)^2); returns what tests need."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float64")
        y = static.data("y", [5, 2], "float64")
        w = static.create_parameter([3, 2], "float64", attr=w_attr or _Attr("fc.w_0"))
        b = static.create_parameter([2], "float64", attr=b_attr or _Attr("fc.b_0"),
                                    is_bias=True)
        r = paddle.matmul(x, w) + b - y
        loss = paddle.mean(r * r)
        opt = make_opt()
        ops, params_grads = opt.minimize(loss, **(minimize_kwargs or {}))
    return main, startup, loss, opt, ops, params_grads


def _run(main, startup, loss, steps=STEPS, scope=None):
    """Run the startup program, set w and b to W0/B0, then `steps` training steps; returns
    [(w, b)] after each step."""
    exe = static.Executor(paddle.CPUPlace())
    scope = scope or static.Scope()
    exe.run(startup, scope=scope)
    scope.var("fc.w_0").set(W0.copy())
    scope.var("fc.b_0").set(B0.copy())
    out = []
    for _ in range(steps):
        exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss], scope=scope)
        out.append((_val(scope, "fc.w_0"),
                    _val(scope, "fc.b_0")))
    return out


def _val(scope, name):
    return scope.find_var(name).get_tensor().numpy()


def _grads(w, b):
    r = X @ w + b - Y
    gr = 2 * r / r.size
    return X.T @ gr, gr.sum(0)


def _reference(update, steps=STEPS, grad_fn=_grads):
    """NumPy: `update(name, param, grad, state)` -> new param, per step."""
    params = {"w": W0.copy(), "b": B0.copy()}
    states = {"w": {}, "b": {}}
    out = []
    for _ in range(steps):
        gw, gb = grad_fn(params["w"], params["b"])
        for name, g in (("w", gw), ("b", gb)):
            params[name] = update(name, params[name], g, states[name])
        out.append((params["w"].copy(), params["b"].copy()))
    return out


def _check(got, want, rtol=1e-10, atol=1e-12):
    for (gw, gb), (ww, wb) in zip(got, want):
        np.testing.assert_allclose(gw, ww, rtol=rtol, atol=atol)
        np.testing.assert_allclose(gb, wb, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- NumPy references (Paddle docs)

def _sgd(lr):
    return lambda n, p, g, s: p - lr * g


def _momentum(lr, mu, nesterov=False):
    def update(n, p, g, s):
        v = s["v"] = mu * s.get("v", 0.0) + g
        return p - lr * (g + mu * v) if nesterov else p - lr * v
    return update


def _adam(lr, b1=0.9, b2=0.999, eps=1e-8, coeff=0.0, amsgrad=False):
    def update(n, p, g, s):
        t = s["t"] = s.get("t", 0) + 1
        p = p * (1 - lr * coeff)  # AdamW's decoupled decay (coeff 0 for Adam)
        m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        if amsgrad:
            v = s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return p - lr_t * m / (np.sqrt(v) + eps * np.sqrt(1 - b2 ** t))
    return update


def _rmsprop(lr, rho=0.95, eps=1e-6, mom=0.0, centered=False):
    def update(n, p, g, s):
        r = s["r"] = rho * s.get("r", 0.0) + (1 - rho) * g * g
        if centered:
            mg = s["mg"] = rho * s.get("mg", 0.0) + (1 - rho) * g
            d = np.sqrt(r - mg * mg + eps)
        else:
            d = np.sqrt(r + eps)
        v = s["v"] = mom * s.get("v", 0.0) + lr * g / d
        return p - v
    return update


def _adagrad(lr, eps=1e-6, init=0.0):
    def update(n, p, g, s):
        m = s["m"] = s.get("m", init) + g * g
        return p - lr * g / (np.sqrt(m) + eps)
    return update


CASES = {
    "sgd": (lambda: SGD(learning_rate=0.1), _sgd(0.1)),
    "momentum": (lambda: Momentum(learning_rate=0.05, momentum=0.9), _momentum(0.05, 0.9)),
    "nesterov": (lambda: Momentum(0.05, momentum=0.8, use_nesterov=True),
                 _momentum(0.05, 0.8, nesterov=True)),
    "adam": (lambda: Adam(learning_rate=0.05), _adam(0.05)),
    "adam_betas": (lambda: Adam(0.02, beta1=0.5, beta2=0.9, epsilon=1e-3),
                   _adam(0.02, 0.5, 0.9, 1e-3)),
    "adam_amsgrad": (lambda: Adam(0.05, amsgrad=True), _adam(0.05, amsgrad=True)),
    "adamw": (lambda: AdamW(learning_rate=0.05, weight_decay=0.1),
              _adam(0.05, coeff=0.1)),
    "rmsprop": (lambda: RMSProp(learning_rate=0.01), _rmsprop(0.01)),
    "rmsprop_momentum_centered": (
        lambda: RMSProp(0.01, rho=0.9, epsilon=1e-4, momentum=0.5, centered=True),
        _rmsprop(0.01, 0.9, 1e-4, 0.5, centered=True)),
    "adagrad": (lambda: Adagrad(learning_rate=0.1), _adagrad(0.1)),
    "adagrad_init": (lambda: Adagrad(0.1, epsilon=1e-3, initial_accumulator_value=0.5),
                     _adagrad(0.1, 1e-3, 0.5)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_updates_match_paddle_formulas(case):
    make_opt, update = CASES[case]
    main, startup, loss, *_ = _build(make_opt)
    _check(_run(main, startup, loss), _reference(update))


def test_paddle_defaults():
    assert SGD()._learning_rate == 0.001
    m = Momentum()
    assert (m._learning_rate, m._momentum, m._use_nesterov) == (0.001, 0.9, False)
    a = Adam()
    assert (a._learning_rate, a._beta1, a._beta2, a._epsilon) == (0.001, 0.9, 0.999, 1e-8)
    assert AdamW()._coeff == 0.01
    r = RMSProp(0.1)
    assert (r._rho, r._epsilon, r._momentum, r._centered) == (0.95, 1e-6, 0.0, False)
    g = Adagrad(0.1)
    assert (g._epsilon, g.initial_accumulator_value) == (1e-6, 0.0)


# ---------------------------------------------------------------- what minimize appends

def test_minimize_returns_ops_and_params_grads():
    main, startup, loss, opt, ops, params_grads = _build(lambda: Momentum(0.1))
    assert [(p.name, g.name) for p, g in params_grads] == [("fc.w_0", "fc.w_0@GRAD"),
                                                          ("fc.b_0", "fc.b_0@GRAD")]
    assert [op.type for op in ops] == ["momentum_update", "momentum_update"]
    assert all(op.role == "optimize" for op in ops)
    block = main.global_block()
    for name in ("learning_rate_0", "fc.w_0_velocity_0", "fc.b_0_velocity_0"):
        v = block.var(name)
        assert v.persistable and name in startup.global_block().vars
    assert block.var("learning_rate_0").shape == [1]
    assert ops[0].output("Out")[:2] == ["fc.w_0", "fc.w_0_velocity_0"]
    assert "optimize" in str(main)


def test_momentum_plan_updates_in_place_without_copies():
    """Momentum's updates take no step counter: the plan writes param and velocity in place
    and copies nothing before them (a constant counter, which the op increments, would be
    copied before every update)."""
    main, startup, loss, *_ = _build(lambda: Momentum(0.1, momentum=0.9))
    assert all(op.inputs[3] is None for op in main.global_block().ops
               if op.type == "momentum_update")
    exe = static.Executor(paddle.CPUPlace())
    scope = static.Scope()
    exe.run(startup, scope=scope)
    plan = exe._get_plan(main, ["x", "y"], [loss])
    names = [op.type if op is not None else "copy" for op in plan.step_ops]
    assert names.count("momentum_update") == 2
    assert names.count("copy") == 1, names  # only the fetched loss's snapshot


def test_adam_state_names_and_startup_values():
    main, startup, loss, opt, *_ = _build(lambda: Adam(0.01, name="opt"))
    names = {"fc.w_0_opt_moment1_0", "fc.w_0_opt_moment2_0", "fc.w_0_opt_step_0"}
    assert names <= set(main.global_block().vars)
    scope = static.Scope()
    static.Executor().run(startup, scope=scope)
    np.testing.assert_array_equal(_val(scope, "fc.w_0_opt_step_0"),
                                  [0])
    np.testing.assert_allclose(_val(scope, "learning_rate_0"),
                               [0.01])


def test_clone_for_test_drops_the_updates():
    main, startup, loss, *_ = _build(lambda: Adam(0.1))
    test = main.clone(for_test=True)
    types = [op.type for op in test.global_block().ops]
    assert "adam_update" not in types and "mean_grad" not in types
    scope = static.Scope()
    exe = static.Executor()
    exe.run(startup, scope=scope)
    before = _val(scope, "fc.w_0")
    exe.run(test, feed={"x": X, "y": Y}, fetch_list=[loss.name], scope=scope)
    np.testing.assert_array_equal(_val(scope, "fc.w_0"), before)


def test_parameters_subset_only_updates_those():
    main, startup, loss, opt, ops, pg = _build(
        lambda: SGD(0.1), minimize_kwargs={"parameters": ["fc.w_0"]})
    assert [p.name for p, _ in pg] == ["fc.w_0"]
    steps = _run(main, startup, loss, steps=2)
    np.testing.assert_array_equal(steps[-1][1], B0)
    assert not np.allclose(steps[-1][0], W0)


def test_constructor_parameters_restrict_the_update():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float64")
        w = static.create_parameter([3, 2], "float64", name="fc.w_0")
        b = static.create_parameter([2], "float64", name="fc.b_0", is_bias=True)
        loss = paddle.mean(paddle.matmul(x, w) + b)
        _, pg = SGD(0.1, parameters=[b]).minimize(loss)
    assert [p.name for p, _ in pg] == ["fc.b_0"]


def test_non_trainable_parameters_are_not_updated():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float64")
        w = static.create_parameter([3, 2], "float64", name="fc.w_0")
        w.trainable = False
        b = static.create_parameter([2], "float64", name="fc.b_0", is_bias=True)
        loss = paddle.mean(paddle.matmul(x, w) + b)
        ops, pg = SGD(0.1).minimize(loss)
    assert [p.name for p, _ in pg] == ["fc.b_0"] and len(ops) == 1


# ---------------------------------------------------------------- regularization

def test_float_weight_decay_is_l2():
    main, startup, loss, *_ = _build(lambda: SGD(0.1, weight_decay=0.2))
    _check(_run(main, startup, loss), _reference(lambda n, p, g, s: p - 0.1 * (g + 0.2 * p)))


def test_l1_decay():
    main, startup, loss, *_ = _build(lambda: Momentum(0.1, 0.5, weight_decay=L1Decay(0.3)))
    ref = _momentum(0.1, 0.5)
    _check(_run(main, startup, loss),
           _reference(lambda n, p, g, s: ref(n, p, g + 0.3 * np.sign(p), s)))


def test_param_attr_regularizer_overrides_the_optimizer():
    main, startup, loss, *_ = _build(lambda: Adam(0.05, weight_decay=L2Decay(0.5)),
                                     w_attr=_Attr("fc.w_0", regularizer=L1Decay(0.1)))
    ref = _adam(0.05)

    def update(n, p, g, s):
        g = g + (0.1 * np.sign(p) if n == "w" else 0.5 * p)
        return ref(n, p, g, s)
    _check(_run(main, startup, loss), _reference(update))


def test_adamw_decay_fun_and_lr_ratio():
    def make():
        return AdamW(0.05, weight_decay=0.2, apply_decay_param_fun=lambda n: n.endswith("w_0"),
                     lr_ratio=lambda p: 0.5 if p.name == "fc.b_0" else 1.0)
    main, startup, loss, *_ = _build(make)
    refs = {"w": _adam(0.05, coeff=0.2), "b": _adam(0.025, coeff=0.0)}
    _check(_run(main, startup, loss), _reference(lambda n, p, g, s: refs[n](n, p, g, s)))


def test_param_attr_learning_rate_scales_the_update():
    main, startup, loss, *_ = _build(lambda: SGD(0.1),
                                     b_attr=_Attr("fc.b_0", learning_rate=0.5))
    _check(_run(main, startup, loss),
           _reference(lambda n, p, g, s: p - (0.05 if n == "b" else 0.1) * g))


def test_parameter_groups():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float64")
        y = static.data("y", [5, 2], "float64")
        w = static.create_parameter([3, 2], "float64", name="fc.w_0")
        b = static.create_parameter([2], "float64", name="fc.b_0", is_bias=True)
        r = paddle.matmul(x, w) + b - y
        loss = paddle.mean(r * r)
        opt = Momentum(0.1, momentum=0.9, parameters=[
            {"params": [w]},
            {"params": [b], "learning_rate": 0.5, "weight_decay": 0.1, "momentum": 0.0}])
        opt.minimize(loss)
    refs = {"w": _momentum(0.1, 0.9), "b": _momentum(0.05, 0.0)}

    def update(n, p, g, s):
        return refs[n](n, p, g + (0.1 * p if n == "b" else 0.0), s)
    _check(_run(main, startup, loss), _reference(update))


# ---------------------------------------------------------------- gradient clipping

def _global_clip(clip_norm, skip=()):
    def grads(w, b):
        gs = dict(zip("wb", _grads(w, b)))
        norm = np.sqrt(sum((g * g).sum() for n, g in gs.items() if n not in skip))
        scale = clip_norm / max(norm, clip_norm)
        return tuple(g if n in skip else g * scale for n, g in gs.items())
    return grads


def test_clip_by_global_norm_matches_numpy():
    main, startup, loss, *_ = _build(lambda: SGD(0.1, grad_clip=ClipGradByGlobalNorm(0.3)))
    gw, gb = _grads(W0, B0)
    assert np.sqrt((gw ** 2).sum() + (gb ** 2).sum()) > 0.3  # the clip is active
    _check(_run(main, startup, loss), _reference(_sgd(0.1), grad_fn=_global_clip(0.3)))


def test_clip_by_global_norm_skips_need_clip_false():
    main, startup, loss, *_ = _build(lambda: SGD(0.1, grad_clip=ClipGradByGlobalNorm(0.2)),
                                     b_attr=_Attr("fc.b_0", need_clip=False))
    _check(_run(main, startup, loss),
           _reference(_sgd(0.1), grad_fn=_global_clip(0.2, skip=("b",))))


def test_clip_by_norm_and_by_value():
    def by_norm(w, b):
        return tuple(g * 0.25 / max(np.sqrt((g * g).sum()), 0.25) for g in _grads(w, b))

    main, startup, loss, *_ = _build(lambda: SGD(0.1, grad_clip=ClipGradByNorm(0.25)))
    _check(_run(main, startup, loss), _reference(_sgd(0.1), grad_fn=by_norm))

    def by_value(w, b):
        return tuple(np.clip(g, -0.2, 0.1) for g in _grads(w, b))

    main, startup, loss, *_ = _build(lambda: SGD(0.1, grad_clip=ClipGradByValue(0.1, -0.2)))
    _check(_run(main, startup, loss), _reference(_sgd(0.1), grad_fn=by_value))
    assert ClipGradByValue(2.0).min == -2.0
    with pytest.raises(ValueError):
        ClipGradByGlobalNorm(0.0)


def test_clip_then_regularize():
    """Paddle clips the raw gradients, then adds the decay term."""
    main, startup, loss, *_ = _build(
        lambda: SGD(0.1, weight_decay=0.5, grad_clip=ClipGradByGlobalNorm(0.3)))
    clip = _global_clip(0.3)
    params = {"w": W0.copy(), "b": B0.copy()}
    want = []
    for _ in range(STEPS):
        gw, gb = clip(params["w"], params["b"])
        params["w"] = params["w"] - 0.1 * (gw + 0.5 * params["w"])
        params["b"] = params["b"] - 0.1 * (gb + 0.5 * params["b"])
        want.append((params["w"].copy(), params["b"].copy()))
    _check(_run(main, startup, loss), want)


# ---------------------------------------------------------------- learning rate

def test_get_lr_and_set_lr_write_the_scope():
    main, startup, loss, opt, *_ = _build(lambda: SGD(0.1))
    assert opt.get_lr() == 0.1
    scope = static.Scope()
    with static.scope_guard(scope):
        opt.set_lr(0.2)  # before the startup run: changes the initializer
        exe = static.Executor()
        exe.run(startup)
        np.testing.assert_allclose(_val(scope, "learning_rate_0"),
                                   [0.2])
        opt.set_lr(0.05)
        np.testing.assert_allclose(_val(scope, "learning_rate_0"),
                                   [0.05])
        scope.var("fc.w_0").set(W0.copy())
        scope.var("fc.b_0").set(B0.copy())
        exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss])
        w = _val(scope, "fc.w_0")
    np.testing.assert_allclose(w, W0 - 0.05 * _grads(W0, B0)[0], rtol=1e-12)
    assert opt.get_lr() == 0.05
    with pytest.raises(TypeError):
        opt.set_lr("0.1")


def test_scheduler_drives_the_learning_rate():
    sched = paddle.optimizer.lr.StepDecay(learning_rate=0.1, step_size=2, gamma=0.5)
    main, startup, loss, opt, *_ = _build(lambda: SGD(learning_rate=sched))
    assert getattr(main, "lr_scheduler") is sched
    scope = static.Scope()
    params = {"w": W0.copy(), "b": B0.copy()}
    with static.scope_guard(scope):
        exe = static.Executor()
        exe.run(startup)
        scope.var("fc.w_0").set(W0.copy())
        scope.var("fc.b_0").set(B0.copy())
        for epoch in range(5):
            lr = 0.1 * 0.5 ** (epoch // 2)
            assert opt.get_lr() == pytest.approx(lr)
            exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss])
            gw, gb = _grads(params["w"], params["b"])
            params = {"w": params["w"] - lr * gw, "b": params["b"] - lr * gb}
            np.testing.assert_allclose(_val(scope, "fc.w_0"),
                                       params["w"], rtol=1e-12)
            sched.step()
    with pytest.raises(RuntimeError, match="LRScheduler"):
        opt.set_lr(0.3)


def test_sync_program_lr_for_an_explicit_scope():
    """What the Executor does before a run (Paddle's program.lr_sheduler protocol)."""
    from dualnet_static.optimizer.lr import sync_program_lr

    sched = paddle.optimizer.lr.ExponentialDecay(0.5, gamma=0.5)
    main, startup, loss, opt, *_ = _build(lambda: Adam(sched))
    scope = static.Scope()
    static.Executor().run(startup, scope=scope)
    sched.step()
    sched.step()
    sync_program_lr(main, scope)
    np.testing.assert_allclose(_val(scope, "learning_rate_0"),
                               [0.125])


# ---------------------------------------------------------------- state and reuse

def test_state_dict_round_trip():
    main, startup, loss, opt, *_ = _build(lambda: Adam(0.05))
    scope = static.Scope()
    with static.scope_guard(scope):
        _run(main, startup, loss, steps=2, scope=scope)
        state = opt.state_dict()
    assert set(state) == {"fc.w_0_moment1_0", "fc.w_0_moment2_0", "fc.w_0_step_0",
                          "fc.b_0_moment1_0", "fc.b_0_moment2_0", "fc.b_0_step_0"}
    assert state["fc.w_0_step_0"].tolist() == [2]
    other = static.Scope()
    opt.set_state_dict(state, scope=other)
    np.testing.assert_array_equal(_val(other, "fc.w_0_moment2_0"),
                                  state["fc.w_0_moment2_0"])
    with pytest.raises(ValueError, match="shape"):
        opt.set_state_dict({"fc.w_0_moment1_0": np.zeros(3)}, scope=other)


def test_apply_gradients_reuses_state_across_programs():
    """The implicit mode's pattern: one optimizer, a fresh program per step, the same state
    variables (names stable) in one scope, initialized without a startup run."""
    opt = Adam(0.05)
    scope = static.Scope()
    scope.var("fc.w_0").set(W0.copy())
    scope.var("fc.b_0").set(B0.copy())
    exe = static.Executor()
    for _ in range(3):
        main = static.Program()
        with static.program_guard(main, static.Program()):
            x = static.data("x", [5, 3], "float64")
            y = static.data("y", [5, 2], "float64")
            w = main.global_block().create_parameter("fc.w_0", [3, 2], "float64")
            b = main.global_block().create_parameter("fc.b_0", [2], "float64")
            r = paddle.matmul(x, w) + b - y
            loss = paddle.mean(r * r)
            params_grads = static.append_backward(loss)
            ops = opt.apply_gradients(params_grads, startup_program=static.Program())
        assert [op.type for op in ops] == ["adam_update"] * 2
        opt._init_missing_state(scope)
        exe.run(main, feed={"x": X, "y": Y}, fetch_list=[loss], scope=scope)
    want = _reference(_adam(0.05), steps=3)[-1]
    np.testing.assert_allclose(_val(scope, "fc.w_0"), want[0],
                               rtol=1e-10)
    assert _val(scope, "fc.w_0_step_0").tolist() == [3]


# ---------------------------------------------------------------- errors

def test_bad_arguments_and_dynamic_mode_calls():
    with pytest.raises(TypeError, match="learning rate"):
        SGD(learning_rate="0.1")
    with pytest.raises(ValueError, match="beta1"):
        Adam(beta1=1.5)
    with pytest.raises(TypeError, match="weight_decay"):
        SGD(0.1, weight_decay="l2")
    with pytest.raises(TypeError, match="grad_clip"):
        SGD(0.1, grad_clip=1.0)
    opt = SGD(0.1)  # dynamic mode (tests/static/test_implicit.py) needs the parameters
    with pytest.raises(ValueError, match="parameters"):
        opt.step()
    with pytest.raises(ValueError, match="parameters"):
        opt.clear_grad()


def test_adamw_parameter_group_weight_decay_is_decoupled():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [5, 3], "float64")
        y = static.data("y", [5, 2], "float64")
        w = static.create_parameter([3, 2], "float64", name="fc.w_0")
        b = static.create_parameter([2], "float64", name="fc.b_0", is_bias=True)
        r = paddle.matmul(x, w) + b - y
        loss = paddle.mean(r * r)
        AdamW(0.05, weight_decay=0.2,
              parameters=[{"params": [w]}, {"params": [b], "weight_decay": 0.0}]).minimize(loss)
    refs = {"w": _adam(0.05, coeff=0.2), "b": _adam(0.05, coeff=0.0)}
    _check(_run(main, startup, loss), _reference(lambda n, p, g, s: refs[n](n, p, g, s)))


def test_with_nn_layers_and_param_attr():
    """paddle.nn.Linear parameters carry ParamAttr's learning_rate, regularizer, need_clip."""
    nn = pytest.importorskip("dualnet_static.nn")
    paddle.seed(0)
    if not hasattr(nn, "Linear") or not hasattr(nn, "ParamAttr"):
        pytest.skip("paddle.nn layers are not available")
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [None, 3], "float32")
        y = static.data("y", [None, 2], "float32")
        fc = nn.Linear(3, 2, weight_attr=nn.ParamAttr(learning_rate=0.5,
                                                      regularizer=L2Decay(0.1)),
                       bias_attr=nn.ParamAttr(need_clip=False))
        r = fc(x) - y
        loss = paddle.mean(r * r)
        opt = Adam(0.1, parameters=fc.parameters(), grad_clip=nn.ClipGradByGlobalNorm(1.0))
        ops, pg = opt.minimize(loss)
    assert [p.name for p, _ in pg] == ["linear_0.w_0", "linear_0.b_0"]
    exe = static.Executor()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    xv, yv = X.astype("float32"), (X @ W0 + B0).astype("float32")
    losses = [exe.run(main, feed={"x": xv, "y": yv}, fetch_list=[loss], scope=scope)[0]
              for _ in range(60)]
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])
