"""Paddle's transform classes over functional.py: each is a BaseTransform whose
`_apply_image` does the work; random ones draw their parameters from Python's `random`
module (as Paddle does) once per call, shared by every key of a multi-key call."""
from __future__ import annotations

import numbers
import random

import numpy as np

from . import functional as F

__all__ = ["BaseTransform", "Compose", "ToTensor", "Normalize", "Resize", "CenterCrop",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Transpose", "Pad",
           "Grayscale", "BrightnessTransform", "RandomErasing"]


class Compose:
    """Apply `transforms` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, data):
        for f in self.transforms:
            data = f(data)
        return data

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class BaseTransform:
    """Subclasses define `_apply_image` (and `_apply_<key>` for other keys, `_get_params`
    for random parameters). `keys` names the fields of a tuple input ('image', 'label',
    ...); by default the input is one image."""

    def __init__(self, keys=None):
        if keys is None:
            keys = ("image",)
        elif not isinstance(keys, (list, tuple)):
            raise ValueError(f"keys should be a sequence, got {type(keys).__name__}")
        self.keys = tuple(keys)
        self.params = None

    def _get_params(self, inputs):
        return None

    def __call__(self, inputs):
        single = not isinstance(inputs, tuple)
        items = (inputs,) if single else inputs
        self.params = self._get_params(items)
        outputs = []
        for i, key in enumerate(self.keys[:len(items)]):
            apply = getattr(self, f"_apply_{key}", None)
            outputs.append(items[i] if apply is None else apply(items[i]))
        outputs += list(items[len(self.keys):])
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _apply_image(self, image):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _image_hw(image) -> tuple:
    array, tensor = F._unwrap(image)
    ha, wa = F._hw_axes(array, tensor)
    return array.shape[ha], array.shape[wa]


class ToTensor(BaseTransform):
    def __init__(self, data_format: str = "CHW", keys=None):
        super().__init__(keys)
        self.data_format = data_format

    def _apply_image(self, img):
        return F.to_tensor(img, self.data_format)


class Normalize(BaseTransform):
    def __init__(self, mean=0.0, std=1.0, data_format: str = "CHW", to_rgb: bool = False,
                 keys=None):
        super().__init__(keys)
        if isinstance(mean, numbers.Number):
            mean = [mean, mean, mean]
        if isinstance(std, numbers.Number):
            std = [std, std, std]
        self.mean, self.std = mean, std
        self.data_format, self.to_rgb = data_format, to_rgb

    def _apply_image(self, img):
        array, tensor = F._unwrap(img)
        channels = 1 if array.ndim == 2 else \
            array.shape[0 if self.data_format == "CHW" else -1]
        mean, std = list(self.mean), list(self.std)
        if channels == 1 and len(mean) == 3 and len(set(mean)) == 1 and len(set(std)) == 1:
            mean, std = mean[:1], std[:1]  # Paddle's scalar mean on a 1-channel image
        return F.normalize(img, mean, std, self.data_format, self.to_rgb)


class Resize(BaseTransform):
    def __init__(self, size, interpolation: str = "bilinear", keys=None):
        super().__init__(keys)
        self.size, self.interpolation = size, interpolation

    def _apply_image(self, img):
        return F.resize(img, self.size, self.interpolation)


class CenterCrop(BaseTransform):
    def __init__(self, size, keys=None):
        super().__init__(keys)
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else size

    def _apply_image(self, img):
        return F.center_crop(img, self.size)


class RandomCrop(BaseTransform):
    """A random `size` crop, after optional padding (pad_if_needed pads small images)."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant", keys=None):
        super().__init__(keys)
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else \
            tuple(size)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def _apply_image(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        h, w = _image_hw(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = F.pad(img, (tw - w, 0), self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = F.pad(img, (0, th - h), self.fill, self.padding_mode)
        h, w = _image_hw(img)
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the "
                             f"input image size {(h, w)}")
        top = random.randint(0, h - th)
        left = random.randint(0, w - tw)
        return F.crop(img, top, left, th, tw)


class RandomHorizontalFlip(BaseTransform):
    def __init__(self, prob: float = 0.5, keys=None):
        super().__init__(keys)
        if not 0 <= prob <= 1:
            raise ValueError(f"prob should be in [0, 1], got {prob}")
        self.prob = prob

    def _get_params(self, inputs):
        return random.random() < self.prob

    def _apply_image(self, img):
        return F.hflip(img) if self.params else img


class RandomVerticalFlip(RandomHorizontalFlip):
    def _apply_image(self, img):
        return F.vflip(img) if self.params else img


class Transpose(BaseTransform):
    def __init__(self, order=(2, 0, 1), keys=None):
        super().__init__(keys)
        self.order = tuple(order)

    def _apply_image(self, img):
        if F._is_tensor(img):
            return img  # tensors are already CHW (Paddle leaves them alone)
        return F.transpose(img, self.order)


class Pad(BaseTransform):
    def __init__(self, padding, fill=0, padding_mode: str = "constant", keys=None):
        super().__init__(keys)
        F._pads4(padding)  # validates
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def _apply_image(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)


class Grayscale(BaseTransform):
    def __init__(self, num_output_channels: int = 1, keys=None):
        super().__init__(keys)
        self.num_output_channels = num_output_channels

    def _apply_image(self, img):
        return F.to_grayscale(img, self.num_output_channels)


class BrightnessTransform(BaseTransform):
    def __init__(self, value: float, keys=None):
        super().__init__(keys)
        if value < 0:
            raise ValueError(f"brightness value should be non-negative, got {value}")
        self.value = value

    def _apply_image(self, img):
        if self.value == 0:
            return img
        factor = random.uniform(max(0.0, 1 - self.value), 1 + self.value)
        return F.adjust_brightness(img, factor)


class RandomErasing(BaseTransform):
    """Erase a random box (area fraction in `scale`, aspect in `ratio`) with `prob`."""

    def __init__(self, prob: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False, keys=None):
        super().__init__(keys)
        self.prob, self.scale, self.ratio = prob, scale, ratio
        self.value, self.inplace = value, inplace

    def _apply_image(self, img):
        if random.random() >= self.prob:
            return img
        h, w = _image_hw(img)
        for _ in range(10):
            area = h * w * random.uniform(*self.scale)
            aspect = np.exp(random.uniform(np.log(self.ratio[0]), np.log(self.ratio[1])))
            eh, ew = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
            if eh < h and ew < w:
                i, j = random.randint(0, h - eh), random.randint(0, w - ew)
                return F.erase(img, i, j, eh, ew, self.value, self.inplace)
        return img
