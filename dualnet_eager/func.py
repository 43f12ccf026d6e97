"""torch.func (imported lazily as `torch.func`): grad, vmap, functional_call, jacrev, jacfwd,
hessian."""
from __future__ import annotations
