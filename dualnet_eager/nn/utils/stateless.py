"""torch.nn.utils.stateless.functional_call: call a Module with its parameters and buffers
temporarily swapped for given tensors (also torch.func.functional_call)."""
from __future__ import annotations

import contextlib
import warnings
from typing import Any

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _untie_named_tensors_map(module, parameters_and_buffers: dict) -> dict:
    """Copy of the mapping where a value given for one name of a tied tensor (the same
    Parameter reachable under several names) also applies to its other names."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    by_tensor: dict[int, set] = {}
    for name, t in named.items():
        by_tensor.setdefault(id(t), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given = [n for n in parameters_and_buffers if n in tied]
    for name in given:
        names = tied[name]
        values = {id(parameters_and_buffers[n]) for n in names if n in parameters_and_buffers}
        if len(names.intersection(given)) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given:
        for other in tied[name]:
            untied[other] = parameters_and_buffers[name]
    return untied


def _check_keys(module, mapping: dict) -> None:
    expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    missing = sorted(expected - set(mapping))
    unexpected = sorted(set(mapping) - expected)
    msgs = []
    if unexpected:
        msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if msgs:
        raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
            module._get_name(), "\n\t".join(msgs)))


def _swap(module, path: str, value):
    """Put `value` at dotted `path`; return what was there (or _MISSING)."""
    from . import parametrize

    prefix, _, name = path.rpartition(".")
    mod = module.get_submodule(prefix)
    if value is not _MISSING and not isinstance(value, (Tensor, type(None))):
        raise TypeError(f"{value} is not an instance of torch.Tensor")
    for store in (mod._parameters, mod._buffers):
        if name in store:
            old = store[name]
            if value is _MISSING:
                del store[name]
            else:
                store[name] = value
            return old
    if parametrize.is_parametrized(mod, name):
        overrides = mod.__dict__.setdefault("_swapped_tensors", {})
        old = overrides.pop(name, _MISSING)
        if value is not _MISSING:
            overrides[name] = value
        return old
    old = mod.__dict__.get(name, _MISSING)
    if old is not _MISSING and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{name}`: {old} is not an instance of torch.Tensor")
    if value is _MISSING:
        mod.__dict__.pop(name, None)
    else:
        object.__setattr__(mod, name, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    mapping = (_untie_named_tensors_map(module, parameters_and_buffers) if tie_weights
               else parameters_and_buffers)
    if strict:
        _check_keys(module, mapping)
    originals = {}
    try:
        for path, value in mapping.items():
            originals[path] = _swap(module, path, value)
        yield
    finally:
        for path, old in reversed(list(originals.items())):
            _swap(module, path, old)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False) -> Any:
    if isinstance(parameters_and_buffers, dict):
        mapping = parameters_and_buffers
    else:
        mapping, repeated = {}, []
        for item in parameters_and_buffers:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError("Expected parameters_and_buffers to contain (name, Tensor) "
                                 "pairs")
            if item[0] in mapping:
                repeated.append(item[0])
            mapping[item[0]] = item[1]
        if repeated:
            raise ValueError(f"{sorted(set(repeated))} appeared multiple times; behavior of "
                             "functional call is ambiguous")
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, mapping, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Deprecated alias of torch.func.functional_call (warns as PyTorch 2.x does)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
