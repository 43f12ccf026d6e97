"""interop.to_static on the model zoo: outputs, gradients and training agree with the eager
model, through one program with a dynamic batch dim; train/eval programs; retracing."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_eager as torch
from dualnet.ops.registry import OpError
import dualnet_static as paddle
import interop
from dualnet_static import static
from tests.interop.zoo import ZOO, build

BATCHES = (4, 1, 7)  # the traced one and two others, through one program


@pytest.fixture(params=ZOO, ids=[e.name for e in ZOO])
def entry(request):
    return request.param


def _tensors(arrays):
    return [torch.from_numpy(a) for a in arrays]


def _eager(model, xs, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    with torch.no_grad():
        return model(*_tensors(xs)).numpy()


def _static(sm, xs, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return sm(*xs)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_outputs_match_eager_at_three_batch_sizes(entry, mode):
    model = build(entry.name)
    model.train(mode == "train")
    sm = interop.to_static(model, input_spec=entry.input_spec)
    rng = np.random.default_rng(0)
    for b in BATCHES:
        xs = entry.inputs(rng, b)
        # same seed: dropout draws the same masks eagerly and in the program
        np.testing.assert_allclose(_static(sm, xs, seed=b), _eager(model, xs, seed=b),
                                   atol=1e-5, rtol=1e-5, err_msg=f"batch {b}")
    assert sum(len(t) for t in sm._traces.values()) == 1, "one program for every batch size"
    assert sm.program.global_block().var(entry.input_spec[0].name).shape[0] == -1


def _static_loss_program(entry, sm):
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        inputs = [static.data(s.name, s.shape, s.dtype.np.name) for s in entry.input_spec]
        label = static.data("label", [None], "int64")
        loss = entry.loss(sm(*inputs), label)
    return main, startup, loss


def _feed(entry, xs, y):
    feed = {s.name: x for s, x in zip(entry.input_spec, xs)}
    feed["label"] = y
    return feed


def test_gradients_match_eager_tape(entry):
    model = build(entry.name)
    model.train()
    sm = interop.to_static(model, input_spec=entry.input_spec)
    rng = np.random.default_rng(1)
    xs, y = entry.inputs(rng, 5), entry.target(rng, 5)
    torch.manual_seed(7)
    loss = entry.loss(model(*_tensors(xs)), torch.from_numpy(y))
    loss.backward()
    main, _, sloss = _static_loss_program(entry, sm)
    params_grads = static.append_backward(sloss)
    torch.manual_seed(7)
    got = static.Executor().run(main, feed=_feed(entry, xs, y),
                                fetch_list=[sloss] + [g for _, g in params_grads])
    np.testing.assert_allclose(got[0], loss.item(), rtol=1e-6)
    grads = {p.name: g for (p, _), g in zip(params_grads, got[1:])}
    expected = {n: p.grad.numpy() for n, p in model.named_parameters()}
    assert grads.keys() == expected.keys()
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g, atol=1e-5, rtol=1e-4, err_msg=name)


def test_five_sgd_steps_leave_the_same_parameters(entry):
    eager_model, static_model = build(entry.name), build(entry.name)
    eager_model.train()
    static_model.train()
    opt = torch.optim.SGD(eager_model.parameters(), lr=0.1)
    sm = interop.to_static(static_model, input_spec=entry.input_spec)
    main, startup, loss = _static_loss_program(entry, sm)
    with static.program_guard(main, startup):
        paddle.optimizer.SGD(learning_rate=0.1).minimize(loss)
    exe = static.Executor()
    exe.run(startup)
    rng = np.random.default_rng(2)
    for step in range(5):
        xs, y = entry.inputs(rng, 6), entry.target(rng, 6)
        torch.manual_seed(step)
        opt.zero_grad()
        eager_loss = entry.loss(eager_model(*_tensors(xs)), torch.from_numpy(y))
        eager_loss.backward()
        opt.step()
        torch.manual_seed(step)
        (static_loss,) = exe.run(main, feed=_feed(entry, xs, y), fetch_list=[loss])
        np.testing.assert_allclose(static_loss, eager_loss.item(), rtol=1e-5)
    want, got = eager_model.state_dict(), static_model.state_dict()
    for name in want:  # parameters and buffers (batch-norm statistics)
        np.testing.assert_allclose(got[name].numpy(), want[name].numpy(), atol=1e-5,
                                   rtol=1e-4, err_msg=name)


def test_train_and_eval_programs():
    model = build("resnet")
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 3, 16, 16])])
    train_prog = sm.train().program
    eval_prog = sm.eval().program
    assert train_prog is not eval_prog and not model.training

    def bn_attrs(p):
        return [op.attrs["training"] for op in p.global_block().ops if op.type == "batch_norm"]

    assert all(bn_attrs(train_prog)) and not any(bn_attrs(eval_prog))
    written = {v.name for op in train_prog.global_block().ops for v in op.outputs
               if v is not None and v.persistable}
    assert {"bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"} <= written
    assert not any(v is not None and v.persistable
                   for op in eval_prog.global_block().ops for v in op.outputs)
    # a train-mode call updates the eager model's own statistics (shared, not copied)
    x = np.random.default_rng(0).standard_normal((4, 3, 16, 16)).astype(np.float32)
    before = model.bn1.running_mean.numpy().copy()
    sm.train()(x)
    assert int(model.bn1.num_batches_tracked.item()) == 1
    assert not np.allclose(model.bn1.running_mean.numpy(), before)
    sm.eval()
    np.testing.assert_allclose(sm(x), _eager(model, [x]), atol=1e-5)
    assert sum(len(t) for t in sm._traces.values()) == 2


def test_tracing_leaves_no_trace_in_the_model():
    model = build("resnet").train()
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    torch.manual_seed(3)
    expected = torch.randn(2)
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 3, 16, 16])])
    torch.manual_seed(3)
    sm.program  # traces with a made-up example in train mode
    np.testing.assert_array_equal(torch.randn(2).numpy(), expected.numpy())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k], err_msg=k)
    assert model.training


@pytest.mark.parametrize("name", ["resnet", "transformer"])
def test_tracing_leaves_no_cyclic_garbage_holding_the_examples_arrays(name):
    """The traced eager run's arrays go when the program is built (by reference count: the
    tracer's SymInts refer back to it, and its tables held every array the run made)."""
    import gc

    entry = next(e for e in ZOO if e.name == name)
    xs = entry.inputs(np.random.default_rng(0), 37)  # a batch no other array here has
    model = build(name).eval()
    gc.collect()
    gc.disable()
    try:
        sm = interop.to_static(model, input_spec=entry.input_spec)
        sm(*xs)  # traces on these inputs, then runs the plan
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        held = [r.shape for o in gc.garbage for r in gc.get_referents(o)
                if isinstance(r, np.ndarray) and r.ndim and r.shape[0] == 37]
        assert held == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_retraces_on_a_new_signature_and_caches():
    calls = []

    def f(x, y):
        calls.append(1)
        return (x * y).sum(1)

    sf = interop.to_static(f)
    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    np.testing.assert_allclose(sf(a, b), [6.0, 6.0])
    sf(a + 1, b)  # same signature: cached
    assert len(calls) == 1
    sf(np.ones((4, 3), np.float32), np.ones((4, 3), np.float32))  # other static dims
    sf(a.astype(np.float64), b.astype(np.float64))  # other dtype
    assert len(calls) == 3
    assert sf(a.astype(np.float64), b.astype(np.float64)).dtype == np.float64
    assert len(calls) == 3


