"""paddle.autograd (PyLayer, backward, jacobian, hessian), paddle.distributed on one process,
paddle.version / run_check / flags, callbacks.VisualDL, paddle.nn.utils, Orthogonal / Dirac."""
import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import static
from dualnet_static.autograd import PyLayer
from dualnet_static.nn import utils as U


class Cube(PyLayer):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, dy):
        x, = ctx.saved_tensor()
        return dy * 3.0 * x * x


def _leaf(a, dtype="float64"):
    return paddle.to_tensor(np.asarray(a, dtype), stop_gradient=False)


def test_pylayer_implicit_matches_finite_differences():
    a = np.array([0.5, -1.2, 2.0])
    x = _leaf(a)
    y = Cube.apply(x)
    np.testing.assert_allclose(y.numpy(), a ** 3)
    (y * paddle.to_tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    eps = 1e-6
    fd = ((a + eps) ** 3 - (a - eps) ** 3) / (2 * eps) * np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6)


def test_pylayer_double_backward_and_options():
    x = _leaf([1.0, 2.0])
    g, = paddle.grad(Cube.apply(x).sum(), x, create_graph=True)
    h, = paddle.grad(g.sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])

    class Two(PyLayer):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.scale = scale
            ctx.set_materialize_grads(False)
            idx = x * 0.0
            ctx.mark_non_differentiable(idx)
            return x * scale, idx

        @staticmethod
        def backward(ctx, dy, didx):
            assert didx is None
            return dy * ctx.scale

    y, idx = Two.apply(x, 4.0)
    assert idx.stop_gradient and not y.stop_gradient
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])

    class Bad(PyLayer):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, dy):
            return dy, dy

    with pytest.raises(ValueError, match="returned 2 gradient"):
        Bad.apply(_leaf([1.0])).sum().backward()
    with pytest.raises(RuntimeError, match="apply"):
        Cube()


def test_pylayer_explicit_program():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [-1, 3], "float32")
        x.stop_gradient = False
        y = Cube.apply(x)
        gx, = static.gradients([paddle.sum(y)], [x])
        a = np.array([[1.0, -2.0, 0.5]], "float32")
        out, g = static.Executor().run(main, feed={"x": a}, fetch_list=[y, gx])
    np.testing.assert_allclose(out, a ** 3, rtol=1e-6)
    np.testing.assert_allclose(g, 3 * a ** 2, rtol=1e-6)


