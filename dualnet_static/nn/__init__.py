"""`paddle.nn`: Layer, Paddle's layers, `functional`, `initializer` and ParamAttr.

Layers build static programs: parameters are Parameters of the main program initialized by the
startup program (layer/storage.py is the one place they are created), forward appends registry
ops, and state lives in the Scope. Gradient clipping (ClipGradByGlobalNorm, ...) comes from
nn/clip.py, loaded on first use.
"""
from . import functional, initializer  # noqa: F401
from .layer import *  # noqa: F401,F403
from .layer import Layer  # noqa: F401
from .layer.layers import HookRemoveHelper  # noqa: F401
from .param_attr import ParamAttr  # noqa: F401
from ..variable import Parameter  # noqa: F401

_CLIP = ("ClipGradByGlobalNorm", "ClipGradByNorm", "ClipGradByValue")


def __getattr__(name):
    if name == "utils":  # paddle.nn.utils (nn/utils.py)
        import importlib

        return importlib.import_module(f"{__name__}.utils")
    if name in _CLIP or name == "clip":
        import importlib

        clip = importlib.import_module(f"{__name__}.clip")
        return clip if name == "clip" else getattr(clip, name)
    raise AttributeError(f"module 'paddle.nn' has no attribute {name!r}")