def test_input_spec_static_dims_retrace_dynamic_dims_dont():
    calls = []

    def f(x):
        calls.append(x.shape)
        return x * 2

    sf = interop.to_static(f, input_spec=[interop.InputSpec([None, 3], "float32", "x")])
    for b in (1, 2, 5):
        np.testing.assert_allclose(sf(np.ones((b, 3), np.float32)), 2 * np.ones((b, 3)))
    assert len(calls) == 1
    sf(np.ones((2, 4), np.float32))  # a static dim differs: a new program
    assert len(calls) == 2
    assert sf.input_spec[0].shape == (-1, 3) and sf.input_spec[0].name == "x"


def test_calls_return_arrays_or_tensors_in_the_input_structure():
    def f(x, scale=2.0):
        return {"double": x * scale, "pair": (x, x.sum())}

    sf = interop.to_static(f)
    out = sf(np.ones((2, 2), np.float32))
    assert isinstance(out["double"], np.ndarray) and len(out["pair"]) == 2
    out = sf(torch.ones(2, 2), scale=3.0)
    assert isinstance(out["double"], torch.Tensor)
    np.testing.assert_allclose(out["double"].numpy(), 3 * np.ones((2, 2)))
    assert out["pair"][1].item() == 4.0


def test_decorator_forms():
    @interop.to_static
    def f(x):
        return torch.relu(x)

    @interop.to_static(input_spec=[interop.InputSpec([None, 2])])
    def g(x):
        return x + 1

    assert isinstance(f, interop.StaticModel) and f.__name__ == "f"
    np.testing.assert_allclose(f(np.array([-1.0, 2.0], np.float32)), [0.0, 2.0])
    assert g.program.global_block().var("x").shape == [-1, 2]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 3)

        @interop.to_static
        def forward(self, x):
            return self.fc(x)

    net = Net()
    x = np.ones((4, 2), np.float32)
    out = net(torch.from_numpy(x))
    with torch.no_grad():
        expected = torch.nn.functional.linear(torch.from_numpy(x), net.fc.weight, net.fc.bias)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=1e-6)
    assert [p.name for p in Net.forward.__get__(net, Net).program.all_parameters()] == \
        ["fc.weight", "fc.bias"]


