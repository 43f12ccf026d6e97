"""The Optimizer base class (`paddle.optimizer.Optimizer`) for explicit static programs.

`minimize(loss)` = `backward` (append_backward: `x@GRAD` for every trainable parameter) +
`apply_gradients(params_grads)`, which appends, under `block_guard(grad block)` and
`op_role_guard("optimize")` (so `clone(for_test=True)` drops them):

  1. gradient clipping (`grad_clip`, see dualnet_static/nn/clip.py),
  2. regularization: grad + reg(param), reg = the parameter's own `regularizer`
     (ParamAttr) else its parameter group's / the optimizer's `weight_decay`,
  3. the per-parameter learning rate: the global `learning_rate_N` variable times
     `param.optimize_attr['learning_rate']` (and a parameter group's 'learning_rate'),
  4. one registry update op per parameter (`sgd_update`, `adam_update`, ...); each updated
     output is `write_to` its parameter or state variable.

State (moments, velocity, step counters) and the learning rate are persistable variables named
as Paddle names them (`linear_0.w_0_moment1_0`, `learning_rate_0`), created in the program
being built and initialized by the startup program. Their names are fixed per optimizer and
parameter, so calling `apply_gradients` again for another Program built from the same
parameters (the implicit mode's per-step programs) reuses the same state in the Scope;
`_init_missing_state(scope)` fills state that is not in a scope yet without a startup run.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from dualnet import backend

from .. import unique_name
from ..backward import append_backward
from ..binder import write_to
from ..creation import constant_init
from ..framework import block_guard, default_startup_program, op_role_guard
from ..regularizer import as_regularizer
from ..tensor_methods.values import _dy
from ..variable import Variable
from .lr import LRScheduler

__all__ = ["Optimizer"]


def _dynamic(loss) -> bool:
    """Whether `loss` was recorded in implicit mode (dualnet_static/dygraph)."""
    return loss.block.program._implicit or loss._bound is not None


class Optimizer:
    """Base class: subclasses define `_create_accumulators(params)` and
    `_append_optimize_op(param, grad, lr)`."""

    def __init__(self, learning_rate, parameters=None, weight_decay=None, grad_clip=None,
                 name=None):
        if isinstance(learning_rate, bool) or not isinstance(learning_rate,
                                                             (float, int, LRScheduler)):
            raise TypeError(f"learning rate should be float or LRScheduler, got "
                            f"{type(learning_rate)} here")
        if grad_clip is not None and not callable(grad_clip):
            raise TypeError("'grad_clip' should be an instance of GradientClipBase's derived "
                            "class (paddle.nn.ClipGradByGlobalNorm, ClipGradByNorm, "
                            "ClipGradByValue)")
        if isinstance(parameters, Variable):
            raise TypeError("`parameters` argument given to the optimizer should be an "
                            f"iterable of paddle Tensors, but got argument type is "
                            f"`{type(parameters)}`.")
        if isinstance(parameters, dict):
            raise TypeError("`parameters` argument should not get dict type, if parameter "
                            "groups is needed, please set `parameters` as list of dict")
        self._learning_rate = learning_rate if isinstance(learning_rate, LRScheduler) \
            else float(learning_rate)
        self.regularization = as_regularizer(weight_decay)
        self._grad_clip = grad_clip
        self._name = name
        self._default_dict = {"weight_decay": self.regularization, "grad_clip": grad_clip,
                              "learning_rate": 1.0}
        self._param_groups: list = []
        self._group_of: dict = {}  # param name -> its parameter group (dict)
        self._parameter_list = None if parameters is None else self._add_groups(parameters)
        self._accumulators = defaultdict(dict)  # accumulator -> {param name: var name}
        self._state_specs: dict = {}  # var name -> (shape, dtype, initial value)
        self._lr_name = None
        self._lr_init_vars: list = []  # startup variables whose initializer sets the lr
        self._build = None  # (program, startup program) while appending
        self.clear_gradients = self.clear_grad

    # ------------------------------------------------------------ parameter groups
    def _add_groups(self, parameters) -> list:
        params = list(parameters)
        groups = params if params and isinstance(params[0], dict) else [{"params": params}]
        flat = []
        for group in groups:
            group = dict(group)
            if "params" not in group:
                raise ValueError("params should be set in parameters if parameter groups are "
                                 "optimized in different options")
            ps = group["params"]
            group["params"] = [ps] if isinstance(ps, Variable) else list(ps)
            as_regularizer(group.get("weight_decay"))  # checks the type early
            self._param_groups.append(group)
            for p in group["params"]:
                self._group_of[p if isinstance(p, str) else p.name] = group
                flat.append(p)
        return flat

    def _setting(self, param, key: str, default):
        """`param`'s parameter group's value of `key` if the group sets it, else `default`
        (the optimizer's own setting)."""
        group = self._group_of.get(param.name)
        return group[key] if group is not None and key in group else default

    def _moment_attrs(self, param) -> dict:
        """The Adam family's beta1, beta2 and eps attrs of `param`'s update op (its group's
        settings, else the optimizer's)."""
        return {"beta1": float(self._setting(param, "beta1", self._beta1)),
                "beta2": float(self._setting(param, "beta2", self._beta2)),
                "eps": float(self._setting(param, "epsilon", self._epsilon))}

    # ------------------------------------------------------------ learning rate
    def get_lr(self) -> float:
        """The current learning rate (a scheduler's current value)."""
        if isinstance(self._learning_rate, LRScheduler):
            return self._learning_rate()
        return self._learning_rate

    def set_lr(self, value: float) -> None:
        """Set a float learning rate: stored in the global scope (if initialized) and in the
        startup initializer (if not run yet)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"The type of 'value' in optimizer.set_lr must be float, but "
                            f"received {type(value)}.")
        if isinstance(self._learning_rate, LRScheduler):
            raise RuntimeError("optimizer's learning rate can't be LRScheduler when invoke "
                               "this API, because this will lead to conflict.")
        self._learning_rate = float(value)
        for var in self._lr_init_vars:
            if var.op is not None:
                var.op._set_attr("value", float(value))
        if self._lr_name is not None:
            from ..scope import global_scope

            holder = global_scope().find_var(self._lr_name)
            if holder is not None and holder.value is not None:
                holder.value = np.full(holder.value.shape, float(value),
                                       dtype=holder.value.dtype)

    def set_lr_scheduler(self, scheduler: LRScheduler) -> None:
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"The type of 'scheduler' in optimizer.set_lr_schduler must be "
                            f"LRScheduler, but received {type(scheduler)}.")
        self._learning_rate = scheduler
        if self._lr_name is not None:
            scheduler._bind_var(self._lr_name)
            scheduler._sync()

    def _global_learning_rate(self, program=None):
        """The learning-rate variable of `program` (None before minimize)."""
        if self._lr_name is None:
            return None
        from ..framework import default_main_program

        program = program or default_main_program()
        return program.global_block().vars.get(self._lr_name)

    def _create_global_learning_rate(self, dtype) -> Variable:
        program, _ = self._build
        if self._lr_name is None:
            self._lr_name = unique_name.generate("learning_rate")
        var = self._state_var(self._lr_name, (1,), dtype, self.get_lr(), lr=True)
        if isinstance(self._learning_rate, LRScheduler):
            self._learning_rate._bind_var(self._lr_name)
            program.lr_scheduler = program.lr_sheduler = self._learning_rate  # Paddle's name
            program.lr_var = var
        return var

    def _param_lr(self, param, lr: Variable, ratio: float = 1.0):
        """The learning rate of `param`: lr times its ParamAttr and group multipliers."""
        attr = getattr(param, "optimize_attr", None) or {}
        scale = float(attr.get("learning_rate", 1.0)) * ratio * float(
            self._setting(param, "learning_rate", 1.0))
        return lr if scale == 1.0 else lr * scale

    # ------------------------------------------------------------ state variables
    def _state_var(self, name: str, shape, dtype, value: float, lr: bool = False) -> Variable:
        """The persistable variable `name` in the program being built (created if new), with
        its constant initializer in the startup program."""
        program, startup = self._build
        shape, dtype = tuple(int(d) for d in shape), np.dtype(dtype)
        self._state_specs[name] = (shape, dtype, None if lr else float(value))
        block = program.global_block()
        var = block.vars.get(name)
        if var is None:
            var = block.create_var(name, shape, dtype, persistable=True, stop_gradient=True)
        if startup is not None:
            sblock = startup.global_block()
            if name not in sblock.vars:
                svar = sblock.create_var(name, shape, dtype, persistable=True)
                constant_init(float(value))(svar, sblock)
                if lr:
                    self._lr_init_vars.append(svar)
        return var

    def _add_accumulator(self, name: str, param, dtype=None, fill_value: float = 0.0,
                         shape=None) -> Variable:
        """State `name` of `param` (Paddle's accumulators): `{param}_{name}_N`."""
        if self._name is not None:
            name = f"{self._name}_{name}"
        var_name = self._accumulators[name].get(param.name)
        if var_name is None:
            var_name = unique_name.generate(f"{param.name}_{name}")
            self._accumulators[name][param.name] = var_name
        return self._state_var(var_name, param.shape if shape is None else shape,
                               dtype or param._dtype, fill_value)

    def _get_accumulator(self, name: str, param) -> Variable:
        if self._name is not None:
            name = f"{self._name}_{name}"
        var_name = self._accumulators.get(name, {}).get(param.name)
        if var_name is None:
            raise KeyError(f"Accumulator {name} does not exist for parameter {param.name}")
        program, _ = self._build
        return program.global_block().var(var_name)

    def _create_accumulators(self, params: list) -> None:
        """Create the state of each parameter (subclasses)."""

    def _init_missing_state(self, scope) -> list:
        """Fill every state variable (and the learning rate) that `scope` does not hold yet
        with its initial value, as the startup program would; returns the names filled."""
        filled = []
        for name, (shape, dtype, value) in self._state_specs.items():
            holder = scope.find_var(name)
            if holder is None or holder.value is None:
                fill = self.get_lr() if value is None else value
                scope.var(name).value = np.full(shape, fill, dtype=dtype)
                filled.append(name)
        return filled

    # ------------------------------------------------------------ minimize
    def backward(self, loss, startup_program=None, parameters=None, no_grad_set=None,
                 callbacks=None) -> list:
        """append_backward for the optimizer's parameters: [(param, param@GRAD)]. In
        dynamic mode (Paddle's dygraph semantics): the parameters that hold a gradient."""
        if not isinstance(loss, Variable):
            raise TypeError(f"{type(self).__name__}.minimize needs the loss tensor, got "
                            f"{type(loss).__name__}")
        if _dynamic(loss):  # implicit mode (dualnet_static/dygraph)
            from .. import dygraph

            params = parameters if parameters is not None else self._parameter_list
            return [(p, dygraph.grad_of(p)) for p in params or ()
                    if not p.stop_gradient and dygraph.grad_of(p) is not None]
        params = parameters if parameters is not None else self._parameter_list
        if params is not None:
            params = [p if isinstance(p, str) else p.name for p in params]
        return append_backward(loss, params, no_grad_set, callbacks)

    def minimize(self, loss, startup_program=None, parameters=None, no_grad_set=None):
        """Append the backward and the update ops; returns (optimize_ops, params_grads).
        In dynamic mode: update the parameters from the gradients that loss.backward()
        accumulated, and run (Paddle's dygraph minimize)."""
        if isinstance(loss, Variable) and _dynamic(loss):
            from .. import dygraph

            return [], dygraph.optimizer_step(self, parameters)
        params_grads = self.backward(loss, startup_program, parameters, no_grad_set)
        optimize_ops = self.apply_gradients(params_grads, startup_program)
        return optimize_ops, params_grads

    def apply_optimize(self, loss, startup_program, params_grads) -> list:
        return self.apply_gradients(params_grads, startup_program)

    _apply_optimize = apply_optimize

    def apply_gradients(self, params_grads, startup_program=None) -> list:
        """Append clipping, regularization and one update op per (param, grad) to the
        gradients' block; returns the update ops. The reusable core of `minimize`: the
        implicit mode calls it on each step's program (state names are stable)."""
        params_grads = [(p, g) for p, g in params_grads
                        if g is not None and getattr(p, "trainable", True)]
        if not params_grads:
            return []
        block = params_grads[0][1].block
        startup = startup_program if startup_program is not None else \
            default_startup_program()
        self._build = (block.program, startup)
        try:
            params = [p for p, _ in params_grads]
            dtype = next((p._dtype for p in params if p._dtype.kind == "f"), np.float32)
            dtype = np.float32 if dtype == np.float16 else dtype  # Paddle: no float16 lr
            lr = self._create_global_learning_rate(dtype)
            self._create_accumulators(params)
            with block_guard(block), op_role_guard("optimize"):
                if self._grad_clip is not None:
                    params_grads = self._grad_clip(params_grads)
                params_grads = self._regularize(params_grads)
                ops = []
                for p, g in params_grads:
                    self._append_optimize_op(p, g, lr)
                    ops.append(p.op)
            self._finish_update(block, params_grads)
        finally:
            self._build = None
        return ops

    def _regularizer_of(self, param):
        """The parameter's own regularizer (ParamAttr), else its group's / the optimizer's
        weight_decay (a float meaning L2Decay)."""
        own = getattr(param, "regularizer", None)
        if own is not None:
            return own
        return as_regularizer(self._setting(param, "weight_decay", self.regularization))

    def _regularize(self, params_grads: list) -> list:
        out = []
        for p, g in params_grads:
            reg = self._regularizer_of(p)
            out.append((p, g if reg is None else g + reg(p, g, g.block)))
        return out

    append_regularization_ops = _regularize

    def _append_optimize_op(self, param, grad, lr) -> None:
        raise NotImplementedError("Class \"Optimizer\" connot be used directly as an optimizer, "
                                  "please use its subclasses such as \"Adam\"")

    def _finish_update(self, block, params_grads) -> None:
        """After all updates (subclasses)."""

    @staticmethod
    def _write(outs, targets) -> None:
        """write_to each update-op output into its parameter or state variable."""
        for out, target in zip(outs, targets):
            if out is not None and target is not None:
                write_to(out, target)

    # ------------------------------------------------------------ dynamic-mode API
    def step(self) -> None:
        """Update the parameters from their accumulated gradients and run the step
        (dynamic mode: dualnet_static/dygraph)."""
        _dy().optimizer_step(self)

    def clear_grad(self, set_to_zero: bool = True) -> None:
        """Restart the parameters' gradient accumulation (dynamic mode)."""
        if self._parameter_list is None:
            raise ValueError("clear_grad() needs the optimizer's parameters (pass "
                             "parameters=net.parameters())")
        _dy().clear_grads(self._parameter_list, set_to_zero)

    # ------------------------------------------------------------ state dict
    def _state_names(self) -> list:
        return [v for per_param in self._accumulators.values() for v in per_param.values()]

    def state_dict(self, scope=None) -> dict:
        """{state variable name: array} from `scope` (default global), plus the scheduler's
        state under 'LR_Scheduler'."""
        from ..scope import global_scope

        scope = scope if scope is not None else global_scope()
        out = {}
        for name in self._state_names():
            holder = scope.find_var(name)
            if holder is not None and holder.value is not None:
                out[name] = np.array(backend.to_numpy(holder.value), copy=True)
        if isinstance(self._learning_rate, LRScheduler):
            out["LR_Scheduler"] = self._learning_rate.state_dict()
        return out

    def set_state_dict(self, state_dict: dict, scope=None) -> None:
        """Load what state_dict returned into `scope` (shapes checked first)."""
        from ..scope import global_scope

        scope = scope if scope is not None else global_scope()
        state = dict(state_dict)
        sched = state.pop("LR_Scheduler", None)
        state.pop("master_weights", None)
        values = {}
        for name, value in state.items():
            spec = self._state_specs.get(name)
            array = np.asarray(value)
            if spec is not None and tuple(array.shape) != spec[0]:
                raise ValueError(f"set_state_dict: {name!r} expects shape {list(spec[0])}, got "
                                 f"{list(array.shape)}")
            values[name] = array if spec is None else array.astype(spec[1], copy=False)
        for name, array in values.items():
            scope.var(name).value = np.array(array, copy=True)
        if sched is not None and isinstance(self._learning_rate, LRScheduler):
            self._learning_rate.set_state_dict(sched)

    set_dict = set_state_dict
