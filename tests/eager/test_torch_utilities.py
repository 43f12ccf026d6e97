"""torch's top-level utilities: onnx.export, jit, testing, print options, finfo/iinfo, random
state, threads, backends, amp, hub, compile."""
import io

import numpy as np
import pytest

import dualnet_eager as torch
from dualnet_eager import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 5)
        self.seen_export = []

    def forward(self, x):
        self.seen_export.append(torch.onnx.is_in_onnx_export())
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.view(x.size(0), -1))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, scale=None):
        return self.fc(x) * scale


@pytest.fixture
def net():
    torch.manual_seed(0)
    model = Net()
    with torch.no_grad():  # non-trivial running statistics
        model.bn.running_mean.copy_(torch.randn(3) * 0.1)
        model.bn.running_var.copy_(torch.rand(3) + 0.5)
    return model.eval()


def _eager(model, *args):
    with torch.no_grad():
        return model(*args).numpy()


# ---------------------------------------------------------------- onnx


def test_onnx_export_dynamic_batch_matches_eager(net, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, (torch.randn(2, 1, 4, 4),), str(path), input_names=["input"],
                      output_names=["logits"], opset_version=17,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    assert any(net.seen_export) and not torch.onnx.is_in_onnx_export()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert sess.get_inputs()[0].name == "input" and sess.get_inputs()[0].shape[0] == "batch"
    assert sess.get_outputs()[0].name == "logits"
    x = torch.randn(5, 1, 4, 4)  # another batch size than the example
    (got,) = sess.run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, _eager(net, x), rtol=1e-5, atol=1e-5)


def test_onnx_export_kwargs_and_file_object():
    ort = pytest.importorskip("onnxruntime")
    model = TwoInputs().eval()
    x, s = torch.randn(3, 4), torch.tensor(2.0)
    buf = io.BytesIO()
    torch.onnx.export(model, (x, {"scale": s}), buf, input_names=["x", "scale"])
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"x": x.numpy(), "scale": s.numpy()})
    np.testing.assert_allclose(got, _eager(model, x, s), rtol=1e-6, atol=1e-6)


def test_onnx_export_refuses_unsupported_arguments(net):
    buf = io.BytesIO()
    x = torch.randn(1, 1, 4, 4)
    for kwargs in ({"training": torch.onnx.TrainingMode.TRAINING}, {"export_params": False},
                   {"custom_opsets": {"my": 1}}, {"dynamo": True},
                   {"operator_export_type": torch.onnx.OperatorExportTypes.ONNX_ATEN}):
        with pytest.raises(torch.onnx.OnnxExporterError, match="not supported"):
            torch.onnx.export(net, x, buf, **kwargs)
    with pytest.raises(TypeError, match="unexpected keyword"):
        torch.onnx.export(net, x, buf, no_such_option=1)


# ---------------------------------------------------------------- jit


def test_jit_trace_runs_the_program_and_keeps_training(net):
    x = torch.randn(2, 1, 4, 4)
    traced = torch.jit.trace(net, x)
    assert isinstance(traced, nn.Module) and traced.original_name == "Net"
    with torch.no_grad():
        np.testing.assert_allclose(traced(x).numpy(), _eager(net, x), rtol=1e-6, atol=1e-6)
    assert "conv2d" in str(traced.graph) and "def forward(self, x" in traced.code
    assert list(traced.state_dict()) == list(net.state_dict())
    net.train()
    traced.train()
    traced(torch.randn(4, 1, 4, 4)).sum().backward()  # gradients reach the shared parameters
    assert net.fc.weight.grad is not None and traced.training


def test_jit_save_load_round_trip(net, tmp_path):
    traced = torch.jit.trace(net, torch.randn(2, 1, 4, 4))
    path = tmp_path / "net.pt"
    extra = {"meta.txt": "hello"}
    torch.jit.save(traced, str(path), _extra_files=extra)
    files = {"meta.txt": ""}
    loaded = torch.jit.load(str(path), _extra_files=files)
    assert files["meta.txt"] == b"hello"
    x = torch.randn(3, 1, 4, 4)  # the saved Program has dynamic dims
    with torch.no_grad():
        np.testing.assert_allclose(loaded(x).numpy(), _eager(net, x), rtol=1e-5, atol=1e-6)
    assert sorted(loaded.state_dict()) == sorted(net.state_dict())
    assert "conv2d" in loaded.code
    loaded(x).sum().backward()  # a loaded model is trainable
    assert all(p.grad is not None for p in loaded.parameters())
    buf = io.BytesIO()
    loaded.save(buf)  # saving a loaded model again
    buf.seek(0)
    again = torch.jit.load(buf)
    with torch.no_grad():
        np.testing.assert_allclose(again(x).numpy(), _eager(net, x), rtol=1e-5, atol=1e-6)
    state = tmp_path / "state.pt"
    torch.save(net.state_dict(), str(state))
    with pytest.raises(RuntimeError, match="not a torch.jit.save file"):
        torch.jit.load(str(state))