def test_autograd_backward_jacobian_hessian():
    x = _leaf([1.0, 2.0, 3.0])
    y1, y2 = (x * x).sum(), (x * 3.0)
    paddle.autograd.backward([y1, y2], [None, paddle.to_tensor(np.ones(3))])
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0, 3.0]) + 3.0)

    a = np.array([0.5, 1.5])
    x = _leaf(a)
    J = paddle.autograd.jacobian(paddle.exp(x) * x[0], x)
    assert J.shape == [2, 2]
    ref = np.diag(np.exp(a) * a[0])
    ref[:, 0] += np.exp(a)
    np.testing.assert_allclose(J[:].numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(J[1, :].numpy(), ref[1], rtol=1e-6)
    Js = paddle.autograd.jacobian(x * 2.0, (x, x))
    assert isinstance(Js, tuple) and len(Js) == 2
    np.testing.assert_allclose(Js[1][:].numpy(), 2 * np.eye(2))

    b = np.array([[1.0, 2.0], [3.0, -1.0]])
    xb = _leaf(b)
    Jb = paddle.autograd.jacobian(xb * xb, xb, batch_axis=0)
    assert Jb.shape == [2, 2, 2]
    np.testing.assert_allclose(Jb[:].numpy(), np.stack([np.diag(2 * r) for r in b]))

    H = paddle.autograd.hessian((x ** 3).sum() + x[0] * x[1], x)
    np.testing.assert_allclose(H[:].numpy(), np.diag(6 * a) + np.array([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match="one element"):
        paddle.autograd.hessian(x * 1.0, x)
    with pytest.raises(ValueError, match="batch_axis"):
        paddle.autograd.jacobian(xb, xb)
    assert paddle.autograd.grad is not None


def test_distributed_single_process():
    dist = paddle.distributed
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    env = dist.init_parallel_env()
    assert (env.rank, env.world_size, env.device_id) == (0, 1, 0) and dist.is_initialized()
    t = paddle.to_tensor(np.array([1.0, 2.0], "float32"))
    assert dist.all_reduce(t, op=dist.ReduceOp.MAX) is None
    assert dist.all_reduce(t, sync_op=False).wait()
    np.testing.assert_allclose(t.numpy(), [1.0, 2.0])
    dist.broadcast(t, src=0)
    dist.reduce(t, dst=0)
    dist.barrier()
    out = []
    dist.all_gather(out, t)
    assert len(out) == 1 and out[0] is t
    s = paddle.to_tensor(np.zeros(2, "float32"))
    dist.scatter(s, [paddle.to_tensor(np.array([5.0, 6.0], "float32"))])
    np.testing.assert_allclose(s.numpy(), [5.0, 6.0])
    got = []
    dist.alltoall([t], got)
    assert got == [t]
    with pytest.raises(ValueError, match="src=1"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="ranks"):
        dist.new_group([0, 1])
    assert dist.new_group([0]).world_size == 1
    calls = []
    dist.spawn(lambda a: calls.append(a), args=(7,), nprocs=1)
    assert calls == [7]
    with pytest.raises(RuntimeError, match="nprocs=2"):
        dist.spawn(print, nprocs=2)
    from dualnet_static.distributed import fleet

    fleet.init(is_collective=True)
    net = paddle.nn.Linear(2, 2)
    opt = paddle.optimizer.SGD(parameters=net.parameters())
    assert fleet.distributed_model(net) is net and fleet.distributed_optimizer(opt) is opt
    assert (fleet.worker_index(), fleet.worker_num()) == (0, 1)
    assert isinstance(dist.DataParallel(net), paddle.nn.Layer)


def test_version_flags_run_check_visualdl(capsys):
    v = paddle.version
    assert v.full_version == paddle.__version__ == f"{v.major}.{v.minor}.{v.patch}"
    assert v.cuda() == "False" and v.cudnn() == "False"
    v.show()
    paddle.utils.run_check()
    out = capsys.readouterr().out
    assert "full_version: 2.6.0" in out and "PaddlePaddle is installed successfully!" in out
    assert paddle.get_flags("FLAGS_cudnn_deterministic") == {"FLAGS_cudnn_deterministic": False}
    paddle.set_flags({"FLAGS_cudnn_deterministic": True})
    assert paddle.get_flags(["FLAGS_cudnn_deterministic"])["FLAGS_cudnn_deterministic"]
    paddle.set_flags({"FLAGS_cudnn_deterministic": False})
    with pytest.raises(ValueError, match="FLAGS_no_such"):
        paddle.get_flags("FLAGS_no_such")
    with pytest.raises(ValueError):
        paddle.set_flags({"FLAGS_no_such": 1})
    with pytest.raises(ImportError, match="visualdl"):
        paddle.callbacks.VisualDL(log_dir="vdl")


def test_weight_norm_and_spectral_norm():
    paddle.seed(1)
    lin = paddle.nn.Linear(3, 4)
    w0 = lin.weight.numpy().copy()
    U.weight_norm(lin, dim=0)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight_g", "weight_v"]
    assert lin.weight_g.shape == [3]
    np.testing.assert_allclose(lin.weight_g.numpy(), np.linalg.norm(w0, axis=1), rtol=1e-6)
    x = paddle.to_tensor(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(lin(x).numpy(), np.ones((2, 3)) @ w0 + lin.bias.numpy(),
                               rtol=1e-5)
    lin(x).sum().backward()
    assert lin.weight_v.grad.shape == [3, 4]
    U.remove_weight_norm(lin)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(lin.weight.numpy(), w0, rtol=1e-5)

    lin2 = paddle.nn.Linear(5, 3)
    w = lin2.weight.numpy().copy()
    U.spectral_norm(lin2, n_power_iterations=20)
    names = sorted(n for n, _ in lin2.named_parameters())
    assert names == ["bias", "weight_orig"]
    lin2(paddle.to_tensor(np.ones((2, 5), "float32")))
    np.testing.assert_allclose(np.linalg.norm(lin2.weight.numpy(), 2), 1.0, rtol=1e-4)
    np.testing.assert_allclose(lin2.weight.numpy(), w / np.linalg.svd(w)[1][0], rtol=1e-3)


def test_clip_grads_and_vectors():
    paddle.seed(2)
    net = paddle.nn.Linear(3, 2)
    x = paddle.to_tensor(np.arange(6, dtype="float32").reshape(2, 3))
    (net(x) * 10.0).sum().backward()
    gs = [p.grad.numpy() for p in net.parameters()]
    total = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in gs))
    n = U.clip_grad_norm_(net.parameters(), max_norm=1.0)
    np.testing.assert_allclose(float(n), total, rtol=1e-5)
    for p, g in zip(net.parameters(), gs):
        np.testing.assert_allclose(p.grad.numpy(), g / (total + 1e-6), rtol=1e-5)
    n_inf = U.clip_grad_norm_(net.parameters(), 10.0, norm_type=float("inf"))
    np.testing.assert_allclose(float(n_inf), max(abs(p.grad.numpy()).max()
                                                 for p in net.parameters()), rtol=1e-6)
    U.clip_grad_value_(net.parameters(), 0.05)
    assert max(abs(p.grad.numpy()).max() for p in net.parameters()) <= 0.05 + 1e-7
    vec = U.parameters_to_vector(net.parameters())
    assert vec.shape == [8]
    U.vector_to_parameters(paddle.to_tensor(np.arange(8, dtype="float32")), net.parameters())
    np.testing.assert_allclose(net.weight.numpy(), np.arange(6).reshape(3, 2))
    np.testing.assert_allclose(net.bias.numpy(), [6, 7])


def test_orthogonal_and_dirac():
    I = paddle.nn.initializer
    paddle.seed(3)
    lin = paddle.nn.Linear(3, 5, weight_attr=paddle.ParamAttr(initializer=I.Orthogonal(2.0)))
    w = lin.weight.numpy()
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(3), atol=1e-5)
    conv = paddle.nn.Conv2D(4, 6, 3, weight_attr=paddle.ParamAttr(
        initializer=I.Orthogonal()))
    m = conv.weight.numpy().reshape(6, -1)
    np.testing.assert_allclose(m @ m.T, np.eye(6), atol=1e-5)
    conv = paddle.nn.Conv2D(2, 4, 3, padding=1,
                            weight_attr=paddle.ParamAttr(initializer=I.Dirac()))
    k = conv.weight.numpy()
    assert k.sum() == 2 and k[0, 0, 1, 1] == 1 and k[1, 1, 1, 1] == 1
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype("float32")
    y = conv(paddle.to_tensor(x)).numpy() - conv.bias.numpy().reshape(1, -1, 1, 1)
    np.testing.assert_allclose(y[:, :2], x, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2-D"):
        paddle.nn.Linear(2, 2, bias_attr=paddle.ParamAttr(initializer=I.Orthogonal()))
    with pytest.raises(ValueError, match="groups"):
        I.Dirac(groups=0)
