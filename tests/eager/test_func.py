"""torch.func and torch.autograd.functional / gradcheck against closed forms and finite
differences (float64)."""
import numpy as np
import pytest

import dualnet_eager as torch
from dualnet_eager import nn
from dualnet_eager.autograd import functional as AF
from dualnet_eager.autograd.gradcheck import GradcheckError
from dualnet_eager.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev,
                                jvp, vjp, vmap)


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def close(a, b, tol=1e-8):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


RNG = np.random.default_rng(0)
X = RNG.standard_normal(4)


def f_cube(x):
    return (x ** 3).sum()


def test_grad_and_higher_order_closed_form():
    x = t64(X)
    g = grad(f_cube)(x)
    close(g, 3 * X ** 2)
    assert not g.requires_grad
    close(grad(lambda x: grad(f_cube)(x).sum())(x), 6 * X)
    close(hessian(f_cube)(x), np.diag(6 * X))
    close(jacfwd(jacrev(f_cube))(x), np.diag(6 * X))


def test_grad_argnums_has_aux_pytrees_and_value():
    x, y = t64(X), t64(X[::-1].copy())
    gx, gy = grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, y)
    close(gx, X[::-1])
    close(gy, X)
    g, aux = grad(lambda d: ((d["a"] ** 2).sum(), "aux"), has_aux=True)({"a": x})
    close(g["a"], 2 * X)
    assert aux == "aux"
    g, value = grad_and_value(f_cube)(x)
    close(value, (X ** 3).sum())
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        grad(lambda x: x * 2)(x)


def test_no_perturbation_confusion():
    c = t64(2.0)
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    close(grad(lambda x: grad(lambda y: x * y)(c) * x)(c), 4.0)


def test_grad_keeps_graph_to_outer_tensors():
    w = t64(X).requires_grad_()
    g = grad(lambda x: (w * x ** 2).sum())(t64(np.ones(4)))
    assert g.requires_grad
    g.sum().backward()
    close(w.grad, 2 * np.ones(4))


def test_vjp_jvp_jacrev_closed_form():
    x = t64(X)
    out, fn = vjp(torch.sin, x)
    close(out, np.sin(X))
    (gx,) = fn(t64(np.ones(4)))
    close(gx, np.cos(X))
    out, tangent = jvp(lambda a: a ** 2, (x,), (t64(np.ones(4)),))
    close(tangent, 2 * X)
    a = RNG.standard_normal((3, 4))
    close(jacrev(lambda v: t64(a) @ torch.tanh(v))(x), a * (1 - np.tanh(X) ** 2))
    j0, j1 = jacrev(lambda u, v: u * v, argnums=(0, 1))(x, x * 2)
    close(j0, np.diag(2 * X))
    close(j1, np.diag(X))


def test_hessian_matches_finite_differences():
    x0 = RNG.standard_normal(3)

    def f(x):
        return (torch.exp(x[0] * x[1]) + torch.sin(x[2]) * x[0] ** 2).sum()

    h = hessian(f)(t64(x0)).numpy()
    eps = 1e-5
    num = np.zeros((3, 3))
    for i in range(3):
        d = np.zeros(3)
        d[i] = eps
        num[i] = (grad(f)(t64(x0 + d)).numpy() - grad(f)(t64(x0 - d)).numpy()) / (2 * eps)
    np.testing.assert_allclose(h, num, rtol=1e-6, atol=1e-6)


def test_vmap_values_dims_and_nesting():
    xs = t64(RNG.standard_normal((5, 3)))
    ys = t64(RNG.standard_normal((3, 5)))
    out = vmap(torch.dot, in_dims=(0, 1))(xs, ys)
    close(out, np.einsum("ij,ji->i", xs.numpy(), ys.numpy()))
    out = vmap(lambda x, s: x * s, in_dims=(0, None), out_dims=1)(xs, t64(2.0))
    close(out, 2 * xs.numpy().T)
    outer = vmap(vmap(torch.mul, in_dims=(None, 0)), in_dims=(0, None))(xs[0], xs[1])
    close(outer, np.outer(xs[0].numpy(), xs[1].numpy()))
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        vmap(torch.add)(xs, t64(np.ones((4, 3))))


