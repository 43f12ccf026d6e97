"""paddle.jit (to_static, save/load), paddle.vision (transforms, MNIST, LeNet), paddle.device,
paddle.amp, and the top-level set_printoptions / iinfo / finfo / DataParallel / flops."""
from __future__ import annotations

import gzip
import os
import random

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
from dualnet_static import static
from dualnet_static.static import InputSpec
from dualnet_static.vision import transforms as T
from dualnet_static.vision.transforms import functional as F
from tests.static.implicit_helpers import fresh_dynamic_mode


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def _mlp():
    paddle.seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


X = np.random.RandomState(0).randn(5, 4).astype("float32")
Y = np.random.RandomState(1).randn(5, 3).astype("float32")


# ---------------------------------------------------------------- jit


def test_to_static_matches_dynamic_and_runs_one_program_for_every_batch_size():
    net = _mlp()
    ref = net(paddle.to_tensor(X)).numpy()
    snet = paddle.jit.to_static(net, input_spec=[InputSpec([None, 4], "float32", "x")])
    assert snet is net and isinstance(net.forward, paddle.jit.StaticFunction)
    with paddle.no_grad():
        out = snet(paddle.to_tensor(X))
        small = snet(paddle.to_tensor(X[:2]))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(small.numpy(), ref[:2], rtol=1e-6)
    assert out.stop_gradient and len(net.forward._programs) == 1
    assert net.forward.concrete_program.inputs[0].shape == [-1, 4]
    with pytest.raises(ValueError, match=r"input_spec declares \[-1, 4\]"):
        snet(paddle.to_tensor(np.zeros((2, 5), "float32")))


def _train(net, steps=4):
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    losses = []
    for _ in range(steps):
        loss = ((net(paddle.to_tensor(X)) - paddle.to_tensor(Y)) ** 2).mean()
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    return losses


def test_training_through_to_static_equals_training_without_it():
    plain = _train(_mlp())
    static_net = paddle.jit.to_static(_mlp(), input_spec=[InputSpec([None, 4])])
    converted = _train(static_net)
    np.testing.assert_allclose(converted, plain, rtol=1e-6)
    assert converted[-1] < converted[0]


def test_to_static_decorator_on_forward_and_on_a_function():
    class Net(nn.Layer):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        @paddle.jit.to_static(input_spec=[InputSpec([None, 4], "float32")])
        def forward(self, x):
            return paddle.nn.functional.relu(self.fc(x))

    net = Net()
    net.eval()
    with paddle.no_grad():
        out = net(paddle.to_tensor(X)).numpy()
    w, b = net.fc.weight.numpy(), net.fc.bias.numpy()
    np.testing.assert_allclose(out, np.maximum(X @ w + b, 0), rtol=1e-5, atol=1e-6)

    @paddle.jit.to_static
    def f(x, y):
        return x * 2 + y, x - y

    a, b2 = f(paddle.to_tensor(X), paddle.to_tensor(X))
    np.testing.assert_allclose(a.numpy(), 3 * X, rtol=1e-6)
    np.testing.assert_allclose(b2.numpy(), 0 * X)
    paddle.jit.enable_to_static(False)
    try:
        assert len(f._programs) == 1  # plain Python now: no new program
        np.testing.assert_allclose(f(paddle.to_tensor(X[:2]), paddle.to_tensor(X[:2]))[0]
                                   .numpy(), 3 * X[:2], rtol=1e-6)
        assert len(f._programs) == 1
    finally:
        paddle.jit.enable_to_static(True)
    with static.program_guard(static.Program(), static.Program()):  # explicit: builds ops
        xv = static.data("x", [None, 4], "float32")
        out_a, _ = f(xv, xv)
        assert out_a.shape == [-1, 4] and out_a.block.ops


def test_jit_save_load_round_trip(tmp_path):
    net = paddle.vision.models.LeNet()
    x = np.random.RandomState(2).rand(3, 1, 28, 28).astype("float32")
    net.eval()
    ref = net(paddle.to_tensor(x)).numpy()
    path = str(tmp_path / "lenet" / "model")
    paddle.jit.save(net, path, input_spec=[InputSpec([None, 1, 28, 28], "float32", "image")])
    assert sorted(os.listdir(tmp_path / "lenet")) == ["model.json", "model.safetensors"]
    loaded = paddle.jit.load(path)
    assert isinstance(loaded, paddle.jit.TranslatedLayer) and not loaded.training
    np.testing.assert_allclose(loaded(paddle.to_tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-6)
    assert len(loaded.parameters()) == len(net.parameters()) == 10
    assert loaded.parameters()[0].numpy().shape == (6, 1, 3, 3)
    net.fc[2].bias.set_value(np.ones(10, "float32"))  # the loaded copy shares nothing
    np.testing.assert_allclose(loaded(paddle.to_tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-6)
    program, feeds, fetches = static.load_inference_model(path, static.Executor())
    assert feeds == ["image"]
    with pytest.raises(ValueError, match="input_spec"):
        paddle.jit.save(_mlp(), str(tmp_path / "m2"))


# ---------------------------------------------------------------- vision transforms


IMG = np.random.RandomState(3).randint(0, 256, (6, 8, 3)).astype(np.uint8)


def _bilinear_ref(img, oh, ow):
    """OpenCV-style bilinear with half-pixel centres, by explicit loops."""
    h, w = img.shape[:2]
    out = np.zeros((oh, ow) + img.shape[2:])
    for i in range(oh):
        for j in range(ow):
            sy = min(max((i + 0.5) * h / oh - 0.5, 0), h - 1)
            sx = min(max((j + 0.5) * w / ow - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = sy - y0, sx - x0
            out[i, j] = ((1 - fy) * (1 - fx) * img[y0, x0] + (1 - fy) * fx * img[y0, x1]
                         + fy * (1 - fx) * img[y1, x0] + fy * fx * img[y1, x1])
    return out


def test_resize_nearest_and_bilinear_against_loops():
    f = IMG.astype(np.float32)
    np.testing.assert_allclose(F.resize(f, (9, 5)), _bilinear_ref(f, 9, 5), rtol=1e-5)
    out8 = F.resize(IMG, (9, 5))
    assert out8.dtype == np.uint8
    np.testing.assert_allclose(out8, _bilinear_ref(f, 9, 5), atol=0.5 + 1e-6)  # rounded
    near = F.resize(IMG, (3, 4), interpolation="nearest")
    np.testing.assert_array_equal(near, IMG[[0, 2, 4]][:, [0, 2, 4, 6]])
    assert T.Resize(4)(IMG).shape == (4, 5, 3)  # int: the smaller edge, aspect kept


def test_crops_flips_pad_transpose_grayscale_normalize():
    np.testing.assert_array_equal(T.CenterCrop(4)(IMG), IMG[1:5, 2:6])
    np.testing.assert_array_equal(F.hflip(IMG), IMG[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(IMG), IMG[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(IMG), IMG)
    random.seed(0)
    crop = T.RandomCrop(4)(IMG)
    assert crop.shape == (4, 4, 3) and any(
        np.array_equal(crop, IMG[i:i + 4, j:j + 4]) for i in range(3) for j in range(5))
    padded = T.Pad((1, 2), fill=7)(IMG)
    assert padded.shape == (10, 10, 3) and padded[0, 0, 0] == 7
    np.testing.assert_array_equal(padded[2:-2, 1:-1], IMG)
    np.testing.assert_array_equal(F.pad(IMG, 1, padding_mode="reflect"),
                                  np.pad(IMG, ((1, 1), (1, 1), (0, 0)), mode="reflect"))
    assert T.Transpose()(IMG).shape == (3, 6, 8)
    gray = T.Grayscale()(IMG.astype(np.float32))
    np.testing.assert_allclose(gray[..., 0], IMG @ np.array([0.299, 0.587, 0.114]), rtol=1e-5)
    chw = IMG.transpose(2, 0, 1).astype(np.float32)
    norm = T.Normalize([1.0, 2.0, 3.0], [2.0, 4.0, 8.0])(chw)
    np.testing.assert_allclose(norm[2], (chw[2] - 3.0) / 8.0)


def test_to_tensor_compose_and_keys():
    t = T.ToTensor()(IMG)
    assert isinstance(t, paddle.Tensor) and t.shape == [3, 6, 8]
    np.testing.assert_allclose(t.numpy(), IMG.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    pipeline = T.Compose([T.CenterCrop(4), T.ToTensor(), T.Normalize(0.5, 0.5)])
    out = pipeline(IMG).numpy()
    np.testing.assert_allclose(out, (IMG[1:5, 2:6].transpose(2, 0, 1) / 255.0 - 0.5) / 0.5,
                               rtol=1e-5, atol=1e-6)
    image, label = T.RandomHorizontalFlip(1.0, keys=("image", "label"))((IMG, 3))
    np.testing.assert_array_equal(image, IMG[:, ::-1])
    assert label == 3
    flipped = F.hflip(paddle.to_tensor(IMG.transpose(2, 0, 1)))  # tensors are CHW
    np.testing.assert_array_equal(flipped.numpy(), IMG.transpose(2, 0, 1)[:, :, ::-1])


# ---------------------------------------------------------------- datasets, models


def _write_idx(path, array, code):
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(array.dtype.newbyteorder(">")).tobytes())


def test_mnist_reads_local_idx_files(tmp_path):
    images = np.random.RandomState(4).randint(0, 256, (7, 28, 28)).astype(np.uint8)
    labels = np.arange(7, dtype=np.uint8) % 10
    _write_idx(tmp_path / "img.gz", images, 0x08)
    _write_idx(tmp_path / "lbl.gz", labels, 0x08)
    ds = paddle.vision.datasets.MNIST(str(tmp_path / "img.gz"), str(tmp_path / "lbl.gz"),
                                      mode="test", transform=T.ToTensor())
    assert len(ds) == 7
    image, label = ds[3]
    assert image.shape == [1, 28, 28] and label.dtype == np.int64 and label.tolist() == [3]
    np.testing.assert_allclose(image.numpy()[0], images[3] / 255.0, rtol=1e-6)
    raw = paddle.vision.datasets.FashionMNIST(str(tmp_path / "img.gz"),
                                              str(tmp_path / "lbl.gz"), backend="cv2")
    assert raw[0][0].dtype == np.float32 and raw[0][0].shape == (28, 28)
    loader = paddle.io.DataLoader(ds, batch_size=4)
    xb, yb = next(iter(loader))
    assert list(xb.shape) == [4, 1, 28, 28] and list(yb.shape) == [4, 1]
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        paddle.vision.datasets.MNIST(str(tmp_path / "img.gz"), None, mode="test",
                                     download=True)


def test_dataset_folder_over_npy(tmp_path):
    for cls, n in (("cat", 2), ("dog", 3)):
        os.makedirs(tmp_path / cls)
        for i in range(n):
            np.save(tmp_path / cls / f"{i}.npy", np.full((4, 4, 3), i, np.uint8))
    ds = paddle.vision.datasets.DatasetFolder(str(tmp_path), transform=T.Transpose())
    assert ds.classes == ["cat", "dog"] and len(ds) == 5 and ds.targets == [0, 0, 1, 1, 1]
    sample, target = ds[4]
    assert sample.shape == (3, 4, 4) and target == 1 and sample.max() == 2
    assert len(paddle.vision.datasets.ImageFolder(str(tmp_path))) == 5


def test_lenet_shape_params_and_flops(capsys):
    net = paddle.vision.models.LeNet()
    assert net(paddle.randn([2, 1, 28, 28])).shape == [2, 10]
    assert sum(int(np.prod(p.shape)) for p in net.parameters()) == 61610
    assert paddle.vision.LeNet(num_classes=0)(paddle.randn([1, 1, 28, 28])).shape == \
        [1, 16, 5, 5]
    # conv: out elems x (k*k*cin + 1); linear: out elems x in; pools/relu: 0
    hand = 6 * 28 * 28 * 10 + 16 * 10 * 10 * (6 * 25 + 1) + 120 * 400 + 84 * 120 + 10 * 84
    assert paddle.flops(net, [1, 1, 28, 28], print_detail=True) == hand == 347560
    out = capsys.readouterr().out
    assert "Total Flops: 347560" in out and "linear_" in out
    small = nn.Sequential(nn.Conv2D(3, 4, 3, bias_attr=False), nn.BatchNorm2D(4),
                          nn.AvgPool2D(2), nn.Flatten(), nn.Linear(4, 2))
    hand = 4 * 2 * 2 * 27 + 2 * 4 * 2 * 2 + 4 * 1 * 1 + 2 * 4
    assert paddle.flops(small, [1, 3, 4, 4]) == hand
    assert small.training  # modes restored


# ---------------------------------------------------------------- top level, device, amp


def test_printoptions_change_tensor_printing():
    from dualnet_static import _runtime

    saved = np.get_printoptions()
    try:
        t = paddle.to_tensor(np.array([1.0 / 3, 2.0], "float32"))
        paddle.set_printoptions(precision=2)
        assert "0.33," in str(t) and "0.3333" not in str(t)
        paddle.set_printoptions(sci_mode=True)
        assert "3.33e-01" in str(t)
        paddle.set_printoptions(precision=4, sci_mode=False, threshold=5, edgeitems=1)
        assert "..." in str(paddle.arange(20))
        with pytest.raises(TypeError, match="precision"):
            paddle.set_printoptions(precision=-1)
        assert np.get_printoptions() == saved  # NumPy's own printing is left alone
    finally:
        _runtime.PRINT_OPTIONS.clear()


def test_iinfo_finfo_against_numpy():
    for dt in ("int8", "int16", "int32", "int64", "uint8"):
        info, ref = paddle.iinfo(getattr(paddle, dt)), np.iinfo(dt)
        assert (info.min, info.max, info.bits, info.dtype) == (ref.min, ref.max, ref.bits, dt)
    for dt in ("float16", "float32", "float64"):
        info, ref = paddle.finfo(dt), np.finfo(dt)
        assert (info.eps, info.max, info.min, info.tiny, info.resolution, info.bits) == \
            (ref.eps, ref.max, ref.min, ref.smallest_normal, ref.resolution, ref.bits)
    with pytest.raises(TypeError, match="finfo"):
        paddle.iinfo(paddle.float32)


def test_data_parallel_forwards_everything():
    net = _mlp()
    dp = paddle.DataParallel(net)
    assert isinstance(dp, paddle.DataParallel) and isinstance(dp, nn.Layer)
    assert list(dp.state_dict()) == list(net.state_dict())
    assert [p.name for p in dp.parameters()] == [p.name for p in net.parameters()]
    np.testing.assert_allclose(dp(paddle.to_tensor(X)).numpy(),
                               net(paddle.to_tensor(X)).numpy())
    with dp.no_sync():
        assert not dp.grad_need_sync
    with pytest.raises(TypeError, match="Layer"):
        paddle.DataParallel(lambda x: x)


def test_device_and_amp_are_cpu_pass_throughs():
    assert paddle.device.get_device() == "cpu" and "cpu" in paddle.device.get_all_device_type()
    assert paddle.device.cuda.device_count() == 0 or paddle.device.is_compiled_with_cuda()
    paddle.device.cuda.synchronize()
    paddle.device.cuda.empty_cache()
    assert paddle.device.set_device("cpu").is_cpu_place()
    net = _mlp()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    model, opt2 = paddle.amp.decorate(net, opt, level="O2")
    assert model is net and opt2 is opt
    scaler = paddle.amp.GradScaler(init_loss_scaling=1024)
    before = net[0].weight.numpy().copy()
    with paddle.amp.auto_cast():
        loss = ((net(paddle.to_tensor(X)) - paddle.to_tensor(Y)) ** 2).mean()
    scaled = scaler.scale(loss)
    scaled.backward()
    grad = net[0].weight.grad.numpy().copy()
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(net[0].weight.numpy(), before - 0.1 * grad, rtol=1e-5,
                               atol=1e-7)
