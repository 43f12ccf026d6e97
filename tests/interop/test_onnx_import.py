"""interop.onnx.load: PyTorch-exported models, dynamic dims, opsets, initializers, external
data, shapes computed at run time, fine-tuning through to_eager, and clear errors for bad
files."""
from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import dualnet_eager as torch
from interop.onnx import NeedsStaticValue, OnnxImportError, export, load

ort = pytest.importorskip("onnxruntime")

DATA = os.path.join(os.path.dirname(__file__), "data")
TORCH_MODELS = ["mlp_torchscript_opset13", "mlp_dynamo_opset18", "lenet_torchscript_opset13",
                "lenet_dynamo_opset18"]


def _model(nodes, inputs, outputs, inits=(), opset=17, ir_version=8):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=ir_version)


def _vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def _ort(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


# ---------------------------------------------------------------- models exported by PyTorch

@pytest.mark.parametrize("name", TORCH_MODELS)
def test_pytorch_model_matches_reference(name):
    model = load(os.path.join(DATA, name + ".onnx"))
    ref = np.load(os.path.join(DATA, name + ".npz"))
    np.testing.assert_allclose(model(ref["x"]), ref["y"], atol=1e-5)
    assert model.feed_names == ["x"] and model.fetch_names == ["y"]
    for batch in (1, 5):  # the batch dim is a dim_param: any batch size runs
        x = np.random.default_rng(batch).standard_normal((batch, 1, 28, 28)).astype("float32")
        expected = _ort(onnx.load(os.path.join(DATA, name + ".onnx"))).run(None, {"x": x})[0]
        np.testing.assert_allclose(model(x), expected, atol=1e-5)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_pytorch_model_reexports_for_onnxruntime(name, tmp_path):
    model = load(os.path.join(DATA, name + ".onnx"))
    ref = np.load(os.path.join(DATA, name + ".npz"))
    proto = export(model, tmp_path / "again.onnx")
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    got = _ort(proto).run(None, {"x": ref["x"]})[0]
    np.testing.assert_allclose(got, ref["y"], atol=1e-5)
    np.testing.assert_allclose(load(tmp_path / "again.onnx")(ref["x"]), ref["y"], atol=1e-5)


@pytest.mark.parametrize("name", ["mlp_torchscript_opset13", "lenet_dynamo_opset18"])
def test_pytorch_model_fine_tunes_through_to_eager(name):
    model = load(os.path.join(DATA, name + ".onnx"))
    ref = np.load(os.path.join(DATA, name + ".npz"))
    net = model.to_eager()
    assert "fc1.weight" in net.state_dict()  # PyTorch's state-dict names survive
    net.eval()
    np.testing.assert_allclose(net(torch.tensor(ref["x"])).detach().numpy(), ref["y"],
                               atol=1e-5)
    net.train()
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((16, 1, 28, 28)).astype("float32"))
    target = torch.tensor(rng.integers(0, 10, 16))
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(model(ref["x"]), ref["y"], atol=1e-5)  # copy=True: untouched


def _lenet_at_opset(opset: int) -> onnx.ModelProto:
    """The TorchScript LeNet (Conv, Relu, MaxPool, Constant, Reshape, Gemm) declared at another
    opset: these operators read the same there, except MaxPool's ceil_mode and dilations (10)."""
    m = onnx.load(os.path.join(DATA, "lenet_torchscript_opset13.onnx"))
    m.opset_import[0].version = opset
    for node in m.graph.node:
        if node.op_type == "MaxPool" and opset < 10:
            keep = [a for a in node.attribute if a.name not in ("ceil_mode", "dilations")]
            del node.attribute[:]
            node.attribute.extend(keep)
    return m


@pytest.mark.parametrize("opset", [7, 9, 11, 13, 15, 18, 21, onnx.defs.onnx_opset_version()])
def test_opsets_from_7_load(opset):
    ref = np.load(os.path.join(DATA, "lenet_torchscript_opset13.npz"))
    model = load(_lenet_at_opset(opset))
    assert model.opset == opset
    np.testing.assert_allclose(model(ref["x"]), ref["y"], atol=1e-5)


# ---------------------------------------------------------------- graph features