def test_parameters_are_shared_with_the_model():
    model = build("mlp")
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 1, 28, 28])])
    assert [p.name for p in sm.program.all_parameters()] == list(model.state_dict())
    assert sm.parameters()[0] is model.fc1.weight
    assert sm.state_dict()["fc2.bias"] is model.fc2.bias
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    before = sm(x)
    with torch.no_grad():
        model.fc2.bias.add_(1.0)  # log_softmax is shift-invariant: change the weights
        model.fc2.weight.mul_(2.0)
    np.testing.assert_allclose(sm(x), _eager(model, [x]), atol=1e-5)
    assert not np.allclose(sm(x), before)
    copied = interop.to_static(model, input_spec=[interop.InputSpec([None, 1, 28, 28])],
                               copy_parameters=True)
    with torch.no_grad():
        model.fc2.weight.mul_(0.0)
    assert not np.allclose(copied(x), sm(x))


def test_function_closure_tensors_become_parameters():
    torch.manual_seed(0)
    w = torch.randn(3, 2, requires_grad=True)
    offset = torch.ones(2)  # no grad: a constant

    @interop.to_static
    def f(x):
        return torch.tanh(x @ w + offset)

    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y = f(x)
    assert list(f.state_dict()) == ["param_0"] and f.parameters()[0] is w
    prog = f.program
    assert [p.name for p in prog.all_parameters()] == ["param_0"]
    with static.program_guard(prog):
        loss = paddle.sum(prog.global_block().var(f.outputs.name))
        (_, g), = static.append_backward(loss)
    got = static.Executor().run(prog, feed={"x": x}, fetch_list=[g], scope=f.scope)[0]
    torch.tanh(torch.from_numpy(x) @ w + offset).sum().backward()
    np.testing.assert_allclose(got, w.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(y, np.tanh(x @ w.detach().numpy() + 1), atol=1e-6)


def test_detach_and_inplace_ops_are_recorded():
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)

    def f(x):
        h = x * w
        h += 1.0  # in place on a traced value
        h = h.relu_()
        return (h.detach() * w).sum()  # no gradient through h

    sf = interop.to_static(f)
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    sf(x)
    prog = sf.program
    with static.program_guard(prog):
        (_, g), = static.append_backward(prog.global_block().var(sf.outputs.name))
    got = static.Executor().run(prog, feed={"x": x}, fetch_list=[sf.outputs, g],
                                scope=sf.scope)
    out = f(torch.from_numpy(x))
    out.backward()
    np.testing.assert_allclose(got[0], out.item(), rtol=1e-6)
    np.testing.assert_allclose(got[1], w.grad.numpy(), rtol=1e-6)


