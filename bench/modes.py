"""One step of a model in each execution mode, as a closure: `MODES[mode](model, batch, task)`.

task "train": forward, cross-entropy loss, backward, SGD with momentum (lr 0.01, momentum 0.9)
in one step; task "infer": the forward pass in eval mode without gradients.

modes:
  eager        dualnet_eager (PyTorch style), the models of bench/models.py
  static       dualnet_static explicit: the Paddle-style model built into a Program
               (program_guard), run by `Executor.run` from its cached plan, own Scope
  implicit     dualnet_static implicit mode: the Paddle-style model called on `to_tensor`
               inputs without a program_guard (ops recorded, run at `opt.step()` / `.numpy()`);
               the input tensors are made once, as the other modes' are
  to_static    `interop.to_static` of the eager model: inference calls the StaticModel; training
               embeds it in a Program with the loss and `Momentum.minimize`, run by the Executor
  onnxruntime  onnxruntime (CPU provider) on `interop.onnx.export` of the to_static model
               (inference only)
  pytorch      PyTorch eager, the same model code as `eager`

Every factory builds its model from seed 0 and feeds fixed random data (the data pipeline is
not measured). It raises `Unavailable` when the mode can't run here (not installed, train task
for onnxruntime).
"""
from __future__ import annotations

import functools

import numpy as np

from . import common
from .common import try_import_torch
from .models import MODELS, SPECS, paddle_models


class Unavailable(Exception):
    """The mode does not apply or is not installed; the row says why."""


@functools.lru_cache(maxsize=None)
def _data(model: str, batch: int):
    """(spec, inputs, labels): made once per (model, batch) and shared by every mode, so that
    memory measured around a step does not count them (nothing writes into them)."""
    spec = SPECS[model]
    rng = np.random.default_rng(0)
    return spec, spec.inputs(rng, batch), spec.labels(rng, batch)


# ---------------------------------------------------------------- eager (dualnet and PyTorch)

def torch_style_step(torch, model: str, batch: int, task: str = "train"):
    """A step of `model` in a PyTorch-like framework `torch` (dualnet_eager or torch)."""
    _, xa, ya = _data(model, batch)
    torch.manual_seed(0)
    net = MODELS[model](torch)
    x, y = torch.from_numpy(xa), torch.from_numpy(ya)
    if task == "train":
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
    else:
        net.eval()

        def step():
            with torch.no_grad():
                net(x)
    return step


def eager(model: str, batch: int, task: str):
    import dualnet_eager

    return torch_style_step(dualnet_eager, model, batch, task)


def pytorch(model: str, batch: int, task: str):
    torch = try_import_torch()
    if torch is None:
        raise Unavailable("torch not installed")
    return torch_style_step(torch, model, batch, task)


# ---------------------------------------------------------------- static, explicit

def static(model: str, batch: int, task: str):
    import dualnet_static as paddle
    from dualnet_static import static as st
    from dualnet_static import unique_name

    spec, xa, ya = _data(model, batch)
    paddle.seed(0)
    scope = st.Scope()
    main, startup = st.Program(), st.Program()
    was_dynamic = paddle.in_dynamic_mode()
    paddle.enable_static()
    try:
        with st.program_guard(main, startup), unique_name.guard():
            x = st.data(spec.input_name, [None, *spec.input_shape], spec.input_dtype)
            net = paddle_models(paddle)[model]()
            if task == "train":
                y = st.data("label", [None], "int64")
                loss = paddle.nn.functional.cross_entropy(net(x), y)
                paddle.optimizer.Momentum(learning_rate=0.01, momentum=0.9).minimize(loss)
                fetch = [loss]
            else:
                net.eval()
                fetch = [net(x)]
    finally:
        if was_dynamic:
            paddle.disable_static()
    exe = st.Executor(paddle.CPUPlace())
    exe.run(startup, scope=scope)
    feed = {spec.input_name: xa}
    if task == "train":
        feed["label"] = ya

    def step():
        exe.run(main, feed=feed, fetch_list=fetch, scope=scope)

    return step


# ---------------------------------------------------------------- static, implicit

def implicit(model: str, batch: int, task: str):
    import dualnet_static as paddle

    if not paddle.in_dynamic_mode():
        raise Unavailable("paddle.enable_static() is in force")
    try:
        from dualnet_static import dygraph  # noqa: F401
    except ImportError as e:
        raise Unavailable(f"implicit mode not available: {e}") from None
    _, xa, ya = _data(model, batch)
    F = paddle.nn.functional
    paddle.seed(0)
    net = paddle_models(paddle)[model]()
    # made once, like the other modes' inputs (a per-step to_tensor would add a copy of the
    # batch that no other mode makes: the data pipeline is not measured)
    x, y = paddle.to_tensor(xa), paddle.to_tensor(ya)
    if task == "train":
        net.train()
        opt = paddle.optimizer.Momentum(learning_rate=0.01, momentum=0.9,
                                        parameters=net.parameters())

        def step():
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            opt.clear_grad()
    else:
        net.eval()

        def step():
            with paddle.no_grad():
                net(x).numpy()
    return step


# ---------------------------------------------------------------- to_static and onnxruntime

def _traced(model: str, training: bool):
    import dualnet_eager
    import interop

    spec = SPECS[model]
    dualnet_eager.manual_seed(0)
    net = MODELS[model](dualnet_eager)
    net.train(training)
    input_spec = [interop.InputSpec([None, *spec.input_shape], spec.input_dtype,
                                    spec.input_name)]
    return interop.to_static(net, input_spec=input_spec)


def to_static(model: str, batch: int, task: str):
    import dualnet_static as paddle
    from dualnet_static import static as st

    spec, xa, ya = _data(model, batch)
    if task != "train":
        sm = _traced(model, training=False)
        return lambda: sm(xa)
    sm = _traced(model, training=True)
    scope = st.Scope()
    main, startup = st.Program(), st.Program()
    with st.scope_guard(scope), st.program_guard(main, startup):
        x = st.data(spec.input_name, [None, *spec.input_shape], spec.input_dtype)
        y = st.data("label", [None], "int64")
        loss = paddle.nn.functional.cross_entropy(sm(x), y)
        paddle.optimizer.Momentum(learning_rate=0.01, momentum=0.9).minimize(loss)
    exe = st.Executor(paddle.CPUPlace())
    exe.run(startup, scope=scope)
    feed = {spec.input_name: xa, "label": ya}

    def step():
        exe.run(main, feed=feed, fetch_list=[loss], scope=scope)

    return step


def onnxruntime(model: str, batch: int, task: str):
    if task == "train":
        raise Unavailable("inference only")
    try:
        import onnxruntime as ort
    except ImportError:
        raise Unavailable("onnxruntime not installed") from None
    from interop.onnx import export

    _, xa, _ = _data(model, batch)
    proto = export(_traced(model, training=False))
    options = ort.SessionOptions()
    options.intra_op_num_threads = common.THREADS
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: xa}
    return lambda: sess.run(None, feed)


MODES = {"eager": eager, "static": static, "implicit": implicit, "to_static": to_static,
         "onnxruntime": onnxruntime, "pytorch": pytorch}
STATIC_MODES = ("static", "implicit", "to_static")  # run by the Executor: count plan compiles
