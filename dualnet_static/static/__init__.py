"""`paddle.static`: programs, data, the Executor, scopes and static autodiff."""
from ..backward import append_backward, gradients  # noqa: F401
from ..binder import write_to  # noqa: F401
from ..creation import create_global_var, create_parameter  # noqa: F401
from ..executor import (CompiledProgram, Executor, clear_plan_cache,  # noqa: F401
                        plan_cache_info)
from ..framework import (Program, default_main_program, default_startup_program,  # noqa: F401
                         name_scope, program_guard)
from ..place import CPUPlace, CUDAPlace, cpu_places, cuda_places  # noqa: F401
from ..scope import Scope, global_scope, scope_guard  # noqa: F401
from ..serialization import program_from_json, program_to_json  # noqa: F401
from ..variable import Parameter, Variable  # noqa: F401
from .input import InputSpec, data  # noqa: F401
from .io import (deserialize_persistables, deserialize_program, load,  # noqa: F401,E402
                 load_from_file, load_inference_model, load_program_state, normalize_program,
                 save, save_inference_model, save_to_file, serialize_persistables,
                 serialize_program, set_program_state)
from ..passes import BuildStrategy  # noqa: F401,E402
from . import nn  # noqa: F401,E402  (paddle.static.nn)
from .extras import *  # noqa: F401,F403,E402  (accuracy, auc, Print, device_guard, ...)
