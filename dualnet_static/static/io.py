"""Saving and loading static models (`paddle.static.save_inference_model`, `save`, `load`, ...).

Files (DESIGN.md section 7: readable JSON, safetensors, atomic writes, no pickle):
  save_inference_model(prefix, ...)  prefix.json         the pruned inference program (JSON of
                                                          dualnet_static/serialization.py, plus
                                                          "feed_target_names"/"fetch_target_names")
                                     prefix.safetensors  its persistable values, by variable name
  save(program, path)                path.pdparams       parameters       (safetensors)
                                     path.pdopt          other persistables: optimizer state,
                                                          statistics (safetensors)
                                     path.pdmodel        the whole program (JSON)
Loading reads and checks everything (format, every variable present with its shape and dtype)
before it writes anything into the scope: a damaged, truncated, foreign or missing file raises
an error naming the file and nothing is half-loaded.
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

from dualnet import backend
from dualnet.io import FileFormatError, atomic_write, decode_arrays, encode_arrays, read_bytes

from ..framework import Program, default_main_program
from ..scope import global_scope
from ..serialization import program_from_dict, program_to_dict
from ..variable import Variable

__all__ = ["save_inference_model", "load_inference_model", "normalize_program",
           "serialize_program", "deserialize_program", "serialize_persistables",
           "deserialize_persistables", "save_to_file", "load_from_file", "save", "load",
           "load_program_state", "set_program_state"]

PARAMS_FORMAT = "dualnet.static.params"
MODEL_SUFFIX, PARAMS_SUFFIX = ".json", ".safetensors"


# ---------------------------------------------------------------- inference programs


def _var_list(what: str, value) -> list:
    if isinstance(value, Variable):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Variable)
                                                          for v in value):
        return list(value)
    raise ValueError(f"'{what}' type should be Variable or list of Variable, got "
                     f"{type(value).__name__}")


def normalize_program(program: Program, feed_vars, fetch_vars, **kwargs) -> Program:
    """The inference version of `program`: clone(for_test=True) pruned to the ops that compute
    `fetch_vars` from `feed_vars` (Paddle's normalize_program)."""
    if not isinstance(program, Program):
        raise TypeError(f"program type must be `paddle.static.Program`, but received "
                        f"`{type(program).__name__}`")
    feeds = [v.name for v in _var_list("feed_vars", feed_vars)]
    fetches = [v.name for v in _var_list("fetch_vars", fetch_vars)]
    block = program.global_block()
    for name in feeds + fetches:
        if block._var_recursive(name) is None:
            raise ValueError(f"variable {name!r} (in feed_vars/fetch_vars) is not in the "
                             "program")
    inference = program.clone(for_test=True)
    _prune(inference, feeds, fetches)
    inference._feed_target_names = feeds
    inference._fetch_target_names = fetches
    return inference


def _prune(program: Program, feeds: list, fetches: list) -> None:
    """Keep only the ops on a path from the feeds to the fetches (block 0)."""
    block = program.global_block()
    fed, needed, keep = set(feeds), set(fetches), []
    for op in reversed(block.ops):
        if any(v is not None and v.name in needed and v.name not in fed for v in op.outputs):
            keep.append(op)
            needed.update(v.name for v in op.inputs if v is not None)
    block.ops = keep[::-1]
    available = set(fed)
    for op in block.ops:
        for v in op.inputs:
            if v is None or v.name in available or v._value is not None or v.persistable:
                continue
            raise ValueError(f"fetch_vars need {'data variable' if v.is_data else 'variable'} "
                             f"{v.name!r}, which is not in feed_vars and no op computes it "
                             f"(feed_vars: {feeds})")
        available.update(v.name for v in op.outputs if v is not None)
    for name in fetches:
        if name not in available and not block.vars[name].persistable:
            raise ValueError(f"fetch var {name!r} cannot be computed from feed_vars {feeds}")
    used = set(feeds) | set(fetches) | {v.name for op in block.ops
                                        for v in op.inputs + op.outputs if v is not None}
    for name in [n for n in block.vars if n not in used]:
        del block.vars[name]
    program._bump()


def _persistables(program: Program) -> list:
    """The persistable variables an inference program reads (no constants)."""
    block = program.global_block()
    fetched = [block._var_recursive(n) for n in getattr(program, "_fetch_target_names", ())]
    seen, out = set(), []
    for v in [v for op in block.ops for v in op.inputs] + fetched:
        if v is not None and v.persistable and v._value is None and v.name not in seen:
            seen.add(v.name)
            out.append(v)
    return out


def serialize_program(feed_vars, fetch_vars, **kwargs) -> bytes:
    """The inference program of `kwargs['program']` (default main) as JSON bytes."""
    program = kwargs.get("program") or default_main_program()
    inference = normalize_program(program, feed_vars, fetch_vars)
    return _program_bytes(inference)


def _program_bytes(inference: Program) -> bytes:
    d = program_to_dict(inference)
    d["feed_target_names"] = list(inference._feed_target_names)
    d["fetch_target_names"] = list(inference._fetch_target_names)
    return json.dumps(d, indent=1).encode("utf-8")


def deserialize_program(data: bytes, name: str = "<bytes>") -> Program:
    """A Program from serialize_program's bytes (feed/fetch names kept on it)."""
    try:
        d = json.loads(data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FileFormatError(f"{name} is not a dualnet program (not valid JSON: {e}); "
                              "damaged or another format") from None
    if not isinstance(d, dict) or d.get("format") != "dualnet.program":
        raise FileFormatError(f"{name} is not a dualnet program (format "
                              f"{d.get('format') if isinstance(d, dict) else None!r})")
    try:
        program = program_from_dict(d)
    except (KeyError, TypeError, ValueError) as e:
        raise FileFormatError(f"{name} is a damaged dualnet program: {type(e).__name__}: {e}") \
            from None
    program._feed_target_names = list(d.get("feed_target_names", []))
    program._fetch_target_names = list(d.get("fetch_target_names", []))
    return program


def _scope_values(variables, scope, what: str) -> dict:
    out = {}
    for v in variables:
        holder = scope.find_var(v.name)
        if holder is None or holder.value is None:
            raise RuntimeError(f"cannot save {what}: variable {v.name!r} is not initialized in "
                               "the scope (run the startup program first)")
        out[v.name] = backend.to_numpy(holder.value)
    return out


def serialize_persistables(feed_vars, fetch_vars, executor=None, **kwargs) -> bytes:
    """The values of the inference program's persistable variables as safetensors bytes."""
    program = kwargs.get("program") or default_main_program()
    inference = normalize_program(program, feed_vars, fetch_vars)
    return _params_bytes(inference, kwargs.get("scope") or global_scope())


def _params_bytes(inference: Program, scope) -> bytes:
    arrays = _scope_values(_persistables(inference), scope, "the inference model")
    return encode_arrays(arrays, {"format": PARAMS_FORMAT, "version": "1"})


def deserialize_persistables(program: Program, data: bytes, executor=None,
                             name: str = "<bytes>", scope=None) -> None:
    """Load serialize_persistables' bytes into the scope for `program` (checked first)."""
    arrays, meta = decode_arrays(name, data)
    _check_format(name, meta)
    values = _match(name, _persistables(program), arrays)
    _store(values, scope or global_scope())


def _check_format(name: str, meta: dict) -> None:
    fmt = meta.get("format")
    if fmt not in (PARAMS_FORMAT, None, "pt", "np", "numpy"):
        raise FileFormatError(f"{name} holds {fmt!r} data, not dualnet static parameters")


def _match(name: str, variables, arrays: dict) -> dict:
    """{var name: array} for `variables`, checking presence, shape and dtype."""
    values = {}
    for v in variables:
        if v.name not in arrays:
            raise FileFormatError(f"{name} has no value for variable {v.name!r} (it holds "
                                  f"{len(arrays)} arrays: another model's file?)")
        a = arrays[v.name]
        if len(a.shape) != len(v._shape) or any(d != -1 and d != s for d, s in
                                                 zip(v._shape, a.shape)):
            raise FileFormatError(f"{name}: variable {v.name!r} has shape {list(a.shape)} in "
                                  f"the file but {v.shape} in the program")
        if a.dtype != v._dtype:
            raise FileFormatError(f"{name}: variable {v.name!r} is {a.dtype} in the file but "
                                  f"{v._dtype} in the program")
        values[v.name] = a
    return values


def _store(values: dict, scope) -> None:
    for name, a in values.items():
        scope.var(name).value = np.array(a, copy=True)


def save_to_file(path: str, content: bytes) -> None:
    if not isinstance(content, bytes):
        raise ValueError("'content' type should be bytes.")
    atomic_write(path, content)


def load_from_file(path: str) -> bytes:
    return read_bytes(path)


def _prefix(path_prefix) -> str:
    if not isinstance(path_prefix, (str, os.PathLike)):
        raise ValueError(f"'path_prefix' should be a string, got {type(path_prefix).__name__}")
    path_prefix = os.fspath(path_prefix)
    if path_prefix.endswith(("/", os.sep)) or os.path.isdir(path_prefix):
        raise ValueError(f"'path_prefix' should not be a directory: {path_prefix!r} (give a "
                         "directory plus a file name prefix, e.g. 'out/model')")
    return os.path.abspath(path_prefix)


def _program_of(fetch_vars):
    """The program the fetched variables were built in (a program_guard's, which need not be
    the default main program), or None."""
    items = fetch_vars if isinstance(fetch_vars, (list, tuple)) else [fetch_vars]
    block = getattr(items[0], "block", None) if items else None
    return getattr(block, "program", None)


def save_inference_model(path_prefix, feed_vars, fetch_vars, executor, **kwargs) -> None:
    """Write `path_prefix.json` (the inference program) and `path_prefix.safetensors` (its
    persistable values from the global scope), each atomically."""
    prefix = _prefix(path_prefix)
    program = kwargs.get("program") or _program_of(fetch_vars) or default_main_program()
    inference = normalize_program(program, feed_vars, fetch_vars)
    params = _params_bytes(inference, kwargs.get("scope") or global_scope())
    model = _program_bytes(inference)
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    atomic_write(prefix + PARAMS_SUFFIX, params)
    atomic_write(prefix + MODEL_SUFFIX, model)


def load_inference_model(path_prefix, executor, **kwargs) -> list:
    """[program, feed_target_names, fetch_targets] from save_inference_model's files; the
    values go into the global scope. `model_filename`/`params_filename` override the file
    names (with path_prefix None they are the files' bytes, as in Paddle)."""
    model_file, params_file = kwargs.get("model_filename"), kwargs.get("params_filename")
    if path_prefix is None:
        if not isinstance(model_file, bytes) or not isinstance(params_file, bytes):
            raise ValueError("with path_prefix None, model_filename and params_filename must "
                             "be the bytes of the model and of the parameters")
        model_name, params_name = "<model bytes>", "<params bytes>"
        model_raw, params_raw = model_file, params_file
    else:
        prefix = os.path.abspath(os.fspath(path_prefix))
        for suffix in (MODEL_SUFFIX, PARAMS_SUFFIX):
            if prefix.endswith(suffix):
                prefix = prefix[:-len(suffix)]
        model_name = model_file or prefix + MODEL_SUFFIX
        params_name = params_file or prefix + PARAMS_SUFFIX
        model_raw = read_bytes(model_name, "inference model file")
        params_raw = read_bytes(params_name, "inference parameters file")
    program = deserialize_program(model_raw, model_name)
    block = program.global_block()
    feeds, fetches = program._feed_target_names, program._fetch_target_names
    missing = [n for n in feeds + fetches if block._var_recursive(n) is None]
    if not fetches or missing:
        raise FileFormatError(f"{model_name} is not an inference model: "
                              + (f"variables {missing} are not in it" if missing else
                                 "it names no fetch targets"))
    arrays, meta = decode_arrays(params_name, params_raw)
    _check_format(params_name, meta)
    values = _match(params_name, _persistables(program), arrays)
    _store(values, kwargs.get("scope") or global_scope())
    return [program, list(feeds), [block._var_recursive(n) for n in fetches]]


# ---------------------------------------------------------------- whole programs


def _split(program: Program) -> tuple:
    """(parameters, other persistables) of `program`, constants and data excluded."""
    params, others, seen = [], [], set()
    for v in program.list_vars():
        if not v.persistable or v._value is not None or v.is_data or v.name in seen:
            continue
        seen.add(v.name)
        (params if v.is_parameter else others).append(v)
    return params, others


def _model_path(model_path) -> str:
    model_path = os.fspath(model_path)
    if os.path.basename(model_path) == "":
        raise ValueError("The input model_path MUST be format of dirname/filename "
                         "[dirname\\filename in Windows system], but received model_path is "
                         "empty string.")
    return model_path


def save(program: Program, model_path, protocol: int = 4, **configs) -> None:
    """Write the program's parameters (`.pdparams`), other persistables (`.pdopt`) and the
    program (`.pdmodel`, JSON), from the global scope."""
    if not isinstance(program, Program):
        raise TypeError(f"program must be a Program, got {type(program).__name__}")
    model_path = _model_path(model_path)
    scope = configs.get("scope") or global_scope()
    params, others = _split(program)
    meta = {"format": PARAMS_FORMAT, "version": "1"}
    param_bytes = encode_arrays(_scope_values(params, scope, "the parameters"), meta)
    opt_bytes = encode_arrays(_scope_values(others, scope, "the optimizer state"), meta)
    folder = os.path.dirname(os.path.abspath(model_path))
    os.makedirs(folder, exist_ok=True)
    atomic_write(model_path + ".pdparams", param_bytes)
    atomic_write(model_path + ".pdopt", opt_bytes)
    atomic_write(model_path + ".pdmodel", program.to_json().encode("utf-8"))


def _strip_suffix(model_path: str) -> str:
    for suffix in (".pdparams", ".pdopt", ".pdmodel"):
        if model_path.endswith(suffix):
            return model_path[:-len(suffix)]
    return model_path


def _read_state_file(path: str, what: str) -> dict:
    arrays, meta = decode_arrays(path, read_bytes(path, what))
    _check_format(path, meta)
    return arrays


def load(program: Program, model_path, executor=None, var_list=None) -> None:
    """Load what `save` wrote into the global scope for `program` (or only `var_list`)."""
    if not isinstance(program, Program):
        raise TypeError(f"program must be a Program, got {type(program).__name__}")
    base = _strip_suffix(_model_path(model_path))
    params, others = _split(program)
    if var_list is not None:
        names = {v if isinstance(v, str) else v.name for v in var_list}
        params = [v for v in params if v.name in names]
        others = [v for v in others if v.name in names]
    param_file = base + ".pdparams"
    values = _match(param_file, params, _read_state_file(param_file, "parameter file"))
    if others:
        opt_file = base + ".pdopt"
        values.update(_match(opt_file, others, _read_state_file(opt_file, "optimizer file")))
    _store(values, global_scope())


def load_program_state(model_path, var_list=None) -> dict:
    """{name: ndarray} of the `.pdparams` (+ `.pdopt` when present) files of `model_path`."""
    base = _strip_suffix(_model_path(model_path))
    state = _read_state_file(base + ".pdparams", "parameter file")
    if os.path.exists(base + ".pdopt"):
        state.update(_read_state_file(base + ".pdopt", "optimizer file"))
    if var_list is not None:
        names = {v if isinstance(v, str) else v.name for v in var_list}
        state = {k: v for k, v in state.items() if k in names}
    return state


def set_program_state(program: Program, state_dict: dict) -> None:
    """Store `state_dict` values into the global scope for the program's persistables
    (shapes and dtypes checked for all first; names the program lacks are warned about)."""
    params, others = _split(program)
    by_name = {v.name: v for v in params + others}
    unused = [k for k in state_dict if k not in by_name]
    present = [v for v in params + others if v.name in state_dict]
    arrays = {v.name: np.asarray(state_dict[v.name]).astype(v._dtype, copy=False)
              for v in present}
    values = _match("state_dict", present, arrays)
    _store(values, global_scope())
    if unused:
        warnings.warn(f"set_program_state: {unused} are not persistable variables of the "
                      "program; skipped")
