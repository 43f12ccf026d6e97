"""`paddle.nn.initializer` (see initializer.py)."""
from .initializer import (Assign, Constant, Dirac, Initializer, KaimingNormal,  # noqa: F401
                          KaimingUniform, Normal, Orthogonal, TruncatedNormal, Uniform,
                          XavierNormal,
                          XavierUniform, calculate_gain, set_global_initializer)

# Paddle 1.x / fluid spellings still found in model code.
ConstantInitializer = Constant
UniformInitializer = Uniform
NormalInitializer = Normal
TruncatedNormalInitializer = TruncatedNormal
