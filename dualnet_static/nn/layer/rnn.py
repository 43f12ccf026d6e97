"""Paddle's recurrent layers: SimpleRNNCell / LSTMCell / GRUCell, the RNN and BiRNN wrappers
that run a cell over time, and SimpleRNN / LSTM / GRU (stacks of RNN or BiRNN layers).

Parameters as Paddle: each cell has weight_ih [gates * hidden, input], weight_hh
[gates * hidden, hidden], bias_ih and bias_hh [gates * hidden], all Uniform(-1/sqrt(hidden),
1/sqrt(hidden)); the stacked layers also expose them as weight_ih_l0, ..., bias_hh_l1_reverse
(so both names are in the state_dict, as in Paddle). Gate order and the cell equations are
dualnet.ops.rnn's (Paddle and PyTorch agree). The time loop unrolls over a known number of
steps: a program input with an unknown (-1) time dim raises an error naming the layer.
"""
from __future__ import annotations

import math

from dualnet.ops import apply
from dualnet.ops import rnn as R
from dualnet.ops.shape import stack, unbind

from .. import functional as F
from ..initializer.initializer import Uniform
from .container import LayerList
from .layers import Layer, default_dtype

__all__ = ["RNNCellBase", "SimpleRNNCell", "LSTMCell", "GRUCell", "RNN", "BiRNN", "SimpleRNN",
           "LSTM", "GRU"]


def _swap01(x):
    return apply("transpose", x, perm=(1, 0) + tuple(range(2, x.ndim)))


def _map(fn, states):
    return tuple(_map(fn, s) for s in states) if isinstance(states, (tuple, list)) \
        else fn(states)


class RNNCellBase(Layer):
    """A cell: `forward(inputs, states) -> (outputs, new_states)` for one time step."""

    _mode = ""

    def get_initial_states(self, batch_ref, shape=None, dtype=None, init_value=0.0,
                           batch_dim_idx=0):
        """States filled with `init_value`, batch_ref's batch size (its dim batch_dim_idx,
        possibly unknown) and the cell's state_shape (nested for LSTM)."""
        shape = self.state_shape if shape is None else shape
        ref = batch_ref
        if batch_dim_idx:
            perm = list(range(ref.ndim))
            perm[0], perm[batch_dim_idx] = batch_dim_idx, 0
            ref = apply("transpose", ref, perm=tuple(perm))
        dtype = None if dtype is None else str(dtype).replace("paddle.", "")
        row = apply("zeros_like", ref, dtype=dtype)
        if ref.ndim > 1:
            row = apply("sum", row, axis=tuple(range(1, ref.ndim)), keepdim=False)

        def make(s):
            out = apply("unsqueeze", row, axis=tuple(range(1, 1 + len(s))))
            out = apply("broadcast_to", out, shape=(-1,) + tuple(s))
            return apply("add", out, float(init_value)) if init_value else out

        return _shape_map(make, shape)

    def _create(self, input_size, hidden_size, weight_ih_attr, weight_hh_attr, bias_ih_attr,
                bias_hh_attr):
        if hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}: hidden_size of rnn cell must be greater "
                             f"than 0, but now equals to {hidden_size}")
        if input_size <= 0:
            raise ValueError(f"{type(self).__name__}: input_size of rnn cell must be greater "
                             f"than 0, but now equals to {input_size}")
        gates = R.GATES[self._mode] * hidden_size
        std = 1.0 / math.sqrt(hidden_size)
        init = Uniform(-std, std)
        dtype = default_dtype()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = self.create_parameter([gates, input_size], weight_ih_attr, dtype,
                                               default_initializer=init)
        self.weight_hh = self.create_parameter([gates, hidden_size], weight_hh_attr, dtype,
                                               default_initializer=init)
        self.bias_ih = self.create_parameter([gates], bias_ih_attr, dtype, is_bias=True,
                                             default_initializer=init)
        self.bias_hh = self.create_parameter([gates], bias_hh_attr, dtype, is_bias=True,
                                             default_initializer=init)

    def _step(self, x_proj, states):
        """The new state from a projected input (the fast path RNN uses)."""
        return R.step(self._mode, x_proj, states, self.weight_hh, self.bias_hh)

    def forward(self, inputs, states=None):
        x_proj = R.project(inputs, self.weight_ih, self.bias_ih)
        if states is None:
            states = R.zero_state(self._mode, x_proj)
        new = self._step(x_proj, states)
        return (new[0] if self._mode == "LSTM" else new), new

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


