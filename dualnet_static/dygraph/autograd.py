"""Gradients in implicit mode: backward(), accumulation until clear_grad(), optimizer steps.

A parameter's gradient lives in the Scope as the persistable variable `{param}@GRAD`, its
*accumulator*. backward() appends the registry's vjp rules (static append_backward's walk) to
the step program and then, per parameter, either makes the new gradient *be* the accumulator
(`write_to`: after clear_grad or the first time) or adds it (`acc + g` written back). Nothing
runs until a value is asked for or an optimizer steps. The accumulator's state is kept by the
session (`grad_state`): absent (param.grad is None), "held", or "zero" (cleared to zero: the
next backward overwrites instead of adding, so clearing costs nothing). Tensors made with
`stop_gradient=False` get their gradient as a tensor attribute instead (`_grad_var`), kept by
the run like any referenced value.

Optimizers (`step()`, `minimize(loss)`) read the accumulators of their parameters, append the
update ops with the explicit mode's `apply_gradients` (state variables have fixed names, so
each step's program reuses the same state in the Scope) and run the step.
"""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops.registry import user_frame

from ..backward import _Backward, _track
from ..binder import write_to
from ..framework import op_role_guard
from ..scope import global_scope
from ..variable import Parameter, Variable
from .binding import twin
from .session import SESSION
from .tensor import to_tensor, value_of


def acc_name(param) -> str:
    return getattr(param, "_origin", param).name + "@GRAD"


def _accumulator(param: Variable, block) -> Variable:
    return block.create_var(acc_name(param), param.shape, param._dtype, persistable=True,
                            stop_gradient=True)


def backward(loss: Variable, grad_tensor=None, retain_graph: bool = False) -> None:
    """`loss.backward()`: append the gradient ops; parameters' gradients accumulate."""
    block = _check_target(loss, grad_tensor)
    if grad_tensor is not None and not isinstance(grad_tensor, Variable):
        grad_tensor = to_tensor(grad_tensor, dtype=loss._dtype)
    replayer = SESSION.replayer
    if replayer is not None:
        if replayer.backward(loss, grad_tensor, retain_graph):
            return  # the step's template has this backward: its effects are applied
        replayer.materialize(block)
    record_backward(loss, grad_tensor, retain_graph)


def record_backward(loss: Variable, grad_tensor, retain_graph: bool) -> None:
    """Append the backward of `loss` to the step program and accumulate (see above)."""
    block = SESSION.block()
    params = [v for v in block.vars.values() if isinstance(v, Parameter) and v.trainable]
    states = SESSION.param_states()
    flags = SESSION.output_flags()
    with SESSION.internal_section():
        for p in params:  # the accumulators' names are taken first: the raw grads get others
            _accumulator(p, block)
        walk = HookedBackward(block, None, ())
        grads = walk.run([loss], [grad_tensor])
        granted = []
        with op_role_guard("backward"):
            for p in params:
                g = grads.get(id(p))
                if g is not None:
                    _accumulate(p, g, block)
                    granted.append(getattr(p, "_origin", p).name)
            leaf_grads = False
            for v in list(block.vars.values()):
                g = grads.get(id(v))
                if g is not None and not v._persistable and v.op is None:
                    prev = getattr(v, "_grad_var", None)
                    v._grad_var = g if prev is None else apply("add", g, prev)
                    leaf_grads = True
    if not retain_graph:
        SESSION.consumed = len(block.ops)
    SESSION.log_event(("backward", id(loss), retain_graph, states, flags, tuple(granted)),
                      replayable=grad_tensor is None and not leaf_grads and not walk.hooked)


class HookedBackward(_Backward):
    """append_backward's walk that also calls the gradient hooks of tensors
    (`Tensor.register_hook`) on each finished gradient; a hook's result replaces it."""

    hooked = False

    def _finalize(self, v: Variable) -> Variable | None:
        if id(v) in self.final:
            return self.final[id(v)]
        g = super()._finalize(v)
        hooks = getattr(v, "_grad_hooks", None)
        if g is None or not hooks:
            return g
        self.hooked = True  # Python callbacks: such a step is not replayed
        for hook in list(hooks.values()):
            new = _track(self, lambda: hook(g))
            if new is not None:
                if not isinstance(new, Variable) or new._shape != g._shape:
                    raise TypeError(f"the gradient hook of {v.name!r} must return None or a "
                                    f"tensor of shape {list(g._shape)}, got {new!r}")
                g = new
        self.final[id(v)] = g
        return g


