"""torch.hub: no network access here. `load`/`list`/`help` of a local directory with a
`hubconf.py` (source='local') work; anything that would download raises NotImplementedError
saying so, instead of failing deep inside a download."""
from __future__ import annotations

import importlib.util
import os
import sys

_hub_dir = None

__all__ = ["load", "list", "help", "get_dir", "set_dir", "download_url_to_file",
           "load_state_dict_from_url"]


def _no_network(what: str):
    return NotImplementedError(
        f"torch.hub.{what}: dualnet does not download models (no network access). Download "
        "the weights yourself and load them with torch.load / model.load_state_dict, or pass "
        "a local directory containing a hubconf.py with source='local'.")


def get_dir() -> str:
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "dualnet")
    return os.path.join(home, "hub")


def set_dir(d) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _hubconf(repo_or_dir, source: str, what: str):
    if source != "local":
        raise _no_network(what)
    path = os.path.join(os.fspath(repo_or_dir), "hubconf.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"torch.hub.{what}: no hubconf.py in {repo_or_dir!r}")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(os.path.dirname(path))
    return module


def _entry(module, model: str):
    fn = getattr(module, model, None)
    if not callable(fn) or model.startswith("_"):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def load(repo_or_dir, model: str, *args, source: str = "github", trust_repo=None,
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False,
         **kwargs):
    """Call entry point `model` of a local hubconf.py (source='local'); GitHub sources raise
    NotImplementedError (no downloads)."""
    return _entry(_hubconf(repo_or_dir, source, "load"), model)(*args, **kwargs)


def list(github, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo=None, verbose: bool = True, source: str = "github"):
    module = _hubconf(github, source, "list")
    return [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]


def help(github, model: str, force_reload: bool = False, skip_validation: bool = False,  # noqa
         trust_repo=None, source: str = "github"):
    return _entry(_hubconf(github, source, "help"), model).__doc__


def download_url_to_file(url, dst, hash_prefix=None, progress: bool = True):
    raise _no_network("download_url_to_file")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name=None, weights_only=False):
    raise _no_network("load_state_dict_from_url")
