"""append_backward / gradients: small programs against NumPy, and THE architecture test: for
every op spec, the static gradient (registry vjps appended as ops, run by the Executor) equals
the eager tape's gradient (the same vjps run on Tensors)."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet
import dualnet_eager as torch
import dualnet_static as paddle
from dualnet.ops import apply, get
from dualnet_static import static
from tests.ops.specs import ALL_SPECS


@pytest.fixture
def progs():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        yield main, startup


def _run(main, feed, fetch, startup=None, scope=None):
    exe = static.Executor(paddle.CPUPlace())
    scope = scope or static.Scope()
    if startup is not None:
        exe.run(startup, scope=scope)
    return exe.run(main, feed=feed, fetch_list=fetch, scope=scope)


def _data(name, array, grad=True):
    v = static.data(name, list(array.shape), array.dtype)
    v.stop_gradient = not grad
    return v


# ---------------------------------------------------------------- small programs

def test_linear_regression_gradients_match_numpy(progs):
    main, _ = progs
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.standard_normal((5, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    x = _data("x", xv, grad=False)
    w, b = _data("w", wv), _data("b", bv)
    y = paddle.matmul(x, w) + b
    loss = paddle.mean(y * y)
    static.append_backward(loss)
    gw, gb = _run(main, {"x": xv, "w": wv, "b": bv}, ["w@GRAD", "b@GRAD"])
    yv = xv @ wv + bv
    np.testing.assert_allclose(gw, xv.T @ (2 * yv / yv.size), rtol=1e-12)
    np.testing.assert_allclose(gb, (2 * yv / yv.size).sum(0), rtol=1e-12)
    assert "x@GRAD" not in main.global_block().vars  # stop_gradient data gets no gradient


def test_parameters_and_startup_program():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 4], "float64")
        w = static.create_parameter([4, 2], "float64")
        b = static.create_parameter([2], "float64", is_bias=True)
        loss = paddle.sum(paddle.tanh(paddle.matmul(x, w) + b))
        pairs = static.append_backward(loss)
    assert [(p.name, g.name) for p, g in pairs] == [(w.name, w.name + "@GRAD"),
                                                    (b.name, b.name + "@GRAD")]
    scope = static.Scope()
    exe = static.Executor(paddle.CPUPlace())
    exe.run(startup, scope=scope)
    wv, bv = np.asarray(scope.find_var(w.name).get_tensor()), np.asarray(
        scope.find_var(b.name).get_tensor())
    np.testing.assert_array_equal(bv, 0.0)
    xv = np.random.default_rng(1).standard_normal((3, 4))
    gw, gb = exe.run(main, feed={"x": xv}, fetch_list=[g for _, g in pairs], scope=scope)
    d = 1 - np.tanh(xv @ wv + bv) ** 2
    np.testing.assert_allclose(gw, xv.T @ d, rtol=1e-12)
    np.testing.assert_allclose(gb, d.sum(0), rtol=1e-12)


def test_several_uses_are_summed_with_rename(progs):
    main, _ = progs
    xv = np.array([0.5, -1.5, 2.0])
    x = _data("x", xv)
    loss = paddle.sum(x * x + paddle.exp(x))
    static.append_backward(loss)
    names = set(main.global_block().vars)
    assert {"x@GRAD@RENAME@block0@0", "x@GRAD@RENAME@block0@1", "x@GRAD@RENAME@block0@2"} \
        <= names
    (gx,) = _run(main, {"x": xv}, ["x@GRAD"])
    np.testing.assert_allclose(gx, 2 * xv + np.exp(xv), rtol=1e-12)


def test_diamond_and_finite_differences(progs):
    main, _ = progs
    xv = np.array([[0.3, -0.7], [1.1, 0.4]])
    x = _data("x", xv)
    a = paddle.sin(x)
    loss = paddle.sum(a * paddle.cos(x) + a / (1.5 + x * x))
    static.append_backward(loss)
    (gx,) = _run(main, {"x": xv}, ["x@GRAD"])

    def f(v):
        return float(np.sum(np.sin(v) * np.cos(v) + np.sin(v) / (1.5 + v * v)))

    num = np.zeros_like(xv)
    for i in np.ndindex(xv.shape):
        e = np.zeros_like(xv)
        e[i] = 1e-6
        num[i] = (f(xv + e) - f(xv - e)) / 2e-6
    np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-9)


def test_no_grad_set_and_stop_gradient(progs):
    main, _ = progs
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    x, y = _data("x", xv), _data("y", yv)
    h = x * y
    h2 = paddle.exp(y)
    h2.stop_gradient = True
    loss = paddle.sum(h + h2)
    static.append_backward(loss, no_grad_set={"x"})
    vars_ = main.global_block().vars
    assert "x@GRAD" not in vars_ and "y@GRAD" in vars_
    (gy,) = _run(main, {"x": xv, "y": yv}, ["y@GRAD"])
    np.testing.assert_allclose(gy, xv)  # nothing through the stopped exp(y)


def test_unused_gradient_ops_are_removed(progs):
    main, _ = progs
    x = _data("x", np.ones(3))
    c = _data("c", np.ones(3), grad=False)
    static.append_backward(paddle.sum(x * c))
    backward = [op for op in main.global_block().ops if op.role == "backward"]
    # mul's rule computes both gradients; the one for `c` (no gradient wanted) is dropped
    assert all("c@GRAD" not in op.output_arg_names for op in backward)
    assert len(backward) == 4  # ones_like, sum's grad, mul(g, c), sum_to_like


def test_gradients_with_target_gradients_and_none(progs):
    main, _ = progs
    xv, zv = np.array([0.5, 1.5]), np.array([2.0, 3.0])
    x, z = _data("x", xv), _data("z", zv)
    cot = static.data("cot", [2], "float64")
    y = paddle.exp(x) * 3.0
    gx, gz = static.gradients([y], [x, z], target_gradients=[cot])
    assert gz is None
    cv = np.array([1.0, -2.0])
    (got,) = _run(main, {"x": xv, "cot": cv}, [gx])
    np.testing.assert_allclose(got, 3 * np.exp(xv) * cv, rtol=1e-12)


def test_gradients_of_data_without_stop_gradient_flag(progs):
    """gradients() differentiates w.r.t. the inputs asked for even if they stop gradients."""
    main, _ = progs
    x = static.data("x", [None, 2], "float64")
    (gx,) = static.gradients(paddle.sum(x * x), x)
    xv = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(_run(main, {"x": xv}, [gx])[0], 2 * xv)


def test_second_order(progs):
    main, _ = progs
    xv = np.array([0.3, 1.2])
    x = _data("x", xv)
    (g,) = static.gradients(paddle.sum(x * x * x), x)
    (gg,) = static.gradients(paddle.sum(g), x)
    assert g.name == "x@GRAD" and gg.name == "x@GRAD_1"
    a, b = _run(main, {"x": xv}, [g, gg])
    np.testing.assert_allclose(a, 3 * xv ** 2)
    np.testing.assert_allclose(b, 6 * xv)


def test_multi_output_op_without_gradient_on_one_output(progs):
    main, _ = progs
    xv = np.arange(6.0).reshape(2, 3)
    x = _data("x", xv)
    a, b = paddle.split(x, [1, 2], axis=1)
    loss = paddle.sum(b * b)  # `a` gets no gradient: its slot in the vjp is None
    static.append_backward(loss)
    (gx,) = _run(main, {"x": xv}, ["x@GRAD"])
    np.testing.assert_allclose(gx, np.concatenate([np.zeros((2, 1)), 2 * xv[:, 1:]], 1))


def test_gradient_names_and_roles(progs):
    main, _ = progs
    x = _data("x", np.ones(2))
    loss = paddle.mean(paddle.exp(x))
    static.append_backward(loss)
    text = str(main)
    assert f"{loss.name}@GRAD" in text and "x@GRAD" in text and "// backward" in text


# ---------------------------------------------------------------- the architecture test

# Skipped: only specs of ops without a gradient (creation, comparisons, argmax, optimizer
# updates, ...). Random ops (dropout) are compared too, with the generator reseeded.
def _grad_specs():
    return [pytest.param(s, id=s.id) for s in ALL_SPECS
            if get(s.op).vjp is not None and get(s.op).differentiable and s.grad != ()]


def _checked(spec, inputs):
    if spec.grad is not None:
        return tuple(spec.grad)
    return tuple(i for i, a in enumerate(inputs) if a is not None and a.dtype.kind == "f")


def _cotangents(spec, outs, rng):
    want = spec.grad_outputs
    return [rng.standard_normal(o.shape) if o is not None and np.dtype(o.dtype).kind == "f"
            and (want is None or i in want) else None for i, o in enumerate(outs)]


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _eager_grads(spec, inputs, check, cot_seed):
    ts = [None if a is None else torch.Tensor._wrap(a.copy(), requires_grad=i in check)
          for i, a in enumerate(inputs)]
    if spec.random:
        dualnet.random.manual_seed(1234)
    outs = _as_tuple(apply(spec.op, *ts, **spec.attrs))
    cots = _cotangents(spec, [None if o is None else o._data for o in outs],
                       np.random.default_rng(cot_seed))
    loss = None
    for o, c in zip(outs, cots):
        if c is not None:
            term = get("sum")(o * torch.Tensor._wrap(c))
            loss = term if loss is None else loss + term
    loss.backward()
    grads = [None if ts[i].grad is None else ts[i].grad._data for i in check]
    return grads, cots


def _static_grads(spec, inputs, check, cots, dynamic_batch):
    main, startup = static.Program(), static.Program()
    feed = {}
    with static.program_guard(main, startup):
        xs = []
        for i, a in enumerate(inputs):
            if a is None:
                xs.append(None)
                continue
            shape = list(a.shape)
            if dynamic_batch and shape:
                shape[0] = -1
            v = static.data(f"in{i}", shape, a.dtype)
            v.stop_gradient = i not in check
            xs.append(v)
            feed[v.name] = a
        try:
            outs = _as_tuple(apply(spec.op, *xs, **spec.attrs))
        except dualnet.ops.OpError as e:
            if not dynamic_batch:
                raise
            pytest.skip(f"the forward needs dim 0 of some input known: {e}")
        loss = None
        for k, (o, c) in enumerate(zip(outs, cots)):
            if c is not None:
                cv = static.data(f"cot{k}", o.shape, c.dtype)
                feed[cv.name] = c
                term = paddle.sum(o * cv)
                loss = term if loss is None else loss + term
        static.append_backward(loss)
    block = main.global_block()
    fetch = [f"in{i}@GRAD" for i in check if block.has_var(f"in{i}@GRAD")]
    if spec.random:
        dualnet.random.manual_seed(1234)
    values = dict(zip(fetch, static.Executor(paddle.CPUPlace()).run(
        main, feed=feed, fetch_list=fetch, scope=static.Scope())))
    return [values.get(f"in{i}@GRAD") for i in check]


def _compare(spec, dynamic_batch):
    inputs = [None if a is None else np.array(a, dtype=np.float64 if a.dtype.kind == "f"
                                              else a.dtype)
              for a in spec.inputs(np.random.default_rng(0), np.dtype("float64"))]
    check = _checked(spec, inputs)
    eager, cots = _eager_grads(spec, inputs, check, cot_seed=1)
    static_ = _static_grads(spec, inputs, check, cots, dynamic_batch)
    for i, e, s in zip(check, eager, static_):
        if e is None:
            assert s is None or not np.any(s), f"input {i}: static gradient where eager has none"
            continue
        assert s is not None, f"input {i}: no static gradient (eager has one)"
        np.testing.assert_allclose(s, e, rtol=1e-9, atol=1e-12, err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("spec", _grad_specs())
def test_static_gradient_equals_eager_gradient(spec):
    _compare(spec, dynamic_batch=False)


@pytest.mark.parametrize("spec", _grad_specs())
def test_static_gradient_with_unknown_batch_dim(spec):
    """The same with dim 0 of every input declared -1: gradient rules never read shapes."""
    _compare(spec, dynamic_batch=True)



def test_append_backward_outside_the_guard_goes_to_the_loss_program():
    main = static.Program()
    with static.program_guard(main):
        x = _data("x", np.ones(2))
        loss = paddle.sum(paddle.exp(x) * 2.0)
    n_default = len(static.default_main_program().global_block().ops)
    static.append_backward(loss)
    assert len(static.default_main_program().global_block().ops) == n_default
    (gx,) = _run(main, {"x": np.zeros(2)}, ["x@GRAD"])
    np.testing.assert_allclose(gx, [2.0, 2.0])


def test_batch_norm_training_step_with_state_writes(progs):
    """Running statistics written back to persistables get no gradient; x, w, b do."""
    main, startup = progs
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)
    x, w, b = _data("x", xv), _data("w", wv), _data("b", bv)
    rm = static.create_global_var([3], 0.0, "float64", name="rm")
    rv = static.create_global_var([3], 1.0, "float64", name="rv")
    y, m, v = apply("batch_norm", x, w, b, rm, rv, training=True)
    static.write_to(m, rm)
    static.write_to(v, rv)
    cv = rng.standard_normal((4, 3))
    loss = paddle.sum(y * cv)  # a NumPy array becomes a constant of the program
    static.append_backward(loss)
    assert "rm@GRAD" not in main.global_block().vars
    scope = static.Scope()
    got = _run(main, {"x": xv, "w": wv, "b": bv}, ["x@GRAD", "w@GRAD", "b@GRAD"],
               startup=startup, scope=scope)
    ts = [torch.Tensor._wrap(a.copy(), requires_grad=True) for a in (xv, wv, bv)]
    ye, _, _ = apply("batch_norm", *ts, torch.Tensor._wrap(np.zeros(3)),
                     torch.Tensor._wrap(np.ones(3)), training=True)
    get("sum")(ye * torch.Tensor._wrap(cv)).backward()
    for g, t in zip(got, ts):
        np.testing.assert_allclose(g, t.grad._data, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(scope.find_var("rm").get_tensor()),
                               0.1 * xv.mean(0))


def test_gradients_only_builds_the_paths_from_its_inputs(progs):
    main, _ = progs
    x = _data("x", np.ones(2))
    w = static.create_parameter([2], "float64")
    h = x * 3.0
    loss = paddle.sum(h * w)
    (gh,) = static.gradients(loss, h)
    assert gh.name == h.name + "@GRAD"
    assert not main.global_block().has_var(w.name + "@GRAD")
    assert not main.global_block().has_var("x@GRAD")
