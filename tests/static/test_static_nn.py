"""paddle.static.nn layer functions and control flow, and paddle.static's accuracy, auc, Print,
py_func, device_guard, ParallelExecutor (explicit static mode)."""
import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import static
from dualnet_static.static import nn as snn


@pytest.fixture
def progs():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        yield main, startup


def _run(main, startup, feed, fetch, scope=None):
    exe = static.Executor(paddle.CPUPlace())
    scope = scope or static.Scope()
    exe.run(startup, scope=scope)
    return exe.run(main, feed=feed, fetch_list=fetch, scope=scope), scope


def _const_attr(value):
    return paddle.ParamAttr(initializer=paddle.nn.initializer.Constant(value))


# ---------------------------------------------------------------- layers

def test_lenet_trains_and_losses_fall(progs):
    main, startup = progs
    paddle.seed(0)
    img = static.data("img", [None, 1, 8, 8], "float32")
    label = static.data("label", [None, 1], "int64")
    h = snn.conv2d(img, num_filters=4, filter_size=3, padding="SAME", act="relu")
    h = snn.batch_norm(h)
    h = paddle.nn.functional.max_pool2d(h, 2)
    h = snn.fc(h, size=16, activation="relu")
    logits = snn.fc(h, size=3)
    loss = paddle.nn.functional.cross_entropy(logits, label)
    test_prog = main.clone(for_test=True)
    paddle.optimizer.Adam(learning_rate=0.02).minimize(loss)
    names = sorted(p.name for p in main.all_parameters())
    assert any(n.startswith("conv2d_") and n.endswith(".w_0") for n in names)
    assert any(n.endswith(".w_1") and n.startswith("batch_norm") for n in names)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 1, 8, 8)).astype("float32")
    y = (x[:, 0, :4].mean(axis=(1, 2)) > 0).astype("int64")[:, None] + \
        (x[:, 0, 4:].mean(axis=(1, 2)) > 0).astype("int64")[:, None]
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    losses = [float(exe.run(main, feed={"img": x, "label": y}, fetch_list=[loss],
                            scope=scope)[0]) for _ in range(15)]
    assert losses[-1] < losses[0] * 0.7, losses
    # the test program uses the running statistics the training runs updated
    mean_name = next(n for n in names if n.startswith("batch_norm") and n.endswith(".w_1"))
    running = np.array(scope.find_var(mean_name).get_tensor())
    assert np.abs(running).sum() > 0
    out1 = exe.run(test_prog, feed={"img": x[:2], "label": y[:2]}, fetch_list=[logits.name],
                   scope=scope)[0]
    out2 = exe.run(test_prog, feed={"img": x[:2], "label": y[:2]}, fetch_list=[logits.name],
                   scope=scope)[0]
    np.testing.assert_allclose(out1, out2)
    np.testing.assert_array_equal(np.array(scope.find_var(mean_name).get_tensor()), running)


def test_fc_num_flatten_dims_and_list_inputs(progs):
    main, startup = progs
    x0 = static.data("x0", [None, 2, 3], "float32")
    x1 = static.data("x1", [None, 4], "float32")
    out_a = snn.fc(x0, size=5, num_flatten_dims=2, weight_attr=_const_attr(0.5),
                   bias_attr=_const_attr(1.0))
    out_b = snn.fc([x0, x1], size=2, activation="tanh")
    assert out_a.shape == [-1, 2, 5] and out_b.shape == [-1, 2]
    w0, w1 = [p for p in main.all_parameters() if p.shape in ([6, 2], [4, 2])]
    assert w0.shape == [6, 2] and w0.name.startswith("fc_") and w0.name.endswith(".w_0")
    assert w1.shape == [4, 2] and w1.name.endswith(".w_1")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 2, 3)).astype("float32"), rng.standard_normal(
        (3, 4)).astype("float32")
    (ra, rb), scope = _run(main, startup, {"x0": a, "x1": b}, [out_a, out_b])
    np.testing.assert_allclose(ra, a.sum(-1, keepdims=True) * 0.5 + 1.0 + np.zeros(5),
                               rtol=1e-5)
    wv0 = np.array(scope.find_var(w0.name).get_tensor())
    wv1 = np.array(scope.find_var(w1.name).get_tensor())
    np.testing.assert_allclose(rb, np.tanh(a.reshape(3, 6) @ wv0 + b @ wv1), rtol=1e-5,
                               atol=1e-6)


