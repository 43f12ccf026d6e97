"""The Executor's passes (dualnet_static/passes): each pass rewrites the plan as expected, and a
plan with the pass gives what the plan without it gives - bit for bit where the kernels do the
same arithmetic - on MLP- and LeNet-like training programs built from registry ops. Fetches,
persistable writes and live views block what they must block."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet.ops import OpError, apply
from dualnet.ops.activation import gelu
from dualnet_static import static
from dualnet_static.framework import op_role_guard
from dualnet_static.passes import PASSES, BuildStrategy, memory

DEFAULT_MIN_ELEMENTS = memory.MIN_ELEMENTS


@pytest.fixture
def exe():
    return static.Executor(paddle.CPUPlace())


@pytest.fixture(autouse=True)
def small_buffers(monkeypatch):
    """Plan buffers for the tiny values of these tests too (the default skips small ones);
    the default strategy is the built-in one."""
    static.clear_plan_cache()
    monkeypatch.setattr(memory, "MIN_ELEMENTS", 1)
    monkeypatch.delenv("DUALNET_EXECUTOR_PASSES", raising=False)  # the defaults, whatever CI sets
    yield
    static.clear_plan_cache()


def strategy(*on) -> BuildStrategy:
    """Only the passes `on` (none at all by default: the unoptimized plan)."""
    return BuildStrategy(**{name: name in on for name in PASSES})


def compiled(program, *on):
    return static.CompiledProgram(program, build_strategy=strategy(*on))


def plan_types(exe, program, feed, fetch, s) -> list:
    plan = exe._get_plan(static.CompiledProgram(program, build_strategy=s), list(feed), fetch)
    return [op.type if op is not None else "copy" for op in plan.step_ops]


# ---------------------------------------------------------------- programs

def mlp(layout="paddle", activation="relu", n_in=12, hidden=8, classes=5, momentum=True):
    """A training program: linear layers (Paddle: matmul + add, PyTorch: linear), cross-entropy
    as log_softmax + nll_loss, append_backward, momentum (or SGD) updates written back."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, n_in], "float32")
        y = static.data("y", [None], "int64")
        h = x
        for i, (a, b) in enumerate(((n_in, hidden), (hidden, classes))):
            shape = [b, a] if layout == "torch" else [a, b]
            w = static.create_parameter(shape, "float32", name=f"fc{i}.w")
            bias = static.create_parameter([b], "float32", name=f"fc{i}.b", is_bias=True,
                                           default_initializer=_uniform(0.1))
            if layout == "paddle":
                h = apply("add", apply("matmul", h, w), bias)
            elif layout == "fused":  # what implicit mode records for Paddle's F.linear
                h = apply("fused_linear", h, w, bias)
            else:
                h = apply("linear", h, w, bias)
            if i == 0:
                h = apply(activation, h)
        logp = apply("log_softmax", h, axis=1)
        loss = apply("nll_loss", logp, y, None)
        params_grads = static.append_backward(loss)
        _updates(params_grads, momentum)
    return main, startup, loss


def _uniform(scale):
    from dualnet_static.creation import uniform_init

    return uniform_init(-scale, scale)


def _affine(n_in: int, n_out: int):
    """matmul(x, w) + b on a fed x [None, n_in] (inside a program_guard): unfused ops."""
    x = static.data("x", [None, n_in], "float32")
    w = static.create_parameter([n_in, n_out], "float32", name="w")
    b = static.create_parameter([n_out], "float32", name="b", is_bias=True,
                                default_initializer=_uniform(1.0))
    return apply("add", apply("matmul", x, w), b)


def _updates(params_grads, momentum=True):
    lr = static.create_global_var([], 0.1, "float32", name="lr")
    with op_role_guard("optimize"):
        for p, g in params_grads:
            if momentum:
                vel = static.create_global_var(p.shape, 0.0, "float32", name=p.name + ".v")
                step = static.create_global_var([], 0, "int64", name=p.name + ".t")
                new_p, new_v, new_t = apply("momentum_update", p, g, vel, step, lr,
                                            momentum=0.9)
                static.write_to(new_v, vel)
                static.write_to(new_t, step)
            else:
                new_p = apply("sgd_update", p, g, lr)
            static.write_to(new_p, p)


