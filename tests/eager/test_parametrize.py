"""torch.nn.utils parametrize / parametrizations / weight_norm / spectral_norm / prune: values,
state_dict keys as in PyTorch, gradients reaching the original parameters, masks."""
import copy

import numpy as np
import pytest

import dualnet_eager as torch
from dualnet_eager import nn
from dualnet_eager.nn.utils import parametrizations as P
from dualnet_eager.nn.utils import parametrize, prune


def arr(t):
    return t.detach().numpy()


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, y):
        return y.triu()


class Scale(nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, y):
        return y / 2


def test_register_and_remove_parametrization():
    torch.manual_seed(0)
    m = nn.Linear(3, 3)
    w = m.weight
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear"
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert m.parametrizations.weight.original is w  # same Parameter: optimizers keep working
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(arr(m.weight), arr(m.weight).T)
    m(torch.randn(2, 3)).sum().backward()
    assert w.grad is not None and w.grad.shape == (3, 3)
    np.testing.assert_allclose(np.tril(arr(w.grad), -1), 0.0)  # lower part unused
    parametrize.register_parametrization(m, "weight", Scale())  # chained
    m.weight = torch.ones(3, 3)  # assignment goes through right_inverse
    original = arr(m.parametrizations.weight.original)
    np.testing.assert_allclose(original, np.triu(np.ones((3, 3))) / 2)
    np.testing.assert_allclose(arr(m.weight), 1.0)
    with parametrize.cached():
        assert m.weight is m.weight
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and m.weight is w
    np.testing.assert_allclose(arr(m.weight), 1.0)
    assert list(m.state_dict()) == ["bias", "weight"]


def test_parametrization_checks_and_deepcopy():
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="shape"):
        parametrize.register_parametrization(m, "weight", _Flatten())
    with pytest.raises(ValueError, match="does not have a parameter"):
        parametrize.register_parametrization(m, "nope", Symmetric())
    parametrize.register_parametrization(m, "bias", Scale())
    m2 = copy.deepcopy(m)
    np.testing.assert_allclose(arr(m2.bias), arr(m.bias))
    assert parametrize.type_before_parametrizations(m2) is nn.Linear


class _Flatten(nn.Module):
    def forward(self, x):
        return x.reshape(-1)


def test_weight_norm_parametrization():
    torch.manual_seed(0)
    m = nn.Linear(4, 3)
    w0 = arr(m.weight).copy()
    P.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    g = arr(m.parametrizations.weight.original0)
    np.testing.assert_allclose(g, np.linalg.norm(w0, axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(arr(m.weight), w0, rtol=1e-5, atol=1e-6)
    m(torch.randn(2, 4)).sum().backward()
    assert m.parametrizations.weight.original0.grad.shape == (3, 1)
    assert m.parametrizations.weight.original1.grad.shape == (3, 4)
    parametrize.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(arr(m.weight), w0, rtol=1e-5, atol=1e-6)


def test_legacy_weight_norm():
    torch.manual_seed(0)
    m = nn.Linear(4, 3)
    w0 = arr(m.weight).copy()
    nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    with torch.no_grad():
        m.weight_g.mul_(2.0)
    m(torch.randn(1, 4))  # the pre-hook recomputes weight
    np.testing.assert_allclose(arr(m.weight), 2 * w0, rtol=1e-5, atol=1e-6)
    m(torch.randn(2, 4)).sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(m)


def _sigma(w):
    return np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0]


def test_spectral_norm_parametrization():
    torch.manual_seed(0)
    m = nn.Linear(6, 4)
    P.spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    for _ in range(10):
        m(torch.randn(1, 6))
    assert abs(_sigma(arr(m.weight)) - 1.0) < 1e-3
    m.eval()
    u = arr(m.parametrizations.weight[0]._u).copy()
    m(torch.randn(1, 6))
    np.testing.assert_array_equal(arr(m.parametrizations.weight[0]._u), u)  # frozen in eval
    m(torch.randn(2, 6)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None


def test_legacy_spectral_norm_conv():
    torch.manual_seed(0)
    m = nn.Conv2d(2, 3, 3)
    nn.utils.spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for _ in range(15):
        m(torch.randn(1, 2, 5, 5))
    assert abs(_sigma(arr(m.weight)) - 1.0) < 1e-3
    m(torch.randn(1, 2, 5, 5)).sum().backward()
    assert m.weight_orig.grad is not None
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal(orth_map, trivial):
    torch.manual_seed(0)
    m = nn.Linear(5, 3).double()
    P.orthogonal(m, orthogonal_map=orth_map, use_trivialization=trivial)
    w = arr(m.weight)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-10)
    keys = ["bias", "parametrizations.weight.original"]
    assert list(m.state_dict()) == keys + (["parametrizations.weight.0.base"] if trivial else [])
    m(torch.randn(2, 5).double()).pow(2).sum().backward()
    assert m.parametrizations.weight.original.grad is not None


def test_prune_l1_and_iterative():
    torch.manual_seed(0)
    m = nn.Linear(10, 10)
    orig = m.weight
    prune.l1_unstructured(m, "weight", amount=0.3)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert m.weight_orig is orig and prune.is_pruned(m)
    mask = arr(m.weight_mask)
    assert mask.sum() == 70
    assert np.abs(arr(orig))[mask == 0].max() <= np.abs(arr(orig))[mask == 1].min()
    np.testing.assert_array_equal(arr(m.weight), arr(orig) * mask)
    m(torch.randn(2, 10)).sum().backward()
    np.testing.assert_array_equal(arr(orig.grad)[mask == 0], 0.0)
    prune.random_unstructured(m, "weight", amount=10)  # 10 more among the remaining 70
    assert arr(m.weight_mask).sum() == 60
    assert isinstance(list(m._forward_pre_hooks.values())[0], prune.PruningContainer)
    prune.remove(m, "weight")
    assert list(m.state_dict()) == ["bias", "weight"] and not prune.is_pruned(m)
    assert (arr(m.weight) == 0).sum() == 40
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(m, "weight")


def test_prune_structured_global_and_validation():
    torch.manual_seed(0)
    m = nn.Conv2d(2, 4, 3)
    prune.ln_structured(m, "weight", amount=0.5, n=2, dim=0)
    mask = arr(m.weight_mask)
    norms = np.linalg.norm(arr(m.weight_orig).reshape(4, -1), axis=1)
    kept = mask.reshape(4, -1).all(axis=1)
    assert kept.sum() == 2 and norms[kept].min() >= norms[~kept].max()
    a, b = nn.Linear(8, 8), nn.Linear(8, 4)
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.25)
    total = arr(a.weight_mask).sum() + arr(b.weight_mask).sum()
    assert total == 96 - 24
    prune.identity(nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="non-negative integer"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="smaller than the number"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=5)
