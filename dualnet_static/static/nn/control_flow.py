"""paddle.static.nn control flow: cond, case, switch_case, while_loop.

dualnet's Executor runs a Program's global block only (no sub-blocks), so:
- When the predicate has a value - a Python bool, implicit (dynamic-looking) mode, or an
  explicit program where it is computed from constants only - the branch is picked in Python
  (what Paddle's dynamic mode does) and only that branch is built.
- Otherwise (a predicate depending on fed data or parameters) BOTH branches are built and
  each output is selected with `where(pred, true_out, false_out)`. For pure branch functions
  the outputs, and the gradients from append_backward (where sends zeros to the branch not
  taken), equal Paddle's. Both branches are computed at run time, so the branches must return
  the same structure with the same shapes and dtypes, and side effects of both happen
  (parameters created in a branch exist either way; state updates such as batch_norm running
  statistics inside a branch run whichever branch is selected).
- while_loop is unrolled when its condition is decidable while the program is built (the
  loop variables that the condition reads come from constants, e.g. paddle.full); otherwise
  it raises NotImplementedError.
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from ...tensor_methods.values import _has_value
from ...variable import Variable

__all__ = ["cond", "case", "switch_case", "while_loop"]

MAX_UNROLL = 10000


# ---------------------------------------------------------------- build-time values

def static_value(v, memo: dict | None = None):
    """v's value as a NumPy array when it can be computed now, while the program is built
    (a constant, or ops of constants that are not random and write no state), else None."""
    if not isinstance(v, Variable):
        return np.asarray(v)
    memo = {} if memo is None else memo
    key = id(v)
    if key in memo:
        return memo[key][1]
    stack, order = [v], []
    while stack:  # iterative post-order: long unrolled chains must not hit the recursion limit
        t = stack.pop()
        if id(t) in memo:
            continue
        if t._value is not None:
            memo[id(t)] = (t, np.asarray(t._value))
            continue
        op = t.op
        if op is None or t.persistable or op.opdef.random or op.opdef.inplace:
            memo[id(t)] = (t, None)
            continue
        pending = [i for i in op.inputs if i is not None and id(i) not in memo]
        if pending:
            stack.append(t)
            stack.extend(pending)
            continue
        memo[id(t)] = (t, _run_op(op, t, memo))
    return memo[key][1]


def _run_op(op, t, memo: dict):
    args = [None if i is None else memo[id(i)][1] for i in op.inputs]
    if any(a is None and i is not None for a, i in zip(args, op.inputs)):
        return None
    res = op.opdef.forward(np, *args, **op.attrs)
    if op.opdef.n_out != 1:
        res = res[next(k for k, o in enumerate(op.outputs) if o is t)]
    return np.asarray(res)


def _decided(pred, what: str):
    """The Python truth value of `pred` if it is known now, else None (build both)."""
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if not isinstance(pred, Variable):
        array = np.asarray(pred)
        if array.dtype != bool or array.size != 1:
            raise TypeError(f"{what}: pred must be a boolean Tensor with one element, got "
                            f"{type(pred).__name__} {pred!r}")
        return bool(array.reshape(()))
    _check_pred(pred, what)
    if _has_value(pred):
        return bool(pred)
    value = static_value(pred)
    return None if value is None else bool(value.reshape(()))


def _check_pred(pred: Variable, what: str) -> None:
    if pred._dtype != np.bool_:
        raise TypeError(f"{what}: pred must be a bool Tensor, got {pred._dtype} "
                        f"({pred.name})")
    if all(d >= 0 for d in pred._shape) and int(np.prod(pred._shape)) != 1:
        raise ValueError(f"{what}: pred must have exactly one element, got shape "
                         f"{list(pred._shape)} ({pred.name})")


# ---------------------------------------------------------------- cond

def cond(pred, true_fn=None, false_fn=None, name=None, return_names=None):
    """true_fn() if pred else false_fn() (None for a missing function); see the module
    docstring for how an undecidable pred is handled."""
    for fn, what in ((true_fn, "true_fn"), (false_fn, "false_fn")):
        if fn is not None and not callable(fn):
            raise TypeError(f"cond: {what} must be callable, got {type(fn).__name__}")
    taken = _decided(pred, "cond")
    if taken is not None:
        fn = true_fn if taken else false_fn
        return None if fn is None else fn()
    t_out = None if true_fn is None else true_fn()
    f_out = None if false_fn is None else false_fn()
    return _select(_scalar_pred(pred), t_out, f_out, "cond", "output")


def _scalar_pred(pred: Variable):
    return pred if pred.ndim == 0 else apply("reshape", pred, shape=())


def _select(pred, t, f, what: str, path: str):
    """where(pred, t, f) over matching nested outputs."""
    if isinstance(t, Variable) or isinstance(f, Variable):
        if not (isinstance(t, Variable) and isinstance(f, Variable)):
            raise ValueError(f"{what}: {path} is a Tensor in one branch and "
                             f"{type(f if isinstance(t, Variable) else t).__name__} in the "
                             "other; both branches must return the same structure")
        _check_same(t, f, what, path)
        return apply("where", pred, t, f)
    if isinstance(t, (list, tuple)) and isinstance(f, (list, tuple)):
        if type(t) is not type(f) or len(t) != len(f):
            raise ValueError(f"{what}: {path} has {len(t)} items in one branch and {len(f)} in "
                             "the other; both branches must return the same structure")
        out = [_select(pred, a, b, what, f"{path}[{k}]") for k, (a, b) in enumerate(zip(t, f))]
        return type(t)(out) if isinstance(t, tuple) and not hasattr(t, "_fields") else \
            (type(t)(*out) if isinstance(t, tuple) else out)
    if isinstance(t, dict) and isinstance(f, dict):
        if set(t) != set(f):
            raise ValueError(f"{what}: {path} has keys {sorted(t)} in one branch and "
                             f"{sorted(f)} in the other")
        return {k: _select(pred, t[k], f[k], what, f"{path}[{k!r}]") for k in t}
    if t is None and f is None:
        return None
    try:
        same = bool(np.all(np.asarray(t) == np.asarray(f))) and type(t) is type(f)
    except (TypeError, ValueError):
        same = t is f
    if not same:
        raise ValueError(f"{what}: {path} is {t!r} in one branch and {f!r} in the other; both "
                         "branches must return the same structure (Tensors where they differ)")
    return t


def _check_same(t: Variable, f: Variable, what: str, path: str) -> None:
    ok = len(t._shape) == len(f._shape) and all(
        a == b or -1 in (a, b) for a, b in zip(t._shape, f._shape))
    if not ok or t._dtype != f._dtype:
        raise ValueError(f"{what}: {path} is {list(t._shape)} {t._dtype} in one branch and "
                         f"{list(f._shape)} {f._dtype} in the other; both branches are "
                         "computed and selected with where, so they must match")


# ---------------------------------------------------------------- case / switch_case

def case(pred_fn_pairs, default=None, name=None):
    """The fn of the first pair whose pred is True, else default() (default=None: the last
    pair's fn)."""
    if not isinstance(pred_fn_pairs, (list, tuple)) or not pred_fn_pairs:
        raise TypeError("case: pred_fn_pairs must be a non-empty list or tuple of "
                        "(pred, fn) pairs")
    for pair in pred_fn_pairs:
        if not isinstance(pair, tuple) or len(pair) != 2 or not callable(pair[1]):
            raise TypeError(f"case: each element of pred_fn_pairs must be a (pred, fn) tuple "
                            f"with a callable fn, got {pair!r}")
    pairs = list(pred_fn_pairs)
    if default is None:
        default = pairs.pop()[1]
    elif not callable(default):
        raise TypeError(f"case: default must be callable, got {type(default).__name__}")
    return _chain(pairs, default)


def _chain(pairs: list, default):
    if not pairs:
        return default()
    (pred, fn), rest = pairs[0], pairs[1:]
    return cond(pred, fn, lambda: _chain(rest, default))


def _branches(branch_fns) -> list:
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError(f"switch_case: branch_fns must be a dict, list or tuple, got "
                        f"{type(branch_fns).__name__}")
    items = list(branch_fns.items()) if isinstance(branch_fns, dict) else list(branch_fns)
    if items and all(callable(fn) for fn in items):
        items = list(enumerate(items))
    keys = set()
    for pair in items:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"switch_case: the elements of branch_fns must be (int, fn) "
                            f"tuples, got {pair!r}")
        key, fn = pair
        if not isinstance(key, (int, np.integer)) or isinstance(key, bool):
            raise TypeError(f"switch_case: branch keys must be ints, got {key!r}")
        if not callable(fn):
            raise TypeError(f"switch_case: the fn of key {key} must be callable")
        if key in keys:
            raise ValueError(f"switch_case: the key {key} appears more than once in branch_fns")
        keys.add(key)
    if not items:
        raise ValueError("switch_case: branch_fns is empty")
    return [(int(k), fn) for k, fn in items]