def test_jit_script_module_function_and_refusal(net):
    scripted = torch.jit.script(net)
    with pytest.raises(RuntimeError, match="not been called"):
        scripted.graph
    x = torch.randn(2, 1, 4, 4)
    with torch.no_grad():
        np.testing.assert_allclose(scripted(x).numpy(), _eager(net, x), rtol=1e-6, atol=1e-6)
    assert "linear" in str(scripted.graph)

    seen = []

    @torch.jit.script
    def f(a, b):
        seen.append((torch.jit.is_scripting(), torch.jit.is_tracing()))
        return a * b + 1

    a, b = torch.ones(2), torch.full((2,), 3.0)
    assert f(a, b).tolist() == [4.0, 4.0] and seen == [(True, False)]
    assert "mul" in f.code
    assert not torch.jit.is_scripting() and not torch.jit.is_tracing()

    class Branchy(nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: refused, not baked in
                return x
            return -x

    from interop import TracingError

    with pytest.raises(TracingError, match="x.sum"):
        torch.jit.script(Branchy())(torch.ones(2))
    deco = torch.jit.ignore(lambda x: x)
    assert deco(3) == 3 and torch.jit.ignore(drop=True)(len) is len
    assert torch.jit.unused(len) is len and torch.jit.export(len) is len


def test_compile_returns_model_or_script():
    model = nn.Linear(2, 2)
    assert torch.compile(model) is model
    assert torch.compile(mode="max-autotune")(model) is model
    compiled = torch.compile(model, fullgraph=True)
    x = torch.randn(3, 2)
    with torch.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)


# ---------------------------------------------------------------- testing


def test_assert_close_passes_within_default_tolerances():
    a = torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(a, a + 1e-6)
    torch.testing.assert_close(a.double(), a.double())
    torch.testing.assert_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]),
                               equal_nan=True)
    torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]),
                               check_dtype=False)
    torch.testing.assert_close([a, {"k": 1.0}], [a, {"k": 1.0}])
    torch.testing.assert_close(a, a + 0.1, rtol=0.0, atol=0.2)


def test_assert_close_messages():
    with pytest.raises(AssertionError) as e:
        torch.testing.assert_close(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 3.0]))
    assert str(e.value) == (
        "Tensor-likes are not close!\n\n"
        "Mismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 "
        "allowed)")
    with pytest.raises(AssertionError, match=r"Scalars are not close!\n\nExpected 1.5 but "
                                             r"got 1.0."):
        torch.testing.assert_close(torch.tensor(1.0), torch.tensor(1.5))
    with pytest.raises(AssertionError, match="Tensor-likes are not equal!"):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))
    with pytest.raises(AssertionError, match="'dtype' do not match: torch.int64 != "
                                             "torch.float32"):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match=r"'shape' do not match: torch.Size\(\[2\]\)"):
        torch.testing.assert_close(torch.zeros(2), torch.zeros(3))
    with pytest.raises(AssertionError, match=r"occurred for item \[1\]"):
        torch.testing.assert_close([torch.zeros(1), torch.zeros(1)],
                                   [torch.zeros(1), torch.ones(1)])
    with pytest.raises(AssertionError, match="^custom$"):
        torch.testing.assert_close(torch.zeros(1), torch.ones(1), msg="custom")
    with pytest.raises(ValueError, match="but got no atol"):
        torch.testing.assert_close(torch.zeros(1), torch.zeros(1), rtol=1e-3)
    with pytest.raises(TypeError, match="No comparison pair"):
        torch.testing.assert_close(torch.zeros(1), [0.0])


