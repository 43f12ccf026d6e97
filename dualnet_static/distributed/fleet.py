"""`paddle.distributed.fleet` for one process: init, and model / optimizer pass-throughs."""
from __future__ import annotations

__all__ = ["init", "DistributedStrategy", "distributed_model", "distributed_optimizer",
           "worker_index", "worker_num", "is_first_worker", "is_worker", "is_server",
           "barrier_worker", "get_hybrid_communicate_group"]

_STATE = {"initialized": False, "strategy": None}


class DistributedStrategy:
    """Options of distributed training; kept as attributes (nothing to configure here)."""

    def __init__(self):
        self.amp = False
        self.recompute = False
        self.sharding = False
        self.pipeline = False
        self.gradient_merge = False
        self.hybrid_configs = {}
        self.amp_configs = {}

    def __repr__(self) -> str:
        return f"DistributedStrategy({vars(self)})"


def init(role_maker=None, is_collective: bool = False, strategy=None, log_level="INFO"):
    """Start fleet: one collective worker (rank 0)."""
    from . import init_parallel_env

    if strategy is not None and not isinstance(strategy, DistributedStrategy):
        raise TypeError(f"fleet.init: strategy must be a DistributedStrategy, got "
                        f"{type(strategy).__name__}")
    init_parallel_env()
    _STATE.update(initialized=True, strategy=strategy or DistributedStrategy())


def _check(what: str) -> None:
    if not _STATE["initialized"]:
        raise RuntimeError(f"fleet.{what}: call fleet.init(is_collective=True) first")


def distributed_model(model):
    """The model itself: with one worker there is nothing to synchronize."""
    _check("distributed_model")
    return model


def distributed_optimizer(optimizer, strategy=None):
    """The optimizer itself (one worker)."""
    _check("distributed_optimizer")
    return optimizer


def worker_index() -> int:
    return 0


def worker_num() -> int:
    return 1


def is_first_worker() -> bool:
    return True


def is_worker() -> bool:
    return True


def is_server() -> bool:
    return False


def barrier_worker() -> None:
    """Workers wait for each other: one never waits."""


def get_hybrid_communicate_group():
    raise RuntimeError("fleet.get_hybrid_communicate_group: hybrid parallelism needs several "
                       "processes (world size is 1)")