def test_initializers_listed_as_inputs_are_not_call_arguments():
    w = numpy_helper.from_array(np.full((3, 2), 0.5, np.float32), "w")
    m = _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
               [_vi("x", ["n", 3]), _vi("w", [3, 2])], [_vi("y", ["n", 2])], [w], ir_version=3)
    model = load(m)
    assert model.feed_names == ["x"]
    np.testing.assert_allclose(model(np.ones((4, 3), np.float32)), np.full((4, 2), 1.5))


def test_constant_nodes_several_outputs_and_dim_params():
    const = helper.make_node("Constant", [], ["c"],
                             value=numpy_helper.from_array(np.array([1.0, 2.0], np.float32)))
    nodes = [const, helper.make_node("Add", ["x", "c"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Neg", ["a"], ["n"])]
    m = _model(nodes, [_vi("x", ["batch", 2])], [_vi("r", ["batch", 2]), _vi("n", ["batch", 2])])
    model = load(m)
    assert model.feed_vars[0].shape == [-1, 2]
    x = np.array([[-3.0, 0.0], [1.0, -5.0], [0.5, 0.5]], np.float32)
    r, n = model(x)
    np.testing.assert_allclose(r, np.maximum(x + [1, 2], 0))
    np.testing.assert_allclose(n, -(x + [1, 2]))


def test_batch_norm_statistics_are_buffers_and_weights_parameters():
    c = 3
    inits = [numpy_helper.from_array(v.astype(np.float32), n) for n, v in
             (("s", np.ones(c)), ("b", np.zeros(c)), ("m", np.arange(c)), ("v", np.ones(c)))]
    m = _model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
               [_vi("x", ["n", c, 2, 2])], [_vi("y", ["n", c, 2, 2])], inits)
    model = load(m)
    params = {p.name for p in model.parameters()}
    assert params == {"s", "b"}
    assert set(model.state_dict()) == {"s", "b", "m", "v"}
    x = np.random.default_rng(0).standard_normal((2, c, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(model(x), _ort(m).run(None, {"x": x})[0], atol=1e-5)


def test_unsigned_types_are_widened_at_the_boundary():
    m = _model([helper.make_node("Add", ["x", "y"], ["z"])],
               [_vi("x", [3], TensorProto.UINT16), _vi("y", [3], TensorProto.UINT16)],
               [_vi("z", [3], TensorProto.UINT16)])
    out = load(m)(np.array([1, 2, 3], np.uint16), np.array([4, 5, 6], np.uint16))
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, [5, 7, 9])


def _dynamic_reshape_model():
    ints = {"zero": np.array(0, np.int64), "ax0": np.array([0], np.int64),
            "twelve": np.array([12], np.int64), "two": np.array([2], np.int64),
            "six": np.array([6], np.int64), "one": np.array([1], np.int64)}
    inits = [numpy_helper.from_array(v, k) for k, v in ints.items()]
    inits.append(numpy_helper.from_array(np.linspace(0, 1, 12, dtype=np.float32)
                                         .reshape(1, 12), "bias"))
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
        helper.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
        helper.make_node("Concat", ["b1", "twelve"], ["shp"], axis=0),
        helper.make_node("Reshape", ["x", "shp"], ["y"]),  # [batch, 12]: copies the batch dim
        helper.make_node("Mul", ["b1", "two"], ["b2"]),
        helper.make_node("Concat", ["b2", "six"], ["shp2"], axis=0),
        helper.make_node("Reshape", ["x", "shp2"], ["z"]),  # [2 * batch, 6]: one unknown
        helper.make_node("Concat", ["b1", "one", "twelve"], ["shp3"], axis=0),
        helper.make_node("Expand", ["bias", "shp3"], ["e"]),  # [batch, 1, 12]: at run time
        helper.make_node("ConstantOfShape", ["shp3"], ["c"],
                         value=numpy_helper.from_array(np.array([2.5], np.float32))),
    ]
    outputs = [_vi("y", ["batch", 12]), _vi("z", ["b2", 6]), _vi("e", ["batch", 1, 12]),
               _vi("c", ["batch", 1, 12])]
    return _model(nodes, [_vi("x", ["batch", 3, 4])], outputs, inits)


def test_shapes_computed_at_run_time():
    m = _dynamic_reshape_model()
    model = load(m)
    ops = [op.type for op in model.program.global_block().ops]
    assert ops.count("reshape") == 2 and "reshape_dynamic" not in ops  # known parts folded
    sess = _ort(m)
    for batch in (1, 2, 5):
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4)).astype(np.float32)
        for got, want in zip(model(x), sess.run(None, {"x": x})):
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_shape_inputs_need_import_time_values():
    m = _model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
               [_vi("x", [2, 6]), _vi("shape", [2], TensorProto.INT64)], [_vi("y", [3, 4])])
    with pytest.raises(NeedsStaticValue, match=r"constants=\{'shape'"):
        load(m)
    model = load(m, constants={"shape": np.array([3, 4])})
    assert model.feed_names == ["x"]
    assert model(np.arange(12, dtype=np.float32).reshape(2, 6)).shape == (3, 4)