def test_vmap_randomness_modes():
    x = torch.zeros(4, 3)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda v: v + torch.randn(3))(x)
    same = vmap(lambda v: v + torch.randn(3), randomness="same")(x).numpy()
    assert np.allclose(same, same[0])
    diff = vmap(lambda v: v + torch.randn(3), randomness="different")(x).numpy()
    assert not np.allclose(diff, diff[0])


def test_per_sample_gradients_with_functional_call():
    torch.manual_seed(0)
    model = nn.Linear(3, 2).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs = t64(RNG.standard_normal((6, 3)))
    ys = t64(RNG.standard_normal((6, 2)))

    def loss(p, x, y):
        return ((functional_call(model, p, (x[None],)) - y[None]) ** 2).sum()

    per = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    w, b = params["weight"].numpy(), params["bias"].numpy()
    for i in range(6):
        r = 2 * (w @ xs[i].numpy() + b - ys[i].numpy())
        close(per["weight"][i], np.outer(r, xs[i].numpy()))
        close(per["bias"][i], r)
    assert model.weight.grad is None  # the module's own parameters were not touched


def test_functional_call_swaps_and_restores():
    model = nn.Linear(2, 2).double()
    w = model.weight
    zero = {"weight": t64(np.zeros((2, 2))), "bias": t64(np.ones(2))}
    close(functional_call(model, zero, t64(np.ones((1, 2)))), np.ones((1, 2)))
    assert model.weight is w
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(model, {"weight": zero["weight"]}, t64(np.ones((1, 2))), strict=True)
    out = functional_call(model, ({"weight": zero["weight"]}, {"bias": zero["bias"]}),
                          (t64(np.ones((1, 2))),))
    close(out, np.ones((1, 2)))
    with pytest.warns(FutureWarning):
        nn.utils.stateless.functional_call(model, zero, t64(np.ones((1, 2))))


def test_functional_call_tied_weights():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False).double()
            self.b = nn.Linear(2, 2, bias=False).double()
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    m = Tied()
    eye = {"a.weight": t64(np.eye(2) * 2)}
    close(functional_call(m, eye, t64(np.ones((1, 2)))), 4 * np.ones((1, 2)))
    with pytest.raises(ValueError, match="tied"):
        functional_call(m, {"a.weight": t64(np.eye(2)), "b.weight": t64(np.eye(2))},
                        t64(np.ones((1, 2))))


def test_autograd_functional_closed_forms():
    x = t64(X)
    close(AF.jacobian(torch.sin, x), np.diag(np.cos(X)))
    close(AF.hessian(f_cube, x), np.diag(6 * X))
    v = t64(np.arange(4.0))
    out, g = AF.vjp(lambda a: a ** 2, x, v)
    close(g, 2 * X * np.arange(4.0))
    out, jv = AF.jvp(lambda a: a ** 2, x, v)
    close(jv, 2 * X * np.arange(4.0))
    _, hv = AF.hvp(f_cube, x, v)
    close(hv, 6 * X * np.arange(4.0))
    _, vh = AF.vhp(f_cube, x, v)
    close(vh, 6 * X * np.arange(4.0))
    j = AF.jacobian(lambda a, b: (a * b, a + b), (x, x), vectorize=True)
    close(j[0][1], np.diag(X))
    close(j[1][0], np.eye(4))
    assert not j[0][0].requires_grad
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    jc = AF.jacobian(lambda a: a ** 2, x.requires_grad_(), create_graph=True)
    assert jc.requires_grad


class _WrongSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x  # wrong: should be 2 * x


def test_gradcheck_pass_and_fail():
    x = t64(RNG.standard_normal(3)).requires_grad_()
    y = t64(RNG.standard_normal(3)).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: (torch.tanh(a) * b, a.exp()), (x, y))
    assert torch.autograd.gradgradcheck(lambda a: torch.sin(a) * a, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        torch.autograd.gradcheck(_WrongSquare.apply, (x,))
    assert torch.autograd.gradcheck(_WrongSquare.apply, (x,), raise_exception=False) is False