def test_make_tensor():
    t = torch.testing.make_tensor(2, 3, dtype=torch.float32, low=-1, high=1)
    assert t.shape == (2, 3) and t.dtype == torch.float32
    assert float(t.min()) >= -1 and float(t.max()) <= 1
    i = torch.testing.make_tensor((50,), dtype=torch.int64, exclude_zero=True)
    assert i.dtype == torch.int64 and -9 <= int(i.min()) and int(i.max()) < 10
    assert not (i == 0).any()
    g = torch.testing.make_tensor(3, dtype=torch.float64, requires_grad=True)
    assert g.requires_grad and g.dtype == torch.float64
    assert torch.testing.make_tensor(4, dtype=torch.bool).dtype == torch.bool


# ---------------------------------------------------------------- runtime knobs


@pytest.fixture
def printoptions():
    yield
    torch.set_printoptions(profile="default")


def test_printoptions_change_repr(printoptions):
    t = torch.tensor([0.123456, 1.5])
    assert repr(t) == "tensor([0.1235, 1.5000])"
    torch.set_printoptions(precision=2)
    assert repr(t) == "tensor([0.12, 1.50])"
    torch.set_printoptions(sci_mode=True)
    assert repr(t) == "tensor([1.23e-01, 1.50e+00])"  # precision 2 stays
    torch.set_printoptions(threshold=5, edgeitems=2)
    assert repr(torch.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
    torch.set_printoptions(profile="default")
    assert repr(torch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(torch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert torch.get_printoptions()["precision"] == 4


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_numpy(name):
    info, ref = torch.finfo(getattr(torch, name)), np.finfo(name)
    assert (info.bits, info.eps, info.max, info.min) == (ref.bits, ref.eps, ref.max, ref.min)
    assert info.tiny == info.smallest_normal == ref.smallest_normal
    assert info.resolution == ref.resolution and info.dtype == name
    assert torch.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_numpy(name):
    info, ref = torch.iinfo(getattr(torch, name)), np.iinfo(name)
    assert (info.bits, info.max, info.min, info.dtype) == (ref.bits, ref.max, ref.min, name)
    with pytest.raises(TypeError):
        torch.iinfo(torch.float32)


def test_rng_state_restores_samples():
    torch.manual_seed(7)
    torch.rand(1)
    state = torch.get_rng_state()
    assert state.dtype == torch.uint8 and state.dim() == 1
    a, b = torch.randn(4), torch.randint(0, 100, (3,))
    torch.manual_seed(123)  # anything in between
    torch.set_rng_state(state)
    assert torch.equal(torch.randn(4), a) and torch.equal(torch.randint(0, 100, (3,)), b)
    assert torch.initial_seed() == 7
    with pytest.raises(RuntimeError, match="get_rng_state"):
        torch.set_rng_state(torch.zeros(3, dtype=torch.uint8))
    s = torch.seed()
    assert torch.initial_seed() == s


def test_threads_and_determinism():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        torch.set_num_interop_threads(2)
        assert torch.get_num_interop_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert torch.get_num_threads() == before
    try:
        torch.use_deterministic_algorithms(True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    assert not torch.are_deterministic_algorithms_enabled()


def test_backends_amp_hub():
    cudnn = torch.backends.cudnn
    old = cudnn.deterministic
    cudnn.deterministic, cudnn.benchmark = True, False
    assert torch.backends.cudnn.deterministic
    cudnn.deterministic = old
    assert torch.backends.mps.is_available() is False
    assert isinstance(torch.backends.cuda.is_built(), bool)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler()
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        loss = model(torch.ones(1, 2)).sum()
    assert loss.dtype == torch.float32
    before = model.weight.detach().clone()
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    assert not torch.equal(model.weight.detach(), before) and scaler.get_scale() == 1.0
    with pytest.raises(NotImplementedError, match="no network"):
        torch.hub.load("pytorch/vision", "resnet18")


def test_float32_matmul_precision_and_bfloat16_name():
    """Scripts set these up front: the precision is recorded (NumPy's float32 GEMM is what
    runs); torch.bfloat16 exists for autocast(dtype=...) but a tensor of it is a clear error."""
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")
        assert torch.get_float32_matmul_precision() == "high"
        with pytest.raises(RuntimeError, match="precision"):
            torch.set_float32_matmul_precision("fast")
    finally:
        torch.set_float32_matmul_precision(before)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        assert (torch.ones(2) * 2).dtype == torch.float32
    with pytest.raises(TypeError, match="bfloat16"):
        torch.zeros(2, dtype=torch.bfloat16)
