"""`paddle.summary(net, input_size)`: a table of the layers with their output shapes and
parameter counts.

The network is called once on `static.data` inputs inside a throwaway program_guard, with a
forward post-hook on every sublayer recording the output shapes that shape inference gives:
nothing runs, and the network's values and the implicit-mode session are untouched.
"""
from __future__ import annotations

import numpy as np

from ..framework import Program, program_guard
from ..static.input import InputSpec, data

__all__ = ["summary"]


def _sizes(input_size) -> list:
    """A list of shapes from `(1, 28, 28)`, `[(1, 28, 28), (1, 10)]` or InputSpecs."""
    if isinstance(input_size, InputSpec):
        return [input_size]
    if isinstance(input_size, (list, tuple)) and input_size and all(
            isinstance(s, (list, tuple, InputSpec)) for s in input_size):
        return list(input_size)
    return [input_size]


def _shapes(out) -> list:
    if isinstance(out, (list, tuple)):
        return [list(o.shape) for o in out if hasattr(o, "shape")]
    return [list(out.shape)] if hasattr(out, "shape") else []


def input_specs(input_size=None, dtypes=None, inputs=None) -> list:
    """InputSpecs from example tensors, or from sizes (`(1, 28, 28)`, a list of them, or
    InputSpecs; None / -1 dims become 1) and dtypes (default float32)."""
    if inputs is not None:
        return [InputSpec.from_tensor(t) for t in (inputs if isinstance(inputs, (list, tuple))
                                                   else [inputs])]
    specs = []
    sizes = _sizes(input_size)
    dtypes = dtypes if isinstance(dtypes, (list, tuple)) else [dtypes] * len(sizes)
    for size, dtype in zip(sizes, dtypes):
        if isinstance(size, InputSpec):
            specs.append(size)
        else:
            shape = tuple(1 if d is None or d < 0 else int(d) for d in size)
            specs.append(InputSpec(shape, dtype or "float32"))
    return specs


def shape_pass(net, specs, hooks: list, prefix: str) -> None:
    """Call `net` once (eval mode) on static.data inputs of `specs` inside a throwaway
    program: shape inference only. Then remove `hooks` and restore every layer's mode."""
    training = [(layer, layer.training) for layer in net.sublayers(include_self=True)]
    try:
        with program_guard(Program(), Program()):
            ins = [data(f"{prefix}_input_{i}", s.shape, s.dtype) for i, s in enumerate(specs)]
            net.eval()
            net(*ins)
    finally:
        for h in hooks:
            h.remove()
        for layer, mode in training:
            object.__setattr__(layer, "training", mode)


def summary(net, input_size=None, dtypes=None, input=None) -> dict:  # noqa: A002
    """Print the layer table; returns {'total_params': n, 'trainable_params': m}."""
    if input_size is None and input is None:
        raise ValueError("input_size and input cannot be None at the same time")
    specs = input_specs(input_size, dtypes, input)
    rows, hooks, counts = [], [], {}
    layers = [(name, layer) for name, layer in net.named_sublayers() if layer is not None]

    def hook_for(layer):
        def hook(lyr, inputs, outputs):
            kind = type(lyr).__name__
            counts[kind] = counts.get(kind, 0) + 1
            n = sum(int(np.prod(p.shape)) for p in lyr.parameters(include_sublayers=False))
            rows.append((f"{kind}-{counts[kind]}", _shapes(inputs), _shapes(outputs), n))
        return hook

    for _, layer in layers:
        if type(layer).__name__ not in ("Sequential", "LayerList", "LayerDict"):
            hooks.append(layer.register_forward_post_hook(hook_for(layer)))
    shape_pass(net, specs, hooks, "summary")
    params = net.parameters()
    total = sum(int(np.prod(p.shape)) for p in params)
    trainable = sum(int(np.prod(p.shape)) for p in params if p.trainable)
    _print_table(rows, specs, params, total, trainable)
    return {"total_params": total, "trainable_params": trainable}


def _print_table(rows, specs, params, total: int, trainable: int) -> None:
    width = [max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2,
             max([len("Input Shape")] + [len(str(r[1])) for r in rows]) + 2,
             max([len("Output Shape")] + [len(str(r[2][0] if len(r[2]) == 1 else r[2]))
                                           for r in rows]) + 2,
             max([len("Param #")] + [len(f"{r[3]:,}") for r in rows]) + 2]
    line = sum(width) + 3
    print("-" * line)
    print(" " + "Layer (type)".center(width[0]) + "Input Shape".center(width[1])
          + "Output Shape".center(width[2]) + "Param #".center(width[3]))
    print("=" * line)
    for name, ins, outs, n in rows:
        out = outs[0] if len(outs) == 1 else outs
        print(" " + name.center(width[0]) + str(ins).center(width[1])
              + str(out).center(width[2]) + f"{n:,}".center(width[3]))
    print("=" * line)
    in_bytes = sum(int(np.prod(s.shape)) * np.dtype(s.dtype.np).itemsize for s in specs)
    act_bytes = sum(int(np.prod(o)) * 4 for _, _, outs, _ in rows for o in outs) * 2
    param_bytes = sum(int(np.prod(p.shape)) * np.dtype(p._dtype).itemsize for p in params)
    mb = 1024.0 ** 2
    print(f"Total params: {total:,}")
    print(f"Trainable params: {trainable:,}")
    print(f"Non-trainable params: {total - trainable:,}")
    print("-" * line)
    print(f"Input size (MB): {in_bytes / mb:.2f}")
    print(f"Forward/backward pass size (MB): {act_bytes / mb:.2f}")
    print(f"Params size (MB): {param_bytes / mb:.2f}")
    print(f"Estimated Total Size (MB): {(in_bytes + act_bytes + param_bytes) / mb:.2f}")
    print("-" * line)