def test_embedding_layer_norm_group_norm_prelu_values(progs):
    main, startup = progs
    ids = static.data("ids", [None, 3], "int64")
    x = static.data("x", [None, 4, 2, 2], "float32")
    emb = snn.embedding(ids, size=[10, 4], padding_idx=0)
    ln = snn.layer_norm(x, begin_norm_axis=1)
    gn = snn.group_norm(x, groups=2)
    pa = snn.prelu(x, "all")
    pc = snn.prelu(x, "channel", param_attr=_const_attr(0.1))
    pe = snn.prelu(x, "element")
    assert [p.shape for p in main.all_parameters() if p.name.startswith("prelu")] == \
        [[1], [1, 4, 1, 1], [1, 4, 2, 2]]
    rng = np.random.default_rng(2)
    iv = np.array([[0, 3, 9], [1, 0, 2]], "int64")
    xv = rng.standard_normal((2, 4, 2, 2)).astype("float32")
    (e, l, g, a, c, el), scope = _run(main, startup, {"ids": iv, "x": xv},
                                       [emb, ln, gn, pa, pc, pe])
    table = np.array(scope.find_var(next(p.name for p in main.all_parameters()
                                         if p.name.startswith("embedding"))).get_tensor())
    assert np.all(table[0] == 0)
    np.testing.assert_allclose(e, table[iv])
    flat = xv.reshape(2, -1)
    ref_ln = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(l, ref_ln.reshape(xv.shape), rtol=1e-4, atol=1e-5)
    grp = xv.reshape(2, 2, -1)
    ref_gn = (grp - grp.mean(-1, keepdims=True)) / np.sqrt(grp.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(g, ref_gn.reshape(xv.shape), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a, np.where(xv > 0, xv, 0.25 * xv), rtol=1e-6)
    np.testing.assert_allclose(c, np.where(xv > 0, xv, 0.1 * xv), rtol=1e-6)
    np.testing.assert_allclose(el, np.where(xv > 0, xv, 0.25 * xv), rtol=1e-6)


def test_conv_transpose_instance_norm_bilinear_shapes(progs):
    main, startup = progs
    x = static.data("x", [None, 3, 4, 4], "float32")
    up = snn.conv2d_transpose(x, num_filters=2, output_size=8, stride=2)
    up2 = snn.conv2d_transpose(x, num_filters=2, filter_size=3, padding=1)
    v = static.data("v", [None, 2, 3, 3, 3], "float32")
    c3 = snn.conv3d(v, num_filters=4, filter_size=3, padding="VALID")
    inorm = snn.instance_norm(x)
    a, b = static.data("a", [None, 3], "float32"), static.data("b", [None, 5], "float32")
    bil = snn.bilinear_tensor_product(a, b, size=4)
    sn = snn.spectral_norm(main.global_block().var(
        next(p.name for p in main.all_parameters() if p.name.startswith("conv2d_transpose"))), power_iters=30)
    assert up.shape == [-1, 2, 8, 8] and up2.shape == [-1, 2, 4, 4]
    assert c3.shape == [-1, 4, 1, 1, 1] and bil.shape == [-1, 4]
    rng = np.random.default_rng(3)
    feed = {"x": rng.standard_normal((2, 3, 4, 4)).astype("float32"),
            "v": rng.standard_normal((2, 2, 3, 3, 3)).astype("float32"),
            "a": rng.standard_normal((2, 3)).astype("float32"),
            "b": rng.standard_normal((2, 5)).astype("float32")}
    (u, i, s), scope = _run(main, startup, feed, [up, inorm, sn])
    assert u.shape == (2, 2, 8, 8)
    np.testing.assert_allclose(i.mean(axis=(2, 3)), 0, atol=1e-5)
    assert np.linalg.svd(s.reshape(s.shape[0], -1), compute_uv=False)[0] == \
        pytest.approx(1.0, rel=1e-3)


def test_parameters_in_startup_and_save_load_round_trip(progs, tmp_path):
    main, startup = progs
    x = static.data("x", [None, 3], "float32")
    out = snn.fc(x, size=2)
    names = {p.name for p in main.all_parameters()}
    assert len(names) == 2 and {n.split(".")[1] for n in names} == {"w_0", "b_0"}
    assert names <= {v.name for v in startup.list_vars()}
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    xv = np.ones((1, 3), "float32")
    with static.scope_guard(scope):
        before = exe.run(main, feed={"x": xv}, fetch_list=[out])[0]
        static.save(main, str(tmp_path / "model"))
        for n in names:
            scope.var(n).set(np.zeros(main.global_block().var(n).shape, "float32"))
        assert np.all(exe.run(main, feed={"x": xv}, fetch_list=[out])[0] == 0)
        static.load(main, str(tmp_path / "model"), exe)
        np.testing.assert_allclose(exe.run(main, feed={"x": xv}, fetch_list=[out])[0], before)


def test_layer_errors(progs):
    x = static.data("x", [None, 3], "float32")
    with pytest.raises(ValueError, match="num_flatten_dims"):
        snn.fc(x, size=2, num_flatten_dims=2)
    with pytest.raises(ValueError, match="mode"):
        snn.prelu(x, "pixel")
    with pytest.raises(ValueError, match="activation"):
        snn.fc(x, size=2, activation="nope")


# ---------------------------------------------------------------- control flow

def _grads(main, startup, feed, fetch):
    return _run(main, startup, feed, fetch)[0]


@pytest.mark.parametrize("flag", [True, False])
def test_cond_values_and_gradients(progs, flag):
    main, startup = progs
    x = static.data("x", [3], "float32")
    x.stop_gradient = False
    p = static.data("p", [1], "bool")
    out = snn.cond(p, lambda: x * x, lambda: paddle.exp(x))
    loss = paddle.sum(out)
    (gx,) = static.gradients([loss], [x])
    xv = np.array([0.5, -1.0, 2.0], "float32")
    o, g = _grads(main, startup, {"x": xv, "p": np.array([flag])}, [out, gx])
    np.testing.assert_allclose(o, xv * xv if flag else np.exp(xv), rtol=1e-6)
    np.testing.assert_allclose(g, 2 * xv if flag else np.exp(xv), rtol=1e-6)


def test_cond_nested_outputs_and_structure_errors(progs):
    main, startup = progs
    x = static.data("x", [2], "float32")
    p = paddle.less_than(paddle.sum(x), paddle.full([1], 0.0, "float32")[0])
    a, (b, c) = snn.cond(p, lambda: (x + 1, (x * 2, 7)), lambda: (x - 1, (x * 3, 7)))
    assert c == 7
    xv = np.array([1.0, 2.0], "float32")
    ra, rb = _run(main, startup, {"x": xv}, [a, b])[0]
    np.testing.assert_allclose(ra, xv - 1)
    np.testing.assert_allclose(rb, xv * 3)
    with pytest.raises(ValueError, match="same structure"):
        snn.cond(p, lambda: x, lambda: (x, x))
    with pytest.raises(ValueError, match="must match"):
        snn.cond(p, lambda: x, lambda: paddle.concat([x, x]))


def test_case_and_switch_case(progs):
    main, startup = progs
    x = static.data("x", [1], "float32")
    i = static.data("i", [1], "int64")
    x.stop_gradient = False
    outs = snn.case([(x < 0.0, lambda: x * -1.0), (x < 1.0, lambda: x * 10.0)],
                    default=lambda: x * x)
    outs_nodefault = snn.case([(x < 0.0, lambda: x * -1.0), (x < 1.0, lambda: x * 10.0)])
    sw = snn.switch_case(i, {1: lambda: x + 1.0, 3: lambda: x + 3.0}, default=lambda: x * 0.0)
    sw_max = snn.switch_case(i, [(0, lambda: x + 100.0), (4, lambda: x + 400.0)])
    (g,) = static.gradients([outs], [x])
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    for xv, want, want_nd, want_g in ((-2.0, 2.0, 2.0, -1.0), (0.5, 5.0, 5.0, 10.0),
                                      (3.0, 9.0, 30.0, 6.0)):
        for iv, want_sw, want_max in ((1, xv + 1, xv + 400), (3, xv + 3, xv + 400),
                                      (0, 0.0, xv + 100), (7, 0.0, xv + 400)):
            r = exe.run(main, feed={"x": np.array([xv], "float32"),
                                    "i": np.array([iv], "int64")},
                        fetch_list=[outs, outs_nodefault, sw, sw_max, g], scope=scope)
            np.testing.assert_allclose([a.item() for a in r],
                                       [want, want_nd, want_sw, want_max, want_g], rtol=1e-6)


def test_cond_with_decidable_pred_builds_one_branch(progs):
    main, _ = progs
    p = paddle.full([1], True, "bool")
    out = snn.cond(p, lambda: paddle.full([2], 1.0), lambda: paddle.full([2], 2.0))
    assert not any(op.type == "where" for op in main.global_block().ops)
    assert snn.switch_case(paddle.full([1], 2, "int64"), [lambda: 0, lambda: 1, lambda: 2]) == 2
    assert out.shape == [2]


def test_while_loop_unrolled_for_constant_bound(progs):
    main, startup = progs
    x = static.data("x", [2], "float32")
    x.stop_gradient = False
    i = paddle.full([1], 0, "int64")
    ten = paddle.full([1], 4, "int64")
    i_out, y = snn.while_loop(lambda i, y: i < ten, lambda i, y: [i + 1, y * 2.0], [i, x])
    (g,) = static.gradients([paddle.sum(y)], [x])
    xv = np.array([1.0, -3.0], "float32")
    ri, ry, rg = _run(main, startup, {"x": xv}, [i_out, y, g])[0]
    assert ri.item() == 4
    np.testing.assert_allclose(ry, xv * 16)
    np.testing.assert_allclose(rg, np.full(2, 16.0))
    assert not any(op.type == "less" for op in main.global_block().ops)


def test_while_loop_with_runtime_condition_raises(progs):
    x = static.data("x", [1], "float32")
    with pytest.raises(NotImplementedError, match="while_loop"):
        snn.while_loop(lambda v: v < 10.0, lambda v: [v * 2.0], [x])


def test_control_flow_in_implicit_mode_runs_one_branch():
    x = paddle.to_tensor([1.0, 2.0])
    out = snn.cond(paddle.sum(x) > 2.0, lambda: x * 2.0, lambda: x)
    np.testing.assert_allclose(out.numpy(), [2.0, 4.0])
    i, = snn.while_loop(lambda i: i < 5, lambda i: [i + 2], [paddle.to_tensor(0)])
    assert int(i) == 6


# ---------------------------------------------------------------- paddle.static extras

def test_accuracy_and_auc_against_numpy(progs):
    main, startup = progs
    scores = static.data("s", [None, 2], "float32")
    label = static.data("l", [None, 1], "int64")
    acc = static.accuracy(scores, label, k=1)
    auc_out, batch_auc, states = static.auc(scores, label, num_thresholds=200)
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    exe.run(startup, scope=scope)
    rng = np.random.default_rng(5)
    seen_s, seen_l = [], []
    for _ in range(3):
        p1 = rng.uniform(0, 1, 16).astype("float32")
        s = np.stack([1 - p1, p1], 1)
        lab = (rng.uniform(0, 1, 16) < p1).astype("int64")[:, None]
        seen_s.append(p1)
        seen_l.append(lab[:, 0])
        a, g, b = exe.run(main, feed={"s": s, "l": lab}, fetch_list=[acc, auc_out, batch_auc],
                          scope=scope)
        assert float(a) == pytest.approx(np.mean(s.argmax(1) == lab[:, 0]))
        assert float(b) == pytest.approx(_np_auc(p1, lab[:, 0], 200), abs=1e-9)
        assert float(g) == pytest.approx(_np_auc(np.concatenate(seen_s),
                                                 np.concatenate(seen_l), 200), abs=1e-9)
    assert len(states) == 4


def _np_auc(score, label, t):
    """P(score bin of a positive > that of a negative) + half the ties."""
    bins = np.floor((score * np.float32(t)).astype(np.float32)).astype(int)
    pos, neg = bins[label == 1], bins[label == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_print_output_captured(progs, capsys):
    main, startup = progs
    x = static.data("x", [2, 3], "float32")
    x.stop_gradient = False
    y = static.Print(x, message="The content:", summarize=4, first_n=2)
    (g,) = static.gradients([paddle.sum(y * 2.0)], [x])
    exe, scope = static.Executor(paddle.CPUPlace()), static.Scope()
    xv = np.arange(6, dtype="float32").reshape(2, 3)
    for _ in range(3):
        out = exe.run(main, feed={"x": xv}, fetch_list=[y, g], scope=scope)
    np.testing.assert_allclose(out[0], xv)
    np.testing.assert_allclose(out[1], np.full((2, 3), 2.0))
    text = capsys.readouterr().out
    assert text.count("Variable: x\n") == 2 and text.count("Variable: x@GRAD\n") == 2
    assert "  - message: The content:\n  - lod: {}\n  - place: Place(cpu)\n  - shape: [2, 3]" \
        "\n  - layout: NCHW\n  - dtype: float32\n  - data: [0 1 2 3]\n" in text


def test_py_func_forward_backward(progs):
    main, startup = progs
    x = static.data("x", [2, 3], "float32")
    x.stop_gradient = False
    out = main.current_block().create_var(name="tanh_out", shape=[2, 3], dtype="float32")
    static.py_func(lambda a: np.tanh(np.array(a)), x, out,
                   backward_func=lambda a, o, d: np.array(d) * (1 - np.array(o) ** 2))
    (g,) = static.gradients([paddle.sum(out)], [x])
    xv = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    o, gv = _run(main, startup, {"x": xv}, [out, g])[0]
    np.testing.assert_allclose(o, np.tanh(xv), rtol=1e-6)
    np.testing.assert_allclose(gv, 1 - np.tanh(xv) ** 2, rtol=1e-5)


def test_device_guard_execution_strategy_parallel_executor(progs):
    main, startup = progs
    with static.device_guard("cpu"), static.device_guard("gpu:0"):
        x = static.data("x", [None, 2], "float32")
        y = x * 3.0
    with pytest.raises(ValueError, match="device"):
        with static.device_guard("tpu"):
            pass
    strategy = static.ExecutionStrategy()
    strategy.num_threads = 2
    exe = static.Executor(paddle.CPUPlace())
    exe.run(startup)
    pe = static.ParallelExecutor(use_cuda=False, main_program=main, exec_strategy=strategy)
    (r,) = pe.run(fetch_list=[y.name], feed={"x": np.ones((1, 2), "float32")})
    np.testing.assert_allclose(r, 3.0)