def lenet():
    """conv2d + add(reshaped bias) + relu + max_pool2d, twice, then the MLP head."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 1, 12, 12], "float32")
        y = static.data("y", [None], "int64")
        h = x
        for i, (cin, cout) in enumerate(((1, 4), (4, 6))):
            w = static.create_parameter([cout, cin, 3, 3], "float32", name=f"conv{i}.w")
            b = static.create_parameter([cout], "float32", name=f"conv{i}.b", is_bias=True,
                                        default_initializer=_uniform(0.1))
            h = apply("conv2d", h, w, padding=1)
            h = apply("relu", apply("add", h, apply("reshape", b, shape=(cout, 1, 1))))
            h = apply("max_pool2d", h, kernel_size=2)
        h = apply("reshape", h, shape=(-1, 6 * 3 * 3))
        w = static.create_parameter([6 * 3 * 3, 5], "float32", name="fc.w")
        b = static.create_parameter([5], "float32", name="fc.b", is_bias=True)
        logits = apply("add", apply("matmul", h, w), b)
        loss = apply("nll_loss", apply("log_softmax", logits, axis=1), y, None)
        _updates(static.append_backward(loss))
    return main, startup, loss


def _feed(batch=6, n_in=12, classes=5, image=False, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch, 1, 12, 12) if image else (batch, n_in)
    return {"x": rng.standard_normal(shape).astype("float32"),
            "y": rng.integers(0, classes, batch)}


def train(exe, program, startup, fetch, s, feeds, steps=4):
    """Fetched values per step and the final persistable state, under strategy `s`."""
    scope = static.Scope()
    paddle.seed(0)
    exe.run(startup, scope=scope)
    prog = static.CompiledProgram(program, build_strategy=s)
    history = [exe.run(prog, feed=feeds[k % len(feeds)], fetch_list=fetch, scope=scope)
               for k in range(steps)]
    state = {name: np.array(t) for name, t in program.state_dict(scope=scope).items()}
    return history, state


def assert_same_training(exe, program, startup, fetch, a, b, feeds, exact=True, steps=4):
    ha, sa = train(exe, program, startup, fetch, a, feeds, steps)
    hb, sb = train(exe, program, startup, fetch, b, feeds, steps)
    check = np.testing.assert_array_equal if exact else \
        (lambda p, q, err_msg="": np.testing.assert_allclose(p, q, rtol=2e-5, atol=1e-6,
                                                             err_msg=err_msg))
    for k, (ra, rb) in enumerate(zip(ha, hb)):
        for i, (p, q) in enumerate(zip(ra, rb)):
            check(p, q, err_msg=f"step {k}, fetch {i}")
    assert sa.keys() == sb.keys()
    for name in sa:
        check(sa[name], sb[name], err_msg=name)


# ---------------------------------------------------------------- strategy and cache

def test_build_strategy_fields(monkeypatch):
    s = static.BuildStrategy() if hasattr(static, "BuildStrategy") else BuildStrategy()
    assert s.fuse_linear and s.memory_optimize and not s.fuse_elewise_add_act_ops
    s.fuse_linear = False
    assert "fuse_linear" not in s.key()
    s.fuse_bn_act_ops = True  # Paddle's fields are accepted (no effect)
    with pytest.raises(AttributeError, match="no field 'fuse_everything'"):
        s.fuse_everything = True
    with pytest.raises(TypeError, match="BuildStrategy"):
        static.CompiledProgram(static.Program(), build_strategy={"fuse_linear": True})
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "none")
    assert BuildStrategy().key() == ()
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "all")
    assert set(BuildStrategy().key()) == set(PASSES)
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "fuse_linear, memory_optimize")
    assert BuildStrategy().key() == ("fuse_linear", "memory_optimize")
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "fuse_linear,fuse_magic")
    with pytest.raises(ValueError, match="unknown pass.*fuse_magic"):
        BuildStrategy()


def test_env_var_switches_the_default_plan(exe, monkeypatch):
    main, startup, loss = mlp()
    feed = _feed()
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "none")
    types = [op.type for op in exe._get_plan(main, list(feed), [loss]).step_ops if op]
    assert "matmul" in types and "fused_linear" not in types
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "default")
    types = [op.type for op in exe._get_plan(main, list(feed), [loss]).step_ops if op]
    assert "fused_linear" in types and "log_softmax_nll_loss" in types


def test_plan_cache_key_includes_the_strategy(exe):
    static.clear_plan_cache()
    main, startup, loss = mlp()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    feed = _feed()
    for s in (strategy(), BuildStrategy(), strategy(), BuildStrategy()):
        exe.run(static.CompiledProgram(main, build_strategy=s), feed=feed, fetch_list=[loss],
                scope=scope)
    assert static.plan_cache_info().compiles == 3  # startup + one main plan per strategy
    with_data_parallel = static.CompiledProgram(main).with_data_parallel(
        loss_name=loss.name, build_strategy=strategy())
    exe.run(with_data_parallel, feed=feed, fetch_list=[loss], scope=scope)
    assert static.plan_cache_info().compiles == 3


# ---------------------------------------------------------------- constant folding

def test_constant_folding(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 3], "float32")
        c = apply("fill_constant", shape=(3,), value=2.0, dtype="float32")
        y = apply("mul", x, apply("add", c, 1.0))  # c + 1 folds
        s = apply("sum", y)
        ones = apply("ones_like", s)  # s has the static shape (): folds
        z = apply("add", s, ones)
        dyn = apply("zeros_like", y)  # y's batch dim is unknown: stays
        r = apply("uniform_random", shape=(3,), low=0.0, high=1.0, dtype="float32")
        out = apply("add", apply("add", y, dyn), r)  # random ops never fold
    feed = {"x": np.ones((2, 3), "float32")}
    on = plan_types(exe, main, feed, [z, out], strategy("constant_folding"))
    off = plan_types(exe, main, feed, [z, out], strategy())
    assert "fill_constant" in off and "ones_like" in off
    assert "fill_constant" not in on and "ones_like" not in on
    assert "zeros_like" in on and "uniform_random" in on
    paddle.seed(1)
    a = exe.run(compiled(main, "constant_folding"), feed=feed, fetch_list=[z, out])
    paddle.seed(1)
    b = exe.run(compiled(main), feed=feed, fetch_list=[z, out])
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_allclose(a[0], 19.0)


def test_folded_constants_are_not_overwritten_by_inplace_ops(exe):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        w = static.create_global_var([2], 1.0, "float32", name="w")
        g = apply("fill_constant", shape=(2,), value=0.5, dtype="float32")
        lr = apply("fill_constant", shape=(), value=1.0, dtype="float32")
        static.write_to(apply("sgd_update", w, g, lr), w)
    scope = static.Scope()
    exe.run(startup, scope=scope)
    for _ in range(3):
        exe.run(main, scope=scope)
    np.testing.assert_allclose(np.array(scope.find_var("w").get_tensor()), [-0.5, -0.5])


# ---------------------------------------------------------------- fuse_linear

@pytest.mark.parametrize("layout,activation", [("paddle", "relu"), ("torch", "tanh"),
                                               ("paddle", "sigmoid")])
def test_fuse_linear_training_is_bit_identical(exe, layout, activation):
    main, startup, loss = mlp(layout, activation)
    feeds = [_feed(seed=k) for k in range(2)]
    types = plan_types(exe, main, feeds[0], [loss], strategy("fuse_linear"))
    assert types.count("fused_linear") == 2  # the second takes the log_softmax head
    assert "add" not in types[:types.index("nll_loss")]
    assert activation not in types and "log_softmax" not in types
    plan = exe._get_plan(compiled(main, "fuse_linear"), list(feeds[0]), [loss])
    fused = [op for op in plan.step_ops if op is not None and op.type == "fused_linear"]
    assert fused[0].attrs == {"transpose_w": layout == "torch", "activation": activation}
    assert fused[0].fused == (("matmul", "add", activation) if layout == "paddle"
                              else ("linear", activation))
    assert fused[1].attrs == {"transpose_w": layout == "torch", "activation": "log_softmax"}
    assert fused[1].fused == (("matmul", "add", "log_softmax") if layout == "paddle"
                              else ("linear", "log_softmax"))
    assert_same_training(exe, main, startup, [loss], strategy("fuse_linear"), strategy(),
                         feeds)


@pytest.mark.parametrize("layout", ["paddle", "torch"])
def test_classifier_head_fuses_bit_identical(exe, layout):
    """The last linear layer takes the log_softmax (or softmax) over the last axis; at batch 32
    with 5 classes its kernel adds the bias on log_softmax's transposed copy. Training and
    inference agree with the unfused plan to the bit."""
    main, startup, loss = mlp(layout)
    feeds = [_feed(batch=32, seed=k) for k in range(2)]
    assert_same_training(exe, main, startup, [loss], strategy("fuse_linear"), strategy(),
                         feeds)
    for head in ("log_softmax", "softmax", "log_softmax axis 0"):
        prog, start = static.Program(), static.Program()
        with static.program_guard(prog, start):
            logits = _affine(12, 5)
            out = apply(head.split()[0], logits, axis=0 if "axis 0" in head else -1)
        feed = {"x": feeds[1]["x"]}
        types = plan_types(exe, prog, feed, [out], strategy("fuse_linear"))
        if "axis 0" in head:
            assert types == ["fused_linear", "log_softmax", "copy"]
        else:
            assert types == ["fused_linear", "copy"]
        scope = static.Scope()
        exe.run(start, scope=scope)
        got, want = (exe.run(compiled(prog, *on), feed=feed, fetch_list=[out],
                             scope=scope)[0] for on in (("fuse_linear",), ()))
        np.testing.assert_array_equal(got, want)
        z = feed["x"].astype(np.float64) @ np.array(scope.find_var("w").get_tensor()) + \
            np.array(scope.find_var("b").get_tensor())
        ref = z - z.max(axis=1, keepdims=True)
        ref -= np.log(np.exp(ref).sum(axis=1, keepdims=True))
        if head == "log_softmax":
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
        elif head == "softmax":
            np.testing.assert_allclose(got, np.exp(ref), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_recorded_fused_linear_takes_the_activation(exe, activation):
    """Implicit mode records F.linear as fused_linear: the pass folds the activation after it
    in, so an implicit step runs the plan its explicit program gets."""
    main, startup, loss = mlp("fused", activation)
    feeds = [_feed(seed=k) for k in range(2)]
    types = plan_types(exe, main, feeds[0], [loss], strategy("fuse_linear"))
    assert types.count("fused_linear") == 2 and activation not in types
    plan = exe._get_plan(compiled(main, "fuse_linear"), list(feeds[0]), [loss])
    fused = [op for op in plan.step_ops if op is not None and op.type == "fused_linear"]
    assert fused[0].attrs == {"transpose_w": False, "activation": activation}
    assert fused[0].fused == ("fused_linear", activation)
    assert fused[1].attrs["activation"] == "log_softmax"
    assert_same_training(exe, main, startup, [loss], strategy("fuse_linear"), strategy(),
                         feeds)
    # its value fetched, the activation stays apart
    pre = main.global_block().ops[0].outputs[0]
    types = plan_types(exe, main, feeds[0], [loss, pre], strategy("fuse_linear"))
    assert activation in types


def test_fetched_intermediate_is_not_fused_away(exe):
    main, startup, loss = mlp()
    block = main.global_block()
    matmul_out = block.ops[0].outputs[0]
    add_out = block.ops[1].outputs[0]
    feed = _feed()
    types = plan_types(exe, main, feed, [loss, matmul_out], strategy("fuse_linear"))
    assert types[:3] == ["matmul", "copy", "add"]  # layer 1 unfused, its value fetched
    assert types.count("fused_linear") == 1  # layer 2 still fused
    types = plan_types(exe, main, feed, [loss, add_out], strategy("fuse_linear"))
    assert types[:3] == ["fused_linear", "copy", "relu"]  # matmul + add only
    for fetch in ([loss, matmul_out], [loss, add_out]):
        assert_same_training(exe, main, startup, fetch, strategy("fuse_linear"), strategy(),
                             [feed], steps=2)


def test_persistable_write_is_not_fused_away(exe):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        keep = static.create_global_var([2, 4], 0.0, "float32", name="pre_activation")
        pre = static.write_to(_affine(3, 4), keep)
        out = apply("relu", pre)
    feed = {"x": np.random.default_rng(0).standard_normal((2, 3)).astype("float32")}
    types = plan_types(exe, main, feed, [out], strategy("fuse_linear"))
    assert types == ["fused_linear", "relu", "copy"]  # the add's value goes to the Scope
    results = []
    for s in (strategy("fuse_linear"), strategy()):
        scope = static.Scope()
        paddle.seed(0)
        exe.run(startup, scope=scope)
        (y,) = exe.run(static.CompiledProgram(main, build_strategy=s), feed=feed,
                       fetch_list=[out], scope=scope)
        results.append((y, np.array(scope.find_var("pre_activation").get_tensor())))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert np.any(results[0][1] != 0)


def test_fed_intermediates_with_every_pass(exe):
    main, startup, loss = mlp()
    block = main.global_block()
    hidden = block.ops[2].outputs[0]  # relu's output, fed instead of computed
    logits = block.ops[4].outputs[0]
    feed = dict(_feed(), **{hidden.name: np.ones((6, 8), "float32")})
    assert_same_training(exe, main, startup, [loss, logits], strategy(*PASSES), strategy(),
                         [feed], steps=2)


def test_shape_reads_of_fused_values_follow_the_fused_output(exe):
    """The add's backward reads the matmul output for its shape (sum_to_like): after the
    fusion it reads the fused output, which has that shape."""
    main, startup, loss = mlp()
    plan = exe._get_plan(compiled(main, "fuse_linear"), ["x", "y"], [loss])
    produced = set()
    for fn, ins, outs, attrs, dead in plan.steps:
        assert all(i in produced or plan.initial[i] is not None or i <= 1 or
                   i in {s for s, _ in plan.feeds} | {s for s, _ in plan.reads}
                   for i in ins), "a step reads a value nothing produced"
        produced.update(outs if isinstance(outs, tuple) else (outs,))


# ---------------------------------------------------------------- fuse_softmax_ce

def test_fuse_softmax_ce_forward_and_backward(exe):
    main, startup, loss = mlp()
    feeds = [_feed(seed=k) for k in range(2)]
    types = plan_types(exe, main, feeds[0], [loss], strategy("fuse_softmax_ce"))
    assert "log_softmax_nll_loss" in types and "log_softmax_nll_loss_grad" in types
    for name in ("log_softmax", "nll_loss", "nll_loss_grad", "log_softmax_grad"):
        assert name not in types
    assert_same_training(exe, main, startup, [loss], strategy("fuse_softmax_ce"), strategy(),
                         feeds)


def test_fuse_softmax_ce_keeps_a_fetched_logp(exe):
    main, startup, loss = mlp()
    logp = next(op for op in main.global_block().ops if op.type == "log_softmax").outputs[0]
    feed = _feed()
    types = plan_types(exe, main, feed, [loss, logp], strategy("fuse_softmax_ce"))
    assert "log_softmax_nll_loss" in types
    assert_same_training(exe, main, startup, [loss, logp], strategy("fuse_softmax_ce"),
                         strategy(), [feed], steps=2)


@pytest.mark.parametrize("attrs", [{"reduction": "sum", "ignore_index": 2},
                                   {"reduction": "mean", "label_smoothing": 0.1},
                                   {"reduction": "mean", "weight": True}])
def test_fuse_softmax_ce_variants(exe, attrs):
    attrs = dict(attrs)
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 5], "float32")
        x.stop_gradient = False
        y = static.data("y", [None], "int64")
        weight = static.data("w", [5], "float32") if attrs.pop("weight", False) else None
        loss = apply("nll_loss", apply("log_softmax", x, axis=-1), y, weight, **attrs)
        (gx,) = static.gradients([loss], [x])
    rng = np.random.default_rng(3)
    feed = {"x": rng.standard_normal((7, 5)).astype("float32"), "y": rng.integers(0, 5, 7)}
    if weight is not None:
        feed["w"] = rng.uniform(0.5, 2.0, 5).astype("float32")
    fused = exe.run(compiled(main, "fuse_softmax_ce"), feed=feed, fetch_list=[loss, gx])
    plain = exe.run(compiled(main), feed=feed, fetch_list=[loss, gx])
    assert "log_softmax_nll_loss_grad" in plan_types(exe, main, feed, [loss, gx],
                                                     strategy("fuse_softmax_ce"))
    for p, q in zip(fused, plain):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)


def test_error_in_a_fused_kernel_names_the_fused_op_and_the_users_line(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 3], "float32")
        y = static.data("y", [None], "int64")
        loss = apply("nll_loss", apply("log_softmax", x, axis=1), y, None)
    feed = {"x": np.zeros((2, 3), "float32"), "y": np.array([0, 7])}
    with pytest.raises(OpError) as info:
        exe.run(main, feed=feed, fetch_list=[loss])
    msg = str(info.value)
    assert "log_softmax_nll_loss" in msg and "Target 7 is out of bounds" in msg
    assert "test_passes.py" in msg


# ---------------------------------------------------------------- fuse_conv_bias

def test_fuse_conv_bias_lenet(exe):
    main, startup, loss = lenet()
    feeds = [_feed(4, image=True, seed=k) for k in range(2)]
    s = strategy("fuse_conv_bias")
    types = plan_types(exe, main, feeds[0], [loss], s)
    assert types.count("fused_conv2d") == 2 and "conv2d" not in types
    plan = exe._get_plan(static.CompiledProgram(main, build_strategy=s), ["x", "y"], [loss])
    fused = next(op for op in plan.step_ops if op is not None and op.type == "fused_conv2d")
    assert fused.attrs["activation"] == "relu" and fused.attrs["padding"] == (1, 1)
    assert_same_training(exe, main, startup, [loss], s, strategy(), feeds)


def test_everything_on_lenet_matches_nothing_on(exe):
    main, startup, loss = lenet()
    feeds = [_feed(4, image=True, seed=k) for k in range(2)]
    all_on = strategy(*PASSES)
    types = plan_types(exe, main, feeds[0], [loss], all_on)
    assert {"fused_conv2d", "fused_linear", "log_softmax_nll_loss"} <= set(types)
    assert_same_training(exe, main, startup, [loss], all_on, strategy(), feeds, steps=3)


# ---------------------------------------------------------------- fuse_elementwise

def test_fuse_elementwise_gelu_chain(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 6], "float32")
        y = gelu(x, approximate="tanh")
    feed = {"x": np.random.default_rng(0).standard_normal((4, 6)).astype("float32")}
    on = plan_types(exe, main, feed, [y], strategy("fuse_elewise_add_act_ops"))
    assert on == ["fused_elementwise", "copy"]
    a = exe.run(compiled(main, "fuse_elewise_add_act_ops"), feed=feed, fetch_list=[y])[0]
    b = exe.run(compiled(main), feed=feed, fetch_list=[y])[0]
    np.testing.assert_array_equal(a, b)


def test_fuse_elementwise_stops_at_fetched_and_shared_values(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 6], "float32")
        b = static.data("b", [6], "float32")
        t = apply("tanh", apply("add", x, b))  # fetched: a boundary
        u = apply("exp", apply("neg", t))
        shared = apply("mul", u, 2.0)  # read twice: a boundary
        out = apply("add", apply("relu", shared), apply("sigmoid", shared))
    rng = np.random.default_rng(0)
    feed = {"x": rng.standard_normal((3, 6)).astype("float32"),
            "b": rng.standard_normal(6).astype("float32")}
    on = plan_types(exe, main, feed, [out, t], strategy("fuse_elewise_add_act_ops"))
    assert on.count("fused_elementwise") == 3
    a = exe.run(compiled(main, "fuse_elewise_add_act_ops"), feed=feed, fetch_list=[out, t])
    b = exe.run(compiled(main), feed=feed, fetch_list=[out, t])
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)


# ---------------------------------------------------------------- memory planning

def test_memory_planning_uses_out_kernels_and_keeps_buffers(exe):
    main, startup, loss = mlp()
    feeds = [_feed(seed=k) for k in range(2)]
    s = strategy("memory_optimize", "enable_inplace", "fuse_linear")
    plan = exe._get_plan(static.CompiledProgram(main, build_strategy=s), ["x", "y"], [loss])
    text = repr(plan)
    assert "fused_linear[out]" in text and "matmul[out]" in text and plan.buffer_slots
    relu_grad = next(step for step, op in zip(plan.steps, plan.step_ops)
                     if op is not None and op.type == "relu_grad")
    assert relu_grad[1][0] == relu_grad[2]  # writes in place into its dying input
    for variant in (s, strategy("memory_optimize"), strategy("enable_inplace")):
        assert_same_training(exe, main, startup, [loss], variant, strategy(), feeds)


def test_small_values_keep_plain_kernels(exe, monkeypatch):
    monkeypatch.setattr(memory, "MIN_ELEMENTS", DEFAULT_MIN_ELEMENTS)
    cols = DEFAULT_MIN_ELEMENTS // memory.BATCH_GUESS  # a -1 batch dim counts as BATCH_GUESS
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 16], "float32")
        big = static.data("big", [None, cols], "float32")
        small, large = apply("exp", apply("mul", x, 2.0)), apply("exp", apply("mul", big, 2.0))
    s = strategy("memory_optimize", "enable_inplace")
    plan = exe._get_plan(static.CompiledProgram(main, build_strategy=s), ["x", "big"],
                         [small, large])
    names = [line.split(" = ")[1].split("(")[0] for line in repr(plan).splitlines()[1:]]
    assert names == ["mul", "exp", "copy", "mul[out]", "exp[out]", "copy"]


def test_buffer_reuse_never_corrupts_a_fetched_value(exe):
    """Fetch every value of a training step: each must equal the unplanned plan's."""
    main, startup, loss = mlp()
    fetch = [v for v in main.global_block().vars.values()
             if v.op is not None or v.persistable]
    feeds = [_feed(seed=k) for k in range(2)]
    assert_same_training(exe, main, startup, fetch, strategy(*PASSES), strategy(), feeds,
                         steps=3)


