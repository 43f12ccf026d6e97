"""torch.nn: Module, layers, losses, containers, `functional`, `init`, `utils` and
`parallel`."""
from .parameter import Buffer, Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init, utils  # noqa: F401
from . import parallel  # noqa: F401
from .parallel import DataParallel, SyncBatchNorm  # noqa: F401
