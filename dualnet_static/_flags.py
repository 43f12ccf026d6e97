"""`paddle.get_flags` / `paddle.set_flags`: Paddle's global FLAGS_ switches, kept in a dict.

The flags scripts commonly touch are known with Paddle's defaults; they are accepted and
stored (the NumPy runtime has nothing to tune with most of them). An unknown name is a
ValueError, as in Paddle.
"""
from __future__ import annotations

_FLAGS: dict = {
    "FLAGS_cudnn_deterministic": False,
    "FLAGS_cudnn_exhaustive_search": False,
    "FLAGS_conv_workspace_size_limit": 512,
    "FLAGS_cudnn_batchnorm_spatial_persistent": False,
    "FLAGS_embedding_deterministic": 0,
    "FLAGS_check_nan_inf": False,
    "FLAGS_check_nan_inf_level": 0,
    "FLAGS_benchmark": False,
    "FLAGS_eager_delete_tensor_gb": 0.0,
    "FLAGS_fast_eager_deletion_mode": True,
    "FLAGS_memory_fraction_of_eager_deletion": 1.0,
    "FLAGS_allocator_strategy": "auto_growth",
    "FLAGS_fraction_of_gpu_memory_to_use": 0.92,
    "FLAGS_fraction_of_cpu_memory_to_use": 1.0,
    "FLAGS_initial_cpu_memory_in_mb": 500,
    "FLAGS_use_pinned_memory": True,
    "FLAGS_paddle_num_threads": 1,
    "FLAGS_use_mkldnn": False,
    "FLAGS_call_stack_level": 1,
    "FLAGS_max_inplace_grad_add": 0,
    "FLAGS_sort_sum_gradient": False,
    "FLAGS_enable_eager_mode": True,
    "FLAGS_retain_grad_for_all_tensor": False,
    "FLAGS_use_stride_kernel": True,
    "FLAGS_set_to_1d": False,
    "FLAGS_print_ir": False,
    "FLAGS_enable_pir_api": False,
    "FLAGS_enable_pir_in_executor": False,
    "FLAGS_use_cinn": False,
    "FLAGS_selected_gpus": "",
    "FLAGS_low_precision_op_list": 0,
}


def _name(flag) -> str:
    if not isinstance(flag, str):
        raise TypeError(f"flag names are str, got {type(flag).__name__}")
    name = flag if flag.startswith("FLAGS_") else "FLAGS_" + flag
    if name not in _FLAGS:
        raise ValueError(f"Flag {flag} cannot get its value through this function.")
    return name


def get_flags(flags) -> dict:
    """{flag name: value} for a flag name or a list / tuple of them."""
    if isinstance(flags, (list, tuple)):
        names = [_name(f) for f in flags]
    elif isinstance(flags, str):
        names = [_name(flags)]
    else:
        raise TypeError(f"Flags in get_flags should be a list, tuple or string, got "
                        f"{type(flags).__name__}")
    return {n: _FLAGS[n] for n in names}


def set_flags(flags: dict) -> None:
    """Set flags from a {name: value} dict (values converted to the flag's type)."""
    if not isinstance(flags, dict):
        raise TypeError(f"flags in set_flags should be a dict, got {type(flags).__name__}")
    updates = {}
    for flag, value in flags.items():
        name = _name(flag)
        old = _FLAGS[name]
        try:
            updates[name] = type(old)(value) if old is not None else value
        except (TypeError, ValueError) as e:
            raise TypeError(f"set_flags: {name} takes a {type(old).__name__}, got "
                            f"{value!r}") from e
    _FLAGS.update(updates)