def test_live_views_keep_their_buffer(exe):
    """A reshape and a transpose of a buffered value are alive while later ops of the same
    shape run: those must not reuse the buffer."""
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [4, 6], "float32")
        a = apply("exp", x)
        view = apply("transpose", apply("reshape", a, shape=(6, 4)), perm=(1, 0))
        b = apply("tanh", x)  # same shape and dtype as a, produced while `view` lives
        c = apply("mul", b, 3.0)
        d = apply("add", c, 1.0)
        out = apply("add", apply("reshape", view, shape=(4, 6)), d)
    feed = {"x": np.random.default_rng(0).standard_normal((4, 6)).astype("float32")}
    s = strategy("memory_optimize", "enable_inplace")
    for _ in range(3):  # buffers persist between runs too
        got = exe.run(static.CompiledProgram(main, build_strategy=s), feed=feed,
                      fetch_list=[out])[0]
        want = exe.run(compiled(main), feed=feed, fetch_list=[out])[0]
        np.testing.assert_array_equal(got, want)


def test_fetched_results_are_not_overwritten_by_the_next_run(exe):
    main, startup, loss = mlp()
    hidden = next(op for op in main.global_block().ops if op.type == "relu").outputs[0]
    scope = static.Scope()
    exe.run(startup, scope=scope)
    prog = compiled(main, *PASSES)
    first = exe.run(prog, feed=_feed(seed=0), fetch_list=[hidden], scope=scope)[0]
    kept = first.copy()
    exe.run(prog, feed=_feed(seed=1), fetch_list=[hidden], scope=scope)
    np.testing.assert_array_equal(first, kept)


