"""torch.cuda: availability and device count (CuPy backs CUDA devices)."""
from dualnet.backend import cuda_available as is_available, device_count  # noqa: F401

from . import amp  # noqa: F401  (torch.cuda.amp.autocast / GradScaler: the same pass-throughs)


def manual_seed(seed: int) -> None:
    from dualnet.random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed
