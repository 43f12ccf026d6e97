"""The `Optimizer` base class: parameter groups, per-parameter state, and PyTorch's state_dict
format. Subclasses implement `_update_group(group)` by calling the registry's in-place update
ops (dualnet/ops/optim.py) on raw arrays, so `optim.Adam.step()` and the static side's
`Adam.minimize()` run the same kernels.
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from dualnet import backend
from dualnet.ops import registry
from dualnet.ops.registry import OpError, explain

from ..autograd import grad_mode
from ..tensor import Tensor


class _RequiredParameter:
    """Singleton marking an option that has no default (`lr` of old PyTorch SGD)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def run_update(op: registry.OpDef, attrs: dict, *arrays):
    """Run an in-place update kernel on raw arrays.

    The step is the training loop's hot path: the options were validated once (constructor and
    `_attrs`), so this calls the kernel directly instead of going through `apply` (which would
    canonicalize the same attrs again for every parameter). Kernel failures still become an
    OpError naming the op, the shapes and the user's line.
    """
    data = arrays[0]
    xp = np if type(data) is np.ndarray else backend.get_array_module(data)
    try:
        return op.forward(xp, *arrays, **attrs)
    except OpError:
        raise
    except Exception as e:
        raise explain(op, arrays, attrs, e) from e


def array_module(data):
    """NumPy or CuPy for a raw array (NumPy checked first: the common case)."""
    return np if type(data) is np.ndarray else backend.get_array_module(data)


def zeros_like(data):
    return array_module(data).zeros_like(data)


def check_nonneg(name: str, value, label: str | None = None) -> None:
    """PyTorch's constructor checks: `Invalid learning rate: -1`, `Invalid eps value: ...`."""
    if not 0.0 <= float(value):
        raise ValueError(f"Invalid {label or name + ' value'}: {value}")


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer).

    `params` is an iterable of Tensors or of dicts (parameter groups, each with a 'params'
    entry and per-group options overriding `defaults`).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._lr_cache: dict = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (fine-tuning layers, ...)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group: dict) -> None:
        """Subclasses check per-group option values (groups can override the defaults)."""

    # ------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (default) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                data = g._data
                if type(data) is np.ndarray and (not data.flags.writeable or data.base is not None):
                    g._data = np.zeros_like(data)
                else:
                    data.fill(0)
                g._version[0] += 1

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient. `closure` (optional)
        re-evaluates the model and returns the loss, which step returns."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ hot-path helpers
    def _lr_array(self, group: dict, data):
        """The group's learning rate as a 0-d float64 array on `data`'s device, cached and
        rebuilt only when the group's lr changes (a scheduler step)."""
        lr = group["lr"]
        key = (id(group), "cpu" if type(data) is np.ndarray else str(backend.device_of(data)))
        entry = self._lr_cache.get(key)
        if entry is not None and entry[0] == lr and entry[1] is group:
            return entry[2]
        value = float(lr)
        if type(data) is np.ndarray:
            array = np.array(value, dtype=np.float64)
        else:
            array = backend.get_array_module(data).asarray(value, dtype=np.float64)
        self._lr_cache[key] = (lr if isinstance(lr, (int, float)) else value, group, array)
        return array

    def _zero_step(self, data):
        """A fresh 0-d step counter on `data`'s device (the update op increments it)."""
        return array_module(data).zeros((), dtype=np.float32)

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{options..., 'params': [indices]}]},
        indices numbering the parameters in group order (PyTorch's format). The state
        Tensors are the live buffers (copy or save them to keep a snapshot)."""
        mapping: dict = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in mapping:
                    mapping[id(p)] = len(mapping)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, value in self.state.items():
            if isinstance(key, Tensor):
                if id(key) in mapping and value:
                    state[mapping[id(key)]] = dict(value)
            else:
                state[key] = value
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a dict made by `state_dict()` (ours or PyTorch's): state Tensors are copied to
        each parameter's dtype and device, group options are restored, parameters kept."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and "
                             "'param_groups' entries")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = {_int_key(old): p for old, p in
                  zip(chain.from_iterable(s["params"] for s in saved_groups),
                      chain.from_iterable(g["params"] for g in groups))}
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict.get("state", {}).items():
            param = id_map.get(_int_key(key))
            if param is None:
                state[key] = value
            else:
                state[param] = {k: self._cast_state(param, k, v) for k, v in value.items()}
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "betas" in saved and isinstance(saved["betas"], list):
                saved["betas"] = tuple(saved["betas"])
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
        self._lr_cache.clear()

    def _cast_state(self, param: Tensor, key: str, value):
        """A private copy of a loaded state value, on the parameter's device; floating state
        takes the parameter's dtype ('step' keeps its own)."""
        if isinstance(value, Tensor):
            array = value._data
        elif backend.is_array(value):
            array = value
        else:
            return copy.deepcopy(value)
        if key != "step" and array.dtype.kind == "f":
            array = array.astype(param._data.dtype)
        array = backend.to_device(array, param.device)
        if array is value or (isinstance(value, Tensor) and array is value._data):
            array = array.copy()
        return Tensor._wrap(array)

    # ------------------------------------------------------------ misc
    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lr_cache = {}

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _int_key(key):
    """State keys come back as strings from some formats (JSON): '3' -> 3."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj._type_name()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"