def switch_case(branch_index, branch_fns, default=None, name=None):
    """branch_fns[branch_index](), else default() (default=None: the fn of the largest
    key). branch_fns: {int: fn}, [(int, fn), ...] or [fn, ...] (keys 0, 1, ...)."""
    pairs = _branches(branch_fns)
    if default is None:
        top = max(pairs, key=lambda p: p[0])
        default = top[1]
    elif not callable(default):
        raise TypeError(f"switch_case: default must be callable, got "
                        f"{type(default).__name__}")
    index = _index_value(branch_index)
    if index is not None:
        return dict(pairs).get(index, default)()
    out = default()
    flat_index = branch_index if branch_index.ndim == 0 else \
        apply("reshape", branch_index, shape=())
    for key, fn in pairs:
        out = _select(apply("equal", flat_index, key), fn(), out, "switch_case",
                      f"output of key {key}")
    return out


def _index_value(branch_index):
    if isinstance(branch_index, (int, np.integer)) and not isinstance(branch_index, bool):
        return int(branch_index)
    if not isinstance(branch_index, Variable):
        raise TypeError(f"switch_case: branch_index must be an integer Tensor, got "
                        f"{type(branch_index).__name__}")
    if branch_index._dtype.kind not in "iu":
        raise TypeError(f"switch_case: branch_index must be uint8, int32 or int64, got "
                        f"{branch_index._dtype}")
    if all(d >= 0 for d in branch_index._shape) and int(np.prod(branch_index._shape)) != 1:
        raise ValueError(f"switch_case: branch_index must have one element, got shape "
                         f"{list(branch_index._shape)}")
    if _has_value(branch_index):
        return int(branch_index.item())
    value = static_value(branch_index)
    return None if value is None else int(value.reshape(()))


