"""Saving and loading static models: inference models (pruned JSON program + safetensors),
whole-program persistables (static.save/load), paddle.save/load state dicts; damaged, foreign
and missing files give errors naming the file and never half-load."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet.io import FileFormatError
from dualnet_static import framework_io, static, unique_name
from dualnet_static.optimizer import Adam

RNG = np.random.default_rng(3)
XV = RNG.standard_normal((6, 4)).astype("float32")
YV = RNG.standard_normal((6, 2)).astype("float32")


def _model():
    """A small trained MLP: returns main, startup, x, y (label), pred, loss."""
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("x", [None, 4], "float32")
        y = static.data("y", [None, 2], "float32")
        w1 = static.create_parameter([4, 8], "float32", name="fc_0.w_0")
        b1 = static.create_parameter([8], "float32", name="fc_0.b_0", is_bias=True)
        w2 = static.create_parameter([8, 2], "float32", name="fc_1.w_0")
        pred = paddle.matmul(paddle.tanh(paddle.matmul(x, w1) + b1), w2) * 2.0
        r = pred - y
        loss = paddle.mean(r * r)
        Adam(0.05).minimize(loss)
    return main, startup, x, y, pred, loss


@pytest.fixture
def trained():
    main, startup, x, y, pred, loss = _model()
    scope = static.Scope()
    with static.scope_guard(scope):
        exe = static.Executor(paddle.CPUPlace())
        exe.run(startup)
        for _ in range(3):
            exe.run(main, feed={"x": XV, "y": YV}, fetch_list=[loss])
        yield main, exe, x, pred, loss, scope


def _predict(program, exe, feed_name, fetch, scope=None):
    return exe.run(program, feed={feed_name: XV}, fetch_list=[fetch], scope=scope)[0]


# ---------------------------------------------------------------- inference models

def test_inference_model_round_trip(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    want = _predict(main.clone(for_test=True), exe, "x", pred.name)
    prefix = str(tmp_path / "sub" / "model")
    static.save_inference_model(prefix, [x], [pred], exe, program=main)
    assert sorted(os.listdir(tmp_path / "sub")) == ["model.json", "model.safetensors"]

    with static.scope_guard(static.Scope()):
        program, feed_names, fetch_targets = static.load_inference_model(prefix, exe)
        assert feed_names == ["x"] and [v.name for v in fetch_targets] == [pred.name]
        got = exe.run(program, feed={"x": XV}, fetch_list=fetch_targets)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_inference_program_is_pruned_readable_json(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    prefix = str(tmp_path / "model")
    static.save_inference_model(prefix, x, pred, exe, program=main)
    with open(prefix + ".json") as f:
        d = json.load(f)
    assert d["format"] == "dualnet.program"
    assert d["feed_target_names"] == ["x"] and d["fetch_target_names"] == [pred.name]
    ops = [op["type"] for op in d["blocks"][0]["ops"]]
    assert ops == ["matmul", "add", "tanh", "matmul", "mul"]  # no loss, backward or updates
    names = {v["name"] for v in d["blocks"][0]["vars"]}
    assert "y" not in names and not any("@GRAD" in n or "moment" in n for n in names)
    from safetensors.numpy import load_file

    assert sorted(load_file(prefix + ".safetensors")) == ["fc_0.b_0", "fc_0.w_0", "fc_1.w_0"]


@pytest.mark.parametrize("inside_guard", [True, False])
def test_inference_model_without_a_program_argument(tmp_path, inside_guard):
    """Saved inside the program_guard (the default main program) or after it closed (another
    program is the default then: the fetched variables say which program to save)."""
    main, startup = static.Program(), static.Program()
    scope = static.Scope()
    exe = static.Executor()

    def save():
        with static.scope_guard(scope):
            exe.run(startup)
            static.save_inference_model(str(tmp_path / "m"), [x], [out], exe)
            return scope.find_var("w").get_tensor().numpy()

    with static.program_guard(main, startup), unique_name.guard():
        x = static.data("img", [None, 3], "float32")
        w = static.create_parameter([3, 2], "float32", name="w")
        out = paddle.matmul(x, w)
        if inside_guard:
            wv = save()
    if not inside_guard:
        wv = save()
    with static.scope_guard(static.Scope()):
        program, feeds, fetches = static.load_inference_model(str(tmp_path / "m"), exe)
        got = exe.run(program, feed={"img": np.ones((2, 3), "float32")}, fetch_list=fetches)[0]
    np.testing.assert_allclose(got, np.ones((2, 3)) @ wv, rtol=1e-6)


def test_save_inference_model_argument_errors(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    with pytest.raises(ValueError, match="feed_vars"):
        static.save_inference_model(str(tmp_path / "m"), "x", [pred], exe, program=main)
    with pytest.raises(ValueError, match="directory"):
        static.save_inference_model(str(tmp_path), [x], [pred], exe, program=main)
    y = main.global_block().var("y")
    with pytest.raises(ValueError, match="'y'.*not in feed_vars"):
        static.save_inference_model(str(tmp_path / "m"), [x], [loss], exe, program=main)
    static.save_inference_model(str(tmp_path / "m"), [x, y], [loss], exe, program=main)
    with pytest.raises(RuntimeError, match="not initialized"):
        with static.scope_guard(static.Scope()):
            static.save_inference_model(str(tmp_path / "m2"), [x], [pred], exe, program=main)
    assert not os.path.exists(tmp_path / "m2.json")


def _fill(scope, value):
    for name in ("fc_0.w_0", "fc_0.b_0", "fc_1.w_0"):
        shape = {"fc_0.w_0": (4, 8), "fc_0.b_0": (8,), "fc_1.w_0": (8, 2)}[name]
        scope.var(name).set(np.full(shape, value, "float32"))


def _unchanged(scope, value):
    return all((scope.find_var(n).get_tensor().numpy() == value).all()
               for n in ("fc_0.w_0", "fc_0.b_0", "fc_1.w_0"))


@pytest.fixture
def saved(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    prefix = str(tmp_path / "model")
    static.save_inference_model(prefix, [x], [pred], exe, program=main)
    return prefix, exe


def test_truncated_params_file_names_the_file_and_loads_nothing(saved):
    prefix, exe = saved
    with open(prefix + ".safetensors", "rb") as f:
        raw = f.read()
    with open(prefix + ".safetensors", "wb") as f:
        f.write(raw[: len(raw) // 2])
    scope = static.Scope()
    _fill(scope, 7.0)
    with static.scope_guard(scope):
        with pytest.raises(FileFormatError, match=r"model\.safetensors"):
            static.load_inference_model(prefix, exe)
    assert _unchanged(scope, 7.0)


def test_damaged_program_file_names_the_file(saved):
    prefix, exe = saved
    with open(prefix + ".json", "r+b") as f:
        f.seek(40)
        f.write(b"\x00garbage")
    with pytest.raises(FileFormatError, match=r"model\.json"):
        static.load_inference_model(prefix, exe)
    with open(prefix + ".json", "w") as f:
        json.dump({"format": "something.else"}, f)
    with pytest.raises(FileFormatError, match=r"model\.json.*not a dualnet program"):
        static.load_inference_model(prefix, exe)


def test_foreign_params_file_names_the_file_and_variable(saved, tmp_path):
    prefix, exe = saved
    from dualnet.io import save_arrays

    save_arrays(prefix + ".safetensors", {"fc_0.w_0": np.zeros((4, 8), "float32"),
                                          "fc_0.b_0": np.zeros(8, "float32")})
    scope = static.Scope()
    _fill(scope, 3.0)
    with static.scope_guard(scope):
        with pytest.raises(FileFormatError, match=r"model\.safetensors.*'fc_1\.w_0'"):
            static.load_inference_model(prefix, exe)
        save_arrays(prefix + ".safetensors", {"fc_0.w_0": np.zeros((4, 8), "float32"),
                                              "fc_0.b_0": np.zeros(8, "float32"),
                                              "fc_1.w_0": np.zeros((8, 3), "float32")})
        with pytest.raises(FileFormatError, match=r"'fc_1\.w_0' has shape \[8, 3\]"):
            static.load_inference_model(prefix, exe)
    assert _unchanged(scope, 3.0)


def test_missing_files_name_the_file(saved):
    prefix, exe = saved
    os.remove(prefix + ".safetensors")
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        static.load_inference_model(prefix, exe)
    with pytest.raises(FileNotFoundError, match=r"nothere\.json"):
        static.load_inference_model(prefix + "nothere", exe)


def test_load_inference_model_from_bytes(saved):
    prefix, exe = saved
    with open(prefix + ".json", "rb") as f:
        model = f.read()
    with open(prefix + ".safetensors", "rb") as f:
        params = f.read()
    with static.scope_guard(static.Scope()):
        program, feeds, fetches = static.load_inference_model(
            None, exe, model_filename=model, params_filename=params)
        out = exe.run(program, feed={"x": XV}, fetch_list=fetches)[0]
    assert out.shape == (6, 2) and feeds == ["x"]


def test_no_temporary_files_are_left(saved, tmp_path):
    prefix, exe = saved
    assert sorted(os.listdir(tmp_path)) == ["model.json", "model.safetensors"]


# ---------------------------------------------------------------- static.save / static.load

def test_static_save_load_restores_parameters_and_optimizer_state(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    path = str(tmp_path / "ckpt" / "model")
    static.save(main, path)
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["model.pdmodel", "model.pdopt",
                                                      "model.pdparams"]
    state = {n: t.numpy() for n, t in main.state_dict().items()}
    assert "fc_0.w_0_moment1_0" in state and "learning_rate_0" in state

    other = static.Scope()
    with static.scope_guard(other):
        static.load(main, path, exe)
    for name, value in state.items():
        np.testing.assert_array_equal(other.find_var(name).get_tensor().numpy(), value)
    # training continues identically from the restored state
    a = exe.run(main, feed={"x": XV, "y": YV}, fetch_list=[loss], scope=scope)[0]
    b = exe.run(main, feed={"x": XV, "y": YV}, fetch_list=[loss], scope=other)[0]
    np.testing.assert_array_equal(a, b)

    loaded = static.load_program_state(path)
    assert set(loaded) == set(state)
    fresh = static.Scope()
    with static.scope_guard(fresh):
        static.set_program_state(main, loaded)
    np.testing.assert_array_equal(fresh.find_var("fc_1.w_0").get_tensor().numpy(),
                                  state["fc_1.w_0"])
    assert isinstance(framework_io.load(path + ".pdmodel"), static.Program)


def test_static_load_errors(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    path = str(tmp_path / "model")
    static.save(main, path)
    os.remove(path + ".pdopt")
    other = static.Scope()
    with static.scope_guard(other):
        with pytest.raises(FileNotFoundError, match=r"model\.pdopt"):
            static.load(main, path, exe)
        assert other.find_var("fc_0.w_0") is None  # the parameters were not loaded either
        static.load(main, path + ".pdparams", exe, var_list=["fc_0.w_0"])
        assert other.find_var("fc_0.w_0") is not None
    with pytest.raises(ValueError, match="empty"):
        static.save(main, str(tmp_path) + os.sep)


# ---------------------------------------------------------------- paddle.save / paddle.load

def test_paddle_save_load_state_dicts(trained, tmp_path):
    main, exe, x, pred, loss, scope = trained
    path = str(tmp_path / "model.pdparams")
    framework_io.save(main.state_dict("param"), path)
    loaded = framework_io.load(path)
    assert set(loaded) == {"fc_0.w_0", "fc_0.b_0", "fc_1.w_0"}
    assert isinstance(loaded["fc_0.w_0"], np.ndarray)
    np.testing.assert_array_equal(loaded["fc_1.w_0"],
                                  scope.find_var("fc_1.w_0").get_tensor().numpy())
    main.set_state_dict(loaded, scope=static.Scope())

    nested = {"model": {"w": np.arange(3.0)}, "epoch": 4, "hist": [0.5, np.ones(2, "int64")],
              "tup": (1, "a"), "param": main.global_block().var("fc_0.b_0")}
    framework_io.save(nested, str(tmp_path / "nested.pd"))
    back = framework_io.load(str(tmp_path / "nested.pd"))
    assert back["epoch"] == 4 and back["tup"] == (1, "a") and back["hist"][0] == 0.5
    np.testing.assert_array_equal(back["model"]["w"], np.arange(3.0))
    np.testing.assert_array_equal(back["param"], scope.find_var("fc_0.b_0").get_tensor().numpy())

    framework_io.save(main, str(tmp_path / "prog.pdmodel"))
    prog = framework_io.load(str(tmp_path / "prog.pdmodel"))
    assert isinstance(prog, static.Program)
    assert [op.type for op in prog.global_block().ops] == \
        [op.type for op in main.global_block().ops]


def test_paddle_save_load_errors(tmp_path):
    with pytest.raises(TypeError, match="object"):
        framework_io.save({"f": object()}, str(tmp_path / "x"))
    assert not os.path.exists(tmp_path / "x")
    (tmp_path / "junk").write_bytes(b"\x01\x02\x03")
    with pytest.raises(FileFormatError, match="junk"):
        framework_io.load(str(tmp_path / "junk"))
    with pytest.raises(FileNotFoundError, match="nope"):
        framework_io.load(str(tmp_path / "nope"))
