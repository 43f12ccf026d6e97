"""`paddle.vision`: transforms, datasets and models, on NumPy images.

Neither PIL nor OpenCV is a dependency (and neither is installed here), so images are NumPy
arrays: HWC (or HW) uint8/float arrays where Paddle takes PIL images or cv2 arrays, CHW for
tensors. `get_image_backend()` is 'pil' when Pillow is importable, else 'cv2' (the NumPy
HWC layout, as Paddle's cv2 backend).
"""
from __future__ import annotations

from . import datasets, models, transforms  # noqa: F401
from .image import get_image_backend, image_load, set_image_backend  # noqa: F401
from .models import LeNet  # noqa: F401
