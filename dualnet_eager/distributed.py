"""torch.distributed for one CPU process: a default process group of world size 1.

`init_process_group` accepts the gloo backend (what PyTorch uses on CPUs) with world_size 1,
taken from the arguments or, as PyTorch's env:// rendezvous does, from WORLD_SIZE and RANK.
The collectives then have their exact single-rank meaning: a reduction over one rank is the
tensor itself, a gather is a one-element list, a broadcast from rank 0 leaves the tensor as it
is. More ranks would need real inter-process communication, which this package does not do,
and they are refused with an error that says so.
"""
from __future__ import annotations

import datetime
import os
import pickle

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
    "all_to_all_single", "barrier", "broadcast", "broadcast_object_list",
    "destroy_process_group", "gather", "gather_object", "get_backend", "get_global_rank",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group",
    "irecv", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched", "isend", "monitored_barrier", "new_group",
    "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
    "scatter_object_list", "send",
]

default_pg_timeout = datetime.timedelta(minutes=30)


def is_available() -> bool:
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


class Backend(str):
    """A backend name ('gloo', ...): a str, compared case-insensitively on construction."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    UCC = "ucc"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = getattr(cls, name.upper(), cls.UNDEFINED)
        if value == cls.UNDEFINED:
            value = name.lower()
        return super().__new__(cls, value)


class ReduceOp:
    """The reductions of all_reduce / reduce / reduce_scatter (over one rank, all identity)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    PREMUL_SUM = "premul_sum"
    RedOpType = str


_REDUCE_OPS = {v for k, v in vars(ReduceOp).items() if k.isupper()}


