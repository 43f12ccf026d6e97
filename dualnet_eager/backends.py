"""torch.backends: the flags scripts set for cuDNN, CUDA matmuls, MPS, MKL and OpenMP.

dualnet has no cuDNN or MPS; the flags are plain settable attributes (kept so scripts that set
`torch.backends.cudnn.deterministic = True` or `benchmark = True` run), and the availability
questions answer for this build: NumPy on the CPU, CuPy for CUDA when installed.
"""
from __future__ import annotations

import types


def _cupy_installed() -> bool:
    from dualnet import backend

    return getattr(backend, "_cupy", None) is not None


class _Cudnn(types.ModuleType):
    """torch.backends.cudnn: `enabled`, `benchmark`, `deterministic`, `allow_tf32` flags."""

    def __init__(self):
        super().__init__("dualnet_eager.backends.cudnn")
        self.enabled = True
        self.benchmark = False
        self.deterministic = False
        self.allow_tf32 = True
        self.benchmark_limit = 10

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def version():
        return None

    @staticmethod
    def is_acceptable(tensor) -> bool:
        return False


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


class _Cuda(types.ModuleType):
    """torch.backends.cuda: `is_built()` (CuPy installed) and the matmul precision flags."""

    def __init__(self):
        super().__init__("dualnet_eager.backends.cuda")
        self.matmul = _Matmul()

    @staticmethod
    def is_built() -> bool:
        return _cupy_installed()

    @staticmethod
    def flash_sdp_enabled() -> bool:
        return False

    @staticmethod
    def enable_flash_sdp(enabled: bool) -> None:
        return None

    @staticmethod
    def mem_efficient_sdp_enabled() -> bool:
        return False

    @staticmethod
    def enable_mem_efficient_sdp(enabled: bool) -> None:
        return None

    @staticmethod
    def math_sdp_enabled() -> bool:
        return True

    @staticmethod
    def enable_math_sdp(enabled: bool) -> None:
        return None


class _Unavailable(types.ModuleType):
    """A backend this build does not have (MPS, MKL-DNN as a separate library)."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Available(types.ModuleType):
    """OpenMP/MKL through NumPy's BLAS: present."""

    @staticmethod
    def is_available() -> bool:
        return True


cudnn = _Cudnn()
cuda = _Cuda()
mps = _Unavailable("dualnet_eager.backends.mps")
mkldnn = _Unavailable("dualnet_eager.backends.mkldnn")
mkl = _Unavailable("dualnet_eager.backends.mkl")
openmp = _Available("dualnet_eager.backends.openmp")

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "mkl", "openmp"]

# `import dualnet_eager.backends.cudnn as cudnn` works as with torch
import sys as _sys  # noqa: E402

for _name in __all__:
    _sys.modules[f"{__name__}.{_name}"] = globals()[_name]
