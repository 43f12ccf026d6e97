"""paddle.static.nn: the static-graph layer functions (fc, conv2d, batch_norm, embedding, ...)
that create their parameters in the program being built, and the control flow (cond, case,
switch_case, while_loop; see control_flow.py for how they run without sub-blocks)."""
from __future__ import annotations

from .common import (batch_norm, bilinear_tensor_product, conv2d, conv2d_transpose,  # noqa
                     conv3d, conv3d_transpose, embedding, fc, group_norm, instance_norm,
                     layer_norm, prelu, sparse_embedding, spectral_norm)
from .control_flow import case, cond, switch_case, while_loop  # noqa: F401
from ..extras import py_func  # noqa: F401,E402

__all__ = ["fc", "batch_norm", "embedding", "bilinear_tensor_product", "case", "cond", "conv2d",
           "conv2d_transpose", "conv3d", "conv3d_transpose", "group_norm", "instance_norm",
           "layer_norm", "prelu", "py_func", "spectral_norm", "switch_case", "while_loop",
           "sparse_embedding"]
