"""torch.save / torch.load: state dicts as safetensors (nested keys, metadata, atomic writes),
pickles only with weights_only=False, clear errors for missing and damaged files."""
import collections
import os
import pickle

import numpy as np
import pytest

import dualnet_eager as torch
from dualnet_eager import optim


def _model_sd():
    rng = np.random.default_rng(0)
    return collections.OrderedDict([
        ("fc1.weight", torch.tensor(rng.standard_normal((4, 3)).astype(np.float32))),
        ("fc1.bias", torch.zeros(4)),
        ("bn.num_batches_tracked", torch.tensor(5)),
    ])


def test_flat_state_dict_is_a_plain_safetensors_file(tmp_path):
    from safetensors.numpy import load_file

    sd = _model_sd()
    path = tmp_path / "model.safetensors"
    torch.save(sd, path)
    plain = load_file(str(path))  # readable by the rest of the world, keys unchanged
    assert set(plain) == set(sd)
    np.testing.assert_array_equal(plain["fc1.weight"], sd["fc1.weight"].numpy())
    back = torch.load(path)
    assert type(back) is collections.OrderedDict and list(back) == list(sd)
    for k in sd:
        assert isinstance(back[k], torch.Tensor) and back[k].dtype == sd[k].dtype
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())


def test_nested_checkpoint_round_trip_with_optimizer_and_metadata(tmp_path):
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.01, amsgrad=True)
    p.grad = torch.tensor([0.5, -0.5])
    opt.step()
    sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4])
    ckpt = {"model": _model_sd(), "optimizer": opt.state_dict(), "epoch": 3,
            "scheduler": sched.state_dict(), "best": float("inf"), "note": "run-1",
            "shape": (2, 3), "history": [0.5, 0.25], "array": np.arange(3), "missing": None}
    path = tmp_path / "ckpt.pt"
    torch.save(ckpt, path)
    back = torch.load(path)
    assert back["epoch"] == 3 and back["note"] == "run-1" and back["best"] == float("inf")
    assert back["shape"] == (2, 3) and back["history"] == [0.5, 0.25]
    assert back["missing"] is None and isinstance(back["array"], np.ndarray)
    assert back["scheduler"]["milestones"] == collections.Counter([2, 4])
    osd = back["optimizer"]
    assert list(osd["state"]) == [0] and osd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert osd["param_groups"][0]["params"] == [0]
    assert osd["state"][0]["step"].shape == () and osd["state"][0]["step"].item() == 1.0
    q = torch.tensor(p.detach().numpy(), requires_grad=True)
    opt2 = optim.Adam([q], lr=0.01, amsgrad=True)
    opt2.load_state_dict(osd)
    p.grad = q.grad = torch.tensor([0.1, 0.2])
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_shared_tensor_is_stored_once_and_restored_twice(tmp_path):
    from safetensors.numpy import load_file

    t = torch.ones(3)
    torch.save({"a": t, "b": {"c": t}}, tmp_path / "s.pt")
    assert len(load_file(str(tmp_path / "s.pt"))) == 1
    back = torch.load(tmp_path / "s.pt")
    np.testing.assert_array_equal(back["b"]["c"].numpy(), [1, 1, 1])


class Custom:
    def __init__(self, value):
        self.value = value


def test_arbitrary_objects_need_weights_only_false(tmp_path):
    path = tmp_path / "obj.pt"
    torch.save({"obj": Custom(7), "t": torch.ones(2)}, path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        torch.load(path)
    back = torch.load(path, weights_only=False)
    assert back["obj"].value == 7 and back["t"].tolist() == [1.0, 1.0]


def test_writes_are_atomic_and_leave_no_temporaries(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"w": torch.ones(2)}, path)
    original = path.read_bytes()

    class Boom:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError, match="cannot pickle"):
        torch.save({"w": Boom()}, path)
    assert path.read_bytes() == original  # the old checkpoint survives a failed save
    assert os.listdir(tmp_path) == ["m.pt"]


def test_a_failure_while_writing_removes_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    torch.save({"w": torch.ones(2)}, path)
    original = path.read_bytes()

    def fail(src, dst):
        assert os.path.dirname(src) == str(tmp_path)  # the temporary sits beside the target
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        torch.save({"w": torch.zeros(5)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == original and os.listdir(tmp_path) == ["m.pt"]


def test_missing_and_damaged_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        torch.load(tmp_path / "nope.pt")
    path = tmp_path / "m.pt"
    torch.save(_model_sd(), path)
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[:-7])
    with pytest.raises(RuntimeError, match="cut.pt.*(damaged|truncated)"):
        torch.load(tmp_path / "cut.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="empty.pt.*too short"):
        torch.load(tmp_path / "empty.pt")
    (tmp_path / "junk.pt").write_bytes(b"\xff" * 64)
    with pytest.raises(RuntimeError, match="junk.pt.*not a valid"):
        torch.load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        torch.save({}, tmp_path / "no_dir" / "x.pt")


def test_file_objects(tmp_path):
    import io

    buf = io.BytesIO()
    torch.save({"x": torch.arange(4)}, buf)
    buf.seek(0)
    assert torch.load(buf)["x"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("make", [lambda: torch.tensor([1, 2, 3]), lambda: torch.tensor([True]),
                                  lambda: torch.tensor([0.5], dtype=torch.float64),
                                  lambda: torch.randn(2, requires_grad=True)])
def test_pickled_tensors_keep_dtype_and_requires_grad(make):
    """Tensors cross process boundaries (DataLoader workers, pickle_module saves) by pickle:
    an int64 label tensor must come back int64, not as the default float."""
    t = make()
    back = pickle.loads(pickle.dumps(t))
    assert back.dtype == t.dtype and back.requires_grad == t.requires_grad and back.is_leaf
    np.testing.assert_array_equal(back.detach().numpy(), t.detach().numpy())
