"""The image backend setting and `image_load` (NumPy .npy files; Pillow when installed)."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["set_image_backend", "get_image_backend", "image_load", "pil_available"]


def pil_available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


_BACKEND = ["pil" if pil_available() else "cv2"]


def set_image_backend(backend: str) -> None:
    if backend not in ("pil", "cv2", "tensor"):
        raise ValueError(f"Expected backend are one of ['pil', 'cv2', 'tensor'], but got "
                         f"{backend}")
    if backend == "pil" and not pil_available():
        raise ImportError("set_image_backend('pil') needs Pillow (pip install pillow); the "
                          "'cv2' backend works on NumPy arrays without it")
    _BACKEND[0] = backend


def get_image_backend() -> str:
    return _BACKEND[0]


def image_load(path, backend=None):
    """An image file as an array: .npy through NumPy (HWC or HW), other formats through
    Pillow (converted to a NumPy HWC array unless the backend is 'pil')."""
    backend = backend or get_image_backend()
    path = os.fspath(path)
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if not pil_available():
        raise ImportError(f"image_load({path!r}): decoding this format needs Pillow (pip "
                          "install pillow); without it, store images as .npy arrays")
    from PIL import Image

    image = Image.open(path)
    return image if backend == "pil" else np.asarray(image.convert("RGB"))
