"""`paddle.version`: the Paddle release this front end follows (paddle.__version__), CPU only."""
from __future__ import annotations

full_version = "2.6.0"
major = "2"
minor = "6"
patch = "0"
rc = "0"
istaged = True
commit = "dualnet"
with_mkl = "OFF"
cinn_version = None

__all__ = ["cuda", "cudnn", "nccl", "xpu", "xpu_xccl", "cinn", "show"]


def cuda() -> str:
    """The CUDA version this build uses: 'False' (a CPU build)."""
    return "False"


def cudnn() -> str:
    return "False"


def nccl() -> str:
    return "0"


def xpu() -> str:
    return "False"


def xpu_xccl() -> str:
    return "False"


def cinn():
    return None


def show() -> None:
    """Print the version, as Paddle's `paddle.version.show()`."""
    if istaged:
        print(f"full_version: {full_version}")
        print(f"major: {major}")
        print(f"minor: {minor}")
        print(f"patch: {patch}")
        print(f"rc: {rc}")
    else:
        print(f"commit: {commit}")
    print(f"cuda: {cuda()}")
    print(f"cudnn: {cudnn()}")
    print(f"nccl: {nccl()}")
    print(f"xpu: {xpu()}")
    print(f"xpu_xccl: {xpu_xccl()}")
    print(f"cinn: {cinn()}")