def _shape_map(fn, shape):
    """fn over the leaves of a nested state shape (a leaf is a tuple of ints)."""
    if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], (tuple, list)):
        return tuple(_shape_map(fn, s) for s in shape)
    return fn(tuple(shape))


class SimpleRNNCell(RNNCellBase):
    """h' = activation(x W_ih^T + b_ih + h W_hh^T + b_hh), activation 'tanh' or 'relu'."""

    def __init__(self, input_size, hidden_size, activation="tanh", weight_ih_attr=None,
                 weight_hh_attr=None, bias_ih_attr=None, bias_hh_attr=None, name=None):
        super().__init__()
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation for SimpleRNNCell should be tanh or relu, but get "
                             f"{activation}")
        self.activation = activation
        self._mode = "RNN_TANH" if activation == "tanh" else "RNN_RELU"
        self._create(input_size, hidden_size, weight_ih_attr, weight_hh_attr, bias_ih_attr,
                     bias_hh_attr)

    @property
    def state_shape(self):
        return (self.hidden_size,)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", activation={self.activation}" if self.activation != "tanh" else "")


class LSTMCell(RNNCellBase):
    """LSTM step with gates (i, f, g, o); states (h, c); returns (h, (h, c))."""

    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, weight_ih_attr=None, weight_hh_attr=None,
                 bias_ih_attr=None, bias_hh_attr=None, proj_size=0, name=None):
        super().__init__()
        if proj_size:
            raise NotImplementedError("LSTMCell(proj_size > 0) is not supported")
        self._create(input_size, hidden_size, weight_ih_attr, weight_hh_attr, bias_ih_attr,
                     bias_hh_attr)

    @property
    def state_shape(self):
        return ((self.hidden_size,), (self.hidden_size,))


class GRUCell(RNNCellBase):
    """GRU step with gates (r, z, c): h' = (h - c) * z + c; returns (h', h')."""

    _mode = "GRU"

    def __init__(self, input_size, hidden_size, weight_ih_attr=None, weight_hh_attr=None,
                 bias_ih_attr=None, bias_hh_attr=None, name=None):
        super().__init__()
        self._create(input_size, hidden_size, weight_ih_attr, weight_hh_attr, bias_ih_attr,
                     bias_hh_attr)

    @property
    def state_shape(self):
        return (self.hidden_size,)


def _dtype_name(x) -> str:
    from dualnet.ops.nn import np_dtype

    return np_dtype(x).name


def _run_cell(cell, inputs, initial_states, sequence_length, is_reverse, time_major, what):
    """(outputs [N, T, ...] or [T, N, ...], final states) of `cell` over `inputs`."""
    x = inputs if time_major else _swap01(inputs)
    if isinstance(cell, RNNCellBase):  # built-in cell: one GEMM for every input projection
        steps = R.time_steps(R.project(x, cell.weight_ih, cell.bias_ih), what)
        state = R.zero_state(cell._mode, steps[0]) if initial_states is None \
            else initial_states
        fn, is_lstm = cell._step, cell._mode == "LSTM"
    else:
        steps = R.time_steps(x, what)
        state = cell.get_initial_states(steps[0]) if initial_states is None \
            else initial_states

        def fn(xt, s):
            return cell(xt, s)[1]

        is_lstm = isinstance(state, (tuple, list))
    masks = None if sequence_length is None else \
        R.sequence_masks(sequence_length, len(steps), _dtype_name(x))
    outputs, final = R.scan(fn, steps, state, is_reverse, masks, is_lstm)
    return (outputs if time_major else _swap01(outputs)), final


