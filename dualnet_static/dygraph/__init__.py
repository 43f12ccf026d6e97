"""Implicit mode: Paddle's dynamic-looking syntax recording static Programs underneath.

Outside a `program_guard` and without `paddle.enable_static()`, every op (layer calls, tensor
functions, operators) is recorded into the session's *step program* (session.py); nothing runs
until a value is needed. Explicit mode is untouched: a program_guard or enable_static() sends
ops to the guarded / default main program as before (framework.current_block).

A step, from the sample's loop (`clear_grad`, `net(data)`, `loss.backward()`,
`optimizer.minimize(loss)`, `loss.numpy()`):

1. Build. `paddle.to_tensor` and DataLoader batches are *bound leaves*: data variables of the
   step program whose `_bound` array is fed when it runs (feeds, not constants: the plan's
   key does not change per batch). Layers' parameters live in the default main program (the
   parameter home), initialized in the global Scope when created; a step program using one
   gets a same-named persistable *twin* (binding.py), bound by name through the Scope.
2. backward() appends the vjp ops (append_backward's walk) and adds each parameter's gradient
   into its *accumulator*, the persistable `{param}@GRAD` in the Scope (autograd.py). So
   gradients accumulate across backward() calls and steps until clear_grad(), which only
   marks the accumulator "zero" (the next backward overwrites it instead of adding).
3. optimizer.step() / minimize() appends the update ops (the explicit optimizers'
   `apply_gradients`; their state has fixed names, so every step reuses it) and runs.
4. Run (session.run). The ops recorded since the last run go into a view program and run on
   the Executor, whose plan cache is keyed by structure (op types, attrs, wiring, shapes,
   and the names of feeds and persistables - feeds are renamed feed_0, feed_1, ... in order
   of use): a loop compiles once per distinct step shape. Tensors that Python still
   references (found from CPython reference counts, session._live_ids) are fetched and keep
   their values, so `loss.numpy()` after minimize() reads the kept value.
5. Discard. If no live tensor may still need a backward(), the step program is dropped and
   the kept tensors move into the next one as bound leaves (RETIRE). Otherwise (a value was
   read mid-step, e.g. `if loss > 0.5:` before backward) the program is compacted to the
   graph behind those tensors, whose values are kept for that backward (KEEP); every op
   still runs exactly once.
6. Replay (replay.py). A step that retired is the *template* of the next ones (its runs
   before the last, values read mid-step, become the template's segments):
   while a step does what its template did (same ops, attrs, input shapes, parameters,
   gradient states, optimizer, referenced outputs), its ops only make output tensors - no
   program, no backward walk, no plan lookup by structure - and the template's plan runs
   with this step's data. At the first difference the matched part is recorded for real
   and the step goes on as above: replay changes the cost, never the result.

A value is produced when asked for: `.numpy()`, `.item()`, `float()`, `int()`, `bool()`,
`print(t)`, `param.grad`, `layer.state_dict()`; `.shape` stays static. `paddle.no_grad()`
makes recorded outputs stop gradients; `detach()` copies without gradient. There is one
session per process, used from one thread at a time.
"""
from .. import binder as _binder
from ..framework import _ctx
from .autograd import backward, clear_grads, grad, grad_of, optimizer_step  # noqa: F401
from .binding import bind_array, import_var, run_initializer  # noqa: F401
from .hooks import HOOKS
from .session import SESSION  # noqa: F401
from .tensor import (enable_grad, is_grad_enabled, no_grad, set_grad_enabled,  # noqa: F401
                     set_value, tensor_repr, to_tensor, value_of)

_ctx.implicit = SESSION.block  # framework.current_block asks it in implicit mode
_binder.IMPLICIT = HOOKS


def flush() -> None:
    """Run every op recorded and not run yet."""
    SESSION.flush()
