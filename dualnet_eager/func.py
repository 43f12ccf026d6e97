"""torch.func (imported lazily as `torch.func`): grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap and functional_call, built on the eager tape.

How the transforms map onto a tape autograd:
- `grad`/`vjp`/`jacrev` run `func` on fresh aliases of the differentiated inputs (a detached leaf,
  or a recorded copy when the input already carries a graph), so nested transforms never confuse
  each other's perturbations, and take `autograd.grad(..., create_graph=True)`. A result keeps
  its graph only when it reaches tensors from outside the transform (an enclosing transform or
  user tensors that require grad); otherwise it is returned detached, as torch.func does.
- `jvp` has no forward mode here: it is the "double vjp" J v = d/du <J^T u, v>.
- `jacfwd` is computed like `jacrev` (reverse mode, one vjp per output element): same values.
- `vmap` loops over the mapped dimension, calls `func` on each slice and stacks the results
  (same values as PyTorch's batching rules, at loop speed); it composes with itself and with
  the gradient transforms (per-sample gradients are `vmap(grad(f))`).
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Any, Callable

from .autograd import grad_mode
from .tensor import Tensor, zeros_like_tensor


class _Depth(threading.local):
    value = 0


_depth = _Depth()

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


# ---------------------------------------------------------------- pytrees (dict/list/tuple)

def tree_flatten(tree) -> tuple[list, Any]:
    """Leaves of nested tuples/lists/dicts (in order) and a spec to rebuild the structure."""
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        leaves, specs = [], []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append((len(sub), spec))
        return leaves, (type(tree), None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for key in tree:
            sub, spec = tree_flatten(tree[key])
            leaves += sub
            specs.append((len(sub), spec))
        return leaves, (type(tree), list(tree), specs)
    return [tree], None


def tree_unflatten(leaves, spec):
    """Inverse of `tree_flatten`."""
    if spec is None:
        return leaves[0]
    kind, keys, specs = spec
    items, pos = [], 0
    for n, sub in specs:
        items.append(tree_unflatten(leaves[pos:pos + n], sub))
        pos += n
    if keys is not None:
        return kind(zip(keys, items))
    return kind(items)


# ---------------------------------------------------------------- shared machinery

# Leaves created by the transforms, with the nesting depth that created them: a result
# keeps its graph only if it reaches a leaf from outside its own transform level.
_registry: dict = {}


def _register(t: Tensor) -> Tensor:
    key = id(t)
    _registry[key] = (weakref.ref(t, lambda _, k=key: _registry.pop(k, None)), _depth.value)
    return t


def _alias(t, what: str) -> Tensor:
    """A fresh differentiable stand-in for `t`, connected to t's own graph if it has one."""
    if not isinstance(t, Tensor):
        raise ValueError(f"{what}: Expected all differentiated inputs to be Tensors, got "
                         f"{type(t).__name__}")
    if t._data.dtype.kind not in "fc":
        raise RuntimeError(f"{what}: only Tensors of floating point dtype can be "
                           "differentiated")
    if t.requires_grad:
        from dualnet.ops import apply

        return apply("assign", t)
    return _register(t.detach().requires_grad_(True))


def _reaches_outside(t: Tensor, level: int) -> bool:
    """Whether t's graph reaches a leaf not created by a transform at depth >= level."""
    from .autograd.engine import AccumulateGrad

    seen = set()
    stack = [t._grad_edge()[0]]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            entry = _registry.get(id(node.variable))
            if entry is None or entry[0]() is not node.variable or entry[1] < level:
                return True
            continue
        stack += [e[0] for e in node.next_edges if e is not None]
    return False


def _unwrap(value, level: int, keep_graph: bool):
    """Detach each Tensor of `value` whose graph stays inside the transform's own level."""
    def fix(t):
        if not isinstance(t, Tensor) or t._grad_edge() is None:
            return t
        if keep_graph and _reaches_outside(t, level):
            return t
        return t.detach()

    leaves, spec = tree_flatten(value)
    return tree_unflatten([fix(t) for t in leaves], spec)


class _Level:
    """Context of one transform call: grad enabled inside, depth counted, whether results may
    keep a graph (only if grad mode was on outside)."""

    def __enter__(self):
        self.outer_grad = grad_mode.state.grad_enabled
        self.prev = grad_mode.state.grad_enabled
        grad_mode.state.grad_enabled = True
        _depth.value += 1
        self.depth = _depth.value
        return self

    def __exit__(self, *exc):
        grad_mode.state.grad_enabled = self.prev
        _depth.value -= 1
        return False


def _argnums_tuple(argnums, n_args: int, what: str) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError(f"{what}: Expected argnums to be a non-empty tuple of ints")
    out = []
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"{what}: Got argnums={argnums}, expected an int or a tuple of "
                               "ints")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"{what}: Got argnums={a}, but only {n_args} positional inputs")
        out.append(a % n_args)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{what}: argnums must be unique, got {argnums}")
    return tuple(out)


def _prepare_args(args, nums, what: str):
    """Replace args[i] (i in nums) by aliased pytrees; return new args, flat aliases, specs."""
    args = list(args)
    flat, specs = [], []
    for i in nums:
        leaves, spec = tree_flatten(args[i])
        aliased = [_alias(t, what) for t in leaves]
        args[i] = tree_unflatten(aliased, spec)
        flat.append(aliased)
        specs.append(spec)
    return args, flat, specs


def _split_aux(out, has_aux: bool, what: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{what}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def _grads(outputs, inputs, grad_outputs, create_graph: bool):
    """autograd.grad tolerant of outputs that do not depend on the inputs (zeros then)."""
    from . import autograd

    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o._grad_edge() is not None]
    if not pairs or not inputs:
        return [zeros_like_tensor(t) for t in inputs]
    res = autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [zeros_like_tensor(t) if r is None else r for t, r in zip(inputs, res)]


# ---------------------------------------------------------------- grad, vjp, jvp

def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """Like `grad`, also returning the value: `(grad, value)` or `(grad, (value, aux))`."""
    what = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), what)
        with _Level() as level:
            new_args, flat, specs = _prepare_args(args, nums, what)
            out, aux = _split_aux(func(*new_args, **kwargs), has_aux, what)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{what}: Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}")
            if out.ndim != 0:
                raise RuntimeError(f"{what}: Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.ndim} dims. Maybe you wanted to use the "
                                   "vjp or jacrev APIs instead?")
            inputs = [t for group in flat for t in group]
            one = Tensor._wrap(out._xp().ones_like(out._data))
            gs = _grads([out], inputs, [one], create_graph=level.outer_grad)
        own, keep = level.depth, level.outer_grad
        pos, per_arg = 0, []
        for group, spec in zip(flat, specs):
            per_arg.append(tree_unflatten(gs[pos:pos + len(group)], spec))
            pos += len(group)
        g = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
        g = _unwrap(g, own, keep)
        value = _unwrap(out, own, keep)
        if has_aux:
            return g, (value, _unwrap(aux, own, keep))
        return g, value

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The gradient of scalar-valued `func` w.r.t. the positional input(s) `argnums` (pytrees
    of Tensors allowed); with has_aux, func returns (output, aux) and grad returns (grad, aux)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """`(output, vjp_fn)` (and aux): vjp_fn(cotangents) returns one gradient per primal."""
    what = "vjp(f, *primals)"
    with _Level() as level:
        args, flat, specs = _prepare_args(primals, range(len(primals)), what)
        out, aux = _split_aux(func(*args), has_aux, what)
    out_leaves, out_spec = tree_flatten(out)
    for t in out_leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{what}: Expected f to be a function that has Tensor outputs, "
                               f"got {type(t).__name__}")
    inputs = [t for group in flat for t in group]
    own, keep = level.depth, level.outer_grad

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        cots, cot_spec = tree_flatten(cotangents)
        if len(cots) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        for o, c in zip(out_leaves, cots):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of "
                                   f"{list(c.shape)} and output has a shape of {list(o.shape)}")
        with _Level() as inner:
            gs = _grads(out_leaves, inputs, cots, create_graph=inner.outer_grad)
        pos, per_arg = 0, []
        for group, spec in zip(flat, specs):
            per_arg.append(tree_unflatten(gs[pos:pos + len(group)], spec))
            pos += len(group)
        return _unwrap(tuple(per_arg), own, inner.outer_grad)

    value = _unwrap(out, own, keep)
    if has_aux:
        return value, vjp_fn, _unwrap(aux, own, keep)
    return value, vjp_fn


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """`(output, J @ tangents)` (and aux), computed as a double vjp (no forward mode here)."""
    what = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{what}: Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError(f"{what}: Expected tangents to be a tuple.")
    t_leaves, _ = tree_flatten(tangents)
    with _Level() as level:
        args, flat, _ = _prepare_args(primals, range(len(primals)), what)
        inputs = [t for group in flat for t in group]
        if len(t_leaves) != len(inputs):
            raise RuntimeError(f"{what}: Expected primals and tangents to have the same python "
                               "structure.")
        for p, t in zip(inputs, t_leaves):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"{what}: Expected primals and tangents to have the same "
                                   f"shape, got {list(p.shape)} and {list(t.shape)}")
        out, aux = _split_aux(func(*args), has_aux, what)
        outs, out_spec = tree_flatten(out)
        dummies = [_register(zeros_like_tensor(o).requires_grad_(True)) for o in outs]
        gs = _grads(outs, inputs, dummies, create_graph=True)
        tangent_out = _grads(gs, dummies, t_leaves, create_graph=level.outer_grad)
    own, keep = level.depth, level.outer_grad
    result = (_unwrap(out, own, keep),
              _unwrap(tree_unflatten(tangent_out, out_spec), own, keep))
    if has_aux:
        return result + (_unwrap(aux, own, keep),)
    return result