def _check_target(loss: Variable, grad_tensor):
    if not isinstance(loss, Variable):
        raise TypeError(f"backward() needs a tensor, got {type(loss).__name__}")
    program = loss.block.program
    if not program._implicit or program is not SESSION.program:
        if getattr(loss, "_graph_freed", False):
            raise RuntimeError(f"backward() on {loss.name!r}: its graph was already used by a "
                               "backward() and an optimizer step (call backward once per "
                               f"forward)\n  at {user_frame()}")
        if loss._bound is None:
            raise RuntimeError(f"backward() on the static Variable {loss.name!r}: in a static "
                               "program use optimizer.minimize(loss) or paddle.static."
                               "append_backward")
    if grad_tensor is None and loss._shape and loss.size != 1:  # (a 0-d loss: no property)
        raise ValueError(f"backward() on a tensor of shape {loss.shape}: gradients can be "
                         "implicitly created only for a tensor with one element; pass "
                         f"grad_tensor\n  at {user_frame()}")
    if loss._stop_gradient:
        raise RuntimeError(f"backward() on {loss.name!r}, which has stop_gradient=True: no "
                           f"gradient flows to it\n  at {user_frame()}")
    if getattr(loss, "_graph_freed", False):
        raise RuntimeError(f"backward() on {loss.name!r}: its graph was freed by an earlier "
                           "backward() (pass retain_graph=True to the first one)\n"
                           f"  at {user_frame()}")
    block = SESSION.block()
    if loss.op is not None:
        index = next((i for i, op in enumerate(block.ops) if op is loss.op), -1)
        if 0 <= index < SESSION.consumed:
            raise RuntimeError(f"backward() on {loss.name!r} a second time: its graph was "
                               "freed by the first backward() (pass retain_graph=True to it)"
                               f"\n  at {user_frame()}")
    return block


def _accumulate(param: Variable, g: Variable, block) -> None:
    name = acc_name(param)
    acc = block.vars[name]
    if SESSION.grad_state.get(name[:-5]) == "held":
        write_to(apply("add", acc, g), acc)
    elif g.op is not None and g.op.block is block and block.vars.get(g.name) is g:
        write_to(g, acc)
    else:
        write_to(apply("assign", g), acc)
    SESSION.grad_state[name[:-5]] = "held"


# ---------------------------------------------------------------- reading and clearing

def grad_of(var: Variable):
    """`tensor.grad`: the accumulated gradient as a tensor, or None."""
    if var._persistable:
        name = getattr(var, "_origin", var).name
        state = SESSION.grad_state.get(name)
        if state is None:
            return None
        if state == "zero":
            import numpy as np

            return to_tensor(np.zeros(var.shape, var._dtype))
        SESSION.flush()
        holder = global_scope().find_var(name + "@GRAD")
        return to_tensor(holder.value)
    g = getattr(var, "_grad_var", None)
    if g is not None and g._bound is None:
        value_of(g, "grad")
    return g


def clear_grads(tensors, set_to_zero: bool = True) -> None:
    """clear_grad(): parameters' accumulators restart (at zero, or at None)."""
    grad_state = SESSION.grad_state
    for v in tensors:
        if v is None or isinstance(v, str):
            continue
        if v._persistable:
            name = getattr(v, "_origin", v)._name
            if name in grad_state:
                if set_to_zero:
                    grad_state[name] = "zero"
                else:
                    del grad_state[name]
        elif getattr(v, "_grad_var", None) is not None:
            v._grad_var = to_tensor(value_of(v._grad_var) * 0) if set_to_zero else None


# ---------------------------------------------------------------- optimizers

def optimizer_step(opt, parameters=None) -> list:
    """`optimizer.step()`: update every parameter that has a gradient, and run the step.
    Returns [(param twin, gradient)] of this step ([] when the step was replayed)."""
    replayer = SESSION.replayer
    if replayer is not None:
        if replayer.step(opt, parameters):
            SESSION.run()  # (flush: a matched step has pending events)
            return []
        replayer.materialize(SESSION.block())
    params_grads = record_step(opt, parameters)
    SESSION.flush()
    return params_grads


def record_step(opt, parameters=None) -> list:
    """Append the updates of `opt` for the parameters holding a gradient (no run)."""
    import weakref

    params = parameters if parameters is not None else opt._parameter_list
    if params is None:
        raise ValueError("parameters argument given to the Optimizer should not be None in "
                         "dygraph mode (pass parameters=net.parameters())")
    states = SESSION.opt_states(opt, params)
    block = SESSION.block()
    params_grads = []
    with SESSION.internal_section():
        for p in params:
            name = getattr(p, "_origin", p).name
            state = SESSION.grad_state.get(name)
            if state is None or p._stop_gradient:
                continue
            t = twin(p, block)
            acc = _accumulator(t, block)
            params_grads.append((t, acc if state == "held" else apply("zeros_like", t)))
        if params_grads:
            opt.apply_gradients(params_grads, startup_program=SESSION.startup)
            opt._init_missing_state(global_scope())
    SESSION.log_event(("step", weakref.ref(opt), states), replayable=parameters is None)
    return params_grads


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=False, no_grad_vars=None) -> list:
    """`paddle.grad`: d(sum of outputs * grad_outputs)/d(inputs) as new tensors (computed when
    their values are asked for); `.grad` attributes are not touched."""
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs_ = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) \
        else [grad_outputs]
    for out, g in zip(outputs, grad_outputs):
        if g is None and out.size != 1:
            raise ValueError(f"paddle.grad: output of shape {out.shape} needs grad_outputs")
    block = SESSION.block()
    replayer = SESSION.replayer
    if replayer is not None:
        replayer.materialize(block)
    SESSION.log_event(("grad",), replayable=False)
    grads = HookedBackward(block, no_grad_vars, inputs_, only_sources=True).run(
        outputs, [None if g is None or isinstance(g, Variable) else to_tensor(g)
                  for g in grad_outputs])
    result = [grads.get(id(x)) for x in inputs_]
    if not allow_unused and any(g is None for g in result):
        raise RuntimeError("paddle.grad: one of the differentiated tensors does not appear in "
                           "the graph of the outputs (pass allow_unused=True)")
    if not (retain_graph or create_graph):
        SESSION.consumed = len(block.ops)
    return result
