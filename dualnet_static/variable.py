"""Variables of a static Program: a name, a shape with -1 for unknown dims, a dtype and flags.

A Variable holds no data. Persistable variables (parameters, optimizer state, batch-norm
statistics) live in a Scope between runs; data variables are fed; constants carry their value in
the Program itself (`_value`, a read-only NumPy array: Python scalars in `x * 2.0` become these,
so no op is needed and the Executor binds them once per compiled plan); every other variable is
an op's output, alive during one run.
"""
from __future__ import annotations

import math

import numpy as np

from dualnet.ops.registry import Meta

from .dtype import as_paddle_dtype
from .tensor_methods import VariableMethods


FLAG_CHANGES = [0]  # stop_gradient assignments so far (implicit mode's replay checks it)


class Variable(VariableMethods):
    """A symbolic value in a Block (Paddle's `paddle.static.Variable`)."""

    __array_priority__ = 1000  # `ndarray * var` defers to Variable.__rmul__

    # Defaults at class level: an instance's dict holds only what differs (most variables are
    # op outputs that keep every default, and implicit mode makes some per op and step).
    _persistable = False
    _stop_explicit = False  # stop_gradient set by the user (honored inside the graph)
    is_data = False
    lod_level = 0
    _value = None  # a constant's value
    need_check_feed = False
    op = None  # the op that last wrote this variable (None for leaves)
    type = "LOD_TENSOR"
    _bound = None  # implicit mode (dualnet_static/dygraph): the array this value is bound
    #                to - fed data, or a value kept after a run

    def __init__(self, block, name: str, shape, dtype, *, persistable: bool = False,
                 stop_gradient: bool = False, is_data: bool = False, lod_level: int = 0,
                 value=None, need_check_feed: bool = False):
        self.block = block
        self._name = name
        self._shape = tuple(int(d) for d in shape)
        self._dtype = np.dtype(dtype)
        self._pdtype = as_paddle_dtype(self._dtype)
        self._stop_gradient = bool(stop_gradient)
        if persistable:
            self._persistable = True
        if is_data:
            self.is_data = True
        if lod_level:
            self.lod_level = lod_level
        if value is not None:
            self._value = value
        if need_check_feed:
            self.need_check_feed = need_check_feed

    # ------------------------------------------------------------ identity and naming
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, new: str) -> None:
        self.block._rename_var(self, new)

    def __hash__(self) -> int:
        return id(self)

    @property
    def is_parameter(self) -> bool:
        return False

    @property
    def persistable(self) -> bool:
        """Kept in the Scope between runs (read from it, written back when an op writes it)."""
        return self._persistable

    @persistable.setter
    def persistable(self, value: bool) -> None:
        self._persistable = bool(value)
        self.block.program._bump()  # what the Executor reads and writes changed

    @property
    def is_constant(self) -> bool:
        return self._value is not None

    # ------------------------------------------------------------ shape and dtype
    @property
    def shape(self) -> list:
        """The declared shape as a list; -1 marks a dim known only at run time."""
        return list(self._shape)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return len(self._shape)

    @property
    def dtype(self):
        return self._pdtype

    @property
    def size(self) -> int:
        """The number of elements (-1 when a dim is unknown)."""
        if -1 in self._shape:
            return -1
        return math.prod(self._shape)

    def ndimension(self) -> int:
        return len(self._shape)

    def element_size(self) -> int:
        """Bytes per element."""
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the whole value (-1 when a dim is unknown)."""
        n = self.size
        return -1 if n < 0 else n * self._dtype.itemsize

    @property
    def T(self):
        """All dims reversed (paddle.Tensor.T)."""
        from dualnet.ops import apply

        return apply("transpose", self, perm=tuple(range(len(self._shape)))[::-1])

    @property
    def mT(self):
        """The last two dims swapped (paddle.Tensor.mT; at least 2-D)."""
        from dualnet.ops import apply

        n = len(self._shape)
        if n < 2:
            raise ValueError(f"Tensor.mT needs at least 2 dims, {self.name!r} has shape "
                             f"{self.shape}")
        return apply("transpose", self, perm=tuple(range(n - 2)) + (n - 1, n - 2))

    @property
    def is_leaf(self) -> bool:
        """Made by the user or stopping gradients, not by an op a gradient flows through."""
        from .tensor_methods.inplace import is_leaf

        return is_leaf(self)

    def _meta(self) -> Meta:
        return Meta(self._shape, self._dtype)

    # ------------------------------------------------------------ gradient flags
    @property
    def stop_gradient(self) -> bool:
        return self._stop_gradient

    @stop_gradient.setter
    def stop_gradient(self, value: bool) -> None:
        self._stop_gradient = bool(value)
        self._stop_explicit = True
        FLAG_CHANGES[0] += 1

    @property
    def grad_name(self) -> str:
        return self._name + "@GRAD"

    # ------------------------------------------------------------ printing
    def _kind(self) -> str:
        if self._value is not None:
            return "const"
        return "persist var" if self.persistable else "var"

    def to_string(self, throw_on_error: bool = False, with_details: bool = False) -> str:
        shape = ", ".join(str(d) for d in self._shape)
        text = (f"{self._kind()} {self._name} : {self.type}.shape({shape})"
                f".dtype({self._dtype.name}).stop_gradient({self._stop_gradient})")
        if self._value is not None and self._value.size <= 8:
            text += f" = {format_value(self._value)}"
        if with_details:
            text += f" persistable({self.persistable}) is_data({self.is_data})"
        return text

    def __str__(self) -> str:
        if self._bound is not None or self.block.program._implicit or \
                getattr(self, "_dygraph", False):  # implicit mode prints the value, as Paddle
            from .dygraph.tensor import tensor_repr

            return tensor_repr(self)
        return self.to_string()

    __repr__ = __str__

    def _copy_to(self, block) -> "Variable":
        """The same variable in another block (Program.clone)."""
        v = type(self).__new__(type(self))
        v.__dict__.update(self.__dict__)
        v.block = block
        v.op = None
        return v


def format_value(value: np.ndarray) -> str:
    """A constant's value as it prints inside an op line."""
    if value.ndim == 0:
        return repr(value.item())
    return np.array2string(value, separator=", ", threshold=8).replace("\n", "")


class Parameter(Variable):
    """A trainable persistable variable (`paddle.static.Parameter`), initialized by the
    startup program."""

    def __init__(self, block, name: str, shape, dtype, *, trainable: bool = True,
                 optimize_attr=None, regularizer=None, need_clip: bool = True,
                 do_model_average=None, is_distributed: bool = False, **kwargs):
        if any(d < 0 for d in shape):
            raise ValueError(f"parameter {name!r}: every dim must be known, got shape "
                             f"{list(shape)}")
        kwargs.setdefault("persistable", True)
        super().__init__(block, name, shape, dtype, stop_gradient=not trainable, **kwargs)
        self.optimize_attr = optimize_attr if optimize_attr is not None else \
            {"learning_rate": 1.0}
        self.regularizer = regularizer
        self.need_clip = need_clip
        self.do_model_average = do_model_average
        self.is_distributed = is_distributed

    @property
    def is_parameter(self) -> bool:
        return True

    @property
    def trainable(self) -> bool:
        return not self._stop_gradient

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._stop_gradient = not value

    def _kind(self) -> str:
        return "persist trainable param" if self.trainable else "persist param"
