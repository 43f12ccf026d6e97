"""paddle.static functions beyond programs and IO: accuracy, auc, Print, device_guard, py_func,
ExecutionStrategy, ParallelExecutor."""
from __future__ import annotations

import contextlib

import numpy as np

from dualnet.ops import apply
from dualnet.ops.debug import register_py_func

from .. import unique_name
from ..binder import write_to
from ..executor import Executor
from ..framework import current_block, in_implicit_mode
from ..nn.layer.storage import create_layer_buffer
from ..place import CPUPlace, CUDAPlace
from ..variable import Variable

__all__ = ["accuracy", "auc", "Print", "device_guard", "py_func", "ExecutionStrategy",
           "ParallelExecutor"]


# ---------------------------------------------------------------- metrics

def accuracy(input, label, k=1, correct=None, total=None, name=None):  # noqa: A002
    """Top-k accuracy of `input` [N, C] (scores) against `label` [N, 1] (paddle.metric's).
    `correct` / `total` are accepted; the counts are not written to them."""
    from ..metric import accuracy as _accuracy

    return _accuracy(input, label, k=k)


def auc(input, label, curve="ROC", num_thresholds=2 ** 12 - 1, topk=1,  # noqa: A002
        slide_steps=1, ins_tag_weight=None):
    """Streaming ROC AUC, Paddle's: the positive-class score input[:, -1] is bucketed into
    num_thresholds + 1 bins; per-bin positive/negative counts accumulate in persistable int64
    variables across runs (global) and over the last `slide_steps` batches (batch).
    Returns (auc, batch_auc, [batch_stat_pos, batch_stat_neg, stat_pos, stat_neg]); set the
    stat variables to zeros to reset. ins_tag_weight must be None (no instance weights)."""
    if curve != "ROC":
        raise NotImplementedError(f"auc: only curve='ROC' is implemented, got {curve!r}")
    if ins_tag_weight is not None:
        raise NotImplementedError("auc: ins_tag_weight is not supported")
    if not isinstance(slide_steps, int) or slide_steps < 0:
        raise ValueError(f"auc: slide_steps must be an int >= 0, got {slide_steps!r}")
    bins = int(num_thresholds) + 1
    pos, neg = _histograms(input, label, int(num_thresholds))
    layer = unique_name.generate("auc")
    stat_pos, stat_neg = (create_layer_buffer(layer, n, np.zeros((1, bins), np.int64))
                          for n in ("stat_pos", "stat_neg"))
    if slide_steps:
        window = (max(slide_steps, 1), bins)
        batch_pos, batch_neg = (create_layer_buffer(layer, n, np.zeros(window, np.int64))
                                for n in ("batch_stat_pos", "batch_stat_neg"))
    else:
        batch_pos, batch_neg = stat_pos, stat_neg
    new_pos = write_to(apply("add", stat_pos, pos), stat_pos)
    new_neg = write_to(apply("add", stat_neg, neg), stat_neg)
    if slide_steps:
        win_pos = write_to(_slide(batch_pos, pos, slide_steps), batch_pos)
        win_neg = write_to(_slide(batch_neg, neg, slide_steps), batch_neg)
    else:
        win_pos, win_neg = new_pos, new_neg
    auc_out = _auc_of(new_pos, new_neg)
    batch_auc = _auc_of(win_pos, win_neg)
    return auc_out, batch_auc, [batch_pos, batch_neg, stat_pos, stat_neg]


def _histograms(input, label, num_thresholds: int):
    """[1, T+1] int64 counts of positive / negative instances per score bin."""
    if input.ndim != 2:
        raise ValueError(f"auc: input must be [N, C] scores, got shape {input.shape}")
    score = input[:, -1]
    bucket = apply("cast", apply("clip", apply("mul", score, float(num_thresholds)),
                                 min=0.0, max=float(num_thresholds)), dtype="int64")
    onehot = apply("one_hot", bucket, num_classes=num_thresholds + 1, dtype="float64")
    flat = apply("reshape", label, shape=(-1, 1))
    is_pos = apply("cast", apply("not_equal", flat, 0), dtype="float64")
    pos = apply("sum", apply("mul", onehot, is_pos), axis=0, keepdim=True)
    neg = apply("sum", apply("mul", onehot, apply("sub", 1.0, is_pos)), axis=0, keepdim=True)
    return apply("cast", pos, dtype="int64"), apply("cast", neg, dtype="int64")


def _slide(window, counts, steps: int):
    """The window [steps, T+1] with its oldest row dropped and `counts` appended."""
    if steps == 1:
        return apply("assign", counts)
    return apply("concat", window[1:], counts, axis=0)


def _auc_of(pos, neg):
    """Paddle's trapezoid ROC area from per-bin counts (summed over rows), float64."""
    pos = apply("cast", apply("sum", pos, axis=0), dtype="float64")
    neg = apply("cast", apply("sum", neg, axis=0), dtype="float64")
    fpos, fneg = apply("flip", pos, axis=(0,)), apply("flip", neg, axis=(0,))
    cum_pos = apply("cumsum", fpos, axis=0)
    area = apply("sum", apply("mul", fneg, apply("sub", apply("mul", cum_pos, 2.0), fpos)))
    total = apply("mul", apply("sum", pos), apply("sum", neg))
    return apply("div", apply("mul", area, 0.5), apply("maximum", total, 1.0))


# ---------------------------------------------------------------- debugging