class RNN(Layer):
    """Runs `cell` over the time steps of inputs ([N, T, ...], or [T, N, ...] when
    time_major); returns (outputs, final_states)."""

    def __init__(self, cell, is_reverse=False, time_major=False):
        super().__init__()
        self.cell = cell
        self.is_reverse, self.time_major = is_reverse, time_major

    def forward(self, inputs, initial_states=None, sequence_length=None, **kwargs):
        return _run_cell(self.cell, inputs, initial_states, sequence_length, self.is_reverse,
                         self.time_major, f"{type(self).__name__}({type(self.cell).__name__})")


class BiRNN(Layer):
    """A forward and a backward cell over the same inputs; outputs concatenated on the last
    axis, final_states (forward states, backward states)."""

    def __init__(self, cell_fw, cell_bw, time_major=False):
        super().__init__()
        self.cell_fw, self.cell_bw = cell_fw, cell_bw
        if getattr(cell_fw, "input_size", None) != getattr(cell_bw, "input_size", None):
            raise ValueError(f"BiRNN: input size of cell_fw ({cell_fw.input_size}) and cell_bw "
                             f"({cell_bw.input_size}) should be the same")
        self.time_major = time_major

    def forward(self, inputs, initial_states=None, sequence_length=None, **kwargs):
        if initial_states is None:
            initial_states = (None, None)
        elif not isinstance(initial_states, (tuple, list)) or len(initial_states) != 2:
            raise ValueError("BiRNN: initial_states should be a pair (forward states, backward "
                             "states)")
        what = f"BiRNN({type(self.cell_fw).__name__})"
        out_fw, st_fw = _run_cell(self.cell_fw, inputs, initial_states[0], sequence_length,
                                  False, self.time_major, what)
        out_bw, st_bw = _run_cell(self.cell_bw, inputs, initial_states[1], sequence_length,
                                  True, self.time_major, what)
        return apply("concat", out_fw, out_bw, axis=-1), (st_fw, st_bw)


_DIRECTIONS = {"forward": 1, "bidirect": 2, "bidirectional": 2}


