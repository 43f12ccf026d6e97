"""Implicit mode (dualnet_static/dygraph): Paddle's dynamic-looking syntax records static
programs; values come when asked for, gradients accumulate until clear_grad, a training loop
compiles its plan once, and errors name the layer, the shapes and the user's line."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
import dualnet_static.nn.functional as F
from dualnet.ops import OpError
from dualnet_static import static
from dualnet_static.dygraph import SESSION
from tests.static.implicit_helpers import fresh_dynamic_mode


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


class MLP(nn.Layer):
    def __init__(self, n_in=12, n_hidden=16, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def _data(n=8, n_in=12, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)).astype(np.float32), rng.integers(0, n_out, n)


# ---------------------------------------------------------------- tensors and values

def test_to_tensor_dtypes_follow_paddle():
    assert paddle.to_tensor(1.5).dtype == paddle.float32
    assert paddle.to_tensor([1, 2]).dtype == paddle.int64
    assert paddle.to_tensor([True]).dtype == paddle.bool
    assert paddle.to_tensor(np.zeros(2, np.float64)).dtype == paddle.float64
    assert paddle.to_tensor([1, 2], dtype="float32").dtype == paddle.float32
    t = paddle.to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == [2, 2] and t.stop_gradient
    assert not paddle.to_tensor(1.0, stop_gradient=False).stop_gradient
    src = np.ones(3, np.float32)
    t = paddle.to_tensor(src)
    src[0] = 5.0  # to_tensor copies
    assert t.numpy()[0] == 1.0


def test_values_are_produced_when_asked_for():
    x = paddle.to_tensor([1.0, 2.0, 3.0])
    y = (x * 2 + 1).sum()
    assert SESSION.pending()  # recorded, not run
    assert y.shape == [] and len(x) == 3  # static information needs no run
    assert float(y) == 15.0 and int(y) == 15 and y.item() == 15.0
    assert not SESSION.pending()
    np.testing.assert_allclose(np.asarray(x * x), [1, 4, 9])
    assert bool(x.max() > 2.5) and f"{y:.1f}" == "15.0"
    assert [float(v) for v in x] == [1.0, 2.0, 3.0]
    assert x.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_print_uses_paddles_tensor_format(capsys):
    print(paddle.to_tensor([1.0, 2.0]))
    out = capsys.readouterr().out
    assert out.startswith("Tensor(shape=[2], dtype=float32, place=Place(cpu), "
                          "stop_gradient=True,")
    assert "[1., 2.]" in out
    lin = nn.Linear(2, 1)
    assert repr(lin.bias).startswith("Parameter containing:\nTensor(shape=[1]")


def test_branch_on_a_value_runs_what_was_recorded_and_continues():
    x = paddle.to_tensor([0.2, 0.9])
    y = x * 3
    if y.max() > 0.5:  # runs the ops so far
        z = y + 1
    else:
        z = y - 1
    np.testing.assert_allclose(z.numpy(), [1.6, 3.7], rtol=1e-6)


def test_only_referenced_values_are_fetched():
    x = paddle.to_tensor(np.ones((4, 3), np.float32))
    loss = ((x * 2 + 1) * 3).sum()  # three temporaries nobody keeps
    assert loss.item() == 108.0
    n_ops, n_feeds, n_fetches = SESSION.last_run
    assert (n_ops, n_feeds, n_fetches) == (4, 1, 1)
    assert SESSION.program is not None and not SESSION.program.blocks[0].ops  # retired


def test_values_kept_after_a_run_feed_later_steps():
    net, opt = MLP(), None
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    x, y = _data()
    first = net(paddle.to_tensor(x))
    before = first.numpy().copy()
    for _ in range(3):
        loss = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
        loss.backward()
        opt.step()
        opt.clear_grad()
    np.testing.assert_array_equal(first.numpy(), before)  # an old value, unchanged
    shifted = first + 1.0  # an old value used in a new step
    np.testing.assert_allclose(shifted.numpy(), before + 1.0)


# ---------------------------------------------------------------- parameters and training

def test_parameters_are_readable_at_construction_without_a_compile():
    static.clear_plan_cache()
    lin = nn.Linear(5, 4)
    w = lin.weight.numpy()
    assert w.shape == (5, 4) and np.abs(w).max() > 0 and np.abs(w).max() <= np.sqrt(6 / 9)
    np.testing.assert_array_equal(lin.bias.numpy(), np.zeros(4, np.float32))
    np.testing.assert_array_equal(lin.state_dict()["weight"], w)
    assert static.plan_cache_info().compiles == 0
    lin.weight.set_value(np.ones((5, 4)))
    np.testing.assert_array_equal(lin(paddle.to_tensor(np.ones((1, 5), np.float32))).numpy(),
                                  [[5.0] * 4])


def test_a_100_step_training_loop_compiles_at_most_twice():
    net = MLP()
    opt = paddle.optimizer.Momentum(learning_rate=0.05, momentum=0.9,
                                    parameters=net.parameters())
    criterion = nn.CrossEntropyLoss()
    x, y = _data(64)
    static.clear_plan_cache()
    losses = []
    for step in range(100):
        xb, yb = (x[:48], y[:48]) if step < 99 else (x[48:], y[48:])  # a smaller last batch
        opt.clear_grad()
        loss = criterion(net(paddle.to_tensor(xb)), paddle.to_tensor(yb))
        loss.backward()
        opt.minimize(loss)
        total = 0.0
        total += loss.numpy()  # the value kept by the run minimize made
        losses.append(float(total))
    assert static.plan_cache_info().compiles <= 2
    assert losses[98] < 0.5 * losses[0]


def test_gradients_accumulate_until_clear_grad():
    lin = nn.Linear(3, 2)
    x = paddle.to_tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert lin.weight.grad is None
    lin(x).sum().backward()
    once = lin.weight.grad.numpy()
    np.testing.assert_allclose(once, np.tile(x.numpy().sum(0)[:, None], (1, 2)))
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * once)
    lin.clear_gradients()
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.zeros((3, 2)))
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), once)
    lin.weight.clear_grad(set_to_zero=False)
    assert lin.weight.grad is None and lin.bias.grad is not None
    np.testing.assert_allclose(lin.bias.gradient(), [2.0, 2.0])


def test_sgd_step_uses_the_accumulated_gradient():
    lin = nn.Linear(3, 1)
    opt = paddle.optimizer.SGD(learning_rate=0.5, parameters=lin.parameters())
    x = paddle.to_tensor(np.ones((1, 3), np.float32))
    w0 = lin.weight.numpy()
    lin(x).sum().backward()
    lin(x).sum().backward()  # two backward calls: gradient 2 per weight
    opt.step()
    np.testing.assert_allclose(lin.weight.numpy(), w0 - 0.5 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.full((3, 1), 2.0))  # not cleared


def test_tensors_with_stop_gradient_false_get_gradients():
    x = paddle.to_tensor([1.0, 2.0, 3.0], stop_gradient=False)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])
    x.clear_grad()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 0.0])
    y = paddle.to_tensor([1.0, 2.0], stop_gradient=False)
    (y * 2).backward(grad_tensor=paddle.to_tensor([1.0, 10.0]))
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 20.0])


def test_paddle_grad_returns_gradients_without_touching_grad():
    x = paddle.to_tensor([1.0, 2.0], stop_gradient=False)
    (g,) = paddle.grad((x * x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    assert x.grad is None
    y = paddle.to_tensor([3.0], stop_gradient=False)
    with pytest.raises(RuntimeError, match="allow_unused"):
        paddle.grad((x * 2).sum(), [x, y])
    gx, gy = paddle.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.cpu().numpy().tolist() == [2.0, 2.0]


def test_value_read_before_backward_does_not_rerun_the_forward():
    paddle.seed(3)
    x = paddle.to_tensor(np.ones((200,), np.float32), stop_gradient=False)
    y = F.dropout(x, p=0.5)
    s = y.sum()
    assert 0 < float(s) < 400  # runs the forward (one dropout mask)
    s.backward()  # the backward reads the kept mask, not a new one
    np.testing.assert_array_equal(x.grad.numpy(), (y.numpy() != 0) * 2.0)


def test_no_grad_detach_and_stop_gradient():
    lin = nn.Linear(2, 2)
    x = paddle.to_tensor(np.ones((1, 2), np.float32))
    with paddle.no_grad():
        y = lin(x)
    assert y.stop_gradient
    assert not lin(x).stop_gradient and lin(x).detach().stop_gradient

    @paddle.no_grad()
    def infer(t):
        return lin(t)

    assert infer(x).stop_gradient and paddle.is_grad_enabled()
    z = lin(x)
    z.stop_gradient = True
    with pytest.raises(RuntimeError, match="stop_gradient"):
        z.sum().backward()


def test_eval_loop_under_no_grad_compiles_once_and_keeps_nothing():
    net = MLP()
    x, y = _data(32)
    static.clear_plan_cache()
    correct = 0
    with paddle.no_grad():
        for i in range(0, 32, 8):
            pred = net(paddle.to_tensor(x[i:i + 8])).argmax(axis=1)
            correct += int((pred == paddle.to_tensor(y[i:i + 8])).astype("int64").sum())
            assert len(SESSION.program.blocks[0].ops) == 0  # every run retired its program
    assert 0 <= correct <= 32 and static.plan_cache_info().compiles == 1


def test_a_loss_without_backward_keeps_its_graph_bounded():
    lin = nn.Linear(4, 2)
    x = paddle.to_tensor(np.ones((3, 4), np.float32))
    for _ in range(20):
        out = lin(x)
        out.sum().item()  # out may still be differentiated: its graph is kept...
    assert len(SESSION.program.blocks[0].ops) <= 6  # ...but only the live one
    out.sum().backward()
    np.testing.assert_allclose(lin.bias.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------- errors

def test_backward_errors():
    lin = nn.Linear(3, 2)
    x = paddle.to_tensor(np.ones((2, 3), np.float32))
    out = lin(x)
    with pytest.raises(ValueError, match=r"shape \[2, 2\].*grad_tensor"):
        out.backward()
    loss = out.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
    retained = lin(x).sum()
    retained.backward(retain_graph=True)
    retained.backward()
    with pytest.raises(RuntimeError, match="stop_gradient"):
        x.sum().backward()


def test_wrong_input_shape_names_the_layer_the_shapes_and_the_line():
    net = MLP()
    with pytest.raises(OpError) as err:
        net(paddle.to_tensor(np.ones((2, 7), np.float32)))
    msg = str(err.value)
    assert "[2, 7]" in msg and "[12, 16]" in msg  # given input and the layer's weight
    assert "last dim must be 12" in msg  # what was expected
    assert f"in layer {net.fc1.full_name()} (Linear)" in msg
    assert "return self.fc2(F.relu(self.fc1(x)))" in msg  # the user's line


def test_optimizer_needs_parameters_in_dynamic_mode():
    with pytest.raises(ValueError, match="parameters"):
        paddle.optimizer.SGD(0.1).step()


# ---------------------------------------------------------------- modes and state

def test_enable_static_switches_to_explicit_mode_and_back():
    assert paddle.in_dynamic_mode()
    paddle.enable_static()
    try:
        assert not paddle.in_dynamic_mode()
        x = static.data("x", [2, 3], "float32")
        y = x * 2
        assert y.block.program is static.default_main_program()
        with pytest.raises(TypeError, match="no value"):
            bool(y.sum())
    finally:
        paddle.disable_static()
    assert paddle.in_dynamic_mode()
    assert float(paddle.to_tensor([1.0, 2.0]).sum()) == 3.0


def test_program_guard_inside_dynamic_mode_is_explicit():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 2], "float32")
        out = nn.Linear(2, 1)(x)
    assert out.block.program is main and not SESSION.pending()
    exe = static.Executor()
    exe.run(startup)
    res, = exe.run(main, feed={"x": np.ones((3, 2), np.float32)}, fetch_list=[out])
    assert res.shape == (3, 1)


def test_state_dict_save_load_and_layer_reuse(tmp_path):
    net = MLP()
    x, _ = _data()
    before = net(paddle.to_tensor(x)).numpy()
    paddle.save(net.state_dict(), str(tmp_path / "mlp.pdparams"))
    other = MLP()
    assert not np.allclose(other(paddle.to_tensor(x)).numpy(), before)
    other.set_state_dict(paddle.load(str(tmp_path / "mlp.pdparams")))
    np.testing.assert_allclose(other(paddle.to_tensor(x)).numpy(), before, rtol=1e-6)


def test_lr_scheduler_and_adam_in_dynamic_mode():
    lin = nn.Linear(2, 1, bias_attr=False)
    sched = paddle.optimizer.lr.StepDecay(learning_rate=1.0, step_size=1, gamma=0.5)
    opt = paddle.optimizer.SGD(learning_rate=sched, parameters=lin.parameters())
    x = paddle.to_tensor(np.ones((1, 2), np.float32))
    w0 = lin.weight.numpy()
    for _ in range(2):
        lin(x).sum().backward()
        opt.step()
        opt.clear_grad()
        sched.step()
    np.testing.assert_allclose(lin.weight.numpy(), w0 - 1.0 - 0.5, rtol=1e-6)
    adam = paddle.optimizer.Adam(learning_rate=0.1, parameters=lin.parameters())
    lin(x).sum().backward()
    adam.step()
    np.testing.assert_allclose(lin.weight.numpy(), w0 - 1.5 - 0.1, rtol=1e-4)


def test_batch_norm_running_statistics_update_in_dynamic_mode():
    bn = nn.BatchNorm1D(3)
    x = paddle.to_tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    bn(x).sum().item()
    np.testing.assert_allclose(bn._mean.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-5)
    bn.eval()
    y = bn(x).numpy()
    expected = (x.numpy() - bn._mean.numpy()) / np.sqrt(bn._variance.numpy() + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4)
