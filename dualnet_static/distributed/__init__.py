"""`paddle.distributed` for one CPU process: rank 0 of a world of 1.

Scripts written for data-parallel training run unchanged: the environment queries answer
rank 0 / world size 1, collectives have their single-rank meaning (all_reduce, broadcast,
reduce leave the tensor as it is; all_gather gives a list holding the tensor; scatter takes
the one piece), `spawn` runs the function in this process when nprocs is 1, and
`DataParallel` / `fleet` wrap nothing. Asking for more than one process is a clear error.
"""
from __future__ import annotations

import os

from ..variable import Variable
from . import fleet  # noqa: F401

__all__ = ["ReduceOp", "ParallelEnv", "init_parallel_env", "get_rank", "get_world_size",
           "is_initialized", "is_available", "barrier", "new_group", "get_group",
           "destroy_process_group", "all_reduce", "broadcast", "all_gather",
           "all_gather_object", "reduce", "scatter", "alltoall", "send", "recv", "wait",
           "spawn", "launch", "DataParallel", "fleet", "ParallelMode"]

_STATE = {"initialized": False}


class ReduceOp:
    """Reduction of the collectives (Paddle's constants)."""
    SUM = 0
    MAX = 1
    MIN = 2
    PROD = 3
    AVG = 4


class ParallelMode:
    DATA_PARALLEL = 0
    TENSOR_PARALLEL = 1
    PIPELINE_PARALLEL = 2
    SHARDING_PARALLEL = 3


class ParallelEnv:
    """The trainer's environment: read from PADDLE_* variables like Paddle, defaulting to one
    CPU trainer."""

    def __init__(self):
        self._rank = int(os.getenv("PADDLE_TRAINER_ID", "0"))
        self._world_size = int(os.getenv("PADDLE_TRAINERS_NUM", "1"))
        self._device_id = int(os.getenv("FLAGS_selected_gpus", "0").split(",")[0] or 0)
        self._current_endpoint = os.getenv("PADDLE_CURRENT_ENDPOINT", "")
        self._trainer_endpoints = [e for e in os.getenv("PADDLE_TRAINER_ENDPOINTS",
                                                        "").split(",") if e]

    rank = property(lambda self: self._rank)
    local_rank = rank
    world_size = property(lambda self: self._world_size)
    nranks = world_size
    device_id = property(lambda self: self._device_id)
    dev_id = device_id
    device_type = property(lambda self: "cpu")
    current_endpoint = property(lambda self: self._current_endpoint)
    trainer_endpoints = property(lambda self: list(self._trainer_endpoints))

    def __repr__(self) -> str:
        return f"ParallelEnv(rank={self.rank}, world_size={self.world_size}, device=cpu)"


def _check_single(what: str) -> None:
    if ParallelEnv().world_size != 1:
        raise RuntimeError(f"paddle.distributed.{what}: this build runs one process "
                           f"(PADDLE_TRAINERS_NUM={ParallelEnv().world_size} is set)")


def init_parallel_env() -> ParallelEnv:
    """Initialize the (single-process) parallel environment; returns its ParallelEnv."""
    _check_single("init_parallel_env")
    _STATE["initialized"] = True
    return ParallelEnv()


def is_initialized() -> bool:
    return _STATE["initialized"]


def is_available() -> bool:
    return True


def destroy_process_group(group=None) -> None:
    _STATE["initialized"] = False


def get_rank(group=None) -> int:
    return ParallelEnv().rank if group is None else group.rank


def get_world_size(group=None) -> int:
    return ParallelEnv().world_size if group is None else group.world_size


class Group:
    """A communication group: here always this one process."""

    def __init__(self, ranks=None, gid: int = 0, backend=None):
        self.ranks = list(ranks) if ranks is not None else [0]
        self.id = gid
        self.backend = backend

    rank = property(lambda self: 0 if 0 in self.ranks else -1)
    world_size = nranks = property(lambda self: len(self.ranks))
    process_group = property(lambda self: self)

    def is_member(self) -> bool:
        return self.rank >= 0

    def get_group_rank(self, rank: int) -> int:
        return self.ranks.index(rank) if rank in self.ranks else -1

    def __repr__(self) -> str:
        return f"Group(id={self.id}, ranks={self.ranks})"


_GROUPS = {0: Group()}


def new_group(ranks=None, backend=None, timeout=None) -> Group:
    """A group of `ranks` (only rank 0 exists)."""
    ranks = [0] if ranks is None else list(ranks)
    bad = [r for r in ranks if r != 0]
    if bad:
        raise ValueError(f"new_group: ranks {bad} do not exist (world size is 1)")
    group = Group(ranks, len(_GROUPS), backend)
    _GROUPS[group.id] = group
    return group


