"""dualnet_eager: the imperative, PyTorch-style front end.

A PyTorch script runs with its import swapped: `import dualnet_eager as torch`.
"""
from dualnet import dtypes as _dtypes
from dualnet.backend import Device as device  # noqa: F401
from dualnet.random import initial_seed, manual_seed  # noqa: F401
from dualnet.dtypes import get_default_dtype, set_default_dtype  # noqa: F401

from . import autograd  # noqa: F401
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from .tensor import Tensor  # noqa: F401
from .size import Size  # noqa: F401
from .generator import Generator  # noqa: F401
from .creation import *  # noqa: F401,F403
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,  # noqa
                       full_like, linspace, ones, ones_like, rand, rand_like, randint,
                       randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from .functions import *  # noqa: F401,F403
from .functions import max, min, sum, abs, round, all, any, pow  # noqa: F401  (shadow builtins)
from ._search import *  # noqa: F401,F403
from ._shapes import *  # noqa: F401,F403
from ._mathx import *  # noqa: F401,F403
from . import cuda  # noqa: F401
# torch.random is this package's random.py; creation's star import binds the core dualnet.random
# to that name, so bind the submodule explicitly (it may have been imported already)
random = __import__("importlib").import_module(f"{__name__}.random")
from ._runtime import (are_deterministic_algorithms_enabled, finfo,  # noqa: F401
                       get_deterministic_debug_mode, get_float32_matmul_precision,
                       set_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                       get_printoptions, get_rng_state, iinfo,
                       is_deterministic_algorithms_warn_only_enabled, seed,
                       set_deterministic_debug_mode, set_num_interop_threads, set_num_threads,
                       set_printoptions, set_rng_state, use_deterministic_algorithms)

float32 = float = _dtypes.float32
float64 = double = _dtypes.float64
float16 = half = _dtypes.float16
bfloat16 = _dtypes.bfloat16  # named for autocast(dtype=...); tensors of it are a TypeError
int64 = long = _dtypes.int64
int32 = int = _dtypes.int32
int16 = short = _dtypes.int16
int8 = _dtypes.int8
uint8 = _dtypes.uint8
bool = _dtypes.bool_
complex64 = _dtypes.complex64
dtype = _dtypes.DType

__version__ = "0.1.0"


def _lazy(name):
    import importlib

    return importlib.import_module(f"{__name__}.{name}")


_LAZY_MODULES = ("nn", "optim", "utils", "linalg", "distributions", "func", "jit", "onnx",
                 "testing", "backends", "hub", "amp", "distributed", "multiprocessing",
                 "profiler", "special", "random")
_LAZY_NAMES = {"save": "serialization", "load": "serialization", "compile": "jit",
               "autocast": "amp", "is_autocast_enabled": "amp"}


def __getattr__(name):
    # submodules import lazily so `import dualnet_eager` stays light (jit and onnx pull in
    # interop and onnx).
    if name in _LAZY_MODULES:
        return _lazy(name)
    if name in _LAZY_NAMES:
        return getattr(_lazy(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'dualnet_eager' has no attribute '{name}'")
