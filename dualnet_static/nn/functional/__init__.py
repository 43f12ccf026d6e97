"""`paddle.nn.functional`: Paddle's functions as thin calls into the op registry (its
primitives and composites). No numerics live here: only Paddle's signatures, defaults and
layout conventions (weight [in, out] for linear, NCHW/NHWC, classes on the last axis for
cross_entropy, ...)."""
from .activation import *  # noqa: F401,F403
from .common import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .losses_more import *  # noqa: F401,F403
from .spatial_more import *  # noqa: F401,F403