class Work:
    """What async_op=True returns: the single-rank collectives are complete on return."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True

    def get_future(self):
        from concurrent.futures import Future

        fut = Future()
        fut.set_result(None)
        return fut


class ProcessGroup:
    """A group of ranks (here always the one rank 0)."""

    def __init__(self, backend: str, ranks=(0,)):
        self._backend = Backend(backend)
        self._ranks = list(ranks)

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def name(self) -> str:
        return self._backend

    def __repr__(self) -> str:
        return f"<ProcessGroup backend={self._backend} ranks={self._ranks}>"


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = object()


class group:  # noqa: N801  (torch.distributed.group.WORLD)
    WORLD = None


_STATE = {"default": None}


def is_initialized() -> bool:
    return _STATE["default"] is not None


def _default_group() -> ProcessGroup:
    if _STATE["default"] is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _STATE["default"]


def _group(g) -> ProcessGroup:
    default = _default_group()
    return default if g is None else g


def _env_int(name: str, given: int) -> int:
    if given is not None and given != -1:
        return int(given)
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                         f"environment variable {name} expected, but not set")
    return int(value)


def _check_backend(backend) -> Backend:
    name = "gloo" if backend is None else str(backend).lower()
    if name.startswith("cpu:"):
        name = name[4:].split(",")[0]
    if name == "nccl":
        raise RuntimeError("Distributed package doesn't have NCCL built in (dualnet supports "
                           "the 'gloo' backend in a single process)")
    if name == "mpi":
        raise RuntimeError("Distributed package doesn't have MPI built in")
    if name != "gloo":
        raise ValueError(f"Invalid backend: '{backend}' (dualnet supports 'gloo')")
    return Backend(name)


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Create the default group. world_size/rank come from the arguments, or from WORLD_SIZE
    and RANK when omitted (env://, as torchrun sets them). Only world_size 1 is supported."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise ValueError("Cannot specify both init_method and store.")
    be = _check_backend(backend)
    if init_method is None or str(init_method).startswith("env://"):
        world_size = _env_int("WORLD_SIZE", world_size)
        rank = _env_int("RANK", rank)
    else:
        world_size = 1 if world_size == -1 else int(world_size)
        rank = 0 if rank == -1 else int(rank)
    if world_size != 1:
        raise RuntimeError(f"init_process_group: world_size={world_size}, but dualnet's "
                           "torch.distributed runs a single process only (world_size 1); "
                           "launch one process, or use PyTorch for multi-process training")
    if rank != 0:
        raise ValueError(f"init_process_group: rank {rank} is out of range for world_size 1 "
                         "(the only rank is 0)")
    pg = ProcessGroup(be)
    _STATE["default"] = pg
    GroupMember.WORLD = group.WORLD = pg


def destroy_process_group(group=None) -> None:  # noqa: A002 (PyTorch's name)
    """Destroy `group` (None or the default group: tear everything down)."""
    if group is None or group is _STATE["default"]:
        _STATE["default"] = None
        GroupMember.WORLD = globals()["group"].WORLD = None


def get_rank(group=None) -> int:  # noqa: A002
    _group(group)
    return 0


def get_world_size(group=None) -> int:  # noqa: A002
    return _group(group).size()


def get_backend(group=None) -> Backend:  # noqa: A002
    return _group(group)._backend


def get_global_rank(group, group_rank: int) -> int:  # noqa: A002
    if group_rank != 0:
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return 0


def get_group_rank(group, global_rank: int) -> int:  # noqa: A002
    return get_global_rank(group, global_rank)


def get_process_group_ranks(group) -> list:  # noqa: A002
    return list(_group(group)._ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None, device_id=None):
    """A subgroup of the world: `ranks` may only name rank 0."""
    default = _default_group()
    ranks = [0] if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if r != 0]
    if bad:
        raise ValueError(f"new_group: ranks {bad} are not in the world (world_size 1: the only "
                         "rank is 0)")
    return ProcessGroup(default._backend if backend is None else _check_backend(backend),
                        ranks)


# ---------------------------------------------------------------- collectives


def _done(async_op: bool):
    return Work() if async_op else None


def _check_tensor(t, name: str = "tensor"):
    from .tensor import Tensor

    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor but got {type(t)} instead.")


def _check_op(op) -> None:
    if op not in _REDUCE_OPS:
        raise ValueError(f"Invalid reduce op {op!r} (use torch.distributed.ReduceOp)")


def _check_rank(rank, what: str) -> None:
    if rank is not None and rank != 0:
        raise ValueError(f"Invalid {what} rank {rank}: the world has one rank (0)")


def _copy(dst, src) -> None:
    from .autograd import no_grad

    if tuple(dst.shape) != tuple(src.shape):
        raise ValueError(f"tensor size mismatch: output {list(dst.shape)} vs input "
                         f"{list(src.shape)}")
    with no_grad():
        dst.copy_(src)


def _check_list(tensors, name: str):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"Invalid function argument: {name} should be a list of tensors")
    if len(tensors) != 1:
        raise ValueError(f"{name} must hold world_size (1) tensors, got {len(tensors)}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):  # noqa: A002
    """In place; over one rank every reduction (SUM, AVG, MAX, ...) leaves `tensor` as is."""
    _check_tensor(tensor)
    _check_op(op)
    _group(group)
    return _done(async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False,  # noqa
           group_dst=None):
    _check_tensor(tensor)
    _check_op(op)
    _check_rank(dst if group_dst is None else group_dst, "destination")
    _group(group)
    return _done(async_op)


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):  # noqa
    _check_tensor(tensor)
    _check_rank(src if group_src is None else group_src, "source")
    _group(group)
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):  # noqa: A002
    """tensor_list[0] <- tensor."""
    _check_tensor(tensor)
    _group(group)
    _check_list(tensor_list, "tensor_list")
    _copy(tensor_list[0], tensor)
    return _done(async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None,  # noqa: A002
                           async_op: bool = False):
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    _group(group)
    src = input_tensor
    if output_tensor.dim() == input_tensor.dim() + 1:  # the stacked layout
        src = input_tensor.unsqueeze(0)
    _copy(output_tensor, src)
    return _done(async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False,  # noqa
           group_dst=None):
    """On the destination (rank 0): gather_list[0] <- tensor."""
    _check_tensor(tensor)
    _check_rank(dst if group_dst is None else group_dst, "destination")
    _group(group)
    if gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _check_list(gather_list, "gather_list")
    _copy(gather_list[0], tensor)
    return _done(async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op: bool = False,  # noqa
            group_src=None):
    """On the source (rank 0): tensor <- scatter_list[0]."""
    _check_tensor(tensor)
    _check_rank(src if group_src is None else group_src, "source")
    _group(group)
    if scatter_list is None:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _check_list(scatter_list, "scatter_list")
    _copy(tensor, scatter_list[0])
    return _done(async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None,  # noqa: A002
                   async_op: bool = False):
    """output <- reduce over ranks of input_list[rank] = input_list[0]."""
    _check_tensor(output, "output")
    _check_op(op)
    _group(group)
    _check_list(input_list, "input_list")
    _copy(output, input_list[0])
    return _done(async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None,  # noqa: A002
                          async_op: bool = False):
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _check_op(op)
    _group(group)
    _copy(output, input.reshape(output.shape) if input.numel() == output.numel() else input)
    return _done(async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None,  # noqa: A002
               async_op: bool = False):
    _group(group)
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    _copy(output_tensor_list[0], input_tensor_list[0])
    return _done(async_op)


def all_to_all_single(output, input, output_split_sizes=None,  # noqa: A002
                      input_split_sizes=None, group=None, async_op: bool = False):
    _group(group)
    _copy(output, input)
    return _done(async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):  # noqa: A002
    """Nothing to wait for with one rank."""
    _group(group)
    return _done(async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:  # noqa
    _group(group)


def _roundtrip(obj):
    """What a rank receives: the object pickled and unpickled (a copy, as in PyTorch)."""
    return pickle.loads(pickle.dumps(obj))


def all_gather_object(object_list, obj, group=None) -> None:  # noqa: A002
    _group(group)
    if len(object_list) != 1:
        raise ValueError(f"object_list must have world_size (1) entries, got "
                         f"{len(object_list)}")
    object_list[0] = _roundtrip(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None,  # noqa: A002
                  group_dst=None) -> None:
    _check_rank(dst if group_dst is None else group_dst, "destination")
    _group(group)
    if object_gather_list is None:
        raise ValueError("Argument ``object_gather_list`` must be specified on destination "
                         "rank.")
    object_gather_list[0] = _roundtrip(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None,  # noqa: A002
                          group_src=None) -> None:
    _check_rank(src if group_src is None else group_src, "source")
    _group(group)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None,
                        src=None, group=None, group_src=None) -> None:  # noqa: A002
    _check_rank(src if group_src is None else group_src, "source")
    _group(group)
    if not scatter_object_input_list:
        raise ValueError("Expected argument scatter_object_input_list to be a list of size "
                         "at least 1.")
    scatter_object_output_list[0] = _roundtrip(scatter_object_input_list[0])


def _no_peer(what: str):
    _default_group()
    raise RuntimeError(f"{what}: no peer rank to talk to (world_size 1; a rank cannot send "
                       "to itself)")


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None):  # noqa: A002
    _no_peer("send")


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None):  # noqa: A002
    _no_peer("recv")


def isend(tensor, dst=None, group=None, tag: int = 0, group_dst=None):  # noqa: A002
    _no_peer("isend")


def irecv(tensor, src=None, group=None, tag: int = 0, group_src=None):  # noqa: A002
    _no_peer("irecv")