class RNNBase(LayerList):
    """num_layers of RNN (or BiRNN) over cells of `mode`, dropout between layers."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, direction="forward",
                 time_major=False, dropout=0.0, weight_ih_attr=None, weight_hh_attr=None,
                 bias_ih_attr=None, bias_hh_attr=None, activation="tanh"):
        super().__init__()
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction should be forward or bidirect (or bidirectional), "
                             f"received direction = {direction}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be in [0, 1], got {dropout}")
        if num_layers < 1:
            raise ValueError(f"num_layers should be positive, got {num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.direction = num_layers, direction
        self.num_directions = _DIRECTIONS[direction]
        self.time_major, self.dropout = time_major, float(dropout)
        attrs = (weight_ih_attr, weight_hh_attr, bias_ih_attr, bias_hh_attr)

        def cell(in_size):
            if mode == "LSTM":
                return LSTMCell(in_size, hidden_size, *attrs)
            if mode == "GRU":
                return GRUCell(in_size, hidden_size, *attrs)
            return SimpleRNNCell(in_size, hidden_size, activation, *attrs)

        for i in range(num_layers):
            in_size = input_size if i == 0 else hidden_size * self.num_directions
            if self.num_directions == 1:
                self.append(RNN(cell(in_size), False, time_major))
            else:
                self.append(BiRNN(cell(in_size), cell(in_size), time_major))
        self._alias_parameters()

    def _alias_parameters(self) -> None:
        """weight_ih_l{k}{_reverse} ... as attributes (and state_dict entries), as Paddle."""
        for i, layer in enumerate(self):
            cells = [layer.cell] if self.num_directions == 1 else [layer.cell_fw, layer.cell_bw]
            for d, c in enumerate(cells):
                suffix = "_reverse" if d == 1 else ""
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    p = getattr(c, kind)
                    if p is not None:
                        setattr(self, f"{kind}_l{i}{suffix}", p)

    def _split_states(self, initial_states):
        """Per (layer, direction) initial states from [L*D, N, H] tensors (None: zeros)."""
        n = self.num_layers * self.num_directions
        if initial_states is None:
            return [None] * n
        parts = [initial_states] if self.mode != "LSTM" else list(initial_states)
        for p in parts:
            if p.ndim != 3 or p.shape[0] not in (n, -1) or p.shape[2] not in \
                    (self.hidden_size, -1):
                raise ValueError(f"{type(self).__name__}: initial states must have shape "
                                 f"[{n}, batch_size, {self.hidden_size}], got {p.shape}")
        pieces = [unbind(p, 0) for p in parts]
        return [tuple(ps[k] for ps in pieces) if self.mode == "LSTM" else pieces[0][k]
                for k in range(n)]

    def forward(self, inputs, initial_states=None, sequence_length=None):
        if inputs.ndim != 3 or inputs.shape[-1] not in (self.input_size, -1):
            raise ValueError(f"{type(self).__name__}: expects inputs of shape [batch, time, "
                             f"{self.input_size}] (time first when time_major), got "
                             f"{inputs.shape}")
        states = self._split_states(initial_states)
        finals = []
        x = inputs
        for i, layer in enumerate(self):
            if i > 0 and self.dropout:
                x = F.dropout(x, self.dropout, training=self.training, mode="upscale_in_train")
            if self.num_directions == 1:
                x, final = layer(x, states[i], sequence_length)
                finals.append(final)
            else:
                x, (fw, bw) = layer(x, (states[2 * i], states[2 * i + 1]), sequence_length)
                finals += [fw, bw]
        if self.mode == "LSTM":
            return x, (stack([f[0] for f in finals], 0), stack([f[1] for f in finals], 0))
        return x, stack(finals, 0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.direction != "forward":
            text += f", direction={self.direction}"
        if self.time_major:
            text += ", time_major=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text


class SimpleRNN(RNNBase):
    """Stacked Elman RNN; returns (outputs, final_states [num_layers * num_directions, N, H])."""

    def __init__(self, input_size, hidden_size, num_layers=1, activation="tanh",
                 direction="forward", time_major=False, dropout=0.0, weight_ih_attr=None,
                 weight_hh_attr=None, bias_ih_attr=None, bias_hh_attr=None, name=None):
        if activation not in ("tanh", "relu"):
            raise ValueError(f"Unknown activation '{activation}'")
        self.activation = activation
        super().__init__("RNN_TANH" if activation == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, direction, time_major, dropout,
                         weight_ih_attr, weight_hh_attr, bias_ih_attr, bias_hh_attr,
                         activation)


class LSTM(RNNBase):
    """Stacked LSTM; returns (outputs, (h, c)), h and c [num_layers * num_directions, N, H]."""

    def __init__(self, input_size, hidden_size, num_layers=1, direction="forward",
                 time_major=False, dropout=0.0, weight_ih_attr=None, weight_hh_attr=None,
                 bias_ih_attr=None, bias_hh_attr=None, proj_size=0, name=None):
        if proj_size:
            raise NotImplementedError("LSTM(proj_size > 0) is not supported")
        super().__init__("LSTM", input_size, hidden_size, num_layers, direction, time_major,
                         dropout, weight_ih_attr, weight_hh_attr, bias_ih_attr, bias_hh_attr)


class GRU(RNNBase):
    """Stacked GRU; returns (outputs, final_states [num_layers * num_directions, N, H])."""

    def __init__(self, input_size, hidden_size, num_layers=1, direction="forward",
                 time_major=False, dropout=0.0, weight_ih_attr=None, weight_hh_attr=None,
                 bias_ih_attr=None, bias_hh_attr=None, name=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, direction, time_major,
                         dropout, weight_ih_attr, weight_hh_attr, bias_ih_attr, bias_hh_attr)