# ---------------------------------------------------------------- while_loop

def while_loop(cond, body, loop_vars, is_test=False, name=None):  # noqa: A002 (Paddle's name)
    """loop_vars = body(*loop_vars) while cond(*loop_vars); returns the final loop_vars (a
    list). In an explicit program the loop is unrolled while it is built, which needs the
    condition to be decidable then (see the module docstring)."""
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callable")
    if not isinstance(loop_vars, (list, tuple)) or not loop_vars:
        raise ValueError("while_loop: loop_vars must be a non-empty list or tuple")
    loop_vars = list(loop_vars)
    memo: dict = {}
    for step in range(MAX_UNROLL + 1):
        if not _continue(cond, loop_vars, memo):
            return loop_vars
        if step == MAX_UNROLL:
            break
        out = body(*loop_vars)
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(out) != len(loop_vars):
            raise ValueError(f"while_loop: body returned {len(out)} values for "
                             f"{len(loop_vars)} loop_vars")
        loop_vars = out
    raise NotImplementedError(f"while_loop: the loop was still running after {MAX_UNROLL} "
                              "unrolled iterations; dualnet unrolls while_loop while the "
                              "program is built and stops there")


def _continue(cond, loop_vars: list, memo: dict) -> bool:
    block = _block_of(loop_vars)
    start = len(block.ops) if block is not None else 0
    pred = cond(*loop_vars)
    if isinstance(pred, Variable):
        _check_pred(pred, "while_loop")
        if _has_value(pred):
            return bool(pred)
        value = static_value(pred, memo)
        if value is None:
            raise NotImplementedError(
                f"while_loop: its condition ({pred.name}) depends on values known only when "
                "the program runs (fed data, parameters or other persistable state). "
                "dualnet's Executor runs a single block (no sub-blocks), so while_loop is "
                "unrolled while the program is built, which needs a condition decidable then "
                "(loop variables computed from constants, e.g. paddle.full); use a Python "
                "loop over a fixed count, or implicit (dynamic) mode")
        _drop_ops(block, start)
        return bool(value.reshape(()))
    return bool(_decided(pred, "while_loop"))


def _block_of(values: list):
    for v in values:
        if isinstance(v, Variable):
            return v.block
    return None


def _drop_ops(block, start: int) -> None:
    """Remove the ops the condition appended (its value is known: nothing reads them)."""
    if block is None or len(block.ops) <= start:
        return
    for op in block.ops[start:]:
        for v in op.outputs:
            if v is not None and block.vars.get(v.name) is v:
                block._remove_var(v.name)
    del block.ops[start:]
    block.program._bump()