def test_batch_size_changes_between_runs(exe):
    main, startup, loss = mlp()
    feeds = [_feed(6, seed=0), _feed(3, seed=1), _feed(6, seed=2), _feed(1, seed=3)]
    assert_same_training(exe, main, startup, [loss], strategy(*PASSES), strategy(), feeds,
                         steps=4)


def test_concurrent_runs_of_one_plan(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 16], "float32")
        y = apply("add", apply("mul", apply("exp", x), 2.0), apply("tanh", x))
    prog = compiled(main, *PASSES)
    feeds = [np.full((8, 16), k / 10, "float32") for k in range(4)]
    want = [np.exp(f) * 2.0 + np.tanh(f) for f in feeds]
    errors = []

    def work(k):
        for _ in range(200):
            got = exe.run(prog, feed={"x": feeds[k]}, fetch_list=[y])[0]
            if not np.allclose(got, want[k], rtol=1e-6):
                errors.append(k)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# ---------------------------------------------------------------- fold_conv_bn

def _conv_bn_program(training: bool):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 3, 8, 8], "float32")
        conv = paddle.nn.Conv2D(3, 4, 3, padding=1, bias_attr=False)
        bn = paddle.nn.BatchNorm2D(4)
        if not training:
            bn.eval()
        y = paddle.nn.functional.relu(bn(conv(x)))
    return main, startup, y, bn


