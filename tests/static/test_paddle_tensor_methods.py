"""Paddle's in-place Tensor methods (tensor_methods/inplace.py) and the Tensor attributes
(T, mT, ndimension, element_size, nbytes, is_leaf, register_hook, to, apply, ...), in
implicit mode (including a replayed training loop) and in explicit programs."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
import dualnet_static.nn.functional as F
from dualnet_static import static
from dualnet_static.dygraph import SESSION
from tests.static.implicit_helpers import fresh_dynamic_mode


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def _t(a, stop_gradient=True):
    return paddle.to_tensor(np.asarray(a, dtype=np.float32), stop_gradient=stop_gradient)


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
Y = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]], dtype=np.float32)


# ---------------------------------------------------------------- values in implicit mode

@pytest.mark.parametrize("method, args, ref", [
    ("add_", (Y,), X + Y),
    ("subtract_", (Y,), X - Y),
    ("multiply_", (Y,), X * Y),
    ("divide_", (Y,), X / Y),
    ("scale_", (2.0, 1.0), X * 2 + 1),
    ("clip_", (-0.5, 1.0), np.clip(X, -0.5, 1.0)),
    ("exp_", (), np.exp(X)),
    ("tanh_", (), np.tanh(X)),
    ("floor_", (), np.floor(X)),
    ("fill_", (3.0,), np.full_like(X, 3.0)),
    ("zero_", (), np.zeros_like(X)),
    ("copy_", (Y,), Y),
    ("equal_", (X,), np.ones_like(X)),
])
def test_inplace_values(method, args, ref):
    x = _t(X)
    args = tuple(_t(a) if isinstance(a, np.ndarray) else a for a in args)
    out = getattr(x, method)(*args)
    assert out is x
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
    assert x.dtype == paddle.float32


def test_shape_methods_rebind():
    x = _t(np.arange(6).reshape(2, 3))
    assert x.reshape_([3, 2]) is x and x.shape == [3, 2]
    x.unsqueeze_(0)
    assert x.shape == [1, 3, 2]
    x.squeeze_(0)
    x.transpose_([1, 0])
    np.testing.assert_array_equal(x.numpy(), np.arange(6).reshape(3, 2).T)
    x.flatten_()
    np.testing.assert_array_equal(x.numpy(), np.arange(6).reshape(3, 2).T.ravel())


def test_random_fills():
    x = _t(np.zeros((200,)))
    x.uniform_(min=2.0, max=3.0)
    v = x.numpy()
    assert v.min() >= 2.0 and v.max() < 3.0 and v.std() > 0.1
    x.normal_(mean=5.0, std=0.1)
    assert abs(x.numpy().mean() - 5.0) < 0.1
    x.exponential_(lam=2.0)
    v = x.numpy()
    assert v.min() >= 0 and 0.3 < v.mean() < 0.7


def test_read_before_and_after():
    """An op recorded before the in-place call reads the old value."""
    x = _t(X)
    before = x * 1.0
    x.add_(_t(Y))
    after = x * 1.0
    np.testing.assert_allclose(before.numpy(), X)
    np.testing.assert_allclose(after.numpy(), X + Y)


# ---------------------------------------------------------------- gradients

def test_gradient_flows_through_inplace():
    x = _t(X, stop_gradient=False)
    y = x * 2.0
    y.add_(x)  # 3x
    y.multiply_(x)  # 3x^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X, rtol=1e-6)
    assert x.is_leaf and not y.is_leaf


def test_leaf_needing_grad_raises():
    x = _t(X, stop_gradient=False)
    with pytest.raises(ValueError, match="Leaf Tensor .* can't use inplace strategy"):
        x.add_(_t(Y))
    with paddle.no_grad():
        x.scale_(2.0)  # allowed without gradient recording, as in Paddle
    np.testing.assert_allclose(x.numpy(), 2 * X)


def test_detach_and_fill_cut_gradient():
    x = _t(X, stop_gradient=False)
    y = x * 2.0
    y.detach_()
    assert y.stop_gradient and y.is_leaf
    z = x * 3.0
    z.fill_(1.0)
    w = x * 4.0
    (w.sum() + (z * x).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0 + np.ones_like(X))


def test_broadcast_shape_error():
    x = _t([1.0, 2.0])
    with pytest.raises(ValueError, match="shape of broadcast output"):
        x.add_(_t(np.ones((3, 2))))


def test_parameter_inplace_under_no_grad():
    layer = nn.Linear(3, 2)
    w0 = layer.weight.numpy()
    with paddle.no_grad():
        layer.weight.scale_(0.5)
    np.testing.assert_allclose(layer.weight.numpy(), 0.5 * w0, rtol=1e-6)
    with pytest.raises(ValueError, match="inplace"):
        layer.weight.add_(paddle.ones([3, 2]))


# ---------------------------------------------------------------- a replayed training loop

class Net(nn.Layer):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x, inplace):
        h = self.fc1(x)
        if inplace:
            h.scale_(0.5)
            h.add_(x.sum(axis=1, keepdim=True))
            h.tanh_()
        else:
            h = paddle.tanh(h * 0.5 + x.sum(axis=1, keepdim=True))
        return self.fc2(h)


def _train(inplace, steps=5):
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(steps):
        x = paddle.to_tensor(rng.standard_normal((6, 4)).astype(np.float32))
        y = paddle.to_tensor(rng.integers(0, 3, 6))
        loss = F.cross_entropy(net(x, inplace), y)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    return losses, {k: np.array(v) for k, v in net.state_dict().items()}


def test_training_loop_with_inplace_methods_replays():
    ref_losses, ref_state = _train(False)
    replays = SESSION.replays
    losses, state = _train(True)
    assert SESSION.replays - replays >= 3  # the steps after the first ones replay
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for k in ref_state:
        np.testing.assert_allclose(state[k], ref_state[k], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- explicit programs

def test_explicit_program_records_and_rebinds():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [-1, 3], "float32")
        y = x * 1.0
        y.add_(x)
        y.scale_(3.0)
        y.reshape_([-1])
        p = static.create_parameter([3], "float32", name="p",
                                    default_initializer=nn.initializer.Constant(1.0))
        p.scale_(2.0)  # a persistable: written back into the Scope
    exe = static.Executor()
    exe.run(startup)
    out, = exe.run(main, feed={"x": X}, fetch_list=[y])
    np.testing.assert_allclose(out, (2 * X * 3).ravel(), rtol=1e-6)
    np.testing.assert_allclose(np.array(static.global_scope().find_var("p").get_tensor()),
                               2.0 * np.ones(3))


def test_explicit_random_fill_needs_known_shape():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [-1, 3], "float32")
        with pytest.raises(ValueError, match="uniform_.*unknown dim"):
            x.uniform_()


def test_explicit_register_hook_is_dynamic_only():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [2, 3], "float32")
        with pytest.raises(RuntimeError, match="dynamic mode only"):
            x.register_hook(lambda g: g)
        assert x.T.shape == [3, 2] and x.mT.shape == [3, 2]


# ---------------------------------------------------------------- attributes

def test_attributes():
    x = _t(np.ones((2, 3, 4)))
    assert x.T.shape == [4, 3, 2]
    assert x.mT.shape == [2, 4, 3]
    np.testing.assert_array_equal(x.mT.numpy(), np.ones((2, 4, 3)))
    assert x.ndimension() == 3 and x.element_size() == 4 and x.nbytes == 96
    assert x.to("float64").dtype == paddle.float64
    assert x.to("cpu") is x
    assert x.to(paddle.to_tensor([1], dtype="int32")).dtype == paddle.int32
    assert x.pin_memory() is x
    np.testing.assert_array_equal(np.array(x.get_tensor()), np.ones((2, 3, 4)))
    from dualnet.backend import cuda_available

    if not cuda_available():
        with pytest.raises(RuntimeError, match="no CUDA device"):
            x.cuda()
        with pytest.raises(RuntimeError, match="no CUDA device"):
            x.to("gpu")


def test_apply():
    x = _t([1.0, 2.0])
    np.testing.assert_allclose(x.apply(lambda t: t * 2).numpy(), [2.0, 4.0])
    assert x.apply_(lambda t: t + 1) is x
    np.testing.assert_allclose(x.numpy(), [2.0, 3.0])
    with pytest.raises(RuntimeError, match="required gradient"):
        _t([1.0], stop_gradient=False).apply(lambda t: t)


def test_register_hook():
    x = _t(X, stop_gradient=False)
    y = x * 2.0
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.shape) or g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 10 * 2 * (2 * X), rtol=1e-6)
    assert seen == [[2, 3]]
    assert handle.remove()
    x.clear_grad()
    y = x * 2.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones_like(X))
    with pytest.raises(RuntimeError, match="stop gradient"):
        _t(X).register_hook(lambda g: g)