# ---------------------------------------------------------------- Jacobians and Hessians

def _jacobian_rows(out, inputs, create_graph: bool):
    """For one output Tensor, the Jacobian w.r.t. each input: out.shape + input.shape."""
    from . import functions as F

    xp = out._xp()
    n = out.numel()
    rows = [[] for _ in inputs]
    for k in range(n):
        basis = xp.zeros(n, dtype=out._data.dtype)
        basis[k] = 1
        e = Tensor._wrap(basis.reshape(out._data.shape))
        for i, g in enumerate(_grads([out], inputs, [e], create_graph)):
            rows[i].append(g)
    jacs = []
    for t, r in zip(inputs, rows):
        shape = tuple(out.shape) + tuple(t.shape)
        if not r:
            jacs.append(Tensor._wrap(xp.zeros(shape, dtype=t._data.dtype)))
        else:
            jacs.append(F.stack(r, 0).reshape(shape))
    return jacs


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False) -> Callable:
    """Jacobian of `func` w.r.t. the input(s) `argnums` by reverse mode: each entry has shape
    output.shape + input.shape (tuples of entries for tuple argnums, pytrees for pytree outputs)."""
    what = "jacrev(f, argnums)(*args)"
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), what)
        with _Level() as level:
            new_args, flat, specs = _prepare_args(args, nums, what)
            out, aux = _split_aux(func(*new_args, **kwargs), has_aux, what)
            outs, out_spec = tree_flatten(out)
            inputs = [t for group in flat for t in group]
            per_out = []
            for o in outs:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"{what}: Expected f to return Tensors, got "
                                       f"{type(o).__name__}")
                jacs = _jacobian_rows(o, inputs, level.outer_grad)
                pos, per_arg = 0, []
                for group, spec in zip(flat, specs):
                    per_arg.append(tree_unflatten(jacs[pos:pos + len(group)], spec))
                    pos += len(group)
                per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        own = level.depth
        result = _unwrap(tree_unflatten(per_out, out_spec), own, level.outer_grad)
        if has_aux:
            return result, _unwrap(aux, own, level.outer_grad)
        return result

    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """torch.func.jacfwd: same result as jacrev (computed by reverse mode here)."""
    _check_randomness(randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """Second derivatives of scalar `func`: jacfwd(jacrev(func, argnums), argnums)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------- vmap

def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _broadcast_dims(dims, tree, what: str) -> list:
    """in_dims for every leaf of `tree` (an int/None prefix is broadcast to its subtree)."""
    leaves, spec = tree_flatten(tree)
    if dims is None or isinstance(dims, int):
        return [dims] * len(leaves)
    if isinstance(dims, (tuple, list, dict)):
        if spec is None or type(dims) is not spec[0] and not (
                isinstance(dims, (tuple, list)) and issubclass(spec[0], (tuple, list))):
            raise ValueError(f"{what}: in_dims is not compatible with the structure of "
                             "`inputs`.")
        kind, keys, specs = spec
        children = [tree[k] for k in keys] if keys is not None else list(tree)
        sub_dims = [dims[k] for k in keys] if keys is not None else list(dims)
        if len(sub_dims) != len(children):
            raise ValueError(f"{what}: in_dims is not compatible with the structure of "
                             "`inputs`.")
        out = []
        for d, child in zip(sub_dims, children):
            out += _broadcast_dims(d, child, what)
        return out
    raise ValueError(f"{what}: expected `in_dims` to be int or a (potentially nested) tuple "
                     f"matching the structure of inputs, got: {type(dims).__name__}.")


def _slice(t: Tensor, dim: int, i: int) -> Tensor:
    return t[(slice(None),) * dim + (i,)]


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size=None) -> Callable:
    """Map `func` over dimension `in_dims` of its inputs, stacking results on `out_dims`.

    Runs func once per slice (a loop; values equal PyTorch's batched result). randomness:
    'different' draws anew per slice, 'same' replays one random state for every slice, 'error'
    raises if func draws random numbers."""
    _check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")
    name = getattr(func, "__name__", repr(func))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        what = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"{what}: in_dims is not compatible with the structure of "
                             f"`inputs`. in_dims has {len(in_dims)} entries but inputs has "
                             f"{len(args)}.")
        leaves, spec = tree_flatten(tuple(args))
        dims = _broadcast_dims(in_dims if isinstance(in_dims, tuple) else
                               (in_dims,) * len(args), tuple(args), what)
        size = _batch_size(leaves, dims, what)
        results = _run_slices(func, leaves, dims, spec, kwargs, size, randomness)
        return _stack_outputs(results, out_dims, name)

    return wrapper


def _batch_size(leaves, dims, what: str) -> int:
    sizes = []
    for i, (t, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{what}: in_dims must be int or None, got {d!r}")
        if not isinstance(t, Tensor):
            raise ValueError(f"{what}: Got in_dim={d} for an input but the input is of type "
                             f"{type(t)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if not -t.ndim <= d < t.ndim:
            raise ValueError(f"{what}: Got in_dim={d} for some input, but that input is a Tensor "
                             f"of dimensionality {t.ndim} so expected in_dim to satisfy "
                             f"-{t.ndim} <= in_dim < {t.ndim}.")
        dims[i] = d % t.ndim
        sizes.append(t.shape[dims[i]])
    if not sizes:
        raise ValueError(f"{what}: at least one input must be a Tensor with a mapped dim "
                         "(in_dims is None for every input)")
    if len(set(sizes)) != 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    if sizes[0] == 0:
        raise ValueError("vmap: the mapped dimension has size 0; this loop-based vmap needs "
                         "at least one slice to know the output shapes")
    return sizes[0]


def _run_slices(func, leaves, dims, spec, kwargs, size: int, randomness: str) -> list:
    import numpy as np

    from dualnet import random as dn_random

    start = dn_random.get_state(np) if randomness != "different" else None
    results = []
    for i in range(size):
        if randomness == "same":
            dn_random.set_state(start, np)
        sliced = [t if d is None else _slice(t, d, i) for t, d in zip(leaves, dims)]
        results.append(func(*tree_unflatten(sliced, spec), **kwargs))
        if randomness == "error" and dn_random.get_state(np) != start:
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
    return results


def _stack_outputs(results, out_dims, name: str):
    from . import functions as F

    flat0, spec = tree_flatten(results[0])
    per_slice = [tree_flatten(r)[0] for r in results]
    dims = _broadcast_dims(out_dims, results[0], f"vmap({name}, ..., out_dims={out_dims})")
    stacked = []
    for j, d in enumerate(dims):
        column = [leaves[j] for leaves in per_slice]
        if d is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(column[0])}. Did you mean to set out_dims= to None for "
                             "output?")
        nd = column[0].ndim + 1
        if not -nd <= d < nd:
            raise ValueError(f"vmap({name}, ...): out_dims={d} is out of range for an output "
                             f"of dimensionality {nd - 1}")
        stacked.append(F.stack(column, d % nd))
    return tree_unflatten(stacked, spec)


# ---------------------------------------------------------------- functional_call

def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Call `module` with its parameters/buffers temporarily replaced by the given tensors
    (one dict, or a tuple/list of dicts with disjoint keys)."""
    from .nn.utils.stateless import _functional_call

    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        keys = [k for d in parameter_and_buffer_dicts for k in d]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights,
                            strict=strict)