def test_fold_conv_bn_in_inference(exe):
    main, startup, y, bn = _conv_bn_program(training=False)
    exe.run(startup)
    rng = np.random.default_rng(0)
    bn.set_state_dict({"_mean": rng.standard_normal(4).astype(np.float32),
                       "_variance": rng.uniform(0.5, 2.0, 4).astype(np.float32),
                       "weight": rng.uniform(0.5, 1.5, 4).astype(np.float32),
                       "bias": rng.standard_normal(4).astype(np.float32)})
    feed = {"x": rng.standard_normal((5, 3, 8, 8)).astype(np.float32)}
    types = plan_types(exe, main, feed, [y], strategy("fold_conv_bn"))
    assert "fused_conv2d_bn" in types and "batch_norm" not in types and "conv2d" not in types
    (folded,) = exe.run(compiled(main, "fold_conv_bn"), feed=feed, fetch_list=[y])
    (plain,) = exe.run(compiled(main), feed=feed, fetch_list=[y])
    np.testing.assert_allclose(folded, plain, rtol=1e-5, atol=1e-5)
    bn.set_state_dict({"_mean": np.zeros(4, np.float32)})  # statistics change: refolded
    (folded,) = exe.run(compiled(main, "fold_conv_bn"), feed=feed, fetch_list=[y])
    (plain,) = exe.run(compiled(main), feed=feed, fetch_list=[y])
    np.testing.assert_allclose(folded, plain, rtol=1e-5, atol=1e-5)


