"""`paddle.vision.datasets`: MNIST, FashionMNIST (local IDX files), DatasetFolder,
ImageFolder.

Nothing is downloaded: MNIST/FashionMNIST read the IDX files (raw or .gz) named by
image_path/label_path, or Paddle's cache folder (~/.cache/paddle/dataset/mnist or
.../fashion-mnist) with Paddle's file names; a missing file raises FileNotFoundError naming
every file needed (also with download=True). Items are (image, label int64 array [1]);
the image is a uint8 (28, 28) array - the stand-in for the PIL 'L' image of Paddle's default
'pil' backend, so ToTensor gives [1, 28, 28] in [0, 1] - or float32 (28, 28) with
backend='cv2', as Paddle's cv2 backend.

DatasetFolder/ImageFolder load .npy arrays (HWC or HW) with NumPy; other image formats need
Pillow (not a dependency), and are accepted only when it is installed.
"""
from __future__ import annotations

import os

import numpy as np

from dualnet.datasets import read_idx

from ..io.dataset import Dataset
from .image import image_load, pil_available

__all__ = ["MNIST", "FashionMNIST", "DatasetFolder", "ImageFolder"]

_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def _home() -> str:
    return os.path.join(os.path.expanduser("~"), ".cache", "paddle", "dataset")


def _locate(given, folder: str, name: str) -> tuple:
    """(path or None, candidates): `given`, or name / name without .gz in the cache."""
    if given is not None:
        given = os.fspath(given)
        return (given if os.path.isfile(given) else None), [given]
    candidates = [os.path.join(folder, name), os.path.join(folder, name[:-3])]
    return next((c for c in candidates if os.path.isfile(c)), None), candidates


class MNIST(Dataset):
    """MNIST from local IDX files (Paddle's arguments; see the module doc)."""

    NAME = "mnist"

    def __init__(self, image_path=None, label_path=None, mode: str = "train",
                 transform=None, download: bool = True, backend=None):
        if mode.lower() not in ("train", "test"):
            raise ValueError(f"mode should be 'train' or 'test', but got {mode}")
        self.mode = mode.lower()
        if backend is None:
            backend = "pil"
        if backend not in ("pil", "cv2"):
            raise ValueError(f"Expected backend are one of ['pil', 'cv2'], but got {backend}")
        self.backend, self.transform = backend, transform
        self.dtype = "float32"
        folder = os.path.join(_home(), self.NAME)
        paths, missing = [], []
        for given, name in zip((image_path, label_path), _FILES[self.mode]):
            path, candidates = _locate(given, folder, name)
            paths.append(path)
            if path is None:
                missing.append(" or ".join(candidates))
        if missing:
            note = " download=True was given, but dualnet never downloads:" if download \
                else ""
            raise FileNotFoundError(
                f"{type(self).__name__}({self.mode!r}): missing file(s).{note} place the "
                f"{self.NAME} IDX files {_FILES[self.mode][0]} and {_FILES[self.mode][1]} "
                "(raw or gzip) there, or pass image_path= and label_path=. Not found:\n  "
                + "\n  ".join(missing))
        self.images = read_idx(paths[0])
        labels = read_idx(paths[1])
        if self.images.ndim != 3 or labels.shape != (self.images.shape[0],):
            raise ValueError(f"{type(self).__name__}: the files disagree: images "
                             f"{list(self.images.shape)} in {paths[0]}, labels "
                             f"{list(labels.shape)} in {paths[1]}")
        self.labels = labels.astype(np.int64).reshape(-1, 1)

    def __getitem__(self, idx):
        image, label = self.images[idx], self.labels[idx]
        if self.backend == "cv2":
            image = image.astype(np.float32)
        if self.transform is not None:
            image = self.transform(image)
        if isinstance(image, np.ndarray) and self.backend == "cv2":
            image = image.astype(self.dtype)
        return image, label.copy()

    def __len__(self) -> int:
        return len(self.labels)


class FashionMNIST(MNIST):
    NAME = "fashion-mnist"


IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _extensions(extensions) -> tuple:
    if extensions is not None:
        return tuple(e.lower() for e in extensions)
    return (".npy",) + (IMG_EXTENSIONS if pil_available() else ())


def _valid(extensions, is_valid_file):
    if extensions is not None and is_valid_file is not None:
        raise ValueError("Both extensions and is_valid_file cannot be not None at the same "
                         "time")
    if is_valid_file is not None:
        return is_valid_file
    exts = _extensions(extensions)
    return lambda path: path.lower().endswith(exts)


def _files(folder: str, ok) -> list:
    out = []
    for root, _, names in sorted(os.walk(folder, followlinks=True)):
        out += [os.path.join(root, n) for n in sorted(names) if ok(os.path.join(root, n))]
    return out


class DatasetFolder(Dataset):
    """root/class_x/xxx.npy -> (sample, class index); classes are the sorted subfolders."""

    def __init__(self, root, loader=None, extensions=None, transform=None,
                 is_valid_file=None):
        self.root = os.fspath(root)
        self.transform = transform
        self.loader = loader or image_load
        classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not classes:
            raise RuntimeError(f"DatasetFolder: no class folders in {self.root}")
        ok = _valid(extensions, is_valid_file)
        self.classes, self.class_to_idx = classes, {c: i for i, c in enumerate(classes)}
        self.samples = [(path, self.class_to_idx[c]) for c in classes
                        for path in _files(os.path.join(self.root, c), ok)]
        if not self.samples:
            raise RuntimeError(f"DatasetFolder: found 0 files in subfolders of {self.root} "
                               f"(extensions {_extensions(extensions)}; decoding image "
                               "formats other than .npy needs Pillow)")
        self.targets = [t for _, t in self.samples]

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(Dataset):
    """Every matching file under root (no labels): items are [sample]."""

    def __init__(self, root, loader=None, extensions=None, transform=None,
                 is_valid_file=None):
        self.root = os.fspath(root)
        self.transform = transform
        self.loader = loader or image_load
        self.samples = _files(self.root, _valid(extensions, is_valid_file))
        if not self.samples:
            raise RuntimeError(f"ImageFolder: found 0 files in {self.root} (extensions "
                               f"{_extensions(extensions)})")

    def __getitem__(self, index):
        sample = self.loader(self.samples[index])
        if self.transform is not None:
            sample = self.transform(sample)
        return [sample]

    def __len__(self) -> int:
        return len(self.samples)
