"""dualnet_static: the PaddlePaddle-style front end (`import dualnet_static as paddle`).

How it fits together (details in each module's docstring):
  framework.py   Program -> Block -> Operator / Variable, program_guard, default programs,
                 block_guard (pin where ops go), op_role_guard ("backward", "optimize").
  binder.py      `apply(op, *Variables)` infers output metas and appends an Operator;
                 Python scalars and arrays become constant Variables; `write_to(value, var)`
                 makes an op output *be* a persistable variable (state updates).
  backward.py    append_backward / gradients: the registry's vjp rules run on Variables.
  compiler.py    Program -> Plan (prune, slots, folding, snapshots, frees); executor.py runs
                 plans from a cache keyed by structure; scope.py holds persistable values.
  creation.py    create_parameter / create_global_var: a variable in the main program and
                 its initializer (`init(var, startup_block)` + write_to) in the startup one.

  dygraph/       implicit mode (the default, Paddle's dynamic-looking syntax): outside a
                 program_guard ops record into per-step programs that run when a value is
                 asked for; repeated steps replay their template (dygraph/__init__.py).
  jit.py         paddle.jit: to_static runs an explicit Program per input signature on the
                 Executor (or records into implicit mode when gradients may be needed);
                 jit.save/load over static.save_inference_model.
  vision/, device/, amp.py, _runtime.py   paddle.vision (NumPy transforms, MNIST from IDX
                 files, LeNet), paddle.device, paddle.amp (CPU pass-throughs),
                 set_printoptions / iinfo / finfo / DataParallel / flops.
  io/, hapi/     paddle.io (datasets, samplers, DataLoader with worker processes) and
                 paddle.Model / paddle.summary / paddle.callbacks; metric/ paddle.metric.

Layers and optimizers build on these: a layer names itself `unique_name.generate("linear")`
and creates `linear_0.w_0` with create_parameter; an optimizer calls append_backward, then,
under `block_guard(loss.block)` and `op_role_guard("optimize")`, applies the update op
(`sgd_update`, `adam_update`, ...) and `write_to`s each updated output into its parameter or
state variable (persistable, initialized by the startup program).
"""
from dualnet import random as _random

from . import binder as _binder  # noqa: F401  (registers the static binder)
from . import static, unique_name, utils  # noqa: F401
from .dtype import (bool, complex64, float16, float32, float64, get_default_dtype,  # noqa
                    int8, int16, int32, int64, set_default_dtype, uint8)
from .framework import disable_static, enable_static, in_dynamic_mode  # noqa: F401
from .place import (CPUPlace, CUDAPinnedPlace, CUDAPlace, get_device,  # noqa: F401
                    is_compiled_with_cuda, set_device)
from .creation import create_parameter  # noqa: F401
from .framework_io import load, save  # noqa: F401  (paddle.save / paddle.load)
from .dygraph import (enable_grad, grad, is_grad_enabled, no_grad,  # noqa: F401  (implicit
                      set_grad_enabled, to_tensor)                    # mode: dygraph/)
from .tensor_methods.manipulation import *  # noqa: F401,F403
from .tensor_methods.math import *  # noqa: F401,F403
from .tensor_methods.creation import *  # noqa: F401,F403
from .tensor_methods.linalg import *  # noqa: F401,F403
from .tensor_methods.search import *  # noqa: F401,F403
from .tensor_methods.logic import *  # noqa: F401,F403
from .tensor_methods.mathx import *  # noqa: F401,F403
from .tensor_methods.manipx import *  # noqa: F401,F403
from .tensor_methods.statx import *  # noqa: F401,F403
from . import linalg  # noqa: F401  (paddle.linalg)
from .variable import Variable as Tensor  # noqa: F401
from ._runtime import finfo, flops, iinfo, set_printoptions  # noqa: F401  (_runtime.py)
from ._flags import get_flags, set_flags  # noqa: F401  (paddle.get_flags / set_flags)

__version__ = "2.6.0"


def seed(value: int):
    """Reset the random generators of every device (dropout masks, random initializers)."""
    _random.manual_seed(value)


_LAZY = ("nn", "optimizer", "io", "jit", "metric", "vision", "amp", "device", "regularizer",
         "inference", "distribution", "hapi", "callbacks", "autograd", "distributed",
         "version")


def __getattr__(name):
    if name == "ParamAttr":
        from .nn.param_attr import ParamAttr

        return ParamAttr
    if name == "DataParallel":  # a Layer subclass: made when first asked for (imports nn)
        from . import _runtime

        return _runtime.DataParallel
    if name in ("Model", "summary"):  # the high-level API (dualnet_static/hapi), on first use
        from . import hapi

        return getattr(hapi, name)
    if name in _LAZY:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'paddle' has no attribute {name!r}")