def test_training_batch_norm_is_not_folded(exe):
    main, startup, y, _ = _conv_bn_program(training=True)
    exe.run(startup)
    feed = {"x": np.random.default_rng(0).standard_normal((5, 3, 8, 8)).astype(np.float32)}
    types = plan_types(exe, main, feed, [y], strategy("fold_conv_bn"))
    assert "batch_norm" in types and "fused_conv2d_bn" not in types


def test_fetched_conv_output_is_not_folded(exe):
    main, startup, y, _ = _conv_bn_program(training=False)
    conv_out = main.global_block().ops[0].outputs[0]
    exe.run(startup)
    feed = {"x": np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)}
    types = plan_types(exe, main, feed, [y, conv_out], strategy("fold_conv_bn"))
    assert "batch_norm" in types


# ---------------------------------------------------------------- fuse_conv_pool

def lenet_inference(activation="relu", pool=None, bias_shapes=((4, 1, 1), (6, 1, 1))):
    """conv2d + add(bias) + activation + max_pool2d, twice, and a linear head: no backward."""
    pool = pool or {"kernel_size": 2}
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        h = static.data("x", [None, 1, 12, 12], "float32")
        for i, (cin, cout) in enumerate(((1, 4), (4, 6))):
            w = static.create_parameter([cout, cin, 3, 3], "float32", name=f"conv{i}.w")
            b = static.create_parameter(list(bias_shapes[i]), "float32",
                                        name=f"conv{i}.b", is_bias=True,
                                        default_initializer=_uniform(0.5))
            h = apply(activation, apply("add", apply("conv2d", h, w, padding=1), b))
            h = apply("max_pool2d", h, **pool)
        out = apply("reshape", h, shape=(0, -1))
    return main, startup, out


