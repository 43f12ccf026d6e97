"""The op registry and its primitives (DESIGN.md section 2).

`apply(name, *args, **attrs)` is the one entry point; `get(name)` returns an `OpDef`. Importing
this package registers every family of primitives; composites (functions built from primitives,
with no rules of their own) live beside the primitives of their family.
"""
from .registry import (Meta, NotDifferentiableError, OpDef, OpError, all_ops, apply,  # noqa
                       default_binder, get, intercept, register, register_binder, user_frame)
from . import shape, elementwise, activation, reduction, linalg, indexing  # noqa: F401
from . import conv, pool, norm, nn, loss, optim, creation, device  # noqa: F401
from . import fused  # noqa: F401  (fused primitives + out= kernels: dualnet_static passes)
from . import dynamic_shape  # noqa: F401
from . import sorting, matrix, statistics  # noqa: F401
from . import rnn, resample  # noqa: F401  (composites only)
from . import special  # noqa: F401  (inverse trig, gamma family, bit ops; composites)
from . import distributions  # noqa: F401  (composites: torch.distributions / paddle.distribution)
from . import spatial  # noqa: F401
from . import ctc  # noqa: F401  (ctc_loss + its gradient kernel)
from . import debug  # noqa: F401  (print, py_func: host side effects)