def test_external_data_is_read(tmp_path):
    src = onnx.load(os.path.join(DATA, "mlp_torchscript_opset13.onnx"))
    path = tmp_path / "ext.onnx"
    onnx.save_model(src, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.data", size_threshold=0)
    assert os.path.getsize(path) < 10_000
    ref = np.load(os.path.join(DATA, "mlp_torchscript_opset13.npz"))
    np.testing.assert_allclose(load(path)(ref["x"]), ref["y"], atol=1e-5)


# ---------------------------------------------------------------- bad input: clear errors

def test_missing_external_data_file(tmp_path):
    src = onnx.load(os.path.join(DATA, "mlp_torchscript_opset13.onnx"))
    path = tmp_path / "ext.onnx"
    onnx.save_model(src, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    os.remove(tmp_path / "weights.bin")
    with pytest.raises(OnnxImportError, match="external file 'weights.bin', which is missing"):
        load(path)


def test_truncated_external_data_file(tmp_path):
    src = onnx.load(os.path.join(DATA, "mlp_torchscript_opset13.onnx"))
    path = tmp_path / "ext.onnx"
    onnx.save_model(src, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    with open(tmp_path / "weights.bin", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(OnnxImportError, match="weights.bin"):
        load(path)


def test_empty_truncated_and_foreign_files(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(OnnxImportError, match="is empty"):
        load(empty)
    data = open(os.path.join(DATA, "lenet_dynamo_opset18.onnx"), "rb").read()
    for cut in (len(data) // 2, len(data) - 7, 100):
        short = tmp_path / f"short{cut}.onnx"
        short.write_bytes(data[:cut])
        with pytest.raises(OnnxImportError, match="not an ONNX model|truncated|checker"):
            load(short)
    text = tmp_path / "notes.onnx"
    text.write_text("these are not the weights you are looking for\n" * 20)
    with pytest.raises(OnnxImportError, match="not an ONNX model"):
        load(text)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "nowhere.onnx")


def test_model_failing_the_checker():
    m = _model([helper.make_node("Relu", ["ghost"], ["y"])], [_vi("x", [2])], [_vi("y", [2])])
    with pytest.raises(OnnxImportError, match="fails the ONNX checker"):
        load(m)


def test_unsupported_ops_are_listed_at_once():
    nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"]),
             helper.make_node("RoiAlign", ["v"], ["a"]),
             helper.make_node("Relu", ["a"], ["y"]),
             helper.make_node("Frobnicate", ["y"], ["z"], domain="com.example")]
    k = numpy_helper.from_array(np.array([2], np.int64), "k")
    g = helper.make_graph(nodes, "g", [_vi("x", [4])], [_vi("z", [2])], [k])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.example", 1)],
                          ir_version=8)
    with pytest.raises(OnnxImportError) as info:
        load(m, check=False)
    msg = str(info.value)
    assert "3 ONNX operator(s)" in msg
    for part in ("RoiAlign (opset 17)", "TopK (opset 17)", "com.example.Frobnicate (opset 1)"):
        assert part in msg


def test_call_checks_argument_count():
    model = load(os.path.join(DATA, "mlp_torchscript_opset13.onnx"))
    with pytest.raises(TypeError, match=r"takes 1 input\(s\) \(x\), got 2"):
        model(np.zeros((1, 1, 28, 28), np.float32), 1)