@pytest.mark.parametrize("activation, pool", [
    ("relu", {"kernel_size": 2}),
    ("relu", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
])
def test_fuse_conv_pool_inference_matches_the_unfused_plan(exe, activation, pool):
    main, startup, out = lenet_inference(activation, pool)
    scope = static.Scope()
    exe.run(startup, scope=scope)
    feed = {"x": np.random.default_rng(0).standard_normal((5, 1, 12, 12)).astype(np.float32)}
    on = strategy("fuse_conv_bias", "fuse_conv_pool")
    types = plan_types(exe, main, feed, [out], on)
    assert types.count("fused_conv2d_max_pool2d") == 2 and "max_pool2d" not in types
    assert "fused_conv2d_max_pool2d" in plan_types(exe, main, feed, [out], strategy(*PASSES))
    (fused,) = exe.run(compiled(main, "fuse_conv_bias", "fuse_conv_pool"), feed=feed,
                       fetch_list=[out], scope=scope)
    (plain,) = exe.run(compiled(main), feed=feed, fetch_list=[out], scope=scope)
    np.testing.assert_array_equal(fused, plain)


@pytest.mark.parametrize("activation, bias_shapes, fused", [
    ("tanh", ((4, 1, 1), (6, 1, 1)), 0), ("relu", ((4, 1, 1), (6, 6, 6)), 1)])
def test_fuse_conv_pool_needs_relu_and_a_channel_bias(exe, activation, bias_shapes, fused):
    """tanh is not exact enough to commute with the maximum; a per-pixel bias does not."""
    main, startup, out = lenet_inference(activation, bias_shapes=bias_shapes)
    feed = {"x": np.zeros((2, 1, 12, 12), np.float32)}
    types = plan_types(exe, main, feed, [out], strategy("fuse_conv_bias", "fuse_conv_pool"))
    assert types.count("fused_conv2d_max_pool2d") == fused


def test_fuse_conv_pool_keeps_a_fetched_or_trained_conv_output(exe):
    main, startup, out = lenet_inference()
    relu_out = next(op for op in main.global_block().ops if op.type == "relu").outputs[0]
    feed = {"x": np.zeros((2, 1, 12, 12), np.float32)}
    types = plan_types(exe, main, feed, [out, relu_out], strategy(*PASSES))
    assert types.count("fused_conv2d_max_pool2d") == 1  # the second layer's only
    main, startup, loss = lenet()  # training: the backward reads the activation
    types = plan_types(exe, main, _feed(4, image=True), [loss], strategy(*PASSES))
    assert "fused_conv2d_max_pool2d" not in types and types.count("max_pool2d") == 2