def get_group(id: int = 0) -> Group | None:  # noqa: A002 (Paddle's name)
    return _GROUPS.get(id)


class _Task:
    """What an asynchronous collective returns: already done."""

    def wait(self) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def _done(sync_op: bool):
    return None if sync_op else _Task()


def _tensor(t, what: str) -> None:
    if not isinstance(t, Variable):
        raise TypeError(f"paddle.distributed.{what}: expected a Tensor, got {type(t).__name__}")


def _rank_ok(rank: int, what: str, name: str) -> None:
    if rank != 0:
        raise ValueError(f"paddle.distributed.{what}: {name}={rank} is not a rank of this "
                         "world of size 1")


def _op_ok(op, what: str) -> None:
    if op not in (ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PROD, ReduceOp.AVG):
        raise ValueError(f"paddle.distributed.{what}: unknown ReduceOp {op!r}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, sync_op: bool = True):
    """Every rank gets the reduction over ranks: with one rank, the tensor itself."""
    _tensor(tensor, "all_reduce")
    _op_ok(op, "all_reduce")
    return _done(sync_op)


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, sync_op: bool = True):
    _tensor(tensor, "reduce")
    _rank_ok(dst, "reduce", "dst")
    _op_ok(op, "reduce")
    return _done(sync_op)


def broadcast(tensor, src: int = 0, group=None, sync_op: bool = True):
    _tensor(tensor, "broadcast")
    _rank_ok(src, "broadcast", "src")
    return _done(sync_op)


def all_gather(tensor_list: list, tensor, group=None, sync_op: bool = True):
    """tensor_list receives one tensor per rank: [tensor]."""
    _tensor(tensor, "all_gather")
    if not isinstance(tensor_list, list):
        raise TypeError("paddle.distributed.all_gather: tensor_list must be a list")
    tensor_list[:] = [tensor]
    return _done(sync_op)


def all_gather_object(object_list: list, obj, group=None) -> None:
    if not isinstance(object_list, list):
        raise TypeError("paddle.distributed.all_gather_object: object_list must be a list")
    object_list[:] = [obj]


def scatter(tensor, tensor_list=None, src: int = 0, group=None, sync_op: bool = True):
    """tensor receives this rank's piece of tensor_list (its only element)."""
    _tensor(tensor, "scatter")
    _rank_ok(src, "scatter", "src")
    if tensor_list is not None:
        if len(tensor_list) != 1:
            raise ValueError(f"paddle.distributed.scatter: tensor_list must hold one tensor "
                             f"per rank (1), got {len(tensor_list)}")
        from dualnet.ops import apply

        from ..tensor_methods.inplace import assign_to

        assign_to(tensor, apply("assign", tensor_list[0]), "scatter")
    return _done(sync_op)


def alltoall(in_tensor_list: list, out_tensor_list: list, group=None, sync_op: bool = True):
    """Rank i sends in_tensor_list[j] to rank j: with one rank, out = in."""
    if len(in_tensor_list) != 1:
        raise ValueError(f"paddle.distributed.alltoall: in_tensor_list must hold one tensor "
                         f"per rank (1), got {len(in_tensor_list)}")
    out_tensor_list[:] = list(in_tensor_list)
    return _done(sync_op)


def send(tensor, dst: int = 0, group=None, sync_op: bool = True):
    raise RuntimeError("paddle.distributed.send: there is no other rank to send to "
                       "(world size 1)")


def recv(tensor, src: int = 0, group=None, sync_op: bool = True):
    raise RuntimeError("paddle.distributed.recv: there is no other rank to receive from "
                       "(world size 1)")


def barrier(group=None) -> None:
    """All ranks wait here: one rank never waits."""


def wait(tensor, group=None, use_calc_stream: bool = True) -> None:
    _tensor(tensor, "wait")


def spawn(func, args=(), nprocs: int = -1, join: bool = True, daemon: bool = False,
          **options):
    """Run func(*args) as the trainers: nprocs 1 (or -1, the default: one per CPU device
    here) runs it in this process."""
    if nprocs not in (-1, 1):
        raise RuntimeError(f"paddle.distributed.spawn: nprocs={nprocs} needs several "
                           "processes with collective communication, which this build does "
                           "not have (use nprocs=1)")
    _STATE["initialized"] = True
    func(*args)
    return None


def launch() -> None:
    raise RuntimeError("paddle.distributed.launch: multi-process launching is not available "
                       "(run the script directly: it is rank 0 of a world of 1)")


def __getattr__(name):
    if name == "DataParallel":
        from .. import _runtime

        return _runtime.DataParallel
    raise AttributeError(f"module 'paddle.distributed' has no attribute {name!r}")
