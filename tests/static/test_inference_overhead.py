"""The Executor's per-run fast paths (issue 7: small-model inference): the default strategy read
from os.environ's own mapping, the NumPy feed check, scope reads inlined in Plan.run,
PreparedRun.current and StaticModel's repeated calls. Each must behave as the general path."""
from __future__ import annotations

import os

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import passes, static
from dualnet_static.passes import default_strategy

ENV = passes.ENV


@pytest.fixture
def exe():
    return static.Executor(paddle.CPUPlace())


# ---------------------------------------------------------------- default strategy

def test_default_strategy_follows_the_environment(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    base = default_strategy()
    assert default_strategy() is base and base.key() == tuple(
        n for n, on in passes.PASSES.items() if on)
    monkeypatch.setenv(ENV, "none")
    none = default_strategy()
    assert none is not base and none.key() == ()
    assert default_strategy() is none
    monkeypatch.setenv(ENV, "fuse_linear")
    assert default_strategy().key() == ("fuse_linear",)
    monkeypatch.setenv(ENV, " None ")
    assert default_strategy().key() == ()
    monkeypatch.setenv(ENV, "none")
    assert default_strategy() is none
    os.environ[ENV] = "default"
    assert default_strategy() is passes._strategy_for("default")
    assert default_strategy().key() == base.key()
    del os.environ[ENV]
    assert default_strategy() is base
    monkeypatch.setenv(ENV, "fuse_linear,fuse_magic")
    with pytest.raises(ValueError, match="fuse_magic"):
        default_strategy()
    with pytest.raises(ValueError, match="fuse_magic"):  # every time, not cached
        default_strategy()


def test_default_strategy_with_os_environ_replaced(monkeypatch):
    monkeypatch.setattr(os, "environ", {ENV: "none"})  # no _data: the plain lookup
    assert default_strategy().key() == ()
    monkeypatch.setattr(os, "environ", {})
    assert default_strategy().key() == passes._strategy_for("").key()


def test_runs_and_prepared_runs_see_an_environment_change(exe, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 3], "float32")
        y = paddle.nn.functional.relu(paddle.matmul(x, paddle.ones([3, 2])) + 1.0)
    xv = np.ones((2, 3), np.float32)
    exe.run(main, feed={"x": xv}, fetch_list=[y])
    prepared = exe.prepare(main, ["x"], [y])
    assert prepared.current()
    compiles = static.plan_cache_info().compiles
    monkeypatch.setenv(ENV, "none")
    assert not prepared.current()
    (out,) = exe.run(main, feed={"x": xv}, fetch_list=[y])
    assert static.plan_cache_info().compiles == compiles + 1
    np.testing.assert_array_equal(out, np.full((2, 2), 4.0, np.float32))
    monkeypatch.delenv(ENV)
    assert prepared.current()
    np.testing.assert_array_equal(prepared.run({"x": xv}, static.global_scope())[0], out)


# ---------------------------------------------------------------- feed checks

def _program(shape, dtype="float32"):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", shape, dtype)
        y = x * 2.0
    return main, y


@pytest.mark.parametrize("shape, good, bad", [
    ([None, 3], [(1, 3), (5, 3)], [(5, 4), (3,), (1, 3, 1)]),
    ([2, 3], [(2, 3)], [(3, 3), (2, 4), (6,)]),
    ([None, None], [(1, 1), (4, 7)], [(4,), (1, 1, 1)]),
    ([None, 2, None, 3], [(1, 2, 5, 3)], [(1, 3, 5, 3), (1, 2, 5, 2), (1, 2, 3)]),
    ([4], [(4,)], [(3,), (4, 1)]),
    ([], [()], [(1,)]),
])
def test_feed_shapes_are_checked_as_declared(exe, shape, good, bad):
    main, y = _program(shape)
    for s in good:
        xv = np.ones(s, np.float32)
        (out,) = exe.run(main, feed={"x": xv}, fetch_list=[y])
        assert out.shape == s and (out == 2.0).all()
    declared = [-1 if d is None else d for d in shape]
    for s in bad:
        with pytest.raises(ValueError) as info:
            exe.run(main, feed={"x": np.ones(s, np.float32)}, fetch_list=[y])
        assert str(info.value) == (
            f"The fed Variable 'x' should have dimensions = {len(shape)}, shape = "
            f"{declared}, but received fed shape {list(s)}")


def test_feed_dtypes_and_conversions(exe):
    main, y = _program([None, 2])
    with pytest.raises(ValueError, match=r"^The data type of fed Variable 'x' must be "
                                         r"'float32', but received 'float64'$"):
        exe.run(main, feed={"x": np.ones((1, 2))}, fetch_list=[y])
    (out,) = exe.run(main, feed={"x": [[1.0, 2.0]]}, fetch_list=[y])  # a list: converted
    np.testing.assert_array_equal(out, [[2.0, 4.0]])
    be = np.ones((1, 2), ">f4")  # equal to float32? no: byte order differs
    (out,) = exe.run(main, feed={"x": np.ones((1, 2), np.dtype("<f4"))}, fetch_list=[y])
    np.testing.assert_array_equal(out, [[2.0, 2.0]])
    with pytest.raises(ValueError, match="data type"):
        exe.run(main, feed={"x": be}, fetch_list=[y])
    view = np.ones((4, 4), np.float32)[::2, :2]  # a strided view: fine
    (out,) = exe.run(main, feed={"x": view}, fetch_list=[y])
    np.testing.assert_array_equal(out, np.full((2, 2), 2.0))
    lod = static.global_scope().var("tmp_feed").get_tensor()
    lod.set(np.ones((3, 2), np.float32), paddle.CPUPlace())
    (out,) = exe.run(main, feed={"x": lod}, fetch_list=[y])
    assert out.shape == (3, 2)


def test_fed_array_is_used_as_is_and_fetches_are_numpy(exe):
    main = static.Program()
    with static.program_guard(main):
        x = static.data("x", [None, 2], "float32")
        y = paddle.exp(x)
    xv = np.zeros((3, 2), np.float32)
    a, b = exe.run(main, feed={"x": xv}, fetch_list=[y, x])
    assert type(a) is np.ndarray and type(b) is np.ndarray
    assert b is not xv and np.array_equal(b, xv)  # the fetch is a snapshot
    (t,) = exe.run(main, feed={"x": xv}, fetch_list=[y], return_numpy=False)
    assert np.asarray(t).shape == (3, 2)


# ---------------------------------------------------------------- scope reads

def test_scope_reads_from_a_parent_scope_and_clear_errors(exe):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 3], "float32")
        w = static.create_parameter([3, 2], "float32", name="ovh.w_0")
        y = paddle.matmul(x, w)
    parent = static.Scope()
    parent.var("ovh.w_0").set(np.ones((3, 2), np.float32), paddle.CPUPlace())
    child = parent.new_scope() if hasattr(parent, "new_scope") else static.Scope(parent)
    (out,) = exe.run(main, feed={"x": np.ones((1, 3), np.float32)}, fetch_list=[y],
                     scope=child)
    np.testing.assert_array_equal(out, [[3.0, 3.0]])
    empty = static.Scope()
    empty.var("ovh.w_0")  # a holder without a value
    with pytest.raises(RuntimeError, match="'ovh.w_0' is not initialized"):
        exe.run(main, feed={"x": np.ones((1, 3), np.float32)}, fetch_list=[y], scope=empty)


# ---------------------------------------------------------------- StaticModel calls

def test_static_model_repeated_calls_follow_mode_shape_and_type():
    import dualnet_eager as torch
    import interop

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5),
                              torch.nn.Linear(8, 3))
    sm = interop.to_static(net, input_spec=[interop.InputSpec([None, 4], "float32", "x")])
    net.eval()
    rng = np.random.default_rng(0)
    x5, x7 = (rng.standard_normal((n, 4)).astype(np.float32) for n in (5, 7))

    def eager(x):
        with torch.no_grad():
            return net(torch.from_numpy(x)).numpy()

    for _ in range(3):  # the first call prepares; the others take the last call's plan
        np.testing.assert_allclose(sm(x5), eager(x5), rtol=1e-6)
    np.testing.assert_allclose(sm(x7), eager(x7), rtol=1e-6)  # another shape
    np.testing.assert_allclose(sm(x5), eager(x5), rtol=1e-6)
    out = sm(torch.from_numpy(x5))  # Tensors in, Tensors out
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), eager(x5), rtol=1e-6)
    assert type(sm(x5)) is np.ndarray
    with torch.no_grad():
        net[0].weight.mul_(2.0)  # the parameters are read at each call
    np.testing.assert_allclose(sm(x5), eager(x5), rtol=1e-6)
    net.train()  # dropout on: another trace
    a, b = sm(x5), sm(x5)
    assert not np.array_equal(a, b)
    net.eval()
    np.testing.assert_allclose(sm(x5), eager(x5), rtol=1e-6)
    with pytest.raises(Exception, match="channels|features|shape|match"):
        sm(np.ones((2, 5), np.float32))  # a bad call still gets the general path's error
    np.testing.assert_allclose(sm(x5), eager(x5), rtol=1e-6)


def test_static_model_multiple_outputs_through_the_fast_path():
    import dualnet_eager as torch
    import interop

    def f(x, y):
        return {"s": x + y, "p": (x * y, x - y)}

    sm = interop.to_static(f)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.ones((2, 3), np.float32)
    for _ in range(3):
        out = sm(x, y)
        np.testing.assert_array_equal(out["s"], x + y)
        np.testing.assert_array_equal(out["p"][0], x * y)
        np.testing.assert_array_equal(out["p"][1], x - y)
    out = sm(torch.from_numpy(x), y)  # a Tensor and an array: Tensors out
    assert isinstance(out["s"], torch.Tensor)
    np.testing.assert_array_equal(out["s"].numpy(), x + y)
