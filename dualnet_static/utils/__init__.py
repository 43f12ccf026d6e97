"""`paddle.utils`: unique_name, run_check, try_import."""
from __future__ import annotations

import importlib

from .. import unique_name  # noqa: F401


def try_import(module_name: str, err_msg: str | None = None):
    """Import `module_name`, or raise ImportError saying how to install it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(err_msg or f"{module_name} is not installed, please install it "
                          f"with `pip install {module_name}`") from e


def _check_implicit():
    import numpy as np

    import dualnet_static as paddle

    net = paddle.nn.Linear(2, 4)
    opt = paddle.optimizer.SGD(learning_rate=0.01, parameters=net.parameters())
    x = paddle.to_tensor(np.ones((2, 2), "float32"))
    loss = paddle.mean(net(x))
    loss.backward()
    opt.step()
    opt.clear_grad()
    if not np.isfinite(float(loss)):
        raise RuntimeError("run_check: the dynamic-mode program produced a non-finite loss")


def _check_explicit():
    import numpy as np

    import dualnet_static as paddle
    from dualnet_static import static

    main, startup = static.Program(), static.Program()
    scope = static.Scope()
    with static.program_guard(main, startup), static.scope_guard(scope):
        x = static.data("x", [-1, 2], "float32")
        loss = paddle.mean(static.nn.fc(x, 4))
        paddle.optimizer.SGD(learning_rate=0.01).minimize(loss)
        exe = static.Executor(paddle.CPUPlace())
        exe.run(startup)
        out, = exe.run(main, feed={"x": np.ones((2, 2), "float32")}, fetch_list=[loss])
    if not np.isfinite(out).all():
        raise RuntimeError("run_check: the static-mode program produced a non-finite loss")


def run_check() -> None:
    """Check the installation: train one step of a tiny network in dynamic (implicit) mode
    and in static mode on the CPU, and print Paddle's success message."""
    print("Running verify PaddlePaddle program ... ")
    _check_implicit()
    _check_explicit()
    print("PaddlePaddle works well on 1 CPU.")
    print("PaddlePaddle is installed successfully! Let's start deep learning with "
          "PaddlePaddle now.")
