"""paddle.static functions beyond programs and IO: accuracy, auc, Print, device_guard, py_func,
ExecutionStrategy, ParallelExecutor."""
from __future__ import annotations

__all__: list = []
