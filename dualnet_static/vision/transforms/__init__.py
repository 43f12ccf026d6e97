"""`paddle.vision.transforms`: transform classes and `functional` (NumPy images)."""
from . import functional  # noqa: F401
from .functional import (adjust_brightness, center_crop, crop, erase, hflip,  # noqa: F401
                         normalize, pad, resize, to_grayscale, to_tensor, vflip)
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _classes

__all__ = list(_classes) + ["functional", "to_tensor", "resize", "pad", "crop", "center_crop",
                            "hflip", "vflip", "normalize", "to_grayscale"]
