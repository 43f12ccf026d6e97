"""The Executor: compiled-plan cache, feed checks and errors, state written back to the Scope
(optimizer updates, batch-norm statistics), randomness per run, fetch snapshots, places."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet.ops import OpError, apply
from dualnet_static import static
from dualnet_static.framework import op_role_guard


@pytest.fixture
def exe():
    return static.Executor(paddle.CPUPlace())


def _mlp(seed_names=True):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 3], "float32")
        w = static.create_parameter([3, 2], "float32", name="fc.w_0")
        h = paddle.tanh(paddle.matmul(x, w)) * 2.0
        loss = paddle.mean(h)
    return main, startup, loss


# ---------------------------------------------------------------- plan cache

def test_same_structure_compiles_once(exe):
    static.clear_plan_cache()
    scope = static.Scope()
    xv = np.ones((4, 3), "float32")
    results = []
    for _ in range(2):  # two Programs, fresh unique names for every temporary
        main, startup, loss = _mlp()
        exe.run(startup, scope=scope)
        results.append(exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)[0])
    info = static.plan_cache_info()
    assert info.compiles == 2  # one startup plan, one main plan
    assert info.hits == 2
    exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)  # same program: fast path
    assert static.plan_cache_info().compiles == 2
    main.global_block().vars[loss.name].stop_gradient = True  # flags do not change the plan
    exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)
    assert static.plan_cache_info().compiles == 2


def test_repeated_runs_reuse_the_last_plan_only_while_nothing_changed(exe, monkeypatch):
    """Executor.run skips the plan lookup when the program, feeds, fetches, place and passes
    are those of the last run; any change takes the full lookup."""
    static.clear_plan_cache()
    main, startup, loss = _mlp()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    xv = np.ones((2, 3), "float32")
    h = next(op for op in main.global_block().ops if op.type == "tanh").outputs[0]
    a = exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)[0]
    hits = static.plan_cache_info().hits
    assert exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)[0] == a
    assert static.plan_cache_info().hits == hits + 1  # the repeat counts as a hit
    got = exe.run(main, feed={"x": xv}, fetch_list=[h], scope=scope)[0]  # another fetch
    assert got.shape == (2, 2)
    assert exe.run(main, feed={"x": xv}, fetch_list=[loss.name], scope=scope)[0] == a
    with static.program_guard(main, startup):  # the program changes: its version too
        loss3 = loss * 3.0
    b, c = exe.run(main, feed={"x": xv}, fetch_list=[loss, loss3], scope=scope)
    np.testing.assert_allclose(c, 3 * b, rtol=1e-6)
    compiles = static.plan_cache_info().compiles
    exe.run(static.CompiledProgram(main, build_strategy=static.BuildStrategy(
        fuse_linear=False)), feed={"x": xv}, fetch_list=[loss, loss3], scope=scope)
    monkeypatch.setenv("DUALNET_EXECUTOR_PASSES", "none")  # another default strategy
    exe.run(main, feed={"x": xv}, fetch_list=[loss, loss3], scope=scope)
    assert static.plan_cache_info().compiles == compiles + 2
    static.clear_plan_cache()
    exe.run(main, feed={"x": xv}, fetch_list=[loss, loss3], scope=scope)
    assert static.plan_cache_info().compiles == 1


def test_changed_program_recompiles(exe):
    static.clear_plan_cache()
    main, startup, loss = _mlp()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    xv = np.ones((2, 3), "float32")
    a = exe.run(main, feed={"x": xv}, fetch_list=[loss], scope=scope)[0]
    with static.program_guard(main, startup):
        loss2 = loss * 3.0
    b, c = exe.run(main, feed={"x": xv}, fetch_list=[loss, loss2], scope=scope)
    assert static.plan_cache_info().compiles == 3
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(c, 3 * b, rtol=1e-6)


def test_plan_is_pruned_and_flat(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [2], "float32")
        y = paddle.exp(x)
        z = paddle.sin(x)  # noqa: F841 (not fetched: pruned)
        c = apply("fill_constant", shape=(2,), value=3.0, dtype="float32")
        w = y * (c + 1.0)  # c + 1.0 is folded at compile time
    plan = exe._get_plan(main, ["x"], [w])
    names = [op.type if op is not None else "copy" for op in plan.step_ops]
    assert names == ["exp", "mul", "copy"]  # the copy snapshots the fetched value
    out = exe.run(main, feed={"x": np.zeros(2, "float32")}, fetch_list=[w])[0]
    np.testing.assert_allclose(out, [4.0, 4.0])


# ---------------------------------------------------------------- feeds and fetches

def test_feed_errors_name_the_variable(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("image", [None, 3], "float32")
        y = x * 2.0
    with pytest.raises(ValueError, match=r"'image'.*float32.*float64"):
        exe.run(main, feed={"image": np.ones((2, 3))}, fetch_list=[y])
    with pytest.raises(ValueError, match=r"'image'.*shape = \[-1, 3\].*\[2, 4\]"):
        exe.run(main, feed={"image": np.ones((2, 4), "float32")}, fetch_list=[y])
    with pytest.raises(ValueError, match=r"'image'.*dimensions = 2"):
        exe.run(main, feed={"image": np.ones(3, "float32")}, fetch_list=[y])
    with pytest.raises(ValueError, match="'image' is needed.*not fed"):
        exe.run(main, feed={}, fetch_list=[y])
    with pytest.raises(ValueError, match="feed 'label' is not a variable"):
        exe.run(main, feed={"image": np.ones((1, 3), "float32"), "label": 1}, fetch_list=[y])
    with pytest.raises(ValueError, match="fetch_list item 'nope'"):
        exe.run(main, feed={"image": np.ones((1, 3), "float32")}, fetch_list=["nope"])


def test_feed_lists_and_fetch_by_name(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [2], "float32")
        y = paddle.exp(x)
    a, b = exe.run(main, feed={"x": [0.0, 1.0]}, fetch_list=[y.name, "x"])
    np.testing.assert_allclose(a, np.exp([0.0, 1.0]), rtol=1e-6)
    assert a.dtype == np.float32 and b.dtype == np.float32
    (t,) = exe.run(main, feed={"x": [0.0, 1.0]}, fetch_list=[y], return_numpy=False)
    assert t.shape() == [2] and np.asarray(t)[0] == 1.0


def test_feeding_an_intermediate_overrides_it(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [2], "float32")
        h = paddle.exp(x)
        y = h * 2.0
    (out,) = exe.run(main, feed={h.name: np.array([1.0, 5.0], "float32")}, fetch_list=[y])
    np.testing.assert_allclose(out, [2.0, 10.0])


def test_uninitialized_persistable_is_a_clear_error(exe):
    main, startup, loss = _mlp()
    with pytest.raises(RuntimeError, match="'fc.w_0' is not initialized.*startup"):
        exe.run(main, feed={"x": np.ones((1, 3), "float32")}, fetch_list=[loss],
                scope=static.Scope())


def test_build_time_shape_error_names_op_shapes_and_line():
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 4], "float32")
        w = static.data("w", [5, 3], "float32")
        with pytest.raises(OpError) as info:
            paddle.matmul(x, w)
    msg = str(info.value)
    assert "matmul" in msg and "4" in msg and "5" in msg and "test_executor.py" in msg


def test_run_time_kernel_error_names_the_op_and_where_it_was_built(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 4], "float32")
        y = paddle.reshape(x, [3, -1])
    with pytest.raises(OpError) as info:
        exe.run(main, feed={"x": np.ones((2, 4), "float32")}, fetch_list=[y])
    msg = str(info.value)
    assert "reshape" in msg and "test_executor.py" in msg and "paddle.reshape(x, [3, -1])" in msg


# ---------------------------------------------------------------- state written back

def _sgd_program(lr=0.1):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 2], "float64")
        t = static.data("t", [None, 1], "float64")
        w = static.create_parameter([2, 1], "float64", name="w")
        lr_var = static.create_global_var([1], lr, "float64", name="lr")
        err = paddle.matmul(x, w) - t
        loss = paddle.mean(err * err)
        (_, g), = static.append_backward(loss)
        with op_role_guard("optimize"):
            static.write_to(apply("sgd_update", w, g, lr_var), w)
    return main, startup, loss, w


def test_sgd_training_writes_parameters_back(exe):
    main, startup, loss, w = _sgd_program()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((16, 2))
    tv = xv @ np.array([[2.0], [-1.0]])
    losses = [exe.run(main, feed={"x": xv, "t": tv}, fetch_list=[loss], scope=scope)[0]
              for _ in range(200)]
    assert losses[-1] < 1e-6 < losses[0]
    np.testing.assert_allclose(np.asarray(scope.find_var("w").get_tensor()),
                               [[2.0], [-1.0]], atol=1e-3)


def test_fetched_values_are_snapshots(exe):
    main, startup, loss, w = _sgd_program()
    scope = static.Scope()
    exe.run(startup, scope=scope)
    feed = {"x": np.ones((2, 2)), "t": np.zeros((2, 1))}
    w0 = np.array(scope.find_var("w").get_tensor())
    (w1,) = exe.run(main, feed=feed, fetch_list=[w], scope=scope)  # after this step's update
    w1_copy = w1.copy()
    exe.run(main, feed=feed, fetch_list=[loss], scope=scope)  # updates w in place again
    np.testing.assert_array_equal(w1, w1_copy)  # what we got back did not change
    assert not np.allclose(w0, w1)


def test_batch_norm_running_stats_are_written_back(exe):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 2], "float64")
        rm = static.create_global_var([2], 0.0, "float64", name="bn.mean")
        rv = static.create_global_var([2], 1.0, "float64", name="bn.var")
        y, m, v = apply("batch_norm", x, None, None, rm, rv, training=True, momentum=0.1)
        static.write_to(m, rm)
        static.write_to(v, rv)
    scope = static.Scope()
    exe.run(startup, scope=scope)
    xv = np.array([[1.0, 2.0], [3.0, 6.0]])
    for _ in range(2):
        exe.run(main, feed={"x": xv}, fetch_list=[y], scope=scope)
    mean, var = xv.mean(0), xv.var(0, ddof=1)
    expect_m = 0.9 * (0.9 * 0 + 0.1 * mean) + 0.1 * mean
    expect_v = 0.9 * (0.9 * 1 + 0.1 * var) + 0.1 * var
    np.testing.assert_allclose(np.asarray(scope.find_var("bn.mean").get_tensor()), expect_m)
    np.testing.assert_allclose(np.asarray(scope.find_var("bn.var").get_tensor()), expect_v)
    test = main.clone(for_test=True)
    (yt,) = exe.run(test, feed={"x": xv}, fetch_list=[y.name], scope=scope)
    np.testing.assert_allclose(yt, (xv - expect_m) / np.sqrt(expect_v + 1e-5))
    np.testing.assert_allclose(np.asarray(scope.find_var("bn.mean").get_tensor()), expect_m)


# ---------------------------------------------------------------- randomness

def test_dropout_draws_new_masks_each_run_and_seed_reproduces(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 64], "float32")
        y, mask = apply("dropout", x, p=0.5)
    feed = {"x": np.ones((4, 64), "float32")}
    paddle.seed(7)
    a = exe.run(main, feed=feed, fetch_list=[y])[0]
    b = exe.run(main, feed=feed, fetch_list=[y])[0]
    assert not np.array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}
    paddle.seed(7)
    np.testing.assert_array_equal(exe.run(main, feed=feed, fetch_list=[y])[0], a)
    test = main.clone(for_test=True)
    np.testing.assert_array_equal(exe.run(test, feed=feed, fetch_list=[y.name])[0], feed["x"])


def test_startup_initializers_are_random_and_seeded(exe):
    outs = []
    for _ in range(2):
        paddle.seed(3)
        main, startup, loss = _mlp()
        scope = static.Scope()
        exe.run(startup, scope=scope)
        outs.append(np.array(scope.find_var("fc.w_0").get_tensor()))
    np.testing.assert_array_equal(outs[0], outs[1])
    limit = np.sqrt(6 / 5)
    assert np.all(np.abs(outs[0]) <= limit) and outs[0].std() > 0


# ---------------------------------------------------------------- scopes and places

def test_global_scope_and_scope_guard(exe):
    main, startup, loss = _mlp()
    mine = static.Scope()
    with static.scope_guard(mine):
        assert static.global_scope() is mine
        exe.run(startup)
        out = exe.run(main, feed={"x": np.ones((1, 3), "float32")}, fetch_list=[loss])[0]
    assert mine.find_var("fc.w_0") is not None and static.global_scope() is not mine
    assert np.isfinite(out)


def test_places_and_devices():
    assert paddle.get_device() == "cpu"
    assert repr(paddle.CPUPlace()) == "Place(cpu)"
    assert paddle.set_device("cpu") == paddle.CPUPlace()
    if not paddle.is_compiled_with_cuda():
        with pytest.raises(ValueError, match="gpu"):
            paddle.set_device("gpu")
        assert paddle.get_device() == "cpu"


def test_executor_on_cuda_place():
    if not paddle.is_compiled_with_cuda():
        pytest.skip("CUDA (CuPy with a GPU) is not available")
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [3], "float32")
        y = paddle.exp(x) * 2.0
    out = static.Executor(paddle.CUDAPlace(0)).run(main, feed={"x": np.zeros(3, "float32")},
                                                   fetch_list=[y])[0]
    np.testing.assert_allclose(out, 2.0)


@pytest.mark.parametrize("runs_before", [0, 4])  # interpreted / generated (CODEGEN_AFTER)
def test_a_kernel_failing_at_run_time_names_the_op_its_inputs_and_where_it_was_built(
        exe, runs_before):
    """Shapes known only at run time can fail inside a kernel: the error says which op, with
    which input shapes, built on which line of the user's program - whether the plan still
    interprets its steps or runs its generated function - and the plan keeps working for
    good feeds afterwards."""
    from dualnet_static.compiler import CODEGEN_AFTER

    assert runs_before == 0 or runs_before >= CODEGEN_AFTER
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 3], "float32")
        y = apply("reshape", x, shape=(-1, 5))  # the line the error must name
        z = apply("mul", y, 2.0)
    good = {"x": np.arange(15, dtype=np.float32).reshape(5, 3)}
    for _ in range(runs_before):
        exe.run(main, feed=good, fetch_list=[z])
    plan = exe._get_plan(main, ["x"], [z])
    assert (plan.source is not None) == bool(runs_before)
    with pytest.raises(OpError) as info:
        exe.run(main, feed={"x": np.ones((2, 3), np.float32)}, fetch_list=[z])
    msg = str(info.value)
    assert "reshape: cannot reshape a tensor of shape [2, 3] (6 elements) into shape [-1, 5]" \
        in msg
    assert "while running op reshape (outputs: " in msg
    assert "built at" in msg and 'y = apply("reshape", x, shape=(-1, 5))' in msg
    assert "compiler.py" not in msg  # never the plan's own frame
    out, = exe.run(main, feed=good, fetch_list=[z])
    np.testing.assert_array_equal(out, np.arange(15, dtype=np.float32).reshape(3, 5) * 2)


def test_generated_plan_runs_as_the_interpreted_steps_do(exe):
    """A plan interprets its steps for its first runs, then runs a generated function: a
    training program (feeds, scope reads and writes, a reused buffer, multi-output steps)
    gives the same bits either way, run by run."""
    from dualnet_static import compiler

    def losses(after):
        old = compiler.CODEGEN_AFTER
        compiler.CODEGEN_AFTER = after
        try:
            static.clear_plan_cache()
            paddle.seed(0)
            main, startup = static.Program(), static.Program()
            with static.program_guard(main, startup):
                x = static.data("x", [None, 300], "float32")
                y = static.data("y", [None], "int64")
                h = paddle.nn.functional.relu(static.nn.fc(x, 256))  # dW: a reused buffer
                loss = paddle.nn.functional.cross_entropy(static.nn.fc(h, 5), y)
                paddle.optimizer.Momentum(0.1, momentum=0.9).minimize(loss)
            scope = static.Scope()
            exe.run(startup, scope=scope)
            rng = np.random.default_rng(0)
            feed = {"x": rng.standard_normal((40, 300)).astype("float32"),
                    "y": rng.integers(0, 5, 40)}
            out = [exe.run(main, feed=feed, fetch_list=[loss], scope=scope)[0]
                   for _ in range(5)]
            plan = exe._get_plan(main, ["x", "y"], [loss])
            assert plan.buffer_slots and plan.writes
            return out, plan.source
        finally:
            compiler.CODEGEN_AFTER = old

    generated, source = losses(1)
    interpreted, none = losses(10 ** 9)
    assert source is not None and none is None and "def run(feed, scope):" in source
    for a, b in zip(generated, interpreted):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("runs", [1, 4])
def test_a_dropped_plan_goes_by_reference_counting(exe, runs):
    """Nothing a plan holds refers back to it - not its first-runs function (runs=1) nor its
    generated one (runs=4) -, so a plan dropped from the cache frees its buffers at once
    instead of when Python's cycle collector runs."""
    import gc
    import weakref

    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 300], "float32")
        h = paddle.nn.functional.relu(static.nn.fc(x, 256))
        loss = paddle.mean(static.nn.fc(h, 5))
        paddle.optimizer.Momentum(0.1, momentum=0.9).minimize(loss)
    scope = static.Scope()
    exe.run(startup, scope=scope)
    feed = {"x": np.ones((40, 300), np.float32)}
    for _ in range(runs):
        exe.run(main, feed=feed, fetch_list=[loss], scope=scope)
    plan = weakref.ref(exe._get_plan(main, ["x"], [loss]))
    assert (plan().source is not None) == (runs >= 3)
    gc.disable()
    try:
        static.clear_plan_cache()
        assert plan() is None
    finally:
        gc.enable()