def Print(input, first_n=-1, message=None, summarize=20, print_tensor_name=True,  # noqa: N802
          print_tensor_type=True, print_tensor_shape=True, print_tensor_layout=True,
          print_tensor_lod=True, print_phase="both"):
    """An identity whose op prints `input` (Paddle's format) each time it runs - at most
    first_n times if first_n > 0 - and its gradient in the backward pass (print_phase
    'backward' or 'both'). Use the returned value: the Executor runs only the ops its
    fetches need, so a Print whose output nothing uses never runs."""
    name = getattr(input, "name", "") or ""
    return apply("print", input, name=name, message=message or "", first_n=first_n,
                 summarize=summarize, print_tensor_name=print_tensor_name,
                 print_tensor_type=print_tensor_type, print_tensor_shape=print_tensor_shape,
                 print_tensor_layout=print_tensor_layout, print_tensor_lod=print_tensor_lod,
                 print_phase=print_phase, key=unique_name.generate("print"))


_DEVICES = ("cpu", "gpu", "npu", "xpu", "")


@contextlib.contextmanager
def device_guard(device=None):
    """Paddle's per-op device placement. Every op of a program runs on the Executor's place
    here, so the device is validated and otherwise has no effect."""
    if device is not None and not isinstance(device, str):
        raise TypeError(f"device_guard: device must be a str or None, got "
                        f"{type(device).__name__}")
    if device is not None and device not in _DEVICES and ":" not in device:
        raise ValueError(f"device_guard: device should be 'cpu', 'gpu', 'npu' or 'xpu' "
                         f"(optionally ':N'), or empty / None, got {device!r}")
    yield


# ---------------------------------------------------------------- py_func

def _as_list(v, what: str) -> list:
    items = list(v) if isinstance(v, (list, tuple)) else [v]
    for item in items:
        if not isinstance(item, Variable):
            raise TypeError(f"py_func: {what} must be Variables, got {type(item).__name__}")
    return items


def py_func(func, x, out, backward_func=None, skip_vars_in_backward_input=None):
    """An op running `func(*x)` (NumPy arrays in, arrays out) when the program runs; `out`
    are Variables created beforehand with their shape and dtype (block.create_var), which
    the op computes. backward_func(*x, *out, *dout) (minus skip_vars_in_backward_input)
    returns one gradient per x (None for none). The functions live in this process only."""
    if in_implicit_mode():
        raise NotImplementedError("py_func is a static-graph API: build it inside a "
                                  "program_guard or after paddle.enable_static()")
    if not callable(func) or (backward_func is not None and not callable(backward_func)):
        raise TypeError("py_func: func and backward_func must be callable")
    if out is None:
        raise NotImplementedError("py_func: out=None (a function with no outputs) is not "
                                  "supported: the Executor runs only the ops its fetches "
                                  "need, so such an op would never run")
    xs, outs = _as_list(x, "x"), _as_list(out, "out")
    skip = _skip_mask(skip_vars_in_backward_input, xs, outs)
    specs = tuple((tuple(o._shape), o._dtype.name) for o in outs)
    attrs = {"func": register_py_func(func), "out_specs": specs,
             "backward": register_py_func(backward_func) if backward_func else 0,
             "skip": skip}
    current_block().append_op("py_func", inputs={"X": xs}, outputs={"Out": outs}, attrs=attrs)
    if backward_func is None:
        for o in outs:
            o.stop_gradient = True
    return out


def _skip_mask(skip, xs: list, outs: list) -> tuple:
    if skip is None:
        return ()
    skip = _as_list(skip, "skip_vars_in_backward_input")
    ids = {id(v) for v in skip}
    known = {id(v) for v in xs + outs}
    if not ids <= known:
        raise ValueError("py_func: skip_vars_in_backward_input may only hold Variables of x "
                         "and out")
    return tuple(id(v) in ids for v in xs + outs) + (False,) * len(outs)


# ---------------------------------------------------------------- 1.x execution API

class ExecutionStrategy:
    """Paddle's ExecutionStrategy: its attributes are accepted and kept (one device, one
    thread of ops here)."""

    def __init__(self):
        self.num_threads = 0
        self.num_iteration_per_drop_scope = 100
        self.num_iteration_per_run = 1
        self.use_thread_barrier = False
        self.allow_op_delay = False

    def __repr__(self) -> str:
        return f"ExecutionStrategy({vars(self)})"


class ParallelExecutor:
    """Paddle 1.x's ParallelExecutor on one device: an Executor running `main_program`."""

    def __init__(self, use_cuda, loss_name=None, main_program=None, share_vars_from=None,
                 exec_strategy=None, build_strategy=None, num_trainers=1, trainer_id=0,
                 scope=None):
        from ..executor import CompiledProgram
        from ..framework import default_main_program

        self._place = CUDAPlace(0) if use_cuda else CPUPlace()
        self._exe = Executor(self._place)
        program = main_program if main_program is not None else default_main_program()
        self._program = CompiledProgram(program, build_strategy) if build_strategy else program
        self._scope = scope
        self.loss_name = loss_name

    @property
    def device_count(self) -> int:
        return 1

    def run(self, fetch_list, feed=None, feed_dict=None, return_numpy=True):
        """Executor.run(main_program, feed, fetch_list); feed_dict is Paddle's old name."""
        if feed is None:
            feed = feed_dict
        if isinstance(feed, (list, tuple)):  # one dict per device
            if len(feed) != 1:
                raise ValueError(f"ParallelExecutor.run: one device here, got {len(feed)} "
                                 "feed dicts")
            feed = feed[0]
        return self._exe.run(self._program, feed=feed, fetch_list=fetch_list,
                             scope=self._scope, return_numpy=return_numpy)

    def drop_local_exe_scopes(self) -> None:
        """Nothing to drop (one scope)."""