def test_save_writes_an_inference_model(tmp_path):
    model = build("lenet").eval()
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 1, 28, 28], name="x")])
    sm.save(str(tmp_path / "lenet"))
    exe = static.Executor()
    with static.scope_guard(static.Scope()):
        program, feeds, fetches = static.load_inference_model(str(tmp_path / "lenet"), exe)
        x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
        (out,) = exe.run(program, feed={feeds[0]: x}, fetch_list=fetches)
    assert feeds == ["x"]
    np.testing.assert_allclose(out, _eager(model, [x]), atol=1e-5)


def test_repeated_calls_run_the_prepared_plan_with_the_same_results():
    model = build("resnet")
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 3, 16, 16])])
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((3, 3, 16, 16)).astype(np.float32) for _ in range(3)]
    sm.eval()
    for x in xs:  # the first call finds the trace; the later ones reuse its prepared run
        np.testing.assert_allclose(sm(x), _eager(model, [x]), atol=1e-5)
    assert len(sm._fast) == 1
    out = sm(torch.from_numpy(xs[0]))  # Tensors in, Tensors out: a key of its own
    assert isinstance(out, torch.Tensor) and len(sm._fast) == 2
    np.testing.assert_allclose(out.numpy(), _eager(model, [xs[0]]), atol=1e-5)
    sm.train()  # another mode: another trace (the cached calls are dropped)
    before = model.bn1.running_mean.numpy().copy()
    sm(xs[1])
    sm(xs[2])
    assert not np.allclose(model.bn1.running_mean.numpy(), before)
    assert int(model.bn1.num_batches_tracked.item()) == 2
    sm.eval()
    np.testing.assert_allclose(sm(xs[0]), _eager(model, [xs[0]]), atol=1e-5)
    with pytest.raises(OpError, match="has 4 channels"):
        sm(np.ones((2, 4, 16, 16), np.float32))  # a bad call still gets the clear error


def test_repeated_calls_generate_the_plan_function_once(monkeypatch):
    """The prepared plan interprets its first runs, then generates its function once; later
    calls run that function (a call holding the plan's first-runs method must not generate
    it again at every call)."""
    from dualnet_static import compiler

    made = []
    codegen = compiler._codegen
    monkeypatch.setattr(compiler, "_codegen", lambda plan: made.append(plan) or codegen(plan))
    model = build("mlp")
    sm = interop.to_static(model, input_spec=[interop.InputSpec([None, 784])])
    sm.eval()
    x = np.random.default_rng(2).standard_normal((4, 784)).astype(np.float32)
    want = _eager(model, [x])
    for _ in range(compiler.CODEGEN_AFTER + 5):
        np.testing.assert_allclose(sm(x), want, atol=1e-5)
    assert len(made) == 1 and made[0].source is not None
    assert made[0].runs == compiler.CODEGEN_AFTER  # later runs bypass the counting method


def test_an_input_passed_twice_or_a_parameter_passed_as_input_is_traced_as_its_own_value():
    """The first call binds inputs by array: f(x, x) used to record b's reads as a's, so every
    later call f(x, y) computed x * x; an input sharing a parameter's array took the
    parameter's place in the program."""
    f = interop.to_static(lambda a, b: a * b + 1)
    x, y = torch.tensor([2.0, 3.0]), torch.tensor([10.0, 10.0])
    np.testing.assert_allclose(f(x, x).numpy(), [5.0, 10.0])
    np.testing.assert_allclose(f(x, y).numpy(), [21.0, 31.0])
    torch.manual_seed(0)
    net = torch.nn.Linear(2, 2, bias=False)
    g = interop.to_static(lambda a: net(a))
    w = net.weight.detach()
    other = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
    with torch.no_grad():
        np.testing.assert_allclose(g(w).numpy(), net(w).numpy(), rtol=1e-6)
        np.testing.assert_allclose(g(other).numpy(), net(other).numpy(), rtol=1e-6)
